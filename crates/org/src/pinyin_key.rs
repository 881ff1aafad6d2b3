//! Pinyin for directory search (zs → 张三) and ordering.
use pinyin::ToPinyin;

/// (initials, full pinyin), lower-case; non-Chinese characters pass through lower-cased.
pub fn pinyin_of(name: &str) -> (String, String) {
    let mut initials = String::new();
    let mut full = String::new();
    for (i, p) in syllables(name) {
        initials.push_str(&i);
        full.push_str(&p);
    }
    (initials, full)
}

/// (initial, plain pinyin) of each character of `name` that has a reading or is a letter or digit
/// (which stands for itself, lower-cased); other characters are skipped.
pub fn syllables(name: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (c, p) in name.chars().zip(name.to_pinyin()) {
        match p {
            Some(p) => out.push((p.first_letter().to_owned(), p.plain().to_owned())),
            None if c.is_alphanumeric() => {
                let l: String = c.to_lowercase().collect();
                out.push((l.clone(), l));
            }
            None => {}
        }
    }
    out
}

/// The text a search matches: name, initials, full pinyin, account, mobile, email, employee number.
pub fn search_key(
    name: &str,
    userid: &str,
    mobile: Option<&str>,
    email: Option<&str>,
    employee_no: Option<&str>,
) -> String {
    let (ini, full) = pinyin_of(name);
    [
        name.to_lowercase(),
        ini,
        full,
        userid.to_lowercase(),
        mobile.unwrap_or("").into(),
        email.unwrap_or("").into(),
        employee_no.unwrap_or("").to_lowercase(),
    ]
    .join("|")
}

#[cfg(test)]
mod tests {
    #[test]
    fn initials_of_chinese_names() {
        assert_eq!(super::pinyin_of("张三"), ("zs".into(), "zhangsan".into()));
        assert_eq!(super::pinyin_of("Amy 李"), ("amyl".into(), "amyli".into()));
    }
}
