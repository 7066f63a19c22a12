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
    fn close(&self) -> BoxFuture<'_, ()>;
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
        _ => StoreError::Database(Box::new(e)),
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

mod sqlite;

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
                        Cow::Borrowed("SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE"),
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

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.pool.close())
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
    StoreError::Migrate(Box::new(e))
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
            MIGRATE_SQLITE.run(&mut conn).await.map_err(migrate_err)?;
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
