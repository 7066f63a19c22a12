//! Issue 14: findings become work items. A finding keeps its identity across checks; the officer
//! concerned acknowledges and rectifies it, a supervisor closes or reopens it (R30: the legal
//! office reads, never closes); a finding whose cause disappears closes itself; a sync that finds
//! nothing new writes nothing, and two syncs at once never duplicate a case.

use zhilu_app::identity::{self, NewUser};
use zhilu_app::model::{FindingCase, FindingState};
use zhilu_app::records::{self, NewActivity};
use zhilu_app::supervision::findings::{self, FindingFilter, Rectification, Step};
use zhilu_app::testing::{TestApp, beijing_time};
use zhilu_app::{Actor, AppError, registry};

/// lushan-sj: routine inspections must be recorded (§8), offloads are due the same day (§13).
const PROFILE: &str = "lushan-sj";
use zhilu_app::testing::{INITIAL_PASSWORD as INITIAL, PASSWORD};

async fn user(t: &TestApp, id: &str, unit: &str, roles: &[&str]) -> Actor {
    t.person(id, unit, roles).await
}

struct People {
    officer: Actor,
    other: Actor,
    head: Actor,
    supervisor: Actor,
    legal: Actor,
}

/// Officer 000123 and unit head H1 in 一大队, officer 000456 in 二大队, a supervisor, the legal
/// office; camera DSJ0001.
async fn people(t: &TestApp) -> People {
    let p = People {
        officer: user(t, "000123", "一大队", &["officer"]).await,
        other: user(t, "000456", "二大队", &["officer"]).await,
        head: user(t, "H1", "一大队", &["unit_head"]).await,
        supervisor: user(t, "S1", "督察室", &["supervisor"]).await,
        legal: user(t, "L1", "法制科", &["legal"]).await,
    };
    registry::register_device(
        t.app(),
        &Actor::test("setup"),
        zhilu_app::testing::camera("DSJ0001"),
    )
    .await
    .expect("device");
    p
}

/// Offloads the two fixture recordings (captured 20 November 2026, 09:30 and 09:40) now, for
/// officer 000123; returns (MP4, WAV) SHA-256.
async fn offload_now(t: &TestApp) -> (String, String) {
    t.offload_fixtures().await
}

async fn all_cases(t: &TestApp) -> Vec<FindingCase> {
    findings::list(t.app(), &Actor::test("reader"), &FindingFilter::default())
        .await
        .expect("list")
}

/// The late-offload case of the MP4 recording.
async fn late_case(t: &TestApp, mp4: &str) -> FindingCase {
    all_cases(t)
        .await
        .into_iter()
        .find(|c| c.code == "late_offload" && c.recording.as_deref() == Some(mp4))
        .unwrap_or_else(|| panic!("no late_offload case for {mp4}"))
}

async fn ledger_size(t: &TestApp) -> u64 {
    t.app().catalog().ledger_head().await.expect("head").0
}

async fn entries_of(t: &TestApp, id: &str) -> Vec<String> {
    findings::show(t.app(), &Actor::test("reader"), id)
        .await
        .expect("show")
        .history
        .into_iter()
        .map(|h| h.kind)
        .collect()
}

fn forbidden<T: std::fmt::Debug>(r: Result<T, AppError>) {
    match r {
        Err(AppError::Forbidden { .. }) => {}
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

fn refused<T: std::fmt::Debug>(r: Result<T, AppError>, needle: &str) {
    match r {
        Err(AppError::FindingRefused(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected a refusal naming {needle:?}, got {other:?}"),
    }
}

/// A late offload (three days after capture): one case per identity; the officer acknowledges
/// and rectifies, the supervisor closes; each step is one ledger entry; a later check keeps it
/// closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r17_late_offload_finding_acknowledged_rectified_closed() {
    let t = TestApp::with_profile(PROFILE).await;
    let p = people(&t).await;
    t.at("2026-11-23 10:00:00");
    let (mp4, _) = offload_now(&t).await;
    let report = findings::sync(t.app()).await.expect("sync");
    assert!(report.opened >= 1, "{report:?}");
    let c = late_case(&t, &mp4).await;
    assert_eq!(c.state, FindingState::Open);
    assert!(c.id.as_str().starts_with("WT"), "{}", c.id);
    assert_eq!(c.rule, "R17");
    assert!(c.officers.iter().any(|o| o.as_str() == "000123"));
    assert!(c.units.iter().any(|u| u == "一大队"), "{:?}", c.units);
    let id = c.id.to_string();

    // Rectifying before acknowledging is refused, naming the state.
    refused(
        findings::rectify(
            t.app(),
            &p.officer,
            &id,
            &Rectification {
                explanation: "已补导".into(),
                links: vec![],
            },
        )
        .await,
        &format!("问题 {id} 当前状态为待确认，不能整改"),
    );

    t.at("2026-11-23 11:00:00");
    let acked = findings::acknowledge(t.app(), &p.officer, &id, Some("属实"))
        .await
        .expect("ack");
    assert_eq!(acked.state, FindingState::Acknowledged);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("000123"));
    assert_eq!(
        acked.acknowledged_at,
        Some(beijing_time("2026-11-23 11:00:00"))
    );

    let fixed = findings::rectify(
        t.app(),
        &p.officer,
        &id,
        &Rectification {
            explanation: "外出执法返回后未及时导出，已组织学习导出时限规定".into(),
            links: vec![mp4.clone()],
        },
    )
    .await
    .expect("rectify");
    assert_eq!(fixed.state, FindingState::Rectified);
    assert_eq!(fixed.rectification_links, vec![mp4.clone()]);

    // A link that names nothing is refused.
    assert!(
        findings::rectify(
            t.app(),
            &p.officer,
            &id,
            &Rectification {
                explanation: "x".into(),
                links: vec!["NR09999".into()],
            },
        )
        .await
        .is_err()
    );

    let closed = findings::close(t.app(), &p.supervisor, &id, None)
        .await
        .expect("close");
    assert_eq!(closed.state, FindingState::Closed);
    assert_eq!(closed.closed_by.as_deref(), Some("S1"));

    assert_eq!(
        entries_of(&t, &id).await,
        vec![
            "finding.opened",
            "finding.changed",
            "finding.changed",
            "finding.changed"
        ]
    );
    // After closing, nothing more is done to it but reopening.
    refused(
        findings::rectify(
            t.app(),
            &p.officer,
            &id,
            &Rectification {
                explanation: "再次整改".into(),
                links: vec![],
            },
        )
        .await,
        &format!("问题 {id} 当前状态为已关闭，不能整改"),
    );
    // The check still finds the late offload: the supervisor's closing stands.
    let again = findings::sync(t.app()).await.expect("sync");
    assert_eq!(again.reopened, 0, "{again:?}");
    assert_eq!(late_case(&t, &mp4).await.state, FindingState::Closed);
}

/// A supervisor rejects a rectification: the case goes back to 待确认 with the reason, counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r17_finding_reopened_by_supervisor() {
    let t = TestApp::with_profile(PROFILE).await;
    let p = people(&t).await;
    t.at("2026-11-23 10:00:00");
    let (mp4, _) = offload_now(&t).await;
    findings::sync(t.app()).await.expect("sync");
    let id = late_case(&t, &mp4).await.id.to_string();
    // The unit head answers for their unit.
    findings::acknowledge(t.app(), &p.head, &id, None)
        .await
        .expect("unit head acknowledges");
    findings::rectify(
        t.app(),
        &p.officer,
        &id,
        &Rectification {
            explanation: "已说明".into(),
            links: vec![],
        },
    )
    .await
    .expect("rectify");
    // The officer cannot reopen or close it; an empty reason is refused.
    forbidden(findings::reopen(t.app(), &p.officer, &id, "不认可").await);
    assert!(matches!(
        findings::reopen(t.app(), &p.supervisor, &id, "  ").await,
        Err(AppError::Invalid { .. })
    ));
    let back = findings::reopen(t.app(), &p.supervisor, &id, "整改说明不充分，请补充")
        .await
        .expect("reopen");
    assert_eq!(back.state, FindingState::Open);
    assert_eq!(back.reopen_count, 1);
    assert_eq!(back.note.as_deref(), Some("整改说明不充分，请补充"));
    assert_eq!(back.acknowledged_by, None);
    assert_eq!(back.rectification, None);
    let view = findings::show(t.app(), &p.officer, &id)
        .await
        .expect("show");
    assert_eq!(view.steps, vec![Step::Acknowledge]);
    assert_eq!(
        view.history.last().and_then(|h| h.state),
        Some(FindingState::Open)
    );
    assert_eq!(
        view.history.last().and_then(|h| h.note.clone()).as_deref(),
        Some("整改说明不充分，请补充")
    );
}

/// R30: the officer concerned answers a finding but never closes it; another unit's officer and
/// the supervisor do not answer it; the legal office reads every finding and changes none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_officer_cannot_close_own_finding() {
    let t = TestApp::with_profile(PROFILE).await;
    let p = people(&t).await;
    t.at("2026-11-23 10:00:00");
    let (mp4, _) = offload_now(&t).await;
    findings::sync(t.app()).await.expect("sync");
    let id = late_case(&t, &mp4).await.id.to_string();

    forbidden(findings::close(t.app(), &p.officer, &id, Some("已处理")).await);
    forbidden(findings::acknowledge(t.app(), &p.other, &id, None).await);
    forbidden(findings::acknowledge(t.app(), &p.supervisor, &id, None).await);
    forbidden(findings::close(t.app(), &p.legal, &id, Some("x")).await);
    forbidden(findings::show(t.app(), &p.other, &id).await);

    // Closing what was never rectified needs a stated reason.
    assert!(matches!(
        findings::close(t.app(), &p.supervisor, &id, None).await,
        Err(AppError::Invalid { .. })
    ));

    let listed = |a: &Actor| {
        let a = a.clone();
        let app = t.app().clone();
        async move {
            findings::list(&app, &a, &FindingFilter::default())
                .await
                .expect("list")
                .len()
        }
    };
    let all = all_cases(&t).await.len();
    assert!(all >= 1);
    assert!(listed(&p.officer).await >= 1);
    assert_eq!(
        listed(&p.other).await,
        0,
        "another unit's officer sees none"
    );
    assert_eq!(listed(&p.legal).await, all, "the legal office sees all");
    assert_eq!(listed(&p.supervisor).await, all);
    let open = findings::list(
        t.app(),
        &p.legal,
        &FindingFilter {
            state: Some(FindingState::Closed),
            ..FindingFilter::default()
        },
    )
    .await
    .expect("list");
    assert!(open.is_empty());
    assert_eq!(
        findings::show(t.app(), &p.officer, &id)
            .await
            .expect("show")
            .steps,
        vec![Step::Acknowledge]
    );
    assert_eq!(
        findings::show(t.app(), &p.supervisor, &id)
            .await
            .expect("show")
            .steps,
        vec![Step::Close]
    );
    assert!(
        findings::show(t.app(), &p.legal, &id)
            .await
            .expect("show")
            .steps
            .is_empty()
    );
}

/// R7/R10: a mandatory inspection without any recording is a finding; when its recordings arrive
/// (offloaded and linked), the next check closes it itself (原因已消除, by the system); a case the
/// check closed comes back by itself when its cause does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r7_unrecorded_activity_finding_closes_itself_when_the_record_arrives() {
    let t = TestApp::with_profile(PROFILE).await;
    let _p = people(&t).await;
    t.at("2026-11-20 11:00:00");
    let kind = "routine_inspection";
    let (activity, _) = records::add_activity(
        t.app(),
        &Actor::test("setup"),
        NewActivity {
            kind: kind.into(),
            subject_name: "某餐饮公司".into(),
            place: "某街 1 号".into(),
            officers: vec!["000123".into()],
            start: beijing_time("2026-11-20 09:25:00"),
            end: beijing_time("2026-11-20 09:50:00"),
            ..NewActivity::default()
        },
    )
    .await
    .expect("activity");
    let report = findings::sync(t.app()).await.expect("sync");
    assert!(report.opened >= 1, "{report:?}");
    let case = all_cases(&t)
        .await
        .into_iter()
        .find(|c| c.code == "mandatory_not_recorded")
        .expect("an unrecorded-activity case");
    assert_eq!(case.activity.as_deref(), Some(activity.id.as_str()));
    assert!(case.officers.iter().any(|o| o.as_str() == "000123"));

    // The recordings arrive the same afternoon and link to the activity.
    t.at("2026-11-20 15:00:00");
    offload_now(&t).await;
    let report = findings::sync(t.app()).await.expect("sync");
    assert!(report.self_closed >= 1, "{report:?}");
    let after = findings::show(t.app(), &Actor::test("reader"), case.id.as_str())
        .await
        .expect("show")
        .case;
    assert_eq!(after.state, FindingState::Closed);
    assert_eq!(after.closed_by.as_deref(), Some(findings::SYSTEM));
    assert_eq!(after.closed_reason.as_deref(), Some(findings::CAUSE_GONE));
    assert_eq!(after.closed_at, Some(beijing_time("2026-11-20 15:00:00")));
}

/// A re-check finds the same cases under the same ids and writes nothing; two syncs at once (two
/// servers) leave exactly one case per finding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r17_recheck_keeps_the_same_id_and_a_second_sync_writes_no_ledger_entry() {
    let t = TestApp::with_profile(PROFILE).await;
    let _p = people(&t).await;
    t.at("2026-11-23 10:00:00");
    offload_now(&t).await;
    let (a, b) = tokio::join!(findings::sync(t.app()), findings::sync(t.app()));
    let (a, b) = (a.expect("first sync"), b.expect("second sync"));
    let first = all_cases(&t).await;
    assert!(!first.is_empty());
    assert_eq!(
        a.opened + b.opened,
        first.len(),
        "concurrent syncs opened each case once: {a:?} {b:?}"
    );
    let mut keys: Vec<&str> = first.iter().map(|c| c.key.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), first.len());

    let size = ledger_size(&t).await;
    t.at("2026-11-23 16:00:00");
    let again = findings::sync(t.app()).await.expect("sync");
    assert!(!again.changed(), "{again:?}");
    assert_eq!(again.unchanged, first.len());
    assert_eq!(ledger_size(&t).await, size, "no ledger entry for no change");
    let second = all_cases(&t).await;
    let ids = |v: &[FindingCase]| {
        let mut x: Vec<(String, String)> = v
            .iter()
            .map(|c| (c.key.clone(), c.id.to_string()))
            .collect();
        x.sort();
        x
    };
    assert_eq!(ids(&first), ids(&second));
}

/// R25 with R30: a case about a classified recording does not exist for a reader not cleared for
/// it, even the legal office; cleared readers see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_case_about_a_classified_recording_is_hidden_from_readers_not_cleared() {
    let t = TestApp::with_profile(PROFILE).await;
    let p = people(&t).await;
    t.at("2026-11-23 10:00:00");
    let (mp4, _) = offload_now(&t).await;
    findings::sync(t.app()).await.expect("sync");
    let id = late_case(&t, &mp4).await.id.to_string();
    // A legal officer cleared for 工作秘密 classifies the recording.
    identity::add_user(
        t.app(),
        &Actor::test("setup"),
        NewUser {
            id: "L2".into(),
            name: "法制员".into(),
            unit: "法制科".into(),
            roles: vec!["legal".into()],
            password: Some(INITIAL.into()),
            ..NewUser::default()
        },
    )
    .await
    .expect("add user");
    identity::set_clearances(
        t.app(),
        &Actor::test("setup"),
        "L2",
        vec![zhilu_app::model::Secrecy::WorkSecret],
    )
    .await
    .expect("clearances");
    let first = identity::login(t.app(), "L2", INITIAL, "127.0.0.1")
        .await
        .expect("login");
    identity::change_password(t.app(), &first.actor, INITIAL, PASSWORD)
        .await
        .expect("password");
    let cleared = identity::login(t.app(), "L2", PASSWORD, "127.0.0.1")
        .await
        .expect("login")
        .actor;
    zhilu_app::access::classify(
        t.app(),
        &cleared,
        &format!("recording:{mp4}"),
        Some(zhilu_app::model::Secrecy::WorkSecret),
    )
    .await
    .expect("classify");
    let sees = |a: Actor| {
        let app = t.app().clone();
        let id = id.clone();
        async move {
            findings::list(&app, &a, &FindingFilter::default())
                .await
                .expect("list")
                .iter()
                .any(|c| c.id.as_str() == id)
        }
    };
    assert!(!sees(p.legal.clone()).await, "not cleared: not there");
    assert!(matches!(
        findings::show(t.app(), &p.legal, &id).await,
        Err(AppError::NotFound { .. })
    ));
    assert!(sees(cleared).await, "cleared: there");
}
