//! The accountability rules with plain values: enforcement certificates (行政处罚法 §42, cited
//! under R9), the annual review (R28) and enforcement during a suspension (R29).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use zhilu_policy::calendar::Calendar;
use zhilu_policy::engine::{Finding, check, suspension_end};
use zhilu_policy::facts::*;
use zhilu_policy::profile::{NATIONAL_LAW, PRESETS, Profile};

/// China local time.
fn t(s: &str) -> DateTime<Utc> {
    let n = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time");
    china()
        .from_local_datetime(&n)
        .single()
        .expect("local")
        .with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
}

fn profile(id: &str) -> Profile {
    Profile::preset(id).expect("preset")
}

fn activity(id: &str, kind: &str, officers: &[&str], start: &str) -> Activity {
    Activity {
        id: id.into(),
        kind: kind.into(),
        subject_name: "某单位".into(),
        officers: officers.iter().map(|s| s.to_string()).collect(),
        start: t(start),
        end: t(start) + chrono::Duration::minutes(30),
        case_no: None,
        flags: vec![],
    }
}

fn cert(officer: &str, number: Option<&str>, from: Option<&str>, to: Option<&str>) -> Certificate {
    Certificate {
        officer: officer.into(),
        number: number.map(str::to_string),
        from: from.map(day),
        to: to.map(day),
    }
}

fn run(p: &Profile, facts: &Facts, now: &str) -> Vec<Finding> {
    check(p, &Calendar::builtin(), facts, t(now))
}

fn of_code<'a>(f: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    f.iter().filter(|f| f.code == code).collect()
}

/// lushan-sj's R9 rests on 行政处罚法 §42 for `investigation`: a penalty kind.
fn certificate_case(c: Certificate) -> Vec<Finding> {
    let p = profile("lushan-sj");
    let facts = Facts {
        activities: vec![activity(
            "A1",
            "investigation",
            &["1", "2"],
            "2026-11-02 09:00",
        )],
        certificates: vec![c, cert("2", Some("ZF-2"), None, None)],
        ..Facts::default()
    };
    run(&p, &facts, "2026-11-03 09:00")
}

#[test]
fn r9_activity_by_officer_with_expired_certificate_cites_xzcf_42() {
    let got = certificate_case(cert(
        "1",
        Some("ZF-1"),
        Some("2020-01-01"),
        Some("2026-11-01"),
    ));
    let f = of_code(&got, "no_valid_certificate");
    assert_eq!(f.len(), 1, "{got:#?}");
    assert_eq!(f[0].rule, "R9");
    assert_eq!(f[0].article, "行政处罚法 §42");
    assert_eq!(f[0].officer.as_deref(), Some("1"));
    assert_eq!(f[0].activity.as_deref(), Some("A1"));
    assert!(
        f[0].message.contains("已于 2026-11-01 到期"),
        "{}",
        f[0].message
    );
    let quote = f[0].quote.as_deref().expect("quote");
    assert!(quote.contains("具有行政执法资格的执法人员实施"), "{quote}");
    assert!(NATIONAL_LAW.contains(quote.lines().next().unwrap_or("")));
}

#[test]
fn r9_activity_by_officer_with_certificate_not_yet_valid_is_flagged() {
    let got = certificate_case(cert(
        "1",
        Some("ZF-1"),
        Some("2026-11-03"),
        Some("2030-12-31"),
    ));
    let f = of_code(&got, "no_valid_certificate");
    assert_eq!(f.len(), 1, "{got:#?}");
    assert!(
        f[0].message.contains("自 2026-11-03 起才有效"),
        "{}",
        f[0].message
    );
}

#[test]
fn r9_activity_by_officer_without_certificate_is_flagged() {
    // No number on record: a warning (the qualification cannot be shown), not a §42 breach.
    let got = certificate_case(cert("1", None, None, None));
    assert!(of_code(&got, "no_valid_certificate").is_empty(), "{got:#?}");
    let f = of_code(&got, "certificate_not_recorded");
    assert_eq!(f.len(), 1, "{got:#?}");
    assert_eq!(f[0].severity, zhilu_policy::engine::Severity::Warning);
    assert_eq!(f[0].article, "行政处罚法 §42");
    assert!(f[0].message.contains("未登记执法证"), "{}", f[0].message);
}

#[test]
fn r9_activity_by_officer_with_valid_certificate_raises_nothing() {
    // Valid on its first and on its last day (inclusive).
    for (from, to) in [("2026-11-02", "2027-01-01"), ("2020-01-01", "2026-11-02")] {
        let got = certificate_case(cert("1", Some("ZF-1"), Some(from), Some(to)));
        assert!(of_code(&got, "no_valid_certificate").is_empty(), "{got:#?}");
    }
}

#[test]
fn r9_certificate_rule_only_for_penalty_kinds_and_known_accounts() {
    let p = profile("lushan-sj");
    let expired = cert("1", Some("ZF-1"), None, Some("2020-01-01"));
    // A kind outside the penalty procedure (lushan-sj: only `investigation`).
    let other = p
        .checklist
        .iter()
        .map(|r| r.kind.get_ref().clone())
        .find(|k| k != "investigation")
        .expect("another kind");
    let facts = Facts {
        activities: vec![
            activity("A1", &other, &["1", "2"], "2026-11-02 09:00"),
            // Officer 3 has no account: no certificate on record, not judged.
            activity("A2", "investigation", &["3", "2"], "2026-11-02 10:00"),
        ],
        certificates: vec![expired.clone(), cert("2", Some("ZF-2"), None, None)],
        ..Facts::default()
    };
    assert!(of_code(&run(&p, &facts, "2026-11-03 09:00"), "no_valid_certificate").is_empty());
    // A profile whose R9 rests on its own regulation says no kind is a penalty procedure.
    let jinpu = profile("jinpu-wj");
    let facts = Facts {
        activities: vec![activity(
            "A1",
            jinpu.checklist[0].kind.get_ref(),
            &["1", "2"],
            "2026-11-02 09:00",
        )],
        certificates: vec![expired],
        ..Facts::default()
    };
    assert!(
        of_code(
            &run(&jinpu, &facts, "2026-11-03 09:00"),
            "no_valid_certificate"
        )
        .is_empty()
    );
}

fn annual_facts(reviews: Vec<i32>) -> Facts {
    Facts {
        in_use_since: Some(t("2025-03-01 09:00")),
        annual_reviews: reviews,
        ..Facts::default()
    }
}

#[test]
fn r28_annual_review_missing_raises_finding() {
    let p = profile("lushan-sj");
    let got = run(&p, &annual_facts(vec![]), "2026-11-20 12:00");
    let f = of_code(&got, "annual_review_missing");
    // 2025's review was due by 2025-12-31; 2026's is not due yet.
    assert_eq!(f.len(), 1, "{got:#?}");
    assert_eq!(f[0].rule, "R28");
    assert_eq!(f[0].article, "lushan-sj §17");
    assert_eq!(f[0].at, t("2026-01-01 00:00"));
    assert_eq!(f[0].agency_choice, vec!["annual_review.by".to_string()]);
    assert!(f[0].message.contains("2025 年度"), "{}", f[0].message);
    assert!(
        f[0].quote
            .as_deref()
            .unwrap_or("")
            .contains("每年应当至少组织一次"),
        "{:?}",
        f[0].quote
    );
    // Not yet: the last minute of the due day.
    let got = run(&p, &annual_facts(vec![]), "2025-12-31 23:59");
    assert!(of_code(&got, "annual_review_missing").is_empty());
    // Two years late: two findings.
    let got = run(&p, &annual_facts(vec![]), "2027-01-02 00:00");
    assert_eq!(of_code(&got, "annual_review_missing").len(), 2);
}

#[test]
fn r28_recorded_review_clears_it() {
    let p = profile("lushan-sj");
    let got = run(&p, &annual_facts(vec![2025]), "2026-11-20 12:00");
    assert!(
        of_code(&got, "annual_review_missing").is_empty(),
        "{got:#?}"
    );
    // A profile whose regulation requires none raises nothing.
    let got = run(
        &profile("jinpu-wj"),
        &annual_facts(vec![]),
        "2027-06-01 12:00",
    );
    assert!(of_code(&got, "annual_review_missing").is_empty());
}

#[test]
fn r29_suspension_runs_one_month_where_the_profile_says_so() {
    for id in ["jinpu-wj", "luohe-xm"] {
        let p = profile(id);
        assert_eq!(
            suspension_end(&p, "suspend_one_month", day("2026-11-05")),
            Some(day("2026-12-05")),
            "{id}"
        );
        assert_eq!(
            suspension_end(&p, "written_self_criticism", day("2026-11-05")),
            None
        );
    }
    // Month ends clamp (chrono): 31 Jan + 1 month = 28 Feb.
    assert_eq!(
        suspension_end(&profile("jinpu-wj"), "suspend_one_month", day("2027-01-31")),
        Some(day("2027-02-28"))
    );
    assert_eq!(
        suspension_end(
            &profile("lushan-sj"),
            "criticism_education",
            day("2026-11-05")
        ),
        None
    );
}

#[test]
fn r29_activity_during_suspension_is_flagged_with_the_sanctions_article() {
    let p = profile("jinpu-wj");
    let kind = p.checklist[0].kind.get_ref().clone();
    let facts = Facts {
        activities: vec![
            activity("A1", &kind, &["1", "2"], "2026-11-04 09:00"), // the day before
            activity("A2", &kind, &["1", "2"], "2026-11-05 09:00"), // first day
            activity("A3", &kind, &["2", "1"], "2026-12-04 23:00"), // last day
            activity("A4", &kind, &["1", "2"], "2026-12-05 09:00"), // free again
        ],
        suspensions: vec![Suspension {
            sanction: "CF00001".into(),
            officer: "1".into(),
            kind: "suspend_one_month".into(),
            from: day("2026-11-05"),
            to: day("2026-12-05"),
        }],
        ..Facts::default()
    };
    let got = run(&p, &facts, "2026-12-20 12:00");
    let f = of_code(&got, "enforcement_while_suspended");
    let acts: Vec<&str> = f.iter().filter_map(|f| f.activity.as_deref()).collect();
    assert_eq!(acts, vec!["A2", "A3"], "{got:#?}");
    assert!(
        f.iter()
            .all(|f| f.rule == "R29" && f.article == "jinpu-wj §28(三)")
    );
    assert!(f.iter().all(|f| f.officer.as_deref() == Some("1")));
    assert!(
        f[0].message.contains("2026-11-05 至 2026-12-04"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].quote
            .as_deref()
            .unwrap_or("")
            .contains("停止执法工作一个月")
    );
}

#[test]
fn r28_annual_review_by_must_be_a_month_day() {
    let src = PRESETS
        .iter()
        .find(|(id, _)| *id == "lushan-sj")
        .expect("preset")
        .1
        .replace("by = \"12-31\"", "by = \"02-30\"");
    let e = Profile::parse(&src).expect_err("02-30 is no day");
    assert_eq!(e.field, "annual_review.by");
    assert!(e.to_string().contains("MM-DD"), "{e}");
}
