//! A state change and how it is applied: one generated `INSERT` or `UPDATE` per row, from the
//! table's declaration — the only way a row is written.

use super::driver::{DriverTx, Value};
use super::{Result, Row, stmt};
use crate::error::StoreError;

/// A row's version: the ledger entry that last wrote it. An update names the version it was
/// computed from and is refused if the row changed since, so two writers never lose each other's
/// change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub(crate) i64);

impl Version {
    /// The ledger entry that last wrote the row.
    pub fn ledger_seq(self) -> u64 {
        u64::try_from(self.0).unwrap_or(0)
    }
}

/// A record with the version it was read at, for an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub record: T,
    pub version: Version,
}

/// A change with no catalog row: a repair, a quarantine, a profile applied…
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: String,
    pub subject: String,
    pub data: serde_json::Value,
}

/// A state change. [`Catalog::commit`](super::Catalog::commit) turns each into one ledger entry
/// plus its row write, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new row.
    Insert(Row),
    /// A new version of an existing row, computed from the row at `version`.
    Update {
        row: Row,
        version: Version,
    },
    Event(Event),
}

impl Change {
    pub fn insert(row: impl Into<Row>) -> Change {
        Change::Insert(row.into())
    }

    pub fn update<T: Into<Row>>(row: T, version: Version) -> Change {
        Change::Update {
            row: row.into(),
            version,
        }
    }

    pub fn event(kind: &str, subject: impl Into<String>, data: serde_json::Value) -> Change {
        Change::Event(Event {
            kind: kind.to_string(),
            subject: subject.into(),
            data,
        })
    }

    /// The ledger entry's `kind`.
    pub fn kind(&self) -> &str {
        match self {
            Change::Insert(r) => r.kind(true),
            Change::Update { row, .. } => row.kind(false),
            Change::Event(e) => &e.kind,
        }
    }

    /// The ledger entry's `subject`: the row it describes.
    pub fn subject(&self) -> String {
        match self {
            Change::Insert(r) | Change::Update { row: r, .. } => r.subject(),
            Change::Event(e) => e.subject.clone(),
        }
    }

    /// The ledger entry's `state`: the row as written (v1 record), or the event's data.
    pub(crate) fn state(&self) -> serde_json::Value {
        match self {
            Change::Insert(r) | Change::Update { row: r, .. } => r.state(),
            Change::Event(e) => e.data.clone(),
        }
    }
}

/// Writes the row of `change`, stamped with the ledger entry `seq` that records it.
pub(crate) async fn apply(tx: &mut dyn DriverTx, change: &Change, seq: i64) -> Result<()> {
    match change {
        Change::Event(_) => Ok(()),
        Change::Insert(row) => {
            let cols = row.columns();
            let marks: Vec<String> = (1..=cols.len() + 1).map(|i| format!("${i}")).collect();
            let sql = format!(
                "INSERT INTO {} ({}, ledger_seq) VALUES ({})",
                row.table(),
                cols.join(", "),
                marks.join(", ")
            );
            let mut args = row.encode();
            args.push(Value::Int(Some(seq)));
            match tx.execute(stmt(sql), args).await {
                Ok(_) => Ok(()),
                Err(StoreError::Duplicate { detail, .. }) => Err(StoreError::Duplicate {
                    subject: row.subject(),
                    detail,
                }),
                Err(e) => Err(e),
            }
        }
        Change::Update { row, version } => {
            let cols = row.columns();
            let n = cols.len();
            let sets: Vec<String> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ${}", i + 1))
                .collect();
            let keys: Vec<String> = row
                .key_columns()
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{k} = ${}", n + 2 + i))
                .collect();
            let sql = format!(
                "UPDATE {} SET {}, ledger_seq = ${} WHERE {} AND ledger_seq = ${}",
                row.table(),
                sets.join(", "),
                n + 1,
                keys.join(" AND "),
                n + 2 + keys.len()
            );
            let mut args = row.encode();
            args.push(Value::Int(Some(seq)));
            args.extend(row.key());
            args.push(Value::Int(Some(version.0)));
            match tx.execute(stmt(sql), args).await {
                Ok(1) => Ok(()),
                Ok(_) => Err(StoreError::Conflict(row.subject())),
                Err(StoreError::Duplicate { detail, .. }) => Err(StoreError::Duplicate {
                    subject: row.subject(),
                    detail,
                }),
                Err(e) => Err(e),
            }
        }
    }
}
