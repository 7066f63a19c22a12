//! `station register|revoke|list` (the platform: networked stations' credentials) and `station
//! ingest` (a station machine: offload a device to the platform over the network, resumably).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Subcommand;
use zhilu_app::station::client::{self, DEFAULT_CHUNK, IngestReport, IngestRequest};
use zhilu_app::station::{self, NewStation, StationInfo};

use super::{as_writer, read_text};
use crate::Ctx;
use crate::output::{CliError, opt_t, t};

#[derive(Subcommand, Debug)]
pub enum StationCmd {
    /// 登记联网采集站的凭据（系统管理员）：令牌只显示这一次，平台只保存其哈希值；把它存入采集站的凭据文件。
    Register {
        /// 采集站编号。
        #[arg(long, value_name = "编号")]
        id: String,
        /// 采集站名称（如 一大队采集站）。
        #[arg(long, value_name = "名称")]
        name: String,
        /// 所在单位。
        #[arg(long, value_name = "单位")]
        unit: Option<String>,
    },
    /// 吊销采集站的凭据（系统管理员）：此后该令牌的上传一律被拒绝。
    Revoke {
        /// 采集站编号。
        #[arg(long, value_name = "编号")]
        id: String,
    },
    /// 列出已登记的采集站凭据（不显示令牌）。
    List,
    /// 清理作废的上传（系统管理员）：超过 7 天未继续的上传作废，删除平台收到的部分数据并记入审计日志；采集站下次上传时从头开始。不触及已入库的文件（平台服务每小时也自动清理一次）。
    Sweep,
    /// 〔采集站〕把设备目录中的文件经网络断点续传到平台：在本站计算两种哈希值（sha256、sm3），平台重新校验后入库；平台确认每个存储位置都校验无误后才可清除设备上的文件。
    Ingest {
        /// 已连接（挂载）的设备目录。
        #[arg(value_name = "目录")]
        dir: PathBuf,
        /// 设备编号（须已在平台登记）。
        #[arg(long, value_name = "编号")]
        device: String,
        /// 交来设备的执法人员编号。
        #[arg(long, value_name = "编号")]
        officer: String,
        /// 本采集站编号（须与凭据一致）。
        #[arg(long, value_name = "编号")]
        station: String,
        /// 平台地址：https://主机:端口（受信网络或测试中也可用 http://）。
        #[arg(long, value_name = "地址")]
        to: String,
        /// 本站凭据文件（内容为登记时显示的令牌）。
        #[arg(long, value_name = "文件")]
        token_file: PathBuf,
        /// 签发平台证书的机构的根证书（PEM），使用 https 时必填。
        #[arg(long, value_name = "文件")]
        ca_file: Option<PathBuf>,
        /// 每段数据的大小（MiB，1–16）。
        #[arg(long, value_name = "MiB", default_value_t = DEFAULT_CHUNK / 1024 / 1024)]
        chunk_mib: u64,
        /// 平台确认每个文件都已入库并在每个存储位置校验无误后，从设备上删除这些文件（R26）。
        #[arg(long)]
        clear_device: bool,
    },
}

fn info_text(s: &StationInfo) -> String {
    format!(
        "{} {}（{}）登记于 {}，{}",
        s.station,
        s.name,
        s.unit.as_deref().unwrap_or("未填单位"),
        t(s.registered_at),
        if s.active {
            "有效".to_string()
        } else {
            format!("已吊销（{}）", opt_t(s.revoked_at, "—"))
        }
    )
}

pub async fn station_cmd(ctx: &Ctx, cmd: StationCmd) -> anyhow::Result<bool> {
    match cmd {
        StationCmd::Register { id, name, unit } => {
            let r = as_writer!(ctx, None, |app, actor| Ok(station::register(
                app,
                &actor,
                NewStation { id, name, unit }
            )
            .await?))?;
            ctx.out.show(&r, || {
                format!(
                    "已登记采集站 {}\n令牌（只显示这一次，请存入采集站的凭据文件，勿外传）：\n{}\n",
                    info_text(&r.station),
                    r.token
                )
            })?;
        }
        StationCmd::Revoke { id } => {
            let r = as_writer!(ctx, None, |app, actor| Ok(station::revoke(
                app, &actor, &id
            )
            .await?))?;
            ctx.out
                .show(&r, || format!("已吊销采集站凭据：{}\n", info_text(&r)))?;
        }
        StationCmd::List => {
            let rows = as_writer!(
                ctx,
                None,
                |app, actor| Ok(station::list(app, &actor).await?)
            )?;
            ctx.out.show(&rows, || {
                if rows.is_empty() {
                    return "尚未登记采集站凭据\n".to_string();
                }
                rows.iter().map(|s| info_text(s) + "\n").collect()
            })?;
        }
        StationCmd::Sweep => {
            let r = as_writer!(ctx, None, |app, actor| Ok(
                station::uploads::sweep_abandoned(app, &actor).await?
            ))?;
            ctx.out.show(&r, || {
                let mut s = format!(
                    "超过 {} 天未继续的上传：作废 {} 个",
                    r.after_days,
                    r.swept.len()
                );
                if r.busy > 0 {
                    let _ = write!(s, "，{} 个正在写入、本次未处理", r.busy);
                }
                if r.elsewhere > 0 {
                    let _ = write!(s, "，{} 个的数据在另一台平台服务器上、由其清理", r.elsewhere);
                }
                s.push('\n');
                for w in &r.swept {
                    let _ = writeln!(
                        s,
                        "  {}：采集站 {}，设备 {}，{}（已收到 {} / {} 字节，自 {} 起未继续），审计日志第 {} 条",
                        w.id,
                        w.station,
                        w.device,
                        w.file_name.escape_debug(),
                        w.offset,
                        w.size,
                        t(w.idle_since),
                        w.entry
                    );
                }
                s
            })?;
        }
        StationCmd::Ingest {
            dir,
            device,
            officer,
            station,
            to,
            token_file,
            ca_file,
            chunk_mib,
            clear_device,
        } => {
            if !(1..=16).contains(&chunk_mib) {
                return Err(CliError {
                    code: "invalid",
                    message: format!("--chunk-mib 须在 1 到 16 之间（收到 {chunk_mib}）"),
                }
                .into());
            }
            let token = read_text(&token_file)?;
            let req = IngestRequest {
                source: dir,
                device,
                officer,
                station,
                url: to,
                token: token.trim().to_string(),
                ca_file,
                chunk: chunk_mib * 1024 * 1024,
                clear_device,
                max_chunks: None,
            };
            let r = client::ingest(&req).await?;
            ctx.out.show(&r, || ingest_text(&r))?;
            return Ok(r.complete);
        }
    }
    Ok(true)
}

fn ingest_text(r: &IngestReport) -> String {
    let mut s = format!(
        "采集站 {} 向平台上传设备 {}（执法人员 {}）{}\n",
        r.station,
        r.device,
        r.officer,
        if r.complete { "完成" } else { "未完成" }
    );
    let _ = writeln!(s, "  本次发送 {} 字节", r.bytes_sent);
    for f in &r.files {
        let what = match f.outcome.as_str() {
            "stored" => "已入库",
            "already_stored" | "duplicate" => "平台已有（未重复存储）",
            "damaged" => "已入库（文件损坏）",
            "skipped" => "平台未入库（不是音视频或照片）",
            "local_skip" => "未上传",
            "refused" => "平台拒绝（哈希值不符）",
            _ => "中断，下次运行从断点继续",
        };
        let _ = write!(s, "  {}：{what}", f.file.escape_debug());
        if f.confirmed {
            s.push_str("，每个存储位置均已校验");
        }
        if let Some(reason) = &f.reason {
            let _ = write!(s, "（{reason}）");
        }
        s.push('\n');
    }
    for k in &r.skipped {
        let _ = writeln!(s, "  {}：未读取（{}）", k.file.escape_debug(), k.reason);
    }
    if !r.cleared.is_empty() {
        let _ = writeln!(s, "  已从设备清除 {} 个文件", r.cleared.len());
    }
    for k in &r.kept_on_device {
        let _ = writeln!(s, "  {} 留在设备上：{}", k.file.escape_debug(), k.reason);
    }
    s
}
