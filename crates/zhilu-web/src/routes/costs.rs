//! Devices' costs (R31): recording a cost of a device, a device's costs, the yearly report per
//! unit. Who may (the custodian records; readers by their reach) is the app's rule.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use zhilu_app::supervision::costs::{self, CostReport, NewCost};
use zhilu_model::DeviceCost;

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostBody {
    /// 购置, 维护, 维修, 其他 (or purchase, maintenance, repair, other).
    pub kind: String,
    /// Yuan as a decimal string with at most two decimals (`1234.50`): never a float.
    pub amount: String,
    /// The Beijing day it was incurred, `YYYY-MM-DD`.
    pub on: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Records a cost of a registered device (R31).
#[utoipa::path(
    post,
    path = "/api/v1/devices/{serial}/costs",
    operation_id = "add_device_cost",
    tag = "设备",
    summary = "登记设备费用（购置、维护、维修、其他）",
    params(("serial" = String, Path, description = "设备编号")),
    request_body = CostBody,
    responses((status = 201, description = "已登记", body = DeviceCost), openapi::WriteErrors)
)]
pub async fn add(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(serial): Path<String>,
    ApiJson(b): ApiJson<CostBody>,
) -> Result<(StatusCode, Json<DeviceCost>), ApiError> {
    let c = costs::add_cost(
        &s.app,
        &me.actor,
        NewCost {
            device: serial,
            kind: b.kind,
            amount: b.amount,
            on: b.on,
            note: b.note,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// A device's costs, by day (amounts in fen).
#[utoipa::path(
    get,
    path = "/api/v1/devices/{serial}/costs",
    operation_id = "device_costs",
    tag = "设备",
    summary = "设备费用",
    params(("serial" = String, Path, description = "设备编号")),
    responses((status = 200, description = "成功", body = Vec<DeviceCost>), openapi::LookupErrors)
)]
pub async fn list(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(serial): Path<String>,
) -> Result<Json<Vec<DeviceCost>>, ApiError> {
    Ok(Json(costs::costs(&s.app, &me.actor, &serial).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The year, e.g. 2026.
    pub year: String,
}

/// The yearly cost report per unit (amounts in fen).
#[utoipa::path(
    get,
    path = "/api/v1/costs/report",
    tag = "设备",
    summary = "年度设备经费报表（按单位）",
    params(ReportQuery),
    responses((status = 200, description = "成功", body = CostReport), openapi::LookupErrors)
)]
pub async fn report(
    State(s): State<AppState>,
    me: CurrentActor,
    Query(q): Query<ReportQuery>,
) -> Result<Json<CostReport>, ApiError> {
    let year = costs::parse_year(&q.year)?;
    Ok(Json(costs::cost_report(&s.app, &me.actor, year).await?))
}
