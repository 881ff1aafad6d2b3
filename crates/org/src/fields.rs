//! Member field rules, shared by the form, the API, the WeCom adapter and the importer. Each returns
//! the normalised value or a stable reason key.
use qixie_kernel::error::FieldReason;

/// userid (帐号): 1–64 of letters, digits and `_ . @ -`, starting with a letter or digit.
pub fn userid(s: &str) -> Result<String, FieldReason> {
    let s = s.trim();
    if s.is_empty() {
        return Err(FieldReason::Required);
    }
    if s.chars().count() > 64 {
        return Err(FieldReason::TooLong);
    }
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'));
    let ok_start = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok_chars && ok_start {
        Ok(s.to_owned())
    } else {
        Err(FieldReason::Format)
    }
}

/// Mobile numbers: `+86 138-0013-8000`, `008613800138000` and `13800138000` all become
/// `13800138000`; other countries keep `+<digits>`. Full-width digits from Chinese input methods are
/// accepted. Empty means none.
pub fn mobile(raw: &str) -> Result<Option<String>, FieldReason> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '－' | '—' | '(' | ')'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '＋' => '+',
            c => c,
        })
        .collect();
    if compact.is_empty() {
        return Ok(None);
    }
    let (international, digits) = match compact
        .strip_prefix('+')
        .or_else(|| compact.strip_prefix("00"))
    {
        Some(rest) => (true, rest),
        None => (false, compact.as_str()),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldReason::Format);
    }
    let mainland = |d: &str| {
        let b = d.as_bytes();
        b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
    };
    let normalised = if !international {
        mainland(digits).then(|| digits.to_string())
    } else if let Some(national) = digits.strip_prefix("86") {
        mainland(national).then(|| national.to_string())
    } else {
        // E.164: a country code never starts with 0, and the whole number is at most 15 digits.
        ((6..=15).contains(&digits.len()) && !digits.starts_with('0')).then(|| format!("+{digits}"))
    };
    normalised.map(Some).ok_or(FieldReason::Format)
}

/// A deliberately simple check: one `@`, something before it, a dotted domain after it; lower-cased.
pub fn email(raw: &str) -> Result<Option<String>, FieldReason> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Ok(None);
    }
    if email.chars().count() > 128 || email.chars().any(char::is_whitespace) {
        return Err(FieldReason::Format);
    }
    let (local, domain) = email.split_once('@').ok_or(FieldReason::Format)?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if !local.is_empty() && domain_ok {
        Ok(Some(email))
    } else {
        Err(FieldReason::Format)
    }
}

/// "0" unknown, "1" male, "2" female; accepts the words HR files use.
pub fn gender(s: &str) -> Result<String, FieldReason> {
    match s.trim().to_lowercase().as_str() {
        "" | "0" | "未知" | "unknown" => Ok("0".into()),
        "1" | "男" | "m" | "male" => Ok("1".into()),
        "2" | "女" | "f" | "female" => Ok("2".into()),
        _ => Err(FieldReason::Format),
    }
}

/// A person's name: required, at most 64 characters, no control characters. Unlike department
/// names, quotes and symbols are allowed ("John \"JJ\" Smith").
pub fn person_name(s: &str) -> Result<String, FieldReason> {
    let s = s.trim();
    if s.is_empty() {
        Err(FieldReason::Required)
    } else if s.chars().count() > 64 {
        Err(FieldReason::TooLong)
    } else if s.chars().any(char::is_control) {
        Err(FieldReason::Format)
    } else {
        Ok(s.to_owned())
    }
}

/// Optional free text with a length limit; empty becomes None.
pub fn optional_text(s: &str, max: usize) -> Result<Option<String>, FieldReason> {
    let s = s.trim();
    if s.is_empty() {
        Ok(None)
    } else if s.chars().count() > max {
        Err(FieldReason::TooLong)
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
        assert_eq!(mobile("12345"), Err(FieldReason::Format));
        assert_eq!(mobile("1380013800a"), Err(FieldReason::Format));
    }

    #[test]
    fn userids_and_emails() {
        assert_eq!(userid("zhangsan"), Ok("zhangsan".into()));
        assert_eq!(userid("-x"), Err(FieldReason::Format));
        assert_eq!(userid("张三"), Err(FieldReason::Format));
        assert_eq!(userid(""), Err(FieldReason::Required));
        assert_eq!(email("A@B.com"), Ok(Some("a@b.com".into())));
        assert_eq!(email("a@b"), Err(FieldReason::Format));
        assert_eq!(gender("女"), Ok("2".into()));
        assert_eq!(gender("x"), Err(FieldReason::Format));
    }
}
