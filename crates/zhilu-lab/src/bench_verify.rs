//! `bench verify`: a data directory whose ledger holds N entries (filled as fast as the catalog
//! takes them: 20,000 events per commit, each commit signed with the directory's own key, so the
//! ledger verifies), then `zhilu --data-dir D verify --offline --json` run as a child process of
//! this same binary — its wall time and its peak resident memory — next to a baseline measured in
//! the same run on the same catalog: the `sqlite3` shell reading every entry's body
//! (`sqlite3 catalog.db "select body from ledger_entries" > /dev/null`); and the catalog's size.

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
use crate::bench_ledger::{BenchSigner, event};

#[derive(Debug, Clone, Serialize)]
pub struct BenchVerifyReport {
    pub entries: u64,
    /// Filling the ledger (20,000 entries per commit).
    pub fill_s: f64,
    /// `catalog.db` with its write-ahead log, after the filling app closed.
    pub catalog_bytes: u64,
    pub catalog_bytes_per_entry: f64,
    /// `zhilu --data-dir D verify --offline --json`, a child process: wall time from spawn to exit.
    pub verify_s: f64,
    pub verify_entries_per_s: f64,
    /// Its peak resident memory (`VmHWM` of `/proc/<pid>/status`, sampled every 5 ms).
    pub verify_peak_rss_mib: f64,
    /// `verify` exited 0 with no problem, over all N entries.
    pub verify_ok: bool,
    /// Baseline: `sqlite3 catalog.db "select body from ledger_entries" > /dev/null` (`None` without
    /// the `sqlite3` shell).
    pub sqlite3_read_s: Option<f64>,
    pub verify_vs_sqlite3: Option<f64>,
}

/// Runs the verify benchmark in a fresh data directory under `work_dir` (removed after).
pub async fn bench_verify(
    entries: u64,
    work_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchVerifyReport, AppError> {
    if !(2..=100_000_000).contains(&entries) {
        return Err(AppError::Invalid("日志条数须在 2 到 100000000 之间".into()));
    }
    let work = work_dir.join(format!("bench-verify-{}", std::process::id()));
    let result = run_verify_bench(entries, &work, clock).await;
    let _ = fs::remove_dir_all(&work);
    result
}

async fn run_verify_bench(
    entries: u64,
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
    let mut next = catalog.ledger_head().await?.0;
    while next + 1 < entries {
        let batch: Vec<Change> = (next..(next + 20_000).min(entries - 1))
            .map(event)
            .collect();
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

    let (verify_s, peak_kib, ok, verified) = {
        let (root, out) = (dir.root.clone(), work.join("verify.json"));
        tokio::task::spawn_blocking(move || run_verify(&root, &out))
            .await
            .map_err(|e| AppError::Invalid(format!("基准任务失败：{e}")))??
    };
    let sqlite3_read_s = sqlite3_read(&db);

    Ok(BenchVerifyReport {
        entries,
        fill_s,
        catalog_bytes,
        catalog_bytes_per_entry: catalog_bytes as f64 / entries as f64,
        verify_s,
        verify_entries_per_s: entries as f64 / verify_s,
        verify_peak_rss_mib: peak_kib as f64 / 1024.0,
        verify_ok: ok && verified == Some(entries),
        sqlite3_read_s,
        verify_vs_sqlite3: sqlite3_read_s.map(|s| verify_s / s),
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
