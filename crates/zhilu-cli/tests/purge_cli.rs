//! R20 at the command line: `purge request` → `approve` by the profile's purge approver (in a
//! replay directory) → `purge execute`; and a `kill -9` between the tombstone commit and the
//! deletion, which the next run completes.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{TestApp, Zhilu, seg};

/// lushan-sj: 24 months (§15); `records_manager` approves purges.
const APPROVER: &str = "400009";

/// Two recordings filmed 20 November 2026, the clock moved past their 24 months; returns them.
fn expired_pair() -> (TestApp, Vec<String>) {
    let t = TestApp::agency("lushan-sj", "2026-11-20 08:00:00");
    t.officer("400001", "贾涛", "稽查大队", "officer");
    t.officer(APPROVER, "魏主任", "局办公室", "records_manager");
    t.device("LS01", "稽查大队");
    t.checkout("LS01", "400001");
    t.at("2026-11-20 18:00:00");
    let (shas, _) = t.offload(
        "LS01",
        "400001",
        &[
            seg("2026-11-20 09:00:00", 60, 1),
            seg("2026-11-20 10:00:00", 60, 2),
        ],
        &[],
    );
    t.give_back("LS01");
    t.at("2029-01-05 09:00:00");
    (t, shas)
}

fn approved_request(t: &TestApp, sha: &str) -> String {
    let r = t.ok(&[
        "purge",
        "request",
        "--item",
        sha,
        "--reason",
        "保存期限届满，无保存意义",
    ]);
    let id = r["id"].as_str().expect("id").to_string();
    let a = t.ok(&["approve", &id, "--by", APPROVER]);
    assert_eq!(a["status"], "approved", "{a}");
    id
}

fn copies(t: &TestApp, sha: &str) -> usize {
    ["vault/primary", "vault/replica"]
        .iter()
        .filter(|r| t.object_path(r, sha).exists())
        .count()
}

fn assert_fixity_and_verify_pass(t: &TestApp) {
    let fx = t.ok(&["fixity"]);
    assert_eq!(fx["ok"], true, "{fx}");
    assert!(fx.get("unfinished_purges").is_none(), "none left: {fx}");
    assert_eq!(fx["lost"].as_array().map(Vec::len), Some(0), "{fx}");
    let v = t.ok(&["verify", "--offline"]);
    assert_eq!(v["ok"], true, "{v}");
}

#[test]
fn r20_cli_purge_request_approve_execute_deletes_both_copies_and_lists_purged() {
    let (t, shas) = expired_pair();
    let (gone, kept) = (&shas[0], &shas[1]);
    // Not the requester: the custodian may not approve (no role), and the purge waits.
    let id = approved_request(&t, gone);
    let out = t.ok(&["purge", "execute", "--request", &id]);
    assert_eq!(out["copies_deleted"], 2, "{out}");
    assert_eq!(out["tombstones"][0]["sha256"], gone.as_str(), "{out}");
    assert_eq!(
        out["tombstones"][0]["approvals"][0]["by"], APPROVER,
        "{out}"
    );
    assert_eq!(copies(&t, gone), 0);
    assert_eq!(copies(&t, kept), 2);

    let recs = t.recordings();
    let purged = recs
        .iter()
        .find(|r| r["sha256"] == gone.as_str())
        .expect("listed");
    assert!(purged["purged"]["at"].is_string(), "{purged}");
    assert_eq!(purged["purged"]["request"], id.as_str(), "{purged}");
    let other = recs
        .iter()
        .find(|r| r["sha256"] == kept.as_str())
        .expect("listed");
    assert!(other.get("purged").is_none(), "{other}");
    let (text, _, ok) = t.text(&["recordings", "list"]);
    assert!(ok && text.contains("已清除"), "{text}");

    let ret = t.retention();
    let row = ret
        .iter()
        .find(|r| r["sha256"] == gone.as_str())
        .expect("row");
    assert_eq!(row["status"], "purged", "{row}");
    let (text, _, ok) = t.text(&["retention", "list"]);
    assert!(ok && text.contains("[已清除"), "{text}");

    let list = t.ok(&["purge", "list"]);
    assert_eq!(list[0]["status"], "approved", "{list}");
    assert!(list[0]["executed_at"].is_string(), "{list}");
    assert_fixity_and_verify_pass(&t);

    // Again: already purged, refused with the reason, nothing changes.
    let f = t.fails(&["purge", "request", "--item", gone, "--reason", "再次"]);
    assert_eq!(f.code, "purge_refused");
    assert!(f.message.contains("不能再次清除"), "{}", f.message);
}

#[test]
fn r20_cli_purge_refused_when_not_expired_and_without_approval() {
    let (t, shas) = expired_pair();
    t.at("2027-01-05 09:00:00");
    let f = t.fails(&["purge", "request", "--item", &shas[0], "--reason", "过早"]);
    assert_eq!(f.code, "purge_refused");
    assert!(
        f.message.contains(&shas[0]) && f.message.contains("尚未到保存期限"),
        "{}",
        f.message
    );
    t.at("2029-01-05 09:00:00");
    let r = t.ok(&["purge", "request", "--item", &shas[0], "--reason", "到期"]);
    let id = r["id"].as_str().expect("id");
    let f = t.fails(&["purge", "execute", "--request", id]);
    assert_eq!(f.code, "purge_refused");
    assert!(f.message.contains("尚未审批通过"), "{}", f.message);
    assert_eq!(copies(&t, &shas[0]), 2);
}

#[test]
fn r20_cli_killed_after_tombstone_commit_next_run_completes_the_purge() {
    let (t, shas) = expired_pair();
    let sha = &shas[0];
    let id = approved_request(&t, sha);
    let mut child = t
        .cmd()
        .args(["--json", "purge", "execute", "--request", &id])
        .env("ZHILU_TEST_PAUSE_AFTER", "purge.tombstoned")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("ZHILU_TEST_PAUSED purge.tombstoned") {
                let _ = tx.send(());
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    while rx.try_recv().is_err() {
        assert!(
            child.try_wait().expect("wait").is_none(),
            "execute ended before its pause point"
        );
        assert!(Instant::now() < deadline, "never reached the pause point");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reap");

    // The tombstone is committed, the bytes are still there: an unfinished purge, not damage.
    assert_eq!(copies(&t, sha), 2);
    let fx = t.ok(&["fixity"]);
    assert_eq!(fx["ok"], true, "{fx}");
    assert_eq!(fx["unfinished_purges"][0], sha.as_str(), "{fx}");
    assert_eq!(fx["problems"].as_array().map(Vec::len), Some(0), "{fx}");
    let (text, _, _) = t.text(&["fixity"]);
    assert!(text.contains("清除未完成"), "{text}");
    let v = t.ok(&["verify", "--offline"]);
    assert_eq!(v["ok"], true, "{v}");

    // The next execution of any request finishes it first; this one is already executed.
    let f = t.fails(&["purge", "execute", "--request", &id]);
    assert_eq!(f.code, "purge_refused");
    assert_eq!(
        copies(&t, sha),
        0,
        "the next run deleted what the killed one left"
    );
    assert_fixity_and_verify_pass(&t);
    let resumed = t.ok(&["purge", "resume"]);
    assert_eq!(resumed.as_array().map(Vec::len), Some(0), "{resumed}");
}
