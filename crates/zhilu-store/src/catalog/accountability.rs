//! Accountability (R28, R29): annual reviews, violations by officers and the sanctions decided on
//! them. All three are ledger state; none is ever updated (a correction is a new record).

use zhilu_model::*;

use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, Versioned, text};

table!(
    AnnualReview, table = "annual_reviews", noun = "annual-review",
    inserted = "annual_review.recorded", updated = "annual_review.updated",
    key = { id => "id" },
    subject = |r| format!("annual-review:{}", r.id),
    state = v1::AnnualReview,
    columns = {
        id => "id", year => "year", held_on => "held_on", summary => "summary",
        recorded_by => "recorded_by", recorded_at => "recorded_at",
    },
);

table!(
    Violation, table = "violations", noun = "violation",
    inserted = "violation.recorded", updated = "violation.updated",
    key = { id => "id" },
    subject = |r| format!("violation:{}", r.id),
    state = v1::Violation,
    columns = {
        id => "id", officer => "officer", kind => "kind", description => "description",
        occurred_on => "occurred_on", findings => "findings", entries => "entries",
        recorded_by => "recorded_by", recorded_at => "recorded_at",
    },
);

table!(
    Sanction, table = "sanctions", noun = "sanction",
    inserted = "sanction.recorded", updated = "sanction.updated",
    key = { id => "id" },
    subject = |r| format!("sanction:{}", r.id),
    state = v1::Sanction,
    columns = {
        id => "id", violation => "violation", officer => "officer", kind => "kind",
        decided_on => "decided_on", from => "from_day", to => "to_day",
        decided_by => "decided_by", recorded_by => "recorded_by", recorded_at => "recorded_at",
    },
);

impl Catalog {
    /// Every annual review, by year.
    pub async fn annual_reviews(&self) -> Result<Vec<AnnualReview>> {
        self.select("1 = 1", vec![], "year, id").await
    }

    /// Every violation, in the order recorded.
    pub async fn violations(&self) -> Result<Vec<Violation>> {
        self.select("1 = 1", vec![], "id").await
    }

    pub async fn violation(&self, id: &RecordId) -> Result<Option<Versioned<Violation>>> {
        self.get(vec![text(id.as_str())]).await
    }

    /// Every sanction, in the order recorded.
    pub async fn sanctions(&self) -> Result<Vec<Sanction>> {
        self.select("1 = 1", vec![], "id").await
    }

    /// The sanctions of one officer.
    pub async fn sanctions_of(&self, officer: &OfficerId) -> Result<Vec<Sanction>> {
        self.select("officer = $1", vec![text(officer.as_str())], "id")
            .await
    }
}
