//! Schema migrations, run at start. The same files serve both engines (see migrations/).
use std::future::Future;
use std::pin::Pin;

use super::db::{Database, Dialect, Tx, sql};

type Backfill =
    for<'a> fn(&'a mut Tx) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Data a migration derives in code (pinyin, for instance), written in the migration's own
/// transaction right after its SQL, so the schema never exists without it.
const BACKFILLS: &[(i64, Backfill)] =
    &[(8, |tx| Box::pin(crate::modules::org::terms::backfill(tx)))];

/// A migration: the same SQL for both engines, or (rarely, for triggers and the like) one text each.
enum Script {
    Both(&'static str),
    PerEngine {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

const MIGRATIONS: &[(i64, &str, Script)] = &[
    (
        1,
        "foundation",
        Script::Both(include_str!("../../migrations/0001_foundation.sql")),
    ),
    (
        2,
        "audit_append_only",
        Script::PerEngine {
            sqlite: include_str!("../../migrations/0002_audit_append_only.sqlite.sql"),
            postgres: include_str!("../../migrations/0002_audit_append_only.postgres.sql"),
        },
    ),
    (
        3,
        "chat",
        Script::Both(include_str!("../../migrations/0003_chat.sql")),
    ),
    (
        4,
        "chat_search",
        Script::PerEngine {
            sqlite: include_str!("../../migrations/0004_chat_search.sqlite.sql"),
            postgres: include_str!("../../migrations/0004_chat_search.postgres.sql"),
        },
    ),
    (
        5,
        "chat_attention",
        Script::Both(include_str!("../../migrations/0005_chat_attention.sql")),
    ),
    (
        6,
        "quick_replies",
        Script::Both(include_str!("../../migrations/0006_quick_replies.sql")),
    ),
    (
        7,
        "chat_client_ids",
        Script::Both(include_str!("../../migrations/0007_chat_client_ids.sql")),
    ),
    (
        8,
        "directory",
        Script::PerEngine {
            sqlite: include_str!("../../migrations/0008_directory.sqlite.sql"),
            postgres: include_str!("../../migrations/0008_directory.postgres.sql"),
        },
    ),
    (
        9,
        "chat_search_pending",
        Script::PerEngine {
            sqlite: include_str!("../../migrations/0009_chat_search_pending.sqlite.sql"),
            postgres: include_str!("../../migrations/0009_chat_search_pending.postgres.sql"),
        },
    ),
    (
        10,
        "chat_media_robot",
        Script::Both(include_str!("../../migrations/0010_chat_media_robot.sql")),
    ),
    (
        11,
        "time_zones",
        Script::Both(include_str!("../../migrations/0011_time_zones.sql")),
    ),
];

pub async fn run(db: &Database) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    if db.dialect() == Dialect::Postgres {
        // Several nodes may start at once; one migrates, the others wait here.
        tx.exec(sql("SELECT pg_advisory_xact_lock(72317001)"))
            .await?;
    }
    tx.script("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
        .await?;
    let applied: Vec<(i64,)> = tx.all(sql("SELECT version FROM schema_migrations")).await?;
    for (version, name, script) in MIGRATIONS {
        if applied.iter().any(|(v,)| v == version) {
            continue;
        }
        tracing::info!(version, name, "applying migration");
        let text = match (script, db.dialect()) {
            (Script::Both(t), _) => t,
            (Script::PerEngine { sqlite, .. }, Dialect::Sqlite) => sqlite,
            (Script::PerEngine { postgres, .. }, Dialect::Postgres) => postgres,
        };
        tx.script(text).await?;
        for (_, backfill) in BACKFILLS.iter().filter(|(v, _)| v == version) {
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
