//! A month of 大连金普新区卫生健康局 (profile `jinpu-wj`), November 2026, replayed through the CLI.
//! Each breach planted below is one the regulation's text names; the check must report exactly
//! those, citing the article, and nothing else.

mod support;

use support::{TestApp, Zhilu, expect, seg};

/// A valid unified social credit code (GB 32100 check character computed).
fn clinic_code() -> String {
    let first17 = "91210213MA0XYW12P";
    let c = zhilu_app::zhilu_policy::ids::credit_code_check_char(first17).expect("check char");
    format!("{first17}{c}")
}

fn staff(a: &TestApp) {
    a.officer("000101", "王强", "监督一科", "officer");
    a.officer("000102", "李娜", "监督一科", "officer");
    a.officer("000103", "赵敏", "监督一科", "officer");
    a.officer("000201", "刘洋", "监督二科", "officer");
    a.officer("000202", "孙磊", "监督二科", "officer");
    a.officer("000900", "陈局", "局领导", "agency_head");
    a.device("DSJ01", "监督一科");
    a.device("DSJ02", "监督一科");
    a.device("DSJ03", "监督二科");
}

/// r7 r8 r9 r11 r12 r14 r17 r20 r4 r5: the whole month, exact findings.
#[test]
fn r7_r8_r9_r11_r12_r14_r17_r20_jinpu_month_reports_exactly_the_planted_breaches() {
    let a = TestApp::agency("jinpu-wj", "2026-05-10 08:00:00");
    staff(&a);

    // May: an ordinary inspection whose recordings are past 6 months by the end of November (R20).
    a.checkout("DSJ01", "000101");
    let may = a.activity(
        "routine_inspection",
        "某口腔诊所",
        "000101,000102",
        "2026-05-10 09:00:00",
        "2026-05-10 09:30:00",
        &[],
    );
    a.at("2026-05-10 16:00:00");
    let (may_files, _) = a.offload(
        "DSJ01",
        "000101",
        &[
            seg("2026-05-10 09:00:00", 900, 1),
            seg("2026-05-10 09:15:00", 900, 2),
        ],
        &[],
    );
    a.give_back("DSJ01");
    // The second file is wanted in a complaint: a legal hold keeps it past its date.
    a.ok(&[
        "hold",
        "add",
        "--recording",
        &may_files[1],
        "--reason",
        "投诉处理中",
    ]);

    // 2 Nov: a clean inspection (no finding).
    a.at("2026-11-02 08:30:00");
    a.checkout("DSJ01", "000101");
    let code = clinic_code();
    let a1 = a.activity(
        "routine_inspection",
        "金普某诊所",
        "000101,000102",
        "2026-11-02 09:00:00",
        "2026-11-02 10:00:00",
        &["--subject-code", &code],
    );
    a.at("2026-11-02 16:00:00");
    let (_, rep) = a.offload(
        "DSJ01",
        "000101",
        &[
            seg("2026-11-02 09:00:30", 1800, 1),
            seg("2026-11-02 09:30:30", 1770, 2),
        ],
        &[],
    );
    assert_eq!(
        rep["linked"], 2,
        "both segments link to the inspection automatically"
    );
    a.give_back("DSJ01");

    // 4 Nov: 15 minutes missing in the middle, no interruption record (R11).
    a.at("2026-11-04 13:30:00");
    a.checkout("DSJ01", "000101");
    let a2 = a.activity(
        "routine_inspection",
        "某美容院",
        "000101,000102",
        "2026-11-04 14:00:00",
        "2026-11-04 15:00:00",
        &[],
    );
    a.at("2026-11-04 17:00:00");
    a.offload(
        "DSJ01",
        "000101",
        &[
            seg("2026-11-04 14:00:00", 1200, 1),
            seg("2026-11-04 14:35:00", 1500, 2),
        ],
        &[],
    );
    a.give_back("DSJ01");

    // 5 Nov: touches life and health (§8 mandatory) and nobody recorded it (R7).
    a.at("2026-11-05 12:00:00");
    let a3 = a.activity(
        "routine_inspection",
        "某医院",
        "000101,000102",
        "2026-11-05 09:00:00",
        "2026-11-05 11:00:00",
        &["--flag", "life_health"],
    );
    // 6 Nov: also mandatory, not recorded, but for a listed reason, approved by the head (no finding).
    a.at("2026-11-06 12:00:00");
    let a4 = a.activity(
        "routine_inspection",
        "某血站",
        "000101,000102",
        "2026-11-06 10:00:00",
        "2026-11-06 11:00:00",
        &["--flag", "life_health"],
    );
    let nr = a.ok(&[
        "norecord",
        "add",
        "--activity",
        &a4,
        "--reason",
        "secret",
        "--basis",
        "涉及献血者个人隐私",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    a.fails(&["approve", &nr, "--by", "000101"]); // an officer is not the approver (§9)
    a.ok(&["approve", &nr, "--by", "000900"]);

    // 9 Nov: one officer alone (R9), offloaded the next morning (R17, same-day rule §18).
    a.at("2026-11-09 08:30:00");
    a.checkout("DSJ02", "000103");
    let a5 = a.activity(
        "routine_inspection",
        "某药店",
        "000103",
        "2026-11-09 09:00:00",
        "2026-11-09 10:00:00",
        &[],
    );
    a.at("2026-11-10 10:00:00");
    a.offload(
        "DSJ02",
        "000103",
        &[seg("2026-11-09 09:00:10", 3590, 1)],
        &[],
    );
    a.give_back("DSJ02");

    // 11 Nov: remote work, device back on 13 Nov, offloaded the same afternoon (within 24 h of return).
    a.at("2026-11-11 08:00:00");
    a.checkout("DSJ01", "000101");
    let _a6 = a.activity(
        "routine_inspection",
        "某乡镇卫生院",
        "000101,000102",
        "2026-11-11 14:00:00",
        "2026-11-11 15:00:00",
        &["--flag", "remote"],
    );
    a.at("2026-11-13 09:00:00");
    a.give_back("DSJ01");
    a.at("2026-11-13 15:00:00");
    a.checkout("DSJ01", "000101");
    a.offload(
        "DSJ01",
        "000101",
        &[seg("2026-11-11 14:00:00", 3600, 1)],
        &[],
    );

    // 14 Nov: the subject disputes the inspection (long-term retention, §20) — recorded properly.
    a.at("2026-11-14 15:00:00");
    let a7 = a.activity(
        "routine_inspection",
        "某诊所",
        "000101,000102",
        "2026-11-14 10:00:00",
        "2026-11-14 11:00:00",
        &["--flag", "dispute"],
    );
    a.offload(
        "DSJ01",
        "000101",
        &[seg("2026-11-14 10:00:00", 3600, 1)],
        &[],
    );

    // 16 Nov: recording started ten minutes late (R8); the device clock was 5 minutes fast (R4).
    a.at("2026-11-16 16:00:00");
    let a8 = a.activity(
        "routine_inspection",
        "某游泳馆",
        "000101,000102",
        "2026-11-16 09:00:00",
        "2026-11-16 10:00:00",
        &[],
    );
    let clock = support::cst("2026-11-16 16:05:00");
    a.offload(
        "DSJ01",
        "000101",
        &[seg("2026-11-16 09:10:00", 3000, 1)],
        &["--device-clock", &clock],
    );
    a.give_back("DSJ01");

    // 18 Nov: an evening file on DSJ02 that belongs to no activity (R14).
    a.at("2026-11-18 08:00:00");
    a.checkout("DSJ02", "000103");
    a.at("2026-11-18 21:00:00");
    a.offload(
        "DSJ02",
        "000103",
        &[seg("2026-11-18 20:00:00", 600, 1)],
        &[],
    );
    a.give_back("DSJ02");

    // 19 Nov: file 0002 is missing from the series (R12) — the gap itself is explained by voice.
    a.at("2026-11-19 08:00:00");
    a.checkout("DSJ02", "000102");
    let a9 = a.activity(
        "routine_inspection",
        "某宾馆",
        "000102,000103",
        "2026-11-19 09:00:00",
        "2026-11-19 10:00:00",
        &[],
    );
    a.at("2026-11-19 15:00:00");
    let (f9, _) = a.offload(
        "DSJ02",
        "000102",
        &[
            seg("2026-11-19 09:00:00", 1200, 1),
            seg("2026-11-19 09:40:00", 1200, 3),
        ],
        &[],
    );
    a.ok(&[
        "interruption",
        "add",
        "--activity",
        &a9,
        "--after",
        &f9[0],
        "--reason",
        "power_storage",
        "--voice-stated",
    ]);
    a.give_back("DSJ02");

    // 20 Nov: DSJ03 is checked out to 刘洋 but 赵敏 films with it (R5, lending, §27(二)).
    a.at("2026-11-20 08:00:00");
    a.checkout("DSJ03", "000201");
    let a10 = a.activity(
        "routine_inspection",
        "某超市",
        "000201,000202",
        "2026-11-20 09:00:00",
        "2026-11-20 09:30:00",
        &[],
    );
    a.at("2026-11-20 12:00:00");
    a.offload(
        "DSJ03",
        "000103",
        &[seg("2026-11-20 09:00:00", 1800, 1)],
        &[],
    );
    a.give_back("DSJ03");

    a.at("2026-11-30 18:00:00");
    let got = a.summary();
    assert_eq!(
        got,
        expect(&[
            ("R11", "unexplained_gap", "jinpu-wj §14", &a2),
            ("R7", "mandatory_not_recorded", "jinpu-wj §8", &a3),
            ("R9", "too_few_officers", "jinpu-wj §13", &a5),
            ("R17", "late_offload", "jinpu-wj §18", &a5),
            ("R8", "late_start", "jinpu-wj §12", &a8),
            ("R4", "device_clock_offset", "jinpu-wj §11", "DSJ01"),
            ("R14", "not_linked_to_activity", "jinpu-wj §5", "DSJ02"),
            ("R12", "sequence_gap", "jinpu-wj §14", "DSJ02"),
            ("R5", "device_lent", "jinpu-wj §27(二)", "DSJ03"),
            ("R20", "retention_expired", "jinpu-wj §19", "DSJ01"),
        ]),
        "findings: {:#?}",
        a.findings()
    );
    let _ = (a1, may, a7, a10);

    // Retention (R20-R21): 6 months minimum, the held file is kept, the disputed one long-term.
    let ret = a.retention();
    let of = |sha: &str| {
        ret.iter()
            .find(|r| r["sha256"] == sha)
            .cloned()
            .expect("listed")
    };
    assert_eq!(of(&may_files[0])["class"], "minimum");
    assert_eq!(of(&may_files[0])["status"], "purge_review");
    assert_eq!(of(&may_files[0])["retain_until"], "2026-11-10T01:00:00Z");
    assert_eq!(of(&may_files[1])["class"], "hold");
    assert!(of(&may_files[1])["retain_until"].is_null());
    let long: Vec<_> = ret.iter().filter(|r| r["class"] == "long_term").collect();
    assert_eq!(
        long.len(),
        1,
        "only the disputed inspection is kept long-term"
    );

    // The period filter: only what arose in the week of 16 Nov.
    let week = a.ok(&[
        "check",
        "--from",
        &support::cst("2026-11-16 00:00:00"),
        "--to",
        &support::cst("2026-11-23 00:00:00"),
    ]);
    let mut rules: Vec<&str> = week
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    rules.sort();
    assert_eq!(rules, ["R12", "R14", "R4", "R5", "R8"]);

    // One household (R19): the clinic by its credit code.
    let v = a.ok(&["subject", "show", "--code", &code]);
    assert_eq!(v["activities"].as_array().unwrap().len(), 1);
    assert_eq!(v["recordings"].as_array().unwrap().len(), 2);

    // Everything above went through the audit ledger, which still verifies.
    assert!(a.ledger_size() > 40);
    // The windowed check (what a dashboard runs each day) agrees with the full one.
    a.assert_daily_windows_match_full("2026-11-01");
}

/// r7 r9: bad input is refused with a clear message and writes nothing.
#[test]
fn r7_bad_activity_input_is_refused_and_nothing_is_stored() {
    let a = TestApp::agency("jinpu-wj", "2026-11-02 08:00:00");
    staff(&a);
    let before = a.ledger_size();
    let s = support::cst("2026-11-02 09:00:00");
    let e = support::cst("2026-11-02 10:00:00");
    let base = |kind: &str, code: &str, start: &str, end: &str, officers: &str| -> Vec<String> {
        [
            "activity",
            "add",
            "--kind",
            kind,
            "--subject-name",
            "某诊所",
            "--subject-code",
            code,
            "--place",
            "现场",
            "--officers",
            officers,
            "--start",
            start,
            "--end",
            end,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |v: Vec<String>| a.fails(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let good = clinic_code();
    let mut bad_code = good.clone();
    let last = bad_code.pop().unwrap();
    bad_code.push(if last == '0' { '1' } else { '0' });
    assert!(
        run(base(
            "routine_inspection",
            &bad_code,
            &s,
            &e,
            "000101,000102"
        ))
        .contains("校验")
    );
    assert!(run(base("parade", &good, &s, &e, "000101,000102")).contains("活动类型"));
    assert!(run(base("routine_inspection", &good, &e, &s, "000101,000102")).contains("早于"));
    assert!(run(base("routine_inspection", &good, &s, &e, "000101,999999")).contains("未登记"));
    assert!(
        a.fails(&[
            "activity",
            "add",
            "--kind",
            "routine_inspection",
            "--subject-name",
            "x",
            "--place",
            "y",
            "--officers",
            "000101",
            "--start",
            &s,
            "--end",
            &e,
            "--flag",
            "vip"
        ])
        .contains("标记")
    );
    // Overlapping checkouts: a device that is out cannot be checked out again.
    a.checkout("DSJ01", "000101");
    let after_checkout = a.ledger_size();
    assert!(
        a.fails(&[
            "device",
            "checkout",
            "--device",
            "DSJ01",
            "--officer",
            "000102"
        ])
        .contains("尚未归还")
    );
    assert!(
        a.fails(&[
            "device",
            "checkout",
            "--device",
            "DSJ02",
            "--officer",
            "000102",
            "--battery",
            "140"
        ])
        .contains("电量")
    );
    assert_eq!(
        a.ledger_size(),
        after_checkout,
        "refused requests wrote nothing"
    );
    assert_eq!(after_checkout, before + 1);
}
