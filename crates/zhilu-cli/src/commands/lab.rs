//! `bench`, `demo` (feature `lab`: developer tooling, not in a production build).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use zhilu_lab::bench_ingest::BenchIngestOptions;
use zhilu_lab::demo::run_demo;

use crate::Ctx;
use crate::commands::compliance::findings_text;
use crate::commands::integrity::{fixity_text, verify_text};
use crate::commands::offload::{ingest_text, recordings_text};
use crate::output::pad;

#[derive(Subcommand, Debug)]
pub enum BenchCmd {
    /// 导入吞吐量，与同次运行的 openssl dgst -sha256 / -sm3 和直接写盘对比。
    Ingest {
        /// 生成的录像总量，GiB。
        #[arg(long, default_value_t = 2.0, value_name = "大小")]
        size_gib: f64,
        /// 生成文件和测试证据库的目录（测完删除）。
        #[arg(long, default_value = "./zhilu-bench", value_name = "目录")]
        work_dir: PathBuf,
        /// 内存盘目录，用于第二次不受磁盘限制的测试（不存在则跳过）。
        #[arg(long, default_value = "/dev/shm", value_name = "目录")]
        memory_dir: PathBuf,
    },
    /// 证据导出吞吐量（证据包；证据包加光盘映像；仅光盘映像），与同次运行的 cp + openssl dgst -sm3/-sha256 和 xorriso -as mkisofs 交替对比。
    Export {
        /// 生成的录像总量，GiB。
        #[arg(long, default_value_t = 2.0, value_name = "大小")]
        size_gib: f64,
        /// 每项交替运行的轮数（至少 3）。
        #[arg(long, default_value_t = 3, value_name = "轮数")]
        runs: usize,
        /// 生成文件、证据包、复制件和光盘映像的目录（测完删除）。
        #[arg(long = "dir", default_value = "./zhilu-bench", value_name = "目录")]
        work_dir: PathBuf,
        /// 测试用数据目录（编目库和证据库）所在的目录，默认用内存盘（不存在则放在 --dir 中）。
        #[arg(long, default_value = "/dev/shm", value_name = "目录")]
        vault_dir: PathBuf,
    },
    /// 一个大机关一年的数据：完整检查与增量检查，与同一编目库上 sqlite3 全表读取对比。
    Check {
        /// 执法活动数（每项 10 个音像记录）。
        #[arg(long, default_value_t = 200_000, value_name = "数量")]
        activities: u64,
        #[arg(long, default_value = "./zhilu-bench", value_name = "目录")]
        work_dir: PathBuf,
        /// 测完保留生成的编目库（用于分析）。
        #[arg(long)]
        keep: bool,
        /// 子进程（完整检查、recordings list --json、sqlite3）交替运行的轮数，0 为不运行。
        #[arg(long, default_value_t = 3, value_name = "轮数")]
        runs: usize,
    },
    /// 小文件导入：与同次运行的 Python 基线（读一次、写两份、每个文件及其目录 fsync、计算 SHA-256 和 SM3，同一磁盘）交替对比。
    Offload {
        /// 文件数。
        #[arg(long, default_value_t = 2000, value_name = "数量")]
        files: u64,
        /// 每个文件的大小，KB。
        #[arg(long, default_value_t = 200, value_name = "大小")]
        file_kb: u64,
        /// 交替运行的轮数。
        #[arg(long, default_value_t = 3, value_name = "轮数")]
        runs: usize,
        #[arg(long, default_value = "./zhilu-bench", value_name = "目录")]
        work_dir: PathBuf,
    },
    /// 采集站经本机回环上传（同一进程内启动的 zhilu serve，采集站凭据）与本地导入同一设备目录，交替对比吞吐量。
    Station {
        /// 文件数。
        #[arg(long, default_value_t = 2000, value_name = "数量")]
        files: u64,
        /// 每个文件的大小，KB。
        #[arg(long, default_value_t = 200, value_name = "大小")]
        file_kb: u64,
        /// 交替运行的轮数。
        #[arg(long, default_value_t = 3, value_name = "轮数")]
        runs: usize,
        #[arg(long, default_value = "./zhilu-bench", value_name = "目录")]
        work_dir: PathBuf,
    },
    /// PostgreSQL 编目库中一个大机关一年的数据：完整检查（子进程，含内存峰值）与 psql 读取同一张音像记录表交替对比。数据库服务器地址取 --database-url，否则取 ZHILU_TEST_POSTGRES_URL；测试时新建一个数据库，测完删除。
    CheckPg {
        /// 执法活动数（每项 10 个音像记录）；默认 20000 项即 200000 个音像记录，一千万个音像记录为 1000000。
        #[arg(long, default_value_t = 20_000, value_name = "数量")]
        activities: u64,
        /// 交替运行的轮数。
        #[arg(long, default_value_t = 3, value_name = "轮数")]
        runs: usize,
        #[arg(long, default_value = "./zhilu-bench", value_name = "目录")]
        work_dir: PathBuf,
    },
    /// （供 bench check 调用）对 --data-dir 做一次完整检查，只输出问题数。
    #[command(hide = true)]
    CheckOnce,
    /// 审计日志：每秒持久追加条数（与同次运行的 sqlite3 单行提交对比；等待检查点文件与后台写入对比；配置本机见证时的追加速度与每次见证往返耗时），以及大日志中的包含证明与一致性证明耗时。
    Ledger {
        /// 日志条数。
        #[arg(long, default_value_t = 1_000_000, value_name = "数量")]
        entries: u64,
        /// 每项追加测试的提交次数。
        #[arg(long, default_value_t = 1000, value_name = "次数")]
        appends: u64,
        /// 每项与对照交替运行的轮数。
        #[arg(long, default_value_t = 3, value_name = "轮数")]
        runs: usize,
        #[arg(long, default_value = "./zhilu-bench", value_name = "目录")]
        work_dir: PathBuf,
    },
    /// 经授权的录像内容接口（真实登录、授权检查、查看记录、按字节范围读取）随机读取 64 KiB，与同次运行中 nginx（sendfile off）读取同样大小的文件对比，16 和 64 个连接；另测登录耗时和每次授权检查的耗时。需要 nginx。
    Serve {
        /// 录像大小，MiB。
        #[arg(long, default_value_t = 1024, value_name = "大小")]
        size_mib: u64,
        /// 每组测量的秒数（另有 1 秒预热）。
        #[arg(long, default_value_t = 5, value_name = "秒")]
        seconds: u64,
        /// 连接数，可重复。
        #[arg(long = "connections", default_values_t = [16, 64], value_name = "数量")]
        connections: Vec<usize>,
        /// 与 nginx 交替运行的轮数（每轮两者先后次序互换）。
        #[arg(long, default_value_t = 3, value_name = "轮数")]
        runs: usize,
        #[arg(long, default_value = "./zhilu-bench", value_name = "目录")]
        work_dir: PathBuf,
        /// 只测按字节范围读取本身（不登录、不检查授权），作为对照。
        #[arg(long)]
        plain: bool,
    },
    /// 核验整个审计日志（zhilu verify --offline 作为子进程）的耗时与内存峰值，与同次运行中 sqlite3 读取全部日志条目对比。
    Verify {
        /// 日志条数。
        #[arg(long, default_value_t = 1_000_000, value_name = "数量")]
        entries: u64,
        /// 每条日志写入一行记录（采集站），核验时逐行与日志对照；默认只写事件。
        #[arg(long)]
        rows: bool,
        /// 与对照交替运行的轮数。
        #[arg(long, default_value_t = 3, value_name = "轮数")]
        runs: usize,
        #[arg(long, default_value = "./zhilu-bench", value_name = "目录")]
        work_dir: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// 演示所用的预置执法规范配置。
    #[arg(long, default_value = "dalian-ftz", value_name = "配置")]
    profile: String,
    /// 演示数据生成后，在演示目录上启动网页服务（同 `zhilu serve`），按 Ctrl-C 停止。
    #[arg(long)]
    serve: bool,
    /// 与 --serve 一起使用：监听地址。
    #[arg(
        long,
        value_name = "地址",
        default_value = "127.0.0.1:8080",
        requires = "serve"
    )]
    bind: std::net::SocketAddr,
}

pub async fn bench(ctx: &Ctx, cmd: BenchCmd) -> anyhow::Result<bool> {
    // Benchmarks always print JSON: the figures are for people and scripts alike.
    let json = match cmd {
        BenchCmd::Ingest {
            size_gib,
            work_dir,
            memory_dir,
        } => {
            let opts = BenchIngestOptions {
                size_gib,
                work_dir,
                memory_dir: Some(memory_dir).filter(|m| m.is_dir()),
            };
            serde_json::to_string_pretty(
                &zhilu_lab::bench_ingest::bench_ingest(&opts, ctx.clock.clone()).await?,
            )?
        }
        BenchCmd::Export {
            size_gib,
            runs,
            work_dir,
            vault_dir,
        } => {
            let opts = zhilu_lab::bench_export::BenchExportOptions {
                size_gib,
                runs,
                work_dir,
                vault_dir: Some(vault_dir).filter(|d| d.is_dir()),
            };
            let r = zhilu_lab::bench_export::bench_export(&opts, ctx.clock.clone()).await?;
            ctx.out.show(&r, || r.table())?;
            return Ok(true);
        }
        BenchCmd::Check {
            activities,
            work_dir,
            keep,
            runs,
        } => serde_json::to_string_pretty(
            &zhilu_lab::bench_check::bench_check(activities, &work_dir, keep, runs).await?,
        )?,
        BenchCmd::Offload {
            files,
            file_kb,
            runs,
            work_dir,
        } => serde_json::to_string_pretty(
            &zhilu_lab::bench_ingest::bench_offload(
                files,
                file_kb,
                runs,
                &work_dir,
                ctx.clock.clone(),
            )
            .await?,
        )?,
        BenchCmd::Station {
            files,
            file_kb,
            runs,
            work_dir,
        } => {
            let r = zhilu_lab::bench_station::bench_station(
                files,
                file_kb,
                runs,
                &work_dir,
                ctx.clock.clone(),
            )
            .await?;
            eprintln!("{}", r.table());
            serde_json::to_string_pretty(&r)?
        }
        BenchCmd::CheckPg {
            activities,
            runs,
            work_dir,
        } => {
            let url = ctx
                .database_url()
                .or_else(|| std::env::var("ZHILU_TEST_POSTGRES_URL").ok())
                .filter(|u| !u.is_empty())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "请用 --database-url 或 ZHILU_TEST_POSTGRES_URL 给出 PostgreSQL 服务器地址"
                    )
                })?;
            let r = zhilu_lab::bench_check_pg::bench_check_pg(activities, &url, &work_dir, runs)
                .await?;
            eprintln!("{}", r.table());
            serde_json::to_string_pretty(&r)?
        }
        BenchCmd::CheckOnce => {
            let actor = zhilu_app::identity::shell_reader("bench");
            let found = super::with_app!(ctx, |app| Ok(zhilu_app::compliance::check(
                app,
                &actor,
                &zhilu_app::compliance::CheckScope::default()
            )
            .await?
            .len()))?;
            serde_json::json!({ "findings": found }).to_string()
        }
        BenchCmd::Ledger {
            entries,
            appends,
            runs,
            work_dir,
        } => {
            let r = zhilu_lab::bench_ledger::bench_ledger(
                entries,
                appends,
                runs,
                &work_dir,
                ctx.clock.clone(),
            )
            .await?;
            eprintln!("{}", r.table());
            serde_json::to_string_pretty(&r)?
        }
        BenchCmd::Serve {
            size_mib,
            seconds,
            connections,
            runs,
            work_dir,
            plain,
        } => {
            let work = work_dir.join(format!("serve-{}", std::process::id()));
            std::fs::create_dir_all(&work)?;
            let opts = zhilu_lab::bench_serve::ServeBenchOptions {
                file_size: size_mib << 20,
                duration: std::time::Duration::from_secs(seconds),
                connections,
                runs,
                work_dir: Some(work.clone()),
                ..Default::default()
            };
            if plain {
                let r = zhilu_lab::bench_serve::bench_serve(opts).await;
                let _ = std::fs::remove_dir_all(&work);
                let r = r?;
                eprintln!("{}", r.table());
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(true);
            }
            let r = zhilu_lab::bench_serve_app::bench_serve_authorised(&work, opts).await;
            let _ = std::fs::remove_dir_all(&work);
            let r = r?;
            eprintln!("{}", r.table());
            serde_json::to_string_pretty(&r)?
        }
        BenchCmd::Verify {
            entries,
            rows,
            runs,
            work_dir,
        } => {
            let r = zhilu_lab::bench_verify::bench_verify(
                entries,
                rows,
                runs,
                &work_dir,
                ctx.clock.clone(),
            )
            .await?;
            eprintln!("{}", r.table());
            serde_json::to_string_pretty(&r)?
        }
    };
    println!("{json}");
    Ok(true)
}

pub async fn demo(ctx: &Ctx, a: DemoArgs) -> anyhow::Result<bool> {
    let r = run_demo(
        ctx.dir_or("./zhilu-demo"),
        ctx.database_url(),
        &a.profile,
        &crate::os_user(),
    )
    .await
    .map_err(|e| match e {
        // The use case's own error, so that its code and hint reach the person.
        zhilu_lab::LabError::App(a) => anyhow::Error::from(a),
        e => anyhow::Error::from(e),
    })?;
    let ok = r.verify.problems.is_empty() && r.fixity.unrepaired() == 0;
    ctx.out.show(&r, || {
        let mut s = format!("演示数据目录：{}（重放目录：故事发生在 2026 年 11 月 20–23 日）\n\n", r.data_dir);
        s.push_str(&ingest_text(&r.ingest));
        let _ = writeln!(
            s,
            "\n再次导入同一设备（应全部识别为重复）：新导入 {}，重复 {}\n",
            r.reingest_imported, r.reingest_duplicates
        );
        s.push_str(&recordings_text(&r.recordings));
        s.push('\n');
        s.push_str(&fixity_text(&r.fixity));
        s.push('\n');
        s.push_str(&verify_text(&r.verify));
        let _ = writeln!(s, "\n按执法规范配置 {} 检查（zhilu check）：", r.profile);
        s.push_str(&findings_text(&r.findings));
        if !r.logins.is_empty() {
            s.push_str("\n演示账号（本次生成的密码，只用于演示目录；在网页登录页使用，首次登录须修改密码）：\n");
            for l in &r.logins {
                let _ = writeln!(
                    s,
                    "  {} {} {} 密码 {}",
                    pad(&l.id, 10),
                    pad(&l.name, 14),
                    pad(&l.roles.join("、"), 12),
                    l.password
                );
            }
        }
        let _ = writeln!(
            s,
            "\n下一步：zhilu --data-dir {} check（或 recordings list、profile show；加 --json 得到机器可读结果）",
            r.data_dir
        );
        s
    })?;
    if !a.serve {
        return Ok(ok);
    }
    let app = std::sync::Arc::new(
        zhilu_app::App::open(
            ctx.dir_or("./zhilu-demo"),
            ctx.clock.clone(),
            ctx.database_url(),
        )
        .await?,
    );
    let served = super::serve::run(
        ctx,
        app,
        super::serve::ServeArgs {
            bind: a.bind,
            tls_cert: None,
            tls_key: None,
        },
    )
    .await?;
    Ok(ok && served)
}
