//! X1 against root (issue #10): checkpoints are offered to witnesses, which cosign only a tree
//! that extends what they saw. A real witness runs on 127.0.0.1 in every test (the
//! `zhilu-witness` server over HTTP), on SQLite and on PostgreSQL.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zhilu_app::integrity::{VerifyOptions, verify, verify_with};
use zhilu_app::registry::register_device;
use zhilu_app::setup::{ProfileSource, apply_profile};
use zhilu_app::testing::TestApp;
use zhilu_app::witness::{self, Offer};
use zhilu_app::{Actor, App};

/// A witness at the legal office: its own directory, trusting this log, serving on 127.0.0.1.
struct LegalOffice {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    url: String,
    key: String,
}

async fn legal_office(app: &App) -> LegalOffice {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("witness");
    let vk = zhilu_witness::init(&dir, "legal-office").expect("witness init");
    zhilu_witness::trust(
        &dir,
        &zhilu_app::origin(app.verifying_key(), app.is_replay()),
        &app.verifying_key().to_string(),
    )
    .expect("trust");
    let w = zhilu_witness::Witness::open(&dir).expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(zhilu_witness::serve(listener, Arc::new(w)));
    LegalOffice {
        _tmp: tmp,
        dir,
        url,
        key: vk.to_string(),
    }
}

/// [`legal_office`], added to the data directory with its address.
async fn witnessed_by_legal_office(app: &App) -> LegalOffice {
    let w = legal_office(app).await;
    witness::add(app, &actor(), Some(&w.url), &w.key)
        .await
        .expect("add witness");
    w
}

async fn head(app: &App) -> u64 {
    app.catalog().ledger_head().await.expect("head").0
}

fn actor() -> Actor {
    Actor::test("test")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_a_witness_on_127_0_0_1_cosigns_every_commit_in_the_background() {
    let t = TestApp::new().await;
    let app = t.app();
    let w = witnessed_by_legal_office(app).await;
    for i in 0..5 {
        register_device(
            app,
            &actor(),
            zhilu_app::testing::camera(&format!("DSJ-{i}")),
        )
        .await
        .expect("register");
    }
    app.settle().await;
    let size = head(app).await;
    let list = witness::list(app, &actor()).await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].witnessed_size,
        Some(size),
        "the newest head is cosigned"
    );
    let r = verify(app, &actor()).await.expect("verify");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
    // The witness keeps the same size.
    let status = zhilu_witness::status(&w.dir, Duration::from_secs(3600)).expect("status");
    assert_eq!(status[0].size, size);
}

/// An insider rolls the database back to an earlier, consistent state (entries, nodes, head,
/// checkpoints, receipts and the checkpoint file all as they were): nothing local can tell. The
/// witness refuses the older tree and records a conflict, and `verify` names the rollback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_a_rollback_is_refused_and_recorded_by_the_witness_and_named_by_verify() {
    let t = TestApp::with_profile("zhejiang-rf").await;
    t.tampered();
    let app = t.app();
    let w = witnessed_by_legal_office(app).await;
    app.settle().await;
    let m = head(app).await;
    let old_note = std::fs::read_to_string(app.data_dir().checkpoint()).expect("note");
    // Later entries (events only, so no row needs undoing), witnessed.
    apply_profile(app, &actor(), &ProfileSource::Preset("jinpu-wj".into()))
        .await
        .expect("apply");
    apply_profile(app, &actor(), &ProfileSource::Preset("zhejiang-rf".into()))
        .await
        .expect("apply");
    app.settle().await;
    let n = head(app).await;
    assert!(n > m);
    assert_eq!(
        witness::list(app, &actor()).await.expect("list")[0].witnessed_size,
        Some(n)
    );

    rollback(&t, m).await;
    std::fs::write(app.data_dir().checkpoint(), &old_note).expect("old checkpoint file");
    let conflicts_before = zhilu_witness::conflicts(&w.dir).expect("conflicts").len();

    let reopened = App::open(
        t.data_dir(),
        Arc::new(zhilu_app::SystemClock),
        Some(t.db_url().to_string()),
    )
    .await
    .expect("opens");
    assert_eq!(head(&reopened).await, m);
    let r = verify(&reopened, &actor()).await.expect("verify");
    assert!(
        r.problems
            .iter()
            .any(|p| p.message.contains("legal-office") && p.message.contains("回滚")),
        "{:#?}",
        r.problems
    );
    let conflicts = zhilu_witness::conflicts(&w.dir).expect("conflicts");
    assert!(
        conflicts.len() > conflicts_before,
        "the witness recorded the refusal: {conflicts:#?}"
    );
    // `witness offer` says the same.
    let answers = witness::offer(&reopened, &actor()).await.expect("offer");
    assert!(
        matches!(answers[0].1, Offer::RolledBack { witness_size, ours } if witness_size == n && ours == m),
        "{answers:?}"
    );
    reopened.close().await;
}

/// The database rolled back to `m` entries, consistently, by SQL (both backends): each entry's row
/// holds the tree nodes it completed and its commit's checkpoint, so deleting the later rows (and
/// their lookup keys and cosignatures) leaves the catalog exactly as it stood at `m`.
async fn rollback(t: &TestApp, m: u64) {
    let sql = format!(
        "DELETE FROM ledger_entries WHERE seq >= {m}; DELETE FROM ledger_keys WHERE seq >= {m}; \
         DELETE FROM witness_cosignatures WHERE size > {m};"
    );
    zhilu_store::testing::raw_exec(t.raw_url(), &sql).await;
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else if e.file_name() != "zhilu.lock" {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// An auditor on another machine checks a copy of the data directory against the witness given
/// on the command line, not the copy's own list (which whoever made the copy controls).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_verify_of_a_copy_asks_the_witness_it_is_given() {
    let t = TestApp::new().await;
    let app = t.app();
    let w = witnessed_by_legal_office(app).await;
    register_device(app, &actor(), zhilu_app::testing::camera("DSJ-1"))
        .await
        .expect("register");
    app.close().await;
    let copy = t.scratch().join("copy");
    copy_dir(&t.data(), &copy);
    let config = std::fs::read_to_string(copy.join("zhilu.toml")).expect("config");
    let config: String = config
        .lines()
        .filter(|l| !l.starts_with("database_url"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(copy.join("zhilu.toml"), config).expect("config");
    // The catalog's copy: the embedded file, or a PostgreSQL database made from the original.
    let copy_url = match zhilu_store::testing::postgres_admin_url() {
        None => {
            std::fs::copy(t.scratch().join("catalog.db"), copy.join("catalog.db"))
                .expect("catalog");
            None
        }
        Some(admin) => {
            use sqlx::Connection;
            let original = t.db_url().rsplit('/').next().expect("db name").to_string();
            let name = format!("{original}_copy");
            let mut c = sqlx::PgConnection::connect(&admin).await.expect("admin");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {name} TEMPLATE {original}"
            )))
            .execute(&mut c)
            .await
            .expect("copy database");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            Some(format!("{base}/{name}"))
        }
    };
    let auditor = App::open(
        zhilu_app::DataDir::new(&copy),
        Arc::new(zhilu_app::SystemClock),
        copy_url,
    )
    .await
    .expect("copy opens");
    let opts = VerifyOptions {
        extra_witnesses: vec![(w.url.clone(), w.key.clone())],
        ..VerifyOptions::default()
    };
    let r = verify_with(&auditor, &actor(), &opts)
        .await
        .expect("verify");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
    auditor.close().await;
}

/// A station with no network to the legal office: the request is carried there as a file and
/// the cosignature carried back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_an_air_gapped_witness_cosigns_by_carried_files() {
    let t = TestApp::new().await;
    let app = t.app();
    let w = legal_office(app).await;
    let added = witness::add(app, &actor(), None, &w.key)
        .await
        .expect("add witness without an address");
    register_device(app, &actor(), zhilu_app::testing::camera("DSJ-1"))
        .await
        .expect("register");
    let request = witness::request_file(app, &actor(), &added.name)
        .await
        .expect("request");
    let answer = zhilu_witness::cosign_request(&w.dir, &request).expect("witness reads it");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let offer = witness::accept_file(app, &actor(), &added.name, &request, answer.body.as_bytes())
        .await
        .expect("accept");
    let size = head(app).await;
    assert!(matches!(offer, Offer::Cosigned { size: s, .. } if s == size));
    // A forged answer (one byte changed) is refused.
    let mut forged = answer.body.clone().into_bytes();
    let i = forged.len() - 5;
    forged[i] ^= 1;
    assert!(
        witness::accept_file(app, &actor(), &added.name, &request, &forged)
            .await
            .is_err()
    );
    let r = verify(app, &actor()).await.expect("verify");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
}

/// Which witnesses a directory has is ledgered: adding and removing them are entries, so
/// removing one to silence it is itself on record. With none, verify warns (and passes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_witnesses_are_added_and_removed_by_ledger_entries() {
    let t = TestApp::new().await;
    let app = t.app();
    let r = verify(app, &actor()).await.expect("verify");
    assert!(r.problems.is_empty());
    assert!(
        r.warnings.iter().any(|w| w.message.contains("未配置见证")),
        "{:#?}",
        r.warnings
    );
    let w = legal_office(app).await;
    let added = witness::add(app, &actor(), Some(&w.url), &w.key)
        .await
        .expect("add");
    let again = witness::add(app, &actor(), Some(&w.url), &w.key).await;
    assert_eq!(again.expect_err("twice").code(), "already_exists");
    assert!(
        witness::remove(app, &actor(), &added.name, " ")
            .await
            .is_err(),
        "a reason is required"
    );
    witness::remove(app, &actor(), &added.name, "见证迁往上级机关")
        .await
        .expect("remove");
    let kinds: Vec<String> = app
        .catalog()
        .events_of_kinds(&[witness::ADDED, witness::REMOVED])
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec![witness::ADDED, witness::REMOVED]);
    assert!(witness::list(app, &actor()).await.expect("list").is_empty());
    assert!(
        witness::add(app, &actor(), Some("ftp://x"), &w.key)
            .await
            .is_err(),
        "only http:// addresses"
    );
}

/// An unreachable witness never holds up a commit; verify warns within the grace period and
/// reports the unwitnessed entries after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_an_unreachable_witness_never_blocks_and_verify_reports_it_after_the_grace() {
    let t = TestApp::new().await;
    let app = t.app();
    let w = legal_office(app).await;
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    witness::add(app, &actor(), Some(&url), &w.key)
        .await
        .expect("add");
    let started = Instant::now();
    for i in 0..3 {
        register_device(
            app,
            &actor(),
            zhilu_app::testing::camera(&format!("DSJ-{i}")),
        )
        .await
        .expect("register");
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "commits do not wait for the witness"
    );
    let r = verify(app, &actor()).await.expect("verify");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.message.contains("尚未经任何见证副署")),
        "{:#?}",
        r.warnings
    );
    let strict = VerifyOptions {
        witness_grace: chrono::Duration::zero(),
        ..VerifyOptions::default()
    };
    let r = verify_with(app, &actor(), &strict).await.expect("verify");
    assert!(
        r.problems
            .iter()
            .any(|p| p.message.contains("尚未经任何见证副署")),
        "{:#?}",
        r.problems
    );
    t.tampered(); // teardown's verify would wait out the same unreachable witness
}
