//! `retention list`: until when each recording is kept, in which class, and why (R20–R21).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhilu_model::{DeviceSerial, Sha256};
use zhilu_policy::engine::Index;
use zhilu_policy::profile::RetentionClass;

use crate::App;
use crate::actor::{Action, Actor};
use crate::error::AppError;

/// Where a recording stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RetentionStatus {
    Retain,
    /// Past its date: a person decides in the purge review; nothing is deleted automatically.
    PurgeReview,
    /// Purged after an approved request (R20): only its tombstone remains.
    Purged,
}

impl RetentionStatus {
    pub fn label(self) -> &'static str {
        match self {
            RetentionStatus::Retain => "保存中",
            RetentionStatus::PurgeReview => "待清除审核",
            RetentionStatus::Purged => "已清除",
        }
    }
}

/// One recording's retention.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetentionItem {
    pub sha256: Sha256,
    pub device: DeviceSerial,
    pub capture_start: Option<DateTime<Utc>>,
    /// `None`: kept until a person decides otherwise (permanent, or under a legal hold).
    pub retain_until: Option<DateTime<Utc>>,
    pub class: RetentionClass,
    /// Chinese, citing the article.
    pub reason: String,
    pub status: RetentionStatus,
    /// When it was purged (status `purged`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purged_at: Option<DateTime<Utc>>,
}

/// The retention of every recording.
pub async fn retention(app: &App, actor: &Actor) -> Result<Vec<RetentionItem>, AppError> {
    actor.require_any(Action::ReadRetention)?;
    actor.reads("retention");
    let profile = app.profile().await?;
    let facts = super::facts::read(app, None).await?;
    let ix = Index::new(&facts);
    let holds: HashSet<&str> = facts.holds.iter().map(String::as_str).collect();
    let now = app.now();
    let purged: std::collections::HashMap<String, DateTime<Utc>> = app
        .catalog
        .tombstones()
        .await?
        .into_iter()
        .map(|t| (t.sha256.into_string(), t.purged_at))
        .collect();
    let mut out = Vec::with_capacity(facts.recordings.len());
    for (i, r) in facts.recordings.iter().enumerate() {
        let ret = zhilu_policy::retention::retention(
            &profile,
            r,
            ix.activities_at(i),
            holds.contains(r.sha256.as_str()),
        );
        out.push(RetentionItem {
            sha256: Sha256::parse(&r.sha256).map_err(|e| AppError::OffloadFailed(e.to_string()))?,
            device: DeviceSerial::parse(&r.device)
                .map_err(|e| AppError::OffloadFailed(e.to_string()))?,
            capture_start: r.capture_start,
            retain_until: ret.retain_until,
            class: ret.class,
            purged_at: purged.get(r.sha256.as_str()).copied(),
            status: if purged.contains_key(r.sha256.as_str()) {
                RetentionStatus::Purged
            } else if ret.expired(now) {
                RetentionStatus::PurgeReview
            } else {
                RetentionStatus::Retain
            },
            reason: ret.reason,
        });
    }
    out.sort_by(|a, b| (a.capture_start, &a.sha256).cmp(&(b.capture_start, &b.sha256)));
    let vis = crate::access::visibility(app, actor).await?;
    out.retain(|r| vis.sees(&crate::access::Item::Recording(r.sha256.clone())));
    app.log_classified_shown(
        actor,
        &vis,
        "retention",
        out.iter()
            .map(|r| crate::access::Item::Recording(r.sha256.clone())),
    )
    .await?;
    Ok(out)
}

/// The retention decision of every recording, by SHA-256 (hex): what a purge is checked
/// against (R20), at request time and again at execution.
pub(crate) async fn decisions(
    app: &App,
) -> Result<std::collections::HashMap<String, zhilu_policy::retention::Retention>, AppError> {
    let profile = app.profile().await?;
    let facts = super::facts::read(app, None).await?;
    let ix = Index::new(&facts);
    let holds: HashSet<&str> = facts.holds.iter().map(String::as_str).collect();
    Ok(facts
        .recordings
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let ret = zhilu_policy::retention::retention(
                &profile,
                r,
                ix.activities_at(i),
                holds.contains(r.sha256.as_str()),
            );
            (r.sha256.to_string(), ret)
        })
        .collect())
}
