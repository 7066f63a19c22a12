//! The catalog: every record Zhilu keeps, in SQLite or PostgreSQL, and the audit ledger that proves
//! them. The store owns all SQL; what leaves it are typed records from `zhilu-model`.
//!
//! One module per capability owns its tables and their queries: `registry` (devices, stations,
//! units, officers, checkouts), `offload` (sessions, recordings, names), `records` (activities,
//! links, non-recording, interruption and extension records, legal holds), `access` (approvals,
//! access requests), `facts` (what the compliance check reads), `ledger` (the one write path and
//! the log's own tables). Instants are stored as unix microseconds, booleans as 0/1.
//!
//! Crash consistency: [`Catalog::commit`] appends the ledger entries, their tree nodes, the row
//! changes, the new tree head and its signed checkpoint in one transaction. Either all of it is
//! durable (SQLite WAL with `synchronous=FULL`, PostgreSQL's WAL) or none of it is.

mod access;
mod accountability;
pub(crate) mod change;
pub(crate) mod column;
mod costs;
mod counters;
mod discs;
pub(crate) mod driver;
pub(crate) mod entry;
mod facts;
mod findings;
mod identity;
mod ledger;
mod locks;
mod offload;
mod purge;
mod records;
mod registry;
mod sampling;
mod snapshots;
mod stations;
pub(crate) mod table;
mod witness;

#[cfg(feature = "testing")]
pub(crate) use change::apply;

use std::borrow::Cow;

use zhilu_ledger::HashAlg;
use zhilu_model as m;

pub use change::{Change, Event, Version, Versioned};
pub use counters::Counter;
pub use driver::Backend;
pub use facts::{FactRow, RecordingFactRef};
pub use facts::{FactRows, FactWindow};
pub use identity::{LoginFailures, WebSession};
pub use ledger::{Appended, CheckpointSigner, LedgerEntry};
pub use locks::DeviceLock;
pub use offload::PrefixLookup;
pub use snapshots::Snapshot;
pub use stations::{StationCredential, StationUpload, UploadStatus};
pub use witness::Cosignature;

use driver::{Driver, RawRow, Value};
use table::{Table, TableMeta, tables};

use crate::error::StoreError;

pub(crate) type Result<T> = std::result::Result<T, StoreError>;

tables! {
    Device(m::Device),
    DeviceEvent(m::DeviceEvent),
    Station(m::Station),
    Session(m::OffloadSession),
    Recording(m::Recording),
    Name(m::RecordingName),
    Unit(m::Unit),
    Officer(m::Officer),
    Checkout(m::Checkout),
    Activity(m::Activity),
    Link(m::Link),
    NoRecord(m::NoRecord),
    Interruption(m::Interruption),
    Extension(m::Extension),
    Approval(m::Approval),
    Hold(m::Hold),
    Access(m::AccessRequest),
    Account(m::Account),
    Credential(m::Credential),
    Grant(m::Grant),
    Playback(m::Playback),
    Classification(m::Classification),
    PurgeRequest(m::PurgeRequest),
    Tombstone(m::Tombstone),
    Disc(m::PreservationDisc),
    DiscCopy(m::DiscCopy),
    AnnualReview(m::AnnualReview),
    Violation(m::Violation),
    Sanction(m::Sanction),
    SampleDraw(m::SampleDraw),
    SampleReview(m::SampleReview),
    FindingCase(m::FindingCase),
    DeviceCost(m::DeviceCost),
    StationCredential(stations::StationCredential),
    StationUpload(stations::StationUpload),
}

/// The catalog handle. Cheap to share (`Arc<App>` holds one); every method may run concurrently
/// with any other, in this process or another: writes queue on the database's write lock.
#[derive(Debug)]
pub struct Catalog {
    pub(crate) db: Box<dyn Driver>,
    alg: HashAlg,
    /// The tree as this handle's last commit left it (see [`ledger::Frontier`]).
    frontier: std::sync::Mutex<Option<ledger::Frontier>>,
}

/// Statements come as literals or are generated from compile-time column lists.
fn stmt(s: impl Into<Cow<'static, str>>) -> Cow<'static, str> {
    s.into()
}

impl Catalog {
    /// Connects, applies pending migrations and makes sure the ledger head exists. Refuses a
    /// catalog whose ledger was created with another hash algorithm.
    pub async fn open(url: &str, alg: HashAlg) -> Result<Self> {
        let db = driver::connect(url).await?;
        let c = Catalog {
            db,
            alg,
            frontier: Default::default(),
        };
        if !c.db.read_only() {
            c.db.execute(
                stmt(
                    "INSERT INTO ledger_meta (id, alg) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                ),
                vec![Value::Text(Some(alg.as_str().into()))],
            )
            .await?;
        }
        let stored = c
            .scalar_text(stmt("SELECT alg FROM ledger_meta WHERE id = 1"), vec![])
            .await?
            .unwrap_or_default();
        if stored != alg.as_str() {
            return Err(StoreError::LedgerCorrupt(format!(
                "审计日志使用 {stored} 哈希，配置却要求 {}",
                alg.as_str()
            )));
        }
        Ok(c)
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// This process may only read the catalog (a read-only copy or mount).
    pub fn read_only(&self) -> bool {
        self.db.read_only()
    }

    pub fn hash_alg(&self) -> HashAlg {
        self.alg
    }

    /// A read-only view of one moment of the catalog: every query on the returned `Catalog` reads
    /// the same snapshot (SQLite WAL read transaction; PostgreSQL REPEATABLE READ), whatever is
    /// committed meanwhile. Writing through it fails. Dropping it ends the transaction.
    pub async fn snapshot(&self) -> Result<Catalog> {
        let tx = self.db.begin_read().await?;
        Ok(Catalog {
            db: Box::new(driver::ReadSnapshot::new(self.db.backend(), tx)),
            alg: self.alg,
            frontier: Default::default(),
        })
    }

    /// Closes the pool, waiting for connections to finish (lets SQLite checkpoint its WAL).
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Records of table `T` matching `filter` (SQL after `WHERE`, values bound), in `order`.
    async fn select<T: Table + Send>(
        &self,
        filter: &str,
        args: Vec<Value>,
        order: &str,
    ) -> Result<Vec<T>> {
        Ok(self
            .select_versioned::<T>(filter, args, order)
            .await?
            .into_iter()
            .map(|v| v.record)
            .collect())
    }

    /// [`Catalog::select`], each record with its version (for an update).
    async fn select_versioned<T: Table + Send>(
        &self,
        filter: &str,
        args: Vec<Value>,
        order: &str,
    ) -> Result<Vec<Versioned<T>>> {
        let mut sql = table::select::<T>();
        if !filter.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(filter);
        }
        if !order.is_empty() {
            sql.push_str(" ORDER BY ");
            sql.push_str(order);
        }
        let mut out = Vec::new();
        self.db
            .each(stmt(sql), args, &mut |row: &dyn RawRow| {
                let (record, seq) = T::decode(row)?;
                out.push(Versioned {
                    record,
                    version: Version(seq),
                });
                Ok(())
            })
            .await?;
        Ok(out)
    }

    /// The record of table `T` with key `key`, and its version.
    async fn get<T: Table + Send>(&self, key: Vec<Value>) -> Result<Option<Versioned<T>>> {
        let filter: Vec<String> = T::KEY
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ${}", i + 1))
            .collect();
        Ok(self
            .select_versioned::<T>(&filter.join(" AND "), key, "")
            .await?
            .pop())
    }

    /// Records of `T` whose `column` is one of `values`, 500 values per query.
    async fn select_in<T: Table + Send>(
        &self,
        column: &str,
        values: &[String],
        order: &str,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for chunk in values.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let filter = format!("{column} IN ({})", marks.join(", "));
            let args = chunk.iter().map(|v| Value::Text(Some(v.clone()))).collect();
            out.extend(self.select::<T>(&filter, args, order).await?);
        }
        Ok(out)
    }

    async fn scalar_int(&self, sql: Cow<'static, str>, args: Vec<Value>) -> Result<Option<i64>> {
        let mut out = None;
        self.db
            .each(sql, args, &mut |row: &dyn RawRow| {
                out = row.int(0)?;
                Ok(())
            })
            .await?;
        Ok(out)
    }

    async fn scalar_text(
        &self,
        sql: Cow<'static, str>,
        args: Vec<Value>,
    ) -> Result<Option<String>> {
        let mut out = None;
        self.db
            .each(sql, args, &mut |row: &dyn RawRow| {
                out = row.text(0)?.map(str::to_string);
                Ok(())
            })
            .await?;
        Ok(out)
    }
}

fn text(s: &str) -> Value {
    Value::Text(Some(s.to_string()))
}

fn int(n: i64) -> Value {
    Value::Int(Some(n))
}

fn micros(t: chrono::DateTime<chrono::Utc>) -> Value {
    Value::Int(Some(t.timestamp_micros()))
}

fn opt_text(s: Option<&str>) -> Value {
    Value::Text(s.map(str::to_string))
}
