//! `zhilu`: the command line. An edge that only translates: parse (in Chinese, `zh.rs`), call one
//! use case of `zhilu-app`, print (`output.rs`: Chinese text with Beijing times for people, JSON
//! with RFC 3339 times for machines, errors as `{"code", "message"}` with `--json`).
//!
//! Exit code 0 on success, 1 when the command could not do its job or `fixity` / `verify` found
//! something wrong, 2 for usage errors.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use zhilu_app::{
    Actor, App, Clock, DataDir, Field, FixedClock, SystemClock, identity, parse_instant,
};

mod commands;
mod output;
mod zh;

use output::{CliError, Out};

#[derive(Parser, Debug)]
#[command(
    name = "zhilu",
    version,
    about = "执录：行政执法音像记录管理（设备台账、采集导入、证据库、审计日志、合规检查）"
)]
struct Cli {
    /// 数据目录（配置、编目库、证据库、密钥、检查点）。默认 ./zhilu-data；demo 命令默认 ./zhilu-demo。
    #[arg(long, global = true, env = "ZHILU_DATA_DIR", value_name = "目录")]
    data_dir: Option<PathBuf>,
    /// 以 JSON 输出结果（时间为 RFC 3339 格式），出错时输出 {"code", "message"}。
    #[arg(long, global = true)]
    json: bool,
    /// 重放时钟：以此时间为业务上的“现在”（北京时间 2026-11-20 09:30 或 RFC 3339）。只用于重放目录（演示、测试、培训：zhilu init --replay，或初始化时即给出）；正式目录拒绝。
    #[arg(long, global = true, env = "ZHILU_NOW", value_name = "时间")]
    now: Option<String>,
    /// 编目数据库地址（优先于 zhilu.toml），例如 postgres://user@host/db；也可用环境变量
    /// ZHILU_DATABASE_URL_FILE 指向保存地址的文件。
    #[arg(long, global = true, env = "ZHILU_DATABASE_URL", value_name = "地址")]
    database_url: Option<String>,
    /// 操作人：一名已登记、未停用的用户的编号，与本机登录的系统用户一并记入审计日志。会写入数据的命令必须给出；
    /// 只读的命令（列表、查看、检查、校验）不需要。
    #[arg(long, global = true, env = "ZHILU_ACTOR", value_name = "编号")]
    actor: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// 创建数据目录：配置、编目库、两个证据存储位置、签名密钥和审计日志（可重复执行）。
    Init(commands::setup::InitArgs),
    /// 执法规范配置：预置配置、校验、启用、查看。
    #[command(subcommand)]
    Profile(commands::setup::ProfileCmd),
    /// 工作日历（法定节假日与调休工作日）。
    #[command(subcommand)]
    Calendar(commands::setup::CalendarCmd),
    /// 用户及其角色、密级授权（三员分立：系统管理员登记用户，安全保密管理员授予角色和密级）。
    #[command(subcommand)]
    User(commands::users::UserCmd),
    /// 执法人员及其角色。
    #[command(subcommand)]
    Officer(commands::registry::OfficerCmd),
    /// 设备台账：登记、生命周期事件、领用与归还。
    #[command(subcommand)]
    Device(commands::registry::DeviceCmd),
    /// 像采集站一样导入已连接的设备目录。
    Ingest(commands::offload::IngestArgs),
    /// 已入库的音像记录。
    #[command(subcommand)]
    Recordings(commands::offload::RecordingsCmd),
    /// 执法活动。
    #[command(subcommand)]
    Activity(commands::records::ActivityCmd),
    /// 将音像记录人工关联到执法活动。
    Link(commands::records::LinkArgs),
    /// 未记录工作记录（R10）。
    #[command(subcommand)]
    Norecord(commands::records::NoRecordCmd),
    /// 中断说明（R11）。
    #[command(subcommand)]
    Interruption(commands::records::InterruptionCmd),
    /// 延期导出申请（R17）。
    #[command(subcommand)]
    Extension(commands::records::ExtensionCmd),
    /// 音像记录的保全（R20）。
    #[command(subcommand)]
    Hold(commands::records::HoldCmd),
    /// 调阅或复制音像记录的申请（R23）。
    #[command(subcommand)]
    Access(commands::access::AccessCmd),
    /// 审批一项待审批事项（审批链中的一级），或列出待审批事项。
    Approve(commands::access::ApproveArgs),
    /// 驳回一项待审批事项。
    Reject(commands::access::RejectArgs),
    /// 对照执法规范配置检查各项记录，列出发现的问题。
    Check(commands::compliance::CheckArgs),
    /// 问题整改：问题台账的列出、详情、确认、整改、关闭、重新打开和同步。
    #[command(subcommand)]
    Findings(commands::findings::FindingsCmd),
    /// 音像记录的保存期限（R20-R21）。
    #[command(subcommand)]
    Retention(commands::compliance::RetentionCmd),
    /// 经审批清除保存期限已到的音像记录（R20）：申请、执行、完成中断的清除、列出申请。
    #[command(subcommand)]
    Purge(commands::purge::PurgeCmd),
    /// 一户式：一个当事人的全部执法活动、音像记录和问题（R19）。
    #[command(subcommand)]
    Subject(commands::compliance::SubjectCmd),
    /// 重新计算每个存储位置中每份副本的哈希值；加 --repair 用完好副本修复。
    Fixity(commands::integrity::FixityArgs),
    /// 完整校验审计日志，据此核对编目库中的每一行，并与见证所见核对（回滚、改写、未副署的记录）。
    Verify(commands::integrity::VerifyArgs),
    /// 证据提取：把复制或对外提供授权所含的音像记录写成接收方可自行核对的证据包（R22）。
    #[command(subcommand)]
    Export(commands::export::ExportCmd),
    /// 核对一个证据包：清单、文件、审计日志包含证明和检查点签名；不符时指明文件，退出状态为 1。
    VerifyExport(commands::export::VerifyExportArgs),
    /// 长期保存（R21）：把配置规定长期或永久保存、尚未刻录的音像记录按案件或执法活动写成光盘映像（可自行核对的证据包格式），按规定份数登记并各出一张光盘标签。
    Preserve(commands::preserve::PreserveArgs),
    /// 光盘登记簿（R21）：列出、登记存放位置、读回核查。
    #[command(subcommand)]
    Disc(commands::preserve::DiscCmd),
    /// 设备经费（R31）：登记设备的购置、维护、维修费用，列出费用，年度按单位汇总。
    #[command(subcommand)]
    Cost(commands::costs::CostCmd),
    /// 违规行为（R29）：登记执法人员的违规行为并关联证明它的问题和审计日志，列出。
    #[command(subcommand)]
    Violation(commands::accountability::ViolationCmd),
    /// 处理措施（R29）：对违规行为登记处理（停止执法期间不能领用设备），列出。
    #[command(subcommand)]
    Sanction(commands::accountability::SanctionCmd),
    /// 年度评查（R28）：登记年度音像记录资料评查，列出并提示逾期未评查的年度。
    #[command(subcommand, name = "annual-review")]
    AnnualReview(commands::accountability::AnnualReviewCmd),
    /// 抽查评查（R27）：按期间、比例和种子可重复地抽取执法活动，逐项评查，核对样本。
    #[command(subcommand)]
    Sample(commands::sampling::SampleCmd),
    /// 执法质量考评（R27）：按期间汇总抽查评查结果，得出每名执法人员和每个单位的得分。
    Assess(commands::sampling::AssessArgs),
    /// 把台账或登记簿写成 xlsx 表格（使用台账、设备登记、问题清单、调阅登记），日期为真正的日期。
    #[command(subcommand)]
    Sheet(commands::sheet::SheetCmd),
    /// 见证：本数据目录的见证（添加、移除、提交检查点、离线交换文件），以及为其他机关的审计日志做独立见证并副署检查点。
    #[command(subcommand)]
    Witness(commands::witness::WitnessCmd),
    /// 联网采集站：登记、吊销、列出采集站凭据（平台）；在采集站把设备文件经网络断点续传到平台（R16、R26）。
    #[command(subcommand)]
    Station(commands::station::StationCmd),
    /// 上级监督机关查看所辖各机关的概况（只读）：音像记录、执法活动、问题、未按时导入、领用未还的设备、审计日志及其校验。须以在每个机关都登记了上级监督机关账号的 --actor 运行。
    Oversee(commands::oversee::OverseeArgs),
    /// 启动网页服务和接口（须登录；审批、调阅在此进行）。
    Serve(commands::serve::ServeArgs),
    /// 性能测试：输出测得数据及同次运行测得的基准值。
    #[cfg(feature = "lab")]
    #[command(subcommand)]
    Bench(commands::lab::BenchCmd),
    /// 用生成的样例音像记录演示一个执法日（重放目录，默认 ./zhilu-demo）。
    #[cfg(feature = "lab")]
    Demo(commands::lab::DemoArgs),
}

/// What every command needs: where, when, who, and how to print.
pub(crate) struct Ctx {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    pub clock: Arc<dyn Clock>,
    pub actor: Option<String>,
    pub out: Out,
}

impl Ctx {
    /// The data directory (`default` when none was given).
    pub fn dir_or(&self, default: &str) -> DataDir {
        DataDir::new(
            self.data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(default)),
        )
    }

    pub fn dir(&self) -> DataDir {
        self.dir_or("./zhilu-data")
    }

    /// A witness's own directory (`--data-dir`, default ./zhilu-witness): not a Zhilu data
    /// directory, so it is not opened as one.
    pub fn witness_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("./zhilu-witness"))
    }

    pub fn database_url(&self) -> Option<String> {
        self.database_url.clone()
    }

    /// Opens the data directory.
    pub async fn open(&self) -> anyhow::Result<App> {
        let app = App::open(self.dir(), self.clock.clone(), self.database_url()).await?;
        if let Some((catalog, signed)) = app.catalog_behind() {
            eprintln!(
                "警告：编目库只有 {catalog} 条审计日志，签名检查点却记录了 {signed} 条——编目库被回滚，或不是本数据目录的编目库。只能读取，不能写入；请运行 `zhilu verify`。"
            );
        }
        Ok(app)
    }

    /// Who writes: `by` when the command names the acting person (an approver, the operator of
    /// an offload), the global `--actor` otherwise — a registered, enabled user; the OS user is
    /// recorded beside them.
    pub async fn writer(&self, app: &App, by: Option<&str>) -> anyhow::Result<Actor> {
        let Some(id) = by
            .or(self.actor.as_deref())
            .filter(|s| !s.trim().is_empty())
        else {
            return Err(CliError {
                code: ACTOR_REQUIRED,
                message: "此命令会写入数据，须用 --actor <编号>（或环境变量 ZHILU_ACTOR）指明操作人：一名已登记、未停用的用户".into(),
            }
            .into());
        };
        Ok(identity::cli_actor(app, id.trim(), &os_user()).await?)
    }

    /// Who reads, for a read-only command: the operator at the shell, who holds the data
    /// directory's files anyway (see `zhilu_app::identity::shell_reader`).
    pub fn reader(&self) -> Actor {
        identity::shell_reader(&os_user())
    }
}

/// The error code of a write without `--actor` (a usage error: exit 2).
pub(crate) const ACTOR_REQUIRED: &str = "actor_required";

/// The OS user running the command, by effective uid: its name in /etc/passwd, else `$USER`,
/// else `uid<N>`.
pub(crate) fn os_user() -> String {
    let uid = rustix::process::geteuid().as_raw();
    let from_passwd = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let mut f = line.split(':');
                let name = f.next()?;
                let id = f.nth(1)?;
                (id.parse::<u32>().ok()? == uid && !name.is_empty()).then(|| name.to_string())
            })
        });
    from_passwd
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| format!("uid{uid}"))
}

/// The database URL: the flag or `ZHILU_DATABASE_URL`, else the file `ZHILU_DATABASE_URL_FILE`
/// names (so a password need not appear in the process list or the environment).
fn database_url(flag: Option<String>) -> anyhow::Result<Option<String>> {
    if flag.as_deref().is_some_and(|u| !u.is_empty()) {
        return Ok(flag);
    }
    match std::env::var_os("ZHILU_DATABASE_URL_FILE") {
        Some(path) if !path.is_empty() => {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                anyhow::anyhow!(
                    "无法读取 ZHILU_DATABASE_URL_FILE 指向的文件 {}：{e}",
                    PathBuf::from(&path).display()
                )
            })?;
            Ok(Some(text.trim().to_string()))
        }
        _ => Ok(None),
    }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let json = args.iter().any(|a| a == "--json");
    let out = Out::new(json);
    let matches = match zh::localize(Cli::command()).try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => return out.usage(&e, &zh::render_error(&e)),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return out.usage(&e, &zh::render_error(&e)),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZHILU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            out.failure(&anyhow::anyhow!("无法启动运行时：{e}"));
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli, out)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            out.failure(&e);
            let usage = e
                .downcast_ref::<CliError>()
                .is_some_and(|c| c.code == ACTOR_REQUIRED);
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

/// Runs the command; `Ok(false)` means it ran but found something wrong.
async fn run(cli: Cli, out: Out) -> anyhow::Result<bool> {
    let clock: Arc<dyn Clock> = match &cli.now {
        Some(t) => Arc::new(FixedClock(parse_instant(Field::Time, t)?)),
        None => Arc::new(SystemClock),
    };
    let ctx = Ctx {
        data_dir: cli.data_dir,
        database_url: database_url(cli.database_url)?,
        clock,
        actor: cli.actor,
        out,
    };
    use commands::*;
    match cli.command {
        Command::Init(a) => setup::init(&ctx, a).await,
        Command::Profile(c) => setup::profile(&ctx, c).await,
        Command::Calendar(c) => setup::calendar(&ctx, c).await,
        Command::User(c) => users::user(&ctx, c).await,
        Command::Officer(c) => registry::officer(&ctx, c).await,
        Command::Device(c) => registry::device(&ctx, c).await,
        Command::Ingest(a) => offload::ingest(&ctx, a).await,
        Command::Recordings(c) => offload::recordings(&ctx, c).await,
        Command::Activity(c) => records::activity(&ctx, c).await,
        Command::Link(a) => records::link(&ctx, a).await,
        Command::Norecord(c) => records::norecord(&ctx, c).await,
        Command::Interruption(c) => records::interruption(&ctx, c).await,
        Command::Extension(c) => records::extension(&ctx, c).await,
        Command::Hold(c) => records::hold(&ctx, c).await,
        Command::Access(c) => access::access(&ctx, c).await,
        Command::Approve(a) => access::approve(&ctx, a).await,
        Command::Reject(a) => access::reject(&ctx, a).await,
        Command::Check(a) => compliance::check(&ctx, a).await,
        Command::Findings(c) => findings::findings_cmd(&ctx, c).await,
        Command::Retention(c) => compliance::retention(&ctx, c).await,
        Command::Purge(c) => purge::purge(&ctx, c).await,
        Command::Subject(c) => compliance::subject(&ctx, c).await,
        Command::Fixity(a) => integrity::fixity(&ctx, a).await,
        Command::Verify(a) => integrity::verify(&ctx, a).await,
        Command::Export(c) => export::export(&ctx, c).await,
        Command::VerifyExport(a) => export::verify_export(&ctx, a).await,
        Command::Sheet(c) => sheet::sheet(&ctx, c).await,
        Command::Sample(c) => sampling::sample(&ctx, c).await,
        Command::Assess(a) => sampling::assess(&ctx, a).await,
        Command::Preserve(a) => preserve::preserve(&ctx, a).await,
        Command::Disc(c) => preserve::disc(&ctx, c).await,
        Command::Cost(c) => costs::cost(&ctx, c).await,
        Command::Violation(c) => accountability::violation(&ctx, c).await,
        Command::Sanction(c) => accountability::sanction(&ctx, c).await,
        Command::AnnualReview(c) => accountability::annual_review(&ctx, c).await,
        Command::Witness(c) => witness::witness(&ctx, c).await,
        Command::Station(c) => station::station_cmd(&ctx, c).await,
        Command::Oversee(a) => oversee::oversee(&ctx, a).await,
        Command::Serve(a) => serve::serve(&ctx, a).await,
        #[cfg(feature = "lab")]
        Command::Bench(c) => lab::bench(&ctx, c).await,
        #[cfg(feature = "lab")]
        Command::Demo(a) => lab::demo(&ctx, a).await,
    }
}
