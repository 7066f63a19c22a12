//! Sampling reviews (R27): the draws, each with its seed, algorithm and population digest, and
//! the reviewers' scorings of the sampled activities (one per draw and activity).

use chrono::{DateTime, Utc};
use zhilu_model::*;

use super::column::Column;
use super::driver::{RawRow, Value};
use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, text};
use crate::error::StoreError;

table!(
    SampleDraw, table = "sample_draws", noun = "sample",
    inserted = "sample.drawn", updated = "sample.updated",
    key = { id => "id" },
    subject = |r| format!("sample:{}", r.id),
    state = v1::SampleDraw,
    columns = {
        id => "id", period_from => "period_from", period_to => "period_to", ratio => "ratio",
        by => "stratified_by", seed => "seed", algorithm => "algorithm",
        population_count => "population_count", population_digest => "population_digest",
        items => "items", strata => "strata", reason => "reason", drawn_by => "drawn_by",
        drawn_at => "drawn_at",
    },
);

table!(
    SampleReview, table = "sample_reviews", noun = "sample_review",
    inserted = "sample.reviewed", updated = "sample_review.updated",
    key = { draw => "draw_id", activity => "activity_id" },
    subject = |r| format!("sample_review:{}/{}", r.draw, r.activity),
    state = v1::SampleReview,
    columns = {
        draw => "draw_id", activity => "activity_id", items => "items", comment => "comment",
        reviewer => "reviewer", reviewed_at => "reviewed_at",
    },
);

fn raw_text(row: &dyn RawRow, i: usize) -> Result<String> {
    row.text(i)?
        .map(str::to_string)
        .ok_or_else(|| StoreError::Conflict("空值".into()))
}

/// A ratio as its shortest decimal text (`0.05`), so both backends hold the same bytes.
impl Column for f64 {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(self.to_string()))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<std::result::Result<Self, String>> {
        let s = raw_text(row, i)?;
        Ok(s.parse::<f64>().map_err(|e| format!("{s} 不是数值：{e}")))
    }
}

macro_rules! plain_text_column {
    ($($t:ty),+) => {$(
        impl Column for $t {
            const NULL: Value = Value::Text(None);
            fn encode(&self) -> Value {
                Value::Text(Some(self.as_str().to_string()))
            }
            fn decode(row: &dyn RawRow, i: usize) -> Result<std::result::Result<Self, String>> {
                Ok(<$t>::parse(&raw_text(row, i)?).map_err(|e| e.to_string()))
            }
        }
    )+};
}
plain_text_column!(SampleBy);

impl Column for Vec<ActivityId> {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(super::column::json_list(
            self.iter().map(ActivityId::as_str),
        )))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<std::result::Result<Self, String>> {
        let s = raw_text(row, i)?;
        let raw: Vec<String> = match serde_json::from_str(&s) {
            Ok(r) => r,
            Err(e) => return Ok(Err(format!("不是字符串数组：{e}"))),
        };
        Ok(raw
            .iter()
            .map(|v| ActivityId::parse(v).map_err(|e| e.to_string()))
            .collect())
    }
}

/// Strata as `[{"name":…,"population":n,"drawn":n}]`.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredStratum {
    name: String,
    population: u64,
    drawn: u64,
}

pub(crate) fn strata_text(strata: &[SampleStratum]) -> String {
    let raw: Vec<StoredStratum> = strata
        .iter()
        .map(|s| StoredStratum {
            name: s.name.clone(),
            population: s.population,
            drawn: s.drawn,
        })
        .collect();
    serde_json::to_string(&raw).unwrap_or_else(|_| "[]".into())
}

impl Column for Vec<SampleStratum> {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(strata_text(self)))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<std::result::Result<Self, String>> {
        let s = raw_text(row, i)?;
        Ok(serde_json::from_str::<Vec<StoredStratum>>(&s)
            .map(|raw| {
                raw.into_iter()
                    .map(|r| SampleStratum {
                        name: r.name,
                        population: r.population,
                        drawn: r.drawn,
                    })
                    .collect()
            })
            .map_err(|e| format!("不是分层清单：{e}")))
    }
}

/// Review items as `[{"key":…,"label":…,"result":"pass"}]`.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredItem {
    key: String,
    label: String,
    result: String,
}

pub(crate) fn review_items_text(items: &[ReviewItem]) -> String {
    let raw: Vec<StoredItem> = items
        .iter()
        .map(|r| StoredItem {
            key: r.key.clone(),
            label: r.label.clone(),
            result: r.result.as_str().to_string(),
        })
        .collect();
    serde_json::to_string(&raw).unwrap_or_else(|_| "[]".into())
}

impl Column for Vec<ReviewItem> {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(review_items_text(self)))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<std::result::Result<Self, String>> {
        let s = raw_text(row, i)?;
        let raw: Vec<StoredItem> = match serde_json::from_str(&s) {
            Ok(r) => r,
            Err(e) => return Ok(Err(format!("不是评查项目清单：{e}"))),
        };
        Ok(raw
            .into_iter()
            .map(|r| {
                Ok(ReviewItem {
                    result: ReviewResult::parse(&r.result).map_err(|e| e.to_string())?,
                    key: r.key,
                    label: r.label,
                })
            })
            .collect())
    }
}

impl Catalog {
    pub async fn sample_draw(&self, id: &RecordId) -> Result<Option<SampleDraw>> {
        Ok(self
            .get::<SampleDraw>(vec![text(id.as_str())])
            .await?
            .map(|v| v.record))
    }

    /// Every draw, oldest first.
    pub async fn sample_draws(&self) -> Result<Vec<SampleDraw>> {
        self.select("", vec![], "drawn_at, id").await
    }

    /// The reviews of one draw, in the order they were made.
    pub async fn sample_reviews(&self, draw: &RecordId) -> Result<Vec<SampleReview>> {
        self.select(
            "draw_id = $1",
            vec![text(draw.as_str())],
            "reviewed_at, activity_id",
        )
        .await
    }

    /// Every review, in the order they were made.
    pub async fn all_sample_reviews(&self) -> Result<Vec<SampleReview>> {
        self.select("", vec![], "reviewed_at, draw_id, activity_id")
            .await
    }

    /// Activities starting in `[from, to)`, by start.
    pub async fn activities_starting(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Activity>> {
        self.select(
            "start_at >= $1 AND start_at < $2",
            vec![
                Value::Int(Some(from.timestamp_micros())),
                Value::Int(Some(to.timestamp_micros())),
            ],
            "start_at, id",
        )
        .await
    }
}
