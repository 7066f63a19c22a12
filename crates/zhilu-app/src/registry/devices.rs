//! The device registry (R1) and lifecycle (R2): only registered devices can be offloaded from.

use zhilu_model::*;
use zhilu_store::Change;

use super::{opt_text, text};
use crate::App;
use crate::actor::{Action, Actor, Scope, Target};
use crate::error::{AppError, Field, Thing, id};

/// What registering a device asks for.
#[derive(Debug, Clone, Default)]
pub struct NewDevice {
    pub serial: String,
    /// The Chinese name or its English alias (`执法记录仪`, `body-camera`).
    pub kind: String,
    pub model: String,
    pub unit: String,
    pub keeper: String,
    pub asset_no: Option<String>,
}

/// Registers a device (R1) and logs its 登记 event (R2).
pub async fn register_device(app: &App, actor: &Actor, req: NewDevice) -> Result<Device, AppError> {
    actor.require(Action::ManageDevices, Target::default())?;
    let device = check_device(app, req).await?;
    let changes = device_changes(app, actor, &device)?;
    app.record(actor, changes).await?;
    Ok(device)
}

/// The device a registration asks for, checked (fields, not yet registered); nothing written.
/// Shared with the spreadsheet import.
pub(crate) async fn check_device(app: &App, req: NewDevice) -> Result<Device, AppError> {
    let serial = id(Field::Serial, DeviceSerial::parse, &req.serial)?;
    let kind = DeviceKind::parse_input(&req.kind).map_err(|e| {
        AppError::invalid(
            Field::DeviceKind,
            format!("{e}，可选：{}", DeviceKind::choices()),
        )
    })?;
    let model = text(Field::Model, &req.model)?;
    let unit = text(Field::Unit, &req.unit)?;
    let keeper = text(Field::Keeper, &req.keeper)?;
    let asset_no = opt_text(Field::AssetNo, req.asset_no.as_deref())?;
    if app.catalog.device(&serial).await?.is_some() {
        return Err(AppError::AlreadyExists {
            what: Thing::Device,
            id: serial.to_string(),
        });
    }
    Ok(Device {
        serial,
        kind,
        model,
        asset_no,
        unit,
        keeper,
        status: DeviceStatus::InService,
        registered_at: app.now(),
    })
}

/// The rows registering a checked device writes: the device and its 登记 event.
pub(crate) fn device_changes(
    app: &App,
    actor: &Actor,
    device: &Device,
) -> Result<Vec<Change>, AppError> {
    let event = DeviceEvent {
        id: id(Field::Event, EventId::parse, &app.uuids.next())?,
        serial: device.serial.clone(),
        event: DeviceEventKind::Registered,
        detail: format!("登记为{}，保管人 {}", device.kind.label(), device.keeper),
        at: device.registered_at,
        actor: actor.ledger_name().to_string(),
    };
    Ok(vec![Change::insert(device.clone()), Change::insert(event)])
}

/// Records a lifecycle event (R2) — with the device's new unit or keeper where the event changes
/// them — and the status it leaves the device in.
pub async fn device_event(
    app: &App,
    actor: &Actor,
    serial: &str,
    event: &str,
    detail: &str,
    unit: Option<&str>,
    keeper: Option<&str>,
) -> Result<Device, AppError> {
    actor.require(Action::ManageDevices, Target::default())?;
    let serial = id(Field::Serial, DeviceSerial::parse, serial)?;
    let kind = DeviceEventKind::parse(event.trim())
        .ok()
        .filter(|k| *k != DeviceEventKind::Registered)
        .ok_or_else(|| {
            let names: Vec<&str> = DeviceEventKind::manual().map(|e| e.label()).collect();
            AppError::invalid(
                Field::Event,
                format!(
                    "未知的设备事件“{}”，可选：{}",
                    event.trim(),
                    names.join("、")
                ),
            )
        })?;
    let detail = text(Field::Detail, detail)?;
    let current = app
        .catalog
        .device(&serial)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Device,
            id: serial.to_string(),
        })?;
    let mut device = current.record.clone();
    if let Some(u) = unit {
        device.unit = text(Field::Unit, u)?;
    }
    if let Some(k) = keeper {
        device.keeper = text(Field::Keeper, k)?;
    }
    if let Some(s) = kind.resulting_status() {
        device.status = s;
    }
    let row = DeviceEvent {
        id: id(Field::Event, EventId::parse, &app.uuids.next())?,
        serial,
        event: kind,
        detail,
        at: app.now(),
        actor: actor.ledger_name().to_string(),
    };
    app.record(
        actor,
        vec![
            Change::update(device.clone(), current.version),
            Change::insert(row),
        ],
    )
    .await?;
    Ok(device)
}

pub async fn devices(app: &App, actor: &Actor) -> Result<Vec<Device>, AppError> {
    let scope = actor.require_any(Action::ReadDevices)?;
    actor.reads("devices");
    Ok(app
        .catalog
        .devices()
        .await?
        .into_iter()
        .filter(|d| scope != Scope::Own || Some(d.unit.as_str()) == actor.unit())
        .collect())
}

pub async fn device(app: &App, actor: &Actor, serial: &str) -> Result<Device, AppError> {
    actor.require_any(Action::ReadDevices)?;
    actor.reads("device");
    let serial = id(Field::Serial, DeviceSerial::parse, serial)?;
    app.catalog
        .device(&serial)
        .await?
        .map(|v| v.record)
        .ok_or(AppError::NotFound {
            what: Thing::Device,
            id: serial.to_string(),
        })
}

/// A device's lifecycle events (R2), or every device's.
pub async fn events(
    app: &App,
    actor: &Actor,
    serial: Option<&str>,
) -> Result<Vec<DeviceEvent>, AppError> {
    actor.require_any(Action::ReadDevices)?;
    actor.reads("device events");
    let serial = serial
        .map(|s| id(Field::Serial, DeviceSerial::parse, s))
        .transpose()?;
    Ok(app.catalog.device_events(serial.as_ref()).await?)
}
