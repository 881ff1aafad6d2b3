//! Storage: one query path for SQLite and PostgreSQL.
//!
//! Queries are written once in the SQL both engines accept (`$1` placeholders, `ON CONFLICT`,
//! `RETURNING`, `||`). Rows decode into structs deriving `sqlx::FromRow`, which is generic over the
//! row type, so one struct serves both engines. The few places where the dialects must differ are
//! the `Dialect` methods below, and nowhere else.
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{FromRow, Postgres, Sqlite, Transaction};

/// A value bound to a query parameter.
#[derive(Debug, Clone)]
pub enum Arg {
    I64(Option<i64>),
    Text(Option<String>),
    Bool(bool),
    F64(f64),
}

macro_rules! arg_from {
    ($t:ty, $v:ident => $e:expr) => {
        impl From<$t> for Arg {
            fn from($v: $t) -> Self {
                $e
            }
        }
    };
}
arg_from!(i64, v => Arg::I64(Some(v)));
arg_from!(i32, v => Arg::I64(Some(v.into())));
arg_from!(Option<i64>, v => Arg::I64(v));
arg_from!(bool, v => Arg::Bool(v));
arg_from!(f64, v => Arg::F64(v));
arg_from!(String, v => Arg::Text(Some(v)));
arg_from!(&String, v => Arg::Text(Some(v.clone())));
arg_from!(&str, v => Arg::Text(Some(v.to_owned())));
arg_from!(Option<String>, v => Arg::Text(v));
arg_from!(Option<&str>, v => Arg::Text(v.map(str::to_owned)));
arg_from!(&Option<String>, v => Arg::Text(v.clone()));

/// A query with its arguments, run later on a pool or a transaction.
#[derive(Debug, Clone)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

pub fn sql(text: impl Into<String>) -> Sql {
    Sql {
        text: text.into(),
        args: Vec::new(),
    }
}

impl Sql {
    pub fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }
    /// Appends text, binding `value` to the next `$n`; the text uses `{}` where the placeholder goes.
    pub fn push_bind(mut self, text: &str, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        let placeholder = format!("${}", self.args.len());
        self.text.push_str(&text.replace("{}", &placeholder));
        self
    }
    pub fn push(mut self, text: &str) -> Self {
        self.text.push_str(text);
        self
    }
    /// Puts text before the query (one `FROM … WHERE …` serving a count and a page).
    pub fn prepend(mut self, text: &str) -> Self {
        self.text.insert_str(0, text);
        self
    }
    /// The number the next bound argument will get.
    pub fn next_index(&self) -> usize {
        self.args.len() + 1
    }

    /// The query with anonymous `?` placeholders in order of appearance and its arguments arranged
    /// to match (repeated where one number is used twice), for SQLite. SQLite finds a numbered
    /// parameter by walking a list of their names, so binding `$1…$n` costs in the square of n (a
    /// 500-parameter insert spent a seventh of the message writer's time there); anonymous ones are
    /// not listed. Quoted text is left alone. A query that names a number without an argument is
    /// returned as it was, for the engine to refuse.
    fn positional(self) -> Sql {
        let bytes = self.text.as_bytes();
        let mut text = String::with_capacity(self.text.len());
        let mut order: Vec<usize> = Vec::with_capacity(self.args.len());
        let (mut i, mut copied) = (0, 0);
        let mut quote: Option<u8> = None;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                if b == q {
                    quote = None;
                }
                i += 1;
            } else if b == b'\'' || b == b'"' {
                quote = Some(b);
                i += 1;
            } else if b == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                let end = (i + 1..bytes.len())
                    .find(|&j| !bytes[j].is_ascii_digit())
                    .unwrap_or(bytes.len());
                match self.text[i + 1..end].parse::<usize>() {
                    Ok(n) if (1..=self.args.len()).contains(&n) => order.push(n - 1),
                    _ => return self,
                }
                text.push_str(&self.text[copied..i]);
                text.push('?');
                copied = end;
                i = end;
            } else {
                i += 1;
            }
        }
        text.push_str(&self.text[copied..]);
        let mut uses = vec![0usize; self.args.len()];
        for &k in &order {
            uses[k] += 1;
        }
        let mut slots: Vec<Option<Arg>> = self.args.into_iter().map(Some).collect();
        let args = order
            .iter()
            .filter_map(|&k| {
                uses[k] -= 1;
                if uses[k] == 0 {
                    slots[k].take()
                } else {
                    slots[k].clone()
                }
            })
            .collect();
        Sql { text, args }
    }
}

/// A row type that decodes from both engines.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I64(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::F64(v) => q.bind(v),
            };
        }
        q
    }};
}

/// Runs `$body` with `$conn` bound to the engine-specific executor, so each operation is written once.
macro_rules! on_engine {
    ($self:expr, |$q:ident, $sqlm:ident| $body:expr) => {
        match $self {
            Engine::Sqlite($q) => {
                #[allow(unused_imports)]
                use sqlx::Sqlite as $sqlm;
                $body
            }
            Engine::Pg($q) => {
                #[allow(unused_imports)]
                use sqlx::Postgres as $sqlm;
                $body
            }
        }
    };
}

enum Engine<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Pg(&'a mut sqlx::PgConnection),
}

impl Engine<'_> {
    /// The query as this engine binds it best (see `Sql::positional`).
    fn shape(&self, q: Sql) -> Sql {
        match self {
            Engine::Sqlite(_) => q.positional(),
            Engine::Pg(_) => q,
        }
    }
    async fn all<T: Record>(self, q: Sql) -> Result<Vec<T>, sqlx::Error> {
        let q = self.shape(q);
        on_engine!(self, |c, _D| bind_all!(
            sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(q.text)),
            q.args
        )
        .fetch_all(c)
        .await)
    }
    async fn opt<T: Record>(self, q: Sql) -> Result<Option<T>, sqlx::Error> {
        let q = self.shape(q);
        on_engine!(self, |c, _D| bind_all!(
            sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(q.text)),
            q.args
        )
        .fetch_optional(c)
        .await)
    }
    async fn exec(self, q: Sql) -> Result<u64, sqlx::Error> {
        let q = self.shape(q);
        on_engine!(self, |c, _D| bind_all!(
            sqlx::query(sqlx::AssertSqlSafe(q.text)),
            q.args
        )
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    }
    async fn script(self, text: &str) -> Result<(), sqlx::Error> {
        on_engine!(self, |c, _D| sqlx::raw_sql(sqlx::AssertSqlSafe(
            text.to_owned()
        ))
        .execute(c)
        .await
        .map(|_| ()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Claims the oldest due row of a work queue: PostgreSQL skips rows other nodes hold; SQLite has one
    /// writer, so the plain sub-select is already exclusive.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
    /// How many rows of `columns` values one multi-row `INSERT` should carry. SQLite stays near 500
    /// parameters (sqlx looks each parameter up by name, which grows with their number);
    /// PostgreSQL takes a few thousand.
    pub fn rows_per_statement(self, columns: usize) -> usize {
        let budget = match self {
            Dialect::Sqlite => 500,
            Dialect::Postgres => 8000,
        };
        (budget / columns.max(1)).clamp(1, 1000)
    }
    /// Locks the rows a read returns against concurrent writers until the transaction ends:
    /// `FOR SHARE` on PostgreSQL; SQLite's one writer already excludes them.
    pub fn lock_shared(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR SHARE",
        }
    }
    /// Locks the rows a read returns for the transaction's own update (two deciders of one
    /// approval queue up): `FOR UPDATE` on PostgreSQL; SQLite's one writer already excludes them.
    pub fn lock_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }
    /// How to write `x IN (SELECT …)` for a sub-select of ids that the planner should compute once
    /// and probe by key: `(open, close)` around the SELECT. PostgreSQL gets `= ANY(ARRAY(…))`; with
    /// `IN` it tends to hash-join against a scan when it overestimates the matches.
    pub fn in_select(self) -> (&'static str, &'static str) {
        match self {
            Dialect::Sqlite => (" IN (", ")"),
            Dialect::Postgres => (" = ANY(ARRAY(", "))"),
        }
    }
}

/// A full-text index over one text column, as each engine keeps it: SQLite in an FTS5 table
/// beside the table (its `rowid` is the row's id; it is written and cleared with the rows),
/// PostgreSQL as an expression index on `to_tsvector('simple', column)` that needs no upkeep.
pub struct FullText {
    /// The table and its integer id and text columns.
    pub table: &'static str,
    pub id: &'static str,
    pub column: &'static str,
    /// SQLite's FTS5 table (`rowid`, `column`).
    pub fts_table: &'static str,
}

/// A full-text query in each engine's syntax (FTS5 `MATCH`, `to_tsquery`).
pub struct TextQuery {
    pub fts5: String,
    pub tsquery: String,
}

impl FullText {
    /// After the rows `ids` were inserted: what else keeps the index up to date, if anything.
    pub fn indexed(&self, dialect: Dialect, ids: impl IntoIterator<Item = i64>) -> Option<Sql> {
        let FullText {
            table,
            id,
            column,
            fts_table,
        } = self;
        (dialect == Dialect::Sqlite).then(|| {
            sql(format!(
                "INSERT INTO {fts_table} (rowid, {column}) SELECT {id}, {column} FROM {table} WHERE {column} <> '' AND {id} IN "
            ))
            .push_in(ids)
        })
    }
    /// Before the rows `ids` are deleted: what else leaves the index, if anything.
    pub fn forget(&self, dialect: Dialect, ids: impl IntoIterator<Item = i64>) -> Option<Sql> {
        (dialect == Dialect::Sqlite)
            .then(|| sql(format!("DELETE FROM {} WHERE rowid IN ", self.fts_table)).push_in(ids))
    }
    /// Adds "`alias`'s row matches `query`" to a WHERE clause.
    pub fn matches(&self, dialect: Dialect, q: Sql, alias: &str, query: TextQuery) -> Sql {
        let FullText {
            id,
            column,
            fts_table,
            ..
        } = self;
        match dialect {
            Dialect::Sqlite => q.push_bind(
                &format!(
                    " AND {alias}.{id} IN (SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH {{}})"
                ),
                query.fts5,
            ),
            Dialect::Postgres => q.push_bind(
                &format!(
                    " AND to_tsvector('simple', {alias}.{column}) @@ to_tsquery('simple', {{}})"
                ),
                query.tsquery,
            ),
        }
    }
}

/// The SQLite writer's page cache (`PRAGMA cache_size`: negative is KiB).
pub const WRITER_CACHE: &str = "-8000";

#[derive(Clone)]
pub struct Database {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Sqlite { write: SqlitePool, read: SqlitePool },
    Pg(PgPool),
}

pub struct Tx {
    inner: TxInner,
    /// The outbox: what to do once the commit succeeded, in the order it was asked for (cache
    /// invalidations, announcements, deliveries). A rolled-back transaction runs none of it.
    after_commit: Vec<AfterCommit>,
    /// Savepoints made so far, for their names.
    savepoints: usize,
}

/// Where a query runs: the pool or an open transaction. A read that handlers make on the pool and
/// writes make inside their transaction takes `impl Into<Conn<'_>>` once (callers pass `&app.db` or
/// `&mut tx`), rather than a pool copy and a `_in(tx)` copy of the same function.
pub enum Conn<'a> {
    Pool(&'a Database),
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Database> for Conn<'a> {
    fn from(db: &'a Database) -> Self {
        Conn::Pool(db)
    }
}

impl<'a> From<&'a mut Tx> for Conn<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        Conn::Tx(tx)
    }
}

/// A reborrow, so a function holding a `Conn` can pass it on and keep using it.
impl<'a, 'b: 'a> From<&'a mut Conn<'b>> for Conn<'a> {
    fn from(c: &'a mut Conn<'b>) -> Self {
        match c {
            Conn::Pool(db) => Conn::Pool(db),
            Conn::Tx(tx) => Conn::Tx(tx),
        }
    }
}

impl Conn<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Conn::Pool(db) => db.dialect(),
            Conn::Tx(tx) => tx.dialect(),
        }
    }
    pub async fn all<T: Record>(&mut self, q: Sql) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Conn::Pool(db) => db.all(q).await,
            Conn::Tx(tx) => tx.all(q).await,
        }
    }
    pub async fn opt<T: Record>(&mut self, q: Sql) -> Result<Option<T>, sqlx::Error> {
        match self {
            Conn::Pool(db) => db.opt(q).await,
            Conn::Tx(tx) => tx.opt(q).await,
        }
    }
    pub async fn one<T: Record>(&mut self, q: Sql) -> Result<T, sqlx::Error> {
        match self {
            Conn::Pool(db) => db.one(q).await,
            Conn::Tx(tx) => tx.one(q).await,
        }
    }
}

/// A point inside a transaction to go back to: one row of a batch can fail without undoing the
/// rows before it. Going back also drops what the row queued in the outbox.
pub struct Savepoint {
    name: String,
    outbox: usize,
}

enum AfterCommit {
    Now(Box<dyn FnOnce() + Send>),
    Await(Pin<Box<dyn Future<Output = ()> + Send>>),
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Pg(Transaction<'static, Postgres>),
}

impl Database {
    /// Connects to `url` (`sqlite:…` or `postgres://…`).
    pub async fn connect(url: &str) -> anyhow::Result<Database> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            return Ok(Database {
                inner: Inner::Pg(pool),
            });
        }
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // An acknowledged write must survive a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // Page caches are per connection and never shrink while it is open: the writer gets 8 MiB
        // (imports and bulk changes), each reader 2 MiB, and readers idle for a minute are closed.
        // The operating system's file cache holds the rest of the database for all of them.
        // One writer connection: writes queue in the pool instead of failing with "database is locked".
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(opts.clone().pragma("cache_size", WRITER_CACHE))
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .idle_timeout(Duration::from_secs(60))
            .connect_with(opts.read_only(true).pragma("cache_size", "-2000"))
            .await?;
        Ok(Database {
            inner: Inner::Sqlite { write, read },
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite { .. } => Dialect::Sqlite,
            Inner::Pg(_) => Dialect::Postgres,
        }
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite, so the write lock is taken up front).
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let inner = match &self.inner {
            Inner::Sqlite { write, .. } => {
                TxInner::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?)
            }
            Inner::Pg(p) => TxInner::Pg(p.begin().await?),
        };
        Ok(Tx {
            inner,
            after_commit: Vec::new(),
            savepoints: 0,
        })
    }

    async fn with_read<R>(
        &self,
        f: impl AsyncFnOnce(Engine<'_>) -> Result<R, sqlx::Error>,
    ) -> Result<R, sqlx::Error> {
        match &self.inner {
            Inner::Sqlite { read, .. } => {
                let mut c = read.acquire().await?;
                f(Engine::Sqlite(&mut c)).await
            }
            Inner::Pg(p) => {
                let mut c = p.acquire().await?;
                f(Engine::Pg(&mut c)).await
            }
        }
    }

    pub async fn all<T: Record>(&self, q: Sql) -> Result<Vec<T>, sqlx::Error> {
        self.with_read(async |e| e.all(q).await).await
    }
    pub async fn opt<T: Record>(&self, q: Sql) -> Result<Option<T>, sqlx::Error> {
        self.with_read(async |e| e.opt(q).await).await
    }
    pub async fn one<T: Record>(&self, q: Sql) -> Result<T, sqlx::Error> {
        self.opt(q).await?.ok_or(sqlx::Error::RowNotFound)
    }
    /// A single write outside an explicit transaction.
    pub async fn exec(&self, q: Sql) -> Result<u64, sqlx::Error> {
        let mut tx = self.begin().await?;
        let n = tx.exec(q).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Runs a statement outside any transaction, on the writer: for the few statements PostgreSQL
    /// refuses inside one (CREATE DATABASE, DROP DATABASE).
    pub async fn exec_unmanaged(&self, text: &str) -> Result<(), sqlx::Error> {
        let q = sqlx::raw_sql(sqlx::AssertSqlSafe(text.to_owned()));
        match &self.inner {
            Inner::Sqlite { write, .. } => q.execute(write).await.map(|_| ()),
            Inner::Pg(p) => q.execute(p).await.map(|_| ()),
        }
    }

    /// After a bulk load on PostgreSQL: `VACUUM ANALYZE` of `tables`, which also marks the new rows
    /// visible to all in the visibility map, so index-only scans (the search terms) need not visit
    /// the table; autovacuum would do it later, or never where it is off. SQLite: `optimize`.
    pub async fn after_bulk_load(&self, tables: &[&str]) -> Result<(), sqlx::Error> {
        match &self.inner {
            Inner::Sqlite { .. } => self.optimize(tables).await,
            Inner::Pg(p) => {
                let text = format!("VACUUM (ANALYZE) {}", tables.join(", "));
                sqlx::raw_sql(sqlx::AssertSqlSafe(text)).execute(p).await?;
                Ok(())
            }
        }
    }

    /// Keeps the query planner's statistics fresh after bulk changes and periodically. SQLite: `PRAGMA
    /// optimize` on the writer re-analyzes only the tables never analyzed or whose size changed 25-fold
    /// since (so statistics taken on a near-empty database do not linger once it has grown; a full
    /// analysis of a 100,000-member directory takes half a second), then every connection reloads
    /// them. PostgreSQL: `ANALYZE` of the given tables (all of the schema's when empty), as
    /// autovacuum may be off or late after a large import.
    pub async fn optimize(&self, tables: &[&str]) -> Result<(), sqlx::Error> {
        match &self.inner {
            Inner::Sqlite { write, .. } => {
                sqlx::raw_sql("PRAGMA optimize = 0x10002")
                    .execute(write)
                    .await?;
                // Statistics of a table that is still small mislead once it has grown (a table
                // analyzed with one row looks free to scan); without any, the planner assumes a
                // large table with selective indexes, which suits a growing directory. So tables
                // under 1,000 rows keep none, and optimize looks at them again next time.
                let has_stats: Option<(i64,)> = sqlx::query_as(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
                )
                .fetch_optional(write)
                .await?;
                if has_stats.is_some() {
                    sqlx::raw_sql(
                        "DELETE FROM sqlite_stat1 WHERE CAST(substr(stat, 1, instr(stat || ' ', ' ') - 1) AS INTEGER) < 1000",
                    )
                    .execute(write)
                    .await?;
                }
                // Each connection loads the statistics when it reads the schema and keeps them:
                // readers opened while the database was nearly empty would plan with those for
                // ever (one member's departments took 16 s to load once 100,000 were imported).
                // A change of the schema makes every connection read it again, statistics included.
                sqlx::raw_sql(
                    "BEGIN IMMEDIATE; CREATE TABLE qixie_reload_statistics (x INTEGER); \
                     DROP TABLE qixie_reload_statistics; COMMIT",
                )
                .execute(write)
                .await?;
            }
            Inner::Pg(p) => {
                // Qixie's own tables only: a plain ANALYZE also takes locks on the shared system
                // catalogs, where it waits behind any CREATE DATABASE on the server.
                let names: Vec<String> = if tables.is_empty() {
                    sqlx::query_as::<_, (String,)>(
                        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()",
                    )
                    .fetch_all(p)
                    .await?
                    .into_iter()
                    .map(|(t,)| t)
                    .collect()
                } else {
                    tables.iter().map(|t| (*t).to_owned()).collect()
                };
                if !names.is_empty() {
                    let text = format!("ANALYZE {}", names.join(", "));
                    sqlx::raw_sql(sqlx::AssertSqlSafe(text)).execute(p).await?;
                }
            }
        }
        Ok(())
    }

    /// Gives SQLite's writer its usual page cache back after `Tx::widen_cache`.
    pub async fn reset_writer_cache(&self) -> Result<(), sqlx::Error> {
        if self.dialect() == Dialect::Sqlite {
            self.exec_unmanaged(&format!("PRAGMA cache_size = {WRITER_CACHE}"))
                .await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        match &self.inner {
            Inner::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Inner::Pg(p) => p.close().await,
        }
    }
}

impl Tx {
    fn engine(&mut self) -> Engine<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => Engine::Sqlite(&mut *t),
            TxInner::Pg(t) => Engine::Pg(&mut *t),
        }
    }
    pub fn dialect(&self) -> Dialect {
        match self.inner {
            TxInner::Sqlite(_) => Dialect::Sqlite,
            TxInner::Pg(_) => Dialect::Postgres,
        }
    }
    pub async fn all<T: Record>(&mut self, q: Sql) -> Result<Vec<T>, sqlx::Error> {
        self.engine().all(q).await
    }
    pub async fn opt<T: Record>(&mut self, q: Sql) -> Result<Option<T>, sqlx::Error> {
        self.engine().opt(q).await
    }
    pub async fn one<T: Record>(&mut self, q: Sql) -> Result<T, sqlx::Error> {
        self.opt(q).await?.ok_or(sqlx::Error::RowNotFound)
    }
    pub async fn exec(&mut self, q: Sql) -> Result<u64, sqlx::Error> {
        self.engine().exec(q).await
    }
    pub async fn script(&mut self, text: &str) -> Result<(), sqlx::Error> {
        self.engine().script(text).await
    }
    /// The next value of a per-enterprise counter; the first is `start`.
    pub async fn next_value(
        &mut self,
        corp: i64,
        name: &str,
        start: i64,
    ) -> Result<i64, sqlx::Error> {
        let (v,): (i64,) = self
            .one(
                sql("INSERT INTO sequences (corp_id, name, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (corp_id, name) DO UPDATE SET value = sequences.value + 1 RETURNING value")
                .bind(corp)
                .bind(name)
                .bind(start),
            )
            .await?;
        Ok(v)
    }

    /// Marks a point to come back to (`rollback_to`) or to keep (`release`).
    /// Refreshes the planner's statistics of `tables` inside the transaction where the engine can:
    /// PostgreSQL's `ANALYZE` (after a large change its estimates stay far off until autovacuum
    /// runs). SQLite's are refreshed by `Database::optimize` after the commit.
    pub async fn analyze(&mut self, tables: &[&str]) -> Result<(), sqlx::Error> {
        if self.dialect() == Dialect::Postgres && !tables.is_empty() {
            self.exec(sql(format!("ANALYZE {}", tables.join(", "))))
                .await?;
        }
        Ok(())
    }

    /// Inserts `rows` with multi-row statements of `Dialect::rows_per_statement` rows each:
    /// `head` is `INSERT INTO t (a, b, …) VALUES`, `tail` ends each statement (`ON CONFLICT …`), and
    /// every row has one value per named column.
    pub async fn insert_many(
        &mut self,
        head: &str,
        tail: &str,
        rows: Vec<Vec<Arg>>,
    ) -> Result<u64, sqlx::Error> {
        let columns = rows.first().map_or(1, Vec::len);
        let per_statement = self.dialect().rows_per_statement(columns);
        let mut inserted = 0;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk = rows.by_ref().take(per_statement);
            inserted += self
                .exec(sql(format!("{head} ")).push_rows(chunk).push(tail))
                .await?;
        }
        Ok(inserted)
    }

    /// For a transaction that writes far more pages than usual (a large import): SQLite's writer
    /// gets a page cache of `kib` KiB until `Database::reset_writer_cache`, so it does not spill and
    /// re-read pages. PostgreSQL manages its own buffers. Returns whether anything changed.
    pub async fn widen_cache(&mut self, kib: u32) -> Result<bool, sqlx::Error> {
        if self.dialect() != Dialect::Sqlite {
            return Ok(false);
        }
        self.exec(sql(format!("PRAGMA cache_size = -{kib}")))
            .await?;
        Ok(true)
    }

    pub async fn savepoint(&mut self) -> Result<Savepoint, sqlx::Error> {
        self.savepoints += 1;
        let sp = Savepoint {
            name: format!("sp{}", self.savepoints),
            outbox: self.after_commit.len(),
        };
        self.script(&format!("SAVEPOINT {}", sp.name)).await?;
        Ok(sp)
    }

    /// Undoes everything since `sp`, the writes and the outbox entries.
    pub async fn rollback_to(&mut self, sp: Savepoint) -> Result<(), sqlx::Error> {
        self.script(&format!(
            "ROLLBACK TO SAVEPOINT {0}; RELEASE SAVEPOINT {0}",
            sp.name
        ))
        .await?;
        self.after_commit.truncate(sp.outbox);
        Ok(())
    }

    /// Keeps everything since `sp`.
    pub async fn release(&mut self, sp: Savepoint) -> Result<(), sqlx::Error> {
        self.script(&format!("RELEASE SAVEPOINT {}", sp.name)).await
    }

    /// Runs `f` once the transaction has committed (never if it rolls back).
    pub fn after_commit(&mut self, f: impl FnOnce() + Send + 'static) {
        self.after_commit.push(AfterCommit::Now(Box::new(f)));
    }

    /// Awaits `work` once the transaction has committed, before `commit` returns, in order with
    /// everything else queued (deliveries to sockets, which look up their audience).
    pub fn after_commit_await(&mut self, work: impl Future<Output = ()> + Send + 'static) {
        self.after_commit.push(AfterCommit::Await(Box::pin(work)));
    }

    /// Commits, then runs the outbox in order.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Pg(t) => t.commit().await?,
        }
        for step in self.after_commit {
            match step {
                AfterCommit::Now(f) => f(),
                AfterCommit::Await(work) => work.await,
            }
        }
        Ok(())
    }
}

/// Whether `err` is a unique-constraint violation on `table.column`. Indexes are named
/// `ux_<table>_<column>` so PostgreSQL reports the same pair SQLite prints.
pub fn is_unique_violation(err: &sqlx::Error, table: &str, column: &str) -> bool {
    let Some(db) = err.as_database_error() else {
        return false;
    };
    if !matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation) {
        return false;
    }
    match db.constraint() {
        Some(name) => name == format!("ux_{table}_{column}"),
        None => db.message().contains(&format!("{table}.{column}")),
    }
}

impl Sql {
    /// Appends `(…), (…), …`: one parenthesised group of placeholders per row, for a multi-row
    /// `INSERT … VALUES`.
    pub fn push_rows(mut self, rows: impl IntoIterator<Item = Vec<Arg>>) -> Self {
        let mut first_row = true;
        for row in rows {
            if !first_row {
                self.text.push_str(", ");
            }
            first_row = false;
            self.text.push('(');
            for (i, v) in row.into_iter().enumerate() {
                self.args.push(v);
                if i > 0 {
                    self.text.push_str(", ");
                }
                self.text.push_str(&format!("${}", self.args.len()));
            }
            self.text.push(')');
        }
        self
    }

    /// Appends `(<$n>, <$n+1>, …)` for a list of values; an empty list becomes `(NULL)`, which matches nothing.
    pub fn push_in<T: Into<Arg>>(mut self, values: impl IntoIterator<Item = T>) -> Self {
        let mut first = true;
        self.text.push('(');
        for v in values {
            self.args.push(v.into());
            if !first {
                self.text.push_str(", ");
            }
            first = false;
            self.text.push_str(&format!("${}", self.args.len()));
        }
        if first {
            self.text.push_str("NULL");
        }
        self.text.push(')');
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(q: &Sql) -> (String, Vec<String>) {
        let args = q
            .args
            .iter()
            .map(|a| match a {
                Arg::I64(v) => format!("{v:?}"),
                Arg::Text(v) => format!("{v:?}"),
                Arg::Bool(v) => v.to_string(),
                Arg::F64(v) => v.to_string(),
            })
            .collect();
        (q.text.clone(), args)
    }

    #[test]
    fn numbered_placeholders_become_positional_for_sqlite() {
        let q = sql("UPDATE t SET a = $2, b = '$1 stays' WHERE c = $1 AND d = $2 AND e = \"$3\"")
            .bind(7)
            .bind("x");
        assert_eq!(
            shown(&q.positional()),
            (
                "UPDATE t SET a = ?, b = '$1 stays' WHERE c = ? AND d = ? AND e = \"$3\"".into(),
                vec!["Some(\"x\")".into(), "Some(7)".into(), "Some(\"x\")".into()]
            )
        );
        // Quotes doubled inside a literal, and numbers past 9.
        let mut q = sql("SELECT 'it''s $1', ").push_in(1..=11);
        q = q.push(" AS x");
        let (text, args) = shown(&q.positional());
        assert_eq!(
            text,
            "SELECT 'it''s $1', (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS x"
        );
        assert_eq!(args.len(), 11);
        assert_eq!(args[10], "Some(11)");
        // A number without its argument is left for the engine to refuse.
        let bad = sql("SELECT $2").bind(1);
        assert_eq!(shown(&bad.clone().positional()), shown(&bad));
        assert_eq!(shown(&sql("SELECT 1").positional()).0, "SELECT 1");
    }
}
