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
