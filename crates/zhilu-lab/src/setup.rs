//! What the benchmarks that act as people share: the first login of a user, a fresh data
//! directory's system administrator with one registered camera, and a camera's files to offload.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::TimeZone;
use zhilu_app::registry::{self, NewDevice, NewOfficer, add_officer, register_device};
use zhilu_app::{Actor, App, Clock, DataDir, InitOptions, identity};

use crate::LabError;

/// Every benchmark user's own password (set at their first login).
pub(crate) const PASSWORD: &str = "Bench-Pass-2026";

/// A password an administrator set must be changed at first login: done here for `id`.
pub(crate) async fn own_password(app: &App, id: &str, initial: &str) -> Result<(), LabError> {
    let first = identity::login(app, id, initial, "bench").await?;
    identity::change_password(app, &first.actor, initial, PASSWORD).await?;
    Ok(())
}

/// The three administrators of a fresh directory; returns the system administrator, logged in,
/// after registering camera DSJ0001.
pub(crate) async fn sysadmin_with_camera(app: &App) -> Result<Actor, LabError> {
    let admins = identity::bootstrap_admins(app, "办公室").await?;
    let sys_pw = admins
        .iter()
        .find(|(u, _)| u.id.as_str() == "sysadmin")
        .map(|(_, p)| p.clone())
        .ok_or_else(|| LabError::Invalid("没有系统管理员".into()))?;
    own_password(app, "sysadmin", &sys_pw).await?;
    let sys = identity::login(app, "sysadmin", PASSWORD, "bench")
        .await?
        .actor;
    registry::register_device(
        app,
        &sys,
        NewDevice {
            serial: "DSJ0001".into(),
            kind: "执法记录仪".into(),
            model: "bench".into(),
            unit: "一大队".into(),
            keeper: "保管人".into(),
            ..NewDevice::default()
        },
    )
    .await?;
    Ok(sys)
}

/// The roles the profile's access chain names, in order.
pub(crate) async fn access_chain(app: &App) -> Result<Vec<String>, LabError> {
    Ok(app
        .profile()
        .await?
        .access
        .approvers
        .iter()
        .map(|r| r.get_ref().clone())
        .collect())
}

/// The camera and the officer the offload benchmarks use.
pub(crate) const DEVICE: &str = "DSJ0001";
pub(crate) const OFFICER: &str = "000123";

/// Writes `files` camera files of `size` bytes each into `dir` (named as cameras name them, one per 20 s from 2026-11-20 09:00 Beijing time).
pub(crate) fn camera_files(dir: &Path, files: u64, size: u64) -> Result<(), LabError> {
    fs::create_dir_all(dir).map_err(|e| LabError::io(dir, e))?;
    let base = chrono::Utc
        .with_ymd_and_hms(2026, 11, 20, 1, 0, 0)
        .single()
        .unwrap_or_default();
    for i in 0..files {
        let start = base + chrono::Duration::seconds(20 * i as i64);
        let local = start.with_timezone(&zhilu_policy::facts::china());
        let name = format!(
            "{DEVICE}_{OFFICER}_{}_{:04}.MP4",
            local.format("%Y%m%d%H%M%S"),
            i % 10_000 + 1
        );
        let path = dir.join(name);
        let f = File::create(&path).map_err(|e| LabError::io(&path, e))?;
        let mut w = BufWriter::with_capacity(1 << 16, f);
        zhilu_media::synth::write_large_mp4(&mut w, size, start, 20.0, i + 1)
            .and_then(|()| w.flush())
            .map_err(|e| LabError::io(&path, e))?;
    }
    Ok(())
}

/// A fresh data directory with the people, camera DSJ0001 and officer 000123; returns the app,
/// the system administrator and the custodian.
pub(crate) async fn offload_ready(
    data: &Path,
    clock: Arc<dyn Clock>,
) -> Result<(App, Actor, Actor), LabError> {
    let app = App::init(DataDir::new(data), InitOptions::default(), clock).await?;
    let (sys, keeper) = crate::bench_people(&app).await?;
    register_device(
        &app,
        &sys,
        NewDevice {
            serial: DEVICE.into(),
            kind: "执法记录仪".into(),
            model: "bench".into(),
            unit: "bench".into(),
            keeper: "bench".into(),
            asset_no: None,
        },
    )
    .await?;
    add_officer(
        &app,
        &sys,
        NewOfficer {
            id: OFFICER.into(),
            name: "bench".into(),
            unit: "bench".into(),
            role: None,
        },
    )
    .await?;
    Ok((app, sys, keeper))
}
