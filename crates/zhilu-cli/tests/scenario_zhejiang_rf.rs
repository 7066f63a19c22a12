//! Autumn 2026 at 浙江省人民防空办公室 (profile `zhejiang-rf`): offloads across the National Day
//! holiday under §19 (24 hours; 2 working days with the head's approval, except disputes and
//! emergencies), mandatory recording under §8, permanent retention under §20(三).

mod support;

use support::{TestApp, Zhilu, expect, seg};

fn staff(a: &TestApp) {
    a.officer("100001", "周明", "执法一处", "officer");
    a.officer("100002", "吴芳", "执法一处", "officer");
    a.officer("100010", "郑处长", "执法一处", "unit_head");
    a.device("ZJ01", "执法一处");
    a.device("ZJ02", "执法一处");
}

/// r17 r7 r20 r21: the holiday month, exact findings and retention classes.
#[test]
fn r17_r7_r21_zhejiang_holiday_month_reports_exactly_the_planted_breaches() {
    let a = TestApp::agency("zhejiang-rf", "2026-09-30 08:00:00");
    staff(&a);
    a.checkout("ZJ01", "100001");
    a.checkout("ZJ02", "100002");
    // 30 Sept, the eve of the holiday: three inspections, all offloaded on 8 Oct, the first working day.
    let z1 = a.activity(
        "routine_inspection",
        "某人防工程使用单位",
        "100001,100002",
        "2026-09-30 14:00:00",
        "2026-09-30 15:00:00",
        &[],
    );
    let z2 = a.activity(
        "routine_inspection",
        "某地下车库",
        "100001,100002",
        "2026-09-30 15:30:00",
        "2026-09-30 16:00:00",
        &[],
    );
    let z3 = a.activity(
        "routine_inspection",
        "某商场",
        "100002,100001",
        "2026-09-30 09:00:00",
        "2026-09-30 10:00:00",
        &["--flag", "dispute"],
    );
    a.at("2026-09-30 17:30:00");
    // Z1: extension approved by the head — 2 working days after 30 Sept end on 9 Oct (1-7 Oct off).
    let x1 = a.ok(&[
        "extension",
        "add",
        "--activity",
        &z1,
        "--reason",
        "节前来不及导出",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    a.fails(&["approve", &x1, "--by", "100002"]);
    a.ok(&["approve", &x1, "--by", "100010"]);
    // Z3: also approved, but a dispute on site excludes the extension (§19 括号).
    let x3 = a.ok(&[
        "extension",
        "add",
        "--activity",
        &z3,
        "--reason",
        "节前来不及导出",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    a.ok(&["approve", &x3, "--by", "100010"]);
    a.at("2026-10-08 10:00:00");
    let (f1, _) = a.offload(
        "ZJ01",
        "100001",
        &[
            seg("2026-09-30 14:00:00", 3600, 1),
            seg("2026-09-30 15:30:00", 1800, 2),
        ],
        &[],
    );
    let (f3, _) = a.offload(
        "ZJ02",
        "100002",
        &[seg("2026-09-30 09:00:00", 3600, 1)],
        &[],
    );
    a.give_back("ZJ01");
    a.give_back("ZJ02");

    // 12 Oct: a seizure (§8(三), mandatory) with no recording and no record of why (R7).
    a.at("2026-10-12 16:00:00");
    let z4 = a.activity(
        "compulsory_measure",
        "某违法使用人防工程单位",
        "100001,100002",
        "2026-10-12 09:00:00",
        "2026-10-12 10:00:00",
        &[],
    );

    // 13 Oct: recordings used as evidence for a decision (§20(三)1: permanent).
    a.at("2026-10-13 08:00:00");
    a.checkout("ZJ01", "100001");
    let z5 = a.activity(
        "routine_inspection",
        "某施工单位",
        "100001,100002",
        "2026-10-13 09:00:00",
        "2026-10-13 10:00:00",
        &["--flag", "evidence", "--case", "浙人防罚〔2026〕5号"],
    );
    a.at("2026-10-13 15:00:00");
    let (f5, _) = a.offload(
        "ZJ01",
        "100001",
        &[seg("2026-10-13 09:00:00", 3600, 1)],
        &[],
    );
    a.give_back("ZJ01");

    a.at("2026-10-31 18:00:00");
    assert_eq!(
        a.summary(),
        expect(&[
            ("R17", "late_offload", "zhejiang-rf §19", &z2),
            ("R17", "late_offload", "zhejiang-rf §19", &z3),
            ("R7", "mandatory_not_recorded", "zhejiang-rf §8", &z4),
        ]),
        "findings: {:#?}",
        a.findings()
    );
    let _ = z5;
    let ret = a.retention();
    let of = |sha: &str| {
        ret.iter()
            .find(|r| r["sha256"] == sha)
            .cloned()
            .expect("listed")
    };
    // §20(一): two years for an ordinary check.
    assert_eq!(of(&f1[0])["class"], "minimum");
    assert_eq!(of(&f1[0])["retain_until"], "2028-09-30T06:00:00Z");
    // §20(三): dispute and evidence are kept permanently.
    assert_eq!(of(&f3[0])["class"], "permanent");
    assert!(of(&f3[0])["retain_until"].is_null());
    assert_eq!(of(&f5[0])["class"], "permanent");
    // The windowed check (what a dashboard runs each day) agrees with the full one.
    a.assert_daily_windows_match_full("2026-09-29");
}
