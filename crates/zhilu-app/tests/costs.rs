//! R31 (luohe-xm §23): devices carry purchase and maintenance costs, in exact fen; a yearly cost
//! report per unit. Runs on PostgreSQL too when `ZHILU_TEST_POSTGRES_URL` is set.

use zhilu_app::supervision::costs::{self, NewCost};
use zhilu_app::testing::{TestApp, camera};
use zhilu_app::{Actor, AppError, registry};
use zhilu_model::CostKind;

async fn user(t: &TestApp, id: &str, unit: &str, roles: &[&str]) -> Actor {
    t.person(id, unit, roles).await
}

async fn device(t: &TestApp, serial: &str, unit: &str) {
    let mut d = camera(serial);
    d.unit = unit.into();
    registry::register_device(t.app(), &Actor::test("setup"), d)
        .await
        .expect("register device");
}

fn cost(device: &str, kind: &str, amount: &str, on: &str) -> NewCost {
    NewCost {
        device: device.into(),
        kind: kind.into(),
        amount: amount.into(),
        on: on.into(),
        note: None,
    }
}

/// Two units, three devices, costs over two years; a custodian records them.
async fn setup() -> (TestApp, Actor) {
    let t = TestApp::with_profile("luohe-xm").await;
    t.at("2026-11-20 12:00:00");
    device(&t, "DSJ-A1", "一大队").await;
    device(&t, "DSJ-A2", "一大队").await;
    device(&t, "DSJ-B1", "二大队").await;
    let keeper = user(&t, "K1", "装备科", &["custodian"]).await;
    (t, keeper)
}

#[tokio::test(flavor = "multi_thread")]
async fn r31_cost_report_sums_per_unit_and_year() {
    let (t, keeper) = setup().await;
    let app = t.app();
    for c in [
        cost("DSJ-A1", "购置", "3999.90", "2026-01-15"),
        cost("DSJ-A1", "维护", "120.05", "2026-06-01"),
        cost("DSJ-A2", "purchase", "3999.90", "2026-02-01"),
        cost("DSJ-B1", "其他", "10", "2026-03-03"),
        // Another year: not in the 2026 report.
        cost("DSJ-B1", "购置", "5000", "2025-12-31"),
    ] {
        costs::add_cost(app, &keeper, c).await.expect("add cost");
    }
    // The last day of the year, recorded once that day has come.
    t.at("2027-01-05 09:00:00");
    let late = costs::add_cost(app, &keeper, cost("DSJ-A2", "维修", "0.15", "2026-12-31"))
        .await
        .unwrap();
    assert!(late.id.as_str().starts_with("FY"), "{}", late.id);
    assert_eq!(late.unit, "一大队");
    assert_eq!(late.kind, CostKind::Repair);
    assert_eq!(late.amount_fen, 15);

    let r = costs::cost_report(app, &keeper, 2026).await.unwrap();
    assert_eq!(r.year, 2026);
    let units: Vec<&str> = r.units.iter().map(|u| u.unit.as_str()).collect();
    assert_eq!(units, ["一大队", "二大队"]);
    let a = &r.units[0].sums;
    assert_eq!(a.purchase_fen, 799_980);
    assert_eq!(a.maintenance_fen, 12_005);
    assert_eq!(a.repair_fen, 15);
    assert_eq!(a.other_fen, 0);
    assert_eq!(a.total_fen, 799_980 + 12_005 + 15);
    assert_eq!(a.devices, 2);
    let b = &r.units[1].sums;
    assert_eq!((b.other_fen, b.total_fen, b.devices), (1000, 1000, 1));
    assert_eq!(r.total.total_fen, 799_980 + 12_005 + 15 + 1000);
    assert_eq!(r.total.purchase_fen, 799_980);
    assert_eq!(r.total.devices, 3);

    let y2025 = costs::cost_report(app, &keeper, 2025).await.unwrap();
    assert_eq!(y2025.units.len(), 1);
    assert_eq!(y2025.total.purchase_fen, 500_000);

    // A transfer later does not move past costs to the new unit.
    registry::device_event(
        app,
        &Actor::test("setup"),
        "DSJ-B1",
        "调拨",
        "调往一大队",
        Some("一大队"),
        None,
    )
    .await
    .expect("transfer");
    let again = costs::cost_report(app, &keeper, 2026).await.unwrap();
    assert_eq!(again, r);

    // A unit head reads only their unit's line; the device list of another unit is refused.
    let head = user(&t, "H2", "二大队", &["unit_head"]).await;
    let own = costs::cost_report(app, &head, 2026).await.unwrap();
    assert_eq!(own.units.len(), 1);
    assert_eq!(own.units[0].unit, "二大队");
    assert_eq!(own.total.total_fen, 1000);
    assert!(matches!(
        costs::costs(app, &head, "DSJ-A1").await,
        Err(AppError::Forbidden { .. })
    ));
    assert_eq!(costs::costs(app, &head, "DSJ-B1").await.unwrap().len(), 2);

    // The device's costs, by day; the sheet has a row per unit and the total.
    let a1 = costs::costs(app, &keeper, "DSJ-A1").await.unwrap();
    assert_eq!(a1.len(), 2);
    assert_eq!(a1[0].kind, CostKind::Purchase);
    let sheet = costs::report_sheet(app, &keeper, 2026).await.unwrap();
    assert_eq!(sheet.rows.len(), 3);
    let last = sheet.display_rows().pop().unwrap();
    assert_eq!(last[0], "合计");
    assert_eq!(last[5], "8130.00");
    t.assert_promises_kept().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r31_amount_parsing_refuses_bad_input() {
    let (t, keeper) = setup().await;
    let app = t.app();
    let refused = |e: Result<_, AppError>, field: &str, needle: &str| match e {
        Err(AppError::Invalid { field: f, reason }) => {
            assert_eq!(f.label(), field, "{reason}");
            assert!(reason.contains(needle), "{reason}");
        }
        other => panic!("expected a refusal of {field}, got {other:?}"),
    };
    refused(
        costs::add_cost(app, &keeper, cost("DSJ-A1", "购置", "-5", "2026-01-01")).await,
        "金额",
        "负数",
    );
    refused(
        costs::add_cost(app, &keeper, cost("DSJ-A1", "购置", "1.234", "2026-01-01")).await,
        "金额",
        "两位小数",
    );
    refused(
        costs::add_cost(app, &keeper, cost("DSJ-A1", "购置", "1e9", "2026-01-01")).await,
        "金额",
        "不是有效的金额",
    );
    refused(
        costs::add_cost(
            app,
            &keeper,
            cost("DSJ-A1", "购置", "123456789012", "2026-01-01"),
        )
        .await,
        "金额",
        "过大",
    );
    refused(
        costs::add_cost(app, &keeper, cost("DSJ-A1", "购置", "0", "2026-01-01")).await,
        "金额",
        "大于 0",
    );
    refused(
        costs::add_cost(app, &keeper, cost("DSJ-A1", "加油", "1", "2026-01-01")).await,
        "费用类别",
        "购置",
    );
    refused(
        costs::add_cost(app, &keeper, cost("DSJ-A1", "购置", "1", "2026-13-01")).await,
        "日期",
        "不是有效的日期",
    );
    refused(
        costs::add_cost(app, &keeper, cost("DSJ-A1", "购置", "1", "2026-12-01")).await,
        "日期",
        "晚于今天",
    );
    assert!(matches!(
        costs::add_cost(app, &keeper, cost("DSJ-ZZ", "购置", "1", "2026-01-01")).await,
        Err(AppError::NotFound { .. })
    ));
    // Nothing was written.
    assert!(costs::list(app, &keeper, None).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn r31_officer_cannot_record_costs() {
    let (t, keeper) = setup().await;
    let app = t.app();
    let officer = user(&t, "000101", "一大队", &["officer"]).await;
    let e = costs::add_cost(app, &officer, cost("DSJ-A1", "维修", "50", "2026-11-01"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
    // Nor read the report.
    assert!(matches!(
        costs::cost_report(app, &officer, 2026).await,
        Err(AppError::Forbidden { .. })
    ));
    // The legal office reads but does not record.
    let legal = user(&t, "L1", "法制科", &["legal"]).await;
    assert!(matches!(
        costs::add_cost(app, &legal, cost("DSJ-A1", "维修", "50", "2026-11-01")).await,
        Err(AppError::Forbidden { .. })
    ));
    costs::add_cost(app, &keeper, cost("DSJ-A1", "维修", "50", "2026-11-01"))
        .await
        .unwrap();
    let r = costs::cost_report(app, &legal, 2026).await.unwrap();
    assert_eq!(r.total.repair_fen, 5000);
}
