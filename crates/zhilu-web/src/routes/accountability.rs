//! Accountability (R28, R29): violations recorded against officers and the sanctions decided on
//! them, annual reviews. Who may (supervisors record; readers by their reach, an officer their
//! own) is the app's rule.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use zhilu_app::supervision::accountability::{
    self as acc, AnnualReviews, NewAnnualReview, NewSanction, NewViolation, SanctionView,
    ViolationView, parse_day,
};
use zhilu_model::{AnnualReview, Sanction, Violation};

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

fn opt_day(s: Option<&str>) -> Result<Option<chrono::NaiveDate>, ApiError> {
    Ok(s.filter(|s| !s.trim().is_empty())
        .map(parse_day)
        .transpose()?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViolationBody {
    /// The officer's id.
    pub officer: String,
    /// A violation id of the profile's catalogue (`lend_device`).
    pub kind: String,
    pub description: String,
    /// The Beijing day it occurred, `YYYY-MM-DD` (today when absent).
    #[serde(default)]
    pub occurred_on: Option<String>,
    /// Finding cases that prove it (`WT00001`).
    #[serde(default)]
    pub findings: Vec<String>,
    /// Ledger entries (sequence numbers) that prove it.
    #[serde(default)]
    pub entries: Vec<u64>,
}

/// Records a violation by an officer (R29).
#[utoipa::path(
    post,
    path = "/api/v1/violations",
    tag = "责任追究",
    summary = "登记违规行为",
    request_body = ViolationBody,
    responses((status = 201, description = "已登记", body = Violation), openapi::WriteErrors)
)]
pub async fn add_violation(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<ViolationBody>,
) -> Result<(StatusCode, Json<Violation>), ApiError> {
    let v = acc::add_violation(
        &s.app,
        &me.actor,
        NewViolation {
            officer: b.officer,
            kind: b.kind,
            description: b.description,
            occurred_on: opt_day(b.occurred_on.as_deref())?,
            findings: b.findings,
            entries: b.entries,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The violations the caller may see, each with its sanctions.
#[utoipa::path(
    get,
    path = "/api/v1/violations",
    tag = "责任追究",
    summary = "违规行为及处理",
    responses((status = 200, description = "成功", body = Vec<ViolationView>), openapi::LookupErrors)
)]
pub async fn violations(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<ViolationView>>, ApiError> {
    Ok(Json(acc::violations(&s.app, &me.actor).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SanctionBody {
    /// A sanction id of the profile's catalogue (`suspend_one_month`).
    pub kind: String,
    /// The day decided, `YYYY-MM-DD` (today when absent).
    #[serde(default)]
    pub decided_on: Option<String>,
    /// The day it takes effect (the decision day when absent).
    #[serde(default)]
    pub from: Option<String>,
    /// Who decided it (the recorder's name when absent).
    #[serde(default)]
    pub decided_by: Option<String>,
}

/// Records a sanction decided on a violation (R29); one that stops enforcement blocks checkouts
/// during it.
#[utoipa::path(
    post,
    path = "/api/v1/violations/{id}/sanctions",
    tag = "责任追究",
    summary = "登记处理措施",
    params(("id" = String, Path, description = "违规记录编号")),
    request_body = SanctionBody,
    responses((status = 201, description = "已登记", body = Sanction), openapi::WriteErrors)
)]
pub async fn add_sanction(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SanctionBody>,
) -> Result<(StatusCode, Json<Sanction>), ApiError> {
    let x = acc::add_sanction(
        &s.app,
        &me.actor,
        NewSanction {
            violation: id,
            kind: b.kind,
            decided_on: opt_day(b.decided_on.as_deref())?,
            from: opt_day(b.from.as_deref())?,
            decided_by: b.decided_by,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(x)))
}

/// The sanctions the caller may see.
#[utoipa::path(
    get,
    path = "/api/v1/sanctions",
    tag = "责任追究",
    summary = "处理措施",
    responses((status = 200, description = "成功", body = Vec<SanctionView>), openapi::LookupErrors)
)]
pub async fn sanctions(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<SanctionView>>, ApiError> {
    Ok(Json(acc::sanctions(&s.app, &me.actor).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnualReviewBody {
    pub year: i32,
    /// The day it was held, `YYYY-MM-DD` (today when absent).
    #[serde(default)]
    pub held_on: Option<String>,
    pub summary: String,
}

/// Records an annual review (R28).
#[utoipa::path(
    post,
    path = "/api/v1/annual-reviews",
    tag = "责任追究",
    summary = "登记年度评查",
    request_body = AnnualReviewBody,
    responses((status = 201, description = "已登记", body = AnnualReview), openapi::WriteErrors)
)]
pub async fn add_annual_review(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<AnnualReviewBody>,
) -> Result<(StatusCode, Json<AnnualReview>), ApiError> {
    let r = acc::add_annual_review(
        &s.app,
        &me.actor,
        NewAnnualReview {
            year: b.year,
            held_on: opt_day(b.held_on.as_deref())?,
            summary: b.summary,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The annual reviews and, per year, whether one is overdue (R28).
#[utoipa::path(
    get,
    path = "/api/v1/annual-reviews",
    tag = "责任追究",
    summary = "年度评查",
    responses((status = 200, description = "成功", body = AnnualReviews), openapi::LookupErrors)
)]
pub async fn annual_reviews(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<AnnualReviews>, ApiError> {
    Ok(Json(acc::annual_reviews(&s.app, &me.actor).await?))
}
