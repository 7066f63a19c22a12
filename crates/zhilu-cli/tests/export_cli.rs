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

mod support;

use support::{TestApp, Zhilu, seg};

/// Whether `program args` runs here; outside CI a missing tool skips its check, in CI it fails.
fn have(program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs {program} {args:?}"
        );
        eprintln!("skipped: {program} {args:?} does not run here");
    }
    ok
}

/// R22 through the binary, in a replay directory: register, offload, ask for a copy, two
/// approvals, `export evidence --iso`, `verify-export`; the disc image extracted with xorriso
/// carries a package its own verify.py passes.
#[test]
fn r22_cli_export_to_verified_package_on_a_disc_image() {
    let a = TestApp::agency("luohe-xm", "2026-11-20 08:00:00");
    a.officer("500001", "周明", "一大队", "officer");
    a.officer("500010", "王法", "法制办公室", "legal_office");
    a.officer("500020", "陈主管", "大队领导", "chief_leader");
    a.device("X01", "一大队");
    a.checkout("X01", "500001");
    a.at("2026-11-20 15:00:00");
    let (shas, _) = a.offload("X01", "500001", &[seg("2026-11-20 09:00:00", 90, 1)], &[]);
    a.give_back("X01");

    let request = a.ok(&[
        "--actor",
        "500001",
        "access",
        "request",
        "--recording",
        &shas[0],
        "--kind",
        "copy",
        "--reason",
        "移送法院作为证据",
    ])["id"]
        .as_str()
        .expect("request id")
        .to_string();
    assert_eq!(
        a.ok(&["approve", &request, "--by", "500010"])["status"],
        "pending"
    );
    assert_eq!(
        a.ok(&["approve", &request, "--by", "500020"])["status"],
        "approved"
    );
    let grants = a.ok(&["--actor", "500001", "access", "grants"]);
    let grant = grants[0]["id"].as_str().expect("grant id").to_string();

    let out = a.scratch().join("证据包");
    let iso = a.scratch().join("disc.iso");
    let (o, i) = (out.to_str().expect("utf8"), iso.to_str().expect("utf8"));
    // Only the holder exports: the custodian is refused and nothing is written.
    let refused = a.fails(&[
        "export", "evidence", "--grant", &grant, "--out", o, "--iso", i,
    ]);
    assert_eq!(refused.code, "no_grant", "{}", refused.message);
    assert!(!out.exists() && !iso.exists());

    let made = a.ok(&[
        "--actor",
        "500001",
        "export",
        "evidence",
        "--grant",
        &grant,
        "--out",
        o,
        "--iso",
        i,
        "--disc-size",
        "dvd",
        "--maker",
        "周明",
        "--extractor",
        "李强",
        "--reason",
        "移送法院作为证据",
        "--case",
        "（2026）豫1102行初12号",
        "--receiver",
        "某区人民法院",
    ]);
    assert_eq!(made["files"][0]["sha256"], shas[0].as_str());
    let discs = made["discs"].as_array().expect("discs");
    assert_eq!(discs.len(), 1);
    assert_eq!(discs[0]["sha256"], support::sha256_of(&iso).as_str());

    let verified = a.ok(&["verify-export", o]);
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["files"].as_array().map(Vec::len), Some(1));

    if have("xorriso", &["-version"]) {
        let disc = a.scratch().join("disc");
        let x = Command::new("xorriso")
            .args(["-osirrox", "on", "-indev", i, "-extract", "/"])
            .arg(&disc)
            .output()
            .expect("xorriso");
        assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stderr));
        let v = Command::new("python3")
            .arg(disc.join("verify.py"))
            .output()
            .expect("python3");
        assert!(
            v.status.success(),
            "verify.py on the disc: {}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
        let verified = a.ok(&["verify-export", disc.to_str().expect("utf8")]);
        assert_eq!(verified["ok"], true, "the disc verifies too: {verified}");
    }
}
