//! Members of the enterprise: the directory record (identity owns passwords and sessions).
//!
//! `model` is what a member is; `lookup` finds members for work authorised elsewhere; `read` is
//! what a caller reads (always under a `ReadScope` or a grant); `write`, `status` and `offboard`
//! change members; `bulk` writes import rows; `sql` lends other modules fragments over the members
//! table so that its name stays in this crate.
pub mod bulk;
pub mod lookup;
mod model;
mod offboard;
mod read;
pub mod sql;
mod status;
mod write;

pub use lookup::{
    all_userids, card_in, cards, find_by_mobile, find_row, find_row_by_id, get_by_id, hydrate,
    id_of, resolve_userids, time_zone, time_zones,
};
pub use model::{
    Card, MEMBER_COLS, Member, MemberDept, MemberInput, MemberRow, MemberStatus, ProfilePatch,
    TagRef,
};
pub use offboard::offboard;
pub use read::{
    ListFilter, all, all_for_batch, get, get_by_mobile, get_in_scope, get_managed, list,
};
pub use status::{activate, set_frozen, set_status_in};
pub use write::{create, delete, insert_new, snapshot, update, update_profile};
