//! R28, R29 at the command line: `violation add|list`, `sanction add|list` (a suspension then
//! blocks `checkout`), `annual-review add|list`, in Chinese and as JSON.

mod support;

use support::{TestApp, Zhilu};

#[test]
fn r29_violation_and_suspension_block_checkout_at_the_command_line() {
    let t = TestApp::agency("jinpu-wj", "2026-11-20 10:00:00");
    t.device("DSJ01", "一大队");
    t.officer("000201", "李军", "一大队", "officer");
    t.officer("S1", "督察员", "督察室", "supervisor");

    let unknown = t.fails(&[
        "--actor",
        "S1",
        "violation",
        "add",
        "--officer",
        "000201",
        "--kind",
        "jaywalking",
        "--desc",
        "说明",
        "--on",
        "2026-11-18",
    ]);
    assert_eq!(unknown.code, "not_in_profile", "{}", unknown.message);
    assert!(
        unknown
            .message
            .contains("lend_device（擅自借给其他人员使用的）"),
        "{}",
        unknown.message
    );
    let officer = t.fails(&[
        "--actor",
        "000201",
        "violation",
        "add",
        "--officer",
        "000201",
        "--kind",
        "lend_device",
        "--desc",
        "说明",
    ]);
    assert_eq!(officer.code, "forbidden", "{}", officer.message);

    let v = t.ok(&[
        "--actor",
        "S1",
        "violation",
        "add",
        "--officer",
        "000201",
        "--kind",
        "lend_device",
        "--desc",
        "将记录仪借给辅助人员",
        "--on",
        "2026-11-18",
        "--finding",
        "WT00001",
        "--entry",
        "1",
        "--entry",
        "2",
    ]);
    let vid = v["id"].as_str().expect("id").to_string();
    assert!(vid.starts_with("WG"), "{v}");
    assert_eq!(v["entries"], serde_json::json!([1, 2]));
    assert_eq!(v["findings"], serde_json::json!(["WT00001"]));

    let s = t.ok(&[
        "--actor",
        "S1",
        "sanction",
        "add",
        "--violation",
        &vid,
        "--kind",
        "suspend_one_month",
        "--on",
        "2026-11-20",
    ]);
    assert!(s["id"].as_str().unwrap().starts_with("CF"), "{s}");
    assert_eq!(s["from"], "2026-11-20");
    assert_eq!(s["to"], "2026-12-20");

    let refused = t.fails(&[
        "device",
        "checkout",
        "--device",
        "DSJ01",
        "--officer",
        "000201",
        "--battery",
        "90",
        "--free-gb",
        "32",
        "--clock-ok",
    ]);
    assert_eq!(refused.code, "officer_suspended", "{}", refused.message);
    assert!(
        refused
            .message
            .contains("执法人员 000201 在 2026-11-20 至 2026-12-19 停止执法"),
        "{}",
        refused.message
    );

    let list = t.ok(&["violation", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["sanctions"][0]["suspending_now"], true);
    assert_eq!(list[0]["article"], "jinpu-wj §27(二)");
    let (out, err, ok) = t.text(&["violation", "list"]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&vid) && out.contains("擅自借给其他人员使用的"),
        "{out}"
    );
    assert!(
        out.contains("2026-11-20 至 2026-12-19 停止执法（执行中）"),
        "{out}"
    );
    let (out, err, ok) = t.text(&["sanction", "list"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("停止执法工作一个月（jinpu-wj §28(三)）"),
        "{out}"
    );
}

#[test]
fn r28_annual_review_reminder_at_the_command_line() {
    let t = TestApp::agency("lushan-sj", "2026-11-20 10:00:00");
    t.officer("S1", "督察员", "督察室", "supervisor");
    t.at("2027-01-05 09:00:00");
    let (out, err, ok) = t.text(&["annual-review", "list"]);
    assert!(ok, "{err}");
    assert!(out.contains("年度评查（lushan-sj §17）"), "{out}");
    assert!(
        out.contains("2026 年度：逾期：应于 2026-12-31 前评查，尚未登记"),
        "{out}"
    );
    let r = t.ok(&[
        "--actor",
        "S1",
        "annual-review",
        "add",
        "--year",
        "2026",
        "--on",
        "2027-01-04",
        "--summary",
        "评查 2026 年度音像记录 40 条",
    ]);
    assert!(r["id"].as_str().unwrap().starts_with("NP"), "{r}");
    let a = t.ok(&["annual-review", "list"]);
    assert_eq!(a["years"][1]["year"], 2026);
    assert_eq!(a["years"][1]["overdue"], false);
    let bad = t.fails(&[
        "--actor",
        "S1",
        "annual-review",
        "add",
        "--year",
        "明年",
        "--summary",
        "评查",
    ]);
    assert_eq!(bad.code, "invalid");
}
