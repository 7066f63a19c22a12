//! `zhilu oversee` (issue 15, X4): the supervising body (上级监督机关), given an account in each
//! agency, reads a few figures of every agency side by side — each agency its own data directory
//! and catalog (SQLite files, or PostgreSQL databases with `ZHILU_TEST_POSTGRES_URL`) — and
//! writes nothing; an actor without that reach in one agency is refused, that agency named.

mod support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::*;

const OVERSIGHT: &str = "900001";

/// The supervising body's account in `t`'s agency, with `role`.
fn account(t: &TestApp, id: &str, role: &str) {
    t.officer(id, "市局监督处", "市综合行政执法局", role);
}

/// An agency under `profile` with one officer and `devices`.
fn agency(profile: &str, devices: &[&str]) -> TestApp {
    let t = TestApp::agency(profile, "2026-11-20 09:00:00");
    t.officer("000123", "周明", "一大队", "officer");
    for d in devices {
        t.device(d, "一大队");
    }
    t
}

fn dir(t: &TestApp) -> String {
    t.data().display().to_string()
}

/// `zhilu [--json] --actor ACTOR oversee --agency 金普=A --agency 漯河=B extra…`, run from
/// `from`'s environment without its catalog URL (each agency opens its own).
fn oversee(
    from: &TestApp,
    json: bool,
    actor: &str,
    agencies: &[(&str, &Path)],
    extra: &[&str],
) -> Output {
    let mut c = from.cmd();
    c.env_remove("ZHILU_DATABASE_URL")
        .env_remove("ZHILU_DATA_DIR");
    if json {
        c.arg("--json");
    }
    c.args(["--actor", actor, "oversee"]);
    for (name, dir) in agencies {
        c.arg("--agency").arg(format!("{name}={}", dir.display()));
    }
    c.args(extra).output().expect("run zhilu")
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "oversee failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn x4_oversee_reads_two_agencies_and_writes_nothing() {
    let a = agency("jinpu-wj", &["JP-001", "JP-002"]);
    let b = agency("luohe-xm", &["LH-001"]);
    account(&a, OVERSIGHT, "superior_oversight");
    account(&b, OVERSIGHT, "superior_oversight");
    // Agency A: a device out, and two recordings offloaded from the other one.
    a.checkout("JP-001", "000123");
    let cam = a.device_dir("jp-002");
    for f in ["clip.avi", "clip.mov"] {
        std::fs::copy(fixture(f), cam.join(f)).expect("copy");
    }
    a.ingest(&cam, "JP-002");
    let (size_a, size_b) = (a.ledger_size(), b.ledger_size());

    let (pa, pb) = (a.data(), b.data());
    let agencies = [("金普", pa.as_path()), ("漯河", pb.as_path())];
    let rows = stdout_json(&oversee(&a, true, OVERSIGHT, &agencies, &[]));
    let rows = rows.as_array().expect("one row per agency");
    assert_eq!(rows.len(), 2, "{rows:?}");
    let (ra, rb) = (&rows[0], &rows[1]);
    assert_eq!(ra["agency"], "金普");
    assert_eq!(ra["profile"], "jinpu-wj");
    assert_eq!(ra["data_dir"], dir(&a));
    assert_eq!(ra["recordings"], 2, "{ra}");
    assert_eq!(ra["devices_out"], 1, "{ra}");
    assert_eq!(ra["ledger_size"], size_a, "{ra}");
    assert_eq!(ra["head"]["ok"], true, "{ra}");
    assert_eq!(ra["head"]["signed_size"], size_a, "{ra}");
    assert_eq!(rb["agency"], "漯河");
    assert_eq!(rb["profile"], "luohe-xm");
    assert_eq!(rb["recordings"], 0, "{rb}");
    assert_eq!(rb["activities"], 0, "{rb}");
    assert_eq!(rb["devices_out"], 0, "{rb}");
    assert_eq!(rb["ledger_size"], size_b, "{rb}");
    assert_eq!(rb["head"]["ok"], true, "{rb}");
    for r in [ra, rb] {
        let by: Vec<&str> = r["open_cases"]
            .as_array()
            .expect("by severity")
            .iter()
            .map(|c| c["severity"].as_str().expect("severity"))
            .collect();
        assert_eq!(by, ["violation", "warning", "info"], "{r}");
        assert!(r["overdue_offloads"].as_u64().is_some(), "{r}");
    }
    // The ledger roots are each agency's own.
    assert_ne!(ra["ledger_root"], rb["ledger_root"]);

    // A month, and the Chinese text.
    let rows = stdout_json(&oversee(
        &a,
        true,
        OVERSIGHT,
        &agencies,
        &["--period", "2026-11"],
    ));
    assert_eq!(rows[0]["recordings"], 2, "{rows}");
    assert!(
        rows[0]["from"]
            .as_str()
            .is_some_and(|f| f.starts_with("2026-10-31T16:00:00")),
        "{rows}"
    );
    let rows = stdout_json(&oversee(
        &a,
        true,
        OVERSIGHT,
        &agencies,
        &["--period", "2026-10"],
    ));
    assert_eq!(
        rows[0]["recordings"], 0,
        "nothing offloaded in October: {rows}"
    );
    let out = oversee(&a, false, OVERSIGHT, &agencies, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in [
        "金普（执法规范配置 jinpu-wj",
        "漯河（执法规范配置 luohe-xm",
        "领用未归还的设备 1 台",
        "与签名检查点一致",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }

    // Nothing was written in either agency.
    assert_eq!(a.ledger_size(), size_a, "oversee wrote to 金普");
    assert_eq!(b.ledger_size(), size_b, "oversee wrote to 漯河");
}

#[test]
fn x4_oversee_refuses_an_actor_without_the_role() {
    let a = agency("jinpu-wj", &["JP-001"]);
    let b = agency("luohe-xm", &["LH-001"]);
    account(&a, OVERSIGHT, "superior_oversight");
    // In 漯河 the same id is an ordinary 执法人员: their own records only.
    account(&b, OVERSIGHT, "officer");
    let (size_a, size_b) = (a.ledger_size(), b.ledger_size());
    let (pa, pb) = (a.data(), b.data());
    let agencies = [("金普", pa.as_path()), ("漯河", pb.as_path())];

    let refused = |actor: &str| -> String {
        let out = oversee(&a, true, actor, &agencies, &[]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let e: Value = serde_json::from_slice(&out.stdout).expect("JSON error");
        assert_eq!(e["code"], "oversee_refused", "{e}");
        e["message"].as_str().expect("message").to_string()
    };
    let m = refused(OVERSIGHT);
    assert!(m.contains("机关“漯河”拒绝") && m.contains("无权"), "{m}");
    assert!(!m.contains("金普"), "金普 lets them read: {m}");
    // The custodian of 金普 has no account in 漯河 and no overview rights in 金普.
    let m = refused(KEEPER);
    assert!(
        m.contains("机关“金普”拒绝") && m.contains("机关“漯河”拒绝"),
        "{m}"
    );
    // Without --actor: a usage error.
    let out = oversee(&a, true, " ", &agencies, &[]);
    assert_eq!(out.status.code(), Some(2));

    assert_eq!(a.ledger_size(), size_a);
    assert_eq!(b.ledger_size(), size_b);
}
