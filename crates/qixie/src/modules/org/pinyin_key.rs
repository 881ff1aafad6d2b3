//! Pinyin for directory search (zs → 张三) and ordering.
use pinyin::ToPinyin;

/// (initials, full pinyin), lower-case; non-Chinese characters pass through lower-cased.
pub fn pinyin_of(name: &str) -> (String, String) {
    let mut initials = String::new();
    let mut full = String::new();
    for (c, p) in name.chars().zip(name.to_pinyin()) {
        match p {
            Some(p) => {
                initials.push_str(p.first_letter());
                full.push_str(p.plain());
            }
            None if c.is_alphanumeric() => {
                let l: String = c.to_lowercase().collect();
                initials.push_str(&l);
                full.push_str(&l);
            }
            None => {}
        }
    }
    (initials, full)
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
