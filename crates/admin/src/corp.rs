//! Creating an enterprise (the set-up wizard and `qixie init`) and the administration console's
//! catalogue of permissions.
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Permission};
use qixie_kernel::error::{AppResult, ErrorKind, Validator};
use qixie_org::enterprise::{self, CorpRow, SecurityPolicy};
use qixie_org::{founding, member};

/// The set-up wizard's form: the enterprise and its first super administrator.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnterprise {
    pub corp_name: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub size: String,
    #[serde(default)]
    pub admin_name: String,
    pub admin_account: String,
    pub admin_password: String,
}

/// Creates an enterprise with its root department and its creator as super administrator, all or
/// nothing. The creator chose the password, so no forced change follows.
pub async fn create_enterprise(app: &AppState, input: NewEnterprise) -> AppResult<CorpRow> {
    let mut v = Validator::default();
    if let Err(r) = qixie_org::valid_name(&input.corp_name, 64) {
        v.push("corp_name", r);
    }
    let admin_name = if input.admin_name.trim().is_empty() {
        input.admin_account.trim().to_owned()
    } else {
        input.admin_name.trim().to_owned()
    };
    if let Err(r) = qixie_org::valid_name(&admin_name, 64) {
        v.push("admin_name", r);
    }
    if let Err(r) = qixie_org::fields::userid(&input.admin_account) {
        v.push("admin_account", r);
    }
    if v.errors().is_empty()
        && SecurityPolicy::default()
            .check_password(&input.admin_account, &input.admin_password)
            .is_err()
    {
        v.push("admin_password", ErrorKind::WeakPassword);
    }
    v.finish()?;
    let hash = app.hasher.hash(&input.admin_password).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let creator = member::MemberInput {
        userid: Some(input.admin_account.clone()),
        name: Some(admin_name),
        ..Default::default()
    };
    let (corp, corpid, mid) = founding::insert(
        &mut tx,
        input.corp_name.trim(),
        input.industry.trim(),
        input.size.trim(),
        &creator,
        now,
    )
    .await?;
    qixie_identity::credentials::set(&mut tx, app, corp, mid, &hash, false, now).await?;
    let system = Actor::system(corp);
    audit::record(
        &mut tx,
        &system,
        now,
        Entry {
            kind: "corp.create",
            target: format!("corp:{corpid}"),
            before: None,
            after: Some(json!({"name": input.corp_name, "creator": input.admin_account})),
        },
    )
    .await?;
    tx.commit().await?;
    enterprise::get(&app.db, corp).await
}

/// A permission and its label in the caller's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionLabel {
    pub code: &'static str,
    pub label: &'static str,
}

/// Labels of every permission, for the role editor.
pub fn permission_catalogue(lang: qixie_kernel::i18n::Lang) -> Vec<PermissionLabel> {
    Permission::ALL
        .iter()
        .map(|p| PermissionLabel {
            code: p.code(),
            label: p.label(lang),
        })
        .collect()
}
