//! A month of 漯河市畜牧兽医执法大队 (profile `luohe-xm`): mandatory recording of routine inspections
//! (§6), coverage to the end (§9), one-year retention (§15) and the two-level access chain (§17).

mod support;

use support::{TestApp, Zhilu, expect, seg};

fn staff(a: &TestApp) {
    a.officer("300001", "杜军", "执法一中队", "officer");
    a.officer("300002", "冯雪", "执法一中队", "officer");
    a.officer("300010", "法制办", "法制办公室", "legal_office");
    a.officer("300020", "许队长", "大队领导", "chief_leader");
    a.device("LH01", "执法一中队");
}

/// r7 r8 r20 r23: the month, exact findings, and the two-level approval.
#[test]
fn r7_r8_r20_r23_luohe_month_reports_exactly_the_planted_breaches() {
    let a = TestApp::agency("luohe-xm", "2025-10-10 08:00:00");
    staff(&a);
    // October 2025: an inspection, filmed — past its one-year minimum by November 2026.
    a.checkout("LH01", "300001");
    let _old = a.activity(
        "routine_inspection",
        "某养殖场",
        "300001,300002",
        "2025-10-10 09:00:00",
        "2025-10-10 10:00:00",
        &[],
    );
    a.at("2025-10-10 15:00:00");
    let (old, _) = a.offload(
        "LH01",
        "300001",
        &[seg("2025-10-10 09:00:00", 3600, 1)],
        &[],
    );
    a.give_back("LH01");

    // 2 Nov 2026: a routine inspection (§6(一), 应佩戴) with no recording at all.
    a.at("2026-11-02 12:00:00");
    let l2 = a.activity(
        "routine_inspection",
        "某屠宰场",
        "300001,300002",
        "2026-11-02 09:00:00",
        "2026-11-02 10:00:00",
        &[],
    );

    // 3 Nov: the recording stops 20 minutes before the documented end (§9).
    a.at("2026-11-03 08:00:00");
    a.checkout("LH01", "300001");
    let l3 = a.activity(
        "routine_inspection",
        "某兽药店",
        "300001,300002",
        "2026-11-03 09:00:00",
        "2026-11-03 10:00:00",
        &[],
    );
    a.at("2026-11-03 15:00:00");
    let (f3, _) = a.offload(
        "LH01",
        "300001",
        &[seg("2026-11-03 09:00:00", 2400, 1)],
        &[],
    );
    a.give_back("LH01");

    // §17: viewing needs 法制办公室, then 主管领导 — in that order, by different people.
    let req = a.ok(&[
        "access",
        "request",
        "--recording",
        &f3[0],
        "--by",
        "300002",
        "--reason",
        "案情研判",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    a.fails(&["approve", &req, "--by", "300020"]);
    let step1 = a.ok(&["approve", &req, "--by", "300010"]);
    assert_eq!(step1["status"], "pending");
    assert_eq!(step1["approved_levels"], 1);
    let step2 = a.ok(&["approve", &req, "--by", "300020"]);
    assert_eq!(step2["status"], "approved");
    assert_eq!(step2["required_levels"], 2);

    a.at("2026-11-30 18:00:00");
    assert_eq!(
        a.summary(),
        expect(&[
            (
                "R7",
                "mandatory_not_recorded",
                &a.cite_kind("routine_inspection"),
                &l2
            ),
            ("R8", "early_end", &a.cite("/coverage/article"), &l3),
            (
                "R20",
                "retention_expired",
                &a.cite("/retention/minimum_article"),
                "LH01"
            ),
        ]),
        "findings: {:#?}",
        a.findings()
    );
    let ret = a.retention();
    let mine = ret.iter().find(|r| r["sha256"] == old[0].as_str()).unwrap();
    assert_eq!(
        mine["retain_until"], "2026-10-10T01:00:00Z",
        "one year (§15)"
    );
    assert_eq!(mine["status"], "purge_review");
    // The windowed check (what a dashboard runs each day) agrees with the full one.
    a.assert_daily_windows_match_full("2026-10-01");
}
