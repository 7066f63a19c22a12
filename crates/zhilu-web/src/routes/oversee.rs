//! 跨机关监督 over the API (issue 15, X4): the agencies this installation's `zhilu.toml` lists
//! (`[[oversee]]`), each as the account of the caller's id there, as the page 「跨机关监督」 and
//! `zhilu oversee` show them (`supervision::oversee::configured` decides who may).

use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;
use zhilu_app::supervision::oversee::{self, AgencySummary};

use super::openapi;
use crate::error::ApiError;
use crate::pages::oversee::{PeriodQuery, problem};
use crate::session::CurrentActor;
use crate::state::AppState;

/// One agency: its figures, or why there are none.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyRow {
    /// The agency's name in `[[oversee]]`.
    pub agency: String,
    /// Its data directory on this installation.
    pub data_dir: String,
    /// Absent when the agency did not open or refused (`problem` says why).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<AgencySummary>,
    /// Why there are no figures, in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The agencies this installation oversees, side by side, for a month or for every record.
#[utoipa::path(
    get,
    path = "/api/v1/oversee",
    tag = "监督",
    summary = "跨机关监督概况（上级监督机关）",
    params(PeriodQuery),
    responses((status = 200, description = "成功", body = Vec<AgencyRow>), openapi::LookupErrors)
)]
pub async fn across(
    State(s): State<AppState>,
    me: CurrentActor,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<Vec<AgencyRow>>, ApiError> {
    let period = q.period().map_err(ApiError::bad_request)?;
    let rows = oversee::configured(&s.app, &me.actor, period).await?;
    Ok(Json(
        rows.into_iter()
            .map(|o| {
                let agency = o.agency.name;
                let data_dir = o.agency.dir.display().to_string();
                match o.outcome {
                    Ok(m) => AgencyRow {
                        agency,
                        data_dir,
                        summary: Some(m),
                        problem: None,
                    },
                    Err(p) => AgencyRow {
                        problem: Some(problem(&agency, p)),
                        agency,
                        data_dir,
                        summary: None,
                    },
                }
            })
            .collect(),
    ))
}
