//! Numbers for the identifiers people read out (`CO00012`, `NR00003`, `A20261120-004`), drawn from
//! one counter row per series with a single atomic statement, so that two writers — two tasks of a
//! server, or a server and a CLI — never draw the same number. (Counting the rows and adding one,
//! as earlier releases did, collides as soon as two processes write.)
//!
//! A number drawn for a change that is then refused is not reused: series may have gaps, never
//! duplicates. The ledger, not the series, proves that nothing was removed.

use super::{Catalog, Result, stmt, text};
use crate::error::StoreError;

/// A series of numbered identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counter {
    Checkout,
    NoRecord,
    Interruption,
    Extension,
    Access,
    Hold,
    Grant,
    Playback,
    /// Purge requests (R20).
    Purge,
    /// Preservation discs (R21).
    Disc,
    /// Devices' costs (R31).
    Cost,
    /// Findings kept as work items (issue 14): `WT00001`.
    Finding,
    /// Sampling review draws (R27).
    Sample,
    /// Violations (R29): `WG00001`.
    Violation,
    /// Sanctions (R29): `CF00001`.
    Sanction,
    /// Annual reviews (R28): `NP00001`.
    AnnualReview,
    /// Activities are numbered per day of their start (China local date, `yyyymmdd`).
    ActivityDay(String),
}

impl Counter {
    fn series(&self) -> String {
        match self {
            Counter::Checkout => "CO".into(),
            Counter::NoRecord => "NR".into(),
            Counter::Interruption => "IR".into(),
            Counter::Extension => "EX".into(),
            Counter::Access => "AR".into(),
            Counter::Hold => "H".into(),
            Counter::Grant => "G".into(),
            Counter::Playback => "V".into(),
            Counter::Purge => "PR".into(),
            Counter::Disc => "GD".into(),
            Counter::Sample => "CC".into(),
            Counter::Cost => "FY".into(),
            Counter::Finding => "WT".into(),
            Counter::Violation => "WG".into(),
            Counter::Sanction => "CF".into(),
            Counter::AnnualReview => "NP".into(),
            Counter::ActivityDay(day) => format!("A{day}-"),
        }
    }

    /// The identifier with number `n` of this series.
    fn format(&self, n: u64) -> String {
        match self {
            Counter::ActivityDay(_) => format!("{}{n:03}", self.series()),
            _ => format!("{}{n:05}", self.series()),
        }
    }
}

impl Catalog {
    /// Draws the next identifier of a series.
    pub async fn next_id(&self, counter: &Counter) -> Result<String> {
        let n = self
            .scalar_int(
                stmt(
                    "INSERT INTO id_counters (name, last) VALUES ($1, 1) \
                     ON CONFLICT (name) DO UPDATE SET last = id_counters.last + 1 RETURNING last",
                ),
                vec![text(&counter.series())],
            )
            .await?
            .ok_or_else(|| StoreError::Conflict("编号计数器".into()))?;
        Ok(counter.format(u64::try_from(n).unwrap_or(0)))
    }
}
