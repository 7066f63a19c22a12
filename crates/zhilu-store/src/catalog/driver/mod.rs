//! The two native database drivers behind one narrow trait in our own words: run a statement,
//! visit the rows of a query, open the write transaction. SQLite (the embedded default) runs
//! through rusqlite (`sqlite.rs`, which says why), PostgreSQL through sqlx.
//!
//! Everything above this file is written once: the SQL is the dialect both databases accept (`$n`
//! placeholders, `ON CONFLICT`, `RETURNING`), values are bound as text or integers, and rows are
//! read by column position through [`RawRow`], straight from the driver's own row type. (sqlx's
//! `Any` driver, used before, first copies every value of every row into an owned enum — about
//! 9 µs a row; reading the native row in place is what makes the compliance check's full scan
//! cheap.) The trait is object-safe so that the catalog holds one `Box<dyn Driver>` and nothing
//! about the chosen backend leaks upwards.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use futures_util::TryStreamExt;
use futures_util::future::BoxFuture;
use sqlx::Connection;
use sqlx::postgres::{PgPoolOptions, PgQueryResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Database, Encode, Executor, IntoArguments, Pool, Row, Type};

use crate::error::StoreError;

type Result<T> = std::result::Result<T, StoreError>;

/// Which database the catalog lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Tells the backend from a database URL.
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedBackend(redact_url(url)))
        }
    }
}

/// A URL as it may appear in a message: without a password.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A value bound into a statement: the only two column types the catalog uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

/// A statement's text: usually a literal, sometimes generated from a table's column list.
pub(crate) type Stmt = Cow<'static, str>;

/// One row as the driver returned it, read by column position without copying it first.
pub(crate) trait RawRow {
    fn text(&self, i: usize) -> Result<Option<&str>>;
    fn int(&self, i: usize) -> Result<Option<i64>>;
    fn is_null(&self, i: usize) -> Result<bool>;
}

impl RawRow for sqlx::postgres::PgRow {
    fn text(&self, i: usize) -> Result<Option<&str>> {
        self.try_get::<Option<&str>, usize>(i).map_err(db)
    }
    fn int(&self, i: usize) -> Result<Option<i64>> {
        self.try_get::<Option<i64>, usize>(i).map_err(db)
    }
    fn is_null(&self, i: usize) -> Result<bool> {
        use sqlx::ValueRef;
        Ok(self.try_get_raw(i).map_err(db)?.is_null())
    }
}

/// Called once per row; returning an error stops the query.
pub(crate) type Visit<'a> = &'a mut (dyn FnMut(&dyn RawRow) -> Result<()> + Send);

/// What the catalog needs from a database.
pub(crate) trait Driver: Send + Sync + fmt::Debug {
    fn backend(&self) -> Backend;
    /// Opened read-only (this process may not write the catalog): reads work, writes fail.
    fn read_only(&self) -> bool {
        false
    }
    /// Runs one statement outside any transaction; the number of rows it changed.
    fn execute<'a>(&'a self, sql: Stmt, args: Vec<Value>) -> BoxFuture<'a, Result<u64>>;
    /// Streams the rows of a query to `visit`, one at a time (nothing is collected here).
    fn each<'a>(
        &'a self,
        sql: Stmt,
        args: Vec<Value>,
        visit: Visit<'a>,
    ) -> BoxFuture<'a, Result<()>>;
    /// A transaction that holds the catalog's write lock until it ends: SQLite's `BEGIN
    /// IMMEDIATE`, PostgreSQL's row lock on the ledger head. Writers queue here, so two writers
    /// never compute the same ledger position.
    fn begin_write(&self) -> BoxFuture<'_, Result<Box<dyn DriverTx>>>;
    /// A read-only transaction on one snapshot of the database (SQLite: a WAL read transaction;
    /// PostgreSQL: REPEATABLE READ READ ONLY): everything read through it is of one moment,
    /// whatever writers commit meanwhile. Rolled back when dropped.
    fn begin_read(&self) -> BoxFuture<'_, Result<Box<dyn DriverTx>>>;
    fn close(&self) -> BoxFuture<'_, ()>;
    /// The lock named `name` that every process writing this catalog meets at, held until the
    /// guard is released or dropped, or its process dies: PostgreSQL's session-level advisory
    /// lock on a connection of its own (`postgres.rs`). `wait`: queue for it; otherwise `Busy`
    /// at once. `NotShared` where the database keeps no such lock (SQLite: every writer runs on
    /// the catalog file's machine, where lock files do this).
    fn shared_lock<'a>(&'a self, _name: &'a str, _wait: bool) -> BoxFuture<'a, Result<SharedLock>> {
        Box::pin(async { Ok(SharedLock::NotShared) })
    }
    /// The PostgreSQL pool behind this driver, for the bulk loader of the tests and benchmarks
    /// (`testing.rs`: `COPY … FROM STDIN`, which this trait does not offer); `None` on SQLite.
    #[cfg(feature = "testing")]
    fn postgres_pool(&self) -> Option<sqlx::PgPool> {
        None
    }
}

/// What [`Driver::shared_lock`] got.
#[derive(Debug)]
pub(crate) enum SharedLock {
    Held(Box<dyn HeldLock>),
    /// Another process holds it (only when not waiting).
    Busy,
    /// This database keeps no catalog-wide locks.
    NotShared,
}

/// A held catalog-wide lock. Dropped, it is released as well (its connection closes).
pub(crate) trait HeldLock: Send + fmt::Debug {
    /// Releases it now and says so to the database.
    fn release(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// An open write transaction. Dropped without `commit`, it rolls back.
pub(crate) trait DriverTx: Send {
    fn execute<'a>(&'a mut self, sql: Stmt, args: Vec<Value>) -> BoxFuture<'a, Result<u64>>;
    fn each<'a>(
        &'a mut self,
        sql: Stmt,
        args: Vec<Value>,
        visit: Visit<'a>,
    ) -> BoxFuture<'a, Result<()>>;
    fn commit(self: Box<Self>) -> BoxFuture<'static, Result<()>>;
}

pub(crate) fn db(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Duplicate {
            subject: String::new(),
            detail: d.message().to_string(),
        },
        _ => StoreError::database(explain(&e), e),
    }
}

/// What a sqlx failure (PostgreSQL, or SQLite while migrating) means, in Chinese. The driver's own
/// message stays in the error's source (for the log); only an unexpected failure shows it.
fn explain(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => format!(
            "无法连接数据库服务器：{}",
            zhilu_model::explain::io_error(io)
        ),
        sqlx::Error::PoolTimedOut => "连接数据库超时：数据库服务器没有响应，或连接数已满".into(),
        sqlx::Error::PoolClosed => "数据库连接已关闭（程序正在退出）".into(),
        sqlx::Error::Tls(_) => "与数据库服务器建立加密连接失败".into(),
        sqlx::Error::Configuration(_) => "数据库地址格式不正确".into(),
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            // SQLite reports its (extended) result code as a number; PostgreSQL a SQLSTATE.
            let sqlite_primary = code.parse::<i32>().ok().map(|c| c & 0xff);
            match (sqlite_primary, code.as_ref()) {
                (Some(5 | 6), _) | (None, "55P03") => {
                    "数据库正被另一个程序长时间占用，请稍后重试".into()
                }
                (Some(13), _) | (None, "53100") => {
                    "磁盘已满，数据库无法写入；本次操作未作任何改动".into()
                }
                (Some(8), _) | (None, "25006") => "数据库是只读的，无法写入".into(),
                (Some(14), _) => "无法打开数据库文件：文件夹不存在或没有访问权限".into(),
                (Some(26), _) => "该文件不是执录的数据库".into(),
                (Some(11), _) | (None, "XX001" | "XX002") => "数据库文件已损坏".into(),
                (Some(10), _) | (None, "58030") => "数据库读写磁盘时出错".into(),
                (None, "28000" | "28P01") => "数据库拒绝登录：用户名或密码错误".into(),
                (None, "3D000") => "数据库不存在，请先创建".into(),
                (None, "42501") => "数据库用户没有所需的权限".into(),
                (None, "40001" | "40P01") => "数据库繁忙（事务冲突），请重试".into(),
                (None, c) if c.starts_with("57P") => "数据库服务器正在关闭或已重启".into(),
                (None, c) if c.starts_with("53") => {
                    "数据库服务器资源不足（内存、连接数或磁盘）".into()
                }
                _ => format!("数据库语句执行失败（技术细节：{}）", d.message()),
            }
        }
        other => format!("数据库读写失败（技术细节：{other}）"),
    }
}

/// The number of rows a statement changed, whatever the backend.
trait Affected {
    fn affected(&self) -> u64;
}
impl Affected for PgQueryResult {
    fn affected(&self) -> u64 {
        self.rows_affected()
    }
}

fn query<DB>(sql: Stmt, args: Vec<Value>) -> sqlx::query::Query<'static, DB, DB::Arguments>
where
    DB: Database,
    Option<String>: for<'q> Encode<'q, DB> + Type<DB>,
    Option<i64>: for<'q> Encode<'q, DB> + Type<DB>,
{
    let mut q = match sql {
        Cow::Borrowed(s) => sqlx::query(s),
        // Generated from compile-time table and column lists, never from input; values are bound.
        Cow::Owned(s) => sqlx::query(sqlx::AssertSqlSafe(s)),
    };
    for a in args {
        q = match a {
            Value::Text(t) => q.bind(t),
            Value::Int(i) => q.bind(i),
        };
    }
    q
}

mod postgres;
mod snapshot;
mod sqlite;
pub(super) use sqlite::blocking;

pub(crate) use snapshot::Snapshot as ReadSnapshot;

/// A native sqlx driver (PostgreSQL; written generically over sqlx's database).
struct Native<DB: Database> {
    pool: Pool<DB>,
    backend: Backend,
}

impl<DB: Database> fmt::Debug for Native<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Native")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

struct NativeTx<DB: Database> {
    tx: sqlx::Transaction<'static, DB>,
}

impl<DB> Driver for Native<DB>
where
    DB: Database,
    DB::QueryResult: Affected,
    DB::Arguments: IntoArguments<DB>,
    DB::Row: RawRow,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    Option<String>: for<'q> Encode<'q, DB> + Type<DB>,
    Option<i64>: for<'q> Encode<'q, DB> + Type<DB>,
{
    fn backend(&self) -> Backend {
        self.backend
    }

    fn execute<'a>(&'a self, sql: Stmt, args: Vec<Value>) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            let r = query::<DB>(sql, args)
                .execute(&self.pool)
                .await
                .map_err(db)?;
            Ok(r.affected())
        })
    }

    fn each<'a>(
        &'a self,
        sql: Stmt,
        args: Vec<Value>,
        visit: Visit<'a>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut rows = query::<DB>(sql, args).fetch(&self.pool);
            while let Some(row) = rows.try_next().await.map_err(db)? {
                visit(&row)?;
            }
            Ok(())
        })
    }

    fn begin_write(&self) -> BoxFuture<'_, Result<Box<dyn DriverTx>>> {
        Box::pin(async move {
            let tx = match self.backend {
                Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?,
                Backend::Postgres => {
                    let mut tx = self.pool.begin().await.map_err(db)?;
                    query::<DB>(
                        Cow::Borrowed("SELECT alg FROM ledger_meta WHERE id = 1 FOR UPDATE"),
                        vec![],
                    )
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    tx
                }
            };
            Ok(Box::new(NativeTx { tx }) as Box<dyn DriverTx>)
        })
    }

    fn begin_read(&self) -> BoxFuture<'_, Result<Box<dyn DriverTx>>> {
        Box::pin(async move {
            let begin = match self.backend {
                Backend::Sqlite => "BEGIN",
                Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            };
            let mut tx = self.pool.begin_with(begin).await.map_err(db)?;
            if self.backend == Backend::Sqlite {
                // A deferred transaction takes its snapshot at the first read: take it now.
                query::<DB>(Cow::Borrowed("SELECT alg FROM ledger_meta"), vec![])
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            Ok(Box::new(NativeTx { tx }) as Box<dyn DriverTx>)
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.pool.close())
    }

    fn shared_lock<'a>(&'a self, name: &'a str, wait: bool) -> BoxFuture<'a, Result<SharedLock>> {
        Box::pin(async move {
            match (&self.pool as &dyn std::any::Any).downcast_ref::<sqlx::PgPool>() {
                Some(pool) => postgres::advisory_lock(pool, name, wait).await,
                None => Ok(SharedLock::NotShared),
            }
        })
    }

    #[cfg(feature = "testing")]
    fn postgres_pool(&self) -> Option<sqlx::PgPool> {
        (&self.pool as &dyn std::any::Any)
            .downcast_ref::<sqlx::PgPool>()
            .cloned()
    }
}

impl<DB> DriverTx for NativeTx<DB>
where
    DB: Database,
    DB::QueryResult: Affected,
    DB::Arguments: IntoArguments<DB>,
    DB::Row: RawRow,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    Option<String>: for<'q> Encode<'q, DB> + Type<DB>,
    Option<i64>: for<'q> Encode<'q, DB> + Type<DB>,
{
    fn execute<'a>(&'a mut self, sql: Stmt, args: Vec<Value>) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            let r = query::<DB>(sql, args)
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
            Ok(r.affected())
        })
    }

    fn each<'a>(
        &'a mut self,
        sql: Stmt,
        args: Vec<Value>,
        visit: Visit<'a>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut rows = query::<DB>(sql, args).fetch(&mut *self.tx);
            while let Some(row) = rows.try_next().await.map_err(db)? {
                visit(&row)?;
            }
            Ok(())
        })
    }

    fn commit(self: Box<Self>) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move { self.tx.commit().await.map_err(db) })
    }
}

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

fn migrate_err(e: sqlx::migrate::MigrateError) -> StoreError {
    use sqlx::migrate::MigrateError as M;
    let what = match &e {
        M::Execute(inner) | M::ExecuteMigration(inner, _) => explain(inner),
        M::VersionMissing(v) => {
            format!("数据库已由更新版本的执录升级（结构版本 {v}），本程序无法使用，请换用新版本")
        }
        M::VersionMismatch(v) => {
            format!("数据库中记录的结构版本 {v} 与本程序所带的不同：数据库被改动过，或来自另一版本")
        }
        M::Dirty(v) => format!("上一次结构升级（版本 {v}）中途失败，数据库需要人工检查"),
        other => format!("技术细节：{other}"),
    };
    StoreError::Migrate {
        what,
        source: Box::new(e),
    }
}

/// `Migrator::run(&mut conn)` goes through `Acquire<'a>`, whose future the compiler cannot prove
/// `Send` ("implementation of `Acquire` is not general enough"), so opening the catalog could not
/// happen in a spawned task; `run_direct` (hidden in the docs, kept by sqlx for exactly this)
/// takes the connection as it is.
async fn migrate_sqlite(
    conn: &mut sqlx::SqliteConnection,
) -> std::result::Result<(), sqlx::migrate::MigrateError> {
    MIGRATE_SQLITE.run_direct(None, conn, false).await
}

/// Connects to the database `url` names and applies pending migrations.
pub(crate) async fn connect(url: &str) -> Result<Box<dyn Driver>> {
    match Backend::from_url(url)? {
        Backend::Sqlite => {
            let opts = SqliteConnectOptions::from_str(url).map_err(db)?;
            let path = opts.get_filename().to_path_buf();
            let create = url.contains("mode=rwc");
            // The file is opened (and created at init) by our own driver first, so that a
            // missing catalog is never created silently by the migration step.
            let driver = sqlite::Sqlite::open(path, create)?;
            if driver.read_only() {
                // A catalog this process may not write is read as it is, if its schema is this
                // release's; an older one needs one run by an account that may upgrade it.
                let mut version = None;
                driver
                    .each(
                        Cow::Borrowed("SELECT MAX(version) FROM _sqlx_migrations WHERE success"),
                        vec![],
                        &mut |row: &dyn RawRow| {
                            version = row.int(0)?;
                            Ok(())
                        },
                    )
                    .await?;
                let latest = MIGRATE_SQLITE.iter().map(|m| m.version).max();
                if version < latest {
                    return Err(StoreError::database(
                        "编目库是只读的，而它的结构版本较旧、需要升级：请先由有写权限的账户打开一次（例如运行 zhilu verify）",
                        "read-only catalog needs a schema upgrade",
                    ));
                }
                return Ok(Box::new(driver));
            }
            // sqlx's migrator applies the embedded migrations (and records them as earlier
            // releases did), over one short-lived connection.
            let mut conn = sqlx::SqliteConnection::connect_with(
                &opts
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30)),
            )
            .await
            .map_err(db)?;
            migrate_sqlite(&mut conn).await.map_err(migrate_err)?;
            conn.close().await.map_err(db)?;
            Ok(Box::new(driver))
        }
        Backend::Postgres => {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .connect(url)
                .await
                .map_err(db)?;
            MIGRATE_POSTGRES.run(&pool).await.map_err(migrate_err)?;
            Ok(Box::new(Native {
                pool,
                backend: Backend::Postgres,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x5_a_database_password_never_appears_in_a_message() {
        assert_eq!(
            redact_url("postgres://zhilu:s3cret@db.example/zhilu"),
            "postgres://zhilu:***@db.example/zhilu"
        );
        assert_eq!(
            redact_url("postgres://zhilu@db/zhilu"),
            "postgres://zhilu@db/zhilu"
        );
        let e = Backend::from_url("mysql://a:b@c/d")
            .unwrap_err()
            .to_string();
        assert!(!e.contains(":b@"), "{e}");
    }
}
