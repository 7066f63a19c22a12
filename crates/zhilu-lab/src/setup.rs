//! What the benchmarks that act as people share: the first login of a user, and a fresh data
//! directory's system administrator with one registered camera.

use zhilu_app::registry::{self, NewDevice};
use zhilu_app::{Actor, App, identity};

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
