//! `bench check`: one large agency's year — by default 200,000 activities and 2,000,000 recordings
//! in a SQLite catalog — then a full compliance check over the year (read phase and rules timed
//! apart) and an incremental re-check after one more day of offloads, next to two baselines
//! measured in the same run on the same catalog: the `sqlite3` shell reading the whole
//! recordings table (`sqlite3 catalog.db "select * from recordings" > /dev/null`), and the same
//! scan through the catalog with every column decoded into a typed record.
//!
//! The synthetic rows are loaded without ledger entries (`zhilu_store::testing`): the benchmark
//! measures the check, not the ledger, and its data directory is deleted afterwards.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Serialize;
use zhilu_app::compliance::{CheckScope, check, check_timed};
use zhilu_app::setup::ProfileSource;
use zhilu_app::{App, Clock, DataDir, FixedClock, InitOptions};
use zhilu_model::*;
use zhilu_store::Row;
use zhilu_store::testing::{bulk_load_without_ledger, checkpoint_wal, scan_recordings};

use crate::LabError;

#[derive(Debug, Clone, Serialize)]
pub struct BenchCheckReport {
    pub activities: u64,
    pub recordings: u64,
    pub load_seconds: f64,
    /// Baseline: `sqlite3 catalog.db "select * from recordings" > /dev/null` (`None` without the
    /// `sqlite3` shell, or on PostgreSQL).
    pub sqlite3_shell_seconds: Option<f64>,
    /// The same full scan through the catalog's driver, every column decoded into a typed record.
    pub catalog_scan_seconds: f64,
    pub full_check_seconds: f64,
    /// Of which reading the catalog into facts, and running the rules.
    pub full_check_read_seconds: f64,
    pub full_check_engine_seconds: f64,
    pub full_check_findings: usize,
    /// `full_check_seconds / sqlite3_shell_seconds` (before the native drivers: 10.1).
    pub full_check_ratio_to_sqlite3: Option<f64>,
    /// `full_check_read_seconds / sqlite3_shell_seconds` (before: 7.2).
    pub read_ratio_to_sqlite3: Option<f64>,
    /// Re-check of the day just offloaded (`check --from day --to day+1`), target < 1 s.
    pub incremental_check_seconds: f64,
    pub incremental_findings: usize,
    /// The same catalog read by child processes, interleaved over `--runs` runs: the full check
    /// and `recordings list --json`, each with its peak memory, next to the `sqlite3` shell
    /// (SQLite only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<crate::bench_list::ChildRuns>,
}

const PER_ACTIVITY: u64 = 10;

/// A deterministic generator (SplitMix64): the same year every run, no dependency.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn ident<T>(parse: fn(&str) -> Result<T, IdError>, s: &str) -> T {
    // The generator only makes valid identifiers; a failure here is a bug in this file.
    parse(s).unwrap_or_else(|e| panic!("benchmark identifier {s:?}: {e}"))
}

fn hash(i: u64, k: i64, a: u64, b: u64) -> String {
    format!("{i:016x}{k:016x}{a:016x}{b:016x}")
}

/// Rows for activities `from..to`, `per_day` a day from `t0`, ten six-minute segments each, with
/// the written records, approvals, holds and links of a year at realistic rates.
fn day_rows(
    rng: &mut Mix,
    t0: DateTime<Utc>,
    per_day: u64,
    range: std::ops::Range<u64>,
    devices: u64,
    officers: u64,
) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for i in range {
        let day = (i / per_day) as i64;
        let slot = (i % per_day) as i64;
        let start = t0 + Duration::days(day) + Duration::hours(1) + Duration::minutes(slot % 480);
        let seg = 360i64;
        let end = start + Duration::seconds(seg * PER_ACTIVITY as i64);
        let device = ident(DeviceSerial::parse, &format!("D{:04}", i % devices));
        let o1 = ident(OfficerId::parse, &format!("{:06}", (i * 2) % officers));
        let o2 = ident(OfficerId::parse, &format!("{:06}", (i * 2 + 1) % officers));
        let session = ident(SessionId::parse, &format!("S{i:07}"));
        let act = ident(ActivityId::parse, &format!("A{i:07}"));
        let offloaded = end + Duration::hours(2 + rng.below(30) as i64);
        out.push(
            Checkout {
                id: ident(CheckoutId::parse, &format!("CO{i:07}")),
                device: device.clone(),
                officer: o1.clone(),
                out_at: start - Duration::hours(1),
                returned_at: Some(offloaded + Duration::minutes(5)),
                battery_pct: Some(90),
                free_gb: Some(20),
                clock_ok: true,
                recorded_summary: None,
            }
            .into(),
        );
        out.push(
            Activity {
                id: act.clone(),
                kind: "routine_inspection".into(),
                subject_name: format!("市场主体{}", i % 50_000),
                subject_code: None,
                subject_code_kind: None,
                place: "经营场所".into(),
                officers: vec![o1.clone(), o2],
                start,
                end,
                case_no: (rng.below(20) == 0).then(|| format!("案{i}")),
                flags: if rng.below(50) == 0 {
                    vec!["dispute".into()]
                } else {
                    vec![]
                },
                created_at: start,
                created_by: o1.to_string(),
            }
            .into(),
        );
        out.push(
            OffloadSession {
                id: session.clone(),
                device: device.clone(),
                officer: o1.clone(),
                station: ident(StationId::parse, "CJZ-BENCH"),
                source: "/bench".into(),
                started_at: offloaded,
                finished_at: Some(offloaded),
                status: SessionStatus::Finished,
                device_clock_offset_ms: Some(rng.below(120_000) as i64 - 60_000),
                device_cleared: true,
                files_seen: PER_ACTIVITY,
                imported: PER_ACTIVITY,
                duplicates: 0,
                damaged: 0,
                skipped: 0,
                bytes: 0,
            }
            .into(),
        );
        // An occasional gap between segments, so the gap rule has work to do.
        let gap = if rng.below(10) == 0 { 600 } else { 0 };
        // The records that explain activities, each with its approval, at a year's rates: a
        // non-recording record for one activity in 25, an interruption for one in 100, an
        // offload extension for one in 100, a legal hold on one in 1,000.
        let approval = |id: &RecordId, kind: ApprovalKind| -> Row {
            Approval {
                id: id.clone(),
                kind,
                chain: vec!["unit_head".into()],
                steps: vec![],
                status: ApprovalStatus::Approved,
                updated_at: offloaded,
            }
            .into()
        };
        if i % 25 == 7 {
            let id = ident(RecordId::parse, &format!("N{i:07}"));
            out.push(
                NoRecord {
                    id: id.clone(),
                    activity: act.clone(),
                    reason: "objective".into(),
                    basis: "设备临时故障".into(),
                    created_at: end,
                    created_by: o1.to_string(),
                }
                .into(),
            );
            out.push(approval(&id, ApprovalKind::NoRecord));
        }
        if i % 100 == 13 {
            let id = ident(RecordId::parse, &format!("E{i:07}"));
            out.push(
                Extension {
                    id: id.clone(),
                    activity: act.clone(),
                    reason: "外出执法当日无法返回".into(),
                    created_at: end,
                    created_by: o1.to_string(),
                }
                .into(),
            );
            out.push(approval(&id, ApprovalKind::Extension));
        }
        for k in 0..PER_ACTIVITY as i64 {
            let cs = start + Duration::seconds(k * seg + if k >= 5 { gap } else { 0 });
            let sha = ident(Sha256::parse, &hash(i, k, rng.next(), rng.next()));
            let sm3 = ident(
                Sm3::parse,
                &hash(k as u64, i as i64, rng.next(), rng.next()),
            );
            out.push(
                Recording {
                    sha256: sha.clone(),
                    sm3,
                    size: 1 << 20,
                    media_kind: MediaKind::Mp4,
                    capture_start: Some(cs),
                    capture_end: Some(cs + Duration::seconds(seg)),
                    duration_ms: Some(seg as u64 * 1000),
                    time_source: TimeSource::Metadata,
                    device: device.clone(),
                    officer: o1.clone(),
                    name_device_id: Some(device.to_string()),
                    name_officer_id: Some(o1.to_string()),
                    sequence: Some(k as u32 + 1),
                    important: false,
                    original_name: format!("{device}_{o1}_{k:04}.MP4"),
                    original_path: format!("DCIM/{device}_{o1}_{k:04}.MP4"),
                    offloaded_at: offloaded,
                    station: ident(StationId::parse, "CJZ-BENCH"),
                    session: session.clone(),
                    damaged: false,
                    damage_reason: None,
                }
                .into(),
            );
            if gap > 0 && k == 4 && i % 10 == 3 {
                let id = ident(RecordId::parse, &format!("I{i:07}"));
                out.push(
                    Interruption {
                        id: id.clone(),
                        activity: act.clone(),
                        after: sha.clone(),
                        reason: "device_fault".into(),
                        voice_stated: true,
                        detail: "设备重启".into(),
                        created_at: end,
                        created_by: o1.to_string(),
                    }
                    .into(),
                );
                out.push(approval(&id, ApprovalKind::Interruption));
            }
            if k == 0 && i % 1000 == 11 {
                out.push(
                    Hold {
                        id: ident(HoldId::parse, &format!("H{i:07}")),
                        sha256: sha.clone(),
                        reason: "诉讼保全".into(),
                        placed_at: offloaded,
                        placed_by: "archivist".into(),
                        released_at: None,
                    }
                    .into(),
                );
            }
            out.push(
                Link {
                    sha256: sha,
                    activity: act.clone(),
                    method: LinkMethod::Auto,
                    linked_at: offloaded,
                    actor: "system".into(),
                }
                .into(),
            );
        }
    }
    out
}

/// The registry of the synthetic agency: a station, 20 units, 1,000 devices, 2,000 officers.
fn registry_rows(devices: u64, officers: u64, t0: DateTime<Utc>) -> Vec<Row> {
    let mut rows: Vec<Row> = vec![
        Station {
            id: ident(StationId::parse, "CJZ-BENCH"),
            first_seen: t0,
        }
        .into(),
    ];
    for u in 0..20 {
        rows.push(
            Unit {
                id: format!("U{u:02}"),
                name: format!("执法{u}组"),
                created_at: t0,
            }
            .into(),
        );
    }
    for d in 0..devices {
        rows.push(
            Device {
                serial: ident(DeviceSerial::parse, &format!("D{d:04}")),
                kind: DeviceKind::BodyCamera,
                model: "DSJ".into(),
                asset_no: None,
                unit: format!("U{:02}", d % 20),
                keeper: "装备管理员".into(),
                status: DeviceStatus::InService,
                registered_at: t0,
            }
            .into(),
        );
    }
    for o in 0..officers {
        rows.push(
            Officer {
                id: ident(OfficerId::parse, &format!("{o:06}")),
                name: format!("执法员{o}"),
                unit: format!("U{:02}", (o / 2) % 20),
                role: "officer".into(),
                created_at: t0,
            }
            .into(),
        );
    }
    rows
}

/// The `sqlite3` shell reading every row of the recordings table, output discarded.
fn sqlite3_scan(db: &Path) -> Option<f64> {
    let t = Instant::now();
    let status = Command::new("sqlite3")
        .arg(db)
        .arg("select * from recordings")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| t.elapsed().as_secs_f64())
}

/// Runs the benchmark in `work_dir` (removed afterwards unless `keep`, for profiling the catalog).
pub async fn bench_check(
    activities: u64,
    work_dir: &Path,
    keep: bool,
    runs: usize,
) -> Result<BenchCheckReport, LabError> {
    if !(10..=10_000_000).contains(&activities) {
        return Err(LabError::Invalid("活动数须在 10 到 10000000 之间".into()));
    }
    let work = work_dir.join(format!("bench-check-{}", std::process::id()));
    let result = run(activities, &work, runs).await;
    if keep {
        tracing::info!(dir = %work.display(), "bench catalog kept");
    } else {
        let _ = fs::remove_dir_all(&work);
    }
    result
}

async fn run(activities: u64, work: &Path, runs: usize) -> Result<BenchCheckReport, LabError> {
    let t0 = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let days = 365u64;
    let clock: Arc<dyn Clock> = Arc::new(FixedClock(t0 + Duration::days(days as i64 + 1)));
    let dir = DataDir::new(work.join("data"));
    let app = App::init(
        dir.clone(),
        InitOptions {
            profile: Some(ProfileSource::Preset("dalian-ftz".into())),
            ..InitOptions::default()
        },
        clock,
    )
    .await?;
    let (devices, officers) = (1_000u64, 2_000u64);
    let started = Instant::now();
    bulk_load_without_ledger(app.catalog(), registry_rows(devices, officers, t0)).await?;
    let per_day = activities.div_ceil(days);
    let mut rng = Mix(2026);
    let mut i = 0;
    while i < activities {
        let to = (i + 5_000).min(activities);
        let rows = day_rows(&mut rng, t0, per_day, i..to, devices, officers);
        bulk_load_without_ledger(app.catalog(), rows).await?;
        i = to;
    }
    checkpoint_wal(app.catalog()).await?;
    let load_seconds = started.elapsed().as_secs_f64();

    let sqlite3_shell_seconds = match app.catalog().backend() {
        zhilu_store::Backend::Sqlite => sqlite3_scan(&dir.catalog_db()),
        zhilu_store::Backend::Postgres => None,
    };
    let t = Instant::now();
    let scanned = scan_recordings(app.catalog()).await?;
    let catalog_scan_seconds = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let bench = zhilu_app::identity::shell::shell_reader("bench");
    let (full, times) = check_timed(&app, &bench, &CheckScope::default()).await?;
    let full_check_seconds = t.elapsed().as_secs_f64();

    // One more day of offloads, then the incremental re-check of that day.
    let next = activities + per_day;
    let rows = day_rows(&mut rng, t0, per_day, activities..next, devices, officers);
    bulk_load_without_ledger(app.catalog(), rows).await?;
    checkpoint_wal(app.catalog()).await?;
    let day = t0 + Duration::days((activities / per_day) as i64);
    let t = Instant::now();
    let inc = check(
        &app,
        &bench,
        &CheckScope {
            from: Some(day),
            to: Some(day + Duration::days(1)),
            ..CheckScope::default()
        },
    )
    .await?;
    let incremental_check_seconds = t.elapsed().as_secs_f64();
    let sqlite = matches!(app.catalog().backend(), zhilu_store::Backend::Sqlite);
    app.close().await;
    // The children open the catalog themselves, once this process has closed it.
    let children = if sqlite && runs > 0 {
        let (root, db) = (dir.root.clone(), dir.catalog_db());
        Some(tokio::task::block_in_place(|| {
            crate::bench_list::child_runs(&root, &db, runs)
        })?)
    } else {
        None
    };
    let read = times.read.as_secs_f64();
    Ok(BenchCheckReport {
        activities,
        recordings: scanned,
        load_seconds,
        sqlite3_shell_seconds,
        catalog_scan_seconds,
        full_check_seconds,
        full_check_read_seconds: read,
        full_check_engine_seconds: times.engine.as_secs_f64(),
        full_check_findings: full.len(),
        full_check_ratio_to_sqlite3: sqlite3_shell_seconds
            .map(|s| full_check_seconds / s.max(1e-9)),
        read_ratio_to_sqlite3: sqlite3_shell_seconds.map(|s| read / s.max(1e-9)),
        incremental_check_seconds,
        incremental_findings: inc.len(),
        children,
    })
}

/// The synthetic year of [`bench_check`] (registry, then `activities` activities of ten
/// recordings each) loaded into `app`'s catalog on either backend, without ledger entries: for
/// `bench check-pg` (`bench_check_pg.rs`). Starts at `t0`, one day a slice of `activities/365`.
pub(crate) async fn load_year(
    app: &App,
    activities: u64,
    t0: DateTime<Utc>,
) -> Result<(), LabError> {
    let (devices, officers) = (1_000u64, 2_000u64);
    bulk_load_without_ledger(app.catalog(), registry_rows(devices, officers, t0)).await?;
    let per_day = activities.div_ceil(365);
    let mut rng = Mix(2026);
    let mut i = 0;
    while i < activities {
        let to = (i + 5_000).min(activities);
        let rows = day_rows(&mut rng, t0, per_day, i..to, devices, officers);
        bulk_load_without_ledger(app.catalog(), rows).await?;
        i = to;
    }
    Ok(())
}
