//! `witness`: both sides of C2SP tlog-witness. The witness side (`init`, `trust`, `serve`,
//! `status`, `cosign-file`) runs an independent witness in its own directory (`--data-dir`,
//! default ./zhilu-witness), typically at the legal office or the bureau above. The log side
//! (`add`, `remove`, `list`, `offer`, `request`, `accept`) works on this data directory: which
//! witnesses it offers its checkpoints to (ledgered), and the air-gapped exchange by files.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use serde_json::json;
use zhilu_ledger::MAX_ADD_CHECKPOINT_BYTES;
use zhilu_witness::WitnessError;

use super::with_app;
use crate::Ctx;
use crate::output::{CliError, opt_t, t};

#[derive(Subcommand, Debug)]
pub enum WitnessCmd {
    /// 〔见证方〕在 --data-dir 指定的目录（默认 ./zhilu-witness）创建见证（名称、签名密钥、状态库），输出见证公钥；可重复执行，从不覆盖密钥。
    Init {
        /// 见证名称，出现在每个副署签名上（不含空格和加号），如 某市局法制科见证。
        #[arg(long, value_name = "名称")]
        name: String,
    },
    /// 〔见证方〕信任一个日志：按来源行识别，用其公钥核对检查点签名（ed25519 或 sm2）。
    Trust {
        /// 日志的来源行（检查点第一行，日志方 `zhilu witness list` 输出）。
        #[arg(long, value_name = "来源")]
        origin: String,
        /// 日志的公钥（名称+编号+密钥，`zhilu init` 输出的那一行）。
        #[arg(long, value_name = "公钥")]
        key: String,
    },
    /// 〔见证方〕提供见证服务：日志方提交新的检查点及一致性证明，确认它延续了此前所见的历史才副署。
    Serve {
        /// 监听地址。
        #[arg(long, value_name = "地址", default_value = "127.0.0.1:7380")]
        listen: String,
    },
    /// 〔见证方〕查看每个受信日志的副署进度、冲突次数，以及是否已沉默。
    Status {
        /// 超过多少小时没有副署即视为沉默。
        #[arg(long, value_name = "小时", default_value_t = 24)]
        silent_hours: u64,
    },
    /// 〔见证方〕离线（物理隔离）副署：读取日志方 `zhilu witness request` 生成的请求文件，做与见证服务相同的检查；通过则把副署签名写入输出文件。
    CosignFile {
        /// 请求文件。
        #[arg(value_name = "请求文件")]
        input: PathBuf,
        /// 输出文件（副署签名行；不得已存在）。
        #[arg(value_name = "输出文件")]
        output: PathBuf,
    },
    /// 〔日志方〕为本数据目录添加见证（记入审计日志）：此后每次提交后都在后台向它提交检查点。
    Add {
        /// 见证服务地址，如 http://10.1.2.3:7380；物理隔离的见证不给地址，改用 request / accept 交换文件。
        #[arg(long, value_name = "地址")]
        url: Option<String>,
        /// 见证公钥（见证方 `zhilu witness init` 输出的那一行）。
        #[arg(long, value_name = "公钥")]
        key: String,
    },
    /// 〔日志方〕移除见证（记入审计日志，须说明原因）。
    Remove {
        /// 见证名称。
        #[arg(long, value_name = "名称")]
        name: String,
        /// 原因。
        #[arg(long, value_name = "原因")]
        reason: String,
    },
    /// 〔日志方〕列出本数据目录的见证及其副署进度，并给出见证方配置所需的来源行和公钥。
    List,
    /// 〔日志方〕立即向每个有地址的见证提交当前检查点，列出各自的答复。
    Offer,
    /// 〔日志方〕为物理隔离的见证生成请求文件（当前检查点及一致性证明），带到见证处运行 cosign-file。
    Request {
        /// 见证名称。
        #[arg(long, value_name = "名称")]
        name: String,
        /// 请求文件（不得已存在）。
        #[arg(long, value_name = "文件")]
        out: PathBuf,
    },
    /// 〔日志方〕导入物理隔离的见证返回的副署文件（核对签名后保存）。
    Accept {
        /// 见证名称。
        #[arg(long, value_name = "名称")]
        name: String,
        /// 当初生成的请求文件。
        #[arg(long, value_name = "文件")]
        request: PathBuf,
        /// 见证返回的副署文件。
        #[arg(long, value_name = "文件")]
        cosignature: PathBuf,
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
    match cmd {
        WitnessCmd::Add { url, key } => {
            return with_app!(ctx, |app| {
                let w = zhilu_app::witness::add(
                    app,
                    &ctx.writer(app, None).await?,
                    url.as_deref(),
                    &key,
                )
                .await?;
                ctx.out.show(&w, || {
                    format!(
                        "已添加见证 {}（审计日志第 {} 条）{}\n",
                        w.name,
                        w.added_entry,
                        w.url
                            .as_deref()
                            .map(|u| format!("，地址 {u}"))
                            .unwrap_or_else(|| "，以文件交换检查点".into())
                    )
                })?;
                Ok(true)
            });
        }
        WitnessCmd::Remove { name, reason } => {
            return with_app!(ctx, |app| {
                zhilu_app::witness::remove(app, &ctx.writer(app, None).await?, &name, &reason)
                    .await?;
                ctx.out.show(&json!({ "removed": name }), || {
                    format!("已移除见证 {name}（记入审计日志）\n")
                })?;
                Ok(true)
            });
        }
        WitnessCmd::List => {
            return with_app!(ctx, |app| {
                let list = zhilu_app::witness::list(app, &ctx.reader()).await?;
                let origin = zhilu_app::origin(app.verifying_key(), app.is_replay());
                let key = app.verifying_key().to_string();
                ctx.out.show(
                    &json!({ "origin": origin, "key": key, "witnesses": list }),
                    || {
                        let mut s = format!(
                            "本日志来源行：{origin}\n本日志公钥：{key}\n（见证方运行 `zhilu witness trust --origin 来源行 --key 公钥`）\n"
                        );
                        if list.is_empty() {
                            s.push_str("尚未配置见证。\n");
                        }
                        for w in &list {
                            let _ = writeln!(
                                s,
                                "见证 {}  {}  已副署至第 {} 条  最近副署 {}",
                                w.witness.name,
                                w.witness.url.as_deref().unwrap_or("（文件交换）"),
                                w.witnessed_size.map(|n| n.to_string()).unwrap_or_else(|| "—".into()),
                                opt_t(w.last_cosigned_at, "从未")
                            );
                        }
                        s
                    },
                )?;
                Ok(true)
            });
        }
        WitnessCmd::Offer => {
            return with_app!(ctx, |app| {
                let answers = zhilu_app::witness::offer(app, &ctx.reader()).await?;
                let conflict = answers.iter().any(|(_, o)| o.is_conflict());
                let value: Vec<_> = answers
                    .iter()
                    .map(|(n, o)| json!({ "witness": n, "answer": o }))
                    .collect();
                ctx.out.show(&value, || {
                    let mut s = String::new();
                    if answers.is_empty() {
                        s.push_str("尚未配置见证。\n");
                    }
                    for (n, o) in &answers {
                        let _ = writeln!(s, "{}", o.describe(n));
                    }
                    s
                })?;
                Ok(!conflict)
            });
        }
        WitnessCmd::Request { name, out } => {
            return with_app!(ctx, |app| {
                let bytes = zhilu_app::witness::request_file(app, &ctx.reader(), &name).await?;
                write_new(&out, &bytes)?;
                ctx.out.show(&json!({ "request": out.display().to_string() }), || {
                    format!(
                        "请求文件已写入 {}：带到见证处运行 `zhilu witness cosign-file 请求文件 副署文件`，再用 `zhilu witness accept` 导入\n",
                        out.display()
                    )
                })?;
                Ok(true)
            });
        }
        WitnessCmd::Accept {
            name,
            request,
            cosignature,
        } => {
            return with_app!(ctx, |app| {
                let req = read_limited(&request)?;
                let resp = read_limited(&cosignature)?;
                let o =
                    zhilu_app::witness::accept_file(app, &ctx.reader(), &name, &req, &resp).await?;
                ctx.out.show(&o, || format!("{}\n", o.describe(&name)))?;
                Ok(true)
            });
        }
        _ => {}
    }
    let dir = ctx.witness_dir();
    match cmd {
        WitnessCmd::Init { name } => init(ctx, &dir, &name),
        WitnessCmd::Trust { origin, key } => trust(ctx, &dir, &origin, &key),
        WitnessCmd::Serve { listen } => serve(&dir, &listen).await,
        WitnessCmd::Status { silent_hours } => status(ctx, &dir, silent_hours),
        WitnessCmd::CosignFile { input, output } => cosign_file(ctx, &dir, &input, &output),
        _ => unreachable!("log-side commands are handled above"),
    }
}

/// Writes a new file (never replaces one).
fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("无法新建文件 {}：{e}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| anyhow::anyhow!("无法写入文件 {}：{e}", path.display()))?;
    Ok(())
}

/// Reads a request or cosignature file, refusing one larger than a request can be.
fn read_limited(path: &Path) -> anyhow::Result<Vec<u8>> {
    let f = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("无法读取文件 {}：{e}", path.display()))?;
    let mut buf = Vec::new();
    f.take(MAX_ADD_CHECKPOINT_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| anyhow::anyhow!("无法读取文件 {}：{e}", path.display()))?;
    if buf.len() > MAX_ADD_CHECKPOINT_BYTES {
        anyhow::bail!("文件 {} 过大，不是见证请求或副署文件", path.display());
    }
    Ok(buf)
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
