//! Findings kept as work items (issue 14): one row per finding identity (its key, unique), with
//! its workflow state. Written only by `zhilu_app::supervision::findings`, every change ledgered;
//! two checks syncing at once collide on the unique key or the row's version and retry.

use zhilu_model::*;

use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, Versioned, stmt, text};

table!(
    FindingCase, table = "finding_cases", noun = "finding",
    inserted = "finding.opened", updated = "finding.changed",
    key = { id => "id" },
    subject = |r| format!("finding:{}", r.id),
    state = v1::FindingCase,
    columns = {
        id => "id", key => "key", rule => "rule", code => "code", article => "article",
        severity => "severity", message => "message", officers => "officers", units => "units",
        activity => "activity", recording => "recording", device => "device_serial",
        arose_at => "arose_at", first_seen => "first_seen", last_seen => "last_seen",
        state => "state", acknowledged_by => "acknowledged_by",
        acknowledged_at => "acknowledged_at", rectification => "rectification",
        rectification_links => "rectification_links", rectified_by => "rectified_by",
        rectified_at => "rectified_at", closed_by => "closed_by", closed_at => "closed_at",
        closed_reason => "closed_reason", reopen_count => "reopen_count", note => "note",
    },
);

impl Catalog {
    /// One finding case by id, with its version (for an update).
    pub async fn finding_case(&self, id: &RecordId) -> Result<Option<Versioned<FindingCase>>> {
        self.get(vec![text(id.as_str())]).await
    }

    /// Every finding case with its version, oldest first.
    pub async fn finding_cases(&self) -> Result<Vec<Versioned<FindingCase>>> {
        self.select_versioned("", vec![], "first_seen, id").await
    }

    /// Whether a written record (non-recording `NR…`, interruption `IR…`, extension `EX…`)
    /// with this id exists: what a rectification may link.
    pub async fn written_record_exists(&self, id: &RecordId) -> Result<bool> {
        let n = self
            .scalar_int(
                stmt(
                    "SELECT (SELECT COUNT(*) FROM norecords WHERE id = $1) \
                     + (SELECT COUNT(*) FROM interruptions WHERE id = $2) \
                     + (SELECT COUNT(*) FROM offload_extensions WHERE id = $3)",
                ),
                vec![text(id.as_str()), text(id.as_str()), text(id.as_str())],
            )
            .await?;
        Ok(n.unwrap_or(0) > 0)
    }
}
