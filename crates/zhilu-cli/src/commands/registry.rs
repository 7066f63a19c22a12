//! `officer`, `device`: the registry, lifecycle events and the usage ledger.

use std::fmt::Write as _;

use clap::Subcommand;
use serde_json::json;
use zhilu_app::registry::{self, NewCheckout, NewDevice, NewOfficer};

use super::{as_writer, read_sheet, sheet_error, with_app};
use crate::Ctx;
use crate::output::{opt_t, pad, t, yes};

#[derive(Subcommand, Debug)]
pub enum OfficerCmd {
    /// 登记执法人员（所在单位第一次出现时一并登记）。
    Add {
        /// 执法人员编号（工号）。
        #[arg(long, value_name = "编号")]
        id: String,
        #[arg(long, value_name = "姓名")]
        name: String,
        #[arg(long, value_name = "单位")]
        unit: String,
        /// 执法规范配置中的角色编号（officer、unit_head 等，见 `zhilu profile show`），默认 officer。
        #[arg(long, value_name = "角色")]
        role: Option<String>,
    },
    /// 列出执法人员。
    List,
}

#[derive(Subcommand, Debug)]
pub enum DeviceCmd {
    /// 登记设备（只有已登记的设备才能导入）。
    Register {
        /// 设备编号（序列号）。
        #[arg(long, value_name = "编号")]
        serial: String,
        /// 执法记录仪、照相机、录音机、摄像机、手持执法终端、视频监控、采集站（也可用英文别名，如 body-camera）。
        #[arg(long, value_name = "类型")]
        kind: String,
        #[arg(long, value_name = "型号")]
        model: String,
        /// 所属单位。
        #[arg(long, value_name = "单位")]
        unit: String,
        /// 专人保管的保管人。
        #[arg(long, value_name = "姓名")]
        keeper: String,
        #[arg(long, value_name = "资产编号")]
        asset_no: Option<String>,
    },
    /// 记录生命周期事件：发放、调拨、更新、维修、恢复使用、停用、报废、遗失。
    Event {
        #[arg(long, value_name = "编号")]
        serial: String,
        #[arg(long, value_name = "事件")]
        event: String,
        #[arg(long, value_name = "说明")]
        detail: String,
        /// 调拨后的单位。
        #[arg(long, value_name = "单位")]
        unit: Option<String>,
        /// 新的保管人。
        #[arg(long, value_name = "姓名")]
        keeper: Option<String>,
    },
    /// 从表格批量登记设备（xlsx 或 CSV，CSV 可为 UTF-8 或 GBK 编码）。第一行为列名：设备编号、设备类型、型号、
    /// 资产编号（可空）、单位、保管人。先检查每一行，任何一行有误即列出全部有误的行，一台也不登记。
    Import {
        #[arg(value_name = "文件")]
        file: std::path::PathBuf,
    },
    /// 列出已登记的设备。
    List,
    /// 一台设备的信息和全部生命周期事件。
    Show {
        #[arg(long, value_name = "编号")]
        serial: String,
    },
    /// 领用：将设备交给执法人员，并记录使用前检查（R3、R4）。
    Checkout {
        #[arg(long, value_name = "编号")]
        device: String,
        /// 领用的执法人员编号。
        #[arg(long, value_name = "编号")]
        officer: String,
        /// 电量，百分比。
        #[arg(long, value_name = "百分比")]
        battery: Option<i64>,
        /// 剩余存储空间，GB。
        #[arg(long, value_name = "容量")]
        free_gb: Option<i64>,
        /// 已核对设备时钟与当前时间一致。
        #[arg(long)]
        clock_ok: bool,
    },
    /// 归还领用的设备。
    Return {
        #[arg(long, value_name = "编号")]
        device: String,
    },
    /// 使用台账：每次领用与归还（R3）。
    Usage,
}

pub async fn officer(ctx: &Ctx, cmd: OfficerCmd) -> anyhow::Result<bool> {
    match cmd {
        OfficerCmd::Add {
            id,
            name,
            unit,
            role,
        } => {
            let o = as_writer!(ctx, None, |app, actor| Ok(registry::add_officer(
                app,
                &actor,
                NewOfficer {
                    id,
                    name,
                    unit,
                    role
                }
            )
            .await?))?;
            ctx.out.show(&o, || {
                format!(
                    "已登记执法人员 {}（{}，{}，角色 {}）",
                    o.id, o.name, o.unit, o.role
                )
            })?;
        }
        OfficerCmd::List => {
            let actor = ctx.reader();
            let list = with_app!(ctx, |app| Ok(registry::officers(app, &actor).await?))?;
            ctx.out.show(&list, || {
                if list.is_empty() {
                    return "尚未登记任何执法人员。".into();
                }
                list.iter()
                    .map(|o| {
                        format!(
                            "{} {} {} {}\n",
                            pad(o.id.as_str(), 12),
                            pad(&o.name, 8),
                            pad(&o.unit, 16),
                            o.role
                        )
                    })
                    .collect()
            })?;
        }
    }
    Ok(true)
}

fn device_line(d: &zhilu_app::model::Device) -> String {
    format!(
        "{} {} {} {} {} 保管人 {}",
        pad(d.serial.as_str(), 16),
        pad(d.kind.label(), 12),
        pad(&d.model, 10),
        pad(d.status.label(), 4),
        pad(&d.unit, 12),
        d.keeper
    )
}

pub async fn device(ctx: &Ctx, cmd: DeviceCmd) -> anyhow::Result<bool> {
    let actor = ctx.reader();
    match cmd {
        DeviceCmd::Register {
            serial,
            kind,
            model,
            unit,
            keeper,
            asset_no,
        } => {
            let d = as_writer!(ctx, None, |app, actor| Ok(registry::register_device(
                app,
                &actor,
                NewDevice {
                    serial,
                    kind,
                    model,
                    unit,
                    keeper,
                    asset_no,
                },
            )
            .await?))?;
            ctx.out
                .show(&d, || format!("已登记设备：{}", device_line(&d)))?;
        }
        DeviceCmd::Event {
            serial,
            event,
            detail,
            unit,
            keeper,
        } => {
            let d = as_writer!(ctx, None, |app, actor| Ok(registry::device_event(
                app,
                &actor,
                &serial,
                &event,
                &detail,
                unit.as_deref(),
                keeper.as_deref(),
            )
            .await?))?;
            ctx.out
                .show(&d, || format!("已记录“{event}”：{}", device_line(&d)))?;
        }
        DeviceCmd::Import { file } => {
            let bytes = read_sheet(&file)?;
            let list = as_writer!(ctx, None, |app, actor| registry::import_devices(
                app, &actor, &bytes
            )
            .await
            .map_err(sheet_error))?;
            ctx.out.show(&list, || {
                let mut s = format!("已登记设备 {} 台：\n", list.len());
                for d in &list {
                    s.push_str(&device_line(d));
                    s.push('\n');
                }
                s
            })?;
        }
        DeviceCmd::List => {
            let list = with_app!(ctx, |app| Ok(registry::devices(app, &actor).await?))?;
            ctx.out.show(&list, || {
                if list.is_empty() {
                    return "尚未登记任何设备。".into();
                }
                list.iter().map(|d| device_line(d) + "\n").collect()
            })?;
        }
        DeviceCmd::Show { serial } => {
            let (d, events) = with_app!(ctx, |app| Ok((
                registry::device(app, &actor, &serial).await?,
                registry::events(app, &actor, Some(&serial)).await?
            )))?;
            ctx.out.show(&json!({"device": d, "events": events}), || {
                let mut s = device_line(&d) + "\n";
                if let Some(a) = &d.asset_no {
                    let _ = writeln!(s, "资产编号 {a}，登记于 {}", t(d.registered_at));
                }
                for e in &events {
                    let _ = writeln!(
                        s,
                        "  {}  {} {}（{}）",
                        t(e.at),
                        pad(e.event.label(), 8),
                        e.detail,
                        e.actor
                    );
                }
                s
            })?;
        }
        DeviceCmd::Checkout {
            device,
            officer,
            battery,
            free_gb,
            clock_ok,
        } => {
            let c = as_writer!(ctx, None, |app, actor| Ok(registry::checkout(
                app,
                &actor,
                NewCheckout {
                    device,
                    officer,
                    battery_pct: battery,
                    free_gb,
                    clock_ok,
                },
            )
            .await?))?;
            ctx.out.show(&c, || {
                format!(
                    "设备 {} 已于 {} 领用给 {}（领用单 {}）",
                    c.device,
                    t(c.out_at),
                    c.officer,
                    c.id
                )
            })?;
        }
        DeviceCmd::Return { device } => {
            let c = as_writer!(ctx, None, |app, actor| Ok(registry::return_device(
                app, &actor, &device
            )
            .await?))?;
            ctx.out.show(&c, || {
                format!(
                    "设备 {} 已于 {} 归还（领用单 {}）：{}",
                    c.device,
                    opt_t(c.returned_at, ""),
                    c.id,
                    c.recorded_summary.as_deref().unwrap_or("")
                )
            })?;
        }
        DeviceCmd::Usage => {
            let list = with_app!(ctx, |app| Ok(registry::usage(app, &actor).await?))?;
            ctx.out.show(&list, || {
                if list.is_empty() {
                    return "使用台账为空。".into();
                }
                let head = [
                    ("领用单", 11),
                    ("设备", 16),
                    ("执法人员", 12),
                    ("领用时间", 19),
                    ("归还时间", 19),
                    ("电量", 5),
                    ("空间", 5),
                    ("时钟", 4),
                ];
                let mut s: String = head.iter().map(|(h, w)| pad(h, *w) + " ").collect();
                s.push_str("记录情况\n");
                for u in &list {
                    let c = &u.checkout;
                    let cells = [
                        (c.id.to_string(), 11),
                        (c.device.to_string(), 16),
                        (c.officer.to_string(), 12),
                        (t(c.out_at), 19),
                        (opt_t(c.returned_at, "未归还"), 19),
                        (
                            c.battery_pct
                                .map(|b| format!("{b}%"))
                                .unwrap_or_else(|| "-".into()),
                            5,
                        ),
                        (
                            c.free_gb
                                .map(|g| format!("{g}G"))
                                .unwrap_or_else(|| "-".into()),
                            5,
                        ),
                        (yes(c.clock_ok).to_string(), 4),
                    ];
                    for (cell, w) in &cells {
                        s.push_str(&pad(cell, *w));
                        s.push(' ');
                    }
                    let _ = writeln!(
                        s,
                        "已入库 {} 个文件，合计 {} 分钟",
                        u.recordings, u.recorded_minutes
                    );
                }
                s
            })?;
        }
    }
    Ok(true)
}
