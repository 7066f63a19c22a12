//! What the heavy-path benchmarks share: a command run as a child process under `/usr/bin/time`
//! (wall time and its exact peak resident memory, as the kernel counted it), min/median/max over
//! interleaved runs, and the rows of `bench check` that run `zhilu` itself as a child: the full
//! check (`zhilu bench check-once`) and `recordings list --json`, each next to the `sqlite3`
//! shell reading the same recordings table in the same run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::Serialize;

use crate::LabError;
pub use crate::Spread;

/// One child run: wall seconds and peak resident memory (MiB).
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub seconds: f64,
    pub peak_rss_mib: f64,
}

/// Runs `program args…` under `/usr/bin/time -f %M` with stdout to `/dev/null`: its wall time
/// (spawn to exit) and its peak RSS. A failing child is an error: a figure of a failed run would
/// be no figure.
pub fn measure(
    program: &Path,
    args: &[&std::ffi::OsStr],
    scratch: &Path,
) -> Result<Measured, LabError> {
    let rss_file = scratch.join(format!("rss-{}", std::process::id()));
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_file)
        .arg(program)
        .args(args)
        .env_remove("ZHILU_DATABASE_URL")
        .env_remove("ZHILU_DATABASE_URL_FILE")
        .env_remove("ZHILU_NOW")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| LabError::io("/usr/bin/time", e))?;
    let seconds = t.elapsed().as_secs_f64();
    let text = fs::read_to_string(&rss_file).map_err(|e| LabError::io(&rss_file, e))?;
    let _ = fs::remove_file(&rss_file);
    if !out.status.success() {
        return Err(LabError::Invalid(format!(
            "基准测试子进程 {} 失败：{}",
            program.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let kib: f64 = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| LabError::Invalid(format!("无法读取 /usr/bin/time 的输出：{text}")))?;
    Ok(Measured {
        seconds,
        peak_rss_mib: kib / 1024.0,
    })
}

/// This program (`zhilu`, with the lab feature), to run its commands as children.
pub fn zhilu_exe() -> Result<PathBuf, LabError> {
    std::env::current_exe().map_err(|e| LabError::io("zhilu", e))
}

/// The interleaved child runs over one catalog (SQLite): per run, the `sqlite3` shell reading
/// every recording, the full check, and `recordings list --json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChildRuns {
    pub runs: usize,
    /// `sqlite3 catalog.db "select * from recordings" > /dev/null`, seconds.
    pub sqlite3_shell_s: Spread,
    /// `zhilu bench check-once`: open the catalog, read the facts, run every rule (seconds).
    pub check_s: Spread,
    pub check_peak_rss_mib: Spread,
    /// Per run, `check_s / sqlite3_shell_s` of the same run (target ≤ 3).
    pub check_ratio_to_sqlite3: Spread,
    /// `zhilu recordings list --json > /dev/null`, seconds.
    pub list_json_s: Spread,
    /// Peak RSS of that list (target ≤ 100 MiB at 2,000,000 rows: it streams).
    pub list_peak_rss_mib: Spread,
    pub list_ratio_to_sqlite3: Spread,
}

/// Runs the three children `runs` times, interleaved (A B C A B C …) so that a change in the
/// machine's load reaches all of them alike.
pub fn child_runs(data_dir: &Path, db: &Path, runs: usize) -> Result<ChildRuns, LabError> {
    let exe = zhilu_exe()?;
    let sqlite3 = PathBuf::from("sqlite3");
    let scratch = data_dir.parent().unwrap_or(data_dir);
    let dd = data_dir.as_os_str();
    let (mut shell, mut check, mut check_rss, mut list, mut list_rss) =
        (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..runs.max(1) {
        let s = measure(
            &sqlite3,
            &[db.as_os_str(), "select * from recordings".as_ref()],
            scratch,
        )?;
        shell.push(s.seconds);
        let c = measure(
            &exe,
            &[
                "--data-dir".as_ref(),
                dd,
                "bench".as_ref(),
                "check-once".as_ref(),
            ],
            scratch,
        )?;
        check.push(c.seconds);
        check_rss.push(c.peak_rss_mib);
        let l = measure(
            &exe,
            &[
                "--data-dir".as_ref(),
                dd,
                "--json".as_ref(),
                "recordings".as_ref(),
                "list".as_ref(),
            ],
            scratch,
        )?;
        list.push(l.seconds);
        list_rss.push(l.peak_rss_mib);
    }
    let ratio =
        |a: &[f64]| -> Vec<f64> { a.iter().zip(&shell).map(|(x, s)| x / s.max(1e-9)).collect() };
    Ok(ChildRuns {
        runs: shell.len(),
        sqlite3_shell_s: Spread::of(&shell),
        check_s: Spread::of(&check),
        check_peak_rss_mib: Spread::of(&check_rss),
        check_ratio_to_sqlite3: Spread::of(ratio(&check)),
        list_json_s: Spread::of(&list),
        list_peak_rss_mib: Spread::of(&list_rss),
        list_ratio_to_sqlite3: Spread::of(ratio(&list)),
    })
}
