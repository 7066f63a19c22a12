//! Ledgers and registers as spreadsheets (R3, R21, R23): each sheet is built here from the use
//! case that reads it — so it asks the reader's permission and reach exactly as that use case
//! does — as a typed [`Sheet`] with Chinese headers, Beijing times and real dates. The CLI
//! (`zhilu sheet`) and the web pages' downloads write the same sheets with
//! [`zhilu_export::sheet::xlsx`]; the pages show the same rows.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use zhilu_model::*;
use zhilu_policy::facts::china;

use crate::App;
use crate::access::{self, RegisterEntry};
use crate::actor::Actor;
use crate::compliance::{self, CheckScope};
use crate::error::AppError;
use crate::registry::{self, UsageEntry};

pub use zhilu_export::sheet::{Cell, Sheet};

/// The sheets the product writes, each with its title (the worksheet's and the file's name). A
/// period narrows every one but the device register, which is the state of now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SheetKind {
    /// 使用台账 (R3): every checkout of a device, its pre-use check, return and recordings.
    Usage,
    /// 设备登记: every registered device (R1, R2).
    Devices,
    /// 问题清单: the findings of a period (R30).
    Findings,
    /// 调阅登记 (R23): the custodian's register of access.
    Access,
    /// 光盘登记 (R21): every physical copy of a preservation disc, where it is kept, its checks.
    Discs,
    /// 设备经费 (R31): a year's device costs per unit (the period's start gives the year).
    Costs,
    /// 执法质量考评 (R27): the sampling reviews of a period rolled up per unit and officer.
    Assessment,
}

impl SheetKind {
    /// The Chinese title: the worksheet's name, and the downloaded file's.
    pub fn title(self) -> &'static str {
        match self {
            SheetKind::Usage => "使用台账",
            SheetKind::Devices => "设备登记",
            SheetKind::Findings => "问题清单",
            SheetKind::Access => "调阅登记",
            SheetKind::Discs => "光盘登记",
            SheetKind::Costs => "设备经费",
            SheetKind::Assessment => "执法质量考评",
        }
    }

    /// The ASCII name: the CLI's argument and the file name for browsers that ignore a UTF-8
    /// one.
    pub fn stem(self) -> &'static str {
        match self {
            SheetKind::Usage => "usage",
            SheetKind::Devices => "devices",
            SheetKind::Findings => "findings",
            SheetKind::Access => "access",
            SheetKind::Discs => "discs",
            SheetKind::Costs => "costs",
            SheetKind::Assessment => "assessment",
        }
    }
}

/// The rows a period selects: `[from, to)`, either end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl Period {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e)
    }

    /// `[start, end)` (end open when absent) meets the period.
    fn overlaps(&self, start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> bool {
        self.to.is_none_or(|e| start < e) && self.from.is_none_or(|f| end.is_none_or(|x| x > f))
    }
}

/// One sheet, read as the actor may read it.
pub async fn sheet(
    app: &App,
    actor: &Actor,
    kind: SheetKind,
    period: Period,
) -> Result<Sheet, AppError> {
    match kind {
        SheetKind::Usage => usage(app, actor, period).await,
        SheetKind::Devices => devices(app, actor).await,
        SheetKind::Findings => findings(app, actor, period).await,
        SheetKind::Access => access_register(app, actor, period).await,
        SheetKind::Discs => discs(app, actor).await,
        SheetKind::Costs => {
            let year = local(period.from.unwrap_or_else(|| app.now())).year();
            crate::supervision::costs::report_sheet(app, actor, year).await
        }
        SheetKind::Assessment => {
            // The days the period covers; no period: this year to date.
            let now = app.now();
            let from = zhilu_policy::facts::local_date(period.from.unwrap_or(now));
            let to = zhilu_policy::facts::local_date(
                period
                    .to
                    .map_or(now, |t| t - chrono::Duration::microseconds(1)),
            );
            let from = if period.from.is_none() {
                from.with_ordinal(1).unwrap_or(from)
            } else {
                from
            };
            crate::supervision::sampling::assessment_sheet(app, actor, &format!("{from}..{to}"))
                .await
        }
    }
}

/// The sheets as one xlsx workbook.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, AppError> {
    zhilu_export::sheet::xlsx(sheets).map_err(|e| AppError::ExportInvalid(e.to_string()))
}

/// An instant as a Beijing wall-clock time, the way people read it in a sheet.
pub fn local(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&china()).naive_local()
}

fn time(t: Option<DateTime<Utc>>) -> Cell {
    t.map_or(Cell::Empty, |t| Cell::DateTime(local(t)))
}

async fn officers(app: &App, actor: &Actor) -> Result<HashMap<OfficerId, Officer>, AppError> {
    Ok(registry::officers(app, actor)
        .await?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect())
}

/// The usage ledger's columns (R3).
pub const USAGE_COLUMNS: &[(&str, u16)] = &[
    ("领用编号", 12),
    ("设备", 14),
    ("执法人员", 16),
    ("领用时间", 17),
    ("归还时间", 17),
    ("电量（%）", 9),
    ("剩余空间（GB）", 13),
    ("时钟已核对", 10),
    ("记录条数", 9),
    ("记录时长（分钟）", 15),
    ("归还时登记", 30),
    ("状态", 8),
    ("记录大小（字节）", 16),
];

/// `王强（000101）`, or the id alone for someone not registered.
fn who(names: &HashMap<OfficerId, Officer>, id: &OfficerId) -> String {
    match names.get(id) {
        Some(o) => format!("{}（{id}）", o.name),
        None => id.to_string(),
    }
}

/// One checkout as the usage ledger's row; `bytes` is the size of what it recorded.
pub fn usage_row(u: &UsageEntry, bytes: u64, names: &HashMap<OfficerId, Officer>) -> Vec<Cell> {
    let c = &u.checkout;
    vec![
        Cell::text(c.id.to_string()),
        Cell::text(c.device.to_string()),
        Cell::text(who(names, &c.officer)),
        Cell::DateTime(local(c.out_at)),
        time(c.returned_at),
        c.battery_pct.map(i64::from).into(),
        c.free_gb.map(i64::from).into(),
        Cell::Bool(c.clock_ok),
        u.recordings.into(),
        u.recorded_minutes.into(),
        c.recorded_summary.clone().into(),
        Cell::text(if c.returned_at.is_some() {
            "已归还"
        } else {
            "在用"
        }),
        bytes.into(),
    ]
}

/// 使用台账 (R3): the checkouts that overlap the period, in checkout order, with what the device
/// recorded while it was out. The reader's reach is that of [`registry::usage`].
pub async fn usage(app: &App, actor: &Actor, period: Period) -> Result<Sheet, AppError> {
    let entries = registry::usage(app, actor).await?;
    let names = officers(app, actor).await?;
    let now = app.now();
    let mut sheet = Sheet::new(SheetKind::Usage.title(), USAGE_COLUMNS);
    for u in entries {
        let c = &u.checkout;
        if !period.overlaps(c.out_at, c.returned_at) {
            continue;
        }
        // The same recordings `registry::usage` counted.
        let bytes: u64 = app
            .catalog
            .recordings_of_device_between(&c.device, c.out_at, c.returned_at.unwrap_or(now))
            .await?
            .iter()
            .map(|r| r.size)
            .sum();
        sheet.rows.push(usage_row(&u, bytes, &names));
    }
    Ok(sheet)
}

/// The device register's columns.
pub const DEVICE_COLUMNS: &[(&str, u16)] = &[
    ("设备编号", 14),
    ("设备类型", 12),
    ("型号", 12),
    ("资产编号", 14),
    ("单位", 16),
    ("保管人", 10),
    ("状态", 8),
    ("登记时间", 17),
];

/// 设备登记: every device the reader sees ([`registry::devices`]), with every field the
/// registry holds.
pub async fn devices(app: &App, actor: &Actor) -> Result<Sheet, AppError> {
    let mut sheet = Sheet::new(SheetKind::Devices.title(), DEVICE_COLUMNS);
    for d in registry::devices(app, actor).await? {
        sheet.rows.push(vec![
            Cell::text(d.serial.to_string()),
            Cell::text(d.kind.as_str()),
            Cell::text(d.model),
            d.asset_no.into(),
            Cell::text(d.unit),
            Cell::text(d.keeper),
            Cell::text(d.status.label()),
            Cell::DateTime(local(d.registered_at)),
        ]);
    }
    Ok(sheet)
}

/// The disc register's columns.
pub const DISC_COLUMNS: &[(&str, u16)] = &[
    ("光盘份号", 14),
    ("名称", 30),
    ("分盘", 8),
    ("份数", 8),
    ("文件数", 7),
    ("映像字节数", 14),
    ("映像 SHA-256", 66),
    ("制作时间", 17),
    ("存放位置", 18),
    ("保管人", 10),
    ("上次核查", 17),
    ("核查结果", 24),
    ("下次核查", 17),
    ("到期应核查", 10),
    ("原件已清除、仅存于光盘的文件数", 14),
];

/// 光盘登记 (R21): the disc register as [`super::preserve::register`] gives it, one row per
/// physical copy; the state of now, like the device register.
pub async fn discs(app: &App, actor: &Actor) -> Result<Sheet, AppError> {
    let mut sheet = Sheet::new(SheetKind::Discs.title(), DISC_COLUMNS);
    for r in super::preserve::register(app, actor).await? {
        sheet.rows.push(vec![
            Cell::text(r.copy.id.to_string()),
            Cell::text(r.disc.title.clone()),
            Cell::text(format!("{}/{}", r.disc.part, r.disc.parts)),
            Cell::text(format!("{}/{}", r.copy.copy_no, r.disc.copies)),
            Cell::Int(i64::try_from(r.disc.files.len()).unwrap_or(i64::MAX)),
            Cell::Int(i64::try_from(r.disc.image_size).unwrap_or(i64::MAX)),
            Cell::text(r.disc.image_sha256.to_string()),
            Cell::DateTime(local(r.disc.made_at)),
            Cell::text(r.copy.location.clone()),
            Cell::text(r.copy.holder.clone()),
            time(r.copy.checked_at),
            Cell::text(match r.copy.check_ok {
                None => "未核查".to_string(),
                Some(true) => "完好".to_string(),
                Some(false) => format!("有问题：{}", r.copy.check_note.unwrap_or_default()),
            }),
            time(r.due_at),
            Cell::Bool(r.due),
            Cell::Int(i64::try_from(r.purged_items).unwrap_or(i64::MAX)),
        ]);
    }
    Ok(sheet)
}

/// The findings list's columns.
pub const FINDING_COLUMNS: &[(&str, u16)] = &[
    ("发生时间", 17),
    ("规则", 6),
    ("条款", 22),
    ("级别", 6),
    ("执法人员", 16),
    ("单位", 16),
    ("执法活动", 14),
    ("设备", 14),
    ("音像记录", 16),
    ("说明", 60),
];

/// 问题清单: the findings that arose in the period, as [`compliance::check`] gives them to
/// the reader (their reach: own, unit or all), oldest first. The unit is the officer's, else the
/// device's.
pub async fn findings(app: &App, actor: &Actor, period: Period) -> Result<Sheet, AppError> {
    let scope = CheckScope {
        from: period.from,
        to: period.to,
        ..CheckScope::default()
    };
    let mut found = compliance::check(app, actor, &scope).await?;
    found.sort_by_key(|f| f.at);
    let names = officers(app, actor).await?;
    let units: HashMap<String, String> = app
        .catalog
        .devices()
        .await?
        .into_iter()
        .map(|d| (d.serial.to_string(), d.unit))
        .collect();
    let mut sheet = Sheet::new(SheetKind::Findings.title(), FINDING_COLUMNS);
    for f in found {
        let id = f.officer.as_deref().and_then(|o| OfficerId::parse(o).ok());
        let officer = id.as_ref().and_then(|o| names.get(o));
        let unit = officer
            .map(|o| o.unit.clone())
            .or_else(|| f.device.as_ref().and_then(|d| units.get(d).cloned()));
        sheet.rows.push(vec![
            Cell::DateTime(local(f.at)),
            Cell::text(f.rule),
            Cell::text(f.article),
            Cell::text(f.severity.label()),
            match &id {
                Some(id) => Cell::text(who(&names, id)),
                None => f.officer.into(),
            },
            unit.into(),
            f.activity.into(),
            f.device.into(),
            f.recording.into(),
            Cell::text(f.message),
        ]);
    }
    Ok(sheet)
}

/// The access register's columns (R23).
pub const ACCESS_COLUMNS: &[(&str, u16)] = &[
    ("申请编号", 12),
    ("申请时间", 17),
    ("申请人", 16),
    ("方式", 10),
    ("事由", 24),
    ("音像记录", 30),
    ("审批", 40),
    ("授权至", 17),
    ("查阅/复制", 40),
];

/// One request as the access register's row.
pub fn access_row(
    profile: &zhilu_policy::profile::Profile,
    e: &RegisterEntry,
    names: &HashMap<OfficerId, Officer>,
) -> Vec<Cell> {
    vec![
        Cell::text(e.request.id.to_string()),
        Cell::DateTime(local(e.request.created_at)),
        Cell::text(who(names, &e.request.requester)),
        Cell::text(e.request.kind.label()),
        Cell::text(e.request.reason.clone()),
        Cell::text(
            e.items
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Cell::text(format!(
            "{}：{}",
            e.status.label(),
            e.approvals
                .iter()
                .map(|a| {
                    format!(
                        "{} {} {}",
                        profile.role_label(&a.role),
                        who(names, &a.by),
                        crate::beijing(a.at)
                    )
                })
                .collect::<Vec<_>>()
                .join("；")
        )),
        time(e.grant.as_ref().map(|g| g.expires_at)),
        Cell::text(
            e.playbacks
                .iter()
                .map(|p| {
                    format!(
                        "{} {} {} {} 字节",
                        who(names, &p.user),
                        p.kind.label(),
                        crate::beijing(p.started_at),
                        p.bytes
                    )
                })
                .collect::<Vec<_>>()
                .join("；"),
        ),
    ]
}

/// 调阅登记 (R23): the requests made in the period, oldest first, as [`access::register`] shows
/// them to the reader (classified ones left out where the reader is not cleared).
pub async fn access_register(app: &App, actor: &Actor, period: Period) -> Result<Sheet, AppError> {
    let entries = access::register(app, actor).await?;
    let profile = app.profile().await?;
    let names = officers(app, actor).await?;
    let mut sheet = Sheet::new(SheetKind::Access.title(), ACCESS_COLUMNS);
    sheet.rows = entries
        .iter()
        .filter(|e| period.contains(e.request.created_at))
        .map(|e| access_row(&profile, e, &names))
        .collect();
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2026, 11, 2, h, 0, 0).single().unwrap()
    }

    #[test]
    fn r3_a_checkout_belongs_to_every_period_it_overlaps() {
        let p = Period {
            from: Some(at(8)),
            to: Some(at(12)),
        };
        assert!(p.overlaps(at(6), Some(at(9))), "returned inside");
        assert!(p.overlaps(at(6), None), "still out");
        assert!(p.overlaps(at(11), Some(at(14))), "taken inside");
        assert!(!p.overlaps(at(6), Some(at(8))), "returned at the start");
        assert!(!p.overlaps(at(12), None), "taken at the end");
        assert!(Period::default().overlaps(at(1), None));
        assert!(p.contains(at(8)) && !p.contains(at(12)));
    }

    #[test]
    fn r3_times_are_beijing_wall_clock() {
        assert_eq!(
            local(at(1)).format("%Y-%m-%d %H:%M").to_string(),
            "2026-11-02 09:00"
        );
    }
}
