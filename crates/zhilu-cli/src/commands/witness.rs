//! `witness`: run an independent C2SP witness for someone else's ledger (init, trust, serve,
//! status, cosign-file). Each variant is self-contained, so the log-side commands (offering our
//! checkpoints to witnesses) can join the same enum.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use serde_json::json;
use zhilu_ledger::MAX_ADD_CHECKPOINT_BYTES;
use zhilu_witness::WitnessError;

use crate::Ctx;
use crate::output::{CliError, opt_t, t};

#[derive(Subcommand, Debug)]
pub enum WitnessCmd {
    /// 在 --data-dir 指定的目录创建见证（名称、签名密钥、状态库），输出见证公钥；可重复执行，从不覆盖密钥。
    Init {
        /// 见证名称，出现在每个副署签名上，建议用无协议前缀的网址，如 witness.example.gov.cn/w1。
        #[arg(long, value_name = "名称")]
        name: String,
    },
    /// 信任一个日志：按来源行识别，用其公钥核对检查点签名（Ed25519 或 SM2）。
    Trust {
        /// 日志的来源行（检查点第一行），例如 “zhilu.ledger/v1 某某局”。
        #[arg(long, value_name = "来源")]
        origin: String,
        /// 日志的公钥（名称+编号+密钥，`zhilu init` 输出的那一行）。
        #[arg(long, value_name = "公钥")]
        key: String,
    },
    /// 提供 C2SP tlog-witness 服务（POST /add-checkpoint）。
    Serve {
        /// 监听地址。
        #[arg(long, value_name = "地址", default_value = "127.0.0.1:7380")]
        listen: String,
    },
    /// 查看每个受信日志的副署进度、冲突次数，以及是否已沉默。
    Status {
        /// 超过多少小时没有副署即视为沉默。
        #[arg(long, value_name = "小时", default_value_t = 24)]
        silent_hours: u64,
    },
    /// 离线（物理隔离）副署：读取 add-checkpoint 请求文件，与 HTTP 服务做同样的检查；通过则把副署签名写入输出文件。
    CosignFile {
        /// 请求文件（即 HTTP 请求体）。
        #[arg(value_name = "请求文件")]
        input: PathBuf,
        /// 输出文件（副署签名行；不得已存在）。
        #[arg(value_name = "输出文件")]
        output: PathBuf,
    },
}

fn witness_error(e: WitnessError) -> anyhow::Error {
    let code = match &e {
        WitnessError::NotInitialized(..) => "witness_not_initialized",
        WitnessError::KeyConflict { .. } => "witness_key_conflict",
        WitnessError::NameMismatch { .. } => "witness_name_mismatch",
        _ => "witness",
    };
    CliError {
        code,
        message: e.to_string(),
    }
    .into()
}

pub async fn witness(ctx: &Ctx, cmd: WitnessCmd) -> anyhow::Result<bool> {
    let dir = ctx.witness_dir();
    match cmd {
        WitnessCmd::Init { name } => init(ctx, &dir, &name),
        WitnessCmd::Trust { origin, key } => trust(ctx, &dir, &origin, &key),
        WitnessCmd::Serve { listen } => serve(&dir, &listen).await,
        WitnessCmd::Status { silent_hours } => status(ctx, &dir, silent_hours),
        WitnessCmd::CosignFile { input, output } => cosign_file(ctx, &dir, &input, &output),
    }
}

fn init(ctx: &Ctx, dir: &Path, name: &str) -> anyhow::Result<bool> {
    let vk = zhilu_witness::init(dir, name).map_err(witness_error)?;
    let value =
        json!({ "dir": dir.display().to_string(), "name": vk.name(), "key": vk.to_string() });
    ctx.out.show(&value, || {
        format!(
            "见证 {} 已就绪（目录 {}）。\n见证公钥（交给日志方配置）：\n{vk}\n",
            vk.name(),
            dir.display()
        )
    })?;
    Ok(true)
}

fn trust(ctx: &Ctx, dir: &Path, origin: &str, key: &str) -> anyhow::Result<bool> {
    let vk = zhilu_witness::trust(dir, origin, key).map_err(witness_error)?;
    let value = json!({ "origin": origin, "key": vk.to_string() });
    ctx.out
        .show(&value, || format!("已信任日志 {origin}，公钥 {vk}\n"))?;
    Ok(true)
}

async fn serve(dir: &Path, listen: &str) -> anyhow::Result<bool> {
    let witness = zhilu_witness::Witness::open(dir).map_err(witness_error)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CliError {
            code: "listen_failed",
            message: format!("无法监听 {listen}：{e}"),
        })?;
    let addr = listener.local_addr()?;
    eprintln!(
        "见证 {} 正在 http://{addr}/add-checkpoint 提供服务（Ctrl-C 停止）",
        witness.verifying_key().name()
    );
    zhilu_witness::serve(listener, Arc::new(witness))
        .await
        .map_err(|e| CliError {
            code: "serve_failed",
            message: format!("见证服务中断：{e}"),
        })?;
    Ok(true)
}

fn status(ctx: &Ctx, dir: &Path, silent_hours: u64) -> anyhow::Result<bool> {
    let after = Duration::from_secs(silent_hours.saturating_mul(3600));
    let logs = zhilu_witness::status(dir, after).map_err(witness_error)?;
    let key = zhilu_witness::verifying_key(dir).map_err(witness_error)?;
    let value = json!({ "witness": key.to_string(), "logs": logs });
    ctx.out.show(&value, || {
        let mut s = format!("见证公钥 {key}\n");
        if logs.is_empty() {
            s.push_str("尚未信任任何日志：运行 `zhilu witness trust --origin 来源 --key 公钥`。\n");
        }
        for l in &logs {
            let last = opt_t(l.last_cosigned_at, "从未");
            let _ = write!(
                s,
                "{}：长度 {}，最近副署 {last}，冲突 {} 次",
                l.origin, l.size, l.conflicts
            );
            if let Some(since) = l.silent_since {
                let _ = write!(s, "，自 {} 起沉默", t(since));
            }
            s.push('\n');
        }
        s
    })?;
    Ok(true)
}

fn cosign_file(ctx: &Ctx, dir: &Path, input: &Path, output: &Path) -> anyhow::Result<bool> {
    let unreadable = |reason: String| CliError {
        code: "file_unreadable",
        message: format!("无法读取请求文件 {}：{reason}", input.display()),
    };
    let mut body = Vec::new();
    std::fs::File::open(input)
        .and_then(|f| {
            f.take(MAX_ADD_CHECKPOINT_BYTES as u64 + 1)
                .read_to_end(&mut body)
        })
        .map_err(|e| unreadable(e.to_string()))?;
    if output.exists() {
        return Err(CliError {
            code: "output_exists",
            message: format!("输出文件 {} 已存在，不会覆盖", output.display()),
        }
        .into());
    }
    let r = zhilu_witness::cosign_request(dir, &body).map_err(witness_error)?;
    let ok = r.status == 200;
    if ok {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(output)
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, r.body.as_bytes())?;
                f.sync_all()
            })
            .map_err(|e| CliError {
                code: "file_unwritable",
                message: format!("无法写入输出文件 {}：{e}", output.display()),
            })?;
    }
    let value = json!({
        "status": r.status,
        "content_type": r.content_type,
        "body": r.body,
        "output": ok.then(|| output.display().to_string()),
    });
    ctx.out.show(&value, || {
        if ok {
            format!("已副署，签名写入 {}\n", output.display())
        } else if r.content_type == zhilu_witness::CONTENT_TYPE_SIZE {
            format!(
                "拒绝副署（{}）：见证记录的长度是 {}，请以此为旧长度重新生成请求\n",
                r.status,
                r.body.trim_end()
            )
        } else {
            format!("拒绝副署（{}）：{}", r.status, r.body)
        }
    })?;
    Ok(ok)
}
