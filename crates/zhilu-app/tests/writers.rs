//! Several writers at once: one shared `Arc<App>` used by many tasks (a server's request handlers)
//! and a second `App` on the same data directory (a CLI beside a running server). The database
//! serialises the ledger; identifiers cannot collide; a device cannot be out twice; and the
//! ledger verifies afterwards.

use std::sync::Arc;

use chrono::Duration;
use zhilu_app::records::{NewActivity, add_activity};
use zhilu_app::registry::{
    NewCheckout, NewDevice, NewOfficer, add_officer, checkout, register_device,
};
use zhilu_app::testing::TestApp;
use zhilu_app::{Actor, App, AppError, integrity};

async fn device(app: &App, serial: &str) -> Result<(), AppError> {
    register_device(
        app,
        &Actor::test("test"),
        NewDevice {
            serial: serial.into(),
            kind: "执法记录仪".into(),
            model: "DSJ-V9".into(),
            unit: "一大队".into(),
            keeper: "张伟".into(),
            asset_no: None,
        },
    )
    .await
    .map(|_| ())
}

async fn officer(app: &App, id: &str) {
    add_officer(
        app,
        &Actor::test("test"),
        NewOfficer {
            id: id.into(),
            name: format!("执法员{id}"),
            unit: "一大队".into(),
            role: None,
        },
    )
    .await
    .expect("officer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_many_writers_share_one_app_and_the_ledger_stays_whole() {
    let t = TestApp::with_profile("jinpu-wj").await;
    let app = Arc::clone(t.app());
    officer(&app, "000101").await;
    officer(&app, "000102").await;
    let before = integrity::head(&app, &Actor::test("test"))
        .await
        .expect("head")
        .0;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let app = Arc::clone(&app);
        let start = t.now() - Duration::hours(2) + Duration::minutes(i);
        tasks.push(tokio::spawn(async move {
            device(&app, &format!("DSJ{i:02}")).await.expect("device");
            // Activities of the same day draw numbers from one series at the same time.
            add_activity(
                &app,
                &Actor::test("000101"),
                NewActivity {
                    kind: "routine_inspection".into(),
                    subject_name: format!("市场主体{i}"),
                    place: "现场".into(),
                    officers: vec!["000101".into(), "000102".into()],
                    start,
                    end: start + Duration::minutes(30),
                    ..NewActivity::default()
                },
            )
            .await
            .expect("activity")
            .0
            .id
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.expect("task").to_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "every activity got its own number: {ids:?}");
    let (size, _) = integrity::head(&app, &Actor::test("test"))
        .await
        .expect("head");
    // Each device is two entries (registered + its 登记 event), each activity one.
    assert_eq!(size, before + 12 * 3);
    let report = integrity::verify(&app, &Actor::test("test"))
        .await
        .expect("verify");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_a_device_checked_out_by_several_writers_at_once_goes_to_one_officer() {
    let t = TestApp::with_profile("jinpu-wj").await;
    let app = Arc::clone(t.app());
    device(&app, "DSJ01").await.expect("device");
    for i in 0..6 {
        officer(&app, &format!("00010{i}")).await;
    }
    // A second application on the same data directory: a CLI beside a running server.
    let other = Arc::new(
        App::open(
            t.data_dir(),
            Arc::new(zhilu_app::SystemClock),
            Some(t.db_url().into()),
        )
        .await
        .expect("second app"),
    );
    let mut tasks = Vec::new();
    for i in 0..6 {
        let app = if i % 2 == 0 {
            Arc::clone(&app)
        } else {
            Arc::clone(&other)
        };
        tasks.push(tokio::spawn(async move {
            checkout(
                &app,
                &Actor::test("test"),
                NewCheckout {
                    device: "DSJ01".into(),
                    officer: format!("00010{i}"),
                    battery_pct: Some(90),
                    free_gb: Some(20),
                    clock_ok: true,
                },
            )
            .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => won += 1,
            Err(AppError::DeviceAlreadyOut { .. }) => {}
            Err(e) => panic!("unexpected refusal: {e}"),
        }
    }
    assert_eq!(won, 1, "exactly one checkout of DSJ01 succeeds");
    other.close().await;
    let report = integrity::verify(&app, &Actor::test("test"))
        .await
        .expect("verify");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_the_checkpoint_file_keeps_the_newest_checkpoint_whoever_writes_last() {
    let t = TestApp::new().await;
    let other = App::open(
        t.data_dir(),
        Arc::new(zhilu_app::SystemClock),
        Some(t.db_url().into()),
    )
    .await
    .expect("second app");
    for i in 0..10 {
        let a = if i % 2 == 0 { &**t.app() } else { &other };
        device(a, &format!("D{i}")).await.expect("device");
    }
    let (size, _) = integrity::head(t.app(), &Actor::test("test"))
        .await
        .expect("head");
    // The file is written after the commits, in the background of each app.
    t.app().settle().await;
    other.settle().await;
    let note = std::fs::read_to_string(t.data_dir().checkpoint()).expect("checkpoint file");
    let cp = zhilu_ledger::verify_checkpoint(&note, t.app().verifying_key()).expect("signed");
    assert_eq!(cp.size, size, "the file holds the latest signed head");
    other.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_verify_while_others_write_reports_no_false_problems() {
    let t = TestApp::with_profile("jinpu-wj").await;
    let app = Arc::clone(t.app());
    officer(&app, "000101").await;
    for i in 0..20 {
        device(&app, &format!("PRE{i:02}")).await.expect("device");
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (app, stop) = (Arc::clone(&app), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // New rows, and updates of rows the verifier may already have read.
                device(&app, &format!("NEW{n:03}")).await.expect("device");
                let out = checkout(
                    &app,
                    &Actor::test("test"),
                    NewCheckout {
                        device: format!("PRE{:02}", n % 20),
                        officer: "000101".into(),
                        battery_pct: Some(80),
                        free_gb: Some(16),
                        clock_ok: true,
                    },
                )
                .await;
                assert!(
                    matches!(out, Ok(_) | Err(AppError::DeviceAlreadyOut { .. })),
                    "{out:?}"
                );
                n += 1;
            }
            n
        })
    };
    let mut runs = 0;
    while runs < 8 {
        let report = integrity::verify(&app, &Actor::test("test"))
            .await
            .expect("verify");
        assert!(
            report.problems.is_empty(),
            "verify run {runs} while writing: {:#?}",
            report.problems
        );
        runs += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.expect("writer");
    assert!(written > 0, "the writer ran while verify did");
}
