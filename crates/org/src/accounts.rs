//! What the organisation needs from sign-in, which the identity module (above this one) provides:
//! a member created with an initial password gets it, unfreezing asks whether the password must
//! still be changed, and leaving or freezing ends the member's sessions. Identity installs its
//! implementation at start (`Accounts` in the runtimes); all of it runs in the caller's transaction.
use std::future::Future;
use std::pin::Pin;

use qixie_kernel::AppState;
use qixie_kernel::db::Tx;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{CorpId, MemberId};

pub type AccountsFuture<'a, T> = Pin<Box<dyn Future<Output = AppResult<T>> + Send + 'a>>;

pub trait AccountsProvider: Send + Sync {
    /// Stores `hash` as `member`'s password.
    fn set_password<'a>(
        &'a self,
        tx: &'a mut Tx,
        app: &'a AppState,
        corp: CorpId,
        member: MemberId,
        hash: &'a str,
        must_change: bool,
    ) -> AccountsFuture<'a, ()>;
    /// Whether `member` must still change the password (None: no password set).
    fn must_change_password<'a>(
        &'a self,
        app: &'a AppState,
        member: MemberId,
    ) -> AccountsFuture<'a, Option<bool>>;
    /// Ends every session of `member` when `tx` commits.
    fn end_sessions<'a>(
        &'a self,
        tx: &'a mut Tx,
        app: &'a AppState,
        member: MemberId,
    ) -> AccountsFuture<'a, u64>;
}

/// The installed provider.
pub struct Accounts(pub Box<dyn AccountsProvider>);

pub fn of(app: &AppState) -> &dyn AccountsProvider {
    app.runtime::<Accounts>().0.as_ref()
}
