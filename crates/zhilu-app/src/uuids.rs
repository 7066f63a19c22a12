//! Where the UUIDs of offload sessions and device events come from: random (version 7) in use, a
//! counter in tests, so that the ledger bytes of a test run can be pinned exactly.

use std::sync::atomic::{AtomicU64, Ordering};

pub trait Uuids: Send + Sync {
    fn next(&self) -> String;
}

/// Time-ordered random UUIDs (version 7).
#[derive(Debug, Default)]
pub struct RandomUuids;

impl Uuids for RandomUuids {
    fn next(&self) -> String {
        uuid::Uuid::now_v7().to_string()
    }
}

/// `00000000-0000-7000-8000-000000000001`, `…002`, …: repeatable runs.
#[derive(Debug, Default)]
pub struct SequentialUuids(AtomicU64);

impl Uuids for SequentialUuids {
    fn next(&self) -> String {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        format!("00000000-0000-7000-8000-{n:012x}")
    }
}
