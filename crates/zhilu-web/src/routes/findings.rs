//! Findings kept as work items (issue 14): the list (kept in step with a fresh check first), one
//! case with its history, and the steps of its workflow.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use zhilu_app::supervision::findings::{self, FindingFilter, FindingView, Rectification};
use zhilu_model::{FindingCase, FindingState};

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// `open`, `acknowledged`, `rectified`, `closed` (or 待确认、已确认、已整改、已关闭).
    pub state: Option<String>,
    /// Cases concerning this officer.
    pub officer: Option<String>,
    /// Cases concerning this unit.
    pub unit: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// A note (required to close a case that was not rectified).
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectifyBody {
    /// 整改说明.
    pub explanation: String,
    /// Linked records: `NR…`, `IR…`, `EX…`, an activity id or a recording's SHA-256.
    #[serde(default)]
    pub links: Vec<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    pub reason: String,
}

fn state_of(s: Option<&str>) -> Result<Option<FindingState>, ApiError> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            FindingState::parse_label_or_code(s).map_err(|e| {
                ApiError::from(zhilu_app::AppError::Invalid {
                    field: zhilu_app::Field::FindingState,
                    reason: e.to_string(),
                })
            })
        })
        .transpose()
}

/// Brings the cases in step with a fresh check when this server may write.
pub(crate) async fn sync_quietly(s: &AppState) {
    if findings::can_sync(&s.app)
        && let Err(e) = findings::sync(&s.app).await
    {
        tracing::warn!(error = %e, "findings sync failed");
    }
}

#[utoipa::path(
    get,
    operation_id = "list_finding_cases",
    path = "/api/v1/findings/cases",
    tag = "问题整改",
    summary = "问题台账：可见的问题及其办理状态（先按当前检查结果更新）",
    params(CaseQuery),
    responses((status = 200, description = "成功", body = Vec<FindingCase>), openapi::ReadErrors)
)]
pub async fn list(
    State(s): State<AppState>,
    me: CurrentActor,
    Query(q): Query<CaseQuery>,
) -> Result<Json<Vec<FindingCase>>, ApiError> {
    let filter = FindingFilter {
        state: state_of(q.state.as_deref())?,
        officer: q.officer,
        unit: q.unit,
    };
    sync_quietly(&s).await;
    Ok(Json(findings::list(&s.app, &me.actor, &filter).await?))
}

#[utoipa::path(
    get,
    operation_id = "show_finding_case",
    path = "/api/v1/findings/cases/{id}",
    tag = "问题整改",
    summary = "一个问题的详情、办理经过和可办理的步骤",
    params(("id" = String, Path, description = "问题编号")),
    responses((status = 200, description = "成功", body = FindingView), openapi::ReadErrors)
)]
pub async fn show(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
) -> Result<Json<FindingView>, ApiError> {
    Ok(Json(findings::show(&s.app, &me.actor, &id).await?))
}

#[utoipa::path(
    post,
    operation_id = "acknowledge_finding",
    path = "/api/v1/findings/cases/{id}/acknowledge",
    tag = "问题整改",
    summary = "确认问题（被指出的执法人员或其单位负责人）",
    params(("id" = String, Path, description = "问题编号")),
    request_body = NoteBody,
    responses((status = 200, description = "已确认", body = FindingCase), openapi::WriteErrors)
)]
pub async fn acknowledge(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<Json<FindingCase>, ApiError> {
    Ok(Json(
        findings::acknowledge(&s.app, &me.actor, &id, b.note.as_deref()).await?,
    ))
}

#[utoipa::path(
    post,
    operation_id = "rectify_finding",
    path = "/api/v1/findings/cases/{id}/rectify",
    tag = "问题整改",
    summary = "报告整改：整改说明和关联的记录",
    params(("id" = String, Path, description = "问题编号")),
    request_body = RectifyBody,
    responses((status = 200, description = "已报告整改", body = FindingCase), openapi::WriteErrors)
)]
pub async fn rectify(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RectifyBody>,
) -> Result<Json<FindingCase>, ApiError> {
    let r = Rectification {
        explanation: b.explanation,
        links: b.links,
    };
    Ok(Json(findings::rectify(&s.app, &me.actor, &id, &r).await?))
}

#[utoipa::path(
    post,
    operation_id = "close_finding",
    path = "/api/v1/findings/cases/{id}/close",
    tag = "问题整改",
    summary = "关闭问题（监督人员；尚未整改的须写明理由）",
    params(("id" = String, Path, description = "问题编号")),
    request_body = NoteBody,
    responses((status = 200, description = "已关闭", body = FindingCase), openapi::WriteErrors)
)]
pub async fn close(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<Json<FindingCase>, ApiError> {
    Ok(Json(
        findings::close(&s.app, &me.actor, &id, b.note.as_deref()).await?,
    ))
}

#[utoipa::path(
    post,
    operation_id = "reopen_finding",
    path = "/api/v1/findings/cases/{id}/reopen",
    tag = "问题整改",
    summary = "重新打开已整改或已关闭的问题（监督人员），须写明理由",
    params(("id" = String, Path, description = "问题编号")),
    request_body = ReopenBody,
    responses((status = 200, description = "已重新打开", body = FindingCase), openapi::WriteErrors)
)]
pub async fn reopen(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReopenBody>,
) -> Result<Json<FindingCase>, ApiError> {
    Ok(Json(
        findings::reopen(&s.app, &me.actor, &id, &b.reason).await?,
    ))
}
