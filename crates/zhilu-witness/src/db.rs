//! `witness.db`: the witness's whole state, in SQLite (WAL). All SQL of the crate is here.
//!
//! `logs` holds one row per trusted log: its key, and the latest checkpoint cosigned (size 0 and
//! no root until the first). `conflicts` keeps every refused offer that got past parsing, with
//! the bytes offered: a signed checkpoint that contradicts the recorded one is evidence.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::error::WitnessError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS logs (
    origin           TEXT PRIMARY KEY,
    log_key          TEXT NOT NULL,
    size             INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
    root             BLOB,
    note             TEXT,
    updated_at       INTEGER NOT NULL,
    last_cosigned_at INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS conflicts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    origin       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    status       INTEGER NOT NULL,
    old_size     INTEGER,
    offered_size INTEGER,
    witness_size INTEGER,
    reason       TEXT NOT NULL,
    body         BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS conflicts_origin ON conflicts (origin, id);
";

/// Creates the database (init only). A missing database is never recreated by `open`: an empty
/// one would forget every size and let the log roll back unnoticed.
pub(crate) fn create(path: &Path) -> Result<(), WitnessError> {
    let conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = WAL;")?;
    conn.execute_batch(SCHEMA)?;
    Ok(())
}

pub(crate) fn open(path: &Path) -> Result<Connection, WitnessError> {
    if !path.exists() {
        return Err(WitnessError::NotInitialized(
            path.parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            "witness.db",
        ));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
    Ok(conn)
}

/// A trusted log's row.
pub(crate) struct LogRow {
    pub origin: String,
    pub log_key: String,
    pub size: u64,
    pub updated_at: i64,
    pub last_cosigned_at: Option<i64>,
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(crate) fn get_log(conn: &Connection, origin: &str) -> Result<Option<LogRow>, WitnessError> {
    Ok(conn
        .query_row(
            "SELECT origin, log_key, size, updated_at, last_cosigned_at FROM logs WHERE origin = ?1",
            [origin],
            |r| {
                Ok(LogRow {
                    origin: r.get(0)?,
                    log_key: r.get(1)?,
                    size: to_u64(r.get(2)?),
                    updated_at: r.get(3)?,
                    last_cosigned_at: r.get(4)?,
                })
            },
        )
        .optional()?)
}

pub(crate) fn list_logs(conn: &Connection) -> Result<Vec<(LogRow, u64)>, WitnessError> {
    let mut st = conn.prepare(
        "SELECT l.origin, l.log_key, l.size, l.updated_at, l.last_cosigned_at,
                (SELECT COUNT(*) FROM conflicts c WHERE c.origin = l.origin)
         FROM logs l ORDER BY l.origin",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok((
                LogRow {
                    origin: r.get(0)?,
                    log_key: r.get(1)?,
                    size: to_u64(r.get(2)?),
                    updated_at: r.get(3)?,
                    last_cosigned_at: r.get(4)?,
                },
                to_u64(r.get(5)?),
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Adds a log at size 0. Returns the key already trusted for it, if any (then nothing changes).
pub(crate) fn trust(
    conn: &mut Connection,
    origin: &str,
    log_key: &str,
    now: i64,
) -> Result<Option<String>, WitnessError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing: Option<String> = tx
        .query_row(
            "SELECT log_key FROM logs WHERE origin = ?1",
            [origin],
            |r| r.get(0),
        )
        .optional()?;
    if existing.is_none() {
        tx.execute(
            "INSERT INTO logs (origin, log_key, size, updated_at) VALUES (?1, ?2, 0, ?3)",
            params![origin, log_key, now],
        )?;
    }
    tx.commit()?;
    Ok(existing)
}

/// One refused offer.
pub(crate) struct ConflictRow<'a> {
    pub origin: &'a str,
    pub at: i64,
    pub status: u16,
    pub old_size: Option<u64>,
    pub offered_size: Option<u64>,
    pub witness_size: Option<u64>,
    pub reason: &'a str,
    pub body: &'a [u8],
}

fn to_i64(v: Option<u64>) -> Option<i64> {
    v.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

pub(crate) fn record_conflict(conn: &Connection, c: &ConflictRow<'_>) -> Result<(), WitnessError> {
    conn.execute(
        "INSERT INTO conflicts (origin, at, status, old_size, offered_size, witness_size, reason, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            c.origin,
            c.at,
            c.status,
            to_i64(c.old_size),
            to_i64(c.offered_size),
            to_i64(c.witness_size),
            c.reason,
            c.body
        ],
    )?;
    Ok(())
}

/// A recorded conflict, as `status` and tests read it back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    /// Row id, increasing.
    pub id: i64,
    /// The origin offered (possibly one the witness does not know).
    pub origin: String,
    /// When, in POSIX seconds.
    pub at: i64,
    /// The HTTP status answered.
    pub status: u16,
    /// The `old` size the log claimed.
    pub old_size: Option<u64>,
    /// The size of the checkpoint offered.
    pub offered_size: Option<u64>,
    /// The size the witness held at the time.
    pub witness_size: Option<u64>,
    /// Why it was refused (Chinese).
    pub reason: String,
}

pub(crate) fn conflicts(conn: &Connection) -> Result<Vec<Conflict>, WitnessError> {
    let mut st = conn.prepare(
        "SELECT id, origin, at, status, old_size, offered_size, witness_size, reason
         FROM conflicts ORDER BY id",
    )?;
    let opt = |v: Option<i64>| v.map(to_u64);
    let rows = st
        .query_map([], |r| {
            Ok(Conflict {
                id: r.get(0)?,
                origin: r.get(1)?,
                at: r.get(2)?,
                status: r.get(3)?,
                old_size: opt(r.get(4)?),
                offered_size: opt(r.get(5)?),
                witness_size: opt(r.get(6)?),
                reason: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A log's stored size and root (no root before the first cosignature).
pub(crate) type State = (u64, Option<Vec<u8>>);

/// The stored state of a log inside a write transaction.
pub(crate) fn state(
    tx: &rusqlite::Transaction<'_>,
    origin: &str,
) -> Result<Option<State>, WitnessError> {
    Ok(tx
        .query_row(
            "SELECT size, root FROM logs WHERE origin = ?1",
            [origin],
            |r| Ok((to_u64(r.get(0)?), r.get(1)?)),
        )
        .optional()?)
}

/// Moves a log from `from_size` to the new checkpoint, compare-and-swap on the stored size:
/// returns false (and changes nothing) if another writer moved it first.
pub(crate) fn advance(
    tx: &rusqlite::Transaction<'_>,
    origin: &str,
    from_size: u64,
    size: u64,
    root: &[u8],
    note: &str,
    now: i64,
) -> Result<bool, WitnessError> {
    let n = tx.execute(
        "UPDATE logs SET size = ?1, root = ?2, note = ?3, updated_at = ?4, last_cosigned_at = ?4
         WHERE origin = ?5 AND size = ?6",
        params![
            to_i64(Some(size)),
            root,
            note,
            now,
            origin,
            to_i64(Some(from_size))
        ],
    )?;
    Ok(n == 1)
}
