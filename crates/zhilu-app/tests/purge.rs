//! R20: expiry ends in a person's decision. A purge is requested for expired recordings, approved
//! by the profile's purge approvers (never the requester), executed after re-checking every item;
//! it leaves a tombstone in the ledger, deletes the bytes from every root, and everything else
//! (fixity, verify, listings, access) knows the recording was purged.

#[path = "export_support/mod.rs"]
mod export_support;

use export_support::{two_recordings, user};
use zhilu_app::access::{self, Use};
use zhilu_app::compliance::{self, RetentionStatus};
use zhilu_app::records::purge::{self, PurgeAsk};
use zhilu_app::testing::{TestApp, beijing_time};
use zhilu_app::{Actor, AppError, integrity, records};

/// lushan-sj keeps recordings 24 months (§15) and names `records_manager` to decide purges.
const PROFILE: &str = "lushan-sj";
const APPROVER_ROLE: &str = "records_manager";

struct Setup {
    t: TestApp,
    mp4: String,
    wav: String,
    keeper: Actor,
    manager: Actor,
}

/// Two recordings captured 20 November 2026, a custodian who asks and a records manager who
/// approves; the clock moved past the 24 months unless `expire` is false.
async fn setup(expire: bool) -> Setup {
    let t = TestApp::with_profile(PROFILE).await;
    let (mp4, wav) = two_recordings(&t).await;
    let keeper = user(&t, "K1", &["custodian"]).await;
    let manager = user(&t, "M1", &[APPROVER_ROLE]).await;
    if expire {
        t.set_now(beijing_time("2029-01-05 09:00:00"));
    }
    Setup {
        t,
        mp4,
        wav,
        keeper,
        manager,
    }
}

fn ask(items: &[&str]) -> PurgeAsk {
    PurgeAsk {
        recordings: items.iter().map(|s| s.to_string()).collect(),
        expired: false,
        reason: "保存期限届满，无保存意义".into(),
    }
}

fn refused(e: AppError, needle: &str) {
    match &e {
        AppError::PurgeRefused(m) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected a purge refusal naming {needle:?}, got {other:?}"),
    }
}

fn in_roots(t: &TestApp, sha: &str) -> usize {
    ["primary", "replica"]
        .iter()
        .filter(|r| {
            t.data()
                .join("vault")
                .join(r)
                .join("objects/sha256")
                .join(&sha[..2])
                .join(&sha[2..4])
                .join(sha)
                .exists()
        })
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_purge_approved_and_executed_leaves_tombstone_and_deletes_every_copy() {
    let s = setup(true).await;
    let app = s.t.app();
    let req = purge::request_purge(app, &s.keeper, ask(&[&s.mp4]))
        .await
        .expect("request");
    let outcome = access::approve(app, &s.manager, req.id.as_str(), None)
        .await
        .expect("approve");
    assert_eq!(outcome.status.as_str(), "approved");
    let done = purge::execute_purge(app, &s.keeper, req.id.as_str())
        .await
        .expect("execute");
    assert_eq!(done.tombstones.len(), 1);
    assert_eq!(done.copies_deleted, 2);
    let stone = &done.tombstones[0];
    assert_eq!(stone.sha256.as_str(), s.mp4);
    assert_eq!(stone.approvals.len(), 1);
    assert_eq!(stone.approvals[0].by.as_str(), "M1");
    assert_eq!(stone.retention_class, "minimum");
    assert_eq!(in_roots(&s.t, &s.mp4), 0, "bytes gone from both roots");
    assert_eq!(in_roots(&s.t, &s.wav), 2, "the other recording untouched");

    // The tombstone is a ledgered row.
    let entries = app
        .catalog()
        .ledger_entries_about(&format!("tombstone:{}", s.mp4), 10)
        .await
        .expect("ledger");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].kind, "recording.purged");

    let fx = integrity::fixity(app, &Actor::test("fixity"), false)
        .await
        .expect("fixity");
    assert!(fx.problems.is_empty(), "{:?}", fx.problems);
    assert!(fx.lost.is_empty() && fx.unfinished_purges.is_empty());
    assert_eq!(fx.unrepaired(), 0);
    let v = integrity::verify(app, &Actor::test("verify"))
        .await
        .expect("verify");
    assert!(v.problems.is_empty(), "{:?}", v.problems);

    let listed = purge::recordings(app, &s.keeper, None).await.expect("list");
    let mp4 = listed
        .iter()
        .find(|l| l.recording.sha256.as_str() == s.mp4)
        .expect("still listed");
    assert!(mp4.purged.is_some(), "listed as purged");
    let ret = compliance::retention(app, &s.keeper)
        .await
        .expect("retention");
    let r = ret
        .iter()
        .find(|r| r.sha256.as_str() == s.mp4)
        .expect("row");
    assert_eq!(r.status, RetentionStatus::Purged);
    assert_eq!(r.status.label(), "已清除");
    let findings = compliance::check(app, &Actor::test("check"), &Default::default())
        .await
        .expect("check");
    assert!(
        !findings
            .iter()
            .any(|f| f.rule == "R12" && f.recording.as_deref() == Some(s.mp4.as_str())),
        "no R12 finding for a purged recording: {findings:?}"
    );
    s.t.assert_promises_kept().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_purged_recording_is_refused_to_a_grant_holder() {
    let s = setup(true).await;
    let app = s.t.app();
    let viewer = user(&s.t, "V1", &["officer"]).await;
    let ar = access::request_access(
        app,
        &viewer,
        access::AccessAsk {
            recordings: vec![s.mp4.clone()],
            kind: Some("copy".into()),
            reason: "复核".into(),
            ..Default::default()
        },
    )
    .await
    .expect("access request");
    let chain = app.profile().await.unwrap().access.approvers.clone();
    for (i, role) in chain.iter().enumerate() {
        let a = user(&s.t, &format!("A{i}"), &[role.get_ref().as_str()]).await;
        access::approve(app, &a, ar.id.as_str(), None)
            .await
            .expect("grant");
    }
    access::authorize(app, &viewer, &s.mp4, Use::Download)
        .await
        .expect("granted before the purge");
    let req = purge::request_purge(app, &s.keeper, ask(&[&s.mp4]))
        .await
        .expect("request");
    access::approve(app, &s.manager, req.id.as_str(), None)
        .await
        .expect("approve");
    purge::execute_purge(app, &s.keeper, req.id.as_str())
        .await
        .expect("execute");
    let e = access::authorize(app, &viewer, &s.mp4, Use::Download)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Purged { .. }), "{e:?}");
    assert!(e.to_string().contains("经审批清除"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_purge_request_refused_when_not_expired() {
    let s = setup(false).await;
    let e = purge::request_purge(s.t.app(), &s.keeper, ask(&[&s.mp4]))
        .await
        .unwrap_err();
    refused(e, "尚未到保存期限");
    assert!(
        purge::purge_requests(s.t.app(), &s.keeper)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_purge_request_refused_under_legal_hold() {
    let s = setup(true).await;
    let app = s.t.app();
    records::place_hold(app, &s.keeper, &s.mp4, "行政复议")
        .await
        .expect("hold");
    let e = purge::request_purge(app, &s.keeper, ask(&[&s.mp4, &s.wav]))
        .await
        .unwrap_err();
    refused(e, &format!("音像记录 {} 处于保全", s.mp4));
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_purge_execute_refused_when_hold_placed_after_approval() {
    let s = setup(true).await;
    let app = s.t.app();
    let req = purge::request_purge(app, &s.keeper, ask(&[&s.mp4, &s.wav]))
        .await
        .expect("request");
    access::approve(app, &s.manager, req.id.as_str(), None)
        .await
        .expect("approve");
    records::place_hold(app, &s.keeper, &s.wav, "诉讼")
        .await
        .expect("hold");
    let e = purge::execute_purge(app, &s.keeper, req.id.as_str())
        .await
        .unwrap_err();
    refused(e, &format!("音像记录 {} 处于保全", s.wav));
    assert_eq!(in_roots(&s.t, &s.mp4), 2, "nothing deleted");
    assert_eq!(in_roots(&s.t, &s.wav), 2, "nothing deleted");
    assert!(app.catalog().tombstones().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_purge_execute_refused_without_approval() {
    let s = setup(true).await;
    let app = s.t.app();
    let req = purge::request_purge(app, &s.keeper, ask(&[&s.mp4]))
        .await
        .expect("request");
    let e = purge::execute_purge(app, &s.keeper, req.id.as_str())
        .await
        .unwrap_err();
    refused(e, "尚未审批通过");
    assert_eq!(in_roots(&s.t, &s.mp4), 2);
    // Rejected stays refused.
    access::reject(app, &s.manager, req.id.as_str(), "仍有保存价值")
        .await
        .expect("reject");
    let e = purge::execute_purge(app, &s.keeper, req.id.as_str())
        .await
        .unwrap_err();
    refused(e, "尚未审批通过");
    assert_eq!(in_roots(&s.t, &s.mp4), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_purge_approved_by_the_requester_is_refused() {
    let s = setup(true).await;
    let app = s.t.app();
    let both = user(&s.t, "KM", &["custodian", APPROVER_ROLE]).await;
    let req = purge::request_purge(app, &both, ask(&[&s.mp4]))
        .await
        .expect("request");
    let e = access::approve(app, &both, req.id.as_str(), None)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::ApprovalRefused { .. }), "{e:?}");
    assert!(
        access::inbox(app, &both).await.unwrap().is_empty(),
        "not in the requester's own inbox"
    );
    let e = purge::execute_purge(app, &both, req.id.as_str())
        .await
        .unwrap_err();
    refused(e, "尚未审批通过");
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_purge_refused_when_already_purged() {
    let s = setup(true).await;
    let app = s.t.app();
    let first = purge::request_purge(app, &s.keeper, ask(&[&s.mp4]))
        .await
        .expect("request");
    let second = purge::request_purge(app, &s.keeper, ask(&[&s.mp4]))
        .await
        .expect("a second request before the first is executed");
    for r in [&first, &second] {
        access::approve(app, &s.manager, r.id.as_str(), None)
            .await
            .expect("approve");
    }
    purge::execute_purge(app, &s.keeper, first.id.as_str())
        .await
        .expect("execute");
    let e = purge::execute_purge(app, &s.keeper, first.id.as_str())
        .await
        .unwrap_err();
    refused(e, "已于");
    let e = purge::execute_purge(app, &s.keeper, second.id.as_str())
        .await
        .unwrap_err();
    refused(e, "不能再次清除");
    let e = purge::request_purge(app, &s.keeper, ask(&[&s.mp4]))
        .await
        .unwrap_err();
    refused(e, "不能再次清除");
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_deleted_object_without_tombstone_is_still_flagged_by_fixity_and_verify() {
    let s = setup(true).await;
    let app = s.t.app();
    let req = purge::request_purge(app, &s.keeper, ask(&[&s.mp4]))
        .await
        .expect("request");
    access::approve(app, &s.manager, req.id.as_str(), None)
        .await
        .expect("approve");
    purge::execute_purge(app, &s.keeper, req.id.as_str())
        .await
        .expect("execute");
    // Someone deletes the other recording's bytes behind the program: no tombstone.
    for root in ["primary", "replica"] {
        let p =
            s.t.data()
                .join("vault")
                .join(root)
                .join("objects/sha256")
                .join(&s.wav[..2])
                .join(&s.wav[2..4])
                .join(&s.wav);
        std::fs::remove_file(&p).expect("delete behind the program");
    }
    let fx = integrity::fixity(app, &Actor::test("fixity"), false)
        .await
        .expect("fixity");
    assert_eq!(fx.lost.len(), 1, "{:?}", fx.lost);
    assert_eq!(fx.lost[0].as_str(), s.wav);
    assert!(fx.problems.iter().all(|p| p.sha256.as_str() == s.wav));
    assert_eq!(fx.problems.len(), 2);
    let v = integrity::verify(app, &Actor::test("verify"))
        .await
        .expect("verify");
    assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
    assert!(v.problems[0].message.contains(&s.wav));
    s.t.tampered();
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_unfinished_purge_is_reported_by_fixity_and_finished_by_resume() {
    let s = setup(true).await;
    let app = s.t.app();
    let req = purge::request_purge(app, &s.keeper, ask(&[&s.mp4]))
        .await
        .expect("request");
    access::approve(app, &s.manager, req.id.as_str(), None)
        .await
        .expect("approve");
    purge::execute_purge(app, &s.keeper, req.id.as_str())
        .await
        .expect("execute");
    // As if the process had died before deleting the primary copy: put it back.
    let p =
        s.t.data()
            .join("vault/primary/objects/sha256")
            .join(&s.mp4[..2])
            .join(&s.mp4[2..4])
            .join(&s.mp4);
    std::fs::write(&p, b"left behind").expect("left behind");
    let fx = integrity::fixity(app, &Actor::test("fixity"), false)
        .await
        .expect("fixity");
    assert_eq!(fx.unfinished_purges.len(), 1);
    assert!(fx.problems.is_empty() && fx.lost.is_empty(), "{fx:?}");
    assert_eq!(fx.unrepaired(), 0, "not damage");
    let done = purge::resume(app, &s.keeper).await.expect("resume");
    assert_eq!(done.len(), 1);
    assert!(!p.exists());
    let fx = integrity::fixity(app, &Actor::test("fixity"), false)
        .await
        .expect("fixity");
    assert!(fx.unfinished_purges.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn r20_purge_expired_asks_for_every_expired_recording_and_spares_an_open_case() {
    let s = setup(false).await;
    let app = s.t.app();
    // The MP4 is linked to an activity with a case number (after the recordings, so nothing is
    // linked to it automatically): it follows the case file's period.
    let (activity, _) = records::add_activity(
        app,
        &Actor::test("setup"),
        records::NewActivity {
            kind: "routine_inspection".into(),
            subject_name: "某食品店".into(),
            subject_code: None,
            place: "某街道".into(),
            officers: vec!["000123".into()],
            start: beijing_time("2026-11-20 14:00:00"),
            end: beijing_time("2026-11-20 15:00:00"),
            case_no: Some("鲁市监罚〔2026〕12号".into()),
            flags: Vec::new(),
        },
    )
    .await
    .expect("activity");
    records::link(app, &Actor::test("setup"), &s.mp4, activity.id.as_str())
        .await
        .expect("link");
    s.t.set_now(beijing_time("2029-01-05 09:00:00"));
    let e = purge::request_purge(app, &s.keeper, ask(&[&s.mp4]))
        .await
        .unwrap_err();
    refused(e, "关联未到期的案件");
    let req = purge::request_purge(
        app,
        &s.keeper,
        PurgeAsk {
            recordings: Vec::new(),
            expired: true,
            reason: "到期清理".into(),
        },
    )
    .await
    .expect("request the expired");
    let items: Vec<&str> = req.items.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        items,
        [s.wav.as_str()],
        "only the expired one, not the case's"
    );
}
