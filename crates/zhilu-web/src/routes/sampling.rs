//! Sampling reviews and the enforcement-quality assessment (R27): draws, reviews, the roll-up.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use zhilu_app::supervision::sampling::{self, AssessmentView, DrawAsk, DrawDetail, ReviewAsk};
use zhilu_model::{SampleBy, SampleDraw, SampleReview};

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawBody {
    /// `2026-Q4`, `2026-11`, `2026` or `2026-10-01..2026-12-31` (Beijing calendar days).
    pub period: String,
    /// Default: the profile's `sampling.ratio`.
    #[serde(default)]
    pub ratio: Option<f64>,
    /// `unit`, `kind` or `all` (default).
    #[serde(default)]
    pub by: Option<String>,
    pub seed: String,
    /// Required for a second draw over an overlapping period.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub activity: String,
    /// Item key → result (`pass`/`partial`/`fail`/`na` or 符合/基本符合/不符合/不适用).
    #[serde(default)]
    pub items: std::collections::BTreeMap<String, String>,
    /// The result of every item not given.
    #[serde(default)]
    pub others: Option<String>,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `2026-Q4`, `2026-11`, `2026` or `2026-10-01..2026-12-31`.
    pub period: String,
}

/// `unit`/`kind`/`all` or their Chinese names; none: one stratum.
pub(crate) fn sample_by(s: Option<&str>) -> Result<SampleBy, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(SampleBy::All),
        Some(s) => SampleBy::parse_label_or_code(s).map_err(|e| {
            ApiError::from(zhilu_app::AppError::Invalid {
                field: zhilu_app::Field::Item,
                reason: e.to_string(),
            })
        }),
    }
}

#[utoipa::path(
    post,
    operation_id = "draw_sample",
    path = "/api/v1/samples",
    tag = "抽查评查",
    summary = "抽取抽查样本（可重复的随机抽样，种子、算法和总体摘要记入审计日志）",
    request_body = DrawBody,
    responses((status = 201, description = "已抽取", body = SampleDraw), openapi::WriteErrors)
)]
pub async fn draw(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<DrawBody>,
) -> Result<(StatusCode, Json<SampleDraw>), ApiError> {
    let by = sample_by(b.by.as_deref())?;
    let d = sampling::draw(
        &s.app,
        &me.actor,
        DrawAsk {
            period: b.period,
            ratio: b.ratio,
            by,
            seed: b.seed,
            reason: b.reason,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[utoipa::path(
    get,
    operation_id = "list_samples",
    path = "/api/v1/samples",
    tag = "抽查评查",
    summary = "全部抽查样本，最新的在前",
    responses((status = 200, description = "成功", body = Vec<SampleDraw>), openapi::ReadErrors)
)]
pub async fn list(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<SampleDraw>>, ApiError> {
    Ok(Json(sampling::list(&s.app, &me.actor).await?))
}

#[utoipa::path(
    get,
    operation_id = "show_sample",
    path = "/api/v1/samples/{id}",
    tag = "抽查评查",
    summary = "一个抽查样本：种子、算法、总体摘要、分层、样本及评查情况",
    params(("id" = String, Path, description = "抽查样本编号")),
    responses((status = 200, description = "成功", body = DrawDetail), openapi::ReadErrors)
)]
pub async fn show(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<DrawDetail>, ApiError> {
    Ok(Json(sampling::show(&s.app, &me.actor, &id).await?))
}

#[utoipa::path(
    post,
    operation_id = "review_sample",
    path = "/api/v1/samples/{id}/reviews",
    tag = "抽查评查",
    summary = "评查样本中的一个执法活动（不能评查本人参与的活动）",
    params(("id" = String, Path, description = "抽查样本编号")),
    request_body = ReviewBody,
    responses((status = 201, description = "已登记", body = SampleReview), openapi::WriteErrors)
)]
pub async fn review(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReviewBody>,
) -> Result<(StatusCode, Json<SampleReview>), ApiError> {
    let r = sampling::review(
        &s.app,
        &me.actor,
        ReviewAsk {
            draw: id,
            activity: b.activity,
            items: b.items.into_iter().collect(),
            others: b.others,
            comment: b.comment,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(
    get,
    operation_id = "assessment",
    path = "/api/v1/assessment",
    tag = "抽查评查",
    summary = "执法质量考评：按期间汇总抽查评查结果，每名执法人员和每个单位的得分",
    params(PeriodQuery),
    responses((status = 200, description = "成功", body = AssessmentView), openapi::ReadErrors)
)]
pub async fn assessment(
    State(s): State<AppState>,
    me: CurrentActor,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<AssessmentView>, ApiError> {
    Ok(Json(sampling::assess(&s.app, &me.actor, &q.period).await?))
}
