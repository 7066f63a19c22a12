//! Identities at the shell: `init`'s administrators, `--actor` as a registered user, the
//! spreadsheet import, and approving only in a replay directory.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::*;

/// The binary on `dir`, on the real clock (no replay), acting as `actor` if given.
fn real(dir: &Path, args: &[&str], actor: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zhilu"));
    c.arg("--json")
        .args(args)
        .env("ZHILU_DATA_DIR", dir)
        .env_remove("ZHILU_NOW")
        .env_remove("ZHILU_DATABASE_URL")
        .env_remove("ZHILU_ACTOR")
        .stdin(Stdio::null());
    if let Some(a) = actor {
        c.env("ZHILU_ACTOR", a);
    }
    c.output().expect("zhilu runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn init_prints_generated_admin_passwords_once() {
    let t = TestApp::empty();
    let (stdout, stderr, ok) = t.text(&["init", "--unit", "某市综合行政执法局"]);
    assert!(ok, "{stderr}");
    for id in ["sysadmin", "secadmin", "auditadmin"] {
        assert!(stdout.contains(id), "{stdout}");
    }
    assert!(
        stdout.contains("初始密码只显示这一次，首次登录后须修改"),
        "{stdout}"
    );
    let again = t.ok(&["init"]);
    assert_eq!(again["administrators"], serde_json::json!([]), "{again}");
    let (stdout, _, _) = t.text(&["init"]);
    assert!(
        !stdout.contains("初始密码"),
        "a second init shows no password: {stdout}"
    );
    // The administrators are there, in their unit, each with one role and a password to change.
    let users = t.ok(&["--actor", SYSADMIN, "user", "list"]);
    let admins: Vec<&Value> = users.as_array().expect("list").iter().collect();
    assert_eq!(admins.len(), 3, "{users}");
    for u in admins {
        assert_eq!(u["unit"], "某市综合行政执法局");
        assert_eq!(u["roles"].as_array().map(Vec::len), Some(1));
        assert_eq!(u["must_change_password"], true);
    }
}

#[test]
fn init_json_lists_the_administrators_with_their_passwords() {
    let t = TestApp::empty();
    let first = t.ok(&["init"]);
    let admins = first["administrators"].as_array().expect("administrators");
    let ids: Vec<&str> = admins.iter().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(ids, ["sysadmin", "secadmin", "auditadmin"]);
    for a in admins {
        assert!(a["password"].as_str().is_some_and(|p| p.len() >= 12), "{a}");
    }
}

#[test]
fn x1_actor_must_be_a_registered_enabled_user() {
    let t = TestApp::empty();
    t.ok(&["init"]);
    t.people();
    let device = [
        "device",
        "register",
        "--serial",
        "DSJ-9",
        "--kind",
        "执法记录仪",
        "--model",
        "M",
        "--unit",
        "U",
        "--keeper",
        "K",
    ];
    let before = t.ledger_size();
    // No --actor on a write: a usage error, exit 2, nothing written.
    let out = t
        .cmd()
        .env_remove("ZHILU_ACTOR")
        .arg("--json")
        .args(device)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["code"], "actor_required");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--actor"));
    // A read needs none.
    let out = t
        .cmd()
        .env_remove("ZHILU_ACTOR")
        .args(["--json", "device", "list"])
        .output()
        .expect("run");
    assert!(out.status.success());
    // Someone nobody registered.
    let mut args = vec!["--actor", "ghost"];
    args.extend(device);
    assert_eq!(t.fails(&args).code, "unknown_actor");
    // A disabled user.
    t.ok(&["--actor", SYSADMIN, "user", "disable", "--id", KEEPER]);
    assert_eq!(t.fails(&["hold", "release", "H1"]).code, "account_disabled");
    assert_eq!(
        t.ledger_size(),
        before + 1,
        "only the disabling was written"
    );
    t.ok(&["--actor", SYSADMIN, "user", "enable", "--id", KEEPER]);
    // The ledger names the user and the OS user beside them.
    let mut args = vec!["--actor", SYSADMIN];
    args.extend(device);
    t.ok(&args);
    let shown = t.ok(&["device", "show", "--serial", "DSJ-9"]);
    let by = shown["events"][0]["actor"].as_str().expect("actor");
    assert!(by.starts_with("sysadmin (cli:"), "{by}");
}

#[test]
fn identity_user_import_is_all_or_nothing() {
    let t = TestApp::agency("zhejiang-rf", "2026-11-20 08:00:00");
    let file = t.scratch().join("users.csv");
    let bad = "编号,姓名,单位,角色,执法证号,有效期起,有效期止\n\
               100001,张伟,一大队,officer,ZF-1,2024-01-01,2029-12-31\n\
               100002,<script>alert(1)</script>,一大队,officer,,,\n\
               100001,重复,一大队,officer,,,\n\
               100003,李四,一大队,no_such_role,,,\n\
               100004,王五,一大队,system_admin,,,\n";
    std::fs::write(&file, bad).expect("write");
    let path = file.to_str().expect("utf8");
    let before = t.ledger_size();
    let err = t.fails(&["--actor", SYSADMIN, "user", "import", path]);
    assert_eq!(err.code, "sheet_rows", "{err}");
    for row in ["第 4 行", "第 5 行", "第 6 行"] {
        assert!(err.stderr.contains(row), "{row}: {err}");
    }
    assert!(
        !err.stderr.contains("第 2 行：") && !err.stderr.contains("第 3 行："),
        "{err}"
    );
    assert_eq!(t.ledger_size(), before, "a failing import writes nothing");
    // The same file without its bad rows, saved by Excel as GBK: all in one commit.
    let good: String = bad.lines().take(3).map(|l| format!("{l}\r\n")).collect();
    let (gbk, _, _) = encoding_rs::GBK.encode(&good);
    std::fs::write(&file, &gbk).expect("write");
    let users = t.ok(&["--actor", SYSADMIN, "user", "import", path]);
    assert_eq!(users.as_array().map(Vec::len), Some(2), "{users}");
    let list = t.ok(&["--actor", SYSADMIN, "user", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert!(
        names.contains(&"<script>alert(1)</script>"),
        "markup kept as text: {names:?}"
    );
    // The importer is the system administrator: the custodian may not.
    assert_eq!(t.fails(&["user", "import", path]).code, "forbidden");
    // A wrong header and a truncated file are refused, in Chinese.
    std::fs::write(&file, "工号,姓名\n1,2\n").expect("write");
    let e = t.fails(&["--actor", SYSADMIN, "user", "import", path]);
    assert_eq!(e.code, "sheet_header");
    assert!(e.message.contains("缺少列"), "{e}");
    std::fs::write(&file, b"PK\x03\x04\x14\x00truncated").expect("write");
    let e = t.fails(&["--actor", SYSADMIN, "user", "import", path]);
    assert_eq!(e.code, "sheet_unreadable");
    assert!(e.message.contains("xlsx"), "{e}");
}

#[test]
fn r1_device_import_registers_every_row_or_none() {
    let t = TestApp::agency("zhejiang-rf", "2026-11-20 08:00:00");
    let file = t.scratch().join("devices.csv");
    let path = file.to_str().expect("utf8");
    std::fs::write(
        &file,
        "设备编号,设备类型,型号,资产编号,单位,保管人\n\
         DSJ-01,执法记录仪,V9,ZC-1,一大队,张伟\n\
         DSJ-02,烤面包机,V9,,一大队,张伟\n",
    )
    .expect("write");
    let before = t.ledger_size();
    let e = t.fails(&["--actor", SYSADMIN, "device", "import", path]);
    assert!(e.stderr.contains("第 3 行"), "{e}");
    assert_eq!(t.ledger_size(), before);
    std::fs::write(
        &file,
        "设备编号,设备类型,型号,资产编号,单位,保管人\n\
         DSJ-01,执法记录仪,V9,ZC-1,一大队,张伟\n\
         DSJ-02,执法记录仪,V9,,一大队,张伟\n",
    )
    .expect("write");
    let list = t.ok(&["--actor", SYSADMIN, "device", "import", path]);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let listed = t.ok(&["device", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
}

#[test]
fn r23_cli_approve_outside_replay_dir_is_refused() {
    let t = TestApp::empty();
    let dir = t.scratch().join("real");
    assert!(
        real(&dir, &["init", "--profile", "luohe-xm"], None)
            .status
            .success()
    );
    let add = [
        "user",
        "add",
        "--id",
        "300010",
        "--name",
        "法制员",
        "--unit",
        "法制办公室",
        "--role",
        "legal",
    ];
    let out = real(&dir, &add, Some(SYSADMIN));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for args in [
        &["approve", "AR-2026-0001", "--by", "300010"][..],
        &[
            "reject",
            "AR-2026-0001",
            "--by",
            "300010",
            "--comment",
            "理由不足",
        ],
    ] {
        let out = real(&dir, args, None);
        assert!(!out.status.success());
        let e = json(&out);
        assert_eq!(e["code"], "session_required", "{e}");
    }
}
