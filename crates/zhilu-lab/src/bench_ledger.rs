//! `bench ledger`: durable appends per second, each next to its baseline measured in the same run
//! on the same disk:
//! - baseline: plain SQLite single-row commits (WAL, `synchronous = FULL`, one `INSERT` per
//!   transaction, as the catalog's driver opens its connections);
//! - catalog commits (entry, tree nodes, head and signed checkpoint in one transaction);
//! - "before": a use case writing one ledger entry (`setup::load_calendar`), waiting after each
//!   for its checkpoint file (`App::settle`), as the old synchronous file write did;
//! - "after": the same, the file written in the background and coalesced, one `settle` at the end;
//! - with a witness on 127.0.0.1: appends per second, how many cosignatures the background kept
//!   for them, and the cost of one offer (`witness::offer`: add-checkpoint over HTTP with a
//!   consistency proof, cosignature verified and kept);
//!
//! then the time to produce and verify an inclusion proof and a consistency proof in a log of N
//! entries, both from the in-memory tree and from the catalog.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use zhilu_app::setup::load_calendar;
use zhilu_app::witness::{self, Offer};
use zhilu_app::{Actor, App, Clock, DataDir, InitOptions};
use zhilu_ledger::{self as ledger, MemoryTree};
use zhilu_store::{Change, CheckpointSigner};

use crate::LabError as AppError;

#[derive(Debug, Clone, Serialize)]
pub struct BenchLedgerReport {
    pub durable_appends: u64,
    /// Single-entry commits: entry, tree nodes, head and an Ed25519-signed checkpoint in one
    /// fsynced transaction — what every state change costs.
    pub signed_appends_per_s: f64,
    /// Baseline: plain SQLite single-row commits per second (WAL, `synchronous = FULL`, one
    /// `INSERT` per transaction) in a database file beside the catalog, measured before the app
    /// figures and again after them (a disk shared with other work drifts); the ratios below are
    /// to the mean of the two.
    pub sqlite_single_row_commits_per_s: f64,
    pub sqlite_single_row_commits_again_per_s: f64,
    /// The public use case driven for the app figures (one ledger entry per call).
    pub use_case: &'static str,
    pub app_appends: u64,
    /// "Before": each append waits for its checkpoint file (`settle` after every call).
    pub appends_waiting_for_checkpoint_file_per_s: f64,
    /// "After": the checkpoint file in the background, coalesced; one `settle` at the end, timed.
    pub appends_background_checkpoint_file_per_s: f64,
    pub before_vs_sqlite: f64,
    pub after_vs_sqlite: f64,
    pub after_vs_before: f64,
    /// With a witness on 127.0.0.1 offered every checkpoint in the background (coalesced); one
    /// `settle` at the end, timed.
    pub witnessed_appends: u64,
    pub witnessed_appends_per_s: f64,
    pub witnessed_vs_after: f64,
    /// Cosignatures the background kept for those appends, and appends per cosignature.
    pub cosignatures_kept: u64,
    pub appends_per_cosignature: f64,
    /// `witness::offer` timed alone, each after one more entry: add-checkpoint over HTTP with a
    /// consistency proof, the cosignature verified and kept.
    pub witness_offers: u64,
    pub witness_offer_mean_us: f64,
    pub witness_offer_median_us: f64,
    pub log_entries: u64,
    pub memory_tree_build_s: f64,
    pub memory_inclusion_proof_us: f64,
    pub sqlite_fill_s: f64,
    pub sqlite_inclusion_proof_us: f64,
    pub sqlite_consistency_proof_us: f64,
}

pub(crate) fn event(i: u64) -> Change {
    Change::event(
        "bench.event",
        format!("bench:{i}"),
        serde_json::json!({ "i": i }),
    )
}

/// Signs checkpoints with the data directory's own key and origin (read from `keys/ledger.key`),
/// as the application's signer does: a ledger filled through it verifies.
pub(crate) struct BenchSigner(ledger::SigningKey, ledger::HashAlg, String);

impl BenchSigner {
    pub(crate) fn of(app: &App) -> Result<Self, AppError> {
        let path = app.data_dir().secret_key();
        let secret = fs::read_to_string(&path).map_err(|e| AppError::io(&path, e))?;
        Ok(BenchSigner(
            ledger::SigningKey::from_secret_string(secret.trim())?,
            app.catalog().hash_alg(),
            zhilu_app::origin(app.verifying_key(), app.is_replay()),
        ))
    }
}

impl CheckpointSigner for BenchSigner {
    fn sign_checkpoint(&self, size: u64, root: &ledger::Hash) -> Result<String, String> {
        let cp = ledger::Checkpoint {
            origin: self.2.clone(),
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
    appends: u64,
    work_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchLedgerReport, AppError> {
    if !(2..=100_000_000).contains(&entries) {
        return Err(AppError::Invalid("日志条数须在 2 到 100000000 之间".into()));
    }
    if !(1..=1_000_000).contains(&appends) {
        return Err(AppError::Invalid("追加次数须在 1 到 1000000 之间".into()));
    }
    let work = work_dir.join(format!("bench-ledger-{}", std::process::id()));
    let result = run_ledger_bench(entries, appends, &work, clock).await;
    let _ = fs::remove_dir_all(&work);
    result
}

async fn run_ledger_bench(
    entries: u64,
    appends: u64,
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
    let signer = BenchSigner::of(&app)?;
    let durable = appends;

    let sqlite_single_row_commits_per_s =
        sqlite_commits(&work.join("baseline.db"), durable).await?;

    let t = Instant::now();
    for i in 0..durable {
        catalog
            .commit(app.now(), "bench", &[event(i)], &signer)
            .await?;
    }
    let signed_appends_per_s = durable as f64 / t.elapsed().as_secs_f64();

    // The app's write path through a public use case: one `calendar.loaded` entry per call.
    let actor = Actor::system("bench");
    let app_appends = durable;
    let t = Instant::now();
    for _ in 0..app_appends {
        load_calendar(&app, &actor, CALENDAR).await?;
        app.settle().await;
    }
    let before = app_appends as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..app_appends {
        load_calendar(&app, &actor, CALENDAR).await?;
    }
    app.settle().await;
    let after = app_appends as f64 / t.elapsed().as_secs_f64();

    let w = witnessed(&app, &actor, &signer, work, durable).await?;
    let sqlite_again = sqlite_commits(&work.join("baseline-again.db"), durable).await?;
    let sqlite = (sqlite_single_row_commits_per_s + sqlite_again) / 2.0;

    // Fill the catalog's ledger to `entries` in large transactions.
    let t = Instant::now();
    let mut next = catalog.ledger_head().await?.0;
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
        sqlite_single_row_commits_per_s,
        sqlite_single_row_commits_again_per_s: sqlite_again,
        use_case: "zhilu_app::setup::load_calendar",
        app_appends,
        appends_waiting_for_checkpoint_file_per_s: before,
        appends_background_checkpoint_file_per_s: after,
        before_vs_sqlite: before / sqlite,
        after_vs_sqlite: after / sqlite,
        after_vs_before: after / before,
        witnessed_appends: w.appends,
        witnessed_appends_per_s: w.appends_per_s,
        witnessed_vs_after: w.appends_per_s / after,
        cosignatures_kept: w.cosignatures,
        appends_per_cosignature: w.appends as f64 / w.cosignatures.max(1) as f64,
        witness_offers: w.offers,
        witness_offer_mean_us: w.offer_mean_us,
        witness_offer_median_us: w.offer_median_us,
        log_entries: size,
        memory_tree_build_s,
        memory_inclusion_proof_us,
        sqlite_fill_s,
        sqlite_inclusion_proof_us,
        sqlite_consistency_proof_us,
    })
}

/// The calendar the app figures load again and again (one small `calendar.loaded` entry).
const CALENDAR: &str =
    "[years.2027]\nsource = \"基准测试\"\nholidays = [\"2027-01-01\"]\nworkdays = []\n";

/// Baseline: `n` single-row commits into a plain SQLite file (see
/// `zhilu_store::testing::sqlite_single_row_commits`, which owns the SQL).
async fn sqlite_commits(db: &Path, n: u64) -> Result<f64, AppError> {
    let db = db.to_path_buf();
    tokio::task::spawn_blocking(move || {
        zhilu_store::testing::sqlite_single_row_commits(&db, n)
            .map_err(|e| AppError::Invalid(format!("基准 SQLite 数据库出错：{e}")))
    })
    .await
    .map_err(|e| AppError::Invalid(format!("基准任务失败：{e}")))?
}

struct Witnessed {
    appends: u64,
    appends_per_s: f64,
    cosignatures: u64,
    offers: u64,
    offer_mean_us: f64,
    offer_median_us: f64,
}

/// A witness on 127.0.0.1 (in this process), added to the app; then `n` appends offered to it in
/// the background, and `witness::offer` timed alone after each of `n / 5` further entries
/// (committed straight to the catalog, so that no background offer races the timed one).
async fn witnessed(
    app: &App,
    actor: &Actor,
    signer: &BenchSigner,
    work: &Path,
    n: u64,
) -> Result<Witnessed, AppError> {
    let werr = |e: zhilu_witness::WitnessError| AppError::Invalid(format!("基准见证出错：{e}"));
    let dir = work.join("witness");
    let key = zhilu_witness::init(&dir, "bench-witness").map_err(werr)?;
    zhilu_witness::trust(
        &dir,
        &zhilu_app::origin(app.verifying_key(), app.is_replay()),
        &app.verifying_key().to_string(),
    )
    .map_err(werr)?;
    let server = zhilu_witness::Witness::open(&dir).map_err(werr)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| AppError::io(&dir, e))?;
    let url = format!(
        "http://{}",
        listener.local_addr().map_err(|e| AppError::io(&dir, e))?
    );
    let serving = tokio::spawn(zhilu_witness::serve(listener, Arc::new(server)));
    let result = async {
        witness::add(app, actor, Some(&url), &key.to_string()).await?;
        app.settle().await;
        let kept_before = app.catalog().cosignatures().await?.len();
        let t = Instant::now();
        for _ in 0..n {
            load_calendar(app, actor, CALENDAR).await?;
        }
        app.settle().await;
        let appends_per_s = n as f64 / t.elapsed().as_secs_f64();
        let cosignatures = (app.catalog().cosignatures().await?.len() - kept_before) as u64;

        let offers = (n / 5).max(1);
        let mut times = Vec::with_capacity(offers as usize);
        for i in 0..offers {
            app.catalog()
                .commit(app.now(), "bench", &[event(i)], signer)
                .await?;
            let t = Instant::now();
            let answers = witness::offer(app, actor).await?;
            times.push(t.elapsed().as_secs_f64() * 1e6);
            if let Some((name, offer)) = answers
                .iter()
                .find(|(_, o)| !matches!(o, Offer::Cosigned { .. }))
            {
                return Err(AppError::Invalid(offer.describe(name)));
            }
        }
        times.sort_by(f64::total_cmp);
        Ok(Witnessed {
            appends: n,
            appends_per_s,
            cosignatures,
            offers,
            offer_mean_us: times.iter().sum::<f64>() / times.len() as f64,
            offer_median_us: times[times.len() / 2],
        })
    }
    .await;
    serving.abort();
    result
}
