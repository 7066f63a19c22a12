//! `export evidence`, `verify-export`: evidence packages a receiver checks without our software
//! (R22, X3).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;
use zhilu_app::AppError;
use zhilu_app::export::{self, Facts};

use super::as_writer;
use crate::Ctx;

#[derive(Subcommand, Debug)]
pub enum ExportCmd {
    /// 证据提取（R22）：把一项已批准、未过期的复制或对外提供授权所含的原始音像记录写成证据包（含两种哈希值的清单、审计日志包含证明、校验程序和核对说明），接收方无需本系统即可核对。只能由被授权人本人（--actor）提取，并记入审计日志。
    Evidence(EvidenceArgs),
}

#[derive(Args, Debug)]
pub struct EvidenceArgs {
    /// 调阅授权编号（`zhilu access grants` 列出）。
    #[arg(long, value_name = "编号")]
    grant: String,
    /// 证据包写入的目录：不存在或为空，且不在数据目录和证据存储位置之内。
    #[arg(long, value_name = "目录")]
    out: PathBuf,
    /// 制作人。
    #[arg(long, value_name = "姓名", default_value = "")]
    maker: String,
    /// 提取人。
    #[arg(long, value_name = "姓名", default_value = "")]
    extractor: String,
    /// 事由。
    #[arg(long, value_name = "文本", default_value = "")]
    reason: String,
    /// 案件编号（默认写调阅授权编号）。
    #[arg(long, value_name = "编号", default_value = "")]
    case: String,
    /// 接收单位（法院、复议机关、审计机关等）。
    #[arg(long, value_name = "名称", default_value = "")]
    receiver: String,
    /// 提取单位。
    #[arg(long, value_name = "名称", default_value = "")]
    agency: String,
    /// 案件名称（写入文字说明材料和光盘标签）。
    #[arg(long, value_name = "名称", default_value = "")]
    case_name: String,
    /// 另把证据包写成光盘映像（ISO 9660 + Joliet，中文文件名不变）；放不下一张光盘时分成 名称-1.iso、名称-2.iso……，每张都带全部清单和核对材料。
    #[arg(long, value_name = "文件")]
    iso: Option<PathBuf>,
    /// 与 --iso 一起使用：一张光盘的容量，字节数或 4.7G、25G，或 cd、dvd、dvd-dl、bd25。
    #[arg(long, value_name = "容量", default_value = "dvd", value_parser = export::parse_disc_size, requires = "iso")]
    disc_size: u64,
}

#[derive(Args, Debug)]
pub struct VerifyExportArgs {
    /// 证据包目录。
    #[arg(value_name = "目录")]
    dir: PathBuf,
}

pub async fn export(ctx: &Ctx, c: ExportCmd) -> anyhow::Result<bool> {
    let ExportCmd::Evidence(a) = c;
    let facts = Facts {
        maker: a.maker,
        extractor: a.extractor,
        reason: a.reason,
        case: a.case,
        receiver: a.receiver,
        agency: a.agency,
        case_name: a.case_name,
    };
    let disc = a.iso.map(|image| export::Disc {
        image,
        capacity: a.disc_size,
    });
    let r = as_writer!(ctx, None, |app, actor| Ok(export::evidence_with(
        app,
        &actor,
        &a.grant,
        &a.out,
        facts,
        disc.as_ref()
    )
    .await?))?;
    ctx.out.show(&r, || {
        let mut s = format!(
            "已将调阅授权 {} 的 {} 个文件写成证据包 {}（审计日志检查点长度 {}），已记入审计日志：\n",
            r.grant,
            r.files.len(),
            r.dir.display(),
            r.checkpoint_size
        );
        for f in &r.files {
            let _ = writeln!(
                s,
                "  {}  {} 字节\n    SHA-256 {}\n    SM3     {}",
                f.path, f.size, f.sha256, f.sm3
            );
        }
        for d in &r.discs {
            let _ = writeln!(
                s,
                "光盘映像 {}：{} 字节，{} 个文件，SHA-256 {}",
                d.path.display(),
                d.size,
                d.payload_files,
                d.sha256
            );
        }
        s.push_str("接收方可在证据包目录中运行 python3 verify.py 核对（见其中的 README.txt）。");
        s
    })?;
    Ok(true)
}

/// Checks a package; a package that does not verify is exit code 1 with the problem named.
pub async fn verify_export(ctx: &Ctx, a: VerifyExportArgs) -> anyhow::Result<bool> {
    match export::verify_package(&a.dir).await {
        Ok(r) => {
            let mut value = serde_json::to_value(&r)?;
            if let Some(o) = value.as_object_mut() {
                o.insert("ok".into(), json!(true));
            }
            ctx.out.show(&value, || {
                let mut s = format!(
                    "证据包 {} 校验通过：{} 个文件与 SHA-256、SM3 清单相符，均有审计日志包含证明，检查点（长度 {}）签名正确。\n",
                    a.dir.display(),
                    r.files.len(),
                    r.checkpoint_size
                );
                for f in &r.files {
                    let _ = writeln!(s, "  {}（原文件名 {}）", f.path, f.original_name);
                }
                let _ = write!(
                    s,
                    "签名公钥：{}\n请核对它与本单位公布的审计日志公钥一致。",
                    r.key
                );
                s
            })?;
            Ok(true)
        }
        Err(e @ AppError::ExportInvalid(_)) => {
            let value = json!({"ok": false, "problem": e.to_string()});
            ctx.out.show(&value, || e.to_string())?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
