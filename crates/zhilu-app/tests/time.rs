//! X1, time (issue #10): every ledger entry records the real time beside the business time; a
//! replayed "now" works only in a directory created for replay, whose checkpoints say so; and a
//! real clock set back is reported by `verify`.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use zhilu_app::integrity::verify;
use zhilu_app::registry::register_device;
use zhilu_app::testing::TestApp;
use zhilu_app::{Actor, App, Clock, DataDir, FixedClock, InitOptions, SystemClock};

async fn last_entry(app: &App) -> serde_json::Value {
    let (size, _) = app.catalog().ledger_head().await.expect("head");
    let e = app
        .catalog()
        .ledger_entries(size - 1, 1)
        .await
        .expect("entry")
        .remove(0);
    serde_json::from_str(&e.body).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_a_replayed_now_is_refused_in_a_real_directory() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = zhilu_store::testing::fresh_database_url(tmp.path()).await;
    let dir = DataDir::new(tmp.path().join("data"));
    let app = App::init(
        dir.clone(),
        InitOptions {
            database_url: Some(url.clone()),
            ..InitOptions::default()
        },
        Arc::new(SystemClock),
    )
    .await
    .expect("init on the real clock");
    assert!(!app.is_replay());
    app.close().await;

    let replayed = Arc::new(FixedClock(
        Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap(),
    ));
    let refused = App::open(dir.clone(), replayed.clone(), Some(url.clone()))
        .await
        .expect_err("a replayed clock is refused");
    assert_eq!(refused.code(), "replay_not_allowed", "{refused}");
    assert!(refused.to_string().contains("重放"), "{refused}");
    // Nor can `init` run again with a replayed clock turn it into a replay directory.
    let again = App::init(
        dir.clone(),
        InitOptions {
            database_url: Some(url.clone()),
            replay: true,
            ..InitOptions::default()
        },
        replayed,
    )
    .await
    .expect_err("still refused");
    assert_eq!(again.code(), "replay_not_allowed");

    // On the real clock it opens, and its checkpoints carry no replay mark.
    let app = App::open(dir.clone(), Arc::new(SystemClock), Some(url))
        .await
        .expect("opens");
    let note = std::fs::read_to_string(dir.checkpoint()).expect("checkpoint");
    let origin = note.lines().next().expect("origin");
    assert_eq!(origin, zhilu_app::origin(app.verifying_key(), false));
    assert!(!origin.contains("replay"));
    let first = app.catalog().ledger_entries(0, 1).await.expect("entry");
    assert_eq!(first[0].state()["replay"], serde_json::json!(false));
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_a_replay_directory_records_the_real_time_beside_the_replayed_one() {
    let t = TestApp::new().await;
    let app = t.app();
    assert!(
        app.is_replay(),
        "a directory made with a replayed clock is a replay one"
    );
    // The business clock goes back to 2019 (a training scenario); the entry says so, and says
    // separately when it was really written.
    let then = Utc.with_ymd_and_hms(2019, 3, 1, 2, 0, 0).unwrap();
    t.set_now(then);
    register_device(
        app,
        &Actor::test("test"),
        zhilu_app::testing::camera("DSJ-2019"),
    )
    .await
    .expect("register");
    let body = last_entry(app).await;
    assert_eq!(body["v"], 2);
    assert_eq!(body["at"].as_i64(), Some(then.timestamp_micros()));
    let real = body["real_at"].as_i64().expect("real time recorded");
    let now = Utc::now().timestamp_micros();
    assert!(
        (now - 60_000_000..=now).contains(&real),
        "the real time is the machine's, not the replayed one"
    );
    let note = std::fs::read_to_string(app.data_dir().checkpoint()).expect("checkpoint");
    assert!(
        note.lines().next().expect("origin").ends_with("/replay"),
        "its checkpoints say it is a replay directory: {note}"
    );
    // Moving the business clock back is not a problem in a replay directory.
    let r = verify(app, &Actor::test("test")).await.expect("verify");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
}

/// A clock whose real time the test sets, as a machine whose clock an administrator sets back.
struct SettableRealClock {
    business: DateTime<Utc>,
    real: Mutex<DateTime<Utc>>,
}

impl Clock for SettableRealClock {
    fn now(&self) -> DateTime<Utc> {
        self.business
    }
    fn real_now(&self) -> DateTime<Utc> {
        *self.real.lock().expect("lock")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_a_real_clock_set_back_is_reported_by_verify() {
    let t = TestApp::new().await;
    let start = Utc::now();
    let clock = Arc::new(SettableRealClock {
        business: zhilu_app::testing::default_now(),
        real: Mutex::new(start),
    });
    let app = App::open(t.data_dir(), clock.clone(), Some(t.db_url().to_string()))
        .await
        .expect("open");
    let actor = Actor::test("test");
    register_device(&app, &actor, zhilu_app::testing::camera("DSJ-A"))
        .await
        .expect("a");
    // A small step back (an NTP correction) is tolerated...
    *clock.real.lock().expect("lock") = start - Duration::seconds(2);
    register_device(&app, &actor, zhilu_app::testing::camera("DSJ-B"))
        .await
        .expect("b");
    let r = verify(&app, &actor).await.expect("verify");
    assert!(r.problems.is_empty(), "{:#?}", r.problems);
    // ...an hour back is reported, naming the entry.
    *clock.real.lock().expect("lock") = start - Duration::hours(1);
    register_device(&app, &actor, zhilu_app::testing::camera("DSJ-C"))
        .await
        .expect("c");
    let (size, _) = app.catalog().ledger_head().await.expect("head");
    let r = verify(&app, &actor).await.expect("verify");
    t.tampered(); // teardown's verify would report the same clock
    assert!(
        r.problems
            .iter()
            .any(|p| p.entry == Some(size - 2) && p.message.contains("时钟被调回")),
        "{:#?}",
        r.problems
    );
    app.close().await;
}
