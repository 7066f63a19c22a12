//! `bench verify`: a data directory whose ledger holds N entries (filled as fast as the catalog
//! takes them: 20,000 per commit, each commit signed with the directory's own key, so the ledger
//! verifies; events, or with `--rows` one new catalog row each), then `zhilu --data-dir D verify
//! --offline --json` run as a child process of this same binary — its wall time and its peak
//! resident memory — interleaved over `runs` rounds with a baseline on the same catalog: the
//! `sqlite3` shell reading every entry's body (`sqlite3 catalog.db "select body from
//! ledger_entries" > /dev/null`); and the catalog's size.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use zhilu_app::setup::load_calendar;
use zhilu_app::{Actor, App, Clock, DataDir, InitOptions};
use zhilu_store::Change;

use crate::LabError as AppError;
use crate::bench_ledger::{BenchSigner, Spread, event};

#[derive(Debug, Clone, Serialize)]
pub struct BenchVerifyReport {
    pub entries: u64,
    /// What each entry writes: `"events"` (no catalog row) or `"rows"` (each entry inserts a
    /// `stations` row, so that verify holds every row against its entry, as in a catalog of
    /// recordings).
    pub fill: &'static str,
    /// Filling the ledger (20,000 entries per commit).
    pub fill_s: f64,
    /// `catalog.db` with its write-ahead log, after the filling app closed.
    pub catalog_bytes: u64,
    pub catalog_bytes_per_entry: f64,
    /// Rounds: verify and the baseline interleaved.
    pub runs: usize,
    /// `zhilu --data-dir D verify --offline --json`, a child process: wall time from spawn to exit.
    pub verify_s: Spread,
    /// Its peak resident memory, MiB (`VmHWM` of `/proc/<pid>/status`, sampled every 5 ms; the
    /// high-water mark only rises, and verify holds its largest structures until it returns).
    /// Target ≤ 300 MiB for 1,000,000 entries.
    pub verify_peak_rss_mib: Spread,
    /// Peak memory per entry, bytes (median).
    pub verify_peak_rss_bytes_per_entry: f64,
    /// `verify` exited 0 with no problem, over all N entries, in every round.
    pub verify_ok: bool,
    /// Baseline: `sqlite3 catalog.db "select body from ledger_entries" > /dev/null` (`None` without
    /// the `sqlite3` shell).
    pub sqlite3_read_s: Option<Spread>,
    /// Median over median.
    pub verify_vs_sqlite3: Option<f64>,
}

impl BenchVerifyReport {
    /// The figures as a Chinese table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "核验基准：{} 条日志（{}），每项 {} 轮交替运行（最小 / 中位 / 最大）；编目库 {:.1} MB\n",
            self.entries,
            if self.fill == "rows" {
                "每条写入一行记录"
            } else {
                "事件，不写记录"
            },
            self.runs,
            self.catalog_bytes as f64 / 1e6
        );
        s.push_str(&format!(
            "  verify 内存峰值 {} MiB（每条 {:.0} 字节；目标：100 万条 ≤ 300 MB）\n  verify 耗时 {} 秒{}\n",
            self.verify_peak_rss_mib.show(1),
            self.verify_peak_rss_bytes_per_entry,
            self.verify_s.show(2),
            if self.verify_ok { "，全部通过" } else { "，未通过！" }
        ));
        match (&self.sqlite3_read_s, self.verify_vs_sqlite3) {
            (Some(b), Some(r)) => s.push_str(&format!(
                "  对照（sqlite3 读取全部日志条目）{} 秒；中位比值 {:.1}\n",
                b.show(2),
                r
            )),
            _ => s.push_str("  对照：未测（没有 sqlite3）\n"),
        }
        s
    }
}

/// The `i`-th entry of the fill: an event, or a new `stations` row.
fn change(i: u64, rows: bool, now: chrono::DateTime<chrono::Utc>) -> Result<Change, AppError> {
    if !rows {
        return Ok(event(i));
    }
    let id = format!("ST-{i}")
        .parse()
        .map_err(|e| AppError::Invalid(format!("基准采集站编号无效：{e}")))?;
    Ok(Change::insert(zhilu_model::Station {
        id,
        first_seen: now,
    }))
}

/// Runs the verify benchmark in a fresh data directory under `work_dir` (removed after).
pub async fn bench_verify(
    entries: u64,
    rows: bool,
    runs: usize,
    work_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchVerifyReport, AppError> {
    if !(2..=100_000_000).contains(&entries) {
        return Err(AppError::Invalid("日志条数须在 2 到 100000000 之间".into()));
    }
    if !(1..=100).contains(&runs) {
        return Err(AppError::Invalid("轮数须在 1 到 100 之间".into()));
    }
    let work = work_dir.join(format!("bench-verify-{}", std::process::id()));
    let result = run_verify_bench(entries, rows, runs, &work, clock).await;
    let _ = fs::remove_dir_all(&work);
    result
}

async fn run_verify_bench(
    entries: u64,
    rows: bool,
    runs: usize,
    work: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchVerifyReport, AppError> {
    let dir = DataDir::new(work.join("data"));
    let app = App::init(dir.clone(), InitOptions::default(), clock).await?;
    let catalog = app.catalog();
    let signer = BenchSigner::of(&app)?;
    let t = Instant::now();
    // All but the last entry straight into the catalog; the last through a use case, which
    // writes the checkpoint file too.
    let mut next = catalog.ledger_size().await?;
    while next + 1 < entries {
        let batch = (next..(next + 20_000).min(entries - 1))
            .map(|i| change(i, rows, app.now()))
            .collect::<Result<Vec<Change>, _>>()?;
        next += batch.len() as u64;
        catalog.commit(app.now(), "bench", &batch, &signer).await?;
    }
    load_calendar(
        &app,
        &Actor::system("bench"),
        "[years.2027]\nsource = \"基准测试\"\nholidays = [\"2027-01-01\"]\nworkdays = []\n",
    )
    .await?;
    app.close().await;
    let fill_s = t.elapsed().as_secs_f64();
    drop(app);

    let db = dir.catalog_db();
    let catalog_bytes: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum();

    let (mut wall, mut peak, mut base, mut all_ok) = (Vec::new(), Vec::new(), Vec::new(), true);
    for _ in 0..runs {
        let (verify_s, peak_kib, ok, verified) = {
            let (root, out) = (dir.root.clone(), work.join("verify.json"));
            tokio::task::spawn_blocking(move || run_verify(&root, &out))
                .await
                .map_err(|e| AppError::Invalid(format!("基准任务失败：{e}")))??
        };
        wall.push(verify_s);
        peak.push(peak_kib as f64 / 1024.0);
        all_ok &= ok && verified == Some(entries);
        if let Some(s) = sqlite3_read(&db) {
            base.push(s);
        }
    }
    let verify_s = Spread::of(wall);
    let verify_peak_rss_mib = Spread::of(peak);
    let sqlite3_read_s = (!base.is_empty()).then(|| Spread::of(base));

    Ok(BenchVerifyReport {
        entries,
        fill: if rows { "rows" } else { "events" },
        fill_s,
        catalog_bytes,
        catalog_bytes_per_entry: catalog_bytes as f64 / entries as f64,
        runs,
        verify_peak_rss_bytes_per_entry: verify_peak_rss_mib.median * 1024.0 * 1024.0
            / entries as f64,
        verify_vs_sqlite3: sqlite3_read_s.as_ref().map(|b| verify_s.median / b.median),
        verify_s,
        verify_peak_rss_mib,
        verify_ok: all_ok,
        sqlite3_read_s,
    })
}

/// Runs `verify` on `root` as a child process of this binary, its JSON to `out`: (wall time,
/// peak RSS in KiB, exit 0 with no problem, entries verified).
fn run_verify(root: &Path, out: &Path) -> Result<(f64, u64, bool, Option<u64>), AppError> {
    let exe = std::env::current_exe().map_err(|e| AppError::io(PathBuf::from("zhilu"), e))?;
    let file = fs::File::create(out).map_err(|e| AppError::io(out, e))?;
    let t = Instant::now();
    let mut child = Command::new(&exe)
        .arg("--data-dir")
        .arg(root)
        .args(["verify", "--offline", "--json"])
        .env_remove("ZHILU_DATABASE_URL")
        .env_remove("ZHILU_DATABASE_URL_FILE")
        .env_remove("ZHILU_NOW")
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| AppError::io(&exe, e))?;
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak_kib = 0u64;
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| AppError::io(&exe, e))? {
            break s;
        }
        if let Some(kib) = fs::read_to_string(&status_file)
            .ok()
            .as_deref()
            .and_then(vm_hwm_kib)
        {
            peak_kib = peak_kib.max(kib);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = t.elapsed().as_secs_f64();
    let report: Option<serde_json::Value> = fs::read_to_string(out)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok());
    let problems_empty = report
        .as_ref()
        .and_then(|r| r["problems"].as_array())
        .is_some_and(|p| p.is_empty());
    let verified = report.as_ref().and_then(|r| r["entries"].as_u64());
    Ok((wall, peak_kib, status.success() && problems_empty, verified))
}

/// `VmHWM` (peak resident set, KiB) from the text of `/proc/<pid>/status`.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The `sqlite3` shell reading every ledger entry's body, output discarded.
fn sqlite3_read(db: &Path) -> Option<f64> {
    let t = Instant::now();
    let status = Command::new("sqlite3")
        .arg(db)
        .arg("select body from ledger_entries")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| t.elapsed().as_secs_f64())
}
