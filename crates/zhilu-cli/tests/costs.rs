//! R31 at the command line: `cost add` (the custodian), `cost list`, `cost report --year`, in
//! Chinese and as JSON with exact amounts in fen.

mod support;

use support::{TestApp, Zhilu};

#[test]
fn r31_cost_add_list_and_yearly_report_per_unit() {
    let t = TestApp::agency("luohe-xm", "2026-11-20 10:00:00");
    t.device("LH01", "一大队");
    t.device("LH02", "二大队");
    t.officer("000201", "李军", "一大队", "officer");

    let c = t.ok(&[
        "cost",
        "add",
        "--device",
        "LH01",
        "--kind",
        "购置",
        "--amount",
        "3999.90",
        "--on",
        "2026-03-01",
        "--note",
        "发票 0012",
    ]);
    assert!(c["id"].as_str().unwrap().starts_with("FY"), "{c}");
    assert_eq!(c["amount_fen"], 399_990);
    assert_eq!(c["kind"], "purchase");
    assert_eq!(c["unit"], "一大队");
    t.ok(&[
        "cost",
        "add",
        "--device",
        "LH01",
        "--kind",
        "维修",
        "--amount",
        "120.5",
        "--on",
        "2026-06-01",
    ]);
    t.ok(&[
        "cost",
        "add",
        "--device",
        "LH02",
        "--kind",
        "maintenance",
        "--amount",
        "80",
        "--on",
        "2026-07-01",
    ]);

    // Refusals, in Chinese: a negative amount, three decimals, an unknown device, an officer.
    let neg = t.fails(&[
        "cost",
        "add",
        "--device",
        "LH01",
        "--kind",
        "购置",
        "--amount=-5",
        "--on",
        "2026-03-01",
    ]);
    assert_eq!(neg.code, "invalid");
    assert!(neg.message.contains("负数"), "{}", neg.message);
    let frac = t.fails(&[
        "cost",
        "add",
        "--device",
        "LH01",
        "--kind",
        "购置",
        "--amount",
        "1.005",
        "--on",
        "2026-03-01",
    ]);
    assert!(frac.message.contains("两位小数"), "{}", frac.message);
    let unknown = t.fails(&[
        "cost",
        "add",
        "--device",
        "NOPE",
        "--kind",
        "购置",
        "--amount",
        "1",
        "--on",
        "2026-03-01",
    ]);
    assert_eq!(unknown.code, "not_found", "{}", unknown.message);
    let officer = t.fails(&[
        "--actor",
        "000201",
        "cost",
        "add",
        "--device",
        "LH01",
        "--kind",
        "购置",
        "--amount",
        "1",
        "--on",
        "2026-03-01",
    ]);
    assert_eq!(officer.code, "forbidden", "{}", officer.message);

    let list = t.ok(&["cost", "list", "--device", "LH01"]);
    assert_eq!(list.as_array().unwrap().len(), 2);

    let r = t.ok(&["cost", "report", "--year", "2026"]);
    assert_eq!(r["year"], 2026);
    assert_eq!(r["units"][0]["unit"], "一大队");
    assert_eq!(r["units"][0]["purchase_fen"], 399_990);
    assert_eq!(r["units"][0]["repair_fen"], 12_050);
    assert_eq!(r["units"][0]["devices"], 1);
    assert_eq!(r["units"][1]["maintenance_fen"], 8_000);
    assert_eq!(r["total"]["total_fen"], 399_990 + 12_050 + 8_000);

    let (out, err, ok) = t.text(&["cost", "report", "--year", "2026"]);
    assert!(ok, "{err}");
    assert!(out.contains("2026 年度设备经费"), "{out}");
    assert!(out.contains("一大队：购置 3999.90 元"), "{out}");
    assert!(
        out.contains("合计：") && out.contains("合计 4200.40 元"),
        "{out}"
    );

    let bad_year = t.fails(&["cost", "report", "--year", "二〇二六"]);
    assert_eq!(bad_year.code, "invalid");

    // A unit head named by --actor reads their own unit's line only.
    t.officer("000301", "王队长", "二大队", "unit_head");
    let own = t.ok(&["--actor", "000301", "cost", "report", "--year", "2026"]);
    assert_eq!(own["units"].as_array().unwrap().len(), 1, "{own}");
    assert_eq!(own["total"]["total_fen"], 8_000);

    // The same report as an xlsx sheet.
    let file = t.scratch().join("costs.xlsx");
    let f = file.to_str().unwrap();
    let x = t.ok(&["sheet", "costs", "--year", "2026", "--out", f]);
    assert_eq!(x["sheet"], "costs");
    assert_eq!(x["rows"], 3, "two units and the total: {x}");
    assert!(std::fs::read(&file).unwrap().starts_with(b"PK"));
}
