//! R31 over HTTP: the custodian records devices' costs through the API; the yearly report per
//! unit as JSON, as the 设备经费 page (a table and a bar per unit) and as xlsx whose amounts are
//! numbers of yuan with two decimals; the device page lists its costs.

mod common;

use std::process::Command;

use common::{CUSTODIAN, OFFICER, env, person};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r31_costs_api_page_and_xlsx() {
    let env = env().await;
    let mut d = zhilu_app::testing::camera("DSJ0002");
    d.unit = "二大队".into();
    zhilu_app::registry::register_device(env.app(), &zhilu_app::Actor::test("setup"), d)
        .await
        .expect("device");
    let mut keeper = env.login(CUSTODIAN).await;
    for (serial, kind, amount, on) in [
        ("DSJ0001", "购置", "3999.90", "2026-01-15"),
        ("DSJ0001", "维护", "100.10", "2026-05-01"),
        ("DSJ0002", "维修", "250", "2026-06-30"),
        ("DSJ0002", "购置", "4000", "2025-12-31"),
    ] {
        let r = keeper
            .post(
                &format!("/api/v1/devices/{serial}/costs"),
                json!({"kind": kind, "amount": amount, "on": on, "note": "发票"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    // Bad amounts answer 400 in Chinese; an unknown device 404.
    let r = keeper
        .post(
            "/api/v1/devices/DSJ0001/costs",
            json!({"kind": "购置", "amount": "-1", "on": "2026-01-01"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains("负数"));
    let r = keeper
        .post(
            "/api/v1/devices/NOPE/costs",
            json!({"kind": "购置", "amount": "1", "on": "2026-01-01"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text());

    let r = keeper.get("/api/v1/costs/report?year=2026").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["units"][0]["unit"], "一大队");
    assert_eq!(j["units"][0]["purchase_fen"], 399_990);
    assert_eq!(j["units"][0]["maintenance_fen"], 10_010);
    assert_eq!(j["units"][1]["unit"], "二大队");
    assert_eq!(j["units"][1]["repair_fen"], 25_000);
    assert_eq!(j["total"]["total_fen"], 399_990 + 10_010 + 25_000);
    let r = keeper.get("/api/v1/devices/DSJ0002/costs").await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);

    // The page: a row per unit, the total, one bar per unit, the largest the widest.
    let page = keeper.get("/costs?year=2026").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("设备经费"), "{html}");
    assert!(
        html.contains("3999.90") && html.contains("4100.00"),
        "{html}"
    );
    assert!(html.contains("4350.00"), "the total: {html}");
    assert_eq!(html.matches("<svg class=\"bar\"").count(), 2, "{html}");
    assert!(html.contains("width=\"240\" height=\"12\""), "{html}");
    assert!(html.contains("href=\"/costs\""), "the menu offers it");
    // Another year.
    let y = keeper.get("/costs?year=2025").await.text();
    assert!(y.contains("4000.00") && !y.contains("3999.90"), "{y}");
    let bad = keeper.get("/costs?year=abc").await;
    assert_eq!(bad.status, 400, "{}", bad.text());

    // The device page lists its costs.
    let dev = keeper.get("/devices/DSJ0001").await.text();
    assert!(
        dev.contains("device-costs") && dev.contains("3999.90"),
        "{dev}"
    );

    // The workbook: the page's rows, amounts as numbers with two decimals.
    let x = keeper.get("/costs.xlsx?year=2026").await;
    assert_eq!(x.status, 200);
    assert!(x.body.starts_with(b"PK"));
    let file = env.t.scratch().join("costs.xlsx");
    std::fs::write(&file, &x.body).expect("write xlsx");
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys,openpyxl\n\
             ws=openpyxl.load_workbook(sys.argv[1]).active\n\
             rows=list(ws.iter_rows())\n\
             for r in rows[1:]:\n\
             \x20   for c in r[1:6]:\n\
             \x20       assert isinstance(c.value,(int,float)), repr(c.value)\n\
             \x20       assert c.number_format=='0.00', c.number_format\n\
             print(json.dumps([[c.value for c in r] for r in rows], ensure_ascii=False))",
        ])
        .arg(&file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "openpyxl reads the report: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<serde_json::Value>> = serde_json::from_slice(&out.stdout).expect("rows");
    assert_eq!(rows[0][0], "单位");
    assert_eq!(rows[1][0], "一大队");
    assert_eq!(rows[1][1].as_f64(), Some(3999.9));
    assert_eq!(rows[2][3].as_f64(), Some(250.0));
    assert_eq!(rows[3][0], "合计");
    assert_eq!(rows[3][5].as_f64(), Some(4350.0));
    assert_eq!(rows[3][6].as_f64(), Some(2.0));

    // An officer records nothing and reads no report; a unit head reads their unit only.
    let mut officer = env.login(OFFICER).await;
    let r = officer
        .post(
            "/api/v1/devices/DSJ0001/costs",
            json!({"kind": "购置", "amount": "1", "on": "2026-01-01"}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    assert_eq!(officer.get("/costs").await.status, 403);
    person(env.app(), "UH2", "二队长", "二大队", &["unit_head"]).await;
    let mut head = env.login("UH2").await;
    let j = head.get("/api/v1/costs/report?year=2026").await.json();
    assert_eq!(j["units"].as_array().unwrap().len(), 1);
    assert_eq!(j["total"]["total_fen"], 25_000);
}
