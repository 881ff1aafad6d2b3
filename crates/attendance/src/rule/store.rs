//! Rules in the database, and which rule a member follows. A rule's body is one JSON column; whom
//! it covers is `attendance_rule_targets` by id (a member's userid may change). The enterprise's
//! rules and targets are cached per node and forgotten when any rule changes (on every node, through
//! `AttendanceRulesChanged`); membership itself (departments, tags) is read per question.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Scope};
use qixie_kernel::db::{Database, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::events::DomainEvent;
use qixie_kernel::ids::{CorpId, new_id};
use qixie_org::people::{self, Person};

use super::{Rule, RuleInput, RuleKind, Targets, check};

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: i64,
    group_id: i64,
    body: String,
    app_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

/// An enterprise's rules with whom each covers, by id.
#[derive(Default)]
pub struct CorpRules {
    pub rules: Vec<Arc<Rule>>,
    /// The app that made each rule through WeCom's API.
    pub app_of: HashMap<i64, i64>,
    members: HashMap<i64, i64>,
    tags: HashMap<i64, i64>,
    departments: HashMap<i64, i64>,
    excluded: HashSet<i64>,
}

impl CorpRules {
    pub fn get(&self, pk: i64) -> Option<&Arc<Rule>> {
        self.rules.iter().find(|r| r.pk() == pk)
    }

    /// The rule a member follows: the one naming them, else one of their tags' (the lowest tag id
    /// first), else their nearest department's (the main department's line first); none when a
    /// rule leaves them out.
    pub fn rule_for(&self, person: &Person) -> Option<&Arc<Rule>> {
        if self.excluded.contains(&person.id) {
            return None;
        }
        let pk =
            self.members
                .get(&person.id)
                .or_else(|| person.tags.iter().find_map(|t| self.tags.get(t)))
                .or_else(|| {
                    person.departments.iter().find_map(|(_, path)| {
                        ancestors(path).find_map(|d| self.departments.get(&d))
                    })
                })?;
        self.get(*pk)
    }
}

/// Department ids of a materialised path, nearest first: "/1/4/9/" → 9, 4, 1.
fn ancestors(path: &str) -> impl Iterator<Item = i64> + '_ {
    path.rsplit('/').filter_map(|p| p.parse().ok())
}

/// The node's cache of each enterprise's rules.
#[derive(Default)]
pub struct RuleCache {
    corps: RwLock<HashMap<i64, Arc<CorpRules>>>,
}

impl RuleCache {
    pub fn forget(&self, corp: CorpId) {
        if let Ok(mut m) = self.corps.write() {
            m.remove(&corp.0);
        }
    }
}

/// The enterprise's rules, from the cache or read once.
pub async fn corp_rules(app: &AppState, corp: CorpId) -> AppResult<Arc<CorpRules>> {
    let cache = app.runtime::<RuleCache>();
    if let Some(c) = cache
        .corps
        .read()
        .ok()
        .and_then(|m| m.get(&corp.0).cloned())
    {
        return Ok(c);
    }
    let loaded = Arc::new(load(&app.db, corp).await?);
    if let Ok(mut m) = cache.corps.write() {
        m.insert(corp.0, loaded.clone());
    }
    Ok(loaded)
}

async fn load(db: &Database, corp: CorpId) -> AppResult<CorpRules> {
    let rows: Vec<RuleRow> = db
        .all(
            sql("SELECT id, group_id, body, app_id, created_at, updated_at FROM attendance_rules WHERE corp_id = $1 ORDER BY group_id")
                .bind(corp),
        )
        .await?;
    let targets: Vec<(i64, String, i64)> = db
        .all(
            sql("SELECT rule_id, kind, target_id FROM attendance_rule_targets WHERE corp_id = $1 ORDER BY rule_id, kind, target_id")
                .bind(corp),
        )
        .await?;
    let ids: Vec<i64> = targets
        .iter()
        .filter(|(_, k, _)| k == "member" || k == "excluded")
        .map(|(_, _, id)| *id)
        .collect();
    let cards = qixie_org::member::lookup::cards(db, corp, &ids).await?;
    let userid = |id: &i64| cards.get(id).map(|c| c.userid.clone());
    let mut out = CorpRules::default();
    let mut by_rule: HashMap<i64, Targets> = HashMap::new();
    for (rule, kind, id) in &targets {
        let t = by_rule.entry(*rule).or_default();
        match kind.as_str() {
            "department" => {
                t.department_ids.push(*id);
                out.departments.entry(*id).or_insert(*rule);
            }
            "tag" => {
                t.tag_ids.push(*id);
                out.tags.entry(*id).or_insert(*rule);
            }
            "member" => {
                t.userids.extend(userid(id));
                out.members.entry(*id).or_insert(*rule);
            }
            _ => {
                t.excluded_userids.extend(userid(id));
                out.excluded.insert(*id);
            }
        }
    }
    for row in rows {
        let mut input: RuleInput = serde_json::from_str(&row.body).map_err(AppError::internal)?;
        input.targets = by_rule.remove(&row.id).unwrap_or_default();
        if let Some(a) = row.app_id {
            out.app_of.insert(row.id, a);
        }
        out.rules.push(Arc::new(Rule {
            id: row.id.to_string(),
            group_id: row.group_id,
            input,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }));
    }
    Ok(out)
}

/// The rule a member follows, if any.
pub async fn rule_of(
    app: &AppState,
    corp: CorpId,
    person: &Person,
) -> AppResult<Option<Arc<Rule>>> {
    Ok(corp_rules(app, corp).await?.rule_for(person).cloned())
}

/// One rule; 404 for an unknown id.
pub async fn get(app: &AppState, corp: CorpId, pk: i64) -> AppResult<Arc<Rule>> {
    corp_rules(app, corp)
        .await?
        .get(pk)
        .cloned()
        .ok_or_else(|| ErrorKind::AttendanceRuleNotFound.into())
}

/// Target ids resolved from the input, each unknown one named by its field.
struct TargetIds {
    departments: Vec<(i64, String)>,
    members: Vec<(i64, Vec<String>)>,
    tags: Vec<i64>,
    excluded: Vec<(i64, Vec<String>)>,
}

impl TargetIds {
    fn all_paths(&self) -> impl Iterator<Item = &String> {
        self.departments
            .iter()
            .map(|(_, p)| p)
            .chain(self.members.iter().flat_map(|(_, p)| p))
            .chain(self.excluded.iter().flat_map(|(_, p)| p))
    }
}

async fn member_targets(
    db: &Database,
    corp: CorpId,
    v: &mut Validator,
    field: &str,
    userids: &[String],
) -> AppResult<Vec<(i64, Vec<String>)>> {
    let ids = people::ids_of(db, corp, userids).await?;
    let mut out = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        match id {
            Some(id) => {
                let paths = match people::person(db, corp, qixie_kernel::ids::MemberId(id)).await? {
                    Some(p) => p.departments.into_iter().map(|(_, path)| path).collect(),
                    None => Vec::new(),
                };
                out.push((id, paths));
            }
            None => v.push(&format!("targets.{field}.{i}"), FieldReason::NotFound),
        }
    }
    Ok(out)
}

async fn resolve_targets(
    db: &Database,
    corp: CorpId,
    t: &Targets,
    v: &mut Validator,
) -> AppResult<TargetIds> {
    let paths = people::department_paths(db, corp, &t.department_ids).await?;
    let mut departments = Vec::new();
    for (i, (id, path)) in t.department_ids.iter().zip(paths).enumerate() {
        match path {
            Some(p) => departments.push((*id, p)),
            None => v.push(
                &format!("targets.department_ids.{i}"),
                FieldReason::NotFound,
            ),
        }
    }
    let members = member_targets(db, corp, v, "userids", &t.userids).await?;
    let excluded = member_targets(db, corp, v, "excluded_userids", &t.excluded_userids).await?;
    let mut tags = Vec::new();
    for (i, tag) in t.tag_ids.iter().enumerate() {
        if people::tag_exists(db, corp, *tag).await? {
            tags.push(*tag);
        } else {
            v.push(&format!("targets.tag_ids.{i}"), FieldReason::NotFound);
        }
    }
    Ok(TargetIds {
        departments,
        members,
        tags,
        excluded,
    })
}

/// Whether an administrator with `scope` may write a rule covering these targets: every
/// department and member inside their scope; tags (which cross departments) only for the whole
/// enterprise.
fn in_scope(scope: &Scope, t: &TargetIds) -> bool {
    match scope {
        Scope::All => true,
        Scope::Subtrees(_) => {
            t.tags.is_empty()
                && t.departments.iter().all(|(_, p)| scope.covers_path(p))
                && t.members
                    .iter()
                    .chain(&t.excluded)
                    .all(|(_, paths)| scope.covers_any(paths))
                && t.all_paths().next().is_some()
        }
    }
}

/// Who may write a rule: an administrator whose scope holds its targets; an app only the rules it
/// made (WeCom's rule).
pub struct Writer<'a> {
    pub actor: &'a Actor,
    pub scope: &'a Scope,
    pub app: Option<i64>,
}

/// Creates or replaces a rule; answers it as stored.
pub async fn save(
    app: &AppState,
    w: &Writer<'_>,
    existing: Option<i64>,
    mut input: RuleInput,
) -> AppResult<Arc<Rule>> {
    let corp = w.actor.corp;
    input.name = input.name.trim().to_owned();
    let mut v = check(&input);
    let targets = resolve_targets(&app.db, corp, &input.targets, &mut v).await?;
    v.finish()?;
    let before = match existing {
        Some(pk) => {
            let old = get(app, corp, pk).await?;
            let rules = corp_rules(app, corp).await?;
            if w.app.is_some() && rules.app_of.get(&pk) != w.app.as_ref() {
                return Err(ErrorKind::AttendanceApiForbidden.into());
            }
            let mut ignored = Validator::default();
            let old_targets =
                resolve_targets(&app.db, corp, &old.input.targets, &mut ignored).await?;
            if !in_scope(w.scope, &old_targets) {
                return Err(ErrorKind::OutOfScope.into());
            }
            Some(old)
        }
        None => None,
    };
    if !in_scope(w.scope, &targets) {
        return Err(AppError::field("targets", FieldReason::OutOfScope));
    }
    let now = app.now();
    let mut body = input.clone();
    body.targets = Targets::default();
    let body = serde_json::to_string(&body).map_err(AppError::internal)?;
    let mut tx = app.db.begin().await?;
    let taken: Option<(i64,)> = tx
        .opt(
            sql("SELECT id FROM attendance_rules WHERE corp_id = $1 AND name = $2")
                .bind(corp)
                .bind(&input.name),
        )
        .await?;
    if taken.is_some_and(|(id,)| Some(id) != existing) {
        return Err(AppError::new(ErrorKind::AttendanceRuleNameExists).on_field("name"));
    }
    let pk = match existing {
        Some(pk) => {
            tx.exec(
                sql("UPDATE attendance_rules SET name = $1, kind = $2, body = $3, updated_by = $4, updated_at = $5 WHERE id = $6")
                    .bind(&input.name)
                    .bind(input.kind.code())
                    .bind(&body)
                    .bind(w.actor.member_id().map(|m| m.0))
                    .bind(now)
                    .bind(pk),
            )
            .await?;
            tx.exec(sql("DELETE FROM attendance_rule_targets WHERE rule_id = $1").bind(pk))
                .await?;
            pk
        }
        None => {
            let pk = new_id(now);
            let group = tx.next_value(corp.0, "attendance_group_id", 1).await?;
            tx.exec(
                sql("INSERT INTO attendance_rules (id, corp_id, group_id, name, kind, body, app_id, created_by, updated_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9)")
                    .bind(pk)
                    .bind(corp)
                    .bind(group)
                    .bind(&input.name)
                    .bind(input.kind.code())
                    .bind(&body)
                    .bind(w.app)
                    .bind(w.actor.member_id().map(|m| m.0))
                    .bind(now),
            )
            .await?;
            pk
        }
    };
    let rows = targets
        .departments
        .iter()
        .map(|(id, _)| ("department", *id))
        .chain(targets.members.iter().map(|(id, _)| ("member", *id)))
        .chain(targets.tags.iter().map(|id| ("tag", *id)))
        .chain(targets.excluded.iter().map(|(id, _)| ("excluded", *id)));
    for (kind, id) in dedup(rows) {
        tx.exec(
            sql("INSERT INTO attendance_rule_targets (rule_id, corp_id, kind, target_id) VALUES ($1, $2, $3, $4)")
                .bind(pk)
                .bind(corp)
                .bind(kind)
                .bind(id),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        w.actor,
        now,
        Entry {
            kind: if before.is_some() {
                "attendance.rule.update"
            } else {
                "attendance.rule.create"
            },
            target: input.name.clone(),
            before: before.map(|b| serde_json::to_value(&b.input).unwrap_or_default()),
            after: Some(serde_json::to_value(&input).map_err(AppError::internal)?),
        },
    )
    .await?;
    changed(&mut tx, app, corp);
    tx.commit().await?;
    app.runtime::<RuleCache>().forget(corp);
    get(app, corp, pk).await
}

fn dedup<'a>(rows: impl Iterator<Item = (&'a str, i64)>) -> Vec<(&'a str, i64)> {
    let mut seen = HashSet::new();
    rows.filter(|r| seen.insert(*r)).collect()
}

/// Deletes a rule; its members follow no rule (or another that covers them) from now on. Results
/// already computed stay.
pub async fn delete(app: &AppState, w: &Writer<'_>, pk: i64) -> AppResult<()> {
    let corp = w.actor.corp;
    let old = get(app, corp, pk).await?;
    let rules = corp_rules(app, corp).await?;
    if w.app.is_some() && rules.app_of.get(&pk) != w.app.as_ref() {
        return Err(ErrorKind::AttendanceApiForbidden.into());
    }
    let mut ignored = Validator::default();
    let targets = resolve_targets(&app.db, corp, &old.input.targets, &mut ignored).await?;
    if !in_scope(w.scope, &targets) {
        return Err(ErrorKind::OutOfScope.into());
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("DELETE FROM attendance_rules WHERE id = $1 AND corp_id = $2")
            .bind(pk)
            .bind(corp),
    )
    .await?;
    audit::record(
        &mut tx,
        w.actor,
        now,
        Entry {
            kind: "attendance.rule.delete",
            target: old.input.name.clone(),
            before: Some(serde_json::to_value(&old.input).map_err(AppError::internal)?),
            after: None,
        },
    )
    .await?;
    changed(&mut tx, app, corp);
    tx.commit().await?;
    app.runtime::<RuleCache>().forget(corp);
    Ok(())
}

fn changed(tx: &mut Tx, app: &AppState, corp: CorpId) {
    tx.emit(app, DomainEvent::AttendanceRulesChanged { corp });
}

/// Whether a kind of rule has a schedule (排班).
pub fn is_scheduled(rule: &Rule) -> bool {
    rule.input.kind == RuleKind::Scheduled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64, tags: Vec<i64>, paths: &[&str]) -> Person {
        Person {
            id,
            userid: format!("u{id}"),
            name: String::new(),
            status: "active".into(),
            leader_id: None,
            main_department: 0,
            departments: paths.iter().map(|p| (0, (*p).to_owned())).collect(),
            tags,
        }
    }

    fn rules() -> CorpRules {
        let mk = |id: i64| {
            Arc::new(Rule {
                id: id.to_string(),
                group_id: id,
                input: serde_json::from_value(
                    serde_json::json!({"name": format!("r{id}"), "kind": "free",
                    "workdays": [1], "min_work_minutes": 60}),
                )
                .unwrap_or_else(|e| panic!("{e}")),
                created_at: 0,
                updated_at: 0,
            })
        };
        CorpRules {
            rules: vec![mk(1), mk(2), mk(3), mk(4)],
            app_of: HashMap::new(),
            members: HashMap::from([(7, 1)]),
            tags: HashMap::from([(50, 2)]),
            departments: HashMap::from([(1, 3), (4, 4)]),
            excluded: HashSet::from([8]),
        }
    }

    #[test]
    fn a_member_follows_the_most_specific_rule() {
        let r = rules();
        let of = |p: &Person| r.rule_for(p).map(|r| r.pk());
        assert_eq!(of(&person(7, vec![50], &["/1/4/"])), Some(1));
        assert_eq!(of(&person(9, vec![50], &["/1/4/"])), Some(2));
        assert_eq!(of(&person(9, vec![], &["/1/4/9/"])), Some(4));
        assert_eq!(of(&person(9, vec![], &["/1/5/"])), Some(3));
        assert_eq!(of(&person(9, vec![], &["/2/"])), None);
        assert_eq!(of(&person(8, vec![50], &["/1/4/"])), None);
    }
}
