//! `preserve`, `disc list|place|check`: long-term preservation on disc and the disc register (R21).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use zhilu_app::export::preserve::{self, CheckSource, PreserveOptions};
use zhilu_app::export::{self};

use super::{as_writer, with_app};
use crate::Ctx;

#[derive(Args, Debug)]
pub struct PreserveArgs {
    /// 光盘映像和标签写入的目录：不存在或为空，且不在数据目录和证据存储位置之内。
    #[arg(long, value_name = "目录")]
    out: Option<PathBuf>,
    /// 一张光盘的容量：字节数或 4.7G、25G，或 cd、dvd、dvd-dl、bd25。
    #[arg(long, value_name = "容量", default_value = "dvd", value_parser = export::parse_disc_size)]
    disc_size: u64,
    /// 制作人（默认为操作人）。
    #[arg(long, value_name = "姓名", default_value = "")]
    maker: String,
    /// 只列出将要刻录的内容，不写任何文件。
    #[arg(long)]
    dry_run: bool,
}

#[derive(Subcommand, Debug)]
pub enum DiscCmd {
    /// 光盘登记簿：每份光盘的存放位置、保管人、上次核查时间和结果；加 --due 只列出到期应核查的。
    List {
        /// 只列出到期应核查（或上次核查有问题）的光盘。
        #[arg(long)]
        due: bool,
    },
    /// 登记一份光盘的存放位置和保管人。
    Place {
        /// 光盘份号（`zhilu disc list` 列出）。
        #[arg(long, value_name = "编号")]
        copy: String,
        /// 存放位置（如 档案室 3 号柜）。
        #[arg(long, value_name = "位置")]
        location: String,
        /// 保管人。
        #[arg(long, value_name = "姓名")]
        holder: String,
    },
    /// 核查一份光盘：读取光盘映像（--image，从光驱整盘读出的映像文件）或挂载目录（--mount），与登记的哈希值逐一比对，结果记入审计日志；不符时退出状态为 1。
    Check {
        /// 光盘份号（`zhilu disc list` 列出）。
        #[arg(long, value_name = "编号")]
        copy: String,
        /// 从光盘读出的映像文件。
        #[arg(
            long,
            value_name = "文件",
            conflicts_with = "mount",
            required_unless_present = "mount"
        )]
        image: Option<PathBuf>,
        /// 光盘的挂载目录。
        #[arg(long, value_name = "目录")]
        mount: Option<PathBuf>,
    },
}

pub async fn preserve(ctx: &Ctx, a: PreserveArgs) -> anyhow::Result<bool> {
    if a.dry_run {
        let plan = as_writer!(ctx, None, |app, actor| Ok(
            preserve::plan(app, &actor).await?
        ))?;
        ctx.out.show(&plan, || {
            if plan.is_empty() {
                return "没有需要刻录光盘长期保存的音像记录。".into();
            }
            let mut s = String::from("将要刻录光盘长期保存（按案件或执法活动分组）：\n");
            for g in &plan {
                let _ = writeln!(
                    s,
                    "  {}  {} 个文件，{} 字节，{}",
                    g.title,
                    g.items.len(),
                    g.bytes,
                    g.class.label()
                );
            }
            s
        })?;
        return Ok(true);
    }
    let Some(out) = a.out else {
        anyhow::bail!(crate::output::CliError {
            code: "usage",
            message: "请用 --out 指定光盘映像写入的目录（或加 --dry-run 只查看）".into(),
        });
    };
    let opts = PreserveOptions {
        maker: a.maker,
        capacity: a.disc_size,
    };
    let r = as_writer!(ctx, None, |app, actor| Ok(preserve::preserve(
        app, &actor, &out, &opts
    )
    .await?))?;
    ctx.out.show(&r, || {
        if r.discs.is_empty() {
            return "没有需要刻录光盘长期保存的音像记录。".into();
        }
        let mut s = format!(
            "已在 {} 写出 {} 张光盘映像，每张刻录 {} 份，已登记并记入审计日志：\n",
            r.out_dir.display(),
            r.discs.len(),
            r.copies_per_disc
        );
        for d in &r.discs {
            let _ = writeln!(
                s,
                "  {}  {}（第 {}/{} 张）{} 个文件，{} 字节\n    映像 {}\n    SHA-256 {}",
                d.id,
                d.title,
                d.part,
                d.parts,
                d.files,
                d.image_size,
                d.image.display(),
                d.image_sha256
            );
            for l in &d.labels {
                let _ = writeln!(s, "    标签 {}", l.display());
            }
        }
        s.push_str("刻录后请用 zhilu disc place 登记每份光盘的存放位置和保管人。");
        s
    })?;
    Ok(true)
}

pub async fn disc(ctx: &Ctx, cmd: DiscCmd) -> anyhow::Result<bool> {
    match cmd {
        DiscCmd::List { due } => {
            let actor = ctx.reader();
            let mut rows = with_app!(ctx, |app| Ok(preserve::register(app, &actor).await?))?;
            if due {
                rows.retain(|r| r.due);
            }
            ctx.out.show(&rows, || {
                if rows.is_empty() {
                    return if due {
                        "没有到期应核查的光盘。".into()
                    } else {
                        "光盘登记簿为空。".into()
                    };
                }
                let mut s = String::new();
                for r in &rows {
                    let checked = match (r.copy.checked_at, r.copy.check_ok) {
                        (Some(at), Some(true)) => format!("{} 核查完好", zhilu_app::beijing(at)),
                        (Some(at), _) => format!("{} 核查有问题", zhilu_app::beijing(at)),
                        _ => "未核查".into(),
                    };
                    let _ = writeln!(
                        s,
                        "{}  {}（第 {}/{} 张，第 {}/{} 份）存放：{}，保管人：{}，{}{}",
                        r.copy.id,
                        r.disc.title,
                        r.disc.part,
                        r.disc.parts,
                        r.copy.copy_no,
                        r.disc.copies,
                        r.copy.location,
                        r.copy.holder,
                        checked,
                        if r.due { "  [到期应核查]" } else { "" }
                    );
                    if r.purged_items > 0 {
                        let _ = writeln!(
                            s,
                            "    其中 {} 个文件的原件已经审批清除，现仅存于此光盘",
                            r.purged_items
                        );
                    }
                }
                s
            })?;
            Ok(true)
        }
        DiscCmd::Place {
            copy,
            location,
            holder,
        } => {
            let c = as_writer!(ctx, None, |app, actor| Ok(preserve::place(
                app, &actor, &copy, &location, &holder
            )
            .await?))?;
            ctx.out.show(&c, || {
                format!(
                    "已登记光盘 {}：存放于 {}，保管人 {}。",
                    c.id, c.location, c.holder
                )
            })?;
            Ok(true)
        }
        DiscCmd::Check { copy, image, mount } => {
            let source = match (image, mount) {
                (Some(i), _) => CheckSource::Image(i),
                (None, Some(m)) => CheckSource::Mount(m),
                (None, None) => anyhow::bail!(crate::output::CliError {
                    code: "usage",
                    message: "请用 --image 或 --mount 指定要核查的光盘".into(),
                }),
            };
            let r = as_writer!(ctx, None, |app, actor| Ok(preserve::check(
                app, &actor, &copy, source
            )
            .await?))?;
            ctx.out.show(&r, || {
                if r.ok {
                    format!(
                        "光盘 {} 核查完好：{} 个文件与登记的哈希值相符（读取 {} 字节），已记入审计日志。",
                        r.copy, r.files_checked, r.bytes_read
                    )
                } else {
                    let mut s = format!("光盘 {} 核查发现问题，已记入审计日志：\n", r.copy);
                    for p in &r.problems {
                        let _ = writeln!(s, "  {p}");
                    }
                    s
                }
            })?;
            Ok(r.ok)
        }
    }
}
