//! The enterprise's messaging policy: read receipts per kind of conversation (the attention policy),
//! the group naming convention and what files may be sent.
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use qixie_kernel::db::{Conn, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Hint, Validator};
use qixie_kernel::ids::CorpId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptMode {
    /// Who has read and who has not.
    On,
    /// Only "37/40 read".
    Aggregate,
    /// Nobody sees receipts.
    Off,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReceiptPolicy)]
pub struct Receipts {
    pub direct: ReceiptMode,
    pub group: ReceiptMode,
    pub department: ReceiptMode,
    pub company: ReceiptMode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NamingPolicy)]
pub struct Naming {
    pub enabled: bool,
    pub pattern: String,
    pub group_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FilePolicy)]
pub struct Files {
    pub max_bytes: i64,
    pub denied_extensions: Vec<String>,
    /// When not empty, only these.
    pub allowed_extensions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChatPolicy)]
pub struct Policy {
    pub receipts: Receipts,
    pub naming: Naming,
    pub files: Files,
}

/// The naming convention as members read it, with an example.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NamingRule {
    pub enabled: bool,
    pub pattern: String,
    pub group_types: Vec<String>,
    pub example: String,
}

/// The part of the policy members follow.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberPolicy {
    pub naming: NamingRule,
    pub files: Files,
}

/// The hard ceiling on one file, whatever the policy says.
pub const MAX_FILE_BYTES: i64 = 1024 * 1024 * 1024;

impl Default for Policy {
    fn default() -> Self {
        Policy {
            receipts: Receipts {
                direct: ReceiptMode::On,
                group: ReceiptMode::On,
                department: ReceiptMode::Aggregate,
                company: ReceiptMode::Off,
            },
            naming: Naming {
                enabled: false,
                pattern: "【部门】-【项目/事项】-【群类型】".into(),
                group_types: vec!["项目群".into(), "通知群".into(), "讨论群".into()],
            },
            files: Files {
                max_bytes: 100 * 1024 * 1024,
                denied_extensions: vec!["exe".into(), "bat".into(), "cmd".into(), "scr".into()],
                allowed_extensions: Vec::new(),
            },
        }
    }
}

/// Every extension of a file name, lowercased, the last one last, as a system that opens the file
/// may see it: without the trailing dots and spaces Windows drops (`a.exe. ` is `a.exe`), without an
/// NTFS stream suffix (`a.exe::$DATA`), and with the inner ones too (`a.exe.txt` carries `exe`, which
/// some servers and mail filters act on).
pub fn file_extensions(name: &str) -> Vec<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut parts = base.split('.');
    parts.next();
    parts
        .map(|p| {
            p.split(':')
                .next()
                .unwrap_or_default()
                .trim()
                .to_lowercase()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

impl Policy {
    pub fn receipts_for(&self, kind: &str) -> ReceiptMode {
        match kind {
            "direct" => self.receipts.direct,
            "department" => self.receipts.department,
            "company" => self.receipts.company,
            "group" => self.receipts.group,
            // App conversations are notices from a system: nobody reads receipts there.
            _ => ReceiptMode::Off,
        }
    }

    fn parts(&self) -> usize {
        self.naming.pattern.split('-').count()
    }

    /// An example name that follows the pattern.
    pub fn naming_example(&self) -> String {
        let ty = self
            .naming
            .group_types
            .first()
            .cloned()
            .unwrap_or_else(|| "项目群".into());
        let mut parts: Vec<String> = ["市场部", "新品发布", "筹备", "跟进"]
            .iter()
            .take(self.parts().saturating_sub(1))
            .map(|s| (*s).to_owned())
            .collect();
        parts.push(ty);
        parts.join("-")
    }

    /// What members are told before they name a group or send a file (docs/api/chat.md): the
    /// naming rule with an example and the file limits; nothing of the receipt settings.
    pub fn for_members(&self) -> MemberPolicy {
        MemberPolicy {
            naming: NamingRule {
                enabled: self.naming.enabled,
                pattern: self.naming.pattern.clone(),
                group_types: self.naming.group_types.clone(),
                example: self.naming_example(),
            },
            files: Files {
                max_bytes: self.files.max_bytes.min(MAX_FILE_BYTES),
                denied_extensions: self.files.denied_extensions.clone(),
                allowed_extensions: self.files.allowed_extensions.clone(),
            },
        }
    }

    /// Refuses a group name that does not follow the naming convention, saying what would.
    pub fn check_group_name(&self, name: &str, group_type: &str) -> AppResult<()> {
        if !self.naming.enabled {
            return Ok(());
        }
        let parts: Vec<&str> = name.split('-').map(str::trim).collect();
        let last = parts.last().copied().unwrap_or_default();
        let ok = parts.len() == self.parts()
            && parts.iter().all(|p| !p.is_empty())
            && self.naming.group_types.iter().any(|t| t == last)
            && (group_type.is_empty() || group_type == last);
        if ok {
            return Ok(());
        }
        let example = self.naming_example();
        let types = self.naming.group_types.join("、");
        Err(AppError::new(ErrorKind::NamingPolicy)
            .on_field("name")
            .with_hint(Hint {
                zh: format!(
                    "格式为 {}，群类型可选 {types}，例如 {example}",
                    self.naming.pattern
                ),
                en: format!(
                    "use {} with a group type of {types}, for example {example}",
                    self.naming.pattern
                ),
                data: json!({ "pattern": self.naming.pattern, "group_types": self.naming.group_types, "example": example }),
            }))
    }

    /// Refuses a file the enterprise does not accept.
    pub fn check_file(&self, name: &str, size: i64) -> AppResult<()> {
        if size > self.files.max_bytes.min(MAX_FILE_BYTES) {
            return Err(ErrorKind::FileTooLarge.into());
        }
        let exts = file_extensions(name);
        let listed = |l: &[String], e: &str| l.iter().any(|x| x.eq_ignore_ascii_case(e));
        let denied = exts
            .iter()
            .any(|e| listed(&self.files.denied_extensions, e));
        let allowed = self.files.allowed_extensions.is_empty()
            || exts
                .last()
                .is_some_and(|e| listed(&self.files.allowed_extensions, e));
        if denied || !allowed {
            return Err(ErrorKind::FileTypeRefused.into());
        }
        Ok(())
    }

    pub fn validate(&mut self) -> AppResult<()> {
        let mut v = Validator::default();
        let pattern = self.naming.pattern.trim().to_owned();
        v.check(
            !self.naming.enabled || (!pattern.is_empty() && pattern.chars().count() <= 100),
            "naming.pattern",
            FieldReason::Required,
        );
        self.naming.pattern = pattern;
        let clean = |l: &mut Vec<String>| {
            *l = l
                .iter()
                .map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect();
            l.dedup();
        };
        self.naming.group_types = self
            .naming
            .group_types
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        v.check(
            !self.naming.enabled || !self.naming.group_types.is_empty(),
            "naming.group_types",
            FieldReason::Required,
        );
        v.check(
            self.naming
                .group_types
                .iter()
                .all(|t| t.chars().count() <= 20 && !t.contains('-')),
            "naming.group_types",
            FieldReason::Format,
        );
        clean(&mut self.files.denied_extensions);
        clean(&mut self.files.allowed_extensions);
        v.check(
            self.files.max_bytes > 0 && self.files.max_bytes <= MAX_FILE_BYTES,
            "files.max_bytes",
            FieldReason::Range,
        );
        v.finish()
    }
}

/// The enterprise's chat policy (the defaults until an administrator saves one), on the pool or
/// inside a transaction that changes something the policy governs.
pub async fn get(db: impl Into<Conn<'_>>, corp: CorpId) -> AppResult<Policy> {
    let row: Option<(String,)> = db
        .into()
        .opt(sql("SELECT policy FROM chat_policies WHERE corp_id = $1").bind(corp))
        .await?;
    Ok(row
        .and_then(|(p,)| serde_json::from_str(&p).ok())
        .unwrap_or_default())
}

pub async fn save(tx: &mut Tx, corp: CorpId, p: &Policy, now: i64) -> AppResult<()> {
    tx.exec(
        sql(
            "INSERT INTO chat_policies (corp_id, policy, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (corp_id) DO UPDATE SET policy = $2, updated_at = $3",
        )
        .bind(corp)
        .bind(serde_json::to_string(p).map_err(AppError::internal)?)
        .bind(now),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naming_on() -> Policy {
        let mut p = Policy::default();
        p.naming.enabled = true;
        p
    }

    #[test]
    fn names_follow_the_pattern_or_get_an_example() {
        let p = naming_on();
        assert!(p.check_group_name("市场部-新品发布-项目群", "").is_ok());
        assert!(
            p.check_group_name("市场部 - 新品发布 - 通知群", "通知群")
                .is_ok()
        );
        for bad in [
            "随便聊聊",
            "市场部-新品发布",
            "市场部--项目群",
            "市场部-新品发布-吃饭群",
        ] {
            let e = p.check_group_name(bad, "").unwrap_err();
            assert_eq!(e.kind, ErrorKind::NamingPolicy, "{bad}");
            let hint = e.hint.unwrap();
            assert!(hint.zh.contains("【部门】-【项目/事项】-【群类型】"));
            assert!(hint.zh.contains("市场部-新品发布-项目群"), "{}", hint.zh);
        }
        // The declared type must be the one the name ends with.
        assert!(
            p.check_group_name("市场部-新品发布-项目群", "通知群")
                .is_err()
        );
        assert!(Policy::default().check_group_name("随便聊聊", "").is_ok());
    }

    #[test]
    fn files_are_checked_by_size_and_type() {
        let mut p = Policy::default();
        assert!(p.check_file("报告.PDF", 10).is_ok());
        assert_eq!(
            p.check_file("setup.EXE", 10).unwrap_err().kind,
            ErrorKind::FileTypeRefused
        );
        assert_eq!(
            p.check_file("big.zip", p.files.max_bytes + 1)
                .unwrap_err()
                .kind,
            ErrorKind::FileTooLarge
        );
        p.files.allowed_extensions = vec!["pdf".into()];
        assert!(p.check_file("a.pdf", 1).is_ok());
        assert_eq!(
            p.check_file("a.docx", 1).unwrap_err().kind,
            ErrorKind::FileTypeRefused
        );
        assert_eq!(
            p.check_file("noext", 1).unwrap_err().kind,
            ErrorKind::FileTypeRefused
        );
    }

    #[test]
    fn extensions_are_normalised_before_the_lists_apply() {
        assert_eq!(super::file_extensions("报告.PDF"), vec!["pdf"]);
        assert_eq!(super::file_extensions("a.EXE . "), vec!["exe"]);
        assert_eq!(super::file_extensions("a.tar.gz"), vec!["tar", "gz"]);
        assert_eq!(super::file_extensions("noext"), Vec::<String>::new());
        assert_eq!(super::file_extensions("dir/x.exe::$DATA"), vec!["exe"]);
        let p = Policy::default();
        for name in [
            "virus.exe.",
            "VIRUS.EXE",
            "a.exe ",
            "a.exe...",
            "a.EXE . ",
            "a.exe.txt",
            "a.Exe\u{3000}",
            "x.exe::$DATA",
            "b.BaT",
        ] {
            assert_eq!(
                p.check_file(name, 1).unwrap_err().kind,
                ErrorKind::FileTypeRefused,
                "{name}"
            );
        }
        assert!(p.check_file("exe.txt", 1).is_ok());
        assert!(p.check_file("report.v2.pdf", 1).is_ok());
        let mut q = Policy::default();
        q.files.allowed_extensions = vec!["pdf".into()];
        assert!(q.check_file("a.PDF. ", 1).is_ok());
        assert_eq!(
            q.check_file("a.pdf.html", 1).unwrap_err().kind,
            ErrorKind::FileTypeRefused
        );
    }

    #[test]
    fn validation_cleans_lists_and_refuses_nonsense() {
        let mut p = naming_on();
        p.files.denied_extensions = vec![" .EXE ".into(), "".into()];
        p.validate().unwrap();
        assert_eq!(p.files.denied_extensions, vec!["exe".to_owned()]);
        p.naming.group_types = vec![];
        assert!(p.validate().is_err());
        let mut q = Policy::default();
        q.files.max_bytes = 0;
        assert!(q.validate().is_err());
    }
}
