//! Bulk import of members from an HR export, and export back out.
//!
//! Everything happens in one transaction that commits only when the administrator's choice allows:
//! "apply the valid rows", or "apply nothing unless all are valid". A dry run never commits. Checks
//! that could fail inside the database (unique mobile, scope, leaders) are made before any write, so a
//! bad row is reported instead of aborting the transaction.
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::department::{self, DeptRow};
use super::member::bulk::{ImportRow, NewImported, insert_many, set_leaders, upsert};
use super::sheet::{self, ImportRecord};
use super::tree_cache::TreeCache;
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, AdminRank, Grant, Perm, perm};
use qixie_kernel::db::{Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::{CorpId, MemberId, new_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    #[default]
    ValidRows,
    AllOrNothing,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RowProblem {
    pub row: usize,
    pub field: String,
    pub reason: FieldReason,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub total: usize,
    pub valid: usize,
    pub invalid: usize,
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub departments_created: usize,
    pub errors: Vec<RowProblem>,
}

struct Existing {
    id: i64,
}

/// An import's rows, one at a time; a file is read twice (see [`run_source`]), so each call starts
/// from the top again.
pub type Rows<'a> =
    Box<dyn Iterator<Item = Result<sheet::SheetRow, sheet::SheetError>> + Send + 'a>;

/// New and updated members are written this many at a time: what the import holds at once.
const CHUNK: usize = 2000;

/// Parses, validates and (unless told otherwise) applies an import file.
pub async fn run(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsImport>,
    filename: &str,
    bytes: &[u8],
    mode: ImportMode,
    dry_run: bool,
) -> AppResult<ImportReport> {
    let limits = app.config.upload_limits;
    let open = || -> Result<Rows<'_>, sheet::SheetError> {
        Ok(Box::new(sheet::import_rows(filename, bytes, &limits)?))
    };
    run_source(app, actor, grant, filename, &open, mode, dry_run).await
}

/// Validates and applies rows already read from a file (the WeCom batch jobs rewrite department ids
/// into paths first).
pub async fn run_rows(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsImport>,
    filename: &str,
    rows: Vec<sheet::SheetRow>,
    mode: ImportMode,
    dry_run: bool,
) -> AppResult<ImportReport> {
    let open =
        || -> Result<Rows<'_>, sheet::SheetError> { Ok(Box::new(rows.iter().cloned().map(Ok))) };
    run_source(app, actor, grant, filename, &open, mode, dry_run).await
}

/// A file that cannot be read, or is over a limit, as the client's error.
fn file_error(e: sheet::SheetError) -> AppError {
    tracing::info!(error = %e, "import file rejected");
    e.to_app_error()
}

/// Validates and applies the rows `open` gives, streaming: the rows are read once to learn which
/// userids the file has (a leader may be a later row), then again to write them in chunks, so what
/// is held at once is a chunk of rows and the per-member lookup tables, not the whole file.
pub async fn run_source<'r>(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsImport>,
    filename: &str,
    open: &(dyn Fn() -> Result<Rows<'r>, sheet::SheetError> + Sync),
    mode: ImportMode,
    dry_run: bool,
) -> AppResult<ImportReport> {
    let mut total = 0usize;
    let mut file_userids: HashSet<String> = HashSet::new();
    {
        let mut v = sheet::RowValidator::default();
        for r in open().map_err(file_error)? {
            total += 1;
            if let Ok(rec) = v.check(r.map_err(file_error)?) {
                file_userids.insert(rec.userid);
            }
        }
    }
    let mut errors: Vec<RowProblem> = Vec::new();
    let corp = grant.corp();
    let now = app.now();
    let mut tx = app.db.begin().await?;
    // Members, memberships and departments may all change: the cached tree goes at commit.
    TreeCache::of(app).invalidate_after_commit(&mut tx, corp);
    // A large import writes B-trees (members, memberships, search terms) far bigger than the
    // writer's usual page cache: a larger one for this transaction. It is set back, and the memory
    // handed back, below.
    let big = file_userids.len() >= 2000 && tx.widen_cache(IMPORT_CACHE_KIB).await?;
    let result = apply(&mut tx, grant, corp, open, file_userids, &mut errors, now).await;
    let report = match result {
        Ok(outcome) => {
            finish(
                app, actor, filename, tx, outcome, errors, total, mode, dry_run, now,
            )
            .await
        }
        Err(e) => Err(e),
    };
    if big {
        app.db.reset_writer_cache().await?;
        qixie_kernel::password::release_free_memory();
    }
    report
}

/// The page cache of a large import's transaction (SQLite), in KiB.
const IMPORT_CACHE_KIB: u32 = 32_768;

#[allow(clippy::too_many_arguments)]
async fn finish(
    app: &AppState,
    actor: &Actor,
    filename: &str,
    mut tx: Tx,
    outcome: Outcome,
    mut errors: Vec<RowProblem>,
    total: usize,
    mode: ImportMode,
    dry_run: bool,
    now: i64,
) -> AppResult<ImportReport> {
    errors.sort_by(|a, b| (a.row, &a.field).cmp(&(b.row, &b.field)));
    let invalid_rows: HashSet<usize> = errors.iter().map(|e| e.row).collect();
    let mut report = ImportReport {
        total,
        invalid: invalid_rows.len(),
        valid: total - invalid_rows.len(),
        created: outcome.created,
        updated: outcome.updated,
        departments_created: outcome.departments_created,
        errors,
        applied: false,
    };
    let commit = !dry_run
        && (mode == ImportMode::ValidRows || report.invalid == 0)
        && report.created + report.updated > 0;
    if commit {
        audit::record(&mut tx, actor, now, Entry {
            kind: "member.import",
            target: format!("import:{filename}"),
            before: None,
            after: Some(json!({"created": report.created, "updated": report.updated, "departments_created": report.departments_created,
                               "invalid_rows": report.invalid, "userids": outcome.userids.iter().take(1000).collect::<Vec<_>>()})),
        })
        .await?;
        tx.commit().await?;
        report.applied = true;
        refresh_statistics(app);
    } else if !dry_run && mode == ImportMode::AllOrNothing && report.invalid > 0 {
        // Dropping the transaction rolls back; the report still says what would have happened.
        report.applied = false;
    }
    Ok(report)
}

/// The planner's statistics after a bulk change, in the background: the import has committed.
pub fn refresh_statistics(app: &AppState) {
    let db = app.db.clone();
    tokio::spawn(async move {
        let tables = [
            "members",
            "member_departments",
            "member_terms",
            "member_tags",
            "departments",
            "tags",
        ];
        if let Err(e) = db.after_bulk_load(&tables).await {
            tracing::warn!(error = %e, "refreshing statistics after an import failed");
        }
    });
}

#[derive(Default)]
struct Outcome {
    created: usize,
    updated: usize,
    departments_created: usize,
    userids: Vec<String>,
}

async fn apply<'r, P: Perm>(
    tx: &mut Tx,
    grant: &Grant<P>,
    corp: CorpId,
    open: &(dyn Fn() -> Result<Rows<'r>, sheet::SheetError> + Sync),
    file_userids: HashSet<String>,
    errors: &mut Vec<RowProblem>,
    now: i64,
) -> AppResult<Outcome> {
    let mut im = Importer::load(tx, corp, file_userids).await?;
    let mut validator = sheet::RowValidator::default();
    let mut chunk: Vec<ImportRecord> = Vec::with_capacity(CHUNK);
    for r in open().map_err(file_error)? {
        match validator.check(r.map_err(file_error)?) {
            Ok(rec) => chunk.push(rec),
            Err(row_errors) => errors.extend(row_errors.into_iter().map(|e| RowProblem {
                row: e.row,
                field: e.field,
                reason: e.reason,
            })),
        }
        if chunk.len() >= CHUNK {
            im.apply_chunk(tx, grant, corp, &chunk, errors, now).await?;
            chunk.clear();
        }
    }
    im.apply_chunk(tx, grant, corp, &chunk, errors, now).await?;
    drop(chunk);
    // Leaders that were not yet written when their members were: later rows of the file, and the
    // leaders of updated members.
    let pairs: Vec<(i64, i64)> = im
        .leaders
        .iter()
        .filter_map(|(userid, leader)| {
            Some((im.by_userid.get(userid)?.id, im.by_userid.get(leader)?.id))
        })
        .collect();
    set_leaders(tx, corp, &pairs).await?;
    Ok(im.out)
}

/// What an import looks up for every row: the enterprise's departments, members and tags as they
/// stand, and as the rows written so far changed them.
struct Importer {
    root: DeptRow,
    by_parent_name: HashMap<(i64, String), DeptRow>,
    by_userid: HashMap<String, Existing>,
    mobile_owner: HashMap<String, String>,
    email_owner: HashMap<String, String>,
    existing_paths: HashMap<i64, Vec<String>>,
    /// Administrators' roles: the file cannot change one the importer does not outrank.
    ranks: HashMap<i64, AdminRank>,
    tag_ids: HashMap<String, i64>,
    /// Userids of the file's valid rows: a leader may be a row further down.
    file_userids: HashSet<String>,
    /// (member, leader) userids to link once every row is written.
    leaders: Vec<(String, String)>,
    out: Outcome,
}

/// Userids kept for the audit entry of an import.
const AUDIT_USERIDS: usize = 1000;

impl Importer {
    async fn load(tx: &mut Tx, corp: CorpId, file_userids: HashSet<String>) -> AppResult<Importer> {
        let depts: Vec<DeptRow> = tx.all(sql("SELECT id, parent_id, name, name_en, ord, path FROM departments WHERE corp_id = $1").bind(corp)).await?;
        let root = depts
            .iter()
            .find(|d| d.id == department::ROOT)
            .cloned()
            .ok_or(ErrorKind::DepartmentNotFound)?;
        let by_parent_name: HashMap<(i64, String), DeptRow> = depts
            .into_iter()
            .filter_map(|d| d.parent_id.map(|p| ((p, d.name.clone()), d)))
            .collect();
        let members: Vec<(i64, String, Option<String>, Option<String>)> = tx
            .all(sql("SELECT id, userid, mobile, email FROM members WHERE corp_id = $1").bind(corp))
            .await?;
        let mut by_userid: HashMap<String, Existing> = HashMap::new();
        let mut mobile_owner: HashMap<String, String> = HashMap::new();
        let mut email_owner: HashMap<String, String> = HashMap::new();
        for (id, userid, mobile, email) in members {
            if let Some(m) = mobile {
                mobile_owner.insert(m, userid.clone());
            }
            if let Some(e) = email {
                email_owner.insert(e, userid.clone());
            }
            by_userid.insert(userid, Existing { id });
        }
        let mut existing_paths: HashMap<i64, Vec<String>> = HashMap::new();
        for (mid, path) in tx
            .all::<(i64, String)>(sql("SELECT md.member_id, d.path FROM member_departments md JOIN departments d ON d.corp_id = md.corp_id AND d.id = md.department_id WHERE md.corp_id = $1").bind(corp))
            .await?
        {
            existing_paths.entry(mid).or_default().push(path);
        }
        let tags: Vec<(i64, String)> = tx
            .all(sql("SELECT id, name FROM tags WHERE corp_id = $1").bind(corp))
            .await?;
        let ranks = crate::grants::ranks_in(tx, corp).await?;
        Ok(Importer {
            root,
            by_parent_name,
            by_userid,
            mobile_owner,
            email_owner,
            existing_paths,
            ranks,
            tag_ids: tags.into_iter().map(|(i, n)| (n, i)).collect(),
            file_userids,
            leaders: Vec::new(),
            out: Outcome::default(),
        })
    }

    async fn apply_chunk<P: Perm>(
        &mut self,
        tx: &mut Tx,
        grant: &Grant<P>,
        corp: CorpId,
        records: &[ImportRecord],
        errors: &mut Vec<RowProblem>,
        now: i64,
    ) -> AppResult<()> {
        let mut fresh: Vec<(Option<String>, NewImported)> = Vec::new();
        for rec in records {
            let mut problems: Vec<(&str, FieldReason)> = Vec::new();
            // Conflicts with other members' mobile or email.
            if let Some(m) = &rec.mobile
                && self.mobile_owner.get(m).is_some_and(|u| u != &rec.userid)
            {
                problems.push(("mobile", FieldReason::Exists));
            }
            if let Some(e) = &rec.email
                && self.email_owner.get(e).is_some_and(|u| u != &rec.userid)
            {
                problems.push(("email", FieldReason::Exists));
            }
            if let Some(l) = &rec.leader {
                if l == &rec.userid {
                    problems.push(("leader", FieldReason::SelfRef));
                } else if !self.by_userid.contains_key(l) && !self.file_userids.contains(l.as_str())
                {
                    problems.push(("leader", FieldReason::NotFound));
                } else if let Some(e) = self.by_userid.get(l)
                    && !self.file_userids.contains(l.as_str())
                    && !grant_covers(
                        grant,
                        self.existing_paths
                            .get(&e.id)
                            .map(Vec::as_slice)
                            .unwrap_or(&[]),
                    )
                {
                    problems.push(("leader", FieldReason::OutOfScope));
                }
            }
            let existing = self.by_userid.get(&rec.userid).map(|e| e.id);
            if let Some(id) = existing
                && !grant_covers(
                    grant,
                    self.existing_paths
                        .get(&id)
                        .map(Vec::as_slice)
                        .unwrap_or(&[]),
                )
            {
                problems.push(("userid", FieldReason::OutOfScope));
            } else if let Some(id) = existing
                && grant
                    .check_outranks(MemberId(id), self.ranks.get(&id))
                    .is_err()
            {
                problems.push(("userid", FieldReason::OutranksYou));
            }
            // Resolve department paths, creating missing departments only under parents in scope.
            let mut dept_ids = Vec::new();
            for path in &rec.department_paths {
                let mut comps: &[String] = path;
                if comps.first().is_some_and(|c| c == &self.root.name) {
                    comps = &comps[1..];
                }
                let mut cur = self.root.clone();
                let mut ok = true;
                for name in comps {
                    let key = (cur.id, name.clone());
                    cur = match self.by_parent_name.get(&key) {
                        Some(d) => d.clone(),
                        None => {
                            if grant.check_path(&cur.path).is_err() {
                                ok = false;
                                break;
                            }
                            let d = department::insert(tx, corp, &cur, name, "", None, None, now)
                                .await?;
                            self.out.departments_created += 1;
                            self.by_parent_name.insert(key, d.clone());
                            d
                        }
                    };
                }
                if !ok || grant.check_path(&cur.path).is_err() {
                    problems.push(("departments", FieldReason::OutOfScope));
                    break;
                }
                if !dept_ids.contains(&cur.id) {
                    dept_ids.push(cur.id);
                }
            }
            if !problems.is_empty() {
                errors.extend(problems.into_iter().map(|(f, r)| RowProblem {
                    row: rec.row,
                    field: f.into(),
                    reason: r,
                }));
                continue;
            }
            let mut ids_of_tags = Vec::new();
            for t in &rec.tags {
                let id = match self.tag_ids.get(t) {
                    Some(i) => *i,
                    None => {
                        let i = super::tag::next_tag_id(tx, corp).await?;
                        tx.exec(sql("INSERT INTO tags (corp_id, id, name, created_at) VALUES ($1, $2, $3, $4)").bind(corp).bind(i).bind(t).bind(now)).await?;
                        self.tag_ids.insert(t.clone(), i);
                        i
                    }
                };
                ids_of_tags.push(id);
            }
            let row = ImportRow {
                userid: rec.userid.clone(),
                name: rec.name.clone(),
                alias: rec.alias.clone(),
                employee_no: rec.employee_no.clone(),
                mobile: rec.mobile.clone(),
                email: rec.email.clone(),
                position: rec.position.clone(),
                gender: rec.gender.clone(),
                telephone: rec.telephone.clone(),
                department_ids: dept_ids,
                // Leaders are linked once they are known: the leader may be a later row.
                leader_userid: None,
                tag_ids: ids_of_tags,
            };
            let id = match existing {
                Some(id) => {
                    upsert(tx, grant, &row, Some(id), now).await?;
                    self.out.updated += 1;
                    if let Some(l) = &rec.leader {
                        self.leaders.push((rec.userid.clone(), l.clone()));
                    }
                    id
                }
                None => {
                    // New members are written together at the end of the chunk, with their leader
                    // when it is known by then.
                    let id = new_id(now);
                    fresh.push((
                        rec.leader.clone(),
                        NewImported {
                            id,
                            row,
                            leader_id: None,
                        },
                    ));
                    self.out.created += 1;
                    id
                }
            };
            if let Some(m) = &rec.mobile {
                self.mobile_owner.insert(m.clone(), rec.userid.clone());
            }
            if let Some(e) = &rec.email {
                self.email_owner.insert(e.clone(), rec.userid.clone());
            }
            self.by_userid.insert(rec.userid.clone(), Existing { id });
            if self.out.userids.len() < AUDIT_USERIDS {
                self.out.userids.push(rec.userid.clone());
            }
        }
        let fresh: Vec<NewImported> = fresh
            .into_iter()
            .map(|(leader, mut n)| {
                if let Some(l) = leader {
                    n.leader_id = self.by_userid.get(&l).map(|e| e.id);
                    if n.leader_id.is_none() {
                        self.leaders.push((n.row.userid.clone(), l));
                    }
                }
                n
            })
            .collect();
        insert_many(tx, corp, &fresh, now).await?;
        Ok(())
    }
}

fn grant_covers<P: Perm>(grant: &Grant<P>, paths: &[String]) -> bool {
    grant.check_member_paths(paths).is_ok()
}

/// All members in the grant's scope as export rows.
pub async fn export_rows<P: Perm>(
    app: &AppState,
    grant: &Grant<P>,
) -> AppResult<Vec<sheet::ExportRow>> {
    let corp = grant.corp();
    let depts: HashMap<i64, DeptRow> = department::all_rows(&app.db, corp)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let filter = super::member::ListFilter {
        limit: Some(10_000),
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let f = super::member::ListFilter {
            offset: Some(offset),
            ..filter_clone(&filter)
        };
        let (page, total) = super::member::list(&app.db, &grant.reads(), &f).await?;
        let n = page.len() as i64;
        for m in page {
            out.push(sheet::ExportRow {
                departments: m
                    .departments
                    .iter()
                    .map(|d| department::display_path(&depts, d.id))
                    .collect::<Vec<_>>()
                    .join(";"),
                gender: match m.gender.as_str() {
                    "1" => "男".into(),
                    "2" => "女".into(),
                    _ => String::new(),
                },
                tags: m
                    .tags
                    .iter()
                    .map(|t| t.name.clone())
                    .collect::<Vec<_>>()
                    .join(";"),
                status: m.status.as_str().into(),
                name: m.name,
                userid: m.userid,
                employee_no: m.employee_no,
                mobile: m.mobile,
                email: m.email,
                position: m.position,
                leader: m.leader_userid,
            });
        }
        offset += n;
        if n == 0 || offset >= total {
            break;
        }
    }
    Ok(out)
}

fn filter_clone(f: &super::member::ListFilter) -> super::member::ListFilter {
    super::member::ListFilter {
        limit: f.limit,
        ..Default::default()
    }
}
