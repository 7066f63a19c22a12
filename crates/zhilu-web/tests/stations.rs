//! Networked collection stations (R16, R26; issue 15): a real server on port 0 (SQLite, or
//! PostgreSQL with `ZHILU_TEST_POSTGRES_URL`), stations registered with a bearer credential,
//! the station client (`zhilu_app::station::client::ingest`) and the raw protocol.

mod common;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use common::{Env, OFFICER, env};
use serde_json::{Value, json};
use zhilu_app::Actor;
use zhilu_app::station::client::{IngestReport, IngestRequest, ingest};
use zhilu_app::station::{self, NewStation};
use zhilu_app::testing::fixture;

fn admin() -> Actor {
    Actor::test("setup")
}

/// Registers station `id` and returns its token.
async fn register(env: &Env, id: &str) -> String {
    station::register(
        env.app(),
        &admin(),
        NewStation {
            id: id.into(),
            name: format!("{id} 采集站"),
            unit: Some("一大队".into()),
        },
    )
    .await
    .expect("register station")
    .token
}

/// A device folder holding copies of these fixtures.
fn device_with(env: &Env, name: &str, files: &[&str]) -> PathBuf {
    let dir = env.t.device_dir(name);
    for f in files {
        std::fs::copy(fixture(f), dir.join(f)).expect("copy fixture");
    }
    dir
}

fn request(env: &Env, dir: &Path, device: &str, station: &str, token: &str) -> IngestRequest {
    IngestRequest {
        source: dir.to_path_buf(),
        device: device.into(),
        officer: OFFICER.into(),
        station: station.into(),
        url: env.base.clone(),
        token: token.into(),
        ca_file: None,
        chunk: 16 * 1024,
        clear_device: false,
        max_chunks: None,
    }
}

async fn recordings(env: &Env) -> Vec<zhilu_app::model::Recording> {
    env.app()
        .catalog()
        .recordings(None)
        .await
        .expect("recordings")
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

fn sm3_hex(b: &[u8]) -> String {
    use sm3::Digest;
    hex::encode(sm3::Sm3::digest(b))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Declares `bytes` as `file_name` of DSJ0001 over the raw protocol.
async fn declare(env: &Env, token: &str, file_name: &str, bytes: &[u8]) -> common::Resp {
    let body = json!({
        "device": "DSJ0001", "officer": OFFICER, "file_name": file_name,
        "size": bytes.len(), "sha256": sha256_hex(bytes), "sm3": sm3_hex(bytes),
    });
    env.client()
        .send(
            "POST",
            "/api/v1/uploads",
            Some(Bytes::from(body.to_string())),
            &[("authorization", &bearer(token))],
        )
        .await
}

async fn patch(env: &Env, token: &str, id: &str, offset: u64, chunk: &[u8]) -> common::Resp {
    env.client()
        .send(
            "PATCH",
            &format!("/api/v1/uploads/{id}"),
            Some(Bytes::copy_from_slice(chunk)),
            &[
                ("authorization", &bearer(token)),
                ("upload-offset", &offset.to_string()),
                ("content-type", "application/offset+octet-stream"),
            ],
        )
        .await
}

/// Sends a chunk's request line and headers declaring `len` bytes, and no body; returns the
/// status and the whole answer, which must come from the headers alone.
async fn declared_only(env: &Env, token: &str, id: &str, len: u64) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = env.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "PATCH /api/v1/uploads/{id} HTTP/1.1\r\nhost: {addr}\r\nauthorization: {}\r\n\
         upload-offset: 0\r\ncontent-type: application/offset+octet-stream\r\n\
         content-length: {len}\r\n\r\n",
        bearer(token)
    );
    s.write_all(head.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        s.read_to_end(&mut answer),
    )
    .await;
    assert!(
        read.is_ok(),
        "the server answered without waiting for the body"
    );
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

async fn post_station(env: &Env, token: &str, path: &str) -> common::Resp {
    env.client()
        .send("POST", path, None, &[("authorization", &bearer(token))])
        .await
}

async fn ledger_size(env: &Env) -> u64 {
    env.app().catalog().ledger_head().await.expect("head").0
}

fn file_of<'a>(r: &'a IngestReport, name: &str) -> &'a zhilu_app::station::client::SentFile {
    r.files
        .iter()
        .find(|f| f.file == name)
        .unwrap_or_else(|| panic!("{name} in {r:#?}"))
}

/// R16/R26: the station hashes, uploads, the platform stores and verifies in every root, and
/// only then does the station clear the device; the recordings name the station.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_station_uploads_and_clears_after_confirmation() {
    let env = env().await;
    let token = register(&env, "ST-01").await;
    let dir = device_with(&env, "cam-st", &["clip.avi", "clip.mov", "voice.mp3"]);
    // Without clearing: everything stored, the device untouched.
    let r = ingest(&request(&env, &dir, "DSJ0001", "ST-01", &token))
        .await
        .expect("ingest");
    assert!(r.complete, "{r:#?}");
    for f in ["clip.avi", "clip.mov", "voice.mp3"] {
        assert!(file_of(&r, f).confirmed, "{f}: {r:#?}");
        assert!(dir.join(f).exists(), "{f} cleared without being asked");
    }
    let recs = recordings(&env).await;
    for f in ["clip.avi", "clip.mov", "voice.mp3"] {
        let bytes = std::fs::read(fixture(f)).expect("fixture");
        let rec = recs
            .iter()
            .find(|x| x.sha256.as_str() == sha256_hex(&bytes))
            .unwrap_or_else(|| panic!("{f} not stored"));
        assert_eq!(rec.station.as_str(), "ST-01");
        assert_eq!(rec.original_path, f);
        assert!(
            env.app()
                .vault()
                .has_everywhere(rec.sha256.as_str(), rec.size)
                .expect("vault")
        );
    }
    // Again, with clearing: nothing stored twice, each file confirmed, then removed.
    let before = recs.len();
    let mut req = request(&env, &dir, "DSJ0001", "ST-01", &token);
    req.clear_device = true;
    let r = ingest(&req).await.expect("ingest again");
    assert!(r.complete && r.device_cleared, "{r:#?}");
    assert_eq!(r.bytes_sent, 0, "already stored: nothing sent");
    assert_eq!(recordings(&env).await.len(), before);
    for f in ["clip.avi", "clip.mov", "voice.mp3"] {
        assert_eq!(file_of(&r, f).outcome, "already_stored");
        assert!(!dir.join(f).exists(), "{f} still on the device");
    }
    env.t.assert_promises_kept().await;
}

/// R16: a run cut off after two chunks; the next run asks the offset and sends only the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_station_upload_resumes_after_client_killed_mid_file() {
    let env = env().await;
    let token = register(&env, "ST-01").await;
    let dir = device_with(&env, "cam-resume", &["clip.avi"]);
    let size = std::fs::metadata(dir.join("clip.avi")).expect("size").len();
    let mut req = request(&env, &dir, "DSJ0001", "ST-01", &token);
    req.chunk = 16 * 1024;
    req.max_chunks = Some(2);
    req.clear_device = true;
    let cut = ingest(&req).await.expect("first run");
    assert!(!cut.complete);
    assert_eq!(file_of(&cut, "clip.avi").outcome, "interrupted");
    assert_eq!(cut.bytes_sent, 2 * 16 * 1024);
    assert!(dir.join("clip.avi").exists(), "cleared before confirmation");
    let before = recordings(&env).await.len();

    req.max_chunks = None;
    let r = ingest(&req).await.expect("second run");
    assert!(r.complete && r.device_cleared, "{r:#?}");
    let f = file_of(&r, "clip.avi");
    assert_eq!(
        f.resumed_from,
        2 * 16 * 1024,
        "continued from the platform's offset"
    );
    assert_eq!(r.bytes_sent, size - 2 * 16 * 1024, "only the rest was sent");
    assert_eq!(recordings(&env).await.len(), before + 1);
    assert!(!dir.join("clip.avi").exists());
}

/// R16: the server stopped mid-upload — after a chunk was fsynced and while another was half
/// written — and started again on the same data directory: the upload resumes from the last
/// durable byte (the half-written bytes are cut away) and completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_server_restarted_mid_upload_resumes() {
    let mut env = env().await;
    let token = register(&env, "ST-01").await;
    let bytes = std::fs::read(fixture("clip.mov")).expect("fixture");
    let r = declare(&env, &token, "DCIM/clip.mov", &bytes).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = patch(&env, &token, &id, 0, &bytes[..10_000]).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(r.header("upload-offset"), Some("10000"));
    // A chunk half written when the server died: bytes on disk past the durable offset.
    let part = env.t.data().join("uploads").join(format!("{id}.part"));
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&part)
            .expect("part");
        f.write_all(b"half a chunk of garbage").expect("garbage");
    }
    // Restart: a new App on the same directory and catalog, a new server.
    let app = zhilu_app::App::open(
        env.t.data_dir(),
        std::sync::Arc::new(zhilu_app::FixedClock(env.t.now())),
        Some(env.t.db_url().to_string()),
    )
    .await
    .expect("reopen");
    let running = zhilu_web::start(
        std::sync::Arc::new(app),
        zhilu_web::ServeOptions {
            bind: "127.0.0.1:0".parse().expect("addr"),
            tls: None,
        },
    )
    .await
    .expect("restart");
    env.base = format!("http://{}", running.addr);
    let r = env
        .client()
        .send(
            "HEAD",
            &format!("/api/v1/uploads/{id}"),
            None,
            &[("authorization", &bearer(&token))],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("upload-offset"),
        Some("10000"),
        "the durable offset"
    );
    assert_eq!(
        std::fs::metadata(&part).expect("part").len(),
        10_000,
        "garbage cut away"
    );
    // Declaring again resumes the same upload.
    let r = declare(&env, &token, "DCIM/clip.mov", &bytes).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["id"], id);
    assert_eq!(r.json()["offset"], 10_000);
    let r = patch(&env, &token, &id, 10_000, &bytes[10_000..]).await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = post_station(&env, &token, &format!("/api/v1/uploads/{id}/complete")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let done = r.json();
    assert_eq!(done["stored"], true);
    assert_eq!(done["verified_in_every_root"], true);
    assert_eq!(done["sha256"], sha256_hex(&bytes));
    // Idempotent: the same answer again, nothing recorded twice.
    let size = ledger_size(&env).await;
    let again = post_station(&env, &token, &format!("/api/v1/uploads/{id}/complete")).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), done);
    assert_eq!(ledger_size(&env).await, size);
    assert!(!part.exists(), "part file removed once stored");
    running.handle.abort();
}

/// R16: a chunk at another offset than the platform holds is refused with 409 and the right
/// offset; nothing of it is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_wrong_offset_is_409_with_the_platforms_offset() {
    let env = env().await;
    let token = register(&env, "ST-01").await;
    let bytes = std::fs::read(fixture("voice.mp3")).expect("fixture");
    let r = declare(&env, &token, "voice.mp3", &bytes).await;
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = patch(&env, &token, &id, 0, &bytes[..4096]).await;
    assert_eq!(r.status, 204);
    for wrong in [0u64, 100, 8192] {
        let r = patch(&env, &token, &id, wrong, &bytes[4096..8192]).await;
        assert_eq!(r.status, 409, "{wrong}: {}", r.text());
        assert_eq!(r.json()["code"], "offset_mismatch");
        assert_eq!(r.json()["offset"], 4096);
        assert_eq!(r.header("upload-offset"), Some("4096"));
        assert!(
            r.json()["message"]
                .as_str()
                .expect("message")
                .contains("4096")
        );
    }
    let r = env
        .client()
        .send(
            "GET",
            &format!("/api/v1/uploads/{id}"),
            None,
            &[("authorization", &bearer(&token))],
        )
        .await;
    assert_eq!(r.json()["offset"], 4096);
    // A chunk without the header is a bad request.
    let r = env
        .client()
        .send(
            "PATCH",
            &format!("/api/v1/uploads/{id}"),
            Some(Bytes::from_static(b"x")),
            &[("authorization", &bearer(&token))],
        )
        .await;
    assert_eq!(r.status, 400);
}

/// R16: bytes that do not hash to what the station declared are refused at completion; nothing
/// is stored or recorded, and the upload cannot be completed afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_hash_mismatch_refused_and_nothing_recorded() {
    let env = env().await;
    let token = register(&env, "ST-01").await;
    let declared = std::fs::read(fixture("clip.mov")).expect("fixture");
    let mut sent = declared.clone();
    sent[20_000] ^= 0xff;
    let size = ledger_size(&env).await;
    let recs = recordings(&env).await.len();
    let r = declare(&env, &token, "clip.mov", &declared).await;
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = patch(&env, &token, &id, 0, &sent).await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = post_station(&env, &token, &format!("/api/v1/uploads/{id}/complete")).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("哈希")
    );
    // The upload's lifecycle is ledger state: opened, then closed as refused; nothing else.
    assert_eq!(
        ledger_size(&env).await,
        size + 2,
        "no recording, only the upload opened and refused"
    );
    let closed = env
        .app()
        .catalog()
        .ledger_entries(size + 1, 1)
        .await
        .expect("entry")
        .remove(0);
    assert_eq!(closed.kind, zhilu_app::station::uploads::CLOSED_KIND);
    assert_eq!(closed.state()["status"], "refused");
    assert_eq!(recordings(&env).await.len(), recs);
    assert!(
        env.app()
            .catalog()
            .recording(&zhilu_app::model::Sha256::parse(&sha256_hex(&sent)).expect("sha"))
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        !env.t
            .data()
            .join("uploads")
            .join(format!("{id}.part"))
            .exists()
    );
    let again = post_station(&env, &token, &format!("/api/v1/uploads/{id}/complete")).await;
    assert_eq!(again.status, 409);
    let r = patch(&env, &token, &id, 0, &declared).await;
    assert_eq!(r.status, 409, "a refused upload takes no more bytes");
}

/// R16: a revoked or unknown credential gets 401 with a Chinese message; so does none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_revoked_or_unknown_station_token_is_401() {
    let env = env().await;
    let token = register(&env, "ST-01").await;
    let bytes = std::fs::read(fixture("photo.jpg")).expect("fixture");
    let r = declare(&env, &token, "photo.jpg", &bytes).await;
    assert_eq!(r.status, 201, "{}", r.text());
    station::revoke(env.app(), &admin(), "ST-01")
        .await
        .expect("revoke");
    let forged = format!("{}0", &token[..token.len() - 1]);
    for t in [token.as_str(), forged.as_str(), "zst_ST-01_00", "nonsense"] {
        let r = declare(&env, t, "photo.jpg", &bytes).await;
        assert_eq!(r.status, 401, "{t}: {}", r.text());
        assert_eq!(r.json()["code"], "station_unauthenticated");
        assert!(
            r.json()["message"]
                .as_str()
                .expect("message")
                .contains("采集站凭据")
        );
    }
    let r = env
        .client()
        .send(
            "POST",
            "/api/v1/uploads",
            Some(Bytes::from_static(b"{}")),
            &[],
        )
        .await;
    assert_eq!(r.status, 401);
    // Registered again: a new token works, the old one stays refused.
    let fresh = register(&env, "ST-01").await;
    assert_ne!(fresh, token);
    assert_eq!(declare(&env, &fresh, "photo.jpg", &bytes).await.status, 200);
    assert_eq!(declare(&env, &token, "photo.jpg", &bytes).await.status, 401);
    let kinds = env.ledger_kinds().await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.starts_with("station.credential"))
            .count(),
        3,
        "registered, revoked, registered again: {kinds:?}"
    );
}

/// R16: a station's token reads nothing — no footage, no list of recordings, no other API —
/// and cannot touch another station's upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_station_token_cannot_read_footage_or_list_recordings() {
    let env = env().await;
    let token = register(&env, "ST-01").await;
    let other = register(&env, "ST-02").await;
    let auth = bearer(&token);
    for path in [
        "/api/v1/recordings".to_string(),
        format!("/api/v1/recordings/{}/content", env.sha),
        format!("/api/v1/recordings/{}/download", env.sha),
        "/api/v1/devices".to_string(),
        "/api/v1/offload-sessions".to_string(),
        "/api/v1/session".to_string(),
    ] {
        let r = env
            .client()
            .send("GET", &path, None, &[("authorization", &auth)])
            .await;
        assert!(
            r.status == 401 || r.status == 403,
            "{path}: {} {}",
            r.status,
            r.text()
        );
        assert!(
            !r.text().contains(&env.sha[..16]) || path.contains(&env.sha),
            "{path} leaked"
        );
    }
    let r = env
        .client()
        .send(
            "POST",
            "/api/v1/devices",
            Some(Bytes::from(
                json!({"serial": "X1", "kind": "执法记录仪", "model": "M",
                                     "unit": "一大队", "keeper": "张伟"})
                .to_string(),
            )),
            &[("authorization", &auth)],
        )
        .await;
    assert!(r.status == 401 || r.status == 403, "{}", r.text());
    // Another station's upload is not found for it.
    let bytes = std::fs::read(fixture("photo.jpg")).expect("fixture");
    let r = declare(&env, &other, "photo.jpg", &bytes).await;
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = patch(&env, &token, &id, 0, &bytes).await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = post_station(&env, &token, &format!("/api/v1/uploads/{id}/complete")).await;
    assert_eq!(r.status, 404);
}

/// R16: two stations at once, distinct files and the same file on both devices: each content
/// stored once, every file confirmed, the ledger verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_two_stations_at_once_store_each_file_once() {
    let env = env().await;
    zhilu_app::registry::register_device(
        env.app(),
        &admin(),
        zhilu_app::testing::camera("DSJ0002"),
    )
    .await
    .expect("device");
    let a = register(&env, "ST-A").await;
    let b = register(&env, "ST-B").await;
    let dir_a = device_with(&env, "cam-a", &["clip.avi", "clip.mov"]);
    let dir_b = device_with(&env, "cam-b", &["clip.avi", "voice.mp3"]);
    let before = recordings(&env).await.len();
    let mut req_a = request(&env, &dir_a, "DSJ0001", "ST-A", &a);
    let mut req_b = request(&env, &dir_b, "DSJ0002", "ST-B", &b);
    req_a.clear_device = true;
    req_b.clear_device = true;
    let (ra, rb) = tokio::join!(ingest(&req_a), ingest(&req_b));
    let (ra, rb) = (ra.expect("station A"), rb.expect("station B"));
    assert!(ra.complete && ra.device_cleared, "{ra:#?}");
    assert!(rb.complete && rb.device_cleared, "{rb:#?}");
    let recs = recordings(&env).await;
    assert_eq!(recs.len(), before + 3, "clip.avi once, clip.mov, voice.mp3");
    let avi = sha256_hex(&std::fs::read(fixture("clip.avi")).expect("fixture"));
    assert_eq!(recs.iter().filter(|r| r.sha256.as_str() == avi).count(), 1);
    let outcomes = [
        file_of(&ra, "clip.avi").outcome.as_str(),
        file_of(&rb, "clip.avi").outcome.as_str(),
    ];
    assert!(
        outcomes.contains(&"stored") || outcomes.contains(&"damaged"),
        "one of them stored it: {outcomes:?}"
    );
    env.t.assert_promises_kept().await;
}

/// R16: hostile declarations are refused: a path leaving the device folder, an absolute path,
/// control characters; nothing is opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_path_traversal_in_file_name_refused() {
    let env = env().await;
    let token = register(&env, "ST-01").await;
    let bytes = std::fs::read(fixture("photo.jpg")).expect("fixture");
    for name in [
        "../../etc/passwd",
        "/etc/passwd",
        "a/../../b.jpg",
        "a\\..\\b.jpg",
        "a\nb.jpg",
        "",
    ] {
        let r = declare(&env, &token, name, &bytes).await;
        assert_eq!(r.status, 400, "{name:?}: {}", r.text());
        assert_eq!(r.json()["code"], "invalid");
    }
    let r = env
        .client()
        .send(
            "GET",
            "/api/v1/uploads/..%2F..%2Fcatalog.db",
            None,
            &[("authorization", &bearer(&token))],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    let wrong_type: Value = json!({"device": "DSJ0001", "officer": OFFICER, "file_name": "a.jpg",
                                   "size": "12", "sha256": "x", "sm3": "y"});
    let r = env
        .client()
        .send(
            "POST",
            "/api/v1/uploads",
            Some(Bytes::from(wrong_type.to_string())),
            &[("authorization", &bearer(&token))],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        !env.t.data().join("uploads").exists()
            || std::fs::read_dir(env.t.data().join("uploads"))
                .expect("dir")
                .next()
                .is_none()
    );
}

/// R16: a chunk past the declared size, or larger than a chunk may be, is refused (413) and
/// none of it is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_oversize_chunk_refused() {
    let env = env().await;
    let token = register(&env, "ST-01").await;
    let bytes = std::fs::read(fixture("photo.jpg")).expect("fixture");
    let r = declare(&env, &token, "photo.jpg", &bytes).await;
    let id = r.json()["id"].as_str().expect("id").to_string();
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"one byte too many");
    let r = patch(&env, &token, &id, 0, &longer).await;
    assert_eq!(r.status, 413, "{}", r.text());
    // Over 16 MiB is refused from the declared length alone, before a byte of the body is read
    // (sent for real, the body races the server's close of the connection).
    let (status, answer) = declared_only(&env, &token, &id, 16 * 1024 * 1024 + 1).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("16 MiB"), "{answer}");
    let r = env
        .client()
        .send(
            "GET",
            &format!("/api/v1/uploads/{id}"),
            None,
            &[("authorization", &bearer(&token))],
        )
        .await;
    assert_eq!(r.json()["offset"], 0, "nothing of a refused chunk kept");
    let r = patch(&env, &token, &id, 0, &bytes).await;
    assert_eq!(r.status, 204);
    let r = post_station(&env, &token, &format!("/api/v1/uploads/{id}/complete")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["stored"], true);
}

/// R16: the server's housekeeping sweeps an upload idle for longer than
/// `ABANDONED_AFTER_DAYS` (its row set back through the store, as a week without a byte would
/// leave it) as soon as a server starts, with one ledger entry; a fresh upload is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_server_housekeeping_sweeps_an_abandoned_upload() {
    use zhilu_app::station::uploads::{ABANDONED_AFTER_DAYS, ABANDONED_KIND};
    let env = env().await;
    let token = register(&env, "ST-01").await;
    let bytes = std::fs::read(fixture("voice.mp3")).expect("fixture");
    let photo = std::fs::read(fixture("photo.jpg")).expect("fixture");
    let mut ids = Vec::new();
    for (name, b) in [("voice.mp3", &bytes), ("photo.jpg", &photo)] {
        let r = declare(&env, &token, name, b).await;
        let id = r.json()["id"].as_str().expect("id").to_string();
        assert_eq!(patch(&env, &token, &id, 0, &b[..1024]).await.status, 204);
        ids.push(id);
    }
    let (old, fresh) = (&ids[0], &ids[1]);
    let idle = chrono::Utc::now() - chrono::Duration::days(ABANDONED_AFTER_DAYS + 1);
    env.app()
        .catalog()
        .set_station_upload_offset(old, 1024, idle.timestamp_micros())
        .await
        .expect("age the row");
    let before = ledger_size(&env).await;
    // A server starting runs its housekeeping at once.
    let running = zhilu_web::start(
        env.app().clone(),
        zhilu_web::ServeOptions {
            bind: "127.0.0.1:0".parse().expect("addr"),
            tls: None,
        },
    )
    .await
    .expect("start");
    // The sweep closes the row, writes the entry, then removes the part file: wait for the last.
    let parts = env.t.data().join("uploads");
    let mut status = String::new();
    for _ in 0..400 {
        let row = env.app().catalog().station_upload(old).await.expect("row");
        status = row.expect("row").status.as_str().to_string();
        if status == "abandoned" && !parts.join(format!("{old}.part")).exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    running.handle.abort();
    assert_eq!(status, "abandoned");
    let fresh_row = env
        .app()
        .catalog()
        .station_upload(fresh)
        .await
        .expect("row");
    assert_eq!(fresh_row.expect("row").status.as_str(), "open");
    assert_eq!(ledger_size(&env).await, before + 1);
    let e = env
        .app()
        .catalog()
        .ledger_entries(before, 1)
        .await
        .expect("entry")
        .remove(0);
    assert_eq!(e.kind, ABANDONED_KIND);
    assert!(e.body.contains("station-sweep"), "{}", e.body);
    assert!(!parts.join(format!("{old}.part")).exists());
    assert!(parts.join(format!("{fresh}.part")).exists());
    // The station asking about it: 410 in Chinese.
    let r = env
        .client()
        .send(
            "GET",
            &format!("/api/v1/uploads/{old}"),
            None,
            &[("authorization", &bearer(&token))],
        )
        .await;
    assert_eq!(r.status, 410, "{}", r.text());
    assert!(r.text().contains("已作废"), "{}", r.text());
}

/// R16: a station registered for a unit takes footage of that unit's officers only; a station
/// registered without a unit (a county's central station) takes anyone's. A refusal writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_a_units_station_takes_only_its_units_officers() {
    let env = env().await;
    common::person(
        env.app(),
        "000456",
        "二大队执法人员",
        "二大队",
        &["officer"],
    )
    .await;
    let unit_token = register(&env, "ST-01").await;
    let central = station::register(
        env.app(),
        &admin(),
        NewStation {
            id: "ST-XIAN".into(),
            name: "县局中心采集站".into(),
            unit: None,
        },
    )
    .await
    .expect("register")
    .token;
    let bytes = std::fs::read(fixture("photo.jpg")).expect("fixture");
    let declare_for = |token: String, officer: &'static str| {
        let body = json!({
            "device": "DSJ0001", "officer": officer, "file_name": "photo.jpg",
            "size": bytes.len(), "sha256": sha256_hex(&bytes), "sm3": sm3_hex(&bytes),
        });
        let mut client = env.client();
        async move {
            client
                .send(
                    "POST",
                    "/api/v1/uploads",
                    Some(Bytes::from(body.to_string())),
                    &[("authorization", &bearer(&token))],
                )
                .await
        }
    };
    let before = ledger_size(&env).await;
    let r = declare_for(unit_token.clone(), "000456").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "forbidden");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap_or("")
            .contains("本单位"),
        "{}",
        r.text()
    );
    assert_eq!(ledger_size(&env).await, before, "a refusal writes nothing");
    let r = declare_for(unit_token, OFFICER).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = declare_for(central, "000456").await;
    assert_eq!(r.status, 201, "{}", r.text());
}
