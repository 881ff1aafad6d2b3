//! A management scope in SQL: the clauses that confine a query to the members and departments an
//! administrator's scope covers. The scope itself is the kernel's (`authz::Scope`); the tables are
//! the organisation's, so the SQL lives here.
use qixie_kernel::authz::Scope;
use qixie_kernel::db::Sql;

pub trait ScopeSql {
    fn filter_members(&self, q: Sql, member_alias: &str) -> Sql;
    fn filter_departments(&self, q: Sql, dept_alias: &str) -> Sql;
}

impl ScopeSql for Scope {
    /// Adds "member `alias` is in scope" to a query's WHERE clause.
    fn filter_members(&self, mut q: Sql, member_alias: &str) -> Sql {
        let Scope::Subtrees(roots) = self else {
            return q;
        };
        if roots.is_empty() {
            return q.push(" AND 1 = 0");
        }
        q = q.push(&format!(
            " AND EXISTS (SELECT 1 FROM member_departments sd JOIN departments sdp ON sdp.corp_id = sd.corp_id AND sdp.id = sd.department_id \
             WHERE sd.member_id = {member_alias}.id AND ("
        ));
        for (i, r) in roots.iter().enumerate() {
            let sep = if i == 0 { "" } else { " OR " };
            q = q.push_bind(&format!("{sep}sdp.path LIKE {{}}"), format!("{r}%"));
        }
        q.push("))")
    }
    /// Adds "department `alias` is in scope" to a query's WHERE clause.
    fn filter_departments(&self, mut q: Sql, dept_alias: &str) -> Sql {
        let Scope::Subtrees(roots) = self else {
            return q;
        };
        if roots.is_empty() {
            return q.push(" AND 1 = 0");
        }
        q = q.push(" AND (");
        for (i, r) in roots.iter().enumerate() {
            let sep = if i == 0 { "" } else { " OR " };
            q = q.push_bind(
                &format!("{sep}{dept_alias}.path LIKE {{}}"),
                format!("{r}%"),
            );
        }
        q.push(")")
    }
}

/// Confines a query on `audit_log` to entries whose actor or target (a member or a department) lies
/// in `scope`: a scoped reader sees what happened to and by the people they manage, nothing else.
pub fn audit_in_scope(q: Sql, scope: &Scope) -> Sql {
    if *scope == Scope::All {
        return q;
    }
    let q = q.push(" AND (audit_log.actor_kind = 'member' AND audit_log.actor_id IN (SELECT m.userid FROM members m WHERE m.corp_id = audit_log.corp_id");
    let q = scope.filter_members(q, "m");
    let q = q.push(") OR audit_log.target IN (SELECT 'member:' || m.userid FROM members m WHERE m.corp_id = audit_log.corp_id");
    let q = scope.filter_members(q, "m");
    let q = q.push(") OR audit_log.target IN (SELECT 'department:' || CAST(d.id AS TEXT) FROM departments d WHERE d.corp_id = audit_log.corp_id");
    let q = scope.filter_departments(q, "d");
    q.push("))")
}
