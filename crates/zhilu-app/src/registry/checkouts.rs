//! The usage ledger (使用台账, R3): a device checked out to an officer with the pre-use check
//! (R4), and its return with a summary of what it recorded while it was out.

use chrono::Duration;
use zhilu_model::*;
use zhilu_store::{Change, Counter};

use crate::App;
use crate::actor::{Action, Actor};
use crate::error::{AppError, Field, id};

/// What a checkout records.
#[derive(Debug, Clone, Default)]
pub struct NewCheckout {
    pub device: String,
    pub officer: String,
    /// Battery level at checkout, percent.
    pub battery_pct: Option<i64>,
    /// Free storage at checkout, GB.
    pub free_gb: Option<i64>,
    /// The device clock was checked against the current time.
    pub clock_ok: bool,
}

/// Checks a device out to an officer with the pre-use check (R3, R4). A device that is already
/// out, or not in service, is refused; two checkouts at the same moment cannot both succeed
/// (the catalog allows one open checkout per device).
pub async fn checkout(app: &App, actor: &Actor, c: NewCheckout) -> Result<Checkout, AppError> {
    let device = super::device(app, actor, &c.device).await?;
    let serial = device.serial.clone();
    if device.status != DeviceStatus::InService {
        return Err(AppError::DeviceNotInService {
            serial,
            status: device.status,
        });
    }
    let officer = super::officer(app, &c.officer).await?;
    app.require_for(
        actor,
        Action::Checkout,
        std::slice::from_ref(&officer.id),
        std::slice::from_ref(&device.unit),
    )
    .await?;
    // R29: a sanction stopping this officer's enforcement work runs today.
    crate::supervision::accountability::refuse_if_suspended(app, &officer.id, app.now()).await?;
    let battery_pct =
        match c.battery_pct {
            Some(b) => Some(u8::try_from(b).ok().filter(|b| *b <= 100).ok_or_else(|| {
                AppError::invalid(Field::Battery, format!("应在 0–100 之间（{b}）"))
            })?),
            None => None,
        };
    let free_gb = match c.free_gb {
        Some(g) => Some(
            u32::try_from(g)
                .map_err(|_| AppError::invalid(Field::FreeGb, format!("应为 0 或正数（{g}）")))?,
        ),
        None => None,
    };
    if let Some(open) = app.catalog.open_checkout(&serial).await? {
        return Err(AppError::DeviceAlreadyOut {
            serial,
            officer: open.record.officer.to_string(),
            since: open.record.out_at,
            checkout: open.record.id.to_string(),
        });
    }
    let row = Checkout {
        id: id(
            Field::Record,
            CheckoutId::parse,
            &app.catalog.next_id(&Counter::Checkout).await?,
        )?,
        device: serial.clone(),
        officer: officer.id,
        out_at: app.now(),
        returned_at: None,
        battery_pct,
        free_gb,
        clock_ok: c.clock_ok,
        recorded_summary: None,
    };
    match app.record(actor, vec![Change::insert(row.clone())]).await {
        Ok(_) => Ok(row),
        // Another writer checked the device out between our look and our write.
        Err(AppError::Store(zhilu_store::StoreError::Duplicate { .. })) => {
            match app.catalog.open_checkout(&serial).await? {
                Some(open) => Err(AppError::DeviceAlreadyOut {
                    serial,
                    officer: open.record.officer.to_string(),
                    since: open.record.out_at,
                    checkout: open.record.id.to_string(),
                }),
                None => Err(AppError::Conflict(format!("checkout:{}", row.id))),
            }
        }
        Err(e) => Err(e),
    }
}

/// Returns a device; the usage ledger gets the return time and a summary of what the device
/// recorded while it was out (R3).
pub async fn return_device(app: &App, actor: &Actor, device: &str) -> Result<Checkout, AppError> {
    let serial = id(Field::Device, DeviceSerial::parse, device)?;
    let open = app
        .catalog
        .open_checkout(&serial)
        .await?
        .ok_or_else(|| AppError::NoOpenCheckout(serial.clone()))?;
    app.require_for(
        actor,
        Action::Checkout,
        std::slice::from_ref(&open.record.officer),
        &[],
    )
    .await?;
    let now = app.now();
    let recs = app
        .catalog
        .recordings_of_device_between(&serial, open.record.out_at, now)
        .await?;
    let ms: u64 = recs.iter().filter_map(|r| r.duration_ms).sum();
    let mut row = open.record.clone();
    row.returned_at = Some(now);
    row.recorded_summary = Some(format!(
        "已导出 {} 个文件，合计 {} 分钟",
        recs.len(),
        Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX)).num_minutes()
    ));
    app.record(actor, vec![Change::update(row.clone(), open.version)])
        .await?;
    Ok(row)
}

/// The usage ledger (R3), in checkout order.
pub async fn checkouts(app: &App, actor: &Actor) -> Result<Vec<Checkout>, AppError> {
    actor.require_any(Action::ReadDevices)?;
    actor.reads("checkouts");
    let mut out = Vec::new();
    for c in app.catalog.checkouts().await? {
        if app
            .sees_people(actor, Action::ReadDevices, std::slice::from_ref(&c.officer))
            .await?
        {
            out.push(c);
        }
    }
    Ok(out)
}

/// One line of the usage ledger (使用台账): the checkout and what the device recorded while it
/// was out, as stored now — recordings offloaded after the return count too.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageEntry {
    #[serde(flatten)]
    pub checkout: Checkout,
    /// Recordings captured between checkout and return (or now) that are in the vault.
    pub recordings: u64,
    pub recorded_minutes: u64,
}

/// The usage ledger with what each checkout recorded (R3).
pub async fn usage(app: &App, actor: &Actor) -> Result<Vec<UsageEntry>, AppError> {
    actor.require_any(Action::ReadDevices)?;
    actor.reads("usage ledger");
    let now = app.now();
    let mut out = Vec::new();
    for c in app.catalog.checkouts().await? {
        // The same reach as `checkouts`: an officer sees their own, a unit head their unit's.
        if !app
            .sees_people(actor, Action::ReadDevices, std::slice::from_ref(&c.officer))
            .await?
        {
            continue;
        }
        let recs = app
            .catalog
            .recordings_of_device_between(&c.device, c.out_at, c.returned_at.unwrap_or(now))
            .await?;
        let ms: u64 = recs.iter().filter_map(|r| r.duration_ms).sum();
        out.push(UsageEntry {
            checkout: c,
            recordings: recs.len() as u64,
            recorded_minutes: ms / 60_000,
        });
    }
    Ok(out)
}
