//! Approvals (the chain of roles a record waits for) and requests to view or copy (R23).

use zhilu_model::*;

use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, Versioned, text};

table!(
    Approval, table = "approvals", noun = "approval",
    inserted = "approval.requested", updated = "approval.updated",
    key = { id => "id" },
    subject = |r| format!("approval:{}", r.id),
    state = v1::Approval,
    columns = {
        id => "id", kind => "subject_kind", chain => "chain", steps => "steps",
        status => "status", updated_at => "updated_at",
    },
);

table!(
    AccessRequest, table = "access_requests", noun = "access",
    inserted = "access.requested", updated = "access.updated",
    key = { id => "id" },
    subject = |r| format!("access:{}", r.id),
    state = v1::AccessRequest,
    columns = {
        id => "id", sha256 => "sha256", requester => "requester", reason => "reason",
        created_at => "created_at",
    },
);

impl Catalog {
    pub async fn approval(&self, id: &RecordId) -> Result<Option<Versioned<Approval>>> {
        self.get(vec![text(id.as_str())]).await
    }

    /// The approvals of these records (those that have one).
    pub async fn approvals_of(&self, ids: &[RecordId]) -> Result<Vec<Approval>> {
        let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        self.select_in("id", &ids, "id").await
    }

    /// Approvals still waiting, oldest first.
    pub async fn pending_approvals(&self) -> Result<Vec<Approval>> {
        self.select(
            "status = $1",
            vec![text(ApprovalStatus::Pending.as_str())],
            "updated_at, id",
        )
        .await
    }
}
