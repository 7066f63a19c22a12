//! Helpers for test suites and benchmarks (feature `testing`, never in a production build): a
//! fresh catalog database per test — SQLite by default, PostgreSQL when `ZHILU_TEST_POSTGRES_URL`
//! names a server, so the same tests run against both — and a bulk loader for synthetic data
//! (`bulk.rs`: rows without ledger entries, by `COPY` on PostgreSQL).

mod bulk;
pub mod moto;

pub use bulk::{bulk_copy_without_ledger, bulk_insert_without_ledger, bulk_load_without_ledger};

use std::path::Path;

use sqlx::Connection;

use crate::catalog::Catalog;
use crate::catalog::driver::{RawRow, Value};
use crate::error::StoreError;

/// A new, empty database URL: `CREATE DATABASE zhilu_t_<unique>` on the PostgreSQL server named by
/// `ZHILU_TEST_POSTGRES_URL`, or a SQLite file `catalog.db` in `dir`.
///
/// # Panics
/// If PostgreSQL is configured but unreachable: a test that silently fell back to SQLite would
/// report PostgreSQL coverage it does not have.
pub async fn fresh_database_url(dir: &Path) -> String {
    match postgres_admin_url() {
        Some(admin) => fresh_postgres_database(&admin).await,
        None => format!("sqlite://{}?mode=rwc", dir.join("catalog.db").display()),
    }
}

/// A new empty PostgreSQL database on the server `admin` connects to; its URL.
pub async fn fresh_postgres_database(admin: &str) -> String {
    let name = format!("zhilu_t_{}", unique());
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is unreachable: {e}"));
    drop_orphaned_databases(&mut conn).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    format!("{base}/{name}")
}

/// Drops, once per process, the test databases whose creating process has ended (the name carries
/// its pid). A test cannot drop its own database at exit, and a failed or interrupted run must not
/// leave hundreds of them behind to fill the disk (CI once failed with "No space left on device").
async fn drop_orphaned_databases(conn: &mut sqlx::PgConnection) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::SeqCst) {
        return;
    }
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'zhilu\\_t\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for name in names {
        let Some(pid) = name.split('_').nth(3).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        // Only names made by `unique()` (hex, digits, underscores) reach this statement.
        if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// The PostgreSQL server the tests may use, if any.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("ZHILU_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Whether the tests run against PostgreSQL.
pub fn postgres() -> bool {
    postgres_admin_url().is_some()
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{t:x}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs `sql` (one or more statements) on the catalog at `url` over a connection of its own,
/// around the program: a test playing an administrator at the database. Returns the rows the
/// last statement changed.
///
/// # Panics
/// If the database cannot be reached or refuses the statements.
pub async fn raw_exec(url: &str, sql: &str) -> u64 {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url)
            .await
            .expect("raw sqlite");
        sqlx::raw_sql(sql)
            .execute(&mut c)
            .await
            .expect("exec")
            .rows_affected()
    } else {
        let mut c = sqlx::PgConnection::connect(url)
            .await
            .expect("raw postgres");
        sqlx::raw_sql(sql)
            .execute(&mut c)
            .await
            .expect("exec")
            .rows_affected()
    }
}

/// SQLite only: folds the write-ahead log back into the database file. After a bulk load of
/// millions of rows the WAL is gigabytes long, and every read pays for searching it.
pub async fn checkpoint_wal(catalog: &Catalog) -> Result<(), StoreError> {
    if catalog.backend() == crate::Backend::Sqlite {
        catalog
            .db
            .execute("PRAGMA wal_checkpoint(TRUNCATE)".into(), vec![])
            .await?;
    }
    Ok(())
}

/// One full scan of the recordings table, every column decoded into a typed record: the cost of
/// reading the table through the catalog, for the benchmark's baseline.
pub async fn scan_recordings(catalog: &Catalog) -> Result<u64, StoreError> {
    use crate::catalog::table::{Table, select};
    let mut n = 0u64;
    catalog
        .db
        .each(
            select::<zhilu_model::Recording>().into(),
            Vec::<Value>::new(),
            &mut |row: &dyn RawRow| {
                let (r, _) = <zhilu_model::Recording as Table>::decode(row)?;
                n += u64::from(r.size > 0);
                Ok(())
            },
        )
        .await?;
    Ok(n)
}

/// The baseline `bench ledger` sets durable appends against: single-row commits into a plain
/// SQLite file, opened as the catalog's driver opens its connections (WAL, `synchronous = FULL`),
/// one `INSERT` per transaction. The bench times them in short stretches alternating with its own
/// commits, so that both sides meet the same disk.
pub struct SingleRowCommits {
    conn: rusqlite::Connection,
    next: u64,
}

impl SingleRowCommits {
    /// A new file at `db`, after `warm` untimed commits (the write-ahead log first grows to its
    /// working size, as a long-used catalog's has).
    pub fn open(db: &Path, warm: u64) -> Result<Self, StoreError> {
        let conn = rusqlite::Connection::open(db).map_err(baseline_error)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
        )
        .map_err(baseline_error)?;
        let mut commits = SingleRowCommits { conn, next: 0 };
        commits.commit(warm)?;
        Ok(commits)
    }

    /// `n` more commits of one row each.
    pub fn commit(&mut self, n: u64) -> Result<(), StoreError> {
        for _ in 0..n {
            let i = self.next;
            let body = format!("{{\"kind\":\"bench.event\",\"subject\":\"bench:{i}\",\"i\":{i}}}");
            self.conn
                .execute("INSERT INTO t (body) VALUES (?1)", [body])
                .map_err(baseline_error)?;
            self.next += 1;
        }
        Ok(())
    }
}

fn baseline_error(e: rusqlite::Error) -> StoreError {
    StoreError::database("基准 SQLite 数据库出错", e)
}

/// One ledger row, every column as the catalog stores it (the bulk-fill baseline's input).
#[derive(Debug, Clone)]
pub struct StoredLedgerRow {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub leaf_hash: String,
    pub nodes: String,
    pub note: Option<String>,
}

/// Every row of `catalog`'s ledger as stored, in order.
pub async fn stored_ledger_rows(catalog: &Catalog) -> Result<Vec<StoredLedgerRow>, StoreError> {
    let mut out = Vec::new();
    catalog
        .db
        .each(
            "SELECT seq, at, kind, subject, body, leaf_hash, nodes, note FROM ledger_entries \
             ORDER BY seq"
                .into(),
            vec![],
            &mut |row: &dyn RawRow| {
                let s = |i: usize| -> Result<String, StoreError> {
                    Ok(row.text(i)?.unwrap_or_default().to_string())
                };
                out.push(StoredLedgerRow {
                    seq: row.int(0)?.unwrap_or(-1),
                    at: row.int(1)?.unwrap_or(0),
                    kind: s(2)?,
                    subject: s(3)?,
                    body: s(4)?,
                    leaf_hash: s(5)?,
                    nodes: s(6)?,
                    note: row.text(7)?.map(str::to_string),
                });
                Ok(())
            },
        )
        .await?;
    Ok(out)
}

/// The baseline `bench ledger` sets the bulk fill against: the given ledger rows, and their
/// lookup keys, inserted into a fresh plain SQLite file at `db` that has the catalog's schema for
/// those two tables (keys and indexes as in the migrations), opened as the catalog's driver opens
/// its connections (WAL, `synchronous = FULL`), in one transaction through two prepared
/// statements. Returns the seconds from `BEGIN` to the durable `COMMIT`.
pub fn sqlite_bulk_ledger_rows(db: &Path, rows: &[StoredLedgerRow]) -> Result<f64, StoreError> {
    let sql = |e: rusqlite::Error| StoreError::database("基准 SQLite 数据库出错", e);
    let mut conn = rusqlite::Connection::open(db).map_err(sql)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         CREATE TABLE ledger_entries (seq INTEGER PRIMARY KEY, at BIGINT NOT NULL, \
           kind TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, leaf_hash TEXT NOT NULL, \
           nodes TEXT NOT NULL, note TEXT); \
         CREATE TABLE ledger_keys (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, \
           subject TEXT NOT NULL); \
         CREATE INDEX ledger_keys_subject ON ledger_keys(subject, seq); \
         CREATE INDEX ledger_keys_kind ON ledger_keys(kind, seq);",
    )
    .map_err(sql)?;
    let t = std::time::Instant::now();
    let tx = conn.transaction().map_err(sql)?;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO ledger_entries (seq, at, kind, subject, body, leaf_hash, nodes, note) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(sql)?;
        for e in rows {
            insert
                .execute(rusqlite::params![
                    e.seq,
                    e.at,
                    e.kind,
                    e.subject,
                    e.body,
                    e.leaf_hash,
                    e.nodes,
                    e.note
                ])
                .map_err(sql)?;
        }
        let mut insert = tx
            .prepare("INSERT INTO ledger_keys (seq, kind, subject) VALUES (?1, ?2, ?3)")
            .map_err(sql)?;
        for e in rows {
            insert
                .execute(rusqlite::params![e.seq, e.kind, e.subject])
                .map_err(sql)?;
        }
    }
    tx.commit().map_err(sql)?;
    Ok(t.elapsed().as_secs_f64())
}
