//! `bench station` (issue 15): the same generated camera folder offloaded (a) locally, by the
//! `offload` use case as `bench offload` does, and (b) by the station client
//! (`station::client::ingest`) over loopback into a real `zhilu serve` started in this process on
//! 127.0.0.1 port 0, with a station credential registered through the station use case.
//! Interleaved A B A B, each run into a fresh data directory; min/median/max of both and, per
//! run, the station's throughput as a share of the local one.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use zhilu_app::Clock;
use zhilu_app::offload::{OffloadRequest, Silent, offload};
use zhilu_app::station::client::{DEFAULT_CHUNK, IngestRequest, ingest};
use zhilu_app::station::{self, NewStation};

use crate::setup::{DEVICE, OFFICER, camera_files, offload_ready};
use crate::{LabError, Spread};

const STATION: &str = "ST-BENCH";

/// What `zhilu bench station` reports.
#[derive(Debug, Clone, Serialize)]
pub struct BenchStationReport {
    pub files: u64,
    pub file_bytes: u64,
    pub runs: usize,
    /// Bytes per chunk the station sends.
    pub chunk_bytes: u64,
    /// Local offload (copy into both roots, both hashes, fsyncs, read-back, catalog, ledger), s.
    pub local_s: Spread,
    /// Station over loopback (hash at the station, resumable upload in chunks, the platform's
    /// fsynced part, re-hash, store into both roots, catalog, ledger), s.
    pub station_s: Spread,
    pub local_mb_s: Spread,
    pub station_mb_s: Spread,
    /// Per run, station throughput / local throughput (local time / station time).
    pub ratio_station_to_local: Spread,
}

impl BenchStationReport {
    /// A Chinese summary for people (the JSON is printed as well).
    pub fn table(&self) -> String {
        format!(
            "{} 个文件，每个 {} KB，{} 轮交替（最小 / 中位 / 最大）\n本地导入：{} 秒，{} MB/s\n采集站经本机回环上传：{} 秒，{} MB/s\n采集站吞吐量 / 本地导入吞吐量：{}\n",
            self.files,
            self.file_bytes / 1000,
            self.runs,
            self.local_s.show(3),
            self.local_mb_s.show(1),
            self.station_s.show(3),
            self.station_mb_s.show(1),
            self.ratio_station_to_local.show(2),
        )
    }
}

/// Runs the benchmark under `work_dir` (removed after).
pub async fn bench_station(
    files: u64,
    file_kb: u64,
    runs: usize,
    work_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchStationReport, LabError> {
    if !(1..=100_000).contains(&files) || !(1..=1_000_000).contains(&file_kb) {
        return Err(LabError::Invalid(
            "文件数须在 1 到 100000 之间，文件大小须在 1 到 1000000 KB 之间".into(),
        ));
    }
    let work = work_dir.join(format!("bench-station-{}", std::process::id()));
    let result = run(&work, files, file_kb * 1000, runs.max(1), clock).await;
    let _ = fs::remove_dir_all(&work);
    result
}

/// A: the local offload of `device` into a fresh `data`; seconds.
async fn local_run(
    data: &Path,
    device: &Path,
    files: u64,
    clock: Arc<dyn Clock>,
) -> Result<f64, LabError> {
    let (app, _, keeper) = offload_ready(data, clock).await?;
    let t = Instant::now();
    let report = offload(
        &app,
        &keeper,
        &OffloadRequest {
            source: device.to_path_buf(),
            device: DEVICE.into(),
            officer: OFFICER.into(),
            station: "bench-station".into(),
            device_clock: None,
            clear_device: false,
        },
        &Silent,
    )
    .await;
    let secs = t.elapsed().as_secs_f64();
    app.close().await;
    let _ = fs::remove_dir_all(data);
    let report = report?;
    if report.imported != files {
        return Err(LabError::Invalid(format!(
            "本地导入了 {} 个文件，应为 {files}",
            report.imported
        )));
    }
    Ok(secs)
}

/// B: a real server on 127.0.0.1 port 0 over a fresh `data`, a registered station, and the
/// station client sending `device` to it; seconds of the client run.
async fn station_run(
    data: &Path,
    device: &Path,
    files: u64,
    clock: Arc<dyn Clock>,
) -> Result<f64, LabError> {
    let (app, sys, _) = offload_ready(data, clock).await?;
    let registered = station::register(
        &app,
        &sys,
        NewStation {
            id: STATION.into(),
            name: "基准测试采集站".into(),
            unit: Some("bench".into()),
        },
    )
    .await?;
    let app = Arc::new(app);
    let running = zhilu_web::start(
        app.clone(),
        zhilu_web::ServeOptions {
            bind: "127.0.0.1:0".parse().expect("a literal address"),
            tls: None,
        },
    )
    .await
    .map_err(|e| LabError::io("serve", e))?;
    let req = IngestRequest {
        source: device.to_path_buf(),
        device: DEVICE.into(),
        officer: OFFICER.into(),
        station: STATION.into(),
        url: format!("http://{}", running.addr),
        token: registered.token,
        ca_file: None,
        chunk: DEFAULT_CHUNK,
        clear_device: false,
        max_chunks: None,
    };
    let t = Instant::now();
    let report = ingest(&req).await;
    let secs = t.elapsed().as_secs_f64();
    running.handle.abort();
    app.settle().await;
    app.close().await;
    let _ = fs::remove_dir_all(data);
    let report = report?;
    let stored = report
        .files
        .iter()
        .filter(|f| f.outcome == "stored" && f.confirmed)
        .count() as u64;
    if !report.complete || stored != files {
        return Err(LabError::Invalid(format!(
            "采集站上传后平台确认保存了 {stored} 个文件，应为 {files}"
        )));
    }
    Ok(secs)
}

async fn run(
    work: &Path,
    files: u64,
    size: u64,
    runs: usize,
    clock: Arc<dyn Clock>,
) -> Result<BenchStationReport, LabError> {
    let device = work.join("device");
    tokio::task::block_in_place(|| camera_files(&device, files, size))?;
    let bytes = files * size;
    let (mut local, mut remote) = (Vec::new(), Vec::new());
    for run in 0..runs {
        local.push(
            local_run(
                &work.join(format!("local-{run}")),
                &device,
                files,
                clock.clone(),
            )
            .await?,
        );
        remote.push(
            station_run(
                &work.join(format!("station-{run}")),
                &device,
                files,
                clock.clone(),
            )
            .await?,
        );
    }
    let rate =
        |s: &[f64]| -> Vec<f64> { s.iter().map(|x| bytes as f64 / 1e6 / x.max(1e-9)).collect() };
    let ratio: Vec<f64> = local
        .iter()
        .zip(&remote)
        .map(|(l, r)| l / r.max(1e-9))
        .collect();
    Ok(BenchStationReport {
        files,
        file_bytes: size,
        runs,
        chunk_bytes: DEFAULT_CHUNK,
        local_s: Spread::of(&local),
        station_s: Spread::of(&remote),
        local_mb_s: Spread::of(rate(&local)),
        station_mb_s: Spread::of(rate(&remote)),
        ratio_station_to_local: Spread::of(&ratio),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15 (station row): a tiny run completes both paths and reports a positive ratio.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn r16_bench_station_smoke_runs_both_paths() {
        let work = tempfile::tempdir().expect("tempdir");
        let r = bench_station(3, 64, 1, work.path(), Arc::new(zhilu_app::SystemClock))
            .await
            .expect("bench station");
        assert_eq!((r.files, r.runs), (3, 1));
        assert!(r.local_s.min > 0.0 && r.station_s.min > 0.0, "{r:?}");
        assert!(r.ratio_station_to_local.median > 0.0, "{r:?}");
    }
}
