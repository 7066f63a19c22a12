//! `zhilu`: the command line. Thin by design: parse, call zhilu-app, print (Chinese text for people,
//! `--json` for machines). Exit code 0 on success, 1 when the command could not do its job or when
//! `fixity` / `verify` found something wrong, 2 for usage errors.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use zhilu_app::{
    App, BenchIngestOptions, Clock, DataDir, FixedClock, IngestObserver, IngestOptions,
    InitOptions, RegisterDevice, SystemClock,
};

mod domain_cmd;
mod print;

use domain_cmd::*;

#[derive(Parser, Debug)]
#[command(
    name = "zhilu",
    version,
    about = "执录：行政执法音像记录管理（证据库、审计日志、导入采集）"
)]
struct Cli {
    /// Data directory (catalog, vault, keys, ledger checkpoint).
    #[arg(
        long,
        global = true,
        env = "ZHILU_DATA_DIR",
        default_value = "./zhilu-data"
    )]
    data_dir: PathBuf,
    /// Machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The clock every command uses (RFC 3339), so a past day can be replayed.
    #[arg(long, global = true, env = "ZHILU_NOW")]
    now: Option<String>,
    /// Catalog database URL (overrides zhilu.toml), e.g. postgres://user@host/db.
    #[arg(long, global = true, env = "ZHILU_DATABASE_URL")]
    database_url: Option<String>,
    /// Who is acting (recorded in the audit ledger).
    #[arg(long, global = true, env = "ZHILU_ACTOR", default_value = "admin")]
    actor: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create the data directory, catalog, vault roots, signing key and ledger (idempotent).
    Init {
        /// A vault root (give at least two, on independent disks). Default: vault/primary, vault/replica.
        #[arg(long = "vault-root")]
        vault_roots: Vec<PathBuf>,
        /// Ledger tree hash: sha256 or sm3.
        #[arg(long)]
        ledger_hash: Option<String>,
        /// Checkpoint signature: ed25519 or sm2.
        #[arg(long)]
        signature: Option<String>,
        /// The agency's policy profile: a preset id (dalian-ftz, zhejiang-rf, luohe-xm, lushan-sj,
        /// jinpu-wj) or a profile file.
        #[arg(long)]
        profile: Option<String>,
    },
    /// The agency's policy profile (presets, validate, apply, show).
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// The working-day calendar (public holidays and make-up working days).
    #[command(subcommand)]
    Calendar(CalendarCmd),
    /// Officers and their roles.
    #[command(subcommand)]
    Officer(OfficerCmd),
    /// Enforcement activities.
    #[command(subcommand)]
    Activity(ActivityCmd),
    /// Link a recording to an activity by hand.
    Link {
        #[arg(long)]
        recording: String,
        #[arg(long)]
        activity: String,
    },
    /// Non-recording records (R10).
    #[command(subcommand)]
    Norecord(NoRecordCmd),
    /// Interruption records (R11).
    #[command(subcommand)]
    Interruption(InterruptionCmd),
    /// Offload-deadline extensions (R17).
    #[command(subcommand)]
    Extension(ExtensionCmd),
    /// Approve a pending record (one level of its approval chain).
    Approve {
        id: String,
        #[arg(long)]
        by: String,
    },
    /// Requests to view or copy recordings (R23).
    #[command(subcommand)]
    Access(AccessCmd),
    /// Legal holds on recordings (R20).
    #[command(subcommand)]
    Hold(HoldCmd),
    /// Check the records against the profile and print the findings.
    Check {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        officer: Option<String>,
    },
    /// Retention of every recording (R20-R21).
    #[command(subcommand)]
    Retention(RetentionCmd),
    /// Everything about one enforcement subject (R19).
    #[command(subcommand)]
    Subject(SubjectCmd),
    /// Device registry and lifecycle.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Offload a mounted device folder as a collection station does.
    Ingest(IngestArgs),
    /// Stored recordings.
    #[command(subcommand)]
    Recordings(RecordingsCmd),
    /// Re-hash every stored object in every root; --repair restores bad copies from good ones.
    Fixity {
        #[arg(long)]
        repair: bool,
    },
    /// Check the audit ledger end to end and the catalog against it.
    Verify,
    /// Benchmarks that print figures next to their baselines.
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Build a demo data directory from generated sample recordings and show the result.
    Demo {
        /// The policy profile to play the demo under (a preset id).
        #[arg(long, default_value = "dalian-ftz")]
        profile: String,
    },
}

#[derive(Subcommand, Debug)]
enum DeviceCmd {
    /// Register a device (only registered devices can be offloaded).
    Register {
        #[arg(long)]
        serial: String,
        /// 执法记录仪 (body-camera), 照相机 (camera), 录音机 (audio-recorder), 摄像机 (video-camera),
        /// 手持执法终端 (handheld-terminal), 视频监控 (surveillance), 采集站 (collection-station).
        #[arg(long)]
        kind: String,
        #[arg(long)]
        model: String,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        keeper: String,
        #[arg(long)]
        asset_no: Option<String>,
    },
    /// Record a lifecycle event: 发放 调拨 更新 维修 恢复使用 停用 报废 遗失.
    Event {
        #[arg(long)]
        serial: String,
        #[arg(long)]
        event: String,
        #[arg(long)]
        detail: String,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        keeper: Option<String>,
    },
    /// List registered devices.
    List,
    /// Check a device out to an officer, with the pre-use check (R3, R4).
    Checkout {
        #[arg(long)]
        device: String,
        #[arg(long)]
        officer: String,
        /// Battery level, percent.
        #[arg(long)]
        battery: Option<i64>,
        /// Free storage, GB.
        #[arg(long)]
        free_gb: Option<i64>,
        /// The device clock was checked against the current time.
        #[arg(long)]
        clock_ok: bool,
    },
    /// Return a checked-out device.
    Return {
        #[arg(long)]
        device: String,
    },
}

#[derive(Args, Debug)]
struct IngestArgs {
    /// The mounted device folder.
    dir: PathBuf,
    #[arg(long)]
    device: String,
    #[arg(long)]
    officer: String,
    #[arg(long)]
    station: String,
    /// The time the device reported when connected (RFC 3339); its offset is recorded.
    #[arg(long)]
    device_clock: Option<String>,
    /// Delete the files from the device after every one is verified in every vault root.
    #[arg(long)]
    clear_device: bool,
}

#[derive(Subcommand, Debug)]
enum RecordingsCmd {
    /// List recordings, optionally of one device.
    List {
        #[arg(long)]
        device: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum BenchCmd {
    /// Offload throughput next to `openssl dgst -sha256` / `-sm3` over the same files.
    Ingest {
        /// Total size of the generated recordings, in GiB.
        #[arg(long, default_value_t = 2.0)]
        size_gib: f64,
        /// Where to generate files and the benchmark vault (removed afterwards).
        #[arg(long, default_value = "./zhilu-bench")]
        work_dir: PathBuf,
        /// A memory-backed folder for a second run with the vault off the disk (skipped if absent).
        #[arg(long, default_value = "/dev/shm")]
        memory_dir: PathBuf,
    },
    /// A large agency's year in SQLite: full and incremental `check` next to a bare table scan.
    Check {
        #[arg(long, default_value_t = 200_000)]
        activities: u64,
        #[arg(long, default_value = "./zhilu-bench")]
        work_dir: PathBuf,
        /// Keep the generated catalog (for profiling) instead of removing it.
        #[arg(long)]
        keep: bool,
    },
    /// Durable ledger appends per second and inclusion-proof time in a large log.
    Ledger {
        #[arg(long, default_value_t = 1_000_000)]
        entries: u64,
        #[arg(long, default_value = "./zhilu-bench")]
        work_dir: PathBuf,
    },
}

struct Bar(Option<ProgressBar>);

impl IngestObserver for Bar {
    fn planned(&self, files: u64, bytes: u64) {
        if let Some(b) = &self.0 {
            b.set_length(bytes);
            b.set_message(format!("共 {files} 个文件"));
        }
    }
    fn file_started(&self, name: &str, _size: u64) {
        if let Some(b) = &self.0 {
            b.set_message(name.escape_debug().to_string());
        }
    }
    fn bytes(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
            eprintln!("错误：无法启动运行时：{e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(1)
        }
    }
}

/// Opens the data directory (`write` takes the write lock, `read` does not), runs `$body` with the
/// app, and closes the catalog cleanly whatever the outcome.
macro_rules! with_app {
    (write, $dir:expr, $clock:expr, $db:expr, |$app:ident| $body:expr) => {{
        let opened = App::open($dir, $clock, $db).await?;
        let $app = &opened;
        let r = $body;
        opened.close().await;
        r
    }};
    (read, $dir:expr, $clock:expr, $db:expr, |$app:ident| $body:expr) => {{
        let opened = App::open_read_only($dir, $clock, $db).await?;
        let $app = &opened;
        let r = $body;
        opened.close().await;
        r
    }};
}

/// Runs the command; `Ok(false)` means it ran but found something wrong.
async fn run(cli: Cli) -> Result<bool> {
    let clock: Arc<dyn Clock> = match &cli.now {
        Some(t) => Arc::new(FixedClock(zhilu_app::parse_instant("--now", t)?)),
        None => Arc::new(SystemClock),
    };
    let dir = DataDir::new(&cli.data_dir);
    let db = cli.database_url.clone();
    let json = cli.json;
    match cli.command {
        Command::Init {
            vault_roots,
            ledger_hash,
            signature,
            profile,
        } => {
            let app = App::init(
                dir,
                InitOptions {
                    vault_roots,
                    database_url: db,
                    ledger_hash,
                    signature,
                },
                clock,
            )
            .await?;
            if let Some(p) = profile {
                let src = match zhilu_app::preset_text(&p) {
                    Ok(s) => s.to_string(),
                    Err(e) if std::path::Path::new(&p).is_file() => {
                        let _ = e;
                        std::fs::read_to_string(&p)?
                    }
                    Err(e) => return Err(e.into()),
                };
                match app.profile_opt()? {
                    Some(cur) if cur.id() != zhilu_app::validate_profile_text(&p, &src)?.id() => {
                        anyhow::bail!(
                            "数据目录已启用配置 {}；更换配置请运行 `zhilu profile apply {p}`",
                            cur.id()
                        )
                    }
                    Some(_) => {}
                    None => {
                        app.apply_profile(&src, &cli.actor).await?;
                    }
                }
            }
            print::init(&app, json).await?;
            app.close().await;
            Ok(true)
        }
        Command::Device(cmd) => {
            let app = App::open(dir, clock, db).await?;
            match cmd {
                DeviceCmd::Register {
                    serial,
                    kind,
                    model,
                    unit,
                    keeper,
                    asset_no,
                } => {
                    let d = app
                        .register_device(
                            &cli.actor,
                            &RegisterDevice {
                                serial,
                                kind,
                                model,
                                unit,
                                keeper,
                                asset_no,
                            },
                        )
                        .await?;
                    print::device_registered(&d, json)?;
                }
                DeviceCmd::Event {
                    serial,
                    event,
                    detail,
                    unit,
                    keeper,
                } => {
                    let d = app
                        .device_event(
                            &cli.actor,
                            &serial,
                            &event,
                            &detail,
                            unit.as_deref(),
                            keeper.as_deref(),
                        )
                        .await?;
                    print::device_registered(&d, json)?;
                }
                DeviceCmd::List => print::devices(&app.catalog().devices().await?, json)?,
                DeviceCmd::Checkout {
                    device,
                    officer,
                    battery,
                    free_gb,
                    clock_ok,
                } => {
                    let c = zhilu_app::NewCheckout {
                        device,
                        officer,
                        battery_pct: battery,
                        free_gb,
                        clock_ok,
                    };
                    checkout(&app, c, json).await?;
                }
                DeviceCmd::Return { device } => {
                    device_return(&app, &device, json).await?;
                }
            }
            app.close().await;
            Ok(true)
        }
        Command::Ingest(a) => {
            let app = App::open(dir, clock, db).await?;
            let device_clock = a
                .device_clock
                .as_deref()
                .map(|t| zhilu_app::parse_instant("--device-clock", t))
                .transpose()?;
            let bar = if !json && std::io::stderr().is_terminal() {
                let b = ProgressBar::new(0);
                b.set_style(
                    ProgressStyle::with_template(
                        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} 剩余 {eta} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                Some(b)
            } else {
                None
            };
            let bar = Bar(bar);
            let opts = IngestOptions {
                source: a.dir,
                device: a.device,
                officer: a.officer,
                station: a.station,
                device_clock,
                clear_device: a.clear_device,
            };
            let result = app.ingest(&opts, &bar).await;
            if let Some(b) = &bar.0 {
                b.finish_and_clear();
            }
            app.close().await;
            print::ingest(&result?, json)?;
            Ok(true)
        }
        Command::Recordings(RecordingsCmd::List { device }) => {
            let app = App::open_read_only(dir, clock, db).await?;
            print::recordings(&app.catalog().recordings(device.as_deref()).await?, json)?;
            app.close().await;
            Ok(true)
        }
        Command::Fixity { repair } => {
            let app = if repair {
                App::open(dir, clock, db).await?
            } else {
                App::open_read_only(dir, clock, db).await?
            };
            let report = app.fixity(repair).await?;
            app.close().await;
            print::fixity(&report, json)?;
            Ok(report.unrepaired() == 0)
        }
        Command::Verify => {
            let app = App::open_read_only(dir, clock, db).await?;
            let report = app.verify().await?;
            app.close().await;
            print::verify(&report, json)?;
            Ok(report.problems.is_empty())
        }
        Command::Bench(BenchCmd::Ingest {
            size_gib,
            work_dir,
            memory_dir,
        }) => {
            let memory_dir = Some(memory_dir).filter(|m| m.is_dir());
            let opts = BenchIngestOptions {
                size_gib,
                work_dir,
                memory_dir,
            };
            let report = zhilu_app::bench_ingest(&opts, clock).await?;
            print::bench(&report, json)?;
            Ok(true)
        }
        Command::Bench(BenchCmd::Check {
            activities,
            work_dir,
            keep,
        }) => {
            let report = zhilu_app::bench_check(activities, &work_dir, keep).await?;
            print::bench(&report, json)?;
            Ok(true)
        }
        Command::Bench(BenchCmd::Ledger { entries, work_dir }) => {
            let report = zhilu_app::bench_ledger(entries, &work_dir, clock).await?;
            print::bench(&report, json)?;
            Ok(true)
        }
        Command::Profile(cmd) => {
            let needs_dir = matches!(cmd, ProfileCmd::Show | ProfileCmd::Apply { .. });
            if !needs_dir {
                return profile(None, cmd, json, &cli.actor).await;
            }
            let app = if matches!(cmd, ProfileCmd::Show) {
                App::open_read_only(dir, clock, db).await?
            } else {
                App::open(dir, clock, db).await?
            };
            let r = profile(Some(&app), cmd, json, &cli.actor).await;
            app.close().await;
            r
        }
        Command::Check {
            from,
            to,
            unit,
            officer,
        } => {
            let scope = zhilu_app::CheckScope {
                from: from
                    .as_deref()
                    .map(|t| zhilu_app::parse_instant("--from", t))
                    .transpose()?,
                to: to
                    .as_deref()
                    .map(|t| zhilu_app::parse_instant("--to", t))
                    .transpose()?,
                unit,
                officer,
            };
            with_app!(read, dir, clock, db, |app| check(app, scope, json).await)
        }
        Command::Retention(RetentionCmd::List) => {
            with_app!(read, dir, clock, db, |app| retention(app, json).await)
        }
        Command::Subject(cmd) => {
            with_app!(read, dir, clock, db, |app| subject(app, cmd, json).await)
        }
        Command::Calendar(cmd) => {
            with_app!(write, dir, clock, db, |app| calendar(
                app, cmd, json, &cli.actor
            )
            .await)
        }
        Command::Officer(cmd) => {
            with_app!(write, dir, clock, db, |app| officer(app, cmd, json).await)
        }
        Command::Activity(cmd) => {
            with_app!(write, dir, clock, db, |app| activity(app, cmd, json).await)
        }
        Command::Link {
            recording,
            activity,
        } => {
            with_app!(write, dir, clock, db, |app| link(
                app, &recording, &activity, json, &cli.actor
            )
            .await)
        }
        Command::Norecord(cmd) => {
            with_app!(write, dir, clock, db, |app| norecord(
                app, cmd, json, &cli.actor
            )
            .await)
        }
        Command::Interruption(cmd) => {
            with_app!(write, dir, clock, db, |app| interruption(
                app, cmd, json, &cli.actor
            )
            .await)
        }
        Command::Extension(cmd) => {
            with_app!(write, dir, clock, db, |app| extension(
                app, cmd, json, &cli.actor
            )
            .await)
        }
        Command::Approve { id, by } => {
            with_app!(write, dir, clock, db, |app| approve(app, &id, &by, json)
                .await)
        }
        Command::Access(cmd) => {
            with_app!(write, dir, clock, db, |app| access(app, cmd, json).await)
        }
        Command::Hold(cmd) => {
            with_app!(write, dir, clock, db, |app| hold(
                app, cmd, json, &cli.actor
            )
            .await)
        }
        Command::Demo { profile } => {
            let report = zhilu_app::run_demo(dir, &profile, clock).await?;
            print::demo(&report, json)?;
            Ok(report.verify.problems.is_empty() && report.fixity.unrepaired() == 0)
        }
    }
}
