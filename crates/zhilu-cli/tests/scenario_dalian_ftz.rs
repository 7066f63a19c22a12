//! November 2026 at 大连保税区综合监管执法局 (profile `dalian-ftz`): the 17-row checklist's
//! obligation levels (row 1 mandatory, row 7 as circumstances require), non-recording records that
//! wait for approval, the same-day offload rule (§18) and the pre-use check (§12).

mod support;

use support::{TestApp, Zhilu, expect, seg};

fn staff(a: &TestApp) {
    a.officer("200001", "高峰", "第一执法组", "officer");
    a.officer("200002", "马丽", "第一执法组", "officer");
    a.officer("200009", "韩组长", "第一执法组", "unit_head");
    a.device("DL01", "第一执法组");
    a.device("DL02", "第一执法组");
}

/// r4 r7 r10 r17: the month, exact findings.
#[test]
fn r4_r7_r10_r17_dalian_month_reports_exactly_the_planted_breaches() {
    let a = TestApp::agency("dalian-ftz", "2026-11-02 08:00:00");
    staff(&a);
    assert_eq!(
        a.profile()["checklist"].as_array().unwrap().len(),
        17,
        "the annex's 17 rows"
    );

    // 2 Nov: a seizure (annex row 1, 应当进行), filmed throughout — no finding.
    a.checkout("DL01", "200001");
    let d1 = a.activity(
        "compulsory_measure",
        "某贸易公司",
        "200001,200002",
        "2026-11-02 09:00:00",
        "2026-11-02 10:00:00",
        &[],
    );
    a.at("2026-11-02 15:00:00");
    a.offload(
        "DL01",
        "200001",
        &[seg("2026-11-02 09:00:00", 3600, 1)],
        &[],
    );

    // 3 Nov: a second seizure, not filmed; the non-recording record is written but never approved.
    // §8 lists when recording may be skipped but names no approval, so the pending approval is no
    // breach (R10); the seizure itself still had to be filmed (R7).
    a.at("2026-11-03 12:00:00");
    let d2 = a.activity(
        "compulsory_measure",
        "某物流公司",
        "200001,200002",
        "2026-11-03 09:00:00",
        "2026-11-03 10:00:00",
        &[],
    );
    let reason = a.reason("/norecord/reasons", |_| true);
    a.ok(&[
        "norecord",
        "add",
        "--activity",
        &d2,
        "--reason",
        &reason,
        "--basis",
        "现场情况紧急",
    ]);

    // 4 Nov: an on-site inspection (row 7, 根据实际情况进行) without recording: allowed.
    a.at("2026-11-04 12:00:00");
    let _d3 = a.activity(
        "routine_inspection",
        "某仓储企业",
        "200001,200002",
        "2026-11-04 09:00:00",
        "2026-11-04 10:00:00",
        &[],
    );

    // 5 Nov: filmed, but offloaded only the next day (§18: the same day).
    a.at("2026-11-05 12:00:00");
    let d4 = a.activity(
        "routine_inspection",
        "某进出口公司",
        "200001,200002",
        "2026-11-05 09:00:00",
        "2026-11-05 10:00:00",
        &[],
    );
    a.at("2026-11-06 09:00:00");
    a.offload(
        "DL01",
        "200001",
        &[seg("2026-11-05 09:00:00", 3600, 1)],
        &[],
    );
    a.give_back("DL01");

    // 9 Nov: DL02 leaves with 20 % battery and an unchecked clock (§12).
    a.at("2026-11-09 08:00:00");
    a.ok(&[
        "device",
        "checkout",
        "--device",
        "DL02",
        "--officer",
        "200002",
        "--battery",
        "20",
        "--free-gb",
        "30",
    ]);

    a.at("2026-11-30 18:00:00");
    assert_eq!(
        a.summary(),
        expect(&[
            (
                "R7",
                "mandatory_not_recorded",
                &a.cite_kind("compulsory_measure"),
                &d2
            ),
            ("R17", "late_offload", &a.cite("/offload/article"), &d4),
            (
                "R4",
                "pre_use_check_failed",
                &a.cite("/pre_use/article"),
                "DL02"
            ),
        ]),
        "findings: {:#?}",
        a.findings()
    );
    // r10: dalian-ftz raises no R10 because §8 names no approval (the profile has no
    // `approval_article`), although the record waits for the group head.
    assert!(
        a.profile()["norecord"]["approval_article"].is_null(),
        "dalian-ftz §8 names no approval: {:#}",
        a.profile()["norecord"]
    );
    assert!(
        a.findings().iter().all(|f| f["rule"] != "R10"),
        "no R10 under dalian-ftz: {:#?}",
        a.findings()
    );
    assert!(
        a.cite_kind("compulsory_measure")
            .starts_with("dalian-ftz §7")
    );
    assert_eq!(a.cite("/offload/article"), "dalian-ftz §18");
    let _ = d1;
    // The windowed check (what a dashboard runs each day) agrees with the full one.
    a.assert_daily_windows_match_full("2026-11-01");
}
