//! `bench ledger`: durable appends per second (each a commit with its signed checkpoint and the
//! checkpoint file), then the time to produce and verify an inclusion proof and a consistency
//! proof in a log of N entries, both from the in-memory tree and from the catalog.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use zhilu_app::{App, Clock, DataDir, InitOptions};
use zhilu_ledger::{self as ledger, MemoryTree};
use zhilu_store::{Change, CheckpointSigner};

use crate::LabError as AppError;

#[derive(Debug, Clone, Serialize)]
pub struct BenchLedgerReport {
    pub durable_appends: u64,
    /// Single-entry commits: entry, tree nodes, head and an Ed25519-signed checkpoint in one
    /// fsynced transaction — what every state change costs.
    pub signed_appends_per_s: f64,
    pub log_entries: u64,
    pub memory_tree_build_s: f64,
    pub memory_inclusion_proof_us: f64,
    pub sqlite_fill_s: f64,
    pub sqlite_inclusion_proof_us: f64,
    pub sqlite_consistency_proof_us: f64,
}

fn event(i: u64) -> Change {
    Change::event(
        "bench.event",
        format!("bench:{i}"),
        serde_json::json!({ "i": i }),
    )
}

/// Signs checkpoints with a throwaway Ed25519 key, as the application's own signer does.
struct BenchSigner(ledger::SigningKey, ledger::HashAlg);
impl CheckpointSigner for BenchSigner {
    fn sign_checkpoint(&self, size: u64, root: &ledger::Hash) -> Result<String, String> {
        let cp = ledger::Checkpoint {
            origin: "zhilu.ledger/bench".into(),
            size,
            root: *root,
            alg: self.1,
        };
        self.0.sign(&cp).map_err(|e| e.to_string())
    }
    fn covers(&self, note: &str, size: u64, root: &ledger::Hash) -> bool {
        ledger::verify_checkpoint(note, &self.0.verifying_key())
            .is_ok_and(|cp| cp.size == size && cp.root == *root)
    }
    fn real_now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}

/// Runs the ledger benchmark in a fresh data directory under `work_dir` (removed after).
pub async fn bench_ledger(
    entries: u64,
    work_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchLedgerReport, AppError> {
    if !(2..=100_000_000).contains(&entries) {
        return Err(AppError::Invalid("日志条数须在 2 到 100000000 之间".into()));
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
    let catalog = app.catalog();
    let alg = catalog.hash_alg();
    let signer = BenchSigner(
        ledger::SigningKey::from_seed(ledger::SignatureKind::Ed25519, "bench", [7; 32])?,
        alg,
    );
    let durable = 1000u64;
    let t = Instant::now();
    for i in 0..durable {
        catalog
            .commit(app.now(), "bench", &[event(i)], &signer)
            .await?;
    }
    let signed_appends_per_s = durable as f64 / t.elapsed().as_secs_f64();

    // Fill the catalog's ledger to `entries` in large transactions.
    let t = Instant::now();
    let mut next = durable;
    while next < entries {
        let batch: Vec<Change> = (next..(next + 20_000).min(entries)).map(event).collect();
        next += batch.len() as u64;
        catalog.commit(app.now(), "bench", &batch, &signer).await?;
    }
    let sqlite_fill_s = t.elapsed().as_secs_f64();
    let (size, root) = catalog.ledger_head().await?;

    let probes = 1000u64;
    let pick = |k: u64| (k.wrapping_mul(2_654_435_761) ^ 0x9e37) % size;
    let t = Instant::now();
    for k in 0..probes {
        let i = pick(k);
        let body = catalog.ledger_entries(i, 1).await?;
        let leaf = alg.leaf_hash(body.first().map(|e| e.body.as_bytes()).unwrap_or_default());
        let proof = catalog.inclusion_proof(i, size).await?;
        ledger::verify_inclusion(alg, &leaf, i, size, &proof, &root)?;
    }
    let sqlite_inclusion_proof_us = t.elapsed().as_secs_f64() * 1e6 / probes as f64;
    let t = Instant::now();
    for k in 0..probes {
        let old = pick(k).max(1);
        let proof = catalog.consistency_proof(old, size).await?;
        let old_root = catalog.root_at(old).await?;
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
        durable_appends: durable,
        signed_appends_per_s,
        log_entries: size,
        memory_tree_build_s,
        memory_inclusion_proof_us,
        sqlite_fill_s,
        sqlite_inclusion_proof_us,
        sqlite_consistency_proof_us,
    })
}
