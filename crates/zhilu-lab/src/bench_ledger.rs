//! `bench ledger`: the ledger's heavy paths, each next to its baseline measured in the same run on
//! the same disk, the two interleaved (ours, baseline, ours, baseline…) over `runs` rounds so that
//! a change in the machine's load hits both sides; min / median / max of each, and the ratio of
//! the medians:
//! - durable appends: single-entry catalog commits (the entry row with the tree nodes it completes
//!   and an Ed25519-signed checkpoint, in one fsynced transaction) against plain SQLite
//!   single-row commits (WAL, `synchronous = FULL`, one `INSERT` per transaction, as the catalog's
//!   driver opens its connections), the two alternating every 100 commits within each round;
//! - bulk fill: a fresh catalog filled with N entries (20,000 per commit, each commit signed)
//!   against the same entry rows and their lookup keys inserted into a plain SQLite file with the
//!   catalog's schema for those tables, in one transaction through prepared statements;
//! - an inclusion proof (entry read, proof built, proof verified) from the catalog of N entries
//!   against the same from the same tree in memory; a consistency proof from the catalog beside;
//!
//! then, once, the app's write path through a public use case: waiting after each append for its
//! checkpoint file ("before") or not ("after"), and with a witness on 127.0.0.1 (appends per
//! second, cosignatures kept, the cost of one offer).

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use zhilu_app::setup::load_calendar;
use zhilu_app::witness::{self, Offer};
use zhilu_app::{Actor, App, Clock, DataDir, InitOptions};
use zhilu_ledger::{self as ledger, MemoryTree};
use zhilu_store::testing::SingleRowCommits;
use zhilu_store::{Catalog, Change, CheckpointSigner};

use crate::LabError as AppError;
pub use crate::Spread;

#[derive(Debug, Clone, Serialize)]
pub struct BenchLedgerReport {
    /// Interleaved rounds of each row.
    pub runs: usize,
    /// Commits timed per round of the durable-append row.
    pub durable_appends: u64,
    /// Single-entry catalog commits per second.
    pub durable_appends_per_s: Spread,
    /// Baseline: plain SQLite single-row commits per second (a fresh file each round, timed after
    /// as many untimed commits, so its write-ahead log has reached its working size; ours are
    /// timed after as many too), timed in stretches of `STRETCH` that alternate with ours.
    pub sqlite_single_row_commits_per_s: Spread,
    /// Median over median; target ≥ 0.8.
    pub durable_vs_sqlite: f64,
    /// Entries per round of the bulk fill (and in the log the proofs are read from).
    pub log_entries: u64,
    /// Catalog entries per second while filling a fresh catalog (20,000 per signed commit).
    pub fill_entries_per_s: Spread,
    /// Baseline: the same entry rows and lookup keys into a plain SQLite file, per entry per second.
    pub sqlite_bulk_entries_per_s: Spread,
    /// Lookup-key rows (`ledger_keys`) the baseline inserts beside the entries.
    pub sqlite_bulk_key_rows: u64,
    /// Median over median; target ≥ 0.5.
    pub fill_vs_sqlite: f64,
    /// Probes per round of the proof rows.
    pub proof_probes: u64,
    /// Read an entry, build its inclusion proof from the catalog, verify it: µs each; target ≤ 100.
    pub catalog_inclusion_proof_us: Spread,
    /// The same from the tree in memory (`MemoryTree`) of the same leaves.
    pub memory_inclusion_proof_us: Spread,
    pub catalog_vs_memory_inclusion: f64,
    /// Build a consistency proof from the catalog (and the old root), verify it: µs each.
    pub catalog_consistency_proof_us: Spread,
    /// The public use case driven for the app figures (one ledger entry per call).
    pub use_case: &'static str,
    /// "Before": each append waits for its checkpoint file (`settle` after every call).
    pub appends_waiting_for_checkpoint_file_per_s: f64,
    /// "After": the checkpoint file in the background, coalesced; one `settle` at the end, timed.
    pub appends_background_checkpoint_file_per_s: f64,
    pub after_vs_sqlite: f64,
    /// With a witness on 127.0.0.1 offered every checkpoint in the background (coalesced).
    pub witnessed_appends_per_s: f64,
    pub witnessed_vs_after: f64,
    /// Cosignatures the background kept for those appends, and appends per cosignature.
    pub cosignatures_kept: u64,
    pub appends_per_cosignature: f64,
    /// `witness::offer` timed alone, each after one more entry.
    pub witness_offers: u64,
    pub witness_offer_mean_us: f64,
    pub witness_offer_median_us: f64,
}

impl BenchLedgerReport {
    /// The rows as a Chinese table: ours and the baseline, min / median / max, the ratio.
    pub fn table(&self) -> String {
        let mut s = format!(
            "审计日志基准：每项 {} 轮，与对照交替运行（最小 / 中位 / 最大）\n",
            self.runs
        );
        s.push_str(&format!(
            "持久追加（每次提交 1 条，共 {} 次）\n  本系统 {} 条/秒\n  对照（SQLite 单行提交，WAL，synchronous=FULL）{} 次/秒\n  中位比值 {:.2}（目标 ≥ 0.8）\n",
            self.durable_appends,
            self.durable_appends_per_s.show(0),
            self.sqlite_single_row_commits_per_s.show(0),
            self.durable_vs_sqlite
        ));
        s.push_str(&format!(
            "批量写入（{} 条，每次提交 20000 条）\n  本系统 {} 条/秒\n  对照（SQLite 在一个事务中插入同样的 {} 条日志行（含树节点与检查点）和 {} 条检索键行）{} 条/秒\n  中位比值 {:.2}（目标 ≥ 0.5）\n",
            self.log_entries,
            self.fill_entries_per_s.show(0),
            self.log_entries,
            self.sqlite_bulk_key_rows,
            self.sqlite_bulk_entries_per_s.show(0),
            self.fill_vs_sqlite
        ));
        s.push_str(&format!(
            "包含证明（{} 条的日志，每轮 {} 次：读条目、生成证明、验证）\n  从编目库 {} 微秒\n  从内存 {} 微秒\n  中位比值 {:.1}（目标：编目库 ≤ 100 微秒）\n",
            self.log_entries,
            self.proof_probes,
            self.catalog_inclusion_proof_us.show(1),
            self.memory_inclusion_proof_us.show(1),
            self.catalog_vs_memory_inclusion
        ));
        s.push_str(&format!(
            "一致性证明（从编目库）{} 微秒\n",
            self.catalog_consistency_proof_us.show(1)
        ));
        s.push_str(&format!(
            "经用例 {} 追加（各测一次）：等待检查点文件 {:.0} 条/秒，后台写检查点文件 {:.0} 条/秒（为 SQLite 单行提交的 {:.2} 倍），配置本机见证 {:.0} 条/秒；见证一次往返中位 {:.0} 微秒\n",
            self.use_case,
            self.appends_waiting_for_checkpoint_file_per_s,
            self.appends_background_checkpoint_file_per_s,
            self.after_vs_sqlite,
            self.witnessed_appends_per_s,
            self.witness_offer_median_us
        ));
        s
    }
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
/// Signs as the app's signer does, remembering the last note it signed so that `covers` skips
/// verifying the head it finds when that note is the one it just signed (as the app's does).
pub(crate) struct BenchSigner(
    ledger::SigningKey,
    ledger::HashAlg,
    String,
    std::sync::Mutex<Option<(String, u64, ledger::Hash)>>,
    zhilu_app::Nonces,
);

impl BenchSigner {
    pub(crate) fn of(app: &App) -> Result<Self, AppError> {
        let path = app.data_dir().secret_key();
        let secret = fs::read_to_string(&path).map_err(|e| AppError::io(&path, e))?;
        let key = ledger::SigningKey::from_secret_string(secret.trim())?;
        let nonces = zhilu_app::Nonces::for_key(&key);
        Ok(BenchSigner(
            key,
            app.catalog().hash_alg(),
            zhilu_app::origin(app.verifying_key(), app.is_replay()),
            std::sync::Mutex::new(None),
            nonces,
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
        let note = self.4.sign(&self.0, &cp).map_err(|e| e.to_string())?;
        *self.3.lock().unwrap_or_else(|p| p.into_inner()) = Some((note.clone(), size, *root));
        Ok(note)
    }
    fn covers(&self, note: &str, size: u64, root: &ledger::Hash) -> bool {
        let remembered = self
            .3
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|(n, s, r)| n == note && *s == size && r == root);
        remembered
            || ledger::verify_checkpoint(note, &self.0.verifying_key())
                .is_ok_and(|cp| cp.size == size && cp.root == *root)
    }
    fn real_now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}

/// Fills `catalog`'s ledger up to `entries` entries, 20,000 events per signed commit.
pub(crate) async fn fill(app: &App, signer: &BenchSigner, entries: u64) -> Result<(), AppError> {
    let catalog = app.catalog();
    let mut next = catalog.ledger_size().await?;
    while next < entries {
        let batch: Vec<Change> = (next..(next + 20_000).min(entries)).map(event).collect();
        next += batch.len() as u64;
        catalog.commit(app.now(), "bench", &batch, signer).await?;
    }
    Ok(())
}

/// Runs the ledger benchmark in a fresh directory under `work_dir` (removed after).
pub async fn bench_ledger(
    entries: u64,
    appends: u64,
    runs: usize,
    work_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchLedgerReport, AppError> {
    if !(2..=100_000_000).contains(&entries) {
        return Err(AppError::Invalid("日志条数须在 2 到 100000000 之间".into()));
    }
    if !(1..=1_000_000).contains(&appends) {
        return Err(AppError::Invalid("追加次数须在 1 到 1000000 之间".into()));
    }
    if !(1..=100).contains(&runs) {
        return Err(AppError::Invalid("轮数须在 1 到 100 之间".into()));
    }
    let work = work_dir.join(format!("bench-ledger-{}", std::process::id()));
    let result = run_ledger_bench(entries, appends, runs, &work, clock).await;
    let _ = fs::remove_dir_all(&work);
    result
}

async fn run_ledger_bench(
    entries: u64,
    appends: u64,
    runs: usize,
    work: &Path,
    clock: Arc<dyn Clock>,
) -> Result<BenchLedgerReport, AppError> {
    let init = |name: &str| {
        App::init(
            DataDir::new(work.join(name)),
            InitOptions::default(),
            clock.clone(),
        )
    };

    // Durable appends against the baseline, in stretches of `STRETCH` commits that alternate
    // (ours then the baseline, then the baseline then ours…), so that both sides meet the same
    // disk: on this kind of virtual disk the fsync time drifts by a third within seconds, and
    // whole rounds one after the other measured the drift as much as the commits.
    let app = init("appends").await?;
    let signer = BenchSigner::of(&app)?;
    let ours_commit = |i: u64| {
        let (app, signer) = (&app, &signer);
        async move {
            app.catalog()
                .commit(app.now(), "bench", &[event(i)], signer)
                .await
                .map(|_| ())
        }
    };
    // Untimed, as the baseline's first commits are: the write-ahead log reaches its working size.
    for i in 0..appends {
        ours_commit(i).await?;
    }
    let base_err =
        |e: zhilu_store::StoreError| AppError::Invalid(format!("基准 SQLite 数据库出错：{e}"));
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let db = work.join(format!("baseline-{run}.db"));
        let mut baseline = SingleRowCommits::open(&db, appends).map_err(base_err)?;
        let (mut ours_time, mut base_time) = (Duration::ZERO, Duration::ZERO);
        let mut done = 0;
        while done < appends {
            let n = STRETCH.min(appends - done);
            let ours_first = (done / STRETCH).is_multiple_of(2);
            for side in [ours_first, !ours_first] {
                let t = Instant::now();
                if side {
                    for i in done..done + n {
                        ours_commit(i).await?;
                    }
                    ours_time += t.elapsed();
                } else {
                    baseline.commit(n).map_err(base_err)?;
                    base_time += t.elapsed();
                }
            }
            done += n;
        }
        ours.push(appends as f64 / ours_time.as_secs_f64());
        base.push(appends as f64 / base_time.as_secs_f64());
        drop(baseline);
        for end in ["", "-wal", "-shm"] {
            let _ = fs::remove_file(work.join(format!("baseline-{run}.db{end}")));
        }
    }
    let durable_appends_per_s = Spread::of(ours);
    let sqlite_single_row_commits_per_s = Spread::of(base);

    // The app's write path, once: before / after, then with a witness.
    let actor = Actor::system("bench");
    let t = Instant::now();
    for _ in 0..appends {
        load_calendar(&app, &actor, CALENDAR).await?;
        app.settle().await;
    }
    let before = appends as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..appends {
        load_calendar(&app, &actor, CALENDAR).await?;
    }
    app.settle().await;
    let after = appends as f64 / t.elapsed().as_secs_f64();
    let w = witnessed(&app, &actor, &signer, work, appends).await?;
    app.close().await;
    drop(app);
    let _ = fs::remove_dir_all(work.join("appends"));

    // Bulk fill, interleaved with the baseline; the first catalog is kept for the proofs.
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    let mut rows: Option<Arc<LedgerRows>> = None;
    let mut kept = None;
    for run in 0..runs {
        let name = format!("fill-{run}");
        let app = init(&name).await?;
        let signer = BenchSigner::of(&app)?;
        let t = Instant::now();
        fill(&app, &signer, entries).await?;
        ours.push(entries as f64 / t.elapsed().as_secs_f64());
        if rows.is_none() {
            rows = Some(Arc::new(ledger_rows(app.catalog()).await?));
        }
        if let Some(r) = &rows {
            let db = work.join(format!("bulk-{run}.db"));
            let (db2, r2) = (db.clone(), Arc::clone(r));
            let s = tokio::task::spawn_blocking(move || {
                zhilu_store::testing::sqlite_bulk_ledger_rows(&db2, &r2)
            })
            .await
            .map_err(|e| AppError::Invalid(format!("基准任务失败：{e}")))??;
            base.push(r.len() as f64 / s);
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(format!("{}{suffix}", db.display()));
            }
        }
        // The first catalog is kept: the baseline's rows and the in-memory tree are its own.
        if kept.is_none() {
            kept = Some(app);
        } else {
            app.close().await;
            drop(app);
            let _ = fs::remove_dir_all(work.join(name));
        }
    }
    let fill_entries_per_s = Spread::of(ours);
    let sqlite_bulk_entries_per_s = Spread::of(base);
    let rows = rows.ok_or_else(|| AppError::Invalid("没有运行任何一轮".into()))?;
    let sqlite_bulk_key_rows = rows.len() as u64;

    // Proofs from the first filled catalog, interleaved with the same from memory.
    let app = kept.ok_or_else(|| AppError::Invalid("没有运行任何一轮".into()))?;
    let catalog = app.catalog();
    let alg = catalog.hash_alg();
    let (size, root) = catalog.ledger_head().await?;
    let leaves: Vec<ledger::Hash> = rows
        .iter()
        .map(|e| alg.leaf_hash(e.body.as_bytes()))
        .collect();
    drop(rows);
    let mut tree = MemoryTree::new(alg);
    for leaf in &leaves {
        tree.append(*leaf);
    }
    if tree.size() != size || tree.root() != root {
        return Err(AppError::Invalid(
            "基准出错：内存中的树与编目库中的不一致".into(),
        ));
    }
    let probes = 1000u64;
    let pick = |k: u64| (k.wrapping_mul(2_654_435_761) ^ 0x9e37) % size;
    let (mut from_catalog, mut from_memory, mut consistency) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs as u64 {
        let t = Instant::now();
        for k in run * probes..(run + 1) * probes {
            let i = pick(k);
            let body = catalog.ledger_entries(i, 1).await?;
            let leaf = alg.leaf_hash(body.first().map(|e| e.body.as_bytes()).unwrap_or_default());
            let proof = catalog.inclusion_proof(i, size).await?;
            ledger::verify_inclusion(alg, &leaf, i, size, &proof, &root)?;
        }
        from_catalog.push(t.elapsed().as_secs_f64() * 1e6 / probes as f64);
        let t = Instant::now();
        for k in run * probes..(run + 1) * probes {
            let i = pick(k);
            let leaf = leaves[i as usize];
            let proof = tree.inclusion_proof(i, size)?;
            ledger::verify_inclusion(alg, &leaf, i, size, &proof, &root)?;
        }
        from_memory.push(t.elapsed().as_secs_f64() * 1e6 / probes as f64);
        let t = Instant::now();
        for k in run * probes..(run + 1) * probes {
            let old = pick(k).max(1);
            let proof = catalog.consistency_proof(old, size).await?;
            let old_root = catalog.root_at(old).await?;
            ledger::verify_consistency(alg, old, size, &old_root, &root, &proof)?;
        }
        consistency.push(t.elapsed().as_secs_f64() * 1e6 / probes as f64);
    }
    app.close().await;
    let catalog_inclusion_proof_us = Spread::of(from_catalog);
    let memory_inclusion_proof_us = Spread::of(from_memory);
    let sqlite_median = sqlite_single_row_commits_per_s.median;

    Ok(BenchLedgerReport {
        runs,
        durable_appends: appends,
        durable_vs_sqlite: durable_appends_per_s.median / sqlite_median,
        durable_appends_per_s,
        sqlite_single_row_commits_per_s,
        log_entries: size,
        fill_vs_sqlite: fill_entries_per_s.median / sqlite_bulk_entries_per_s.median,
        fill_entries_per_s,
        sqlite_bulk_entries_per_s,
        sqlite_bulk_key_rows,
        proof_probes: probes,
        catalog_vs_memory_inclusion: catalog_inclusion_proof_us.median
            / memory_inclusion_proof_us.median,
        catalog_inclusion_proof_us,
        memory_inclusion_proof_us,
        catalog_consistency_proof_us: Spread::of(consistency),
        use_case: "zhilu_app::setup::load_calendar",
        appends_waiting_for_checkpoint_file_per_s: before,
        appends_background_checkpoint_file_per_s: after,
        after_vs_sqlite: after / sqlite_median,
        witnessed_appends_per_s: w.appends_per_s,
        witnessed_vs_after: w.appends_per_s / after,
        cosignatures_kept: w.cosignatures,
        appends_per_cosignature: w.appends as f64 / w.cosignatures.max(1) as f64,
        witness_offers: w.offers,
        witness_offer_mean_us: w.offer_mean_us,
        witness_offer_median_us: w.offer_median_us,
    })
}

/// A ledger's rows as stored.
type LedgerRows = Vec<zhilu_store::testing::StoredLedgerRow>;

/// Every row of `catalog`'s ledger as stored.
async fn ledger_rows(catalog: &Catalog) -> Result<LedgerRows, AppError> {
    Ok(zhilu_store::testing::stored_ledger_rows(catalog).await?)
}

/// Commits per stretch of the durable-append row (about 15 ms of fsyncs on either side).
const STRETCH: u64 = 100;

/// The calendar the app figures load again and again (one small `calendar.loaded` entry).
const CALENDAR: &str =
    "[years.2027]\nsource = \"基准测试\"\nholidays = [\"2027-01-01\"]\nworkdays = []\n";

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
