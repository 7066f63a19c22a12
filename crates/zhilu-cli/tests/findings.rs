//! Issue 14 at the command line: `check` keeps the findings' work items in step, and a late
//! offload (R17) is acknowledged and rectified by the officer and closed by the supervisor with
//! `zhilu findings …`; the officer cannot close it (R30).

mod support;

use support::{TestApp, Zhilu, seg};

const OFFICER: &str = "400001";
const SUPERVISOR: &str = "400008";

/// lushan-sj: offloads are due the same day (§13); recordings of 20 November offloaded on the
/// 23rd are late.
fn late_offload() -> (TestApp, String) {
    let t = TestApp::agency("lushan-sj", "2026-11-20 08:00:00");
    t.officer(OFFICER, "贾涛", "稽查大队", "officer");
    t.officer(SUPERVISOR, "督察员", "督察室", "supervisor");
    t.device("LS01", "稽查大队");
    t.checkout("LS01", OFFICER);
    t.at("2026-11-23 10:00:00");
    let (shas, _) = t.offload("LS01", OFFICER, &[seg("2026-11-20 09:00:00", 60, 1)], &[]);
    t.give_back("LS01");
    (t, shas[0].clone())
}

fn case_of(t: &TestApp, sha: &str) -> serde_json::Value {
    t.ok(&["findings", "list"])
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["code"] == "late_offload" && c["recording"] == sha)
        .cloned()
        .unwrap_or_else(|| panic!("no late_offload case for {sha}"))
}

#[test]
fn r17_cli_late_offload_finding_acknowledged_rectified_closed() {
    let (t, sha) = late_offload();
    // `check` keeps its output and says what it added to the ledger of findings.
    let (out, err, ok) = t.text(&["check"]);
    assert!(ok, "{err}");
    assert!(out.contains("R17"), "{out}");
    assert!(err.contains("问题台账：新增"), "{err}");
    let checked = t.ok(&["check"]);
    assert!(checked.is_array(), "{checked}");

    let case = case_of(&t, &sha);
    assert_eq!(case["state"], "open");
    let id = case["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("WT"), "{id}");
    assert_eq!(case["first_seen"], "2026-11-23T02:00:00Z");

    // A second sync changes nothing and writes nothing.
    let size = t.ledger_size();
    let s = t.ok(&["findings", "sync"]);
    assert_eq!(s["opened"], 0, "{s}");
    assert_eq!(s["self_closed"], 0, "{s}");
    assert_eq!(t.ledger_size(), size);

    let f = t.fails(&[
        "--actor",
        OFFICER,
        "findings",
        "close",
        &id,
        "--note",
        "已处理",
    ]);
    assert_eq!(f.code, "forbidden", "{}", f.message);
    let f = t.fails(&[
        "--actor",
        OFFICER,
        "findings",
        "rectify",
        &id,
        "--explain",
        "已补导",
    ]);
    assert_eq!(f.code, "finding_refused");
    assert!(
        f.message
            .contains(&format!("问题 {id} 当前状态为待确认，不能整改")),
        "{}",
        f.message
    );

    let a = t.ok(&["--actor", OFFICER, "findings", "ack", &id]);
    assert_eq!(a["state"], "acknowledged");
    let r = t.ok(&[
        "--actor",
        OFFICER,
        "findings",
        "rectify",
        &id,
        "--explain",
        "外出执法返回后未及时导出，已补导并组织学习",
        "--link",
        &sha[..12],
    ]);
    assert_eq!(r["state"], "rectified");
    assert_eq!(r["rectification_links"][0], sha.as_str());
    let c = t.ok(&["--actor", SUPERVISOR, "findings", "close", &id]);
    assert_eq!(c["state"], "closed");
    assert_eq!(c["closed_by"], SUPERVISOR);

    let closed = t.ok(&["findings", "list", "--state", "已关闭"]);
    assert!(
        closed
            .as_array()
            .expect("list")
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    let (text, err, ok) = t.text(&["findings", "show", &id]);
    assert!(ok, "{err}");
    assert!(text.contains(&format!("问题 {id}：已关闭")), "{text}");
    assert!(text.contains("办理经过"), "{text}");
    let shown = t.ok(&["findings", "show", &id]);
    assert_eq!(shown["history"].as_array().expect("history").len(), 4);

    let f = t.fails(&[
        "--actor", SUPERVISOR, "findings", "reopen", &id, "--reason", " ",
    ]);
    assert_eq!(f.code, "invalid");
    let back = t.ok(&[
        "--actor",
        SUPERVISOR,
        "findings",
        "reopen",
        &id,
        "--reason",
        "抽查发现仍未按时导出",
    ]);
    assert_eq!(back["state"], "open");
    assert_eq!(back["reopen_count"], 1);
}
