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
    // An interruption nobody explained is still a breach of §12; and no annual review was
    // recorded for 2025, which §17 requires (R28: the reminder at the end of 2025-12-31).
    assert_eq!(
        a.summary(),
        expect(&[
            (
                "R11",
                "unexplained_gap",
                &a.cite("/interruption/article"),
                &s2
            ),
            (
                "R28",
                "annual_review_missing",
                &a.cite("/annual_review/article"),
                ""
            ),
        ]),
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

    // r21: the obstruction's recordings go onto a disc, burned twice, each copy labelled.
    let plan = a.ok(&["preserve", "--dry-run"]);
    assert_eq!(plan.as_array().map(Vec::len), Some(1), "{plan:#}");
    assert_eq!(plan[0]["group"], format!("activity:{s2}"));
    let out = a.scratch().join("光盘");
    let made = a.ok(&[
        "preserve",
        "--out",
        out.to_str().unwrap(),
        "--disc-size",
        "dvd",
    ]);
    assert_eq!(made["copies_per_disc"], 2);
    let disc = &made["discs"][0];
    let id = disc["id"].as_str().unwrap().to_string();
    assert_eq!(disc["files"], 2);
    assert_eq!(disc["labels"].as_array().map(Vec::len), Some(2));
    let image = disc["image"].as_str().unwrap().to_string();
    assert_eq!(
        support::sha256_of(std::path::Path::new(&image)),
        disc["image_sha256"]
    );
    let copy = format!("{id}-1");
    a.ok(&[
        "disc",
        "place",
        "--copy",
        &copy,
        "--location",
        "档案室 3 号柜",
        "--holder",
        "保管员",
    ]);
    let checked = a.ok(&["disc", "check", "--copy", &copy, "--image", &image]);
    assert_eq!(checked["ok"], true, "{checked:#}");
    // A copy that does not read back as registered: exit 1, named.
    let mut bytes = std::fs::read(&image).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    let bad = a.scratch().join("bad.iso");
    std::fs::write(&bad, bytes).unwrap();
    let out2 = a.run(&[
        "disc",
        "check",
        "--copy",
        &format!("{id}-2"),
        "--image",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out2.status.code(), Some(1));
    let reg = a.ok(&["disc", "list"]);
    let row = |c: &str| {
        reg.as_array()
            .unwrap()
            .iter()
            .find(|r| r["copy"]["id"] == c)
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&copy)["copy"]["location"], "档案室 3 号柜");
    assert_eq!(row(&copy)["due"], false);
    assert_eq!(
        row(&format!("{id}-2"))["due"],
        true,
        "a copy that failed its check is due"
    );
    let due = a.ok(&["disc", "list", "--due"]);
    assert_eq!(due.as_array().map(Vec::len), Some(1));
    // The register as a spreadsheet: a row per copy, times as real dates (openpyxl reads them).
    let xlsx = a.scratch().join("光盘登记.xlsx");
    a.ok(&["sheet", "discs", "--out", xlsx.to_str().unwrap()]);
    let py = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, openpyxl, datetime\n\
             ws = openpyxl.load_workbook(sys.argv[1]).active\n\
             rows = list(ws.iter_rows(values_only=True))\n\
             assert rows[0][0] == '光盘份号' and rows[0][7] == '制作时间', rows[0]\n\
             assert len(rows) == 3, rows\n\
             assert all(isinstance(r[7], datetime.datetime) for r in rows[1:]), rows\n\
             print(sorted(r[0] for r in rows[1:]))",
        ])
        .arg(&xlsx)
        .output()
        .expect("python3");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&py.stdout).trim(),
        format!("['{id}-1', '{id}-2']")
    );
    // Nothing is preserved twice.
    assert_eq!(
        a.ok(&["preserve", "--dry-run"]).as_array().map(Vec::len),
        Some(0)
    );
}
