//! The password policy: minimum length (at least 8), letters and digits, not the account.
use crate::kernel::error::{AppError, AppResult, ErrorKind};
use crate::modules::admin::corp::SecurityPolicy;

pub fn check(policy: &SecurityPolicy, account: &str, password: &str) -> AppResult<()> {
    let long_enough = password.chars().count() >= policy.password_min_length.max(8) as usize
        && password.len() <= 128;
    let letters = password.chars().any(|c| c.is_alphabetic());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let acct = account.trim().to_lowercase();
    let not_account = acct.is_empty() || !password.to_lowercase().contains(&acct);
    if long_enough && letters && digits && not_account {
        Ok(())
    } else {
        Err(AppError::new(ErrorKind::WeakPassword))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_rules() {
        let p = SecurityPolicy::default();
        assert!(check(&p, "zhangsan", "Abcdef12").is_ok());
        assert!(check(&p, "zhangsan", "Abc12").is_err(), "too short");
        assert!(check(&p, "zhangsan", "abcdefgh").is_err(), "no digit");
        assert!(check(&p, "zhangsan", "12345678").is_err(), "no letter");
        assert!(
            check(&p, "zhangsan", "Zhangsan123").is_err(),
            "contains account"
        );
        let strict = SecurityPolicy {
            password_min_length: 12,
            ..SecurityPolicy::default()
        };
        assert!(check(&strict, "u", "Abcdef123").is_err());
    }
}
