//! Registering many users or devices at once, from a spreadsheet (系统管理员): all or nothing.
//! Every row is checked — its form ([`super::sheet`]) and what the single registration checks —
//! before anything is written; then everything is written in one commit.

use zhilu_model::{Device, FixedRole};

use super::NewDevice;
use super::devices::{check_device, device_changes};
use super::sheet::{self, RowError, SheetError};
use crate::App;
use crate::actor::{Action, Actor, Target};
use crate::error::AppError;
use crate::identity::{UserView, add_users, users::user_changes};

/// Registers several devices (R1) in one commit, each with its 登记 event (R2): all or none.
pub async fn register_devices(
    app: &App,
    actor: &Actor,
    reqs: Vec<NewDevice>,
) -> Result<Vec<Device>, AppError> {
    actor.require(Action::ManageDevices, Target::default())?;
    let mut devices: Vec<Device> = Vec::new();
    let mut changes = Vec::new();
    for req in reqs {
        let device = check_device(app, req).await?;
        if devices.iter().any(|d| d.serial == device.serial) {
            return Err(AppError::AlreadyExists {
                what: crate::Thing::Device,
                id: device.serial.to_string(),
            });
        }
        changes.extend(device_changes(app, actor, &device)?);
        devices.push(device);
    }
    if !changes.is_empty() {
        app.record(actor, changes).await?;
    }
    Ok(devices)
}

/// Imports the devices of a spreadsheet (xlsx or CSV; see [`sheet::DEVICE_COLUMNS`]).
pub async fn import_devices(
    app: &App,
    actor: &Actor,
    bytes: &[u8],
) -> Result<Vec<Device>, SheetError> {
    actor.require(Action::ManageDevices, Target::default())?;
    let (rows, mut failed) = sheet::devices_and_errors(bytes)?;
    for (row, req) in &rows {
        if failed.iter().any(|f| f.row == *row) {
            continue;
        }
        if let Err(e) = check_device(app, req.clone()).await {
            failed.push(RowError {
                row: *row,
                message: e.to_string(),
            });
        }
    }
    if !failed.is_empty() {
        failed.sort_by_key(|f| f.row);
        return Err(SheetError::Rows(failed));
    }
    Ok(register_devices(app, actor, rows.into_iter().map(|(_, d)| d).collect()).await?)
}

/// Imports the users of a spreadsheet (xlsx or CSV; see [`sheet::USER_COLUMNS`]), without
/// passwords: an administrator sets each one (`reset_password`) before they can log in.
/// Administrator roles are the security administrator's to give, so a row naming one fails.
pub async fn import_users(
    app: &App,
    actor: &Actor,
    bytes: &[u8],
) -> Result<Vec<UserView>, SheetError> {
    actor.require(Action::ManageUsers, Target::default())?;
    let (rows, mut failed) = sheet::users_and_errors(bytes)?;
    let mut units = Vec::new();
    for (row, req) in &rows {
        if failed.iter().any(|f| f.row == *row) {
            continue;
        }
        let admin = req
            .roles
            .iter()
            .find_map(|r| FixedRole::parse(r).ok().filter(|f| f.is_admin()));
        let checked = match admin {
            Some(f) => Err(AppError::SeparationOfDuties(format!(
                "{}角色只能由安全保密管理员授予",
                f.label()
            ))),
            None => user_changes(app, req.clone(), &mut units).await.map(|_| ()),
        };
        if let Err(e) = checked {
            failed.push(RowError {
                row: *row,
                message: e.to_string(),
            });
        }
    }
    if !failed.is_empty() {
        failed.sort_by_key(|f| f.row);
        return Err(SheetError::Rows(failed));
    }
    Ok(add_users(app, actor, rows.into_iter().map(|(_, u)| u).collect()).await?)
}
