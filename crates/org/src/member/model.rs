//! What a member is: the record as the directory shows it, the row as stored, and the inputs that
//! change it.
use serde::{Deserialize, Serialize};

use qixie_kernel::ids::MemberId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    NotActivated,
    Active,
    Frozen,
    Departed,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::NotActivated => "not_activated",
            MemberStatus::Active => "active",
            MemberStatus::Frozen => "frozen",
            MemberStatus::Departed => "departed",
        }
    }
    pub fn parse(s: &str) -> Option<MemberStatus> {
        Some(match s {
            "not_activated" => MemberStatus::NotActivated,
            "active" => MemberStatus::Active,
            "frozen" => MemberStatus::Frozen,
            "departed" => MemberStatus::Departed,
            _ => return None,
        })
    }
    /// WeCom's numeric status: 1 active, 2 frozen (disabled), 4 not activated, 5 departed.
    pub fn wecom(self) -> i64 {
        match self {
            MemberStatus::Active => 1,
            MemberStatus::Frozen => 2,
            MemberStatus::NotActivated => 4,
            MemberStatus::Departed => 5,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub id: i64,
    pub userid: String,
    pub name: String,
    pub alias: String,
    pub employee_no: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub position: String,
    pub gender: String,
    pub avatar: String,
    pub telephone: String,
    pub status: String,
    pub leader_id: Option<i64>,
    pub main_department: i64,
    pub pinyin_initials: String,
    pub created_at: i64,
}

pub const MEMBER_COLS: &str = "m.id, m.userid, m.name, m.alias, m.employee_no, m.mobile, m.email, m.position, m.gender, m.avatar, m.telephone, m.status, m.leader_id, m.main_department, m.pinyin_initials, m.created_at";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberDept {
    pub id: i64,
    pub name: String,
    pub is_main: bool,
    pub order: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TagRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Member {
    #[serde(skip)]
    pub id: MemberId,
    pub userid: String,
    pub name: String,
    pub alias: String,
    pub employee_no: String,
    pub mobile: String,
    pub email: String,
    pub position: String,
    pub gender: String,
    pub avatar: String,
    pub telephone: String,
    pub status: MemberStatus,
    pub departments: Vec<MemberDept>,
    pub main_department: i64,
    pub leader_userid: String,
    pub leader_name: String,
    pub is_leader_in: Vec<i64>,
    pub tags: Vec<TagRef>,
    pub pinyin_initials: String,
    pub created_at: i64,
    /// Materialised paths of the member's departments, for scope checks.
    #[serde(skip)]
    pub paths: Vec<String>,
}

/// Create or update input; on update every field is optional and `Some("")` clears a text field.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub userid: Option<String>,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub employee_no: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub position: Option<String>,
    pub gender: Option<String>,
    pub avatar: Option<String>,
    pub telephone: Option<String>,
    pub department_ids: Option<Vec<i64>>,
    pub main_department: Option<i64>,
    pub department_orders: Option<Vec<i64>>,
    pub leader_userid: Option<String>,
    pub tag_ids: Option<Vec<i64>>,
    pub initial_password: Option<String>,
    /// WeCom's `enable`: 0 freezes, 1 unfreezes.
    pub enable: Option<bool>,
}

/// Self-service profile edit: only the fields a member may change about themselves.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub gender: Option<String>,
    pub avatar: Option<String>,
    pub alias: Option<String>,
    /// An IANA time zone for the member's own clock; "" follows the enterprise's.
    pub time_zone: Option<String>,
}

/// How another module shows a member: a name on a card.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Card {
    #[serde(skip)]
    pub id: i64,
    pub userid: String,
    pub name: String,
    pub avatar: String,
    pub position: String,
    pub status: String,
}
