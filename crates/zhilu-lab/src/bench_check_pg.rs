//! `bench check-pg` (issue 15): the synthetic year of `bench check` loaded into a PostgreSQL
//! catalog — a fresh database created for the run and dropped after — then, interleaved over
//! `runs` runs, the full check as a child process (`zhilu bench check-once`, wall time and peak
//! memory) next to `psql -X -q -A -t -c "select * from recordings" > /dev/null` over the same
//! table (unaligned, tuples only: psql's fastest output).
//!
//! The rows are loaded without ledger entries (`zhilu_store::testing`, which on PostgreSQL
//! writes them by `COPY … FROM STDIN`), as in `bench check`; `verify` would report every one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use serde::Serialize;
use zhilu_app::setup::ProfileSource;
use zhilu_app::{App, Clock, DataDir, FixedClock, InitOptions};

use crate::bench_list::{measure, zhilu_exe};
use crate::{LabError, Spread};

/// What `zhilu bench check-pg` reports.
#[derive(Debug, Clone, Serialize)]
pub struct BenchCheckPgReport {
    pub activities: u64,
    pub recordings: u64,
    /// The fresh database the run used (dropped after).
    pub database: String,
    /// Generating and `COPY`ing the year's rows.
    pub load_seconds: f64,
    /// The `vacuum analyze` after the load (fresh planner statistics).
    pub vacuum_analyze_seconds: f64,
    pub runs: usize,
    /// `psql -X -q -A -t -c "select * from recordings" > /dev/null`, seconds (and its peak
    /// memory: psql holds the whole result before printing it).
    pub psql_s: Spread,
    pub psql_peak_rss_mib: Spread,
    /// `zhilu bench check-once`: open the catalog, read the facts, run every rule; seconds.
    pub check_s: Spread,
    pub check_peak_rss_mib: Spread,
    /// Per run, `check_s / psql_s` of the same run.
    pub check_ratio_to_psql: Spread,
}

impl BenchCheckPgReport {
    /// A Chinese summary for people (the JSON is printed as well).
    pub fn table(&self) -> String {
        format!(
            "PostgreSQL 编目库：{} 项执法活动、{} 个音像记录（COPY 载入 {:.1} 秒，vacuum analyze {:.1} 秒），{} 轮交替（最小 / 中位 / 最大）\n对照 psql -A -t 读取全部音像记录：{} 秒，内存峰值 {} MiB\n完整检查（子进程）：{} 秒，内存峰值 {} MiB\n完整检查 / psql：{}\n",
            self.activities,
            self.recordings,
            self.load_seconds,
            self.vacuum_analyze_seconds,
            self.runs,
            self.psql_s.show(2),
            self.psql_peak_rss_mib.show(0),
            self.check_s.show(2),
            self.check_peak_rss_mib.show(0),
            self.check_ratio_to_psql.show(2),
        )
    }
}

/// `url` with its database (the path) replaced by `db`; the query string kept.
pub fn with_database(url: &str, db: &str) -> Result<String, LabError> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base
        .find("://")
        .map(|i| i + 3)
        .filter(|_| base.starts_with("postgres://") || base.starts_with("postgresql://"))
        .ok_or_else(|| LabError::Invalid(format!("数据库地址须以 postgres:// 开头：{url}")))?;
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

/// Runs one statement through `psql` against `url` (the server's own database).
fn psql(url: &str, sql: &str) -> Result<(), LabError> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| LabError::io("psql", e))?;
    if !out.status.success() {
        return Err(LabError::Invalid(format!(
            "psql 执行失败：{}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Runs the benchmark: `server_url` names a PostgreSQL server (any database on it; the run
/// creates its own database beside it and drops it after); the data directory lives under
/// `work_dir` and is removed after.
pub async fn bench_check_pg(
    activities: u64,
    server_url: &str,
    work_dir: &Path,
    runs: usize,
) -> Result<BenchCheckPgReport, LabError> {
    if !(10..=10_000_000).contains(&activities) {
        return Err(LabError::Invalid("活动数须在 10 到 10000000 之间".into()));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let db = format!("zhilu_bench_{}_{nanos}", std::process::id());
    let url = with_database(server_url, &db)?;
    let work = work_dir.join(format!("bench-check-pg-{}", std::process::id()));
    tokio::task::block_in_place(|| psql(server_url, &format!("create database {db}")))?;
    let result = run(activities, &url, &db, &work, runs.max(1)).await;
    let dropped = tokio::task::block_in_place(|| {
        psql(
            server_url,
            &format!("drop database if exists {db} with (force)"),
        )
    });
    let _ = std::fs::remove_dir_all(&work);
    let report = result?;
    dropped?;
    Ok(report)
}

async fn run(
    activities: u64,
    url: &str,
    db: &str,
    work: &Path,
    runs: usize,
) -> Result<BenchCheckPgReport, LabError> {
    let t0 = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let clock: Arc<dyn Clock> = Arc::new(FixedClock(t0 + Duration::days(366)));
    let dir = DataDir::new(work.join("data"));
    let app = App::init(
        dir.clone(),
        InitOptions {
            database_url: Some(url.to_string()),
            profile: Some(ProfileSource::Preset("dalian-ftz".into())),
            ..InitOptions::default()
        },
        clock,
    )
    .await?;
    let started = Instant::now();
    let loaded = crate::bench_check::load_year(&app, activities, t0).await;
    app.close().await;
    loaded?;
    let load_seconds = started.elapsed().as_secs_f64();
    // Fresh statistics for the planner, as a database that has lived a year would have.
    let started = Instant::now();
    tokio::task::block_in_place(|| psql(url, "vacuum analyze"))?;
    let vacuum_analyze_seconds = started.elapsed().as_secs_f64();

    let root: PathBuf = dir.root.clone();
    let (psql_s, psql_rss, check_s, check_rss) = tokio::task::block_in_place(|| {
        let exe = zhilu_exe()?;
        let scratch = root.parent().unwrap_or(&root).to_path_buf();
        let (mut ps, mut pr, mut cs, mut cr) = (vec![], vec![], vec![], vec![]);
        for _ in 0..runs {
            let p = measure(
                Path::new("psql"),
                &[
                    // Unaligned, tuples only: psql streams rows as they come instead of
                    // padding columns, the strictest baseline psql offers.
                    "-X".as_ref(),
                    "-q".as_ref(),
                    "-A".as_ref(),
                    "-t".as_ref(),
                    "-d".as_ref(),
                    url.as_ref(),
                    "-c".as_ref(),
                    "select * from recordings".as_ref(),
                ],
                &scratch,
            )?;
            ps.push(p.seconds);
            pr.push(p.peak_rss_mib);
            let c = measure(
                &exe,
                &[
                    "--data-dir".as_ref(),
                    root.as_os_str(),
                    "--database-url".as_ref(),
                    url.as_ref(),
                    "bench".as_ref(),
                    "check-once".as_ref(),
                ],
                &scratch,
            )?;
            cs.push(c.seconds);
            cr.push(c.peak_rss_mib);
        }
        Ok::<_, LabError>((ps, pr, cs, cr))
    })?;
    let ratio: Vec<f64> = check_s
        .iter()
        .zip(&psql_s)
        .map(|(c, p)| c / p.max(1e-9))
        .collect();
    Ok(BenchCheckPgReport {
        activities,
        recordings: activities * 10,
        database: db.to_string(),
        load_seconds,
        vacuum_analyze_seconds,
        runs,
        psql_s: Spread::of(&psql_s),
        psql_peak_rss_mib: Spread::of(&psql_rss),
        check_s: Spread::of(&check_s),
        check_peak_rss_mib: Spread::of(&check_rss),
        check_ratio_to_psql: Spread::of(&ratio),
    })
}

#[cfg(test)]
mod tests {
    use super::with_database;

    /// Issue 15 (PostgreSQL check row): the fresh database replaces only the URL's path.
    #[test]
    fn x4_check_pg_url_names_the_fresh_database() {
        let u = |s: &str| with_database(s, "zb").expect("url");
        assert_eq!(
            u("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/zb"
        );
        assert_eq!(u("postgres://h:1"), "postgres://h:1/zb");
        assert_eq!(
            u("postgresql://u:p@h/db?sslmode=disable"),
            "postgresql://u:p@h/zb?sslmode=disable"
        );
        assert!(with_database("mysql://h/db", "zb").is_err());
    }
}
