//! One shape for every change to an existing group. `GroupAction::open` starts the transaction,
//! reads the conversation inside it and checks that the action applies to it and that the caller
//! may take it; the action writes through `tx` and queues its announcements (`append`, `tell`,
//! `updated`) in the transaction's outbox; `commit` writes it all, then announces it in the order
//! queued. An action that fails before its commit rolls back and announces nothing.
use serde_json::{Value, json};

use super::rows::{ConvRow, find_in, membership_in, sender_of};
use crate::ChatState;
use crate::fanout;
use crate::roster::{Role, Roster};
use crate::stream::{self, EventRow, NewEvent, Sender};
use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::Tx;
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::ids::ConvId;

/// The conversations an action applies to; it refuses others with `NotInGroupKind`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kinds {
    /// Ad-hoc groups only: department and all-company groups follow the org tree.
    AdHocGroups,
    /// Every group, department and all-company ones included.
    Groups,
    /// Any conversation: the caller's standing decides.
    All,
}

impl Kinds {
    fn admit(self, c: &ConvRow) -> bool {
        match self {
            Kinds::AdHocGroups => c.kind == "group",
            Kinds::Groups => c.is_group(),
            Kinds::All => true,
        }
    }
}

/// The standing an action needs at least; finer rules stay with the action.
#[derive(Debug, Clone, Copy)]
pub(super) enum Need {
    /// Any standing: a member, the managing app, the system.
    Member,
    /// An owner or administrator (the managing app and the system count as both).
    Admin,
    Owner,
}

/// The caller's standing in a conversation, checked inside the transaction that acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Standing {
    Owner,
    Admin,
    Member,
    /// The app that created the group through `appchat/create` manages it.
    ManagingApp,
    System,
}

impl Standing {
    pub(super) fn is_admin(&self) -> bool {
        !matches!(self, Standing::Member)
    }

    pub(super) fn require(&self, need: Need) -> AppResult<()> {
        match need {
            Need::Member => Ok(()),
            Need::Admin if self.is_admin() => Ok(()),
            Need::Admin => Err(ErrorKind::GroupAdminOnly.into()),
            Need::Owner
                if matches!(
                    self,
                    Standing::Owner | Standing::ManagingApp | Standing::System
                ) =>
            {
                Ok(())
            }
            Need::Owner => Err(ErrorKind::GroupOwnerOnly.into()),
        }
    }
}

async fn standing(tx: &mut Tx, c: &ConvRow, by: &Sender) -> AppResult<Standing> {
    match by {
        Sender::Member { id, .. } => {
            let m = membership_in(tx, c.id(), *id)
                .await?
                .ok_or(ErrorKind::NotConversationMember)?;
            Ok(match Role::parse(&m.role) {
                Role::Owner => Standing::Owner,
                Role::Admin => Standing::Admin,
                Role::Member => Standing::Member,
            })
        }
        Sender::App { id, .. } if c.app_id == Some(*id) && c.kind == "group" => {
            Ok(Standing::ManagingApp)
        }
        Sender::System => Ok(Standing::System),
        _ => Err(ErrorKind::ConversationNotFound.into()),
    }
}

/// A change to one group, written in one transaction and announced from its outbox.
pub(super) struct GroupAction<'a> {
    app: &'a AppState,
    /// What the action writes goes through here.
    pub tx: Tx,
    /// The conversation as the transaction read it.
    pub conv: ConvRow,
    pub by: Sender,
    pub standing: Standing,
    pub now: i64,
}

impl<'a> GroupAction<'a> {
    /// Opens conversation `id` for `actor`: it must exist in their enterprise, be of `kinds` and
    /// active, and the caller's standing in it must meet `need`.
    pub async fn open(
        app: &'a AppState,
        actor: &Actor,
        id: ConvId,
        kinds: Kinds,
        need: Need,
    ) -> AppResult<GroupAction<'a>> {
        let by = sender_of(actor);
        let now = app.now();
        let mut tx = app.db.begin().await?;
        let conv = find_in(&mut tx, actor.corp, id).await?;
        if !kinds.admit(&conv) {
            return Err(ErrorKind::NotInGroupKind.into());
        }
        conv.check_active()?;
        let standing = standing(&mut tx, &conv, &by).await?;
        standing.require(need)?;
        Ok(GroupAction {
            app,
            tx,
            conv,
            by,
            standing,
            now,
        })
    }

    /// Appends system lines to the conversation; they are announced once the action commits.
    pub async fn append(&mut self, events: Vec<NewEvent>) -> AppResult<()> {
        let rows = stream::append(
            &mut self.tx,
            self.conv.corp(),
            self.conv.id(),
            events,
            self.now,
            false,
        )
        .await?;
        self.announce(rows);
        Ok(())
    }

    /// Announces lines appended by a shared helper, once the action commits.
    pub fn announce(&mut self, rows: Vec<EventRow>) {
        fanout::events_after_commit(&mut self.tx, self.app, rows, true);
    }

    /// Tells `members` that their view of the conversation changed (`added`, `removed`), once the
    /// action commits.
    pub fn tell(&mut self, members: Vec<i64>, change: &'static str) {
        fanout::conversation_changed_after_commit(
            &mut self.tx,
            self.app,
            self.conv.id(),
            members,
            change,
        );
    }

    /// The conversation's settings, roles or announcement changed: once the action commits, its
    /// cached roster is forgotten and every member is told to refetch it.
    pub fn updated(&mut self) {
        self.tell_roster(|r| r.members.clone(), true);
    }

    /// Tells the owner and administrators that something waits for them (join requests), once the
    /// action commits.
    pub fn tell_admins(&mut self) {
        self.tell_roster(|r| r.admins.keys().copied().collect(), false);
    }

    /// An `updated` change for those `pick` chooses from the roster as it stands after the commit.
    fn tell_roster(&mut self, pick: fn(&Roster) -> Vec<i64>, forget: bool) {
        let (app, corp, conv) = (self.app.clone(), self.conv.corp(), self.conv.id());
        self.tx.after_commit_await(async move {
            if forget {
                app.chat().roster.forget(conv);
            }
            match app.chat().roster.get_in(&app.db, corp, conv).await {
                Ok(r) => fanout::conversation_changed(&app, conv, pick(&r), "updated").await,
                // The change stands; members see it when they next load the conversation.
                Err(e) => {
                    tracing::warn!(conv = conv.0, error = %e, "cannot announce a change: roster unavailable")
                }
            }
        });
    }

    /// Writes the action, then announces it.
    pub async fn commit(self) -> AppResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// How a system line names who acted.
pub(super) fn who(s: &Sender) -> Value {
    match s {
        Sender::Member { userid, name, .. } => json!({ "userid": userid, "name": name }),
        Sender::App { agentid, name, .. } => json!({ "agentid": agentid, "name": name }),
        Sender::Robot { name, .. } => json!({ "name": name }),
        Sender::System => json!({ "name": "" }),
    }
}

/// How a system line names the members it is about.
pub(super) fn people(rows: &[(i64, String, String)]) -> Value {
    Value::Array(
        rows.iter()
            .map(|(_, u, n)| json!({ "userid": u, "name": n }))
            .collect(),
    )
}
