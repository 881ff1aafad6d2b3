//! Custom apps (自建应用) with an agentid and a secret, the address-book sync secret, and the access
//! tokens they exchange their secrets for. Secrets are shown once and stored only as hashes. An app
//! may have a callback (`callback`): the URL its events go to, checked when saved.
pub mod callback;
pub mod crypto;
pub mod http;

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::json;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, Permission, Scope, perm};
use qixie_kernel::db::{Database, Tx, sql};
use qixie_kernel::error::{AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::ids::{AppId, CorpId, new_id, random_token, sha256_hex};
use qixie_kernel::jobs;
use qixie_kernel::migrate::{Migration, Script};
use qixie_kernel::ser::{join_ids, split_ids, split_list};
use qixie_org::audience::{self, Audience, Selection};

pub struct Apps;

impl qixie_kernel::module::Module for Apps {
    fn name(&self) -> &'static str {
        "apps"
    }
    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }
    fn routes(&self) -> qixie_kernel::http::openapi::ApiRoutes {
        http::routes()
    }
    fn jobs(&self, r: &mut qixie_kernel::jobs::JobRegistry) {
        r.register(
            TOKEN_PURGE_JOB,
            std::sync::Arc::new(|app: AppState, _job| {
                Box::pin(async move {
                    let now = app.now();
                    app.db
                        .exec(sql("DELETE FROM access_tokens WHERE expires_at < $1").bind(now))
                        .await?;
                    jobs::schedule_periodic(&app, TOKEN_PURGE_JOB, HOUR_MS, now + HOUR_MS).await
                })
            }),
        );
    }
    fn start<'a>(
        &'a self,
        app: &'a AppState,
        runs_jobs: bool,
    ) -> qixie_kernel::module::StartFuture<'a> {
        Box::pin(async move {
            if runs_jobs {
                jobs::schedule_periodic(app, TOKEN_PURGE_JOB, HOUR_MS, app.now()).await?;
            }
            Ok(())
        })
    }
}

const MIGRATIONS: &[Migration] = &[Migration {
    version: 14,
    name: "app_callbacks",
    script: Script::Both(include_str!("../migrations/0014_app_callbacks.sql")),
    backfill: None,
}];

/// Removes expired access tokens, every hour.
const TOKEN_PURGE_JOB: &str = "apps.token_purge";
const HOUR_MS: i64 = 3600 * 1000;

pub const TOKEN_TTL_S: i64 = 7200;
const FIRST_AGENTID: i64 = 1_000_002;
/// What an app's token may do: read the directory; also change it; send messages; use WeCom's
/// approval calls (`oa/*`, within its visible range) and hear approvals change at its callback; use
/// WeCom's checkin and vacation calls (`checkin/*`, `oa/vacation/*`, within its visible range).
pub const SCOPES: &[&str] = &[
    "contacts.read",
    "contacts.write",
    "message",
    "approval",
    "attendance",
];

#[derive(Clone, sqlx::FromRow)]
pub struct AppRow {
    pub id: i64,
    pub corp_id: i64,
    pub agentid: i64,
    pub kind: String,
    pub name: String,
    pub description: String,
    pub logo: String,
    pub visible_departments: String,
    pub visible_members: String,
    pub scopes: String,
    pub secret_rotated_at: i64,
    pub created_at: i64,
    /// The callback; empty when the app has none.
    pub callback_url: String,
    pub callback_token: String,
    pub callback_aes_key: String,
}

/// Everything but the callback's keys.
impl std::fmt::Debug for AppRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppRow")
            .field("id", &self.id)
            .field("corp_id", &self.corp_id)
            .field("agentid", &self.agentid)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("visible_departments", &self.visible_departments)
            .field("visible_members", &self.visible_members)
            .field("callback_url", &self.callback_url)
            .finish_non_exhaustive()
    }
}

impl AppRow {
    /// The app's callback, if it has one.
    pub fn callback(&self) -> Option<callback::Target> {
        (!self.callback_url.is_empty()).then(|| callback::Target {
            url: self.callback_url.clone(),
            token: self.callback_token.clone(),
            encoding_aes_key: self.callback_aes_key.clone(),
        })
    }
    pub fn has_scope(&self, scope: &str) -> bool {
        split_list(&self.scopes).iter().any(|s| s == scope)
    }
}

/// The columns every insert names (the callback's start empty).
const INSERT_COLS: &str = "id, corp_id, agentid, kind, name, description, logo, visible_departments, visible_members, scopes, secret_rotated_at, created_at";
const COLS: &str = "id, corp_id, agentid, kind, name, description, logo, visible_departments, visible_members, scopes, secret_rotated_at, created_at, callback_url, callback_token, callback_aes_key";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppView {
    pub agentid: i64,
    pub name: String,
    pub description: String,
    pub logo: String,
    pub visible_department_ids: Vec<i64>,
    pub visible_userids: Vec<String>,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub secret_rotated_at: i64,
    /// Where the app's events go; its EncodingAESKey is never shown.
    pub callback: Option<CallbackView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackView {
    pub url: String,
    pub token: String,
}

impl From<AppRow> for AppView {
    fn from(r: AppRow) -> Self {
        AppView {
            callback: (!r.callback_url.is_empty()).then(|| CallbackView {
                url: r.callback_url.clone(),
                token: r.callback_token.clone(),
            }),
            agentid: r.agentid,
            visible_department_ids: split_ids(&r.visible_departments),
            visible_userids: split_list(&r.visible_members),
            scopes: split_list(&r.scopes),
            name: r.name,
            description: r.description,
            logo: r.logo,
            created_at: r.created_at,
            secret_rotated_at: r.secret_rotated_at,
        }
    }
}

pub async fn list(db: &Database, corp: CorpId) -> AppResult<Vec<AppRow>> {
    Ok(db
        .all(
            sql(format!(
                "SELECT {COLS} FROM apps WHERE corp_id = $1 ORDER BY agentid"
            ))
            .bind(corp),
        )
        .await?)
}

/// (agentid, name) of the given apps, by id: how a conversation names the app it belongs to.
pub async fn labels(
    db: &Database,
    ids: Vec<i64>,
) -> AppResult<std::collections::HashMap<i64, (i64, String)>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(i64, i64, String)> = db
        .all(sql("SELECT id, agentid, name FROM apps WHERE id IN ").push_in(ids))
        .await?;
    Ok(rows.into_iter().map(|(id, a, n)| (id, (a, n))).collect())
}

/// A built-in app (审批 and the apps after it): the sender of a module's notices, with WeCom's
/// agentid for it. Made on first use; it has no secret anyone knows and no API scope.
pub async fn builtin(app: &AppState, corp: CorpId, agentid: i64, name: &str) -> AppResult<AppRow> {
    let find = || {
        sql(format!(
            "SELECT {COLS} FROM apps WHERE corp_id = $1 AND agentid = $2 AND kind = 'builtin'"
        ))
        .bind(corp)
        .bind(agentid)
    };
    if let Some(row) = app.db.opt(find()).await? {
        return Ok(row);
    }
    let now = app.now();
    app.db
        .exec(
            sql(format!("INSERT INTO apps ({INSERT_COLS}, secret_hash) VALUES ($1, $2, $3, 'builtin', $4, '', '', '', '', '', $5, $5, $6) \
                         ON CONFLICT (corp_id, agentid) DO NOTHING"))
            .bind(new_id(now))
            .bind(corp)
            .bind(agentid)
            .bind(name)
            .bind(now)
            .bind(sha256_hex(&random_token(32))),
        )
        .await?;
    app.db
        .opt(find())
        .await?
        .ok_or_else(|| ErrorKind::AppNotFound.into())
}

pub async fn get(db: &Database, corp: CorpId, agentid: i64) -> AppResult<AppRow> {
    db.opt(
        sql(format!(
            "SELECT {COLS} FROM apps WHERE corp_id = $1 AND agentid = $2 AND kind = 'custom'"
        ))
        .bind(corp)
        .bind(agentid),
    )
    .await?
    .ok_or_else(|| ErrorKind::AppNotFound.into())
}

/// A custom app's settings; on update, absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub logo: Option<String>,
    pub visible_department_ids: Option<Vec<i64>>,
    pub visible_userids: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    /// Where the app's events go (WeCom's 接收事件服务器), checked with WeCom's URL check when saved:
    /// the URL must answer a GET with the decrypted `echostr`. `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<CallbackInput>)]
    pub callback: Option<Option<CallbackInput>>,
}

/// An app's callback as an administrator sets it.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackInput {
    /// http or https, ≤ 2,048 characters.
    #[serde(default)]
    pub url: String,
    /// 1–32 letters and digits, for the signature.
    #[serde(default)]
    pub token: String,
    /// 43 characters of base64, for the encryption.
    #[serde(default)]
    pub encoding_aes_key: String,
}

/// A member that is there, even as `null` (`Some(None)`), as opposed to absent (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl std::fmt::Debug for CallbackInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackInput")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl CallbackInput {
    fn target(&self) -> callback::Target {
        callback::Target {
            url: self.url.trim().to_owned(),
            token: self.token.trim().to_owned(),
            encoding_aes_key: self.encoding_aes_key.trim().to_owned(),
        }
    }
}

fn validate_callback(v: &mut Validator, c: &CallbackInput) {
    let t = c.target();
    if t.url.is_empty() {
        v.push("callback.url", FieldReason::Required);
    } else {
        v.check(
            (t.url.starts_with("http://") || t.url.starts_with("https://")) && t.url.len() <= 2048,
            "callback.url",
            FieldReason::Format,
        );
    }
    if t.token.is_empty() {
        v.push("callback.token", FieldReason::Required);
    } else {
        v.check(
            t.token.len() <= 32 && t.token.chars().all(|c| c.is_ascii_alphanumeric()),
            "callback.token",
            FieldReason::Format,
        );
    }
    v.check(
        crypto::MsgCrypt::new(&t.token, &t.encoding_aes_key, "").is_some(),
        "callback.encoding_aes_key",
        FieldReason::Format,
    );
}

/// The callback to save: its URL checked the way WeCom checks one (after the other fields).
async fn checked_callback(
    app: &AppState,
    corp: CorpId,
    input: &AppInput,
) -> AppResult<Option<Option<callback::Target>>> {
    let Some(Some(c)) = &input.callback else {
        return Ok(input.callback.as_ref().map(|_| None));
    };
    let target = c.target();
    let corpid = qixie_org::enterprise::get(&app.db, corp).await?.corpid;
    callback::verify(app, &target, &corpid).await?;
    Ok(Some(Some(target)))
}

fn validate(input: &AppInput, creating: bool) -> AppResult<()> {
    let mut v = Validator::default();
    if (creating || input.name.is_some())
        && let Err(r) = qixie_org::valid_name(input.name.as_deref().unwrap_or(""), 32)
    {
        v.push("name", r);
    }
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 512)
    {
        v.push("description", FieldReason::TooLong);
    }
    if let Some(s) = &input.scopes {
        v.check(
            s.iter().all(|x| SCOPES.contains(&x.as_str())),
            "scopes",
            FieldReason::Unknown,
        );
    }
    if let Some(Some(c)) = &input.callback {
        validate_callback(&mut v, c);
    }
    v.finish()
}

fn snapshot(r: &AppRow) -> serde_json::Value {
    json!({"agentid": r.agentid, "name": r.name, "scopes": r.scopes, "visible_departments": r.visible_departments, "visible_members": r.visible_members, "callback_url": r.callback_url})
}

/// Writes an app's callback (`None`: none).
async fn set_callback(
    tx: &mut Tx,
    app_id: i64,
    target: Option<&callback::Target>,
) -> AppResult<()> {
    let (url, token, key) = match target {
        Some(t) => (
            t.url.as_str(),
            t.token.as_str(),
            t.encoding_aes_key.as_str(),
        ),
        None => ("", "", ""),
    };
    tx.exec(
        sql("UPDATE apps SET callback_url = $1, callback_token = $2, callback_aes_key = $3 WHERE id = $4")
            .bind(url)
            .bind(token)
            .bind(key)
            .bind(app_id),
    )
    .await?;
    Ok(())
}

/// Creates a custom app; returns it with its secret, which is never shown again.
pub async fn create(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AppsManage>,
    input: AppInput,
) -> AppResult<(AppRow, String)> {
    validate(&input, true)?;
    let corp = grant.corp();
    let callback = checked_callback(app, corp, &input).await?.flatten();
    let now = app.now();
    let secret = random_token(32);
    let id = new_id(now);
    let mut tx = app.db.begin().await?;
    let agentid = tx.next_value(corp.0, "agentid", FIRST_AGENTID).await?;
    tx.exec(
        sql(format!("INSERT INTO apps ({INSERT_COLS}, secret_hash) VALUES ($1, $2, $3, 'custom', $4, $5, $6, $7, $8, $9, $10, $10, $11)"))
            .bind(id)
            .bind(corp)
            .bind(agentid)
            .bind(input.name.as_deref().unwrap_or("").trim())
            .bind(input.description.clone().unwrap_or_default())
            .bind(input.logo.clone().unwrap_or_default())
            .bind(join_ids(&input.visible_department_ids.clone().unwrap_or_default()))
            .bind(input.visible_userids.clone().unwrap_or_default().join(","))
            .bind(input.scopes.clone().unwrap_or_default().join(","))
            .bind(now)
            .bind(sha256_hex(&secret)),
    )
    .await?;
    if let Some(target) = &callback {
        set_callback(&mut tx, id, Some(target)).await?;
    }
    let row: AppRow = tx
        .one(
            sql(format!(
                "SELECT {COLS} FROM apps WHERE corp_id = $1 AND agentid = $2 AND kind = 'custom'"
            ))
            .bind(corp)
            .bind(agentid),
        )
        .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "app.create",
            target: format!("app:{agentid}"),
            before: None,
            after: Some(snapshot(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((row, secret))
}

pub async fn update(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AppsManage>,
    agentid: i64,
    input: AppInput,
) -> AppResult<AppRow> {
    validate(&input, false)?;
    let corp = grant.corp();
    let before = get(&app.db, corp, agentid).await?;
    let callback = checked_callback(app, corp, &input).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("UPDATE apps SET name = $1, description = $2, logo = $3, visible_departments = $4, visible_members = $5, scopes = $6 WHERE id = $7")
            .bind(input.name.as_deref().map(str::trim).unwrap_or(&before.name))
            .bind(input.description.clone().unwrap_or(before.description.clone()))
            .bind(input.logo.clone().unwrap_or(before.logo.clone()))
            .bind(input.visible_department_ids.as_ref().map(|v| join_ids(v)).unwrap_or(before.visible_departments.clone()))
            .bind(input.visible_userids.as_ref().map(|v| v.join(",")).unwrap_or(before.visible_members.clone()))
            .bind(input.scopes.as_ref().map(|v| v.join(",")).unwrap_or(before.scopes.clone()))
            .bind(before.id),
    )
    .await?;
    if let Some(target) = &callback {
        set_callback(&mut tx, before.id, target.as_ref()).await?;
    }
    let after: AppRow = tx
        .one(sql(format!("SELECT {COLS} FROM apps WHERE id = $1")).bind(before.id))
        .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "app.update",
            target: format!("app:{agentid}"),
            before: Some(snapshot(&before)),
            after: Some(snapshot(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AppsManage>,
    agentid: i64,
) -> AppResult<()> {
    let corp = grant.corp();
    let before = get(&app.db, corp, agentid).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    tx.exec(sql("DELETE FROM apps WHERE id = $1").bind(before.id))
        .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "app.delete",
            target: format!("app:{agentid}"),
            before: Some(snapshot(&before)),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new secret for a custom app; the old one and its tokens stop working at once.
pub async fn rotate_secret(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AppsManage>,
    agentid: i64,
) -> AppResult<String> {
    let corp = grant.corp();
    let row = get(&app.db, corp, agentid).await?;
    let secret = random_token(32);
    let now = app.now();
    let mut tx = app.db.begin().await?;
    replace_secret(&mut tx, row.id, &secret, now).await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "app.secret_rotated",
            target: format!("app:{agentid}"),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// Stores the hash of a new secret; the old secret and every token issued for it stop working.
async fn replace_secret(tx: &mut Tx, app_id: i64, secret: &str, now: i64) -> AppResult<()> {
    tx.exec(
        sql("UPDATE apps SET secret_hash = $1, secret_rotated_at = $2 WHERE id = $3")
            .bind(sha256_hex(secret))
            .bind(now)
            .bind(app_id),
    )
    .await?;
    tx.exec(sql("DELETE FROM access_tokens WHERE app_id = $1").bind(app_id))
        .await?;
    Ok(())
}

/// The custom apps of an enterprise with a callback and `scope`: who hears an event.
pub async fn with_callback(db: &Database, corp: CorpId, scope: &str) -> AppResult<Vec<AppRow>> {
    let rows: Vec<AppRow> = db
        .all(
            sql(format!(
                "SELECT {COLS} FROM apps WHERE corp_id = $1 AND kind = 'custom' AND callback_url <> '' ORDER BY agentid"
            ))
            .bind(corp),
        )
        .await?;
    Ok(rows.into_iter().filter(|r| r.has_scope(scope)).collect())
}

pub async fn contacts_sync(db: &Database, corp: CorpId) -> AppResult<Option<AppRow>> {
    Ok(db
        .opt(
            sql(format!(
                "SELECT {COLS} FROM apps WHERE corp_id = $1 AND kind = 'contacts_sync'"
            ))
            .bind(corp),
        )
        .await?)
}

/// Creates or rotates the address-book sync secret (通讯录同步 secret), which acts on the whole
/// address book.
pub async fn rotate_contacts_sync(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AppsManage>,
) -> AppResult<String> {
    let corp = grant.corp();
    let secret = random_token(32);
    let now = app.now();
    let existing = contacts_sync(&app.db, corp).await?;
    let mut tx = app.db.begin().await?;
    match existing {
        Some(row) => {
            replace_secret(&mut tx, row.id, &secret, now).await?;
        }
        None => {
            tx.exec(
                sql(format!("INSERT INTO apps ({INSERT_COLS}, secret_hash) VALUES ($1, $2, 0, 'contacts_sync', '通讯录同步', '', '', '', '', 'contacts.read,contacts.write', $3, $3, $4)"))
                    .bind(new_id(now))
                    .bind(corp)
                    .bind(now)
                    .bind(sha256_hex(&secret)),
            )
            .await?;
        }
    }
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "app.contacts_sync_secret_rotated",
            target: "app:contacts_sync".into(),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// `gettoken`: exchanges (corpid, secret) for an access token valid two hours.
pub async fn issue_token(app: &AppState, corpid: &str, secret: &str) -> AppResult<(String, i64)> {
    let corp = qixie_org::enterprise::find_by_corpid(&app.db, corpid)
        .await?
        .ok_or(ErrorKind::InvalidCorp)?;
    let row: AppRow = app
        .db
        .opt(
            sql(format!(
                "SELECT {COLS} FROM apps WHERE corp_id = $1 AND secret_hash = $2"
            ))
            .bind(corp.id)
            .bind(sha256_hex(secret.trim())),
        )
        .await?
        .ok_or(ErrorKind::InvalidSecret)?;
    let token = random_token(48);
    let now = app.now();
    app.db
        .exec(sql("INSERT INTO access_tokens (token_hash, corp_id, app_id, expires_at) VALUES ($1, $2, $3, $4)").bind(sha256_hex(&token)).bind(corp.id).bind(row.id).bind(now + TOKEN_TTL_S * 1000))
        .await?;
    Ok((token, TOKEN_TTL_S))
}

/// The app behind an access token, as an actor: its scopes become permissions, its visible range the
/// scope. 40014 for an unknown token, 42001 for an expired one.
pub async fn actor_for_token(app: &AppState, token: &str) -> AppResult<(Actor, AppRow)> {
    if token.is_empty() {
        return Err(ErrorKind::MissingToken.into());
    }
    let found: Option<(i64, i64)> = app
        .db
        .opt(
            sql("SELECT app_id, expires_at FROM access_tokens WHERE token_hash = $1")
                .bind(sha256_hex(token)),
        )
        .await?;
    let (app_id, expires_at) = found.ok_or(ErrorKind::InvalidToken)?;
    if expires_at <= app.now() {
        return Err(ErrorKind::TokenExpired.into());
    }
    actor_for_app(app, app_id)
        .await?
        .ok_or_else(|| ErrorKind::InvalidToken.into())
}

/// An app as an actor with its current rights, or None when it is gone. Also used by work an app
/// queued (WeCom batch jobs), so the job acts with the rights the app has when it runs.
/// The departments an app manages through the contacts API: its visible departments with their
/// subtrees. Members named one by one in the visible range are reached by messages but give no
/// management rights; only an app without any visible range (and the contacts-sync app) covers the
/// whole enterprise.
async fn management_scope(db: &Database, row: &AppRow) -> AppResult<Scope> {
    let depts = split_ids(&row.visible_departments);
    if row.kind == "contacts_sync" || (depts.is_empty() && row.visible_members.trim().is_empty()) {
        return Ok(Scope::All);
    }
    let paths = qixie_org::department::paths_of(db, CorpId(row.corp_id), depts).await?;
    Ok(Scope::Subtrees(paths))
}

/// The members of `sel` an app reaches with messages and group chats: those inside its visible range
/// (visible departments with their subtrees, and members named one by one); the rest are reported as
/// invalid, as WeCom reports them.
pub async fn reach(db: &Database, row: &AppRow, sel: &Selection) -> AppResult<Audience> {
    let corp = CorpId(row.corp_id);
    let named: HashSet<String> = split_list(&row.visible_members).into_iter().collect();
    let scope = management_scope(db, row).await?;
    if scope == Scope::All {
        return audience::resolve(db, corp, sel, &Scope::All).await;
    }
    let mut out = audience::resolve(db, corp, sel, &scope).await?;
    if !named.is_empty() {
        let everyone = audience::resolve(db, corp, sel, &Scope::All).await?;
        let mut members: BTreeMap<i64, (String, String)> = out
            .members
            .into_iter()
            .map(|(id, u, n)| (id, (u, n)))
            .collect();
        for (id, u, n) in everyone.members {
            if named.contains(&u) {
                members.insert(id, (u, n));
            }
        }
        out.members = members.into_iter().map(|(id, (u, n))| (id, u, n)).collect();
        out.invalid_users
            .retain(|u| !out.members.iter().any(|(_, x, _)| x == u));
    }
    Ok(out)
}

pub async fn actor_for_app(app: &AppState, app_id: i64) -> AppResult<Option<(Actor, AppRow)>> {
    let Some(row) = app
        .db
        .opt::<AppRow>(sql(format!("SELECT {COLS} FROM apps WHERE id = $1")).bind(app_id))
        .await?
    else {
        return Ok(None);
    };
    let corp = CorpId(row.corp_id);
    let scopes = split_list(&row.scopes);
    let mut perms = Vec::new();
    if scopes.iter().any(|s| s == "contacts.write") {
        perms.extend([Permission::ContactsManage, Permission::ContactsImport]);
    }
    // WeCom's approval calls read and submit approvals within the app's visible range.
    if scopes.iter().any(|s| s == "approval") {
        perms.push(Permission::ApprovalsManage);
    }
    // WeCom's checkin and vacation calls read and write attendance within the app's visible range.
    if scopes.iter().any(|s| s == "attendance") {
        perms.push(Permission::AttendanceManage);
    }
    let scope = management_scope(&app.db, &row).await?;
    let read = scopes
        .iter()
        .any(|s| s == "contacts.read" || s == "contacts.write");
    Ok(Some((
        Actor::app(
            corp,
            AppId(row.id),
            row.agentid,
            row.name.clone(),
            perms,
            scope,
            read,
        ),
        row,
    )))
}
