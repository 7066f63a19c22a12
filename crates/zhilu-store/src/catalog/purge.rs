//! Approved purge (R20): purge requests and the tombstones their execution leaves. A tombstone
//! is committed before the bytes it names are deleted (see `Vault::purge`), so a tombstone whose
//! object still exists is a purge cut off half-way, for the next run to finish.

use zhilu_model::*;

use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, Versioned, text};

table!(
    PurgeRequest, table = "purge_requests", noun = "purge",
    inserted = "purge.requested", updated = "purge.executed",
    key = { id => "id" },
    subject = |r| format!("purge:{}", r.id),
    state = v1::PurgeRequest,
    columns = {
        id => "id", items => "items", reason => "reason", requester => "requester",
        created_at => "created_at", executed_at => "executed_at", executed_by => "executed_by",
    },
);

table!(
    Tombstone, table = "tombstones", noun = "tombstone",
    inserted = "recording.purged", updated = "tombstone.updated",
    key = { sha256 => "sha256" },
    subject = |r| format!("tombstone:{}", r.sha256),
    state = v1::Tombstone,
    columns = {
        sha256 => "sha256", sm3 => "sm3", size => "size", device => "device_serial",
        original_name => "original_name", capture_start => "capture_start",
        capture_end => "capture_end", retention_class => "retention_class",
        retention_reason => "retention_reason", request => "request", approvals => "approvals",
        purged_at => "purged_at", purged_by => "purged_by",
    },
);

impl Catalog {
    pub async fn purge_request(&self, id: &RecordId) -> Result<Option<Versioned<PurgeRequest>>> {
        self.get(vec![text(id.as_str())]).await
    }

    /// Every purge request, oldest first.
    pub async fn purge_requests(&self) -> Result<Vec<PurgeRequest>> {
        self.select("1 = 1", vec![], "created_at, id").await
    }

    pub async fn tombstone(&self, sha256: &Sha256) -> Result<Option<Tombstone>> {
        Ok(self
            .get::<Tombstone>(vec![text(sha256.as_str())])
            .await?
            .map(|v| v.record))
    }

    /// Every tombstone, oldest first.
    pub async fn tombstones(&self) -> Result<Vec<Tombstone>> {
        self.select("1 = 1", vec![], "purged_at, sha256").await
    }
}
