//! `zhilu witness init / trust / status` through the real binary: a witness directory is made, a
//! log is trusted, the status lists it; bad input is refused in Chinese and changes nothing.

use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn zhilu(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhilu"))
        .arg("--json")
        .arg("witness")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("ZHILU_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run zhilu")
}

fn ok(dir: &std::path::Path, args: &[&str]) -> Value {
    let out = zhilu(dir, args);
    assert!(
        out.status.success(),
        "zhilu witness {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn x1_witness_init_trust_status_through_the_binary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("w");
    let init = ok(&dir, &["init", "--name", "witness.example.gov.cn/w1"]);
    let key = init["key"].as_str().expect("key").to_string();
    assert!(key.starts_with("witness.example.gov.cn/w1+"), "{key}");
    // Idempotent: the same key again.
    assert_eq!(
        ok(&dir, &["init", "--name", "witness.example.gov.cn/w1"])["key"],
        init["key"]
    );

    let log = zhilu_ledger::SigningKey::from_seed(
        zhilu_ledger::SignatureKind::Sm2,
        "zhilu-ledger",
        [5; 32],
    )
    .expect("key")
    .verifying_key()
    .to_string();
    let origin = "zhilu.ledger/v1 某某市场监督管理局";
    ok(&dir, &["trust", "--origin", origin, "--key", &log]);

    // A bad key: refused in Chinese, nothing added.
    let out = zhilu(
        &dir,
        &["trust", "--origin", "other/v1", "--key", "nonsense"],
    );
    assert!(!out.status.success());
    let err: Value = serde_json::from_slice(&out.stdout).expect("json error");
    assert!(
        err["message"].as_str().expect("message").contains("公钥"),
        "{err}"
    );

    let status = ok(&dir, &["status"]);
    assert_eq!(status["witness"], init["key"]);
    let logs = status["logs"].as_array().expect("logs");
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0]["origin"], origin);
    assert_eq!(logs[0]["size"], 0);
    assert_eq!(logs[0]["conflicts"], 0);
    assert_eq!(logs[0]["silent"], false);

    // Status of a directory that is no witness: a Chinese error naming what to run.
    let out = zhilu(&tmp.path().join("none"), &["status"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("zhilu witness init"));
}

/// Runs `zhilu` on the log's data directory `data` (a replay one, so `ZHILU_NOW` may be set).
fn log_ok(data: &std::path::Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_zhilu"))
        .arg("--json")
        .args(args)
        .env("ZHILU_DATA_DIR", data)
        .env("ZHILU_NOW", "2026-11-20 09:00")
        // Witnesses are configured by the system administrator `init` created.
        .env("ZHILU_ACTOR", "sysadmin")
        .env_remove("ZHILU_DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run zhilu");
    assert!(
        out.status.success(),
        "zhilu {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Kills the witness server when the test ends, however it ends.
struct Server(std::process::Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// X1 through the binary, both sides: the legal office runs `zhilu witness serve`, the data
/// directory adds it (`witness add`), every change is cosigned in the background, `verify` is
/// clean, and an auditor's `verify --witness … --witness-key …` agrees; the witness's status shows
/// the log's size.
#[test]
fn x1_witness_round_trip_through_the_binary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (data, wdir) = (tmp.path().join("data"), tmp.path().join("witness"));
    log_ok(&data, &["init"]);
    let log = log_ok(&data, &["witness", "list"]);
    let (origin, log_key) = (
        log["origin"].as_str().expect("origin").to_string(),
        log["key"].as_str().expect("key").to_string(),
    );
    assert!(origin.ends_with("/replay"), "{origin}");
    let wkey = ok(&wdir, &["init", "--name", "法制科见证"])["key"]
        .as_str()
        .expect("key")
        .to_string();
    ok(&wdir, &["trust", "--origin", &origin, "--key", &log_key]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_zhilu"))
            .args(["witness", "serve", "--listen", &listen, "--data-dir"])
            .arg(&wdir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let url = format!("http://{listen}");
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the witness did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    log_ok(&data, &["witness", "add", "--url", &url, "--key", &wkey]);
    log_ok(
        &data,
        &[
            "--actor",
            "sysadmin",
            "device",
            "register",
            "--serial",
            "DSJ0001",
            "--kind",
            "执法记录仪",
            "--model",
            "M",
            "--unit",
            "U",
            "--keeper",
            "K",
        ],
    );
    let v = log_ok(&data, &["verify"]);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(0), "{v}");
    let entries = v["entries"].as_u64().expect("entries");
    let list = log_ok(&data, &["witness", "list"]);
    assert_eq!(list["witnesses"][0]["witnessed_size"], entries, "{list}");
    let auditor = log_ok(
        &data,
        &[
            "verify",
            "--offline",
            "--witness",
            &url,
            "--witness-key",
            &wkey,
        ],
    );
    assert_eq!(auditor["ok"], true, "{auditor}");
    let status = ok(&wdir, &["status"]);
    assert_eq!(status["logs"][0]["size"], entries, "{status}");
    assert_eq!(status["logs"][0]["conflicts"], 0, "{status}");
}
