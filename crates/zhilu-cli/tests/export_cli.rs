//! `zhilu verify-export` (X3): a package that does not verify is exit code 1, the problem named
//! in Chinese, with or without `--json`; no data directory is needed.

use std::process::Command;

#[test]
fn x3_verify_export_of_a_broken_package_exits_1_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bagit.txt"), "BagIt-Version: 0.97\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_zhilu"))
        .args(["--json", "verify-export"])
        .arg(dir.path())
        .env_remove("ZHILU_DATA_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["ok"], false);
    assert!(v["problem"].as_str().unwrap().contains("bagit.txt"), "{v}");
    let out = Command::new(env!("CARGO_BIN_EXE_zhilu"))
        .arg("verify-export")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("证据包校验未通过") && text.contains("bagit.txt"),
        "{text}"
    );
}
