//! A month of 鲁山县市场监督管理局 (profile `lushan-sj`): interruptions (§12: explained by a
//! record, with no spoken reason required), long-term retention after obstruction (§16, two disc
//! copies) and the 24-month period (§15).

mod support;

use support::{TestApp, Zhilu, expect, seg};

fn staff(a: &TestApp) {
    a.officer("400001", "贾涛", "稽查大队", "officer");
    a.officer("400002", "曹琳", "稽查大队", "officer");
    a.officer("400009", "魏局长", "局领导", "chief_leader");
    a.device("LS01", "稽查大队");
}

/// r11 r20 r21: the month, exact findings, retention classes.
#[test]
fn r11_r20_r21_lushan_month_reports_exactly_the_planted_breaches() {
    let a = TestApp::agency("lushan-sj", "2025-03-10 08:00:00");
    staff(&a);
    // March 2025: filmed; 20 months later still inside the 24-month period (§15).
    a.checkout("LS01", "400001");
    let _old = a.activity(
        "routine_inspection",
        "某食品店",
        "400001,400002",
        "2025-03-10 09:00:00",
        "2025-03-10 10:00:00",
        &[],
    );
    a.at("2025-03-10 15:00:00");
    let (old, _) = a.offload(
        "LS01",
        "400001",
        &[seg("2025-03-10 09:00:00", 3600, 1)],
        &[],
    );
    a.give_back("LS01");

    // 2 Nov 2026: a 10-minute stop for a flat battery, explained by an interruption record; the
    // restart is not stated by voice, which §12 does not ask for.
    a.at("2026-11-02 08:00:00");
    a.checkout("LS01", "400001");
    let s1 = a.activity(
        "routine_inspection",
        "某超市",
        "400001,400002",
        "2026-11-02 09:00:00",
        "2026-11-02 10:00:00",
        &[],
    );
    a.at("2026-11-02 15:00:00");
    let (f1, _) = a.offload(
        "LS01",
        "400001",
        &[
            seg("2026-11-02 09:00:00", 1800, 1),
            seg("2026-11-02 09:40:00", 1200, 2),
        ],
        &[],
    );
    let battery = a.reason("/interruption/reasons", |r| r["id"] == "device_fault");
    a.ok(&[
        "interruption",
        "add",
        "--activity",
        &s1,
        "--after",
        &f1[0],
        "--reason",
        &battery,
    ]);

    // 3 Nov: the trader obstructs the inspection (§16(二)): long-term, burned to two discs. The
    // camera stops for 10 minutes and no record says why (§12).
    a.at("2026-11-03 15:00:00");
    let s2 = a.activity(
        "routine_inspection",
        "某餐馆",
        "400001,400002",
        "2026-11-03 09:00:00",
        "2026-11-03 10:00:00",
        &["--flag", "obstruction"],
    );
    let (f2, _) = a.offload(
        "LS01",
        "400001",
        &[
            seg("2026-11-03 09:00:00", 1800, 1),
            seg("2026-11-03 09:40:00", 1200, 2),
        ],
        &[],
    );
    a.give_back("LS01");

    a.at("2026-11-30 18:00:00");
    // r11: lushan-sj raises no R11 gap_not_stated_by_voice — §12 lets recording stop but asks for
    // no spoken reason when it resumes, so no interruption reason requires one.
    let reasons = a.profile()["interruption"]["reasons"]
        .as_array()
        .expect("interruption reasons")
        .clone();
    assert!(
        reasons.iter().all(|r| r["voice_statement"] == false),
        "no reason requires a voice statement: {reasons:#?}"
    );
    // An interruption nobody explained is still a breach of §12.
    assert_eq!(
        a.summary(),
        expect(&[(
            "R11",
            "unexplained_gap",
            &a.cite("/interruption/article"),
            &s2
        )]),
        "findings: {:#?}",
        a.findings()
    );
    let ret = a.retention();
    let of = |sha: &str| ret.iter().find(|r| r["sha256"] == sha).cloned().unwrap();
    assert_eq!(of(&old[0])["class"], "minimum");
    assert_eq!(of(&old[0])["status"], "retain");
    assert_eq!(of(&old[0])["retain_until"], "2027-03-10T01:00:00Z");
    assert_eq!(of(&f2[0])["class"], "long_term");
    assert_eq!(a.profile()["retention"]["disc_copies"], 2, "一式两份 (§16)");
    // The windowed check (what a dashboard runs each day) agrees with the full one.
    a.assert_daily_windows_match_full("2026-11-01");
}
