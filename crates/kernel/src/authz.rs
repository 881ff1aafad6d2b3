//! The authorization gate. Every path (native API, WeCom adapter, jobs, command line) turns its
//! caller into an `Actor` and asks it for a `Grant<P>`; domain functions that change or reveal
//! managed data take a grant as an argument, so a handler that skips the check does not compile.
//! A grant carries the management scope, which the domain adds to its queries.
use std::marker::PhantomData;

use serde::Serialize;

use super::error::{AppError, AppResult, ErrorKind};
use super::i18n::Lang;
use super::ids::{AppId, CorpId, MemberId};

macro_rules! permissions {
    ($($variant:ident => $code:literal, $zh:literal, $en:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum Permission { $($variant,)* }
        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];
            pub fn code(self) -> &'static str { match self { $(Permission::$variant => $code,)* } }
            pub fn from_code(s: &str) -> Option<Permission> { match s { $($code => Some(Permission::$variant),)* _ => None } }
            pub fn label(self, lang: Lang) -> &'static str {
                match (self, lang) { $((Permission::$variant, Lang::Zh) => $zh, (Permission::$variant, Lang::En) => $en,)* }
            }
        }
        /// Marker types naming one permission each, for `Grant<P>`.
        pub mod perm {
            $(pub struct $variant;
              impl super::Perm for $variant { const PERMISSION: super::Permission = super::Permission::$variant; })*
        }
    };
}

permissions! {
    ContactsManage => "contacts.manage", "管理通讯录（部门、成员、标签）", "Manage the address book (departments, members, tags)";
    ContactsImport => "contacts.import", "批量导入成员", "Bulk-import members";
    RolesManage => "roles.manage", "管理管理员与权限", "Manage administrators and permissions";
    AppsManage => "apps.manage", "管理应用与密钥", "Manage apps and secrets";
    AuditRead => "audit.read", "查看操作日志", "Read the audit log";
    SecurityManage => "security.manage", "管理安全设置与企业信息", "Manage security settings and enterprise profile";
    ApprovalsManage => "approvals.manage", "管理审批模板、流程与审批数据", "Manage approval templates, flows and records";
    AttendanceManage => "attendance.manage", "管理考勤规则、假期与考勤数据", "Manage attendance rules, leave and attendance records";
}

pub trait Perm {
    const PERMISSION: Permission;
}

/// Where an administrator's rights apply: the whole enterprise or department subtrees, each given by
/// its materialised path ('/1/4/').
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Subtrees(Vec<String>),
}

impl Scope {
    pub fn covers_path(&self, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Subtrees(roots) => roots.iter().any(|r| path.starts_with(r.as_str())),
        }
    }
    /// Whether any of a member's department paths lies in scope.
    pub fn covers_any(&self, paths: &[String]) -> bool {
        paths.iter().any(|p| self.covers_path(p))
    }
    /// Whether every department this scope covers is also covered by `outer`.
    pub fn within(&self, outer: &Scope) -> bool {
        match (self, outer) {
            (_, Scope::All) => true,
            (Scope::All, Scope::Subtrees(_)) => false,
            (Scope::Subtrees(roots), Scope::Subtrees(_)) => {
                roots.iter().all(|r| outer.covers_path(r))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorKind {
    Member {
        id: MemberId,
        userid: String,
        name: String,
    },
    App {
        id: AppId,
        agentid: i64,
        name: String,
    },
    /// The command line and scheduled jobs acting for the enterprise.
    System,
}

/// Who is asking, in which enterprise, with which rights.
#[derive(Debug, Clone)]
pub struct Actor {
    pub corp: CorpId,
    pub kind: ActorKind,
    pub ip: String,
    pub lang: Lang,
    pub is_super: bool,
    permissions: Vec<Permission>,
    scope: Scope,
    /// Whether the actor may read the directory (every member; apps with contacts.read).
    can_read_directory: bool,
}

/// An administrator role as the rank rule compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRank {
    pub is_super: bool,
    pub permissions: Vec<Permission>,
    pub scope: Scope,
}

impl AdminRank {
    /// Whether this role's rights lie wholly inside `outer`'s (equal counts as inside).
    fn within(&self, outer: &AdminRank) -> bool {
        if outer.is_super {
            return true;
        }
        !self.is_super
            && self
                .permissions
                .iter()
                .all(|p| outer.permissions.contains(p))
            && self.scope.within(&outer.scope)
    }
}

/// Who holds a grant, for the rank rule: the command line, an app, or a member with their role.
#[derive(Debug, Clone)]
enum Holder {
    System,
    App,
    Member { id: MemberId, rank: AdminRank },
}

/// Proof that the actor holds permission `P`; only `Actor::require` makes one.
#[derive(Debug)]
pub struct Grant<P: Perm> {
    corp: CorpId,
    scope: Scope,
    holder: Holder,
    _p: PhantomData<P>,
}

/// Proof that the actor may read the enterprise's directory.
#[derive(Debug, Clone, Copy)]
pub struct DirectoryGrant {
    corp: CorpId,
}

impl DirectoryGrant {
    pub fn corp(&self) -> CorpId {
        self.corp
    }
}

impl<P: Perm> Grant<P> {
    pub fn corp(&self) -> CorpId {
        self.corp
    }
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
    pub fn check_path(&self, path: &str) -> AppResult<()> {
        if self.scope.covers_path(path) {
            Ok(())
        } else {
            Err(ErrorKind::OutOfScope.into())
        }
    }
    pub fn check_member_paths(&self, paths: &[String]) -> AppResult<()> {
        if self.scope.covers_any(paths) {
            Ok(())
        } else {
            Err(ErrorKind::OutOfScope.into())
        }
    }
    pub fn is_whole_enterprise(&self) -> bool {
        self.scope == Scope::All
    }
    /// The rank rule: an administrator manages a member only if the member holds no administrator
    /// role, or one strictly inside the actor's own rights (permissions and scope); apps never manage
    /// administrators. Acting on oneself is not managing someone else.
    pub fn check_outranks(
        &self,
        target: MemberId,
        target_rank: Option<&AdminRank>,
    ) -> AppResult<()> {
        let Some(t) = target_rank else {
            return Ok(());
        };
        match &self.holder {
            Holder::System => Ok(()),
            Holder::App => Err(ErrorKind::AdminProtected.into()),
            Holder::Member { id, .. } if *id == target => Ok(()),
            Holder::Member { rank, .. } if rank.is_super => Ok(()),
            Holder::Member { rank, .. } if t.within(rank) && !rank.within(t) => Ok(()),
            Holder::Member { .. } => Err(ErrorKind::TargetOutranks.into()),
        }
    }
}

/// What a read may reveal: one enterprise, all of it or the subtrees of a management scope. Only the
/// gate makes one (from a grant or the directory grant), so a read function that takes it cannot be
/// called without the check, and cannot forget the scope.
#[derive(Debug, Clone)]
pub struct ReadScope {
    corp: CorpId,
    limit: Option<Scope>,
}

impl ReadScope {
    pub fn corp(&self) -> CorpId {
        self.corp
    }
    /// The subtrees the read is confined to; `None` for the whole enterprise.
    pub fn limit(&self) -> Option<&Scope> {
        self.limit.as_ref().filter(|s| **s != Scope::All)
    }
    pub fn covers_path(&self, path: &str) -> bool {
        self.limit().is_none_or(|s| s.covers_path(path))
    }
    pub fn covers_any(&self, paths: &[String]) -> bool {
        self.limit().is_none_or(|s| s.covers_any(paths))
    }
}

impl<P: Perm> Grant<P> {
    /// The reads this grant allows: its management scope.
    pub fn reads(&self) -> ReadScope {
        ReadScope {
            corp: self.corp,
            limit: Some(self.scope.clone()),
        }
    }
}

impl DirectoryGrant {
    /// The reads the directory allows: the whole enterprise.
    pub fn reads(&self) -> ReadScope {
        ReadScope {
            corp: self.corp,
            limit: None,
        }
    }
}

impl Actor {
    pub fn member(
        corp: CorpId,
        id: MemberId,
        userid: String,
        name: String,
        is_super: bool,
        permissions: Vec<Permission>,
        scope: Scope,
    ) -> Actor {
        Actor {
            corp,
            kind: ActorKind::Member { id, userid, name },
            ip: String::new(),
            lang: Lang::Zh,
            is_super,
            permissions,
            scope: if is_super { Scope::All } else { scope },
            can_read_directory: true,
        }
    }
    pub fn app(
        corp: CorpId,
        id: AppId,
        agentid: i64,
        name: String,
        permissions: Vec<Permission>,
        scope: Scope,
        can_read_directory: bool,
    ) -> Actor {
        Actor {
            corp,
            kind: ActorKind::App { id, agentid, name },
            ip: String::new(),
            lang: Lang::Zh,
            is_super: false,
            permissions,
            scope,
            can_read_directory,
        }
    }
    /// The enterprise itself: the command line and jobs, which act with every permission.
    pub fn system(corp: CorpId) -> Actor {
        Actor {
            corp,
            kind: ActorKind::System,
            ip: String::new(),
            lang: Lang::Zh,
            is_super: true,
            permissions: Permission::ALL.to_vec(),
            scope: Scope::All,
            can_read_directory: true,
        }
    }
    pub fn with_request(mut self, ip: String, lang: Lang) -> Actor {
        self.ip = ip;
        self.lang = lang;
        self
    }

    pub fn has(&self, p: Permission) -> bool {
        self.is_super || self.permissions.contains(&p)
    }
    pub fn permissions(&self) -> Vec<Permission> {
        if self.is_super {
            Permission::ALL.to_vec()
        } else {
            self.permissions.clone()
        }
    }
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The gate: a grant for `P`, or 403 (48002 through the WeCom adapter for apps).
    pub fn require<P: Perm>(&self) -> AppResult<Grant<P>> {
        if self.has(P::PERMISSION) {
            let holder = match &self.kind {
                ActorKind::System => Holder::System,
                ActorKind::App { .. } => Holder::App,
                ActorKind::Member { id, .. } => Holder::Member {
                    id: *id,
                    rank: AdminRank {
                        is_super: self.is_super,
                        permissions: self.permissions(),
                        scope: self.scope.clone(),
                    },
                },
            };
            Ok(Grant {
                corp: self.corp,
                scope: self.scope.clone(),
                holder,
                _p: PhantomData,
            })
        } else if matches!(self.kind, ActorKind::App { .. }) {
            Err(AppError::new(ErrorKind::ApiForbidden))
        } else {
            Err(AppError::new(ErrorKind::Forbidden))
        }
    }
    /// What the actor reads of the directory where `P` manages it: a holder of `P` reads exactly
    /// what it manages (so everything it lists it may also change, as WeCom apps expect); anyone
    /// else who may read the directory reads all of it.
    pub fn read_view<P: Perm>(&self) -> AppResult<ReadScope> {
        match self.require::<P>() {
            Ok(g) => Ok(g.reads()),
            Err(_) => Ok(self.directory()?.reads()),
        }
    }
    pub fn directory(&self) -> AppResult<DirectoryGrant> {
        if self.can_read_directory {
            Ok(DirectoryGrant { corp: self.corp })
        } else {
            Err(ErrorKind::ApiForbidden.into())
        }
    }
    pub fn member_id(&self) -> Option<MemberId> {
        match &self.kind {
            ActorKind::Member { id, .. } => Some(*id),
            _ => None,
        }
    }
    /// (kind, id, name) as the audit log records the actor.
    pub fn audit_identity(&self) -> (&'static str, String, String) {
        match &self.kind {
            ActorKind::Member { userid, name, .. } => ("member", userid.clone(), name.clone()),
            ActorKind::App { agentid, name, .. } => ("app", agentid.to_string(), name.clone()),
            ActorKind::System => ("system", String::new(), "system".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_scope_covers_only_its_paths() {
        let s = Scope::Subtrees(vec!["/1/2/".into()]);
        assert!(s.covers_path("/1/2/"));
        assert!(s.covers_path("/1/2/7/"));
        assert!(!s.covers_path("/1/"));
        assert!(!s.covers_path("/1/22/"));
        assert!(s.covers_any(&["/1/3/".into(), "/1/2/9/".into()]));
    }

    #[test]
    fn grant_requires_permission_and_apps_get_wecom_forbidden() {
        let a = Actor::member(
            CorpId(1),
            MemberId(1),
            "u".into(),
            "U".into(),
            false,
            vec![Permission::AuditRead],
            Scope::All,
        );
        assert!(a.require::<perm::AuditRead>().is_ok());
        assert_eq!(
            a.require::<perm::AppsManage>()
                .map(|_| ())
                .map_err(|e| e.kind),
            Err(ErrorKind::Forbidden)
        );
        let app = Actor::app(
            CorpId(1),
            AppId(1),
            1000002,
            "a".into(),
            vec![],
            Scope::All,
            true,
        );
        assert_eq!(
            app.require::<perm::ContactsManage>()
                .map(|_| ())
                .map_err(|e| e.kind),
            Err(ErrorKind::ApiForbidden)
        );
    }
}
