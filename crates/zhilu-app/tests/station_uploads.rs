//! A station upload's lifecycle as ledger state (issue 15; R16, R26): opened, then closed once as
//! stored, refused or abandoned, each transition one ledger entry committed with its row; the
//! offset alone moves beside the ledger. The abandoned sweep closes the row and writes its entry
//! in one commit, so a commit that fails leaves the upload open with no entry, and the next sweep
//! records it once. Uploads opened before catalog v14 keep working. SQLite, or PostgreSQL with
//! `ZHILU_TEST_POSTGRES_URL`; every test's teardown runs `verify` over the uploads it made.

use std::sync::Arc;

use serde_json::Value;
use zhilu_app::station::uploads::{
    self, ABANDONED_AFTER_DAYS, CLOSED_KIND, Created, NewUpload, NotTaken,
};
use zhilu_app::station::{self, NewStation};
use zhilu_app::testing::{TestApp, fixture};
use zhilu_app::{Actor, App, AppError};

const OPENED_KIND: &str = "station.upload_opened";

struct Env {
    t: TestApp,
    station: Actor,
}

impl Env {
    fn app(&self) -> &Arc<App> {
        self.t.app()
    }
}

/// A data directory with officer 000123, camera DSJ0001 and station ST-01 (no unit).
async fn env() -> Env {
    let t = TestApp::with_profile("luohe-xm").await;
    t.person("000123", "一大队", &["officer"]).await;
    let setup = Actor::test("setup");
    zhilu_app::registry::register_device(t.app(), &setup, zhilu_app::testing::camera("DSJ0001"))
        .await
        .expect("device");
    let token = station::register(
        t.app(),
        &setup,
        NewStation {
            id: "ST-01".into(),
            name: "ST-01 采集站".into(),
            unit: None,
        },
    )
    .await
    .expect("station")
    .token;
    let station = station::authenticate(t.app(), &token)
        .await
        .expect("station actor");
    Env { t, station }
}

fn hex_sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

fn hex_sm3(b: &[u8]) -> String {
    use sm3::Digest;
    hex::encode(sm3::Sm3::digest(b))
}

fn new_upload(name: &str, declared: &[u8]) -> NewUpload {
    NewUpload {
        device: "DSJ0001".into(),
        officer: "000123".into(),
        file_name: name.into(),
        size: declared.len() as u64,
        sha256: hex_sha256(declared),
        sm3: hex_sm3(declared),
    }
}

/// Declares `declared` as `name`; returns the upload id and whether it was resumed.
async fn declare(env: &Env, name: &str, declared: &[u8]) -> (String, u64, bool) {
    match uploads::create(env.app(), &env.station, new_upload(name, declared))
        .await
        .expect("create")
    {
        Created::Upload { upload, resumed } => (upload.id, upload.offset, resumed),
        Created::AlreadyStored(c) => panic!("already stored: {c:?}"),
    }
}

async fn append(env: &Env, id: &str, offset: u64, bytes: &[u8]) -> u64 {
    let mut a = uploads::begin_append(env.app(), &env.station, id, offset)
        .await
        .expect("begin")
        .unwrap_or_else(|n| panic!("not taken: {n:?}"));
    a.write(bytes).expect("write");
    a.finish().await.expect("finish")
}

async fn head(env: &Env) -> u64 {
    env.app().catalog().ledger_head().await.expect("head").0
}

/// The entries from `from` on: (kind, subject, state).
async fn entries_from(env: &Env, from: u64) -> Vec<(String, String, Value)> {
    env.app()
        .catalog()
        .ledger_entries(from, 1000)
        .await
        .expect("entries")
        .into_iter()
        .map(|e| (e.kind.clone(), e.subject.clone(), e.state()))
        .collect()
}

async fn raw(t: &TestApp, sql: &str) -> u64 {
    t.raw_exec(sql).await
}

/// A failure injected into every ledger append (a trigger refusing the insert): a commit
/// attempted while it is in place fails as a whole, as a crash or a full disk mid-commit would.
async fn break_ledger(t: &TestApp) {
    if t.raw_url().starts_with("sqlite:") {
        raw(
            t,
            "CREATE TRIGGER injected_failure BEFORE INSERT ON ledger_entries \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .await;
    } else {
        raw(
            t,
            "CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
             CREATE TRIGGER injected_failure BEFORE INSERT ON ledger_entries \
             FOR EACH ROW EXECUTE FUNCTION injected_failure();",
        )
        .await;
    }
}

async fn mend_ledger(t: &TestApp) {
    if t.raw_url().starts_with("sqlite:") {
        raw(t, "DROP TRIGGER injected_failure;").await;
    } else {
        raw(
            t,
            "DROP TRIGGER injected_failure ON ledger_entries; DROP FUNCTION injected_failure();",
        )
        .await;
    }
}

/// Sets an upload's last move back past the sweep's limit, as a week without a byte would.
async fn age(env: &Env, id: &str, offset: u64) {
    let idle = chrono::Utc::now() - chrono::Duration::days(ABANDONED_AFTER_DAYS + 1);
    env.app()
        .catalog()
        .set_station_upload_offset(id, offset, idle.timestamp_micros())
        .await
        .expect("age");
}

/// R16: opening an upload is one entry; bytes arriving are progress (no entry); completing it is
/// one `station.upload_closed` entry saying `stored`, committed with the row; asked again, the
/// same answer and nothing written. A refusal (hashes differ) is one close saying `refused`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_upload_lifecycle_is_ledgered() {
    let env = env().await;
    let bytes = std::fs::read(fixture("voice.mp3")).expect("fixture");
    let start = head(&env).await;
    let (id, offset, resumed) = declare(&env, "DCIM/voice.mp3", &bytes).await;
    assert_eq!((offset, resumed), (0, false));
    let opened = entries_from(&env, start).await;
    assert_eq!(opened.len(), 1, "{opened:#?}");
    assert_eq!(opened[0].0, OPENED_KIND);
    assert_eq!(opened[0].1, format!("station-upload:{id}"));
    assert_eq!(opened[0].2["status"], "open");
    assert_eq!(opened[0].2["file_name"], "DCIM/voice.mp3");
    assert!(
        opened[0].2.get("offset").is_none(),
        "progress is not ledger state"
    );

    let half = bytes.len() / 2;
    assert_eq!(append(&env, &id, 0, &bytes[..half]).await, half as u64);
    assert_eq!(
        append(&env, &id, half as u64, &bytes[half..]).await,
        bytes.len() as u64
    );
    assert_eq!(head(&env).await, start + 1, "progress writes no entry");

    let done = uploads::complete(env.app(), &env.station, &id)
        .await
        .expect("complete");
    assert!(done.stored && done.verified_in_every_root, "{done:?}");
    let after = entries_from(&env, start + 1).await;
    let closes: Vec<_> = after.iter().filter(|e| e.0 == CLOSED_KIND).collect();
    assert_eq!(closes.len(), 1, "{after:#?}");
    assert_eq!(closes[0].1, format!("station-upload:{id}"));
    assert_eq!(closes[0].2["status"], "stored");
    assert!(
        after.last().is_some_and(|e| e.0 == CLOSED_KIND),
        "the close comes after the recording is stored: {after:#?}"
    );
    let row = env
        .app()
        .catalog()
        .station_upload_versioned(&id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.record.status.as_str(), "stored");
    assert_eq!(
        row.version.ledger_seq(),
        head(&env).await - 1,
        "the row is stamped with its close"
    );
    let size = head(&env).await;
    let again = uploads::complete(env.app(), &env.station, &id)
        .await
        .expect("again");
    assert_eq!(again, done);
    assert_eq!(head(&env).await, size, "nothing written twice");

    // Bytes that do not hash to what was declared: refused, one close, nothing stored.
    let declared = std::fs::read(fixture("photo.jpg")).expect("fixture");
    let mut sent = declared.clone();
    sent[100] ^= 0xff;
    let (bad, _, _) = declare(&env, "DCIM/photo.jpg", &declared).await;
    append(&env, &bad, 0, &sent).await;
    let before = head(&env).await;
    let e = uploads::complete(env.app(), &env.station, &bad)
        .await
        .expect_err("refused");
    assert!(
        matches!(e, AppError::Conflict(ref m) if m.contains("哈希")),
        "{e}"
    );
    let refused = entries_from(&env, before).await;
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert_eq!(
        (refused[0].0.as_str(), &refused[0].2["status"]),
        (CLOSED_KIND, &Value::from("refused"))
    );
    // Every row against its entry.
    let report = zhilu_app::integrity::verify(env.app(), &Actor::system("test"))
        .await
        .expect("verify");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
}

/// R16, R26: the sweep closes the row and writes its entry in one commit. With every ledger
/// append failing (injected), the sweep fails and leaves the upload open, no entry, its part
/// file in place; mended, the next sweep records it with exactly one entry, and a third finds
/// nothing. (Closing the row by a statement of its own before the entry, as catalog v13 did,
/// leaves it abandoned with no entry here.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_sweep_commit_failing_leaves_the_upload_open_and_a_rerun_sweeps_it_once() {
    let env = env().await;
    let bytes = std::fs::read(fixture("clip.mov")).expect("fixture");
    let (id, _, _) = declare(&env, "DCIM/clip.mov", &bytes).await;
    append(&env, &id, 0, &bytes[..4096]).await;
    age(&env, &id, 4096).await;
    let part = env.t.data().join("uploads").join(format!("{id}.part"));
    assert!(part.exists());
    let sweeper = Actor::system("station-sweep");
    let before = head(&env).await;

    break_ledger(&env.t).await;
    let failed = uploads::sweep_abandoned(env.app(), &sweeper).await;
    mend_ledger(&env.t).await;
    assert!(failed.is_err(), "{failed:?}");
    let row = env
        .app()
        .catalog()
        .station_upload(&id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.status.as_str(), "open", "the row is not closed alone");
    assert_eq!(head(&env).await, before, "no entry");
    assert!(
        part.exists(),
        "the part file stays until the sweep is recorded"
    );

    let swept = uploads::sweep_abandoned(env.app(), &sweeper)
        .await
        .expect("sweep");
    assert_eq!(swept.swept.len(), 1, "{swept:#?}");
    assert_eq!(swept.swept[0].entry, before);
    assert_eq!(head(&env).await, before + 1, "exactly one entry");
    let e = entries_from(&env, before).await;
    assert_eq!(e[0].0, CLOSED_KIND);
    assert_eq!(e[0].1, format!("station-upload:{id}"));
    assert_eq!(e[0].2["status"], "abandoned");
    let found: Value =
        serde_json::from_str(e[0].2["outcome"].as_str().expect("outcome")).expect("json");
    assert_eq!(found["received"], 4096);
    assert_eq!(found["after_days"], ABANDONED_AFTER_DAYS);
    assert!(!part.exists());
    let again = uploads::sweep_abandoned(env.app(), &sweeper)
        .await
        .expect("sweep");
    assert!(again.swept.is_empty(), "{again:#?}");
    assert_eq!(head(&env).await, before + 1);
    // The station sending to it is told to start again.
    let r = uploads::begin_append(env.app(), &env.station, &id, 4096)
        .await
        .expect("begin");
    assert!(matches!(r, Err(NotTaken::Abandoned)));
}

/// R16: sweepers racing for one idle upload (nothing received, so no part file lock between
/// them: only the row's version decides): exactly one closes it, with one entry; the others
/// find the conflict and leave it without an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_racing_sweepers_close_an_upload_once() {
    let env = env().await;
    let bytes = std::fs::read(fixture("voice.mp3")).expect("fixture");
    let (id, _, _) = declare(&env, "voice.mp3", &bytes).await;
    age(&env, &id, 0).await;
    let before = head(&env).await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let app = env.app().clone();
        tasks.push(tokio::spawn(async move {
            uploads::sweep_abandoned(&app, &Actor::system("station-sweep")).await
        }));
    }
    let mut swept = 0;
    for t in tasks {
        let r = t
            .await
            .expect("task")
            .expect("a sweep losing the race is no error");
        swept += r.swept.len();
    }
    assert_eq!(swept, 1);
    assert_eq!(head(&env).await, before + 1);
    let row = env
        .app()
        .catalog()
        .station_upload(&id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.status.as_str(), "abandoned");
}

/// R16: uploads opened before catalog v14 (their rows moved by the migration to
/// `station_uploads_v13`, beside the ledger) keep working: an open one is resumed where it
/// stood, taken into the ledger with one entry, and completes; an idle one is swept; an ended
/// one answers as before, except that "stored" is not believed without the recording.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_uploads_of_catalog_v13_keep_working() {
    let env = env().await;
    let bytes = std::fs::read(fixture("voice.mp3")).expect("fixture");
    let photo = std::fs::read(fixture("photo.jpg")).expect("fixture");
    let now = chrono::Utc::now().timestamp_micros();
    let idle = now - (ABANDONED_AFTER_DAYS + 1) * 24 * 3600 * 1_000_000;
    let half = bytes.len() / 2;
    let parts = env.t.data().join("uploads");
    std::fs::create_dir_all(&parts).expect("uploads dir");
    std::fs::write(
        parts.join("0000aaaa-0000-4000-8000-000000000001.part"),
        &bytes[..half],
    )
    .expect("part");
    std::fs::write(
        parts.join("0000aaaa-0000-4000-8000-000000000002.part"),
        &photo[..100],
    )
    .expect("part");
    let row = |id: &str,
               name: &str,
               b: &[u8],
               offset: usize,
               status: &str,
               outcome: &str,
               at: i64| {
        format!(
            "INSERT INTO station_uploads_v13 (id, station, device_serial, officer, file_name, size, \
             sha256, sm3, upload_offset, status, outcome, created_at, updated_at) VALUES \
             ('{id}', 'ST-01', 'DSJ0001', '000123', '{name}', {}, '{}', '{}', {offset}, '{status}', \
             {outcome}, {at}, {at});",
            b.len(),
            hex_sha256(b),
            hex_sm3(b)
        )
    };
    let fake = format!(
        "'{{\"stored\":true,\"verified_in_every_root\":true,\"sha256\":\"{}\",\"outcome\":\"stored\"}}'",
        hex_sha256(b"never stored")
    );
    raw(
        &env.t,
        &[
            row(
                "0000aaaa-0000-4000-8000-000000000001",
                "voice.mp3",
                &bytes,
                half,
                "open",
                "NULL",
                now,
            ),
            row(
                "0000aaaa-0000-4000-8000-000000000002",
                "photo.jpg",
                &photo,
                100,
                "open",
                "NULL",
                idle,
            ),
            row(
                "0000aaaa-0000-4000-8000-000000000003",
                "x.mp4",
                b"never stored",
                12,
                "stored",
                &fake,
                now,
            ),
        ]
        .concat(),
    )
    .await;
    let start = head(&env).await;

    // Declared again: resumed where it stood, taken into the ledger once.
    let (id, offset, resumed) = declare(&env, "voice.mp3", &bytes).await;
    assert_eq!(id, "0000aaaa-0000-4000-8000-000000000001");
    assert_eq!((offset, resumed), (half as u64, true));
    let e = entries_from(&env, start).await;
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(
        (e[0].0.as_str(), e[0].1.as_str()),
        (
            OPENED_KIND,
            "station-upload:0000aaaa-0000-4000-8000-000000000001"
        )
    );
    let (again, _, _) = declare(&env, "voice.mp3", &bytes).await;
    assert_eq!(again, id);
    assert_eq!(head(&env).await, start + 1, "taken in once");
    append(&env, &id, half as u64, &bytes[half..]).await;
    let done = uploads::complete(env.app(), &env.station, &id)
        .await
        .expect("complete");
    assert!(done.stored, "{done:?}");

    // The idle one: taken in, then swept, one entry each.
    let before = head(&env).await;
    let swept = uploads::sweep_abandoned(env.app(), &Actor::system("station-sweep"))
        .await
        .expect("sweep");
    assert_eq!(swept.swept.len(), 1, "{swept:#?}");
    assert_eq!(swept.swept[0].id, "0000aaaa-0000-4000-8000-000000000002");
    let kinds: Vec<_> = entries_from(&env, before)
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(kinds, [OPENED_KIND, CLOSED_KIND]);

    // A row of the old table claiming "stored" for content the catalog does not hold.
    let e = uploads::complete(
        env.app(),
        &env.station,
        "0000aaaa-0000-4000-8000-000000000003",
    )
    .await
    .expect_err("not believed");
    assert!(
        matches!(e, AppError::Conflict(ref m) if m.contains("没有")),
        "{e}"
    );
}

/// R16, X1: an insider marking an upload "stored" behind the program (so that the station would
/// be told to clear the device) is named by `verify`; the offset moving (progress) is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_upload_status_changed_behind_the_program_is_named_by_verify() {
    let env = env().await;
    let bytes = std::fs::read(fixture("voice.mp3")).expect("fixture");
    let (id, _, _) = declare(&env, "voice.mp3", &bytes).await;
    append(&env, &id, 0, &bytes[..1000]).await;
    let system = Actor::system("test");
    let clean = zhilu_app::integrity::verify(env.app(), &system)
        .await
        .expect("verify");
    assert!(clean.problems.is_empty(), "{:#?}", clean.problems);
    env.t.tampered();
    let fake = format!(
        "{{\"stored\":true,\"verified_in_every_root\":true,\"sha256\":\"{}\",\"outcome\":\"stored\"}}",
        hex_sha256(&bytes)
    );
    let n = raw(
        &env.t,
        &format!(
            "UPDATE station_uploads SET status = 'stored', outcome = '{fake}' WHERE id = '{id}'"
        ),
    )
    .await;
    assert_eq!(n, 1);
    let report = zhilu_app::integrity::verify(env.app(), &system)
        .await
        .expect("verify");
    let subject = format!("station-upload:{id}");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.subject.as_deref() == Some(subject.as_str())),
        "{:#?}",
        report.problems
    );
    // Even before anyone runs verify, the station is not told the file is stored.
    let e = uploads::complete(env.app(), &env.station, &id)
        .await
        .expect_err("not believed");
    assert!(matches!(e, AppError::Conflict(_)), "{e}");
}
