//! Benchmarks that print figures next to baselines measured in the same run (never timed tests).
//!
//! `bench ingest`: generates recording-sized files (100–500 MB each), then times
//! `openssl dgst -sha256` and `openssl dgst -sm3` over them, our own hashers alone, a plain
//! write+fsync of the same bytes to the vault disk, and finally a real offload into a fresh data
//! directory (copy to every root + both hashes + fsync + read-back + catalog + ledger).
//!
//! `bench ledger`: durable single-entry appends per second (with and without a signed checkpoint per
//! append), then the time to produce and verify an inclusion proof in a log of N entries, both from
//! the in-memory tree and from the SQLite catalog.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use chrono::TimeZone;
use serde::Serialize;
use zhilu_ledger::{self as ledger, MemoryTree};
use zhilu_store::Change;

use crate::app::{App, DataDir, InitOptions};
use crate::clock::Clock;
use crate::device::RegisterDevice;
use crate::error::AppError;
use crate::ingest::{IngestOptions, NoProgress};

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
        return Err(AppError::invalid("--size-gib", "须在 0 到 64 之间"));
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
    let app = App::init(DataDir::new(data), InitOptions::default(), clock).await?;
    app.register_device(
        "bench",
        &RegisterDevice {
            serial: "DSJ0001".into(),
            kind: "执法记录仪".into(),
            model: "bench".into(),
            unit: "bench".into(),
            keeper: "bench".into(),
            asset_no: None,
        },
    )
    .await?;
    let t = Instant::now();
    let report = app
        .ingest(
            &IngestOptions {
                source: device_dir.to_path_buf(),
                device: "DSJ0001".into(),
                officer: "000123".into(),
                station: "bench-station".into(),
                device_clock: None,
                clear_device: false,
            },
            &NoProgress,
        )
        .await?;
    let secs = t.elapsed().as_secs_f64();
    let copies = app.vault.roots().len();
    app.close().await;
    let _ = fs::remove_dir_all(data);
    if report.imported != files as u64 {
        return Err(AppError::OffloadFailed(format!(
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
        let local = start.with_timezone(&crate::time::china());
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

#[derive(Debug, Clone, Serialize)]
pub struct BenchLedgerReport {
    pub durable_appends: u64,
    /// Single-entry commits (entry + tree nodes + head in one fsynced transaction).
    pub appends_per_s: f64,
    /// The same plus a signed checkpoint stored in the catalog and fsynced to `ledger/checkpoint`.
    pub appends_with_checkpoint_per_s: f64,
    pub log_entries: u64,
    pub memory_tree_build_s: f64,
    pub memory_inclusion_proof_us: f64,
    pub sqlite_fill_s: f64,
    pub sqlite_inclusion_proof_us: f64,
    pub sqlite_consistency_proof_us: f64,
}

fn event(i: u64) -> Change {
    Change::Event {
        kind: "bench.event".into(),
        subject: format!("bench:{i}"),
        data: serde_json::json!({ "i": i }),
    }
}

/// Runs the ledger benchmark in a fresh data directory under `work_dir` (removed after).
pub async fn bench_ledger(
    entries: u64,
    work_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchLedgerReport, AppError> {
    if !(2..=100_000_000).contains(&entries) {
        return Err(AppError::invalid("--entries", "须在 2 到 100000000 之间"));
    }
    let work = work_dir.join(format!("bench-ledger-{}", std::process::id()));
    let result = run_ledger_bench(entries, &work, clock).await;
    let _ = fs::remove_dir_all(&work);
    result
}

async fn run_ledger_bench(
    entries: u64,
    work: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchLedgerReport, AppError> {
    let app = App::init(
        DataDir::new(work.join("data")),
        InitOptions::default(),
        clock,
    )
    .await?;
    let alg = app.catalog.hash_alg();
    let durable = 500u64;
    let t = Instant::now();
    for i in 0..durable {
        app.catalog
            .commit(app.now_micros(), "bench", &[event(i)])
            .await?;
    }
    let appends_per_s = durable as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for i in durable..2 * durable {
        app.record("bench", vec![event(i)]).await?;
    }
    let appends_with_checkpoint_per_s = durable as f64 / t.elapsed().as_secs_f64();

    // Fill the catalog's ledger to `entries` in large transactions.
    let t = Instant::now();
    let mut next = 2 * durable;
    while next < entries {
        let batch: Vec<Change> = (next..(next + 20_000).min(entries)).map(event).collect();
        next += batch.len() as u64;
        app.catalog
            .commit(app.now_micros(), "bench", &batch)
            .await?;
    }
    let sqlite_fill_s = t.elapsed().as_secs_f64();
    let (size, root) = app.catalog.ledger_head().await?;

    let probes = 1000u64;
    let pick = |k: u64| (k.wrapping_mul(2_654_435_761) ^ 0x9e37) % size;
    let t = Instant::now();
    for k in 0..probes {
        let i = pick(k);
        let body = app.catalog.ledger_entries(i, 1).await?;
        let leaf = alg.leaf_hash(body.first().map(|e| e.body.as_bytes()).unwrap_or_default());
        let proof = app.catalog.inclusion_proof(i, size).await?;
        ledger::verify_inclusion(alg, &leaf, i, size, &proof, &root)?;
    }
    let sqlite_inclusion_proof_us = t.elapsed().as_secs_f64() * 1e6 / probes as f64;
    let t = Instant::now();
    for k in 0..probes {
        let old = pick(k).max(1);
        let proof = app.catalog.consistency_proof(old, size).await?;
        let old_root = app.catalog.root_at(old).await?;
        ledger::verify_consistency(alg, old, size, &old_root, &root, &proof)?;
    }
    let sqlite_consistency_proof_us = t.elapsed().as_secs_f64() * 1e6 / probes as f64;
    app.close().await;

    let t = Instant::now();
    let mut tree = MemoryTree::new(alg);
    for i in 0..entries {
        tree.append(alg.leaf_hash(&i.to_be_bytes()));
    }
    let memory_tree_build_s = t.elapsed().as_secs_f64();
    let mroot = tree.root();
    let t = Instant::now();
    for k in 0..probes {
        let i = (k.wrapping_mul(2_654_435_761) ^ 0x9e37) % entries;
        let proof = tree.inclusion_proof(i, entries)?;
        ledger::verify_inclusion(
            alg,
            &alg.leaf_hash(&i.to_be_bytes()),
            i,
            entries,
            &proof,
            &mroot,
        )?;
    }
    let memory_inclusion_proof_us = t.elapsed().as_secs_f64() * 1e6 / probes as f64;

    Ok(BenchLedgerReport {
        durable_appends: 2 * durable,
        appends_per_s,
        appends_with_checkpoint_per_s,
        log_entries: size,
        memory_tree_build_s,
        memory_inclusion_proof_us,
        sqlite_fill_s,
        sqlite_inclusion_proof_us,
        sqlite_consistency_proof_us,
    })
}
