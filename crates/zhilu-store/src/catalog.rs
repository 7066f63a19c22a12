//! The catalog: devices, stations, offload sessions, recordings, and the audit ledger that proves them.
//!
//! One code path for SQLite and PostgreSQL: sqlx's `Any` driver with SQL both accept (`$n`
//! placeholders, `ON CONFLICT`, `RETURNING`), and one migrations folder per backend with matching
//! versions. Instants are unix microseconds; booleans 0/1.
//!
//! Crash consistency: [`Catalog::commit`] appends the ledger entries, their tree nodes, the row
//! changes and the new tree head in one transaction. Either all of it is durable (SQLite WAL with
//! `synchronous=FULL`, PostgreSQL's WAL) or none of it is.

use std::collections::HashMap;
use std::sync::Once;

use serde::Serialize;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use zhilu_ledger::{self as ledger, Hash, HashAlg, NodeId};

use crate::domain::*;
use crate::error::StoreError;
use crate::rows::*;

/// Recordings by capture time (unknown times last), then name: the order people read them in.
macro_rules! recordings_order {
    () => {
        "ORDER BY CASE WHEN capture_start IS NULL THEN 1 ELSE 0 END, capture_start, original_path, sha256"
    };
}

type Result<T> = std::result::Result<T, StoreError>;

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

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
            Err(StoreError::UnsupportedBackend(url.to_string()))
        }
    }
}

/// What a commit appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// Ledger sequence number of the first entry written.
    pub first_seq: u64,
    /// Tree size after the commit.
    pub size: u64,
    /// Tree root after the commit.
    pub root: Hash,
}

/// One stored ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EntryRow {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub subject: String,
    /// The exact leaf data (canonical JSON, see [`entry_body`]).
    pub body: String,
    pub leaf_hash: String,
}

/// The catalog handle. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Catalog {
    pool: AnyPool,
    backend: Backend,
    alg: HashAlg,
    url: String,
}

/// The leaf data of ledger entry `seq`: versioned canonical JSON. Field order is fixed by the struct;
/// `state` is a `serde_json::Value` whose maps are sorted by key. Tests pin the exact bytes.
pub fn entry_body(
    seq: u64,
    at: i64,
    actor: &str,
    kind: &str,
    subject: &str,
    state: serde_json::Value,
) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        v: u32,
        seq: u64,
        at: i64,
        actor: &'a str,
        kind: &'a str,
        subject: &'a str,
        state: serde_json::Value,
    }
    let body = Body {
        v: 1,
        seq,
        at,
        actor,
        kind,
        subject,
        state,
    };
    // A struct of strings, integers and a Value always serialises.
    serde_json::to_string(&body).unwrap_or_default()
}

fn map_insert_err(what: String) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists(what),
        _ => StoreError::Database(e),
    }
}

fn parse_hash(hex_str: &str, what: &str) -> Result<Hash> {
    let mut h = [0u8; 32];
    hex::decode_to_slice(hex_str, &mut h)
        .map_err(|_| StoreError::LedgerCorrupt(format!("{what} 不是有效的哈希值")))?;
    Ok(h)
}

impl Catalog {
    /// Connects, applies pending migrations and makes sure the ledger head exists.
    /// Refuses a catalog whose ledger was created with another hash algorithm.
    pub async fn open(url: &str, alg: HashAlg) -> Result<Self> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = Backend::from_url(url)?;
        let max = if backend == Backend::Sqlite { 4 } else { 8 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL with a full sync at every commit: a committed ledger entry survives a
                        // power cut, and readers (verify, fixity) never block the station's writes.
                        sqlx::raw_sql(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        match backend {
            Backend::Sqlite => MIGRATE_SQLITE.run(&pool).await?,
            Backend::Postgres => MIGRATE_POSTGRES.run(&pool).await?,
        }
        sqlx::query(
            "INSERT INTO ledger_head (id, alg, size, root) VALUES (1, $1, 0, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(alg.as_str())
        .bind(hex::encode(alg.empty_root()))
        .execute(&pool)
        .await?;
        let stored: String = sqlx::query_scalar("SELECT alg FROM ledger_head WHERE id = 1")
            .fetch_one(&pool)
            .await?;
        if stored != alg.as_str() {
            return Err(StoreError::LedgerCorrupt(format!(
                "审计日志使用 {stored} 哈希，配置却要求 {}",
                alg.as_str()
            )));
        }
        Ok(Catalog {
            pool,
            backend,
            alg,
            url: url.to_string(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn hash_alg(&self) -> HashAlg {
        self.alg
    }

    /// Closes the pool, waiting for connections to finish (lets SQLite checkpoint its WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The one write path: appends one ledger entry per change and applies the row changes, all in
    /// one transaction. Fails with [`StoreError::LedgerConflict`] if another writer appended first.
    pub async fn commit(&self, at: i64, actor: &str, changes: &[Change]) -> Result<Committed> {
        let mut tx = self.pool.begin().await?;
        let (size0, _root): (i64, String) =
            sqlx::query_as("SELECT size, root FROM ledger_head WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        let first_seq =
            u64::try_from(size0).map_err(|_| StoreError::LedgerCorrupt("日志长度为负数".into()))?;
        let mut size = first_seq;
        let mut nodes: HashMap<NodeId, Hash> = HashMap::new();
        for change in changes {
            let subject = change.subject();
            let body = entry_body(size, at, actor, change.kind(), &subject, change.state());
            let leaf = self.alg.leaf_hash(body.as_bytes());
            fetch_nodes(&mut tx, &ledger::append_needs(size), &mut nodes).await?;
            let new_nodes = ledger::append(self.alg, size, leaf, &nodes)
                .map_err(|e| StoreError::LedgerCorrupt(e.to_string()))?;
            for (id, h) in new_nodes {
                sqlx::query("INSERT INTO ledger_nodes (level, idx, hash) VALUES ($1, $2, $3)")
                    .bind(i64::from(id.level))
                    .bind(id.index as i64)
                    .bind(hex::encode(h))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_insert_err(format!("日志节点 {id:?}")))?;
                nodes.insert(id, h);
            }
            sqlx::query(
                "INSERT INTO ledger_entries (seq, at, kind, subject, body, leaf_hash) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(size as i64)
            .bind(at)
            .bind(change.kind())
            .bind(&subject)
            .bind(&body)
            .bind(hex::encode(leaf))
            .execute(&mut *tx)
            .await
            .map_err(|_| StoreError::LedgerConflict)?;
            apply(&mut tx, change, size as i64).await?;
            size += 1;
        }
        fetch_nodes(&mut tx, &ledger::root_needs(size), &mut nodes).await?;
        let root = ledger::root(self.alg, size, &nodes)
            .map_err(|e| StoreError::LedgerCorrupt(e.to_string()))?;
        let updated =
            sqlx::query("UPDATE ledger_head SET size = $1, root = $2 WHERE id = 1 AND size = $3")
                .bind(size as i64)
                .bind(hex::encode(root))
                .bind(size0)
                .execute(&mut *tx)
                .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::LedgerConflict);
        }
        tx.commit().await?;
        Ok(Committed {
            first_seq,
            size,
            root,
        })
    }

    /// The ledger head as committed: (size, root).
    pub async fn ledger_head(&self) -> Result<(u64, Hash)> {
        let (size, root): (i64, String) =
            sqlx::query_as("SELECT size, root FROM ledger_head WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok((size.max(0) as u64, parse_hash(&root, "ledger_head.root")?))
    }

    /// Entries with `seq` in `[from, from + limit)`, in order (for streaming verification).
    pub async fn ledger_entries(&self, from: u64, limit: u64) -> Result<Vec<EntryRow>> {
        Ok(sqlx::query_as(
            "SELECT seq, at, kind, subject, body, leaf_hash FROM ledger_entries WHERE seq >= $1 ORDER BY seq LIMIT $2",
        )
        .bind(from as i64)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Entries of the given kinds, in order.
    pub async fn events_of_kinds(&self, kinds: &[&str]) -> Result<Vec<EntryRow>> {
        let marks: Vec<String> = (1..=kinds.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT seq, at, kind, subject, body, leaf_hash FROM ledger_entries WHERE kind IN ({}) ORDER BY seq",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, EntryRow>(sqlx::AssertSqlSafe(sql));
        for k in kinds {
            q = q.bind(*k);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// The tree root at `size`, recomputed from stored nodes.
    pub async fn root_at(&self, size: u64) -> Result<Hash> {
        let nodes = self.nodes(&ledger::root_needs(size)).await?;
        ledger::root(self.alg, size, &nodes).map_err(|e| StoreError::LedgerCorrupt(e.to_string()))
    }

    /// An RFC 6962 inclusion proof for entry `index` in the tree of `size` entries.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        let ids = ledger::inclusion_needs(index, size)
            .map_err(|e| StoreError::LedgerCorrupt(e.to_string()))?;
        let nodes = self.nodes(&ids).await?;
        ledger::inclusion_proof(self.alg, index, size, &nodes)
            .map_err(|e| StoreError::LedgerCorrupt(e.to_string()))
    }

    /// An RFC 6962 consistency proof between two tree sizes.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        let ids = ledger::consistency_needs(old, new)
            .map_err(|e| StoreError::LedgerCorrupt(e.to_string()))?;
        let nodes = self.nodes(&ids).await?;
        ledger::consistency_proof(self.alg, old, new, &nodes)
            .map_err(|e| StoreError::LedgerCorrupt(e.to_string()))
    }

    async fn nodes(&self, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>> {
        let mut conn = self.pool.acquire().await?;
        let mut out = HashMap::new();
        fetch_nodes(&mut conn, ids, &mut out).await?;
        Ok(out)
    }

    /// Records a signed checkpoint note for `size` (idempotent per size).
    pub async fn store_checkpoint(&self, size: u64, at: i64, note: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO ledger_checkpoints (size, at, note) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING",
        )
        .bind(size as i64)
        .bind(at)
        .bind(note)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// All stored checkpoints as (size, note), by size.
    pub async fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT size, note FROM ledger_checkpoints ORDER BY size")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(s, n)| (s.max(0) as u64, n))
            .collect())
    }

    pub async fn device(&self, serial: &str) -> Result<Option<DeviceRow>> {
        Ok(sqlx::query_as("SELECT * FROM devices WHERE serial = $1")
            .bind(serial)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn devices(&self) -> Result<Vec<DeviceRow>> {
        Ok(sqlx::query_as("SELECT * FROM devices ORDER BY serial")
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn device_events(&self) -> Result<Vec<DeviceEventRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM device_events ORDER BY at, id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn station(&self, id: &str) -> Result<Option<StationRow>> {
        Ok(sqlx::query_as("SELECT * FROM stations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn stations(&self) -> Result<Vec<StationRow>> {
        Ok(sqlx::query_as("SELECT * FROM stations ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn sessions(&self) -> Result<Vec<SessionRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM offload_sessions ORDER BY started_at, id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Offload sessions started in `[from, to]` (unix microseconds).
    pub async fn sessions_started_between(&self, from: i64, to: i64) -> Result<Vec<SessionRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM offload_sessions WHERE started_at >= $1 AND started_at <= $2 ORDER BY started_at, id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn recording(&self, sha256: &str) -> Result<Option<RecordingRow>> {
        Ok(sqlx::query_as("SELECT * FROM recordings WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Recordings, optionally of one device, by capture time (unknown times last) then name.
    pub async fn recordings(&self, device: Option<&str>) -> Result<Vec<RecordingRow>> {
        Ok(match device {
            Some(d) => {
                sqlx::query_as(concat!(
                    "SELECT * FROM recordings WHERE device_serial = $1 ",
                    recordings_order!()
                ))
                .bind(d)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as(concat!("SELECT * FROM recordings ", recordings_order!()))
                    .fetch_all(&self.pool)
                    .await?
            }
        })
    }

    /// Names seen for one path on one device.
    pub async fn names_at(&self, device: &str, path: &str) -> Result<Vec<RecordingNameRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM recording_names WHERE device_serial = $1 AND original_path = $2",
        )
        .bind(device)
        .bind(path)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn names(&self) -> Result<Vec<RecordingNameRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM recording_names ORDER BY sha256, device_serial, original_path",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

async fn fetch_nodes(
    conn: &mut sqlx::AnyConnection,
    ids: &[NodeId],
    out: &mut HashMap<NodeId, Hash>,
) -> Result<()> {
    for id in ids {
        if out.contains_key(id) {
            continue;
        }
        let row: Option<AnyRow> =
            sqlx::query("SELECT hash FROM ledger_nodes WHERE level = $1 AND idx = $2")
                .bind(i64::from(id.level))
                .bind(id.index as i64)
                .fetch_optional(&mut *conn)
                .await?;
        let row = row.ok_or_else(|| StoreError::LedgerCorrupt(format!("缺少树节点 {id:?}")))?;
        let h: String = row.try_get(0)?;
        out.insert(*id, parse_hash(&h, "ledger_nodes.hash")?);
    }
    Ok(())
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds generated-SQL values in order.
pub(crate) fn bind_all(mut q: AnyQuery<'_>, values: Vec<SqlValue>) -> AnyQuery<'_> {
    for v in values {
        q = match v {
            SqlValue::Text(t) => q.bind(t),
            SqlValue::Int(i) => q.bind(i),
        };
    }
    q
}

type AnyQueryAs<'q, O> = sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>;

/// [`bind_all`] for a query that decodes into rows of `O`.
pub(crate) fn bind_all_as<O>(mut q: AnyQueryAs<'_, O>, values: Vec<SqlValue>) -> AnyQueryAs<'_, O> {
    for v in values {
        q = match v {
            SqlValue::Text(t) => q.bind(t),
            SqlValue::Int(i) => q.bind(i),
        };
    }
    q
}

async fn apply(tx: &mut sqlx::AnyConnection, change: &Change, seq: i64) -> Result<()> {
    let what = change.subject();
    let done = match change {
        Change::RegisterDevice(d) => sqlx::query(
            "INSERT INTO devices (serial, kind, model, asset_no, unit, keeper, status, registered_at, ledger_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&d.serial)
        .bind(&d.kind)
        .bind(&d.model)
        .bind(&d.asset_no)
        .bind(&d.unit)
        .bind(&d.keeper)
        .bind(&d.status)
        .bind(d.registered_at)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(map_insert_err(what.clone()))?,
        Change::UpdateDevice(d) => sqlx::query(
            "UPDATE devices SET kind = $2, model = $3, asset_no = $4, unit = $5, keeper = $6, status = $7, \
             registered_at = $8, ledger_seq = $9 WHERE serial = $1",
        )
        .bind(&d.serial)
        .bind(&d.kind)
        .bind(&d.model)
        .bind(&d.asset_no)
        .bind(&d.unit)
        .bind(&d.keeper)
        .bind(&d.status)
        .bind(d.registered_at)
        .bind(seq)
        .execute(&mut *tx)
        .await?,
        Change::AddDeviceEvent(e) => sqlx::query(
            "INSERT INTO device_events (id, serial, event, detail, at, actor, ledger_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&e.id)
        .bind(&e.serial)
        .bind(&e.event)
        .bind(&e.detail)
        .bind(e.at)
        .bind(&e.actor)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(map_insert_err(what.clone()))?,
        Change::RegisterStation(s) => sqlx::query(
            "INSERT INTO stations (id, first_seen, ledger_seq) VALUES ($1, $2, $3)",
        )
        .bind(&s.id)
        .bind(s.first_seen)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(map_insert_err(what.clone()))?,
        Change::StartSession(s) => sqlx::query(
            "INSERT INTO offload_sessions (id, device_serial, officer, station, source, started_at, finished_at, status, \
             device_clock_offset_ms, device_cleared, files_seen, imported, duplicates, damaged, skipped, bytes, ledger_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(&s.id)
        .bind(&s.device_serial)
        .bind(&s.officer)
        .bind(&s.station)
        .bind(&s.source)
        .bind(s.started_at)
        .bind(s.finished_at)
        .bind(&s.status)
        .bind(s.device_clock_offset_ms)
        .bind(s.device_cleared)
        .bind(s.files_seen)
        .bind(s.imported)
        .bind(s.duplicates)
        .bind(s.damaged)
        .bind(s.skipped)
        .bind(s.bytes)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(map_insert_err(what.clone()))?,
        Change::UpdateSession(s) => sqlx::query(
            "UPDATE offload_sessions SET device_serial = $2, officer = $3, station = $4, source = $5, started_at = $6, \
             finished_at = $7, status = $8, device_clock_offset_ms = $9, device_cleared = $10, files_seen = $11, \
             imported = $12, duplicates = $13, damaged = $14, skipped = $15, bytes = $16, ledger_seq = $17 WHERE id = $1",
        )
        .bind(&s.id)
        .bind(&s.device_serial)
        .bind(&s.officer)
        .bind(&s.station)
        .bind(&s.source)
        .bind(s.started_at)
        .bind(s.finished_at)
        .bind(&s.status)
        .bind(s.device_clock_offset_ms)
        .bind(s.device_cleared)
        .bind(s.files_seen)
        .bind(s.imported)
        .bind(s.duplicates)
        .bind(s.damaged)
        .bind(s.skipped)
        .bind(s.bytes)
        .bind(seq)
        .execute(&mut *tx)
        .await?,
        Change::StoreRecording(r) => sqlx::query(
            "INSERT INTO recordings (sha256, sm3, size, media_kind, capture_start, capture_end, duration_ms, time_source, \
             device_serial, officer, name_device_id, name_officer_id, sequence, important, original_name, original_path, \
             offloaded_at, station, session_id, damaged, damage_reason, ledger_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
        )
        .bind(&r.sha256)
        .bind(&r.sm3)
        .bind(r.size)
        .bind(&r.media_kind)
        .bind(r.capture_start)
        .bind(r.capture_end)
        .bind(r.duration_ms)
        .bind(&r.time_source)
        .bind(&r.device_serial)
        .bind(&r.officer)
        .bind(&r.name_device_id)
        .bind(&r.name_officer_id)
        .bind(r.sequence)
        .bind(r.important)
        .bind(&r.original_name)
        .bind(&r.original_path)
        .bind(r.offloaded_at)
        .bind(&r.station)
        .bind(&r.session_id)
        .bind(r.damaged)
        .bind(&r.damage_reason)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(map_insert_err(what.clone()))?,
        Change::AddName(n) => sqlx::query(
            "INSERT INTO recording_names (sha256, device_serial, original_path, size, session_id, seen_at, ledger_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&n.sha256)
        .bind(&n.device_serial)
        .bind(&n.original_path)
        .bind(n.size)
        .bind(&n.session_id)
        .bind(n.seen_at)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(map_insert_err(what.clone()))?,
        Change::Insert(row) => {
            let (table, _, _, cols) = row.meta();
            let marks: Vec<String> = (1..=cols.len() + 1).map(|i| format!("${i}")).collect();
            let sql = format!(
                "INSERT INTO {table} ({}, ledger_seq) VALUES ({})",
                cols.join(", "),
                marks.join(", ")
            );
            // Table and column names come from the compile-time lists in domain.rs; values are bound.
            bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), row.values())
                .bind(seq)
                .execute(&mut *tx)
                .await
                .map_err(map_insert_err(what.clone()))?
        }
        Change::Update(row) => {
            let (table, _, keys, cols) = row.meta();
            let n = cols.len();
            let sets: Vec<String> = cols.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
            let wheres: Vec<String> = keys.iter().enumerate().map(|(i, k)| format!("{k} = ${}", n + 2 + i)).collect();
            let sql = format!(
                "UPDATE {table} SET {}, ledger_seq = ${} WHERE {}",
                sets.join(", "),
                n + 1,
                wheres.join(" AND ")
            );
            bind_all(bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), row.values()).bind(seq), row.key_values())
                .execute(&mut *tx)
                .await?
        }
        Change::Event { .. } => return Ok(()),
    };
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound(what));
    }
    Ok(())
}

impl Catalog {
    /// Rows of a domain table matching `filter` (SQL after `WHERE`, with `$1…` placeholders bound
    /// to `binds`; `None` for all rows), in key order.
    pub async fn select<T>(&self, filter: Option<&str>, binds: Vec<SqlValue>) -> Result<Vec<T>>
    where
        T: DomainTable + for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = format!(
            "SELECT {}, ledger_seq FROM {} {} ORDER BY {}",
            T::COLUMNS.join(", "),
            T::TABLE,
            filter.map(|f| format!("WHERE {f}")).unwrap_or_default(),
            T::KEY.join(", ")
        );
        // `filter` is written by the application layer, never taken from input; values are bound.
        Ok(
            bind_all_as(sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql)), binds)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// How many rows a domain table holds.
    pub async fn count<T: DomainTable>(&self) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM {}", T::TABLE);
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.pool)
            .await?;
        Ok(n.max(0) as u64)
    }

    /// One domain row by its (single-column) key.
    pub async fn get<T>(&self, key: &str) -> Result<Option<T>>
    where
        T: DomainTable + for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
    {
        let filter = format!("{} = $1", T::KEY[0]);
        Ok(self
            .select::<T>(Some(&filter), vec![SqlValue::Text(Some(key.to_string()))])
            .await?
            .into_iter()
            .next())
    }

    /// Recordings matching `filter` (SQL after `WHERE`), for the compliance check's windows.
    pub async fn recordings_where(
        &self,
        filter: &str,
        binds: Vec<SqlValue>,
    ) -> Result<Vec<RecordingRow>> {
        let sql = format!("SELECT * FROM recordings WHERE {filter}");
        Ok(bind_all_as(
            sqlx::query_as::<_, RecordingRow>(sqlx::AssertSqlSafe(sql)),
            binds,
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The check's columns of the recordings matching `filter` (SQL after `WHERE`, written by the
    /// application layer; values bound).
    pub async fn recording_facts_where(
        &self,
        filter: &str,
        binds: Vec<SqlValue>,
    ) -> Result<Vec<RecordingFactRow>> {
        let sql = format!(
            "SELECT {} FROM recordings WHERE {filter}",
            RecordingFactRow::COLUMNS
        );
        Ok(bind_all_as(
            sqlx::query_as::<_, RecordingFactRow>(sqlx::AssertSqlSafe(sql)),
            binds,
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// (recording, activity) pairs of the links matching `filter` (SQL after `WHERE`, written by
    /// the application layer; values bound).
    pub async fn link_pairs_where(
        &self,
        filter: &str,
        binds: Vec<SqlValue>,
    ) -> Result<Vec<(String, String)>> {
        let sql = format!("SELECT sha256, activity_id FROM activity_links WHERE {filter}");
        Ok(bind_all_as(
            sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)),
            binds,
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The longest activity (end − start, µs; 0 when there is none): with it, "activities that
    /// overlap [lo, hi]" is one indexed range on `start_at` (migration 0003 indexes the span).
    pub async fn longest_activity_us(&self) -> Result<i64> {
        let n: Option<i64> = sqlx::query_scalar("SELECT MAX(end_at - start_at) FROM activities")
            .fetch_one(&self.pool)
            .await?;
        Ok(n.unwrap_or(0).max(0))
    }

    /// The longest returned checkout (return − out, µs; 0 when there is none); open checkouts
    /// are read separately.
    pub async fn longest_checkout_us(&self) -> Result<i64> {
        let n: Option<i64> = sqlx::query_scalar("SELECT MAX(returned_at - out_at) FROM checkouts")
            .fetch_one(&self.pool)
            .await?;
        Ok(n.unwrap_or(0).max(0))
    }

    /// Every domain row as (ledger subject, ledger_seq, the snapshot the ledger recorded), for `verify`.
    pub async fn domain_snapshots(&self) -> Result<Vec<(String, i64, serde_json::Value)>> {
        async fn add<T>(c: &Catalog, out: &mut Vec<(String, i64, serde_json::Value)>) -> Result<()>
        where
            T: DomainTable + Serialize + for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
        {
            for r in c.select::<T>(None, vec![]).await? {
                let snap = serde_json::to_value(&r).unwrap_or(serde_json::Value::Null);
                out.push((r.subject(), r.ledger_seq(), snap));
            }
            Ok(())
        }
        let mut out = Vec::new();
        add::<UnitRow>(self, &mut out).await?;
        add::<OfficerRow>(self, &mut out).await?;
        add::<CheckoutRow>(self, &mut out).await?;
        add::<ActivityRow>(self, &mut out).await?;
        add::<LinkRow>(self, &mut out).await?;
        add::<NoRecordRow>(self, &mut out).await?;
        add::<InterruptionRow>(self, &mut out).await?;
        add::<ExtensionRow>(self, &mut out).await?;
        add::<ApprovalRow>(self, &mut out).await?;
        add::<HoldRow>(self, &mut out).await?;
        add::<AccessRequestRow>(self, &mut out).await?;
        Ok(out)
    }

    /// The raw pool, for the benchmark's bulk data generation and its baseline scan only.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

impl Catalog {
    /// Writes rows **without ledger entries**, many per transaction. Only for the compliance-check
    /// benchmark's synthetic year (millions of rows, where one signed ledger entry per row would
    /// measure the ledger, not the check). `zhilu verify` reports every row written this way, so
    /// it can never pass for evidence. Nothing outside `zhilu bench check` calls it.
    pub async fn bench_load_without_ledger(&self, changes: &[Change]) -> Result<()> {
        for chunk in changes.chunks(20_000) {
            let mut tx = self.pool.begin().await?;
            for c in chunk {
                apply(&mut tx, c, 0).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// SQLite only: folds the write-ahead log back into the database file and truncates it. After a
    /// bulk load of millions of rows the WAL is gigabytes long until the next checkpoint, and every
    /// read pays for searching it; SQLite's auto-checkpoint does this in normal operation.
    pub async fn checkpoint_wal(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// One full scan of the recordings table, every column decoded: the benchmark's baseline.
    pub async fn bench_scan_recordings(&self) -> Result<u64> {
        use futures_util::TryStreamExt;
        let mut rows =
            sqlx::query_as::<_, RecordingRow>("SELECT * FROM recordings").fetch(&self.pool);
        let mut n = 0u64;
        while let Some(r) = rows.try_next().await? {
            n += u64::from(!r.sha256.is_empty());
        }
        Ok(n)
    }

    /// The same full scan through sqlx's native SQLite driver instead of the `Any` driver the
    /// catalog uses (`None` on PostgreSQL): the second baseline, closer to SQLite itself.
    pub async fn bench_scan_recordings_native(&self) -> Result<Option<u64>> {
        use futures_util::TryStreamExt;
        use sqlx::Connection;
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let mut conn = sqlx::SqliteConnection::connect(&self.url).await?;
        let mut n = 0u64;
        {
            let mut rows =
                sqlx::query_as::<_, RecordingRow>("SELECT * FROM recordings").fetch(&mut conn);
            while let Some(r) = rows.try_next().await? {
                n += u64::from(!r.sha256.is_empty());
            }
        }
        conn.close().await?;
        Ok(Some(n))
    }
}
