//! R30 (dalian-ftz §11, lushan-sj §17, jinpu-wj §26): the legal office (法制机构) looks up any
//! unit's device information and history, the findings, the access register and the cost report
//! — read-only: every state-changing endpoint for devices and costs answers 403 and writes
//! nothing.

mod common;

use common::{OFFICER, env, person};
use serde_json::json;
use zhilu_app::Actor;

/// A legal-office user of their own unit, and a device of a unit that is not theirs with a
/// lifecycle event and a cost.
async fn setup(env: &common::Env) -> common::Client {
    person(env.app(), "LG9", "法制员", "法制科", &["legal"]).await;
    let setup = Actor::test("setup");
    let mut d = zhilu_app::testing::camera("DSJ0009");
    d.unit = "三中队".into();
    zhilu_app::registry::register_device(env.app(), &setup, d)
        .await
        .expect("device");
    zhilu_app::registry::device_event(
        env.app(),
        &setup,
        "DSJ0009",
        "维修",
        "屏幕损坏送修",
        None,
        None,
    )
    .await
    .expect("event");
    zhilu_app::supervision::costs::add_cost(
        env.app(),
        &setup,
        zhilu_app::supervision::costs::NewCost {
            device: "DSJ0009".into(),
            kind: "维修".into(),
            amount: "300".into(),
            on: "2026-11-02".into(),
            note: None,
        },
    )
    .await
    .expect("cost");
    env.login("LG9").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_legal_office_reads_any_units_devices_history_findings_register_and_costs() {
    let env = env().await;
    let mut legal = setup(&env).await;
    for path in [
        "/api/v1/devices",
        "/api/v1/devices/DSJ0009",
        "/api/v1/devices/DSJ0009/events",
        "/api/v1/devices/DSJ0001/events",
        "/api/v1/devices/DSJ0009/costs",
        "/api/v1/usage",
        "/api/v1/findings",
        "/api/v1/register",
        "/api/v1/costs/report?year=2026",
        "/devices",
        "/devices/DSJ0009",
        "/devices/DSJ0001",
        "/usage",
        "/dashboard",
        "/register",
        "/register.xlsx",
        "/costs?year=2026",
        "/costs.xlsx?year=2026",
    ] {
        let r = legal.get(path).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
    }
    // Another unit's device, its history and its costs are all there.
    let devices = legal.get("/api/v1/devices").await.json();
    let serials: Vec<&str> = devices
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["serial"].as_str())
        .collect();
    assert!(
        serials.contains(&"DSJ0009") && serials.contains(&"DSJ0001"),
        "{serials:?}"
    );
    let events = legal.get("/api/v1/devices/DSJ0009/events").await.json();
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "维修"),
        "{events}"
    );
    let page = legal.get("/devices/DSJ0009").await.text();
    assert!(
        page.contains("屏幕损坏送修") && page.contains("300.00"),
        "{page}"
    );
    let report = legal.get("/api/v1/costs/report?year=2026").await.json();
    assert_eq!(report["units"][0]["unit"], "三中队");
    assert_eq!(report["total"]["repair_fen"], 30_000);
    // The menu offers the oversight pages.
    let home = legal.get("/devices").await.text();
    for href in ["/devices", "/register", "/costs", "/dashboard"] {
        assert!(
            home.contains(&format!("href=\"{href}\"")),
            "menu lacks {href}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_legal_office_cannot_change_devices_or_costs() {
    let env = env().await;
    let mut legal = setup(&env).await;
    // A checkout open on DSJ0001, so that returning it is a real change the office may not make;
    // DSJ0010 of another unit in service, for a checkout it may not make either.
    let mut d = zhilu_app::testing::camera("DSJ0010");
    d.unit = "三中队".into();
    zhilu_app::registry::register_device(env.app(), &Actor::test("setup"), d)
        .await
        .expect("device");
    zhilu_app::registry::checkout(
        env.app(),
        &Actor::test("setup"),
        zhilu_app::registry::NewCheckout {
            device: "DSJ0001".into(),
            officer: OFFICER.into(),
            battery_pct: Some(90),
            free_gb: Some(20),
            clock_ok: true,
        },
    )
    .await
    .expect("checkout");
    let writes = [
        (
            "/api/v1/devices".to_string(),
            json!({"serial": "LGX1", "kind": "执法记录仪", "model": "M", "unit": "法制科",
                   "keeper": "张伟"}),
        ),
        (
            "/api/v1/devices/DSJ0009/events".to_string(),
            json!({"event": "报废", "detail": "法制机构不应能报废"}),
        ),
        (
            "/api/v1/devices/DSJ0001/events".to_string(),
            json!({"event": "调拨", "detail": "x", "unit": "法制科"}),
        ),
        (
            "/api/v1/checkouts".to_string(),
            json!({"device": "DSJ0010", "officer": OFFICER, "battery_pct": 90, "free_gb": 20,
                   "clock_ok": true}),
        ),
        ("/api/v1/devices/DSJ0001/return".to_string(), json!({})),
        (
            "/api/v1/devices/DSJ0009/costs".to_string(),
            json!({"kind": "维修", "amount": "1", "on": "2026-11-01"}),
        ),
    ];
    let mut wrong = Vec::new();
    for (path, body) in writes {
        let before = env.ledger_kinds().await.len();
        let r = legal.post(&path, body).await;
        let after = env.ledger_kinds().await.len();
        if r.status != 403 || r.code() != "forbidden" {
            wrong.push(format!("POST {path}: {} {}", r.status, r.text()));
        }
        if after != before {
            wrong.push(format!("POST {path}: refused but wrote the ledger"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Nothing changed.
    let d = legal.get("/api/v1/devices/DSJ0009").await.json();
    assert_eq!(d["unit"], "三中队");
    assert_ne!(d["status"], "scrapped");
    let costs = legal.get("/api/v1/devices/DSJ0009/costs").await.json();
    assert_eq!(costs.as_array().unwrap().len(), 1);
}

/// The supervision the other parts of issue 14 added: findings as work items, samples and their
/// reviews, the quality assessment, violations, sanctions and annual reviews — the legal office
/// reads every one and records none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_legal_office_reads_supervision_and_changes_none_of_it() {
    let env = env().await;
    let mut legal = setup(&env).await;
    for path in [
        "/api/v1/findings/cases",
        "/api/v1/samples",
        "/api/v1/assessment?period=2026-Q4",
        "/api/v1/violations",
        "/api/v1/sanctions",
        "/api/v1/annual-reviews",
        "/findings",
        "/samples",
        "/assessment?period=2026-Q4",
        "/accountability",
    ] {
        let r = legal.get(path).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
    }
    let writes = [
        (
            "/api/v1/samples",
            json!({"period": "2026-Q4", "seed": "legal-office"}),
        ),
        (
            "/api/v1/violations",
            json!({"officer": OFFICER, "kind": "lending", "description": "法制机构不应能登记"}),
        ),
        (
            "/api/v1/annual-reviews",
            json!({"year": 2026, "summary": "法制机构不应能登记"}),
        ),
    ];
    let mut wrong = Vec::new();
    for (path, body) in writes {
        let before = env.ledger_kinds().await.len();
        let r = legal.post(path, body).await;
        let after = env.ledger_kinds().await.len();
        if r.status != 403 || r.code() != "forbidden" {
            wrong.push(format!("POST {path}: {} {}", r.status, r.text()));
        }
        if after != before {
            wrong.push(format!("POST {path}: refused but wrote the ledger"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
