//! Every catalog row as the ledger should have recorded it, for `verify` (X1): streamed table by
//! table, so that checking a large catalog does not hold it in memory twice.

use super::driver::RawRow;
use super::{Catalog, Result, TABLES, stmt};

/// One row: its ledger subject, the ledger entry that last wrote it, and its v1 state.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub table: &'static str,
    pub subject: String,
    pub ledger_seq: i64,
    pub state: serde_json::Value,
}

impl Catalog {
    /// Calls `visit` with every row of every table.
    pub async fn for_each_snapshot(&self, visit: &mut (dyn FnMut(Snapshot) + Send)) -> Result<u64> {
        let mut n = 0u64;
        for t in TABLES {
            self.db
                .each(stmt((t.select)()), vec![], &mut |row: &dyn RawRow| {
                    let (subject, ledger_seq, state) = (t.snapshot)(row)?;
                    visit(Snapshot {
                        table: t.name,
                        subject,
                        ledger_seq,
                        state,
                    });
                    n += 1;
                    Ok(())
                })
                .await?;
        }
        Ok(n)
    }

    /// The ledger subject prefixes of every table (`device`, `recording`…): an entry under one of
    /// these subjects must still have its row.
    pub fn table_nouns() -> impl Iterator<Item = &'static str> {
        TABLES.iter().map(|t| t.noun)
    }
}
