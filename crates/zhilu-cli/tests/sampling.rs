//! R27 at the command line: `sample draw` (a supervisor, reproducible, no seed shopping),
//! `sample verify`, `sample review` (never one's own activity), `assess`, in Chinese and as JSON.

mod support;

use support::{SYSADMIN, TestApp, Zhilu};

#[test]
fn r27_cli_draw_review_verify_and_assess() {
    let t = TestApp::agency("zhejiang-rf", "2026-12-05 10:00:00");
    t.officer("000201", "李军", "一大队", "officer");
    t.officer("000301", "王芳", "二大队", "officer");
    t.ok(&[
        "--actor",
        SYSADMIN,
        "user",
        "add",
        "--id",
        "S1",
        "--name",
        "督察员",
        "--unit",
        "督察室",
        "--role",
        "supervisor",
    ]);
    let kind = t.profile()["checklist"][0]["kind"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ids = Vec::new();
    for (i, who) in ["000201", "000201", "000201", "000301"].iter().enumerate() {
        let start = format!("2026-11-{:02} 09:00:00", 3 + i);
        let end = format!("2026-11-{:02} 09:30:00", 3 + i);
        ids.push(t.activity(&kind, "某某商店", who, &start, &end, &[]));
    }

    let draw = |seed: &str, extra: &[&str]| {
        let mut a = vec![
            "--actor", "S1", "sample", "draw", "--period", "2026-11", "--ratio", "0.5", "--by",
            "unit", "--seed", seed,
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let args = draw("2026-12-05", &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let d = t.ok(&args);
    assert_eq!(d["id"], "CC00001");
    assert_eq!(d["algorithm"], "zhilu-sample-v1");
    assert_eq!(d["population_count"], 4);
    // ⌈0.5 × 3⌉ = 2 of 一大队, ⌈0.5 × 1⌉ = 1 of 二大队.
    assert_eq!(d["strata"][0]["drawn"], 2, "{d}");
    assert_eq!(d["strata"][1]["drawn"], 1, "{d}");
    let items: Vec<String> = d["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(items.len(), 3);

    // Again without a reason: refused in Chinese, nothing written.
    let before = t.ledger_size();
    let again = t.fails(&args);
    assert_eq!(again.code, "sample_refused");
    assert!(again.message.contains("事由"), "{}", again.message);
    assert_eq!(t.ledger_size(), before);
    // The same seed with a reason: the same sample.
    let args2 = draw("2026-12-05", &["--reason", "复核"]);
    let args2: Vec<&str> = args2.iter().map(String::as_str).collect();
    assert_eq!(t.ok(&args2)["items"], d["items"]);

    // Verify: the population and the sample still match (exit 0), in Chinese.
    let (out, _, ok) = t.text(&["sample", "verify", "CC00001"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("与抽取时一致") && out.contains("重新抽取结果相同"),
        "{out}"
    );
    let (shown, _, _) = t.text(&["sample", "show", "CC00001"]);
    assert!(
        shown.contains("种子：2026-12-05") && shown.contains("zhilu-sample-v1"),
        "{shown}"
    );

    // An officer cannot draw; a reviewer cannot review their own activity.
    let officer = t.fails(&[
        "--actor", "000201", "sample", "draw", "--period", "2026-11", "--seed", "x", "--reason",
        "y",
    ]);
    assert_eq!(officer.code, "forbidden");
    let own = t.fails(&[
        "--actor",
        "000201",
        "sample",
        "review",
        "CC00001",
        "--activity",
        &items[0],
        "--others",
        "符合",
    ]);
    assert_eq!(own.code, "forbidden", "{}", own.message);

    // Review one of 000201's activities: interrupted, the rest pass.
    let theirs = items
        .iter()
        .find(|a| ids[..3].contains(a))
        .expect("an activity of 000201")
        .clone();
    let r = t.ok(&[
        "--actor",
        "S1",
        "sample",
        "review",
        "CC00001",
        "--activity",
        &theirs,
        "--item",
        "uninterrupted=不符合",
        "--others",
        "符合",
        "--comment",
        "中途中断",
    ]);
    assert_eq!(r["reviewer"], "S1");
    let bad = t.fails(&[
        "--actor",
        "S1",
        "sample",
        "review",
        "CC00001",
        "--activity",
        &theirs,
        "--others",
        "符合",
    ]);
    assert_eq!(bad.code, "already_exists");

    let a = t.ok(&["assess", "--period", "2026-11"]);
    let line = a["officers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "000201")
        .expect("000201 assessed")
        .clone();
    assert_eq!(line["reviewed"], 1);
    // 1 − uninterrupted's weight 0.2 = 80.
    assert!(
        (line["score"].as_f64().unwrap() - 80.0).abs() < 1e-9,
        "{line}"
    );
    let (text, _, _) = t.text(&["assess", "--period", "2026-11"]);
    assert!(
        text.contains("执法质量考评") && text.contains("80.0 分"),
        "{text}"
    );

    // The same as an xlsx sheet.
    let file = t.scratch().join("考评.xlsx");
    t.ok(&[
        "--actor",
        "S1",
        "sheet",
        "assessment",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--out",
        file.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&file).expect("sheet written");
    assert!(bytes.starts_with(b"PK"));
}
