//! `zhilu station register|list|revoke|ingest` through the real binary (R16, R26): the system
//! administrator registers a station (its token shown once), the station offloads a device to a
//! real server on port 0 and clears it only after the platform confirmed every file; a revoked
//! station is refused in Chinese. SQLite, or PostgreSQL with `ZHILU_TEST_POSTGRES_URL`.

mod support;

use std::sync::Arc;

use support::*;
use zhilu_app::testing::fixture;

#[test]
fn r16_station_cli_registers_ingests_clears_and_revokes() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let reg = t.ok(&[
        "--actor",
        SYSADMIN,
        "station",
        "register",
        "--id",
        "ST-01",
        "--name",
        "一大队采集站",
        "--unit",
        "一大队",
    ]);
    let token = reg["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("zst_ST-01_"), "{reg}");
    let listed = t.ok(&["--actor", SYSADMIN, "station", "list"]);
    assert_eq!(listed[0]["station"], "ST-01");
    assert_eq!(listed[0]["active"], true);
    assert!(
        !listed.to_string().contains(&token[10..]),
        "the token is shown once only"
    );
    // Only the system administrator manages stations.
    let refused = t.fails(&["station", "list"]);
    assert_eq!(refused.code, "forbidden", "{}", refused.message);

    let token_file = t.scratch().join("station.token");
    std::fs::write(&token_file, format!("{token}\n")).expect("token file");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let running = rt.block_on(async {
        let app = zhilu_app::App::open(
            t.data_dir(),
            Arc::new(zhilu_app::FixedClock(t.now())),
            Some(t.db_url().to_string()),
        )
        .await
        .expect("open");
        zhilu_web::start(
            Arc::new(app),
            zhilu_web::ServeOptions {
                bind: "127.0.0.1:0".parse().expect("addr"),
                tls: None,
            },
        )
        .await
        .expect("serve")
    });
    let url = format!("http://{}", running.addr);
    let dir = t.device_dir("cam");
    for f in ["clip.avi", "clip.mov"] {
        std::fs::copy(fixture(f), dir.join(f)).expect("copy");
    }
    let dir_s = dir.to_str().expect("utf8");
    let tf = token_file.to_str().expect("utf8");
    let args = ingest_args(dir_s, &url, tf, &["--clear-device"]);
    let r = t.ok(&args);
    assert_eq!(r["complete"], true, "{r}");
    assert_eq!(r["device_cleared"], true, "{r}");
    assert_eq!(r["cleared"].as_array().map(Vec::len), Some(2), "{r}");
    for f in r["files"].as_array().expect("files") {
        assert_eq!(f["confirmed"], true, "{f}");
    }
    assert!(!dir.join("clip.avi").exists() && !dir.join("clip.mov").exists());
    let recs = t.ok(&["recordings", "list"]);
    let at_station = recs
        .as_array()
        .expect("recordings")
        .iter()
        .filter(|x| x["station"] == "ST-01")
        .count();
    assert_eq!(at_station, 2, "{recs}");

    // Text output in Chinese.
    std::fs::copy(fixture("voice.mp3"), dir.join("voice.mp3")).expect("copy");
    let (stdout, stderr, ok) = t.text(&args);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("已入库") && stdout.contains("每个存储位置均已校验"),
        "{stdout}"
    );

    // Revoked: refused with a Chinese message, the device file kept.
    t.ok(&["--actor", SYSADMIN, "station", "revoke", "--id", "ST-01"]);
    std::fs::copy(fixture("photo.jpg"), dir.join("photo.jpg")).expect("copy");
    let f = t.fails(&args);
    assert!(
        f.message.contains("采集站凭据无效或已被吊销"),
        "{}",
        f.message
    );
    assert!(dir.join("photo.jpg").exists());
    // A token of another station is refused before anything is sent.
    let mut other = args.clone();
    other[8] = "ST-02";
    let f = t.fails(&other);
    assert!(f.message.contains("不是采集站 ST-02 的"), "{}", f.message);
    running.handle.abort();
    drop(rt);
}

/// Registers station `id` through the binary (as the system administrator) and writes its
/// token file; returns the file.
fn register_station(t: &TestApp, id: &str) -> std::path::PathBuf {
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
    let token_file = t.scratch().join(format!("{id}.token"));
    std::fs::write(&token_file, reg["token"].as_str().expect("token")).expect("token file");
    token_file
}

/// A server on port 0 over this test's data directory (TLS with `tls` = (cert, key)), on its
/// own runtime; returns the runtime (keep it), the server and its app.
fn serve(
    t: &TestApp,
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
) -> (
    tokio::runtime::Runtime,
    zhilu_web::Running,
    Arc<zhilu_app::App>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (running, app) = rt.block_on(async {
        let app = Arc::new(
            zhilu_app::App::open(
                t.data_dir(),
                Arc::new(zhilu_app::FixedClock(t.now())),
                Some(t.db_url().to_string()),
            )
            .await
            .expect("open"),
        );
        let running = zhilu_web::start(
            Arc::clone(&app),
            zhilu_web::ServeOptions {
                bind: "127.0.0.1:0".parse().expect("addr"),
                tls,
            },
        )
        .await
        .expect("serve");
        (running, app)
    });
    (rt, running, app)
}

/// `station ingest DIR … --to URL --token-file F` plus `extra`.
fn ingest_args<'a>(
    dir: &'a str,
    url: &'a str,
    token_file: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut v = vec![
        "station",
        "ingest",
        dir,
        "--device",
        "DSJ0001",
        "--officer",
        "000123",
        "--station",
        "ST-01",
        "--to",
        url,
        "--token-file",
        token_file,
        "--chunk-mib",
        "1",
    ];
    v.extend_from_slice(extra);
    v
}

fn station_recordings(t: &TestApp) -> usize {
    t.ok(&["recordings", "list"])
        .as_array()
        .expect("recordings")
        .iter()
        .filter(|x| x["station"] == "ST-01")
        .count()
}

/// R16 over HTTPS: the platform's certificate is signed by an agency CA; the station trusts that
/// CA (`--ca-file`) and its files are stored and cleared. Without the CA file, or with another
/// CA's, the station refuses to talk to the platform — in Chinese, naming the certificate
/// problem — and nothing is stored, recorded or cleared.
#[test]
fn r16_station_ingests_over_https_with_its_ca_file() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let token_file = register_station(&t, "ST-01");
    // The agency's CA, and the platform's certificate it signs (for 127.0.0.1).
    let ca_params = {
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "Zhilu test agency CA");
        p
    };
    let ca =
        rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().expect("key"))
            .expect("CA");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("params")
        .signed_by(&key, &ca)
        .expect("platform certificate");
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("other");
    let dir = t.scratch().join("tls");
    std::fs::create_dir_all(&dir).expect("dir");
    let (ca_pem, other_pem, cert_pem, key_pem) = (
        dir.join("ca.pem"),
        dir.join("other-ca.pem"),
        dir.join("platform.pem"),
        dir.join("platform.key"),
    );
    std::fs::write(&ca_pem, ca.pem()).expect("ca");
    std::fs::write(&other_pem, other.cert.pem()).expect("other");
    std::fs::write(&cert_pem, cert.pem()).expect("cert");
    std::fs::write(&key_pem, key.serialize_pem()).expect("key");
    let (rt, running, _app) = serve(&t, Some((cert_pem, key_pem)));
    let url = format!("https://127.0.0.1:{}", running.addr.port());

    let cam = t.device_dir("cam");
    for f in ["clip.avi", "clip.mov"] {
        std::fs::copy(fixture(f), cam.join(f)).expect("copy");
    }
    let cam_s = cam.to_str().expect("utf8");
    let tf = token_file.to_str().expect("utf8");
    let before = t.ledger_size();

    // No CA file: refused before anything is sent.
    let f = t.fails(&ingest_args(cam_s, &url, tf, &["--clear-device"]));
    assert!(
        f.message.contains("--ca-file") && f.message.contains("证书"),
        "{}",
        f.message
    );
    // Another CA's certificate: the handshake is refused, the problem named in Chinese.
    let other_s = other_pem.to_str().expect("utf8");
    let f = t.fails(&ingest_args(
        cam_s,
        &url,
        tf,
        &["--ca-file", other_s, "--clear-device"],
    ));
    assert!(
        f.message
            .contains("平台的证书不是 --ca-file 指定的 CA 签发的"),
        "{}",
        f.message
    );
    assert!(!f.message.contains("UnknownIssuer"), "{}", f.message);
    assert_eq!(t.ledger_size(), before, "nothing recorded");
    assert_eq!(station_recordings(&t), 0, "nothing stored");
    assert!(
        cam.join("clip.avi").exists() && cam.join("clip.mov").exists(),
        "nothing cleared"
    );

    // With the agency's CA: stored, verified in every root, then cleared.
    let ca_s = ca_pem.to_str().expect("utf8");
    let r = t.ok(&ingest_args(
        cam_s,
        &url,
        tf,
        &["--ca-file", ca_s, "--clear-device"],
    ));
    assert_eq!(r["complete"], true, "{r}");
    assert_eq!(r["device_cleared"], true, "{r}");
    for f in r["files"].as_array().expect("files") {
        assert_eq!(f["outcome"], "stored", "{f}");
        assert_eq!(f["confirmed"], true, "{f}");
    }
    assert!(!cam.join("clip.avi").exists() && !cam.join("clip.mov").exists());
    assert_eq!(station_recordings(&t), 2);
    running.handle.abort();
    drop(rt);
}

async fn raw_exec(t: &TestApp, sql: &str) -> u64 {
    t.raw_exec(sql).await
}

/// One HTTP/1.1 request on its own connection: (status, body as JSON).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.write_all(req.as_bytes()).expect("send");
    s.write_all(body).expect("send body");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let rest = &raw[split + 4..];
    let json = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let text = String::from_utf8_lossy(rest).into_owned();
        let start = text.find("\r\n").map_or(0, |i| i + 2);
        let end = text.rfind("\r\n0\r\n").unwrap_or(text.len());
        serde_json::from_str(&text[start..end]).unwrap_or(serde_json::Value::Null)
    } else {
        serde_json::from_slice(rest).unwrap_or(serde_json::Value::Null)
    };
    (status, json)
}

/// R16: an upload cut off and left for longer than the platform waits (7 days on the real
/// clock) is swept — by `zhilu station sweep` here, by the server's housekeeping hourly — with
/// one ledger entry; its part file is gone, requests about it answer 410 in Chinese, and the
/// station's next run starts the file again from 0 and stores it. Stored evidence is never
/// touched by a sweep.
#[test]
fn r16_abandoned_upload_is_swept_and_restarts_from_zero() {
    let t = TestApp::empty();
    t.ready("DSJ0001");
    let token_file = register_station(&t, "ST-01");
    let token = std::fs::read_to_string(&token_file).expect("token");
    let (rt, running, app) = serve(&t, None);
    let url = format!("http://{}", running.addr);
    let cam = t.device_dir("cam");
    std::fs::copy(fixture("clip.mov"), cam.join("clip.mov")).expect("copy");
    let size = std::fs::metadata(cam.join("clip.mov")).expect("meta").len();
    let chunk = 16 * 1024;
    assert!(size > chunk, "the fixture spans several chunks");
    let req = |max_chunks| zhilu_app::station::client::IngestRequest {
        source: cam.clone(),
        device: "DSJ0001".into(),
        officer: "000123".into(),
        station: "ST-01".into(),
        url: url.clone(),
        token: token.trim().to_string(),
        ca_file: None,
        chunk,
        clear_device: false,
        max_chunks,
    };
    // A run cut off after one chunk.
    let r = rt
        .block_on(zhilu_app::station::client::ingest(&req(Some(1))))
        .expect("ingest");
    assert_eq!(r.files[0].outcome, "interrupted", "{r:#?}");
    let upload = rt.block_on(async {
        app.catalog()
            .stale_station_uploads(i64::MAX)
            .await
            .expect("uploads")
    });
    assert_eq!(upload.len(), 1, "{upload:#?}");
    let id = upload[0].id.clone();
    assert_eq!(upload[0].offset, chunk);
    let part = t.data().join("uploads").join(format!("{id}.part"));
    assert_eq!(std::fs::metadata(&part).expect("part").len(), chunk);

    // Only the system administrator sweeps; a fresh upload is not swept.
    let f = t.fails(&["station", "sweep"]);
    assert_eq!(f.code, "forbidden", "{}", f.message);
    let before = t.ledger_size();
    let s = t.ok(&["--actor", SYSADMIN, "station", "sweep"]);
    assert_eq!(s["swept"].as_array().map(Vec::len), Some(0), "{s}");
    assert_eq!(s["after_days"], 7, "{s}");
    assert_eq!(t.ledger_size(), before, "nothing to sweep, nothing written");
    assert!(part.exists());

    // Eight days without a byte (real clock, as the rows record it).
    let eight_days = 8_i64 * 24 * 3600 * 1_000_000;
    let aged = rt.block_on(raw_exec(
        &t,
        &format!(
            "UPDATE station_uploads SET updated_at = updated_at - {eight_days} WHERE id = '{id}'"
        ),
    ));
    assert_eq!(aged, 1);
    let s = t.ok(&["--actor", SYSADMIN, "station", "sweep"]);
    let swept = s["swept"].as_array().expect("swept");
    assert_eq!(swept.len(), 1, "{s}");
    assert_eq!(swept[0]["id"], id.as_str());
    assert_eq!(swept[0]["offset"], chunk);
    assert_eq!(
        t.ledger_size(),
        before + 1,
        "one ledger entry per swept upload"
    );
    let entry = swept[0]["entry"].as_u64().expect("entry");
    let e = rt.block_on(async {
        app.catalog()
            .ledger_entries(entry, 1)
            .await
            .expect("entry")
            .remove(0)
    });
    // The upload's lifecycle is ledger state (catalog v14): the sweep's entry closes its row.
    assert_eq!(e.kind, "station.upload_closed");
    assert_eq!(e.subject, format!("station-upload:{id}"));
    assert_eq!(e.state()["status"], "abandoned");
    assert!(
        e.body.contains(&id) && e.body.contains("clip.mov"),
        "{}",
        e.body
    );
    assert!(!part.exists(), "the part file is removed");
    let row = rt.block_on(async { app.catalog().station_upload(&id).await.expect("row") });
    assert_eq!(row.expect("row").status.as_str(), "abandoned");
    // Swept again: nothing more.
    let s = t.ok(&["--actor", SYSADMIN, "station", "sweep"]);
    assert_eq!(s["swept"].as_array().map(Vec::len), Some(0), "{s}");
    assert_eq!(t.ledger_size(), before + 1);

    // The station asking about it, or sending to it: 410, in Chinese.
    let addr = running.addr.to_string();
    let auth = ("authorization", format!("Bearer {}", token.trim()));
    let path = format!("/api/v1/uploads/{id}");
    let (status, body) = http(&addr, "GET", &path, std::slice::from_ref(&auth), b"");
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["code"], "upload_abandoned", "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("已作废") && m.contains("从头上传")),
        "{body}"
    );
    let (status, _) = http(&addr, "HEAD", &path, std::slice::from_ref(&auth), b"");
    assert_eq!(status, 410);
    let (status, body) = http(
        &addr,
        "PATCH",
        &path,
        &[
            auth.clone(),
            ("upload-offset", chunk.to_string()),
            ("content-type", "application/offset+octet-stream".into()),
        ],
        &[0u8; 16],
    );
    assert_eq!(status, 410, "{body}");
    assert!(!part.exists(), "a refused chunk makes no part file");

    // The station's next run declares the file again and sends it from 0.
    let r = rt
        .block_on(zhilu_app::station::client::ingest(&req(None)))
        .expect("ingest");
    let f = &r.files[0];
    assert_eq!(
        (f.outcome.as_str(), f.resumed_from, f.bytes_sent),
        ("stored", 0, size),
        "{r:#?}"
    );
    assert!(f.confirmed, "{r:#?}");
    assert_eq!(station_recordings(&t), 1);
    // A sweep never touches stored evidence: aged rows of stored uploads are not open.
    rt.block_on(raw_exec(
        &t,
        &format!("UPDATE station_uploads SET updated_at = updated_at - {eight_days}"),
    ));
    let s = t.ok(&["--actor", SYSADMIN, "station", "sweep"]);
    assert_eq!(s["swept"].as_array().map(Vec::len), Some(0), "{s}");
    let (text, stderr, ok) = t.text(&["--actor", SYSADMIN, "station", "sweep"]);
    assert!(ok, "{stderr}");
    assert!(text.contains("超过 7 天未继续的上传：作废 0 个"), "{text}");
    let sha = f.sha256.clone().expect("sha");
    for root in ["vault/primary", "vault/replica"] {
        assert!(
            t.object_path(root, &sha).exists(),
            "{root} keeps the object"
        );
    }
    running.handle.abort();
    drop(rt);
}
