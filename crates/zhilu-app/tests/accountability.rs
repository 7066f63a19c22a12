//! Accountability (R28, R29, 行政处罚法 §42): violations and sanctions recorded against officers,
//! a suspension of enforcement that blocks checkouts and flags activities, the annual-review
//! reminder, and the certificate an activity under the penalty law needs.

use chrono::NaiveDate;
use zhilu_app::compliance::{self, CheckScope, Finding};
use zhilu_app::identity::NewUser;
use zhilu_app::records::{self, NewActivity};
use zhilu_app::supervision::accountability::{
    self as acc, NewAnnualReview, NewSanction, NewViolation,
};
use zhilu_app::testing::{TestApp, beijing_time};
use zhilu_app::{Actor, AppError, registry};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
}

/// A logged-in user; `cert` = (number, from, to).
async fn user(t: &TestApp, id: &str, roles: &[&str], cert: Option<(&str, &str, &str)>) -> Actor {
    t.login_as(NewUser {
        id: id.into(),
        name: format!("用户{id}"),
        unit: "一大队".into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        certificate: cert.map(|c| c.0.to_string()),
        certificate_from: cert.map(|c| day(c.1)),
        certificate_to: cert.map(|c| day(c.2)),
        ..NewUser::default()
    })
    .await
}

const VALID: Option<(&str, &str, &str)> = Some(("ZF-0001", "2020-01-01", "2030-12-31"));

struct People {
    officer: Actor,
    other: Actor,
    supervisor: Actor,
}

/// Officers 000123 and 000456 (valid certificates), supervisor S1, camera DSJ0001.
async fn people(t: &TestApp) -> People {
    let p = People {
        officer: user(t, "000123", &["officer"], VALID).await,
        other: user(t, "000456", &["officer"], VALID).await,
        supervisor: user(t, "S1", &["supervisor"], None).await,
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

fn violation(officer: &str, kind: &str) -> NewViolation {
    NewViolation {
        officer: officer.into(),
        kind: kind.into(),
        description: "将执法记录仪交给辅助人员带回家".into(),
        occurred_on: Some(day("2026-11-18")),
        findings: vec!["WT00001".into()],
        entries: vec![1],
    }
}

async fn suspend(t: &TestApp, p: &People, from: &str) -> String {
    let v = acc::add_violation(t.app(), &p.supervisor, violation("000123", "lend_device"))
        .await
        .expect("violation");
    assert!(v.id.as_str().starts_with("WG"), "{}", v.id);
    let s = acc::add_sanction(
        t.app(),
        &p.supervisor,
        NewSanction {
            violation: v.id.to_string(),
            kind: "suspend_one_month".into(),
            decided_on: Some(day("2026-11-20")),
            from: Some(day(from)),
            decided_by: Some("局党组".into()),
        },
    )
    .await
    .expect("sanction");
    assert!(s.id.as_str().starts_with("CF"), "{}", s.id);
    assert_eq!(s.officer.as_str(), "000123");
    s.id.to_string()
}

async fn checkout(t: &TestApp, officer: &str) -> Result<(), AppError> {
    registry::checkout(
        t.app(),
        &Actor::test("custodian"),
        registry::NewCheckout {
            device: "DSJ0001".into(),
            officer: officer.into(),
            battery_pct: Some(90),
            free_gb: Some(32),
            clock_ok: true,
        },
    )
    .await
    .map(|_| ())
}

async fn findings(t: &TestApp) -> Vec<Finding> {
    compliance::check(t.app(), &Actor::test("reader"), &CheckScope::default())
        .await
        .expect("check")
}

fn of_code<'a>(f: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    f.iter().filter(|f| f.code == code).collect()
}

async fn activity(t: &TestApp, kind: &str, officers: &[&str], start: &str) -> String {
    let (a, _) = records::add_activity(
        t.app(),
        &Actor::test("setup"),
        NewActivity {
            kind: kind.into(),
            subject_name: "某某商店".into(),
            subject_code: None,
            place: "某区某路 1 号".into(),
            officers: officers.iter().map(|s| s.to_string()).collect(),
            start: beijing_time(start),
            end: beijing_time(start) + chrono::Duration::minutes(40),
            case_no: None,
            flags: vec![],
        },
    )
    .await
    .expect("activity");
    a.id.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn r29_sanction_suspending_enforcement_blocks_checkout() {
    let t = TestApp::with_profile("jinpu-wj").await;
    let p = people(&t).await;
    let sanction = suspend(&t, &p, "2026-11-20").await;
    // jinpu-wj §28(三) "停止执法工作一个月": 2026-11-20 up to and including 2026-12-19.
    let e = checkout(&t, "000123").await.expect_err("suspended");
    assert!(matches!(e, AppError::Suspended { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "执法人员 000123 在 2026-11-20 至 2026-12-19 停止执法（处理决定 {sanction}），不能领用设备"
        )
    );
    assert_eq!(e.code(), "officer_suspended");
    // Another officer is not concerned.
    checkout(&t, "000456").await.expect("other officer");
    registry::return_device(t.app(), &Actor::test("custodian"), "DSJ0001")
        .await
        .expect("return");
    // The last day still refused; the day after, allowed again.
    t.at("2026-12-19 23:00:00");
    assert!(matches!(
        checkout(&t, "000123").await,
        Err(AppError::Suspended { .. })
    ));
    t.at("2026-12-20 08:00:00");
    checkout(&t, "000123").await.expect("suspension over");
}

#[tokio::test(flavor = "multi_thread")]
async fn r29_sanction_not_stopping_enforcement_and_later_suspension_do_not_block_today() {
    let t = TestApp::with_profile("jinpu-wj").await;
    let p = people(&t).await;
    let v = acc::add_violation(t.app(), &p.supervisor, violation("000123", "lend_device"))
        .await
        .expect("violation");
    let s = acc::add_sanction(
        t.app(),
        &p.supervisor,
        NewSanction {
            violation: v.id.to_string(),
            kind: "written_self_criticism".into(),
            ..NewSanction::default()
        },
    )
    .await
    .expect("sanction");
    assert_eq!(s.to, None);
    // A suspension that starts tomorrow does not stop today's checkout.
    suspend(&t, &p, "2026-11-21").await;
    checkout(&t, "000123").await.expect("not suspended today");
}

#[tokio::test(flavor = "multi_thread")]
async fn r29_activity_during_suspension_is_kept_and_flagged() {
    let t = TestApp::with_profile("jinpu-wj").await;
    let p = people(&t).await;
    suspend(&t, &p, "2026-11-20").await;
    let kind = t.app().profile().await.expect("profile").checklist[0]
        .kind
        .get_ref()
        .clone();
    t.at("2026-11-26 12:00:00");
    let during = activity(&t, &kind, &["000123", "000456"], "2026-11-25 09:00:00").await;
    let before = activity(&t, &kind, &["000123", "000456"], "2026-11-19 09:00:00").await;
    // Kept: it happened.
    records::activity(t.app(), &Actor::test("reader"), &during)
        .await
        .expect("kept");
    let got = findings(&t).await;
    let flagged = of_code(&got, "enforcement_while_suspended");
    assert_eq!(flagged.len(), 1, "{flagged:#?}");
    let f = flagged[0];
    assert_eq!(f.rule, "R29");
    assert_eq!(f.activity.as_deref(), Some(during.as_str()));
    assert_eq!(f.officer.as_deref(), Some("000123"));
    assert_eq!(f.article, "jinpu-wj §28(三)");
    assert!(
        f.quote
            .as_deref()
            .unwrap_or("")
            .contains("停止执法工作一个月")
    );
    assert!(
        flagged
            .iter()
            .all(|f| f.activity.as_deref() != Some(before.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r29_unknown_violation_kind_is_refused() {
    let t = TestApp::with_profile("jinpu-wj").await;
    let p = people(&t).await;
    let e = acc::add_violation(t.app(), &p.supervisor, violation("000123", "jaywalking"))
        .await
        .expect_err("unknown kind");
    assert!(matches!(e, AppError::NotInProfile(_)), "{e:?}");
    let m = e.to_string();
    assert!(
        m.contains("“jaywalking”不是配置 jinpu-wj 的违规行为目录"),
        "{m}"
    );
    assert!(m.contains("lend_device（擅自借给其他人员使用的）"), "{m}");
    // The sanction catalogue likewise.
    let v = acc::add_violation(t.app(), &p.supervisor, violation("000123", "lend_device"))
        .await
        .expect("violation");
    let e = acc::add_sanction(
        t.app(),
        &p.supervisor,
        NewSanction {
            violation: v.id.to_string(),
            kind: "fine".into(),
            ..NewSanction::default()
        },
    )
    .await
    .expect_err("unknown sanction");
    assert!(
        e.to_string()
            .contains("suspend_one_month（停止执法工作一个月）"),
        "{e}"
    );
    // A ledger entry that does not exist cannot prove anything.
    let mut bad = violation("000123", "lend_device");
    bad.entries = vec![1_000_000];
    let e = acc::add_violation(t.app(), &p.supervisor, bad)
        .await
        .expect_err("no such entry");
    assert!(e.to_string().contains("审计日志第 1000000 条不存在"), "{e}");
    // Nothing refused was written: one violation only.
    assert_eq!(
        acc::violations(t.app(), &p.supervisor).await.unwrap().len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r29_only_supervisors_record_and_officers_read_their_own() {
    let t = TestApp::with_profile("luohe-xm").await;
    let p = people(&t).await;
    let e = acc::add_violation(t.app(), &p.officer, violation("000456", "lend_device"))
        .await
        .expect_err("officer cannot record");
    assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
    let v = acc::add_violation(t.app(), &p.supervisor, violation("000123", "leak"))
        .await
        .expect("violation");
    assert_eq!(v.findings, vec!["WT00001".to_string()]);
    assert_eq!(v.entries, vec![1]);
    let mine = acc::violations(t.app(), &p.officer).await.expect("own");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].article, "luohe-xm §21(四)");
    assert!(
        acc::violations(t.app(), &p.other)
            .await
            .expect("none")
            .is_empty()
    );
    // The record is in the ledger.
    let about = t
        .app()
        .catalog()
        .ledger_entries_about(&format!("violation:{}", v.id), 5)
        .await
        .expect("ledger");
    assert_eq!(about.len(), 1);
    assert_eq!(about[0].kind, "violation.recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn r28_annual_review_missing_raises_finding() {
    // lushan-sj §17: at least one review a year; by 12-31 (the agency's choice).
    let t = TestApp::with_profile("lushan-sj").await;
    let p = people(&t).await;
    assert!(of_code(&findings(&t).await, "annual_review_missing").is_empty());
    t.at("2027-01-05 09:00:00");
    let got = findings(&t).await;
    let f = of_code(&got, "annual_review_missing");
    assert_eq!(f.len(), 1, "{got:#?}");
    assert_eq!(f[0].rule, "R28");
    assert_eq!(f[0].article, "lushan-sj §17");
    assert_eq!(f[0].at, beijing_time("2027-01-01 00:00:00"));
    let years = acc::annual_reviews(t.app(), &p.supervisor)
        .await
        .expect("years");
    let y2026 = years.years.iter().find(|y| y.year == 2026).expect("2026");
    assert!(y2026.overdue);
    assert_eq!(y2026.due, day("2026-12-31"));
}

#[tokio::test(flavor = "multi_thread")]
async fn r28_recorded_review_clears_it() {
    let t = TestApp::with_profile("lushan-sj").await;
    let p = people(&t).await;
    t.at("2027-01-05 09:00:00");
    assert_eq!(
        of_code(&findings(&t).await, "annual_review_missing").len(),
        1
    );
    // Held late (in January) for 2026: recorded for 2026, the reminder goes.
    let r = acc::add_annual_review(
        t.app(),
        &p.supervisor,
        NewAnnualReview {
            year: 2026,
            held_on: Some(day("2027-01-04")),
            summary: "抽查 2026 年度音像记录 40 条，问题 3 项已整改".into(),
        },
    )
    .await
    .expect("review");
    assert!(r.id.as_str().starts_with("NP"));
    assert!(of_code(&findings(&t).await, "annual_review_missing").is_empty());
    let years = acc::annual_reviews(t.app(), &p.officer)
        .await
        .expect("years");
    assert!(years.years.iter().all(|y| !y.overdue));
    // A year not yet begun, or a review held before its year, is refused.
    for (year, on) in [(2028, "2027-01-05"), (2027, "2026-12-30")] {
        let e = acc::add_annual_review(
            t.app(),
            &p.supervisor,
            NewAnnualReview {
                year,
                held_on: Some(day(on)),
                summary: "评查".into(),
            },
        )
        .await
        .expect_err("refused");
        assert!(matches!(e, AppError::Invalid { .. }), "{e:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r9_activity_by_officer_with_expired_certificate_cites_xzcf_42() {
    // lushan-sj: investigations are part of a penalty case (行政处罚法 §42).
    let t = TestApp::with_profile("lushan-sj").await;
    user(
        &t,
        "000123",
        &["officer"],
        Some(("ZF-1", "2020-01-01", "2026-11-01")),
    )
    .await;
    user(&t, "000456", &["officer"], VALID).await;
    user(
        &t,
        "000789",
        &["officer"],
        Some(("ZF-3", "2026-11-15", "2031-11-14")),
    )
    .await;
    let expired = activity(
        &t,
        "investigation",
        &["000123", "000456"],
        "2026-11-10 09:00:00",
    )
    .await;
    let not_yet = activity(
        &t,
        "investigation",
        &["000789", "000456"],
        "2026-11-10 14:00:00",
    )
    .await;
    let valid = activity(
        &t,
        "investigation",
        &["000789", "000456"],
        "2026-11-16 09:00:00",
    )
    .await;
    let got = findings(&t).await;
    let f = of_code(&got, "no_valid_certificate");
    let pairs: Vec<(Option<&str>, Option<&str>)> = f
        .iter()
        .map(|f| (f.activity.as_deref(), f.officer.as_deref()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            (Some(expired.as_str()), Some("000123")),
            (Some(not_yet.as_str()), Some("000789")),
        ],
        "{f:#?}"
    );
    assert!(
        f.iter()
            .all(|f| f.rule == "R9" && f.article == "行政处罚法 §42")
    );
    assert!(
        f[0].message.contains("已于 2026-11-01 到期"),
        "{}",
        f[0].message
    );
    assert!(
        f[1].message.contains("自 2026-11-15 起才有效"),
        "{}",
        f[1].message
    );
    assert!(
        f.iter()
            .all(|f| f.activity.as_deref() != Some(valid.as_str()))
    );
}
