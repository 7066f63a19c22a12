//! Several servers on one catalog (issue 15, X4), each over its own data directory: the device
//! lock every writer meets at (one offload or station upload of a device at a time, whichever
//! server runs it), and a station's upload resumed on another server through a shared
//! `uploads_dir`. The second directory joins the first's catalog the documented way (the key
//! copied, the same vault roots, `zhilu init` with the same database URL).

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::Value;
use support::*;
use zhilu_app::model::{DeviceSerial, SessionStatus};
use zhilu_app::offload::{self, OffloadRequest, Progress};
use zhilu_app::station::client::{IngestRequest, ingest};
use zhilu_app::{Actor, App, AppError, Config, DataDir, FixedClock};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The PostgreSQL server of the run, if any (the device lock across servers is PostgreSQL's).
fn on_postgres() -> bool {
    std::env::var("ZHILU_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty())
}

/// Writes `uploads_dir` into the configuration of the data directory `dir`.
fn set_uploads_dir(dir: &Path, uploads: Option<&Path>) {
    let file = dir.join(Config::FILE);
    let mut cfg = Config::load(&file).expect("zhilu.toml");
    cfg.uploads_dir = uploads.map(Path::to_path_buf);
    std::fs::write(&file, cfg.to_toml()).expect("write zhilu.toml");
}

/// A second data directory joining `t`'s catalog: the signing key copied by the operator, the
/// first directory's vault roots (as absolute paths), `zhilu init` with the same database URL.
fn join(t: &TestApp, uploads: Option<&Path>) -> PathBuf {
    let one = t.data();
    let two = t.scratch().join("data-2");
    std::fs::create_dir_all(two.join("keys")).expect("keys");
    for f in ["ledger.key", "ledger.pub"] {
        std::fs::copy(one.join("keys").join(f), two.join("keys").join(f)).expect("copy key");
    }
    let first = Config::load(&one.join(Config::FILE)).expect("first zhilu.toml");
    let cfg = Config {
        vault_roots: first
            .vault_roots
            .iter()
            .map(|r| DataDir::new(&one).vault_root(r))
            .collect(),
        uploads_dir: uploads.map(Path::to_path_buf),
        ..Config::default()
    };
    std::fs::write(two.join(Config::FILE), cfg.to_toml()).expect("zhilu.toml");
    let out = t
        .cmd()
        .env("ZHILU_DATA_DIR", &two)
        .args(["--json", "init"])
        .output()
        .expect("run zhilu init");
    assert!(
        out.status.success(),
        "joining init: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    two
}

async fn open(t: &TestApp, dir: &Path) -> Result<App, AppError> {
    App::open(
        DataDir::new(dir),
        Arc::new(FixedClock(t.now())),
        Some(t.db_url().to_string()),
    )
    .await
}

/// `zhilu verify` over data directory `dir` passes.
fn verifies(t: &TestApp, dir: &Path) {
    let out = t
        .cmd()
        .env("ZHILU_DATA_DIR", dir)
        .args(["--json", "verify"])
        .output()
        .expect("run zhilu verify");
    let v: Value = serde_json::from_slice(&out.stdout).expect("verify json");
    assert_eq!(v["ok"], true, "verify in {}: {v}", dir.display());
}

/// Progress that stops an offload right after its session is recorded as running (with the
/// device's lock held), until the test lets it go on.
struct Gate {
    reached: Mutex<mpsc::Sender<()>>,
    go: Mutex<mpsc::Receiver<()>>,
}

impl Progress for Gate {
    fn planned(&self, _files: u64, _bytes: u64) {
        let _ = self.reached.lock().expect("gate").send(());
        tokio::task::block_in_place(|| {
            let _ = self.go.lock().expect("gate").recv();
        });
    }
}

/// `app`'s offload of DSJ0001 (`clip.mov` from `cam-a`), started and stopped at its first file
/// with its session running and the device's lock held: the task, the sender that lets it go
/// on, and the session's id.
async fn paused_offload(
    t: &TestApp,
    app: &Arc<App>,
    actor: &Actor,
) -> (
    tokio::task::JoinHandle<Result<offload::OffloadReport, AppError>>,
    mpsc::Sender<()>,
    zhilu_app::model::SessionId,
) {
    let cam = t.device_dir("cam-a");
    std::fs::copy(fixture("clip.mov"), cam.join("clip.mov")).expect("copy");
    let (reached_tx, reached) = mpsc::channel();
    let (go, go_rx) = mpsc::channel();
    let gate = Gate {
        reached: Mutex::new(reached_tx),
        go: Mutex::new(go_rx),
    };
    let running = {
        let (app, actor, req) = (Arc::clone(app), actor.clone(), request(&cam));
        tokio::spawn(async move { offload::offload(&app, &actor, &req, &gate).await })
    };
    tokio::task::spawn_blocking(move || reached.recv_timeout(Duration::from_secs(60)))
        .await
        .expect("join")
        .expect("the offload reached its first file");
    let session = app
        .catalog()
        .sessions()
        .await
        .expect("sessions")
        .into_iter()
        .find(|s| s.status == SessionStatus::Running)
        .expect("the session is running")
        .id;
    (running, go, session)
}

fn request(source: &Path) -> OffloadRequest {
    OffloadRequest {
        source: source.to_path_buf(),
        device: "DSJ0001".into(),
        officer: "000123".into(),
        station: "CJZ-01".into(),
        device_clock: None,
        clear_device: false,
    }
}

/// Two servers on one PostgreSQL catalog, device DSJ0001 ready to offload: the first data
/// directory, the second joined to its catalog, and a runtime; `None` (saying why) when the tests
/// do not run on PostgreSQL, where the device lock across servers lives.
fn two_servers() -> Option<(TestApp, PathBuf, tokio::runtime::Runtime)> {
    if !on_postgres() {
        eprintln!(
            "ZHILU_TEST_POSTGRES_URL is not set: the device lock across servers is PostgreSQL's (SQLite's writers share one machine's lock files)"
        );
        return None;
    }
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let two = join(&t, None);
    Some((t, two, runtime()))
}

/// Servers A (the first directory) and B (`two`), open.
async fn open_both(t: &TestApp, two: &Path) -> (Arc<App>, Arc<App>) {
    let a = Arc::new(open(t, &t.data()).await.expect("open A"));
    let b = Arc::new(open(t, two).await.expect("open B"));
    (a, b)
}

/// X4 on PostgreSQL: while server A offloads a device (its session `running`, the device's lock
/// held), server B's offload of that device is refused as in progress, B's station upload of
/// it waits, and A's running session is never taken for a cut-off one; once A is done, B's
/// upload goes on and A's session ends `finished`. A lock whose holder's connection is gone
/// (its process killed) is released.
#[test]
fn x4_device_lock_is_shared_by_servers_on_one_postgres_catalog() {
    let Some((t, two, rt)) = two_servers() else {
        return;
    };
    rt.block_on(async {
        let (a, b) = open_both(&t, &two).await;
        let actor = Actor::test("setup");

        // A's offload of DSJ0001, stopped with its session running.
        let (running_a, go, session_a) = paused_offload(&t, &a, &actor).await;

        // B's offload of the same device: refused, nothing marked.
        let cam_b = t.device_dir("cam-b");
        std::fs::copy(fixture("clip.avi"), cam_b.join("clip.avi")).expect("copy");
        let refused = offload::offload(&b, &actor, &request(&cam_b), &offload::Silent).await;
        assert!(
            matches!(refused, Err(AppError::OffloadInProgress(ref d)) if d.as_str() == "DSJ0001"),
            "{refused:?}"
        );

        // R18: B's `fixity --repair` while A runs. An object the catalog does not know may be
        // one A is storing right now: it is reported, never moved aside, because A's lock is
        // seen from B.
        let bytes = b"an object an offload on another server is storing".to_vec();
        let sha: [u8; 32] = {
            use sha2::Digest;
            sha2::Sha256::digest(&bytes).into()
        };
        let root = &b.vault().roots()[0];
        let mut pending = root.begin().expect("begin");
        std::io::Write::write_all(&mut pending, &bytes).expect("write");
        pending.finish(&sha).expect("finish");
        let admin = Actor::test("admin");
        let fixity = zhilu_app::integrity::fixity(&b, &admin, true)
            .await
            .expect("fixity");
        let orphan = fixity
            .orphans
            .iter()
            .find(|o| o.sha256.as_str() == hex::encode(sha))
            .expect("the unknown object is reported");
        assert_eq!(
            orphan.quarantined_to, None,
            "not quarantined while an offload runs on another server"
        );
        assert!(
            root.size_of(&hex::encode(sha)).expect("size").is_some(),
            "still in place"
        );

        // B's station upload of the same device waits for A.
        let part = t.scratch().join("received.avi");
        std::fs::copy(fixture("clip.avi"), &part).expect("copy");
        let device = DeviceSerial::parse("DSJ0001").expect("serial");
        let officer = zhilu_app::model::OfficerId::parse("000123").expect("officer");
        let station = zhilu_app::model::StationId::parse("ST-02").expect("station");
        let upload_b = {
            let (b, actor) = (Arc::clone(&b), actor.clone());
            let (part, device, officer, station) = (
                part.clone(),
                device.clone(),
                officer.clone(),
                station.clone(),
            );
            tokio::spawn(async move {
                offload::store_received(
                    &b,
                    &actor,
                    offload::Received {
                        path: &part,
                        device_path: "DCIM/clip.avi",
                        device: &device,
                        officer: &officer,
                        station: &station,
                    },
                )
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(!upload_b.is_finished(), "B's upload waits for A's offload");
        let still = a
            .catalog()
            .session(&session_a)
            .await
            .expect("session")
            .expect("A's session");
        assert_eq!(
            still.record.status,
            SessionStatus::Running,
            "A's running session is not taken for a cut-off one"
        );

        // A goes on and finishes; then B's upload proceeds.
        go.send(()).expect("let A go on");
        let report_a = running_a.await.expect("join").expect("A's offload");
        assert_eq!(report_a.imported, 1, "{report_a:#?}");
        let stored_b = tokio::time::timeout(Duration::from_secs(60), upload_b)
            .await
            .expect("B's upload proceeds once A is done")
            .expect("join")
            .expect("B's upload");
        assert!(stored_b.sha256.is_some(), "{stored_b:?}");
        let sessions = b.catalog().sessions().await.expect("sessions");
        let a_row = sessions
            .iter()
            .find(|s| s.id == session_a)
            .expect("A's session");
        assert_eq!(a_row.status, SessionStatus::Finished, "{a_row:?}");
        assert!(
            sessions
                .iter()
                .all(|s| s.status != SessionStatus::Interrupted),
            "no session marked cut off: {sessions:#?}"
        );
        // And B's offload, refused before, now goes through.
        let report_b = offload::offload(&b, &actor, &request(&cam_b), &offload::Silent)
            .await
            .expect("B's offload once the device is free");
        assert!(report_b.recovered_sessions.is_empty(), "{report_b:#?}");

        // A holder whose connection is gone (its process killed) holds nothing: the server ends
        // the session and its lock with it.
        let held = offload::lock_device(&a, &device, false)
            .await
            .expect("lock")
            .expect("free");
        assert!(
            offload::lock_device(&b, &device, false)
                .await
                .expect("lock")
                .is_none(),
            "held by A"
        );
        let killed = kill_lock_holders(&t).await;
        assert_eq!(killed, 1, "one connection holds an advisory lock");
        let got = tokio::time::timeout(
            Duration::from_secs(30),
            offload::lock_device(&b, &device, true),
        )
        .await
        .expect("the killed holder's lock is released")
        .expect("lock")
        .expect("held");
        got.release().await;
        drop(held);
        // A guard dropped without being released (a panic, an early return) frees it too.
        let dropped = offload::lock_device(&a, &device, false)
            .await
            .expect("lock")
            .expect("free");
        drop(dropped);
        let again = tokio::time::timeout(
            Duration::from_secs(30),
            offload::lock_device(&b, &device, true),
        )
        .await
        .expect("a dropped guard's lock is released")
        .expect("lock")
        .expect("held");
        again.release().await;
        a.close().await;
        b.close().await;
    });
    drop(rt);
    verifies(&t, &t.data());
    verifies(&t, &two);
}

/// X4 on PostgreSQL: server A's connection holding the device's lock is cut while A's offload
/// goes on (a network cut, a restart of the database). Server B may then take the device and
/// mark A's session interrupted; when A comes to close that session it refuses, in Chinese,
/// instead of writing `finished` over B's mark. What A stored meanwhile stays stored and both
/// directories verify.
#[test]
fn x4_a_session_taken_over_after_its_lock_was_lost_is_not_closed_over() {
    let Some((t, two, rt)) = two_servers() else {
        return;
    };
    rt.block_on(async {
        let (a, b) = open_both(&t, &two).await;
        let actor = Actor::test("setup");

        let (running_a, go, session_a) = paused_offload(&t, &a, &actor).await;

        // A's lock connection is cut; B takes the device and accounts for A's session.
        assert_eq!(kill_lock_holders(&t).await, 1, "A's lock connection");
        let cam_b = t.device_dir("cam-b");
        std::fs::copy(fixture("clip.avi"), cam_b.join("clip.avi")).expect("copy");
        let report_b = offload::offload(&b, &actor, &request(&cam_b), &offload::Silent)
            .await
            .expect("B's offload once A's lock is gone");
        assert_eq!(report_b.recovered_sessions, vec![session_a.clone()]);

        // A goes on: it stores its file, then refuses to close the session B accounted for.
        go.send(()).expect("let A go on");
        let closed_a = running_a.await.expect("join");
        match &closed_a {
            Err(AppError::OffloadFailed(m)) => {
                assert!(
                    m.contains("设备锁") && m.contains(session_a.as_str()),
                    "{m}"
                )
            }
            other => panic!("A's close over B's mark: {other:?}"),
        }
        let row = b
            .catalog()
            .session(&session_a)
            .await
            .expect("session")
            .expect("A's session");
        assert_eq!(row.record.status, SessionStatus::Interrupted, "{row:?}");
        let size = std::fs::metadata(fixture("clip.mov")).expect("size").len();
        let recordings = zhilu_app::offload::recordings(&b, &Actor::test("audit"), None)
            .await
            .expect("recordings");
        assert!(
            recordings.iter().any(|r| r.size == size),
            "A's file is stored: {recordings:#?}"
        );
        a.close().await;
        b.close().await;
    });
    drop(rt);
    verifies(&t, &t.data());
    verifies(&t, &two);
}

/// Ends, from outside, every connection to the test's database that holds an advisory lock (a
/// killed server's connection); how many.
async fn kill_lock_holders(t: &TestApp) -> u64 {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(t.raw_url())
        .await
        .expect("raw postgres");
    let pids: Vec<i32> = sqlx::query_scalar(
        "SELECT DISTINCT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_all(&mut c)
    .await
    .expect("advisory locks");
    for pid in &pids {
        let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .fetch_one(&mut c)
            .await
            .expect("terminate");
        assert!(ended);
    }
    pids.len() as u64
}

/// Registers station `id` through the binary (as the system administrator); its token.
fn register_station(t: &TestApp, id: &str) -> String {
    let reg = t.ok(&[
        "--actor",
        SYSADMIN,
        "station",
        "register",
        "--id",
        id,
        "--name",
        "一大队采集站",
    ]);
    reg["token"].as_str().expect("token").to_string()
}

/// A HEAD request: (status, its `Upload-Offset`).
fn head_offset(addr: &str, path: &str, token: &str) -> (u16, Option<u64>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let req = format!(
        "HEAD {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let head = String::from_utf8_lossy(&raw).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let offset = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("upload-offset")
            .then(|| v.trim().parse().ok())?
    });
    (status, offset)
}

/// X4 / R16: two servers on one catalog sharing one `uploads_dir`. A station sends part of a
/// file to server A and is cut off; server B answers A's offset (HEAD) and the station resumes
/// there from that byte, completes, and the file is stored once; both directories verify.
/// (Each server's own `uploads/` would have made B start again from 0.)
#[test]
fn x4_an_upload_cut_off_on_one_server_resumes_on_another() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let shared = t.scratch().join("shared-uploads");
    std::fs::create_dir_all(&shared).expect("shared uploads");
    set_uploads_dir(&t.data(), Some(&shared));
    let two = join(&t, Some(&shared));
    let token = register_station(&t, "ST-01");
    let cam = t.device_dir("cam");
    std::fs::copy(fixture("clip.avi"), cam.join("clip.avi")).expect("copy");
    let size = std::fs::metadata(cam.join("clip.avi")).expect("meta").len();
    let chunk = 16 * 1024;
    assert!(size > 3 * chunk, "the fixture spans several chunks");
    let rt = runtime();
    let start = |dir: PathBuf| {
        let t = &t;
        async move {
            let app = Arc::new(open(t, &dir).await.expect("open"));
            let running = zhilu_web::start(
                Arc::clone(&app),
                zhilu_web::ServeOptions {
                    bind: "127.0.0.1:0".parse().expect("addr"),
                    tls: None,
                },
            )
            .await
            .expect("serve");
            (app, running)
        }
    };
    let ((app_a, srv_a), (app_b, srv_b)) =
        rt.block_on(async { (start(t.data()).await, start(two.clone()).await) });
    let req = |url: &str, max_chunks| IngestRequest {
        source: cam.clone(),
        device: "DSJ0001".into(),
        officer: "000123".into(),
        station: "ST-01".into(),
        url: url.to_string(),
        token: token.clone(),
        ca_file: None,
        chunk,
        clear_device: false,
        max_chunks,
    };

    // Two chunks to A, then the station is cut off.
    let url_a = format!("http://{}", srv_a.addr);
    let r = rt
        .block_on(ingest(&req(&url_a, Some(2))))
        .expect("ingest A");
    assert_eq!(r.files[0].outcome, "interrupted", "{r:#?}");
    let parts: Vec<PathBuf> = std::fs::read_dir(&shared)
        .expect("shared")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(
        parts.len(),
        1,
        "A keeps the part in the shared folder: {parts:?}"
    );
    assert_eq!(std::fs::metadata(&parts[0]).expect("part").len(), 2 * chunk);
    assert!(
        !t.data()
            .join("uploads")
            .join(parts[0].file_name().expect("name"))
            .exists(),
        "not in A's own data directory"
    );
    let id = parts[0]
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("upload id")
        .to_string();

    // B answers the offset A received.
    let (status, offset) = head_offset(
        &srv_b.addr.to_string(),
        &format!("/api/v1/uploads/{id}"),
        &token,
    );
    assert_eq!((status, offset), (200, Some(2 * chunk)));

    // The station resumes against B from that byte and completes there.
    let url_b = format!("http://{}", srv_b.addr);
    let r = rt.block_on(ingest(&req(&url_b, None))).expect("ingest B");
    let f = &r.files[0];
    assert_eq!(
        (
            f.outcome.as_str(),
            f.resumed_from,
            f.bytes_sent,
            f.confirmed
        ),
        ("stored", 2 * chunk, size - 2 * chunk, true),
        "{r:#?}"
    );
    assert_eq!(
        f.sha256.as_deref(),
        Some(sha256_of(&cam.join("clip.avi")).as_str())
    );
    assert!(!parts[0].exists(), "the part file is removed once stored");

    // Stored once, by B's offload session; both directories verify.
    let recs = rt.block_on(async { app_a.catalog().recordings(None).await.expect("recordings") });
    let at_station: Vec<_> = recs
        .iter()
        .filter(|r| r.station.as_str() == "ST-01")
        .collect();
    assert_eq!(at_station.len(), 1, "{recs:#?}");
    assert_eq!(at_station[0].size, size);
    srv_a.handle.abort();
    srv_b.handle.abort();
    rt.block_on(async {
        app_a.close().await;
        app_b.close().await;
    });
    drop(rt);
    verifies(&t, &t.data());
    verifies(&t, &two);
}

/// `uploads_dir` is checked when a directory opens, in Chinese: it must exist, be a folder, and
/// overlap neither a vault root nor the data directory; a relative path is refused when read.
#[test]
fn x4_uploads_dir_is_checked_when_the_directory_opens() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let one = t.data();
    let rt = runtime();
    let refused = |uploads: &Path, want: &str| {
        set_uploads_dir(&one, Some(uploads));
        let e = rt
            .block_on(open(&t, &one))
            .map(|_| ())
            .expect_err("refused");
        let m = e.to_string();
        assert!(
            matches!(e, AppError::Config { .. }) && m.contains("uploads_dir") && m.contains(want),
            "{}: {m}",
            uploads.display()
        );
    };
    refused(&t.scratch().join("not-mounted"), "无法访问");
    let file = t.scratch().join("a-file");
    std::fs::write(&file, b"x").expect("file");
    refused(&file, "不是目录");
    refused(&one.join("vault/primary"), "存储位置");
    refused(&one.join("vault/primary/objects"), "存储位置");
    refused(&one, "重叠");
    std::fs::create_dir_all(one.join("uploads")).expect("uploads");
    refused(&one.join("uploads"), "数据目录");
    refused(t.scratch(), "存储位置");

    set_uploads_dir(&one, Some(&one.join("uploads")));
    let file = one.join(Config::FILE);
    let text = std::fs::read_to_string(&file).expect("zhilu.toml");
    let relative = text.replace(
        &format!("{:?}", one.join("uploads").display().to_string()),
        "\"shared/uploads\"",
    );
    std::fs::write(&file, relative).expect("write");
    let e = rt
        .block_on(open(&t, &one))
        .map(|_| ())
        .expect_err("relative");
    assert!(e.to_string().contains("须为绝对路径"), "{e}");
    std::fs::write(&file, text).expect("write");

    // A folder of its own opens, and uploads go there.
    let shared = t.scratch().join("shared-uploads");
    std::fs::create_dir_all(&shared).expect("shared");
    set_uploads_dir(&one, Some(&shared));
    let app = rt.block_on(open(&t, &one)).expect("opens");
    assert_eq!(app.data_dir().uploads(), shared);
    set_uploads_dir(&one, None);
    let app = rt.block_on(open(&t, &one)).expect("opens");
    assert_eq!(app.data_dir().uploads(), one.join("uploads"));
}
