//! Conversations and who is in them: one-to-one chats, groups with their owner, administrators,
//! settings and announcement, department and all-company groups, and each member's own view (unread,
//! mute, pin, draft).
//!
//! Every change to an existing group goes through `action::GroupAction`: one transaction that checks
//! the caller, writes, and announces from its outbox once it commits.
mod action;
mod create;
mod departments;
mod handover;
mod list;
mod members;
mod mine;
mod rows;
mod settings;

pub use create::{NewGroup, app_conversation, create_group, open_direct};
pub use departments::{create_department_group, sync_department_group, sync_department_groups};
pub use handover::{GroupOwnership, transfer};
pub(crate) use list::direct_peers;
pub use list::{AnnouncementView, AppCard, ConversationView, GroupSettings, list_for, view_for};
pub use members::{
    ConversationMember, ConversationMemberList, InactiveMember, InactiveMemberList, JoinRequest,
    JoinRequestList, JoinRequestView, add_members, decide_join_request, inactive, join_requests,
    members_view, remove_member, set_admin,
};
pub use mine::{MyPrefs, RECEIPT_LIST_LIMIT, mark_read, set_prefs};
pub use rows::{
    CONV_COLS, ConvRow, MembershipRow, find, find_by_chatid, member_ids, membership, sender_of,
};
pub use settings::{
    AnnouncementReaders, GroupPatch, Settings, announcement_readers, close, read_announcement,
    set_announcement, update_group,
};
