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
        created_at => "created_at", more => "more", kind => "kind", days => "days",
        activity => "activity",
    },
);

table!(
    Grant, table = "grants", noun = "grant",
    inserted = "grant.issued", updated = "grant.updated",
    key = { id => "id" },
    subject = |r| format!("grant:{}", r.id),
    state = v1::Grant,
    columns = {
        id => "id", request => "request", holder => "holder", kind => "kind", items => "items",
        granted_at => "granted_at", expires_at => "expires_at", revoked_at => "revoked_at",
        revoked_by => "revoked_by",
    },
);

table!(
    Playback, table = "playbacks", noun = "playback",
    inserted = "playback.started", updated = "playback.progressed",
    key = { id => "id" },
    subject = |r| format!("playback:{}", r.id),
    state = v1::Playback,
    columns = {
        id => "id", grant => "grant_id", user => "user_id", sha256 => "sha256", kind => "kind",
        started_at => "started_at", ranges => "ranges", bytes => "bytes",
        updated_at => "updated_at",
    },
);

table!(
    Classification, table = "classifications", noun = "classification",
    inserted = "classification.set", updated = "classification.changed",
    key = { item => "item" },
    subject = |r| format!("classification:{}", r.item),
    state = v1::Classification,
    columns = {
        item => "item", secrecy => "secrecy", set_by => "set_by", set_at => "set_at",
    },
);

impl Catalog {
    pub async fn access_request(&self, id: &RecordId) -> Result<Option<Versioned<AccessRequest>>> {
        self.get(vec![text(id.as_str())]).await
    }

    /// Every access request, oldest first (the register, R23).
    pub async fn access_requests(&self) -> Result<Vec<AccessRequest>> {
        self.select("1 = 1", vec![], "created_at, id").await
    }

    pub async fn grant(&self, id: &RecordId) -> Result<Option<Versioned<Grant>>> {
        self.get(vec![text(id.as_str())]).await
    }

    /// The grants a user holds (any state), newest first.
    pub async fn grants_of(&self, holder: &OfficerId) -> Result<Vec<Grant>> {
        self.select(
            "holder = $1",
            vec![text(holder.as_str())],
            "granted_at DESC, id DESC",
        )
        .await
    }

    /// Every grant, oldest first.
    pub async fn grants(&self) -> Result<Vec<Grant>> {
        self.select("1 = 1", vec![], "granted_at, id").await
    }

    /// The grants made on one request.
    pub async fn grants_for_request(&self, request: &RecordId) -> Result<Vec<Grant>> {
        self.select("request = $1", vec![text(request.as_str())], "id")
            .await
    }

    pub async fn playback(&self, id: &RecordId) -> Result<Option<Versioned<Playback>>> {
        self.get(vec![text(id.as_str())]).await
    }

    /// Every viewing and copying, oldest first.
    pub async fn playbacks(&self) -> Result<Vec<Playback>> {
        self.select("1 = 1", vec![], "started_at, id").await
    }

    /// Every classification that is set (declassified items are left out).
    pub async fn classifications(&self) -> Result<Vec<Classification>> {
        self.select("secrecy IS NOT NULL", vec![], "item").await
    }

    pub async fn classification(&self, item: &str) -> Result<Option<Versioned<Classification>>> {
        self.get(vec![text(item)]).await
    }

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
