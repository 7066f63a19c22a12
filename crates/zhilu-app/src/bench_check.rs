//! `bench check`: one large agency's year — by default 200,000 activities and 2,000,000 recordings
//! in a SQLite catalog — then the time of a full `zhilu check` over the year and of an incremental
//! re-check after one more day of offloads, next to one full scan of the recordings table (every
//! column decoded through the same driver) measured in the same run.
//!
//! The synthetic rows are loaded without ledger entries (`Catalog::bench_load_without_ledger`):
//! the benchmark measures the check, and its data directory is deleted afterwards.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use serde::Serialize;
use zhilu_store::domain::*;
use zhilu_store::{Change, DeviceRow, RecordingRow, SessionRow, StationRow};

use crate::app::{App, DataDir, InitOptions};
use crate::check::CheckScope;
use crate::clock::{Clock, FixedClock};
use crate::error::AppError;

#[derive(Debug, Clone, Serialize)]
pub struct BenchCheckReport {
    pub activities: u64,
    pub recordings: u64,
    pub load_seconds: f64,
    /// Baseline: one full scan of the recordings table, all columns decoded, through the driver
    /// the catalog uses (sqlx `Any`).
    pub table_scan_seconds: f64,
    /// Second baseline: the same scan through sqlx's native SQLite driver (`None` on PostgreSQL).
    pub table_scan_native_seconds: Option<f64>,
    pub full_check_seconds: f64,
    pub full_check_findings: usize,
    /// `full_check_seconds / table_scan_seconds` (target ≤ 3).
    pub full_check_ratio_to_scan: f64,
    /// `full_check_seconds / table_scan_native_seconds`.
    pub full_check_ratio_to_native_scan: Option<f64>,
    /// Re-check of the day just offloaded (`check --from day --to day+1`), target < 1 s.
    pub incremental_check_seconds: f64,
    pub incremental_findings: usize,
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

fn us(d: Duration) -> i64 {
    d.num_microseconds().unwrap_or(0)
}

/// Rows for activities `from..to`, spread over `days` days from `t0`, ten segments each.
fn day_rows(
    rng: &mut Mix,
    t0: i64,
    per_day: u64,
    from: u64,
    to: u64,
    devices: u64,
    officers: u64,
) -> Vec<Change> {
    let mut out = Vec::new();
    for i in from..to {
        let day = (i / per_day) as i64;
        let slot = (i % per_day) as i64;
        let start = t0
            + us(Duration::days(day))
            + us(Duration::hours(1))
            + us(Duration::minutes(slot % 480));
        let seg = 360i64; // six-minute segments
        let end = start + us(Duration::seconds(seg * PER_ACTIVITY as i64));
        let device = format!("D{:04}", i % devices);
        let o1 = format!("{:06}", (i * 2) % officers);
        let o2 = format!("{:06}", (i * 2 + 1) % officers);
        let session = format!("S{i:07}");
        let act = format!("A{i:07}");
        let offloaded = end + us(Duration::hours(2 + rng.below(30) as i64));
        out.push(Change::Insert(DomainRow::Checkout(CheckoutRow {
            id: format!("CO{i:07}"),
            device_serial: device.clone(),
            officer: o1.clone(),
            out_at: start - us(Duration::hours(1)),
            returned_at: Some(offloaded + us(Duration::minutes(5))),
            battery_pct: Some(90),
            free_gb: Some(20),
            clock_ok: 1,
            recorded_summary: None,
            ledger_seq: 0,
        })));
        out.push(Change::Insert(DomainRow::Activity(ActivityRow {
            id: act.clone(),
            kind: "routine_inspection".into(),
            subject_name: format!("市场主体{}", i % 50_000),
            subject_code: None,
            subject_code_kind: None,
            place: "经营场所".into(),
            officers: format!("[\"{o1}\",\"{o2}\"]"),
            start_at: start,
            end_at: end,
            case_no: (rng.below(20) == 0).then(|| format!("案{i}")),
            flags: if rng.below(50) == 0 {
                "[\"dispute\"]".into()
            } else {
                "[]".into()
            },
            created_at: start,
            created_by: o1.clone(),
            ledger_seq: 0,
        })));
        out.push(Change::StartSession(SessionRow {
            id: session.clone(),
            device_serial: device.clone(),
            officer: o1.clone(),
            station: "CJZ-BENCH".into(),
            source: "/bench".into(),
            started_at: offloaded,
            finished_at: Some(offloaded),
            status: "finished".into(),
            device_clock_offset_ms: Some(rng.below(120_000) as i64 - 60_000),
            device_cleared: 1,
            files_seen: PER_ACTIVITY as i64,
            imported: PER_ACTIVITY as i64,
            duplicates: 0,
            damaged: 0,
            skipped: 0,
            bytes: 0,
            ledger_seq: 0,
        }));
        // An occasional gap between segments, so the gap rule has work to do.
        let gap = if rng.below(10) == 0 { 600 } else { 0 };
        // The records that explain activities, each with its approval, at a year's rates: a
        // non-recording record for one activity in 25, an interruption for one in 100, an
        // offload extension for one in 100, a legal hold on one in 1,000.
        let approval = |id: &str, kind: &str| {
            Change::Insert(DomainRow::Approval(ApprovalRow {
                id: id.into(),
                subject_kind: kind.into(),
                chain: "[\"unit_head\"]".into(),
                steps: "[]".into(),
                status: "approved".into(),
                updated_at: offloaded,
                ledger_seq: 0,
            }))
        };
        if i % 25 == 7 {
            let id = format!("N{i:07}");
            out.push(Change::Insert(DomainRow::NoRecord(NoRecordRow {
                id: id.clone(),
                activity_id: act.clone(),
                reason: "objective".into(),
                basis: "设备临时故障".into(),
                created_at: end,
                created_by: o1.clone(),
                ledger_seq: 0,
            })));
            out.push(approval(&id, "norecord"));
        }
        if i % 100 == 13 {
            let id = format!("E{i:07}");
            out.push(Change::Insert(DomainRow::Extension(ExtensionRow {
                id: id.clone(),
                activity_id: act.clone(),
                reason: "外出执法当日无法返回".into(),
                created_at: end,
                created_by: o1.clone(),
                ledger_seq: 0,
            })));
            out.push(approval(&id, "extension"));
        }
        for k in 0..PER_ACTIVITY as i64 {
            let cs = start + us(Duration::seconds(k * seg + if k >= 5 { gap } else { 0 }));
            let sha = format!("{:016x}{:016x}{:016x}{:016x}", i, k, rng.next(), rng.next());
            out.push(Change::StoreRecording(RecordingRow {
                sm3: format!("{sha}s"),
                size: 1 << 20,
                media_kind: "mp4".into(),
                capture_start: Some(cs),
                capture_end: Some(cs + us(Duration::seconds(seg))),
                duration_ms: Some(seg * 1000),
                time_source: "metadata".into(),
                device_serial: device.clone(),
                officer: o1.clone(),
                name_device_id: Some(device.clone()),
                name_officer_id: Some(o1.clone()),
                sequence: Some(k + 1),
                important: 0,
                original_name: format!("{device}_{o1}_{k:04}.MP4"),
                original_path: format!("DCIM/{device}_{o1}_{k:04}.MP4"),
                offloaded_at: offloaded,
                station: "CJZ-BENCH".into(),
                session_id: session.clone(),
                damaged: 0,
                damage_reason: None,
                sha256: sha.clone(),
                ledger_seq: 0,
            }));
            if gap > 0 && k == 4 && i % 10 == 3 {
                let id = format!("I{i:07}");
                out.push(Change::Insert(DomainRow::Interruption(InterruptionRow {
                    id: id.clone(),
                    activity_id: act.clone(),
                    after_sha256: sha.clone(),
                    reason: "device_fault".into(),
                    voice_stated: 1,
                    detail: "设备重启".into(),
                    created_at: end,
                    created_by: o1.clone(),
                    ledger_seq: 0,
                })));
                out.push(approval(&id, "interruption"));
            }
            if k == 0 && i % 1000 == 11 {
                out.push(Change::Insert(DomainRow::Hold(HoldRow {
                    id: format!("H{i:07}"),
                    sha256: sha.clone(),
                    reason: "诉讼保全".into(),
                    placed_at: offloaded,
                    placed_by: "archivist".into(),
                    released_at: None,
                    ledger_seq: 0,
                })));
            }
            out.push(Change::Insert(DomainRow::Link(LinkRow {
                sha256: sha,
                activity_id: act.clone(),
                method: "auto".into(),
                linked_at: offloaded,
                actor: "system".into(),
                ledger_seq: 0,
            })));
        }
    }
    out
}

/// Runs the benchmark in `work_dir` (removed afterwards unless `keep`, for profiling the catalog).
pub async fn bench_check(
    activities: u64,
    work_dir: &Path,
    keep: bool,
) -> Result<BenchCheckReport, AppError> {
    if !(10..=10_000_000).contains(&activities) {
        return Err(AppError::invalid(
            "--activities",
            "须在 10 到 10000000 之间",
        ));
    }
    let work = work_dir.join(format!("bench-check-{}", std::process::id()));
    let result = run(activities, &work).await;
    if keep {
        tracing::info!(dir = %work.display(), "bench catalog kept");
    } else {
        let _ = fs::remove_dir_all(&work);
    }
    result
}

async fn run(activities: u64, work: &Path) -> Result<BenchCheckReport, AppError> {
    let t0 = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let days = 365u64;
    let end_of_year = t0 + Duration::days(days as i64);
    let clock: Arc<dyn Clock> = Arc::new(FixedClock(end_of_year + Duration::days(1)));
    let app = App::init(
        DataDir::new(work.join("data")),
        InitOptions::default(),
        clock,
    )
    .await?;
    app.apply_profile(crate::policy::preset_text("dalian-ftz")?, "bench")
        .await?;
    let devices = 1_000u64;
    let officers = 2_000u64;
    let started = Instant::now();
    let mut setup = vec![Change::RegisterStation(StationRow {
        id: "CJZ-BENCH".into(),
        first_seen: 0,
        ledger_seq: 0,
    })];
    for u in 0..20 {
        setup.push(Change::Insert(DomainRow::Unit(UnitRow {
            id: format!("U{u:02}"),
            name: format!("执法{u}组"),
            created_at: 0,
            ledger_seq: 0,
        })));
    }
    for d in 0..devices {
        setup.push(Change::RegisterDevice(DeviceRow {
            serial: format!("D{d:04}"),
            kind: "执法记录仪".into(),
            model: "DSJ".into(),
            asset_no: None,
            unit: format!("U{:02}", d % 20),
            keeper: "装备管理员".into(),
            status: "在用".into(),
            registered_at: 0,
            ledger_seq: 0,
        }));
    }
    for o in 0..officers {
        setup.push(Change::Insert(DomainRow::Officer(OfficerRow {
            id: format!("{o:06}"),
            name: format!("执法员{o}"),
            unit: format!("U{:02}", (o / 2) % 20),
            role: "officer".into(),
            created_at: 0,
            ledger_seq: 0,
        })));
    }
    app.catalog.bench_load_without_ledger(&setup).await?;
    let per_day = activities.div_ceil(days);
    let mut rng = Mix(2026);
    let t0us = t0.timestamp_micros();
    let mut i = 0;
    while i < activities {
        let to = (i + 5_000).min(activities);
        let rows = day_rows(&mut rng, t0us, per_day, i, to, devices, officers);
        app.catalog.bench_load_without_ledger(&rows).await?;
        i = to;
    }
    app.catalog.checkpoint_wal().await?;
    let load_seconds = started.elapsed().as_secs_f64();

    let t = Instant::now();
    let scanned = app.catalog.bench_scan_recordings().await?;
    let table_scan_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let native = app.catalog.bench_scan_recordings_native().await?;
    let table_scan_native_seconds = native.map(|_| t.elapsed().as_secs_f64());

    let t = Instant::now();
    let full = app.check(&CheckScope::default()).await?;
    let full_check_seconds = t.elapsed().as_secs_f64();

    // One more day of offloads, then the incremental re-check of that day.
    let next = activities + per_day;
    let rows = day_rows(&mut rng, t0us, per_day, activities, next, devices, officers);
    app.catalog.bench_load_without_ledger(&rows).await?;
    app.catalog.checkpoint_wal().await?;
    let day = t0 + Duration::days((activities / per_day) as i64);
    let t = Instant::now();
    let inc = app
        .check(&CheckScope {
            from: Some(day),
            to: Some(day + Duration::days(1)),
            ..Default::default()
        })
        .await?;
    let incremental_check_seconds = t.elapsed().as_secs_f64();
    app.close().await;
    Ok(BenchCheckReport {
        activities,
        recordings: scanned,
        load_seconds,
        table_scan_seconds,
        table_scan_native_seconds,
        full_check_seconds,
        full_check_findings: full.len(),
        full_check_ratio_to_scan: full_check_seconds / table_scan_seconds.max(1e-9),
        full_check_ratio_to_native_scan: table_scan_native_seconds
            .map(|s| full_check_seconds / s.max(1e-9)),
        incremental_check_seconds,
        incremental_findings: inc.len(),
    })
}
