//! `bench ingest`: generates recording-sized files (100–500 MB each), then times
//! `openssl dgst -sha256` and `openssl dgst -sm3` over them, our own hashers alone, a plain
//! write+fsync of the same bytes to the vault disk, and finally a real offload into a fresh data
//! directory (copy to every root + both hashes + fsync + read-back + catalog + ledger). Figures
//! next to baselines measured in the same run, never timed tests.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use chrono::TimeZone;
use serde::Serialize;
use zhilu_app::Clock;
use zhilu_app::offload::{OffloadRequest, Silent, offload};

use crate::LabError as AppError;

#[derive(Debug, Clone)]
pub struct BenchIngestOptions {
    pub size_gib: f64,
    pub work_dir: PathBuf,
    /// A memory-backed folder (e.g. /dev/shm) for a second run with the vault off the disk, which
    /// shows what the pipeline itself costs when the disk is not the limit.
    pub memory_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchIngestReport {
    pub files: u64,
    pub bytes: u64,
    pub vault_copies: usize,
    /// Full offload throughput, MB/s (10^6 bytes).
    pub ingest_mb_s: f64,
    /// Baselines over the same files in the same run.
    pub sha256_mb_s: Option<f64>,
    pub sm3_mb_s: Option<f64>,
    pub own_sha256_mb_s: f64,
    pub own_sm3_mb_s: f64,
    /// One plain copy of the same bytes to the vault disk with fsync.
    pub disk_write_fsync_mb_s: f64,
    /// `ingest_mb_s` divided by the slower of the two openssl hashes.
    pub ratio_to_slower_hash: Option<f64>,
    /// `ingest_mb_s` divided by what the disk allows for `vault_copies` fsynced copies
    /// (`disk_write_fsync_mb_s / vault_copies`): how close the offload gets to the disk.
    pub ratio_to_disk_bound: f64,
    /// The same offload with the data directory (catalog and both vault roots) in `memory_dir`.
    pub ingest_memory_vault_mb_s: Option<f64>,
    /// `ingest_memory_vault_mb_s` divided by the slower openssl hash (target ≥ 0.8: hashing,
    /// not our plumbing, is the limit).
    pub memory_vault_ratio_to_slower_hash: Option<f64>,
}

fn mb_s(bytes: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        bytes as f64 / 1e6 / secs
    } else {
        0.0
    }
}

fn openssl_rate(alg: &str, files: &[PathBuf], bytes: u64) -> Option<f64> {
    let t = Instant::now();
    let out = Command::new("openssl")
        .arg("dgst")
        .arg(alg)
        .args(files)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(mb_s(bytes, t.elapsed().as_secs_f64()))
}

fn own_rate(files: &[PathBuf], bytes: u64, sm3: bool) -> Result<f64, AppError> {
    use sha2::Digest;
    let t = Instant::now();
    let mut buf = vec![0u8; 1 << 20];
    for f in files {
        let mut file = File::open(f).map_err(|e| AppError::io(f, e))?;
        let mut a = sha2::Sha256::new();
        let mut b = sm3::Sm3::new();
        loop {
            let n = file.read(&mut buf).map_err(|e| AppError::io(f, e))?;
            if n == 0 {
                break;
            }
            if sm3 {
                b.update(&buf[..n]);
            } else {
                a.update(&buf[..n]);
            }
        }
        std::hint::black_box((a.finalize(), b.finalize()));
    }
    Ok(mb_s(bytes, t.elapsed().as_secs_f64()))
}

/// File sizes for a total of `total` bytes: 100–500 MB each (scaled down for tiny smoke runs).
fn plan_sizes(total: u64) -> Vec<u64> {
    const MB: u64 = 1_000_000;
    let pattern = [
        300 * MB,
        150 * MB,
        500 * MB,
        250 * MB,
        100 * MB,
        400 * MB,
        200 * MB,
        350 * MB,
    ];
    let scale = if total < 1_000 * MB {
        total as f64 / (1_000 * MB) as f64
    } else {
        1.0
    };
    let mut sizes = Vec::new();
    let mut left = total;
    let mut i = 0;
    while left > 0 {
        let want = ((pattern[i % pattern.len()] as f64 * scale) as u64).max(64 * 1024);
        let s = want.min(left);
        sizes.push(s);
        left -= s;
        i += 1;
    }
    sizes
}

/// Runs the offload benchmark. Everything it creates lives under `work_dir` and is removed after.
pub async fn bench_ingest(
    opts: &BenchIngestOptions,
    clock: Arc<dyn Clock>,
) -> Result<BenchIngestReport, AppError> {
    if !(opts.size_gib > 0.0 && opts.size_gib <= 64.0) {
        return Err(AppError::Invalid("数据量须在 0 到 64 GiB 之间".into()));
    }
    let total = (opts.size_gib * (1u64 << 30) as f64) as u64;
    let work = opts.work_dir.join(format!("bench-{}", std::process::id()));
    let device_dir = work.join("device");
    fs::create_dir_all(&device_dir).map_err(|e| AppError::io(&device_dir, e))?;
    let memory = opts
        .memory_dir
        .as_ref()
        .map(|m| m.join(format!("zhilu-bench-{}", std::process::id())));
    let result = run_ingest_bench(&work, &device_dir, total, memory.as_deref(), clock).await;
    let _ = fs::remove_dir_all(&work);
    if let Some(m) = memory {
        let _ = fs::remove_dir_all(m);
    }
    result
}

/// One timed offload of `device_dir` into a fresh data directory `data` (removed after); returns
/// (MB/s, number of vault copies).
async fn timed_offload(
    data: &Path,
    device_dir: &Path,
    files: usize,
    bytes: u64,
    clock: Arc<dyn Clock>,
) -> Result<(f64, usize), AppError> {
    let (app, _, keeper) = crate::setup::offload_ready(data, clock).await?;
    let t = Instant::now();
    let report = offload(
        &app,
        &keeper,
        &OffloadRequest {
            source: device_dir.to_path_buf(),
            device: "DSJ0001".into(),
            officer: "000123".into(),
            station: "bench-station".into(),
            device_clock: None,
            clear_device: false,
        },
        &Silent,
    )
    .await?;
    let secs = t.elapsed().as_secs_f64();
    let copies = app.vault().roots().len();
    app.close().await;
    let _ = fs::remove_dir_all(data);
    if report.imported != files as u64 {
        return Err(AppError::Invalid(format!(
            "基准测试导入了 {} 个文件，应为 {files}",
            report.imported
        )));
    }
    Ok((mb_s(bytes, secs), copies))
}

async fn run_ingest_bench(
    work: &Path,
    device_dir: &Path,
    total: u64,
    memory_dir: Option<&Path>,
    clock: Arc<dyn Clock>,
) -> Result<BenchIngestReport, AppError> {
    let base = chrono::Utc
        .with_ymd_and_hms(2026, 11, 20, 1, 0, 0)
        .single()
        .unwrap_or_default();
    let mut files = Vec::new();
    for (i, size) in plan_sizes(total).into_iter().enumerate() {
        let start = base + chrono::Duration::minutes(10 * i as i64);
        let local = start.with_timezone(&zhilu_policy::facts::china());
        let name = format!(
            "DSJ0001_000123_{}_{:04}.MP4",
            local.format("%Y%m%d%H%M%S"),
            i + 1
        );
        let path = device_dir.join(name);
        let f = File::create(&path).map_err(|e| AppError::io(&path, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        zhilu_media::synth::write_large_mp4(&mut w, size, start, 600.0, i as u64 + 1)
            .and_then(|()| w.flush())
            .map_err(|e| AppError::io(&path, e))?;
        files.push(path);
    }
    let bytes: u64 = total;

    let sha256_mb_s = openssl_rate("-sha256", &files, bytes);
    let sm3_mb_s = openssl_rate("-sm3", &files, bytes);
    let own_sha256_mb_s = tokio::task::block_in_place(|| own_rate(&files, bytes, false))?;
    let own_sm3_mb_s = tokio::task::block_in_place(|| own_rate(&files, bytes, true))?;

    // Disk baseline: one plain copy with fsync into the same filesystem the vault uses.
    let plain = work.join("plain-copy");
    fs::create_dir_all(&plain).map_err(|e| AppError::io(&plain, e))?;
    let t = Instant::now();
    tokio::task::block_in_place(|| -> Result<(), AppError> {
        for f in &files {
            let to = plain.join(f.file_name().unwrap_or_default());
            let mut src = File::open(f).map_err(|e| AppError::io(f, e))?;
            let mut dst = File::create(&to).map_err(|e| AppError::io(&to, e))?;
            std::io::copy(&mut src, &mut dst).map_err(|e| AppError::io(&to, e))?;
            dst.sync_all().map_err(|e| AppError::io(&to, e))?;
        }
        Ok(())
    })?;
    let disk_write_fsync_mb_s = mb_s(bytes, t.elapsed().as_secs_f64());
    let _ = fs::remove_dir_all(&plain);

    let (ingest_mb_s, vault_copies) = timed_offload(
        &work.join("data"),
        device_dir,
        files.len(),
        bytes,
        clock.clone(),
    )
    .await?;
    let ingest_memory_vault_mb_s = match memory_dir {
        Some(m) => Some(
            timed_offload(m, device_dir, files.len(), bytes, clock)
                .await?
                .0,
        ),
        None => None,
    };
    let slower = match (sha256_mb_s, sm3_mb_s) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => None,
    };
    Ok(BenchIngestReport {
        files: files.len() as u64,
        bytes,
        vault_copies,
        ingest_mb_s,
        sha256_mb_s,
        sm3_mb_s,
        own_sha256_mb_s,
        own_sm3_mb_s,
        disk_write_fsync_mb_s,
        ratio_to_slower_hash: slower.map(|s| ingest_mb_s / s),
        ratio_to_disk_bound: ingest_mb_s / (disk_write_fsync_mb_s / vault_copies as f64),
        ingest_memory_vault_mb_s,
        memory_vault_ratio_to_slower_hash: match (ingest_memory_vault_mb_s, slower) {
            (Some(m), Some(s)) => Some(m / s),
            _ => None,
        },
    })
}

/// The offload baseline of issue 15: per file, read it once, hash it SHA-256 and SM3, write two
/// copies (one per root) and fsync each file and its folder — Python's stdlib, the same disk.
const PY_OFFLOAD: &str = r#"
import hashlib, os, sys
src, roots = sys.argv[1], sys.argv[2:]
for name in sorted(os.listdir(src)):
    with open(os.path.join(src, name), "rb") as f:
        data = f.read()
    sha = hashlib.sha256(data).hexdigest()
    hashlib.new("sm3", data).hexdigest()
    for root in roots:
        fd = os.open(os.path.join(root, sha), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        os.close(fd)
        d = os.open(root, os.O_RDONLY)
        os.fsync(d)
        os.close(d)
"#;

/// `bench offload`: many small files (issue 15: 2,000 of 200 KB), our full offload into a fresh
/// data directory next to [`PY_OFFLOAD`] over the same files, interleaved A B A B.
#[derive(Debug, Clone, Serialize)]
pub struct BenchOffloadReport {
    pub files: u64,
    pub file_bytes: u64,
    pub runs: usize,
    /// Our offload (copy into both roots, both hashes, fsyncs, read-back, catalog, ledger), s.
    pub offload_s: crate::bench_list::Spread,
    /// The Python baseline, s.
    pub baseline_s: crate::bench_list::Spread,
    /// Per run, baseline time / our time: our throughput as a share of the baseline's
    /// (target ≥ 0.7).
    pub ratio_to_baseline: crate::bench_list::Spread,
}

/// Runs the small-file offload benchmark under `work_dir` (removed after).
pub async fn bench_offload(
    files: u64,
    file_kb: u64,
    runs: usize,
    work_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchOffloadReport, AppError> {
    if !(1..=100_000).contains(&files) || !(64..=100_000).contains(&file_kb) {
        return Err(AppError::Invalid(
            "文件数须在 1 到 100000 之间，文件大小须在 64 到 100000 KB 之间".into(),
        ));
    }
    let work = work_dir.join(format!("bench-offload-{}", std::process::id()));
    let result = run_offload_bench(&work, files, file_kb * 1000, runs.max(1), clock).await;
    let _ = fs::remove_dir_all(&work);
    result
}

async fn run_offload_bench(
    work: &Path,
    files: u64,
    size: u64,
    runs: usize,
    clock: Arc<dyn Clock>,
) -> Result<BenchOffloadReport, AppError> {
    let device_dir = work.join("device");
    crate::setup::camera_files(&device_dir, files, size)?;
    let bytes = files * size;
    let script = work.join("baseline.py");
    fs::write(&script, PY_OFFLOAD).map_err(|e| AppError::io(&script, e))?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let data = work.join(format!("data-{run}"));
        let (mb_per_s, _) =
            timed_offload(&data, &device_dir, files as usize, bytes, clock.clone()).await?;
        ours.push(bytes as f64 / 1e6 / mb_per_s.max(1e-9));
        let roots = [work.join("py-primary"), work.join("py-replica")];
        for r in &roots {
            let _ = fs::remove_dir_all(r);
            fs::create_dir_all(r).map_err(|e| AppError::io(r, e))?;
        }
        let t = Instant::now();
        let status = tokio::task::block_in_place(|| {
            Command::new("python3")
                .arg(&script)
                .arg(&device_dir)
                .args(&roots)
                .status()
        })
        .map_err(|e| AppError::io("python3", e))?;
        theirs.push(t.elapsed().as_secs_f64());
        if !status.success() {
            return Err(AppError::Invalid("Python 基线脚本运行失败".into()));
        }
        for r in &roots {
            let _ = fs::remove_dir_all(r);
        }
    }
    let ratio: Vec<f64> = ours
        .iter()
        .zip(&theirs)
        .map(|(o, t)| t / o.max(1e-9))
        .collect();
    use crate::bench_list::Spread;
    Ok(BenchOffloadReport {
        files,
        file_bytes: size,
        runs,
        offload_s: Spread::of(&ours),
        baseline_s: Spread::of(&theirs),
        ratio_to_baseline: Spread::of(&ratio),
    })
}
