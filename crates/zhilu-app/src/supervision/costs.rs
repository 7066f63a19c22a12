//! Devices' costs and the yearly cost report per unit (R31, luohe-xm §23: 执法记录仪的购置、维护
//! 经费).
//!
//! Amounts are integers in fen from the moment they are typed ([`parse_amount`] reads `1234.50`
//! yuan exactly, no float anywhere), so every sum is exact.
//!
//! Which unit a cost belongs to: a [`Device`] is registered to an owning unit (`Device::unit`,
//! changed by a transfer event), so a cost is charged to the unit the device is registered to
//! *when the cost is recorded*, and keeps it ([`DeviceCost::unit`]): a later transfer does not
//! move last year's spending to the new unit. The custodian or holder of the moment is not used —
//! a checkout says who carried the device, not whose budget paid for it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use zhilu_model::*;
use zhilu_store::{Change, Counter};

use crate::App;
use crate::actor::{Action, Actor, Scope, Target};
use crate::error::{AppError, Field, Thing, id};
use crate::export::sheets::{Cell, Sheet, SheetKind};
use crate::time::beijing_day;

/// The largest amount one cost may have: 一亿元. Anything larger is a typing mistake (a device
/// costs thousands of yuan), and it keeps every sum far below what an `i64` or a spreadsheet's
/// double holds exactly.
pub const MAX_AMOUNT_FEN: i64 = 100_000_000 * 100;

/// `123450` fen as `1234.50` yuan.
pub use zhilu_export::sheet::yuan;

/// An amount of yuan as typed (`1234`, `1234.5`, `1234.50`) in fen, exactly: digits, at most one
/// point and at most two decimals; more than zero and at most [`MAX_AMOUNT_FEN`]. Refusals say
/// what is wrong, in Chinese.
pub fn parse_amount(s: &str) -> Result<i64, AppError> {
    let bad = |why: &str| AppError::invalid(Field::Amount, format!("“{}”{why}", s.trim()));
    let t = s.trim();
    let t = t.strip_suffix('元').unwrap_or(t).trim_end();
    if t.is_empty() {
        return Err(AppError::invalid(Field::Amount, "不能为空"));
    }
    if t.starts_with('-') || t.starts_with('－') {
        return Err(bad("是负数：费用金额不能为负数"));
    }
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (t, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || frac.is_some_and(|f| !digits(f)) {
        return Err(bad("不是有效的金额，请以元为单位填写数字，例如 1234.50"));
    }
    let frac = frac.unwrap_or("");
    if frac.len() > 2 {
        return Err(bad("超过两位小数：金额最小单位为分"));
    }
    // Leading zeros do not change the value; more than 9 digits of yuan is over the limit anyway.
    let whole = whole.trim_start_matches('0');
    if whole.len() > 9 {
        return Err(bad(&format!(
            "过大：单笔费用不能超过 {} 元",
            yuan(MAX_AMOUNT_FEN)
        )));
    }
    let yuan_part: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad("不是有效的金额"))?
    };
    let fen_part: i64 = format!("{frac:0<2}")
        .parse()
        .map_err(|_| bad("不是有效的金额"))?;
    let fen = yuan_part * 100 + fen_part;
    if fen == 0 {
        return Err(bad("为零：费用金额须大于 0"));
    }
    if fen > MAX_AMOUNT_FEN {
        return Err(bad(&format!(
            "过大：单笔费用不能超过 {} 元",
            yuan(MAX_AMOUNT_FEN)
        )));
    }
    Ok(fen)
}

/// What recording a cost asks for.
#[derive(Debug, Clone, Default)]
pub struct NewCost {
    pub device: String,
    /// 购置 / 维护 / 维修 / 其他, or `purchase` / `maintenance` / `repair` / `other`.
    pub kind: String,
    /// Yuan, as typed (`1234.50`).
    pub amount: String,
    /// The Beijing day it was incurred, `YYYY-MM-DD`.
    pub on: String,
    pub note: Option<String>,
}

fn cost_kind(s: &str) -> Result<CostKind, AppError> {
    CostKind::parse_label_or_code(s).map_err(|e| {
        let names: Vec<&str> = CostKind::ALL.iter().map(|k| k.label()).collect();
        AppError::invalid(Field::CostKind, format!("{e}，可选：{}", names.join("、")))
    })
}

/// Records a cost of a registered device (R31). The custodian does (ManageCosts); the day may
/// not lie in the future.
pub async fn add_cost(app: &App, actor: &Actor, req: NewCost) -> Result<DeviceCost, AppError> {
    actor.require(Action::ManageCosts, Target::default())?;
    let Some(person) = actor.person_id().cloned() else {
        return Err(AppError::ActorNotOfficer {
            actor: actor.ledger_name().to_string(),
            action: Action::ManageCosts.label(),
        });
    };
    let serial = id(Field::Device, DeviceSerial::parse, &req.device)?;
    let kind = cost_kind(&req.kind)?;
    let amount_fen = parse_amount(&req.amount)?;
    let on = parse_day(&req.on)?;
    let now = app.now();
    let today = NaiveDate::parse_from_str(&beijing_day(now), "%Y-%m-%d")
        .map_err(|e| AppError::invalid(Field::Day, e.to_string()))?;
    if on > today {
        return Err(AppError::invalid(
            Field::Day,
            format!("{on} 晚于今天（{today}）：只能登记已发生的费用"),
        ));
    }
    let note = opt_note(req.note.as_deref())?;
    let device = app
        .catalog
        .device(&serial)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Device,
            id: serial.to_string(),
        })?
        .record;
    let cost = DeviceCost {
        id: id(
            Field::Record,
            RecordId::parse,
            &app.catalog.next_id(&Counter::Cost).await?,
        )?,
        device: device.serial,
        unit: device.unit,
        kind,
        amount_fen,
        on,
        note,
        recorded_by: person,
        recorded_at: now,
    };
    app.record(actor, vec![Change::insert(cost.clone())])
        .await?;
    Ok(cost)
}

fn opt_note(s: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > 500 {
        return Err(AppError::invalid(Field::Detail, "不能超过 500 个字符"));
    }
    if s.chars().any(char::is_control) {
        return Err(AppError::invalid(
            Field::Detail,
            "不能包含换行或其他控制字符",
        ));
    }
    Ok(Some(s.to_string()))
}

/// A Beijing calendar day typed as `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Result<NaiveDate, AppError> {
    let s = s.trim();
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        AppError::invalid(Field::Day, format!("“{s}”不是有效的日期，例如 2026-11-20"))
    })?;
    if d.year() < 1990 {
        return Err(AppError::invalid(Field::Day, format!("{d} 过早")));
    }
    Ok(d)
}

/// A year as typed (`2026`): 1990–9999.
pub fn parse_year(s: &str) -> Result<i32, AppError> {
    let s = s.trim();
    s.parse::<i32>()
        .ok()
        .filter(|y| (1990..=9999).contains(y))
        .ok_or_else(|| AppError::invalid(Field::Year, format!("“{s}”不是有效的年度，例如 2026")))
}

/// A device's costs, by day (ReadCosts; a unit head reads only their unit's devices).
pub async fn costs(app: &App, actor: &Actor, device: &str) -> Result<Vec<DeviceCost>, AppError> {
    actor.require_any(Action::ReadCosts)?;
    let serial = id(Field::Device, DeviceSerial::parse, device)?;
    let device = app
        .catalog
        .device(&serial)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::Device,
            id: serial.to_string(),
        })?
        .record;
    let rows = app.catalog.device_costs(&serial).await?;
    let mut units: Vec<String> = rows.iter().map(|c| c.unit.clone()).collect();
    units.push(device.unit);
    actor.require(
        Action::ReadCosts,
        Target {
            people: &[],
            units: &units,
        },
    )?;
    actor.reads("device costs");
    Ok(rows)
}

/// Every cost the actor may read, optionally of one device, by day.
pub async fn list(
    app: &App,
    actor: &Actor,
    device: Option<&str>,
) -> Result<Vec<DeviceCost>, AppError> {
    if let Some(d) = device {
        return costs(app, actor, d).await;
    }
    let scope = actor.require_any(Action::ReadCosts)?;
    actor.reads("costs");
    let all = app
        .catalog
        .costs_between(
            NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(NaiveDate::MIN),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX),
        )
        .await?;
    let mut out: Vec<DeviceCost> = all
        .into_iter()
        .filter(|c| scope == Scope::All || Some(c.unit.as_str()) == actor.unit())
        .collect();
    out.sort_by(|a, b| (a.on, &a.id).cmp(&(b.on, &b.id)));
    Ok(out)
}

/// The sums of some costs, in fen, by kind; and how many devices they concern.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostSums {
    pub purchase_fen: i64,
    pub maintenance_fen: i64,
    pub repair_fen: i64,
    pub other_fen: i64,
    pub total_fen: i64,
    /// Devices with at least one cost among these.
    pub devices: usize,
}

impl CostSums {
    fn of<'a>(costs: impl IntoIterator<Item = &'a DeviceCost>) -> CostSums {
        let mut s = CostSums::default();
        let mut devices = BTreeSet::new();
        for c in costs {
            let slot = match c.kind {
                CostKind::Purchase => &mut s.purchase_fen,
                CostKind::Maintenance => &mut s.maintenance_fen,
                CostKind::Repair => &mut s.repair_fen,
                CostKind::Other => &mut s.other_fen,
            };
            *slot += c.amount_fen;
            s.total_fen += c.amount_fen;
            devices.insert(c.device.as_str());
        }
        s.devices = devices.len();
        s
    }
}

/// One unit's line of the yearly report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitCosts {
    pub unit: String,
    #[serde(flatten)]
    pub sums: CostSums,
}

/// The yearly cost report (R31): per unit, by kind, and the grand total of the units shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostReport {
    pub year: i32,
    pub units: Vec<UnitCosts>,
    pub total: CostSums,
}

/// The costs incurred in `year` (Beijing days), summed per unit (ReadCosts; a unit head sees only
/// their own unit's line, and the total of it).
pub async fn cost_report(app: &App, actor: &Actor, year: i32) -> Result<CostReport, AppError> {
    let scope = actor.require_any(Action::ReadCosts)?;
    if !(1990..=9999).contains(&year) {
        return Err(AppError::invalid(
            Field::Year,
            format!("{year} 不是有效的年度"),
        ));
    }
    actor.reads("cost report");
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Err(AppError::invalid(
            Field::Year,
            format!("{year} 不是有效的年度"),
        ));
    };
    let rows: Vec<DeviceCost> = app
        .catalog
        .costs_between(from, to)
        .await?
        .into_iter()
        .filter(|c| scope == Scope::All || Some(c.unit.as_str()) == actor.unit())
        .collect();
    let mut by_unit: BTreeMap<&str, Vec<&DeviceCost>> = BTreeMap::new();
    for c in &rows {
        by_unit.entry(c.unit.as_str()).or_default().push(c);
    }
    let units = by_unit
        .into_iter()
        .map(|(unit, cs)| UnitCosts {
            unit: unit.to_string(),
            sums: CostSums::of(cs),
        })
        .collect();
    Ok(CostReport {
        year,
        units,
        total: CostSums::of(&rows),
    })
}

/// The report's columns.
pub const REPORT_COLUMNS: &[(&str, u16)] = &[
    ("单位", 20),
    ("购置（元）", 14),
    ("维护（元）", 14),
    ("维修（元）", 14),
    ("其他（元）", 14),
    ("合计（元）", 16),
    ("设备数", 8),
];

fn sums_row(label: &str, s: &CostSums) -> Vec<Cell> {
    vec![
        Cell::text(label),
        Cell::Hundredths(s.purchase_fen),
        Cell::Hundredths(s.maintenance_fen),
        Cell::Hundredths(s.repair_fen),
        Cell::Hundredths(s.other_fen),
        Cell::Hundredths(s.total_fen),
        Cell::from(s.devices as u64),
    ]
}

/// The yearly report as a sheet (设备经费): a row per unit, then 合计.
pub async fn report_sheet(app: &App, actor: &Actor, year: i32) -> Result<Sheet, AppError> {
    let report = cost_report(app, actor, year).await?;
    let mut sheet = Sheet::new(
        format!("{} {year}", SheetKind::Costs.title()),
        REPORT_COLUMNS,
    );
    for u in &report.units {
        sheet.rows.push(sums_row(&u.unit, &u.sums));
    }
    sheet.rows.push(sums_row("合计", &report.total));
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r31_amounts_parse_exactly_in_fen() {
        assert_eq!(parse_amount("1234.50").unwrap(), 123_450);
        assert_eq!(parse_amount("1234.5").unwrap(), 123_450);
        assert_eq!(parse_amount("1234").unwrap(), 123_400);
        assert_eq!(parse_amount(" 0.01 ").unwrap(), 1);
        assert_eq!(parse_amount("0.10").unwrap(), 10);
        assert_eq!(parse_amount("100000000").unwrap(), MAX_AMOUNT_FEN);
        assert_eq!(parse_amount("19.99元").unwrap(), 1999);
        for bad in [
            "",
            "-1",
            "1.234",
            "1e3",
            "1,000",
            "abc",
            ".5",
            "5.",
            "0",
            "0.00",
            "100000000.01",
            "99999999999999999999",
            "NaN",
            "+5",
            "１２",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(yuan(123_450), "1234.50");
        assert_eq!(yuan(7), "0.07");
    }
}
