//! SQL over the members table for other modules' queries, so that the table's name stays in this
//! crate (ADR 0008): a module that must join members into its own query (a hot path, or a choice
//! made in one statement) takes a fragment from here instead of naming the table.

/// "The member `member_id` (an SQL expression) can receive messages": active or not yet activated.
pub fn receiving(member_id: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM members rm WHERE rm.id = {member_id} AND rm.status IN ('active', 'not_activated'))"
    )
}

/// The signed-in member as one request needs them, joined onto a query that has the member's id
/// and the enterprise's id as `member_id` and `corp_id` (SQL expressions): the columns
/// `userid, name, status` of the member, `password_rotation_days` of the enterprise, and
/// `is_super, permissions, scope_all, scope_departments` of their administrator role (NULL for
/// an employee), as `ACTOR_COLUMNS` names them; the role feeds `grants::grants_of`.
pub fn actor_joins(member_id: &str, corp_id: &str) -> String {
    format!(
        " JOIN members am ON am.id = {member_id} AND am.corp_id = {corp_id} JOIN corps ac ON ac.id = {corp_id} \
         LEFT JOIN admin_roles ar ON ar.corp_id = {corp_id} AND ar.member_id = {member_id}"
    )
}

/// The columns `actor_joins` adds, in that order.
pub const ACTOR_COLUMNS: &str = "am.userid, am.name, am.status, ac.password_rotation_days, ar.is_super, ar.permissions, ar.scope_all, ar.scope_departments";
