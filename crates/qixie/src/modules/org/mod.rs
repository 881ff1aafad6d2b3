//! Enterprise organisation (企业与通讯录): departments, members, tags, the directory, import and
//! export, and offboarding hand-over.
pub mod audience;
pub mod department;
pub mod fields;
pub mod http;
pub mod import;
pub mod member;
pub mod offboarding;
pub mod pinyin_key;
pub mod sheet;
pub mod tag;
pub mod terms;
pub mod tree_cache;

pub use department::Department;
pub use member::{Member, MemberStatus};

pub fn register_handovers(r: &mut offboarding::OffboardingRegistry) {
    r.register(std::sync::Arc::new(offboarding::DirectReports));
    r.register(std::sync::Arc::new(offboarding::DepartmentLeadership));
}

/// Checks a display name: not empty, not too long, none of the characters WeCom forbids.
pub fn valid_name(name: &str, max: usize) -> Result<(), &'static str> {
    let n = name.trim();
    if n.is_empty() {
        return Err("required");
    }
    if n.chars().count() > max {
        return Err("too_long");
    }
    if n.chars()
        .any(|c| matches!(c, '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control())
    {
        return Err("format");
    }
    Ok(())
}
