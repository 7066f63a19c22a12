//! The embedded catalog's driver: SQLite through rusqlite, rows read in place on the calling
//! thread.
//!
//! Why not sqlx's SQLite driver, which the migrations still use: it runs each connection on a
//! worker thread of its own and sends every row to the async caller over a channel. Measured by
//! `zhilu bench check` on a 2,000,000-row recordings table, every column decoded into a typed
//! record: 14.3 s through sqlx-sqlite, 2.8–2.9 s through rusqlite, 2.65–2.73 s for the `sqlite3`
//! shell to print the table to /dev/null. The full compliance check of a large agency's year is
//! mostly reading, so the driver sets its pace. SQLite is an in-process library; its calls are
//! short and synchronous, and run here under `block_in_place` on a multi-threaded runtime
//! (inline on a current-thread one), so the runtime keeps serving other tasks meanwhile.
//!
//! Connections: a small pool of open connections (WAL, `synchronous = FULL`, foreign keys on,
//! 30 s busy timeout), each taken for one statement or one transaction.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};

use super::{Backend, Driver, DriverTx, RawRow, Stmt, Value, Visit};
use crate::error::StoreError;

type Result<T> = std::result::Result<T, StoreError>;

/// Idle connections kept open for reuse; more are opened when more statements run at once.
const IDLE: usize = 8;

pub(super) struct Sqlite {
    path: PathBuf,
    idle: Idle,
    /// This process may not write the file or its folder (an auditor's read-only copy, a disk
    /// mounted read-only): connections are opened read-only, and reading works.
    read_only: bool,
}

/// Whether this process may write `path` and create files beside it (WAL's `-wal`, `-shm`).
fn writable(path: &Path) -> bool {
    use rustix::fs::{Access, access};
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    access(path, Access::WRITE_OK).is_ok() && access(dir, Access::WRITE_OK).is_ok()
}

/// `path` as a SQLite URI filename with `query` (`%`, `?` and `#` escaped).
fn uri(path: &Path, query: &str) -> String {
    let mut s = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => s.push_str("%25"),
            '?' => s.push_str("%3f"),
            '#' => s.push_str("%23"),
            c => s.push(c),
        }
    }
    s.push('?');
    s.push_str(query);
    s
}

/// Open connections waiting to be reused.
type Idle = Arc<Mutex<Vec<Connection>>>;

fn give_back(idle: &Idle, conn: Connection) {
    let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
    if idle.len() < IDLE {
        idle.push(conn);
    }
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite").field("path", &self.path).finish()
    }
}

pub(super) fn db(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Duplicate {
                subject: String::new(),
                detail: msg.clone().unwrap_or_else(|| f.to_string()),
            }
        }
        _ => StoreError::database(explain(&e), e),
    }
}

/// What a SQLite failure means for the person at the terminal, in Chinese. The engine's own
/// message stays in the error's source (for the log); only an unexpected failure shows it.
fn explain(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode as C;
    let rusqlite::Error::SqliteFailure(f, msg) = e else {
        return format!("数据库读写失败（技术细节：{e}）");
    };
    match f.code {
        C::DatabaseBusy | C::DatabaseLocked => {
            "数据库正被另一个程序长时间占用（等待 30 秒后仍未释放），请稍后重试".into()
        }
        C::DiskFull => "磁盘已满，数据库无法写入；本次操作未作任何改动".into(),
        C::ReadOnly => "数据库文件是只读的（权限或磁盘挂载为只读），无法写入".into(),
        C::CannotOpen => "无法打开数据库文件：文件夹不存在或没有访问权限".into(),
        C::PermissionDenied => "没有访问数据库文件的权限".into(),
        C::NotADatabase => "该文件不是执录的数据库（不是 SQLite 数据库，或已被加密、覆盖）".into(),
        C::DatabaseCorrupt => "数据库文件已损坏，请从备份恢复并运行 zhilu verify 核验".into(),
        C::SystemIoFailure => "读写数据库文件时磁盘出错（输入输出错误），请检查磁盘".into(),
        C::OutOfMemory => "内存不足，数据库无法完成操作".into(),
        _ => format!(
            "数据库语句执行失败（技术细节：{}）",
            msg.clone().unwrap_or_else(|| f.to_string())
        ),
    }
}

/// Runs blocking work (SQLite calls, a lock file's wait) without stalling the runtime's other
/// tasks.
pub(in crate::catalog) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Text(Some(s)) => ValueRef::Text(s.as_bytes()),
            Value::Int(Some(n)) => ValueRef::Integer(*n),
            Value::Text(None) | Value::Int(None) => ValueRef::Null,
        }))
    }
}

fn mistyped(i: usize, want: &str, got: ValueRef<'_>) -> StoreError {
    let what = format!("第 {i} 列应为{want}，实为 {:?}", got.data_type());
    StoreError::database(what.clone(), what)
}

impl RawRow for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<Option<&str>> {
        match self.get_ref(i).map_err(db)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(b) => std::str::from_utf8(b)
                .map(Some)
                .map_err(|e| StoreError::database(format!("第 {i} 列不是有效的 UTF-8 文本"), e)),
            other => Err(mistyped(i, "文本", other)),
        }
    }
    fn int(&self, i: usize) -> Result<Option<i64>> {
        match self.get_ref(i).map_err(db)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(n) => Ok(Some(n)),
            other => Err(mistyped(i, "整数", other)),
        }
    }
    fn is_null(&self, i: usize) -> Result<bool> {
        Ok(matches!(self.get_ref(i).map_err(db)?, ValueRef::Null))
    }
}

/// Whether SQLite numbered the statement's parameters `$1…$n` in that order. Asking SQLite costs
/// a scan of the statement's parameter list per name (`sqlite3_bind_parameter_name`), so asking
/// for every name of a multi-row `INSERT` is quadratic (a tenth of a bulk ledger fill's time):
/// the answer is kept per statement text, as the prepared statements are.
fn numbered_in_order(stmt: &rusqlite::Statement<'_>, sql: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    /// Statement texts are the catalog's own (a bounded set); emptied if it ever grows past this.
    const KEEP: usize = 4096;
    static KNOWN: LazyLock<Mutex<HashMap<Box<str>, bool>>> = LazyLock::new(Default::default);
    if let Some(&known) = KNOWN.lock().ok().as_ref().and_then(|m| m.get(sql)) {
        return known;
    }
    let n = stmt.parameter_count();
    let in_order = (1..=n).all(|i| {
        stmt.parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|name| name.parse::<usize>().ok())
            == Some(i)
    });
    if let Ok(mut m) = KNOWN.lock() {
        if m.len() >= KEEP {
            m.clear();
        }
        m.insert(sql.into(), in_order);
    }
    in_order
}

/// Prepares (cached per connection) and binds `$1…$n` by name, so the order in which the
/// placeholders appear in the text does not matter (as in PostgreSQL). When they appear in order
/// (`$1` first, then `$2`…: every statement the catalog writes in a commit), SQLite numbered them
/// so already and they are bound by position, without a lookup by name per value (which scans
/// the statement's parameters: quadratic in a multi-row `INSERT`).
fn prepare<'c>(
    conn: &'c Connection,
    sql: &str,
    args: &[Value],
) -> Result<rusqlite::CachedStatement<'c>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db)?;
    let in_order = stmt.parameter_count() == args.len() && numbered_in_order(&stmt, sql);
    if in_order {
        for (i, v) in args.iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, v).map_err(db)?;
        }
        return Ok(stmt);
    }
    for (i, v) in args.iter().enumerate() {
        let name = format!("${}", i + 1);
        match stmt.parameter_index(&name).map_err(db)? {
            Some(idx) => stmt.raw_bind_parameter(idx, v).map_err(db)?,
            None => {
                let what = format!("语句中没有参数 {name}");
                return Err(StoreError::database(what.clone(), what));
            }
        }
    }
    Ok(stmt)
}

/// Runs a statement without arguments through the connection's statement cache (`BEGIN
/// IMMEDIATE`, `COMMIT`: once per commit each).
fn control(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.raw_execute())
        .map(|_| ())
        .map_err(db)
}

fn run(conn: &Connection, sql: &str, args: &[Value]) -> Result<u64> {
    let mut stmt = prepare(conn, sql, args)?;
    // Drained as a query so that statements returning rows (RETURNING, PRAGMA) work too.
    let mut rows = stmt.raw_query();
    while rows.next().map_err(db)?.is_some() {}
    drop(rows);
    Ok(conn.changes())
}

fn visit(conn: &Connection, sql: &str, args: &[Value], f: Visit<'_>) -> Result<()> {
    let mut stmt = prepare(conn, sql, args)?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(db)? {
        f(row)?;
    }
    Ok(())
}

impl Sqlite {
    /// Opens the database file (`create`: make it if missing) and checks it can be read.
    pub(super) fn open(path: PathBuf, create: bool) -> Result<Self> {
        let read_only = !create && path.exists() && !writable(&path);
        let s = Sqlite {
            path,
            idle: Arc::new(Mutex::new(Vec::new())),
            read_only,
        };
        let conn = s.connect(create)?;
        s.give_back(conn);
        Ok(s)
    }

    pub(super) fn read_only(&self) -> bool {
        self.read_only
    }

    fn connect(&self, create: bool) -> Result<Connection> {
        if self.read_only {
            // Nobody can be writing a file no one may write: read it as immutable (no locks, no
            // `-shm` to create) — unless a write-ahead log holds commits not yet folded back (a
            // copy taken while the catalog was open), which only a WAL reader sees.
            let wal = PathBuf::from(format!("{}-wal", self.path.display()));
            let pending = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
            let query = if pending {
                "mode=ro"
            } else {
                "mode=ro&immutable=1"
            };
            let conn = Connection::open_with_flags(
                uri(&self.path, query),
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(db)?;
            conn.busy_timeout(Duration::from_secs(30)).map_err(db)?;
            conn.set_prepared_statement_cache_capacity(64);
            return Ok(conn);
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(&self.path, flags).map_err(db)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(db)?;
        // WAL with a full sync at every commit: a committed ledger entry survives a power cut,
        // and readers (verify, fixity, a server's pages) never block a station's writes.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(db)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn take(&self) -> Result<Connection> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(c) => Ok(c),
            None => self.connect(false),
        }
    }

    fn give_back(&self, conn: Connection) {
        give_back(&self.idle, conn);
    }
}

impl Driver for Sqlite {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn read_only(&self) -> bool {
        self.read_only
    }

    fn execute<'a>(&'a self, sql: Stmt, args: Vec<Value>) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            blocking(|| {
                let conn = self.take()?;
                let r = run(&conn, &sql, &args);
                self.give_back(conn);
                r
            })
        })
    }

    fn each<'a>(&'a self, sql: Stmt, args: Vec<Value>, f: Visit<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            blocking(|| {
                let conn = self.take()?;
                let r = visit(&conn, &sql, &args, f);
                self.give_back(conn);
                r
            })
        })
    }

    fn begin_write(&self) -> BoxFuture<'_, Result<Box<dyn DriverTx>>> {
        Box::pin(async move {
            blocking(|| {
                let conn = self.take()?;
                // Takes the database's write lock now (waiting up to the busy timeout), so no
                // other writer can slip in between our read of the ledger head and our commit.
                if let Err(e) = control(&conn, "BEGIN IMMEDIATE") {
                    self.give_back(conn);
                    return Err(e);
                }
                Ok(Box::new(SqliteTx {
                    conn: Some(conn),
                    idle: Arc::clone(&self.idle),
                    write: true,
                }) as Box<dyn DriverTx>)
            })
        })
    }

    fn begin_read(&self) -> BoxFuture<'_, Result<Box<dyn DriverTx>>> {
        Box::pin(async move {
            blocking(|| {
                let conn = self.take()?;
                // A deferred transaction takes its WAL snapshot at its first read: read now, so
                // the snapshot is of this moment.
                conn.execute_batch("BEGIN").map_err(db)?;
                if let Err(e) = conn.query_row("SELECT alg FROM ledger_meta", [], |_| Ok(())) {
                    let _ = conn.execute_batch("ROLLBACK");
                    return Err(db(e));
                }
                Ok(Box::new(SqliteTx {
                    conn: Some(conn),
                    idle: Arc::clone(&self.idle),
                    write: false,
                }) as Box<dyn DriverTx>)
            })
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let conns: Vec<Connection> =
                std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
            for c in conns {
                // Closing the last connection folds the write-ahead log back into the file.
                let _ = c.close();
            }
        })
    }
}

/// A write transaction on one connection; rolled back if dropped before `commit`.
struct SqliteTx {
    conn: Option<Connection>,
    /// Where the connection goes back when the transaction ends.
    idle: Idle,
    /// A write transaction: it holds the database's write lock, so its statements never wait
    /// on another connection, and they are a commit's few short inserts and lookups. They run
    /// inline: `block_in_place` hands the worker's other tasks to another thread on every call,
    /// which costs a single-entry commit more than its statements do. `COMMIT` (the fsync)
    /// still runs under it, and so does every statement of a read transaction (long scans).
    write: bool,
}

impl SqliteTx {
    fn conn(&self) -> Result<&Connection> {
        self.conn
            .as_ref()
            .ok_or_else(|| StoreError::database("事务已结束", "transaction already finished"))
    }
}

impl DriverTx for SqliteTx {
    fn execute<'a>(&'a mut self, sql: Stmt, args: Vec<Value>) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            if self.write {
                run(self.conn()?, &sql, &args)
            } else {
                blocking(|| run(self.conn()?, &sql, &args))
            }
        })
    }

    fn each<'a>(
        &'a mut self,
        sql: Stmt,
        args: Vec<Value>,
        f: Visit<'a>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if self.write {
                visit(self.conn()?, &sql, &args, f)
            } else {
                blocking(|| visit(self.conn()?, &sql, &args, f))
            }
        })
    }

    fn commit(mut self: Box<Self>) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            blocking(|| {
                let conn = self.conn.take().ok_or_else(|| {
                    StoreError::database("事务已结束", "transaction already finished")
                })?;
                let r = control(&conn, "COMMIT");
                if r.is_ok() {
                    give_back(&self.idle, conn);
                }
                r
            })
        })
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Not committed: undo everything this transaction wrote.
            if conn.execute_batch("ROLLBACK").is_ok() {
                give_back(&self.idle, conn);
            }
        }
    }
}
