//! The device registry's writes (R1, R2): registering a device and recording its lifecycle
//! events. Who may do it (系统管理员) and what a valid serial is are the app's rules.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use zhilu_app::registry::{self, NewDevice};
use zhilu_model::Device;

use super::openapi;
use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceBody {
    /// 1–64 letters, digits, `-`, `_`, `.` (not starting with `.`).
    pub serial: String,
    /// The Chinese name (执法记录仪) or its English alias (body-camera).
    pub kind: String,
    pub model: String,
    pub unit: String,
    pub keeper: String,
    #[serde(default)]
    pub asset_no: Option<String>,
}

/// Registers a device (R1); its 登记 event is written with it.
#[utoipa::path(
    post,
    path = "/api/v1/devices",
    tag = "设备",
    summary = "登记设备",
    request_body = DeviceBody,
    responses((status = 201, description = "已登记", body = Device), openapi::WriteErrors)
)]
pub async fn register_device(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<DeviceBody>,
) -> Result<(StatusCode, Json<Device>), ApiError> {
    let d = registry::register_device(
        &s.app,
        &me.actor,
        NewDevice {
            serial: b.serial,
            kind: b.kind,
            model: b.model,
            unit: b.unit,
            keeper: b.keeper,
            asset_no: b.asset_no,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceEventBody {
    /// 发放, 调拨, 更新, 维修, 恢复使用, 停用, 报废 or 遗失.
    pub event: String,
    pub detail: String,
    /// The device's new unit (调拨).
    #[serde(default)]
    pub unit: Option<String>,
    /// The device's new keeper.
    #[serde(default)]
    pub keeper: Option<String>,
}

/// Records a lifecycle event (R2); answers the device as the event leaves it.
#[utoipa::path(
    post,
    path = "/api/v1/devices/{serial}/events",
    tag = "设备",
    summary = "登记设备履历事件（维修、调拨、报废等）",
    params(("serial" = String, Path, description = "设备编号")),
    request_body = DeviceEventBody,
    responses((status = 201, description = "已登记事件；回答事件后的设备", body = Device), openapi::WriteErrors)
)]
pub async fn device_event(
    State(s): State<AppState>,
    me: CurrentActor,
    Path(serial): Path<String>,
    ApiJson(b): ApiJson<DeviceEventBody>,
) -> Result<(StatusCode, Json<Device>), ApiError> {
    let d = registry::device_event(
        &s.app,
        &me.actor,
        &serial,
        &b.event,
        &b.detail,
        b.unit.as_deref(),
        b.keeper.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(d)))
}
