//! `cost add|list|report`: devices' costs and the yearly cost report per unit (R31).

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use zhilu_app::supervision::costs::{self, CostSums, NewCost, yuan};

use super::{as_writer, with_app};
use crate::Ctx;

#[derive(Subcommand, Debug)]
pub enum CostCmd {
    /// 登记一笔设备费用（购置、维护、维修、其他），金额以元为单位，精确到分。
    Add(AddArgs),
    /// 列出设备费用（加 --device 只列出一台设备的）。
    List {
        /// 设备编号。
        #[arg(long, value_name = "设备编号")]
        device: Option<String>,
    },
    /// 年度设备经费报表：按单位汇总购置、维护、维修、其他费用及合计。
    Report {
        /// 年度（如 2026）。
        #[arg(long, value_name = "年度")]
        year: String,
    },
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// 设备编号（须已登记）。
    #[arg(long, value_name = "设备编号")]
    device: String,
    /// 费用类别：购置、维护、维修或其他。
    #[arg(long, value_name = "类别")]
    kind: String,
    /// 金额（元），最多两位小数，如 1234.50。
    #[arg(long, value_name = "金额")]
    amount: String,
    /// 费用发生日期（北京时间，如 2026-11-20）。
    #[arg(long, value_name = "日期")]
    on: String,
    /// 说明（如发票号、维修内容）。
    #[arg(long, value_name = "说明")]
    note: Option<String>,
}

/// The person named by --actor reads with their own reach (a unit head: their unit); without
/// one, the operator at the shell, as every read-only command.
async fn reader(ctx: &Ctx, app: &zhilu_app::App) -> anyhow::Result<zhilu_app::Actor> {
    if ctx.actor.as_deref().is_some_and(|a| !a.trim().is_empty()) {
        ctx.writer(app, None).await
    } else {
        Ok(ctx.reader())
    }
}

fn sums_line(s: &CostSums) -> String {
    format!(
        "购置 {} 元，维护 {} 元，维修 {} 元，其他 {} 元，合计 {} 元，设备 {} 台",
        yuan(s.purchase_fen),
        yuan(s.maintenance_fen),
        yuan(s.repair_fen),
        yuan(s.other_fen),
        yuan(s.total_fen),
        s.devices
    )
}

pub async fn cost(ctx: &Ctx, cmd: CostCmd) -> anyhow::Result<bool> {
    match cmd {
        CostCmd::Add(a) => {
            let req = NewCost {
                device: a.device,
                kind: a.kind,
                amount: a.amount,
                on: a.on,
                note: a.note,
            };
            let c = as_writer!(ctx, None, |app, actor| Ok(costs::add_cost(
                app, &actor, req
            )
            .await?))?;
            ctx.out.show(&c, || {
                format!(
                    "已登记设备费用 {}：设备 {}（{}），{} {} 元，日期 {}，已记入审计日志。",
                    c.id,
                    c.device,
                    c.unit,
                    c.kind.label(),
                    yuan(c.amount_fen),
                    c.on
                )
            })?;
        }
        CostCmd::List { device } => {
            let rows = with_app!(ctx, |app| {
                let actor = reader(ctx, app).await?;
                Ok(costs::list(app, &actor, device.as_deref()).await?)
            })?;
            ctx.out.show(&rows, || {
                if rows.is_empty() {
                    return "没有登记的设备费用。".into();
                }
                let mut s = String::new();
                for c in &rows {
                    let _ = writeln!(
                        s,
                        "{}  {}  {}（{}）  {}  {} 元{}",
                        c.id,
                        c.on,
                        c.device,
                        c.unit,
                        c.kind.label(),
                        yuan(c.amount_fen),
                        c.note
                            .as_deref()
                            .map(|n| format!("  {}", crate::output::shown(n)))
                            .unwrap_or_default()
                    );
                }
                s
            })?;
        }
        CostCmd::Report { year } => {
            let year = costs::parse_year(&year)?;
            let r = with_app!(ctx, |app| {
                let actor = reader(ctx, app).await?;
                Ok(costs::cost_report(app, &actor, year).await?)
            })?;
            ctx.out.show(&r, || {
                let mut s = format!("{} 年度设备经费（按单位）：\n", r.year);
                if r.units.is_empty() {
                    s.push_str("  本年度没有登记的设备费用。\n");
                }
                for u in &r.units {
                    let _ = writeln!(s, "  {}：{}", u.unit, sums_line(&u.sums));
                }
                let _ = writeln!(s, "合计：{}", sums_line(&r.total));
                s
            })?;
        }
    }
    Ok(true)
}
