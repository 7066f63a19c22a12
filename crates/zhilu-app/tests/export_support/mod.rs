//! The fixture the evidence-export tests share: a camera, an officer, two recordings offloaded, an
//! approved grant on both, and the facts of an extraction.

#![allow(dead_code)]

use std::process::Command;

use zhilu_app::access::{self, AccessAsk};
use zhilu_app::export::Facts;
use zhilu_app::testing::TestApp;
use zhilu_app::{Actor, registry};

pub const MP4: &str = "DSJ0001_000123_20261120093000_0001.MP4";
pub const WAV: &str = "REC_20261120_094000.WAV";

/// Camera DSJ0001, officer 000123, and two recordings offloaded: (MP4, WAV) SHA-256.
pub async fn two_recordings(t: &TestApp) -> (String, String) {
    let setup = Actor::test("setup");
    registry::register_device(t.app(), &setup, zhilu_app::testing::camera("DSJ0001"))
        .await
        .expect("device");
    registry::add_officer(
        t.app(),
        &setup,
        registry::NewOfficer {
            id: "000123".into(),
            name: "周明".into(),
            unit: "一大队".into(),
            role: None,
        },
    )
    .await
    .expect("officer");
    t.offload_fixtures().await
}

pub async fn user(t: &TestApp, id: &str, roles: &[&str]) -> Actor {
    t.person(id, "一处", roles).await
}

/// A requester holding an approved grant of `kind` on both recordings; returns (requester, grant).
pub async fn granted(t: &TestApp, kind: &str) -> (Actor, String) {
    let (a, b) = two_recordings(t).await;
    let chain: Vec<String> = t
        .app()
        .profile()
        .await
        .unwrap()
        .access
        .approvers
        .iter()
        .map(|r| r.get_ref().clone())
        .collect();
    let requester = user(t, "R1", &["officer"]).await;
    let mut approvers = Vec::new();
    for (i, role) in chain.iter().enumerate() {
        approvers.push(user(t, &format!("AP{i}"), &[role.as_str()]).await);
    }
    let req = access::request_access(
        t.app(),
        &requester,
        AccessAsk {
            recordings: vec![a, b],
            kind: Some(kind.into()),
            reason: "移送法院作为证据".into(),
            ..AccessAsk::default()
        },
    )
    .await
    .expect("request");
    for ap in &approvers {
        access::approve(t.app(), ap, req.id.as_str(), Some("同意"))
            .await
            .expect("approve");
    }
    let grants = access::my_grants(t.app(), &requester).await.unwrap();
    (requester, grants[0].grant.id.to_string())
}

pub fn facts() -> Facts {
    Facts {
        maker: "王芳".into(),
        extractor: "李强".into(),
        reason: "移送法院作为证据".into(),
        case: "（2026）辽0213刑初123号".into(),
        case_name: String::new(),
        receiver: "某区人民法院".into(),
        agency: "某市公安局".into(),
    }
}

/// Whether `tool` can run here; outside CI a missing tool skips the check, in CI it fails.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether `tool` can run here; outside CI a missing tool skips the check, in CI it fails.
pub fn have(program: &str, args: &[&str], what: &str) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(!in_ci(), "CI needs {what}");
        eprintln!("skipped: {what} is not installed");
    }
    ok
}
