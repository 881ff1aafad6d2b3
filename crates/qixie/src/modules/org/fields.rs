//! Member field rules, shared by the form, the API, the WeCom adapter and the importer. Each returns
//! the normalised value or a stable reason key.

/// userid (帐号): 1–64 of letters, digits and `_ . @ -`, starting with a letter or digit.
pub fn userid(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Err("required");
    }
    if s.chars().count() > 64 {
        return Err("too_long");
    }
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'));
    let ok_start = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok_chars && ok_start {
        Ok(s.to_owned())
    } else {
        Err("format")
    }
}

/// Mobile numbers: mainland numbers become 11 digits; others keep `+` and 6–15 digits.
pub fn mobile(s: &str) -> Result<Option<String>, &'static str> {
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '(' && *c != ')')
        .collect();
    if compact.is_empty() {
        return Ok(None);
    }
    let (plus, digits) = match compact.strip_prefix('+') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, compact.clone()),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("format");
    }
    let mainland =
        |d: &str| d.len() == 11 && d.starts_with('1') && matches!(d.as_bytes()[1], b'3'..=b'9');
    if !plus && mainland(&digits) {
        return Ok(Some(digits));
    }
    if plus {
        if let Some(rest) = digits.strip_prefix("86") {
            return if mainland(rest) {
                Ok(Some(rest.to_owned()))
            } else {
                Err("format")
            };
        }
        if (6..=15).contains(&digits.len()) {
            return Ok(Some(format!("+{digits}")));
        }
    }
    Err("format")
}

pub fn email(s: &str) -> Result<Option<String>, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > 128 || s.chars().any(char::is_whitespace) {
        return Err("format");
    }
    let mut parts = s.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None)
            if !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(Some(s.to_lowercase()))
        }
        _ => Err("format"),
    }
}

/// "0" unknown, "1" male, "2" female; accepts the words HR files use.
pub fn gender(s: &str) -> Result<String, &'static str> {
    match s.trim().to_lowercase().as_str() {
        "" | "0" | "未知" | "unknown" => Ok("0".into()),
        "1" | "男" | "m" | "male" => Ok("1".into()),
        "2" | "女" | "f" | "female" => Ok("2".into()),
        _ => Err("format"),
    }
}

/// Optional free text with a length limit; empty becomes None.
pub fn optional_text(s: &str, max: usize) -> Result<Option<String>, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        Ok(None)
    } else if s.chars().count() > max {
        Err("too_long")
    } else {
        Ok(Some(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_normalise() {
        assert_eq!(mobile("+86 138-0013-8000"), Ok(Some("13800138000".into())));
        assert_eq!(mobile("13800138000"), Ok(Some("13800138000".into())));
        assert_eq!(mobile("+85291234567"), Ok(Some("+85291234567".into())));
        assert_eq!(mobile(""), Ok(None));
        assert_eq!(mobile("12345"), Err("format"));
        assert_eq!(mobile("1380013800a"), Err("format"));
    }

    #[test]
    fn userids_and_emails() {
        assert_eq!(userid("zhangsan"), Ok("zhangsan".into()));
        assert_eq!(userid("-x"), Err("format"));
        assert_eq!(userid("张三"), Err("format"));
        assert_eq!(userid(""), Err("required"));
        assert_eq!(email("A@B.com"), Ok(Some("a@b.com".into())));
        assert_eq!(email("a@b"), Err("format"));
        assert_eq!(gender("女"), Ok("2".into()));
        assert_eq!(gender("x"), Err("format"));
    }
}
