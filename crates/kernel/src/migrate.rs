//! Schema migrations, run at start. The same files serve both engines (see migrations/).
use std::future::Future;
use std::pin::Pin;

use super::db::{Database, Dialect, Tx, sql};

/// Data a migration derives in code (pinyin, for instance), written in the migration's own
/// transaction right after its SQL, so the schema never exists without it.
pub type Backfill =
    for<'a> fn(&'a mut Tx) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// A migration: the same SQL for both engines, or (rarely, for triggers and the like) one text each.
pub enum Script {
    Both(&'static str),
    PerEngine {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

/// One step of the schema. Versions are one sequence across the modules (each module lists its
/// own, `Module::migrations`), applied in version order.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub script: Script,
    pub backfill: Option<Backfill>,
}

/// The kernel's own tables (jobs, audit) came with the first migration, which also created the
/// first modules' tables.
pub const KERNEL: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        script: Script::Both(include_str!("../migrations/0001_foundation.sql")),
        backfill: None,
    },
    Migration {
        version: 2,
        name: "audit_append_only",
        script: Script::PerEngine {
            sqlite: include_str!("../migrations/0002_audit_append_only.sqlite.sql"),
            postgres: include_str!("../migrations/0002_audit_append_only.postgres.sql"),
        },
        backfill: None,
    },
];

/// Applies, in version order, every migration in `sets` that this database has not seen.
pub async fn run(db: &Database, sets: &[&[Migration]]) -> anyhow::Result<()> {
    let mut migrations: Vec<&Migration> = sets.iter().flat_map(|s| s.iter()).collect();
    migrations.sort_by_key(|m| m.version);
    if let Some(w) = migrations.windows(2).find(|w| w[0].version == w[1].version) {
        anyhow::bail!(
            "migrations {} and {} share version {}",
            w[0].name,
            w[1].name,
            w[0].version
        );
    }
    let mut tx = db.begin().await?;
    if db.dialect() == Dialect::Postgres {
        // Several nodes may start at once; one migrates, the others wait here.
        tx.exec(sql("SELECT pg_advisory_xact_lock(72317001)"))
            .await?;
    }
    tx.script("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
        .await?;
    let applied: Vec<(i64,)> = tx.all(sql("SELECT version FROM schema_migrations")).await?;
    for m in migrations {
        let (version, name) = (&m.version, &m.name);
        if applied.iter().any(|(v,)| v == version) {
            continue;
        }
        tracing::info!(version, name, "applying migration");
        let text = match (&m.script, db.dialect()) {
            (Script::Both(t), _) => t,
            (Script::PerEngine { sqlite, .. }, Dialect::Sqlite) => sqlite,
            (Script::PerEngine { postgres, .. }, Dialect::Postgres) => postgres,
        };
        tx.script(text).await?;
        if let Some(backfill) = m.backfill {
            backfill(&mut tx).await?;
        }
        tx.exec(
            sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .bind(*version)
                .bind(*name)
                .bind(0i64),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Column names and coarse types of every ordinary table, for the parity test between the engines.
/// SQLite's full-text index (a virtual table and the shadow tables behind it) is an index, like the
/// GIN index that stands for it on PostgreSQL, so it is left out.
pub async fn describe(db: &Database) -> anyhow::Result<Vec<(String, String, String)>> {
    let q = match db.dialect() {
        Dialect::Sqlite => sql(
            "SELECT m.name AS t, p.name AS c, lower(p.type) AS ty FROM pragma_table_list m, pragma_table_info(m.name) p \
             WHERE m.schema = 'main' AND m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2",
        ),
        Dialect::Postgres => sql("SELECT table_name::text AS t, column_name::text AS c, \
             (CASE data_type WHEN 'bigint' THEN 'bigint' WHEN 'text' THEN 'text' WHEN 'boolean' THEN 'boolean' ELSE data_type END)::text AS ty \
             FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2"),
    };
    Ok(db.all::<(String, String, String)>(q).await?)
}
