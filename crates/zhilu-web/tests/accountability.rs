//! R28, R29 over HTTP: a supervisor records a violation and a sanction stopping enforcement
//! through the API; the custodian's checkout for that officer is then refused (409, Chinese);
//! the 责任追究 page shows the violation, the running suspension and, for the supervisor only,
//! the forms, whose htmx posts record too.

mod common;

use bytes::Bytes;
use common::{CUSTODIAN, OFFICER, OTHER, env, person};
use serde_json::json;

const SUPERVISOR: &str = "200001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r29_violation_sanction_blocks_checkout_and_page_shows_it() {
    let env = env().await; // luohe-xm: §22(三) 停止执法工作一个月
    person(env.app(), SUPERVISOR, "督察员", "督察室", &["supervisor"]).await;
    let mut sup = env.login(SUPERVISOR).await;
    let mut officer = env.login(OFFICER).await;

    // An officer may not record; an unknown kind is refused in Chinese with the choices.
    let r = officer
        .post(
            "/api/v1/violations",
            json!({"officer": OTHER, "kind": "lend_device", "description": "借出"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = sup
        .post(
            "/api/v1/violations",
            json!({"officer": OFFICER, "kind": "jaywalking", "description": "说明"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("lend_device（")
    );

    let r = sup
        .post(
            "/api/v1/violations",
            json!({"officer": OFFICER, "kind": "lend_device", "description": "将记录仪借给他人",
                   "occurred_on": "2026-11-19", "findings": ["WT00001"], "entries": [1]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let vid = r.json()["id"].as_str().expect("id").to_string();
    let r = sup
        .post(
            &format!("/api/v1/violations/{vid}/sanctions"),
            json!({"kind": "suspend_one_month", "decided_on": "2026-11-20", "decided_by": "队务会"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["to"], "2026-12-20");

    let mut keeper = env.login(CUSTODIAN).await;
    let r = keeper
        .post(
            "/api/v1/checkouts",
            json!({"device": "DSJ0001", "officer": OFFICER, "battery_pct": 90, "free_gb": 32, "clock_ok": true}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.code(), "officer_suspended");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("2026-11-20 至 2026-12-19 停止执法"),
        "{}",
        r.text()
    );

    // The officer reads their own through the API; another officer sees nothing.
    let mine = officer.get("/api/v1/violations").await;
    assert_eq!(mine.status, 200, "{}", mine.text());
    assert_eq!(mine.json().as_array().unwrap().len(), 1);
    let mut other = env.login(OTHER).await;
    assert!(
        other
            .get("/api/v1/violations")
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The page.
    let html = sup.get("/accountability").await.text();
    assert!(html.contains("责任追究") && html.contains(&vid), "{html}");
    assert!(html.contains("停止执法中"), "{html}");
    assert!(html.contains("id=\"violation-form\""), "{html}");
    assert!(
        html.contains("href=\"/accountability\""),
        "the menu offers it"
    );
    let page = officer.get("/accountability").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(&vid), "{html}");
    assert!(
        !html.contains("id=\"violation-form\""),
        "no forms for an officer: {html}"
    );

    // The form posts (htmx) record too.
    let form = "year=2026&held_on=2026-11-20&summary=%E8%AF%84%E6%9F%A5%E5%85%A8%E5%B9%B4%E8%AE%B0%E5%BD%95";
    let r = sup
        .send(
            "POST",
            "/accountability/annual-reviews",
            Some(Bytes::from(form)),
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("hx-request", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(r.header("hx-redirect"), Some("/accountability"));
    let a = sup.get("/api/v1/annual-reviews").await.json();
    assert_eq!(a["reviews"][0]["summary"], "评查全年记录");
    assert!(
        sup.get("/accountability")
            .await
            .text()
            .contains("评查全年记录")
    );
    let r = officer
        .send(
            "POST",
            "/accountability/annual-reviews",
            Some(Bytes::from(form)),
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("hx-request", "true"),
            ],
        )
        .await;
    assert_ne!(r.status, 204, "an officer may not record: {}", r.text());
    assert!(
        env.ledger_kinds()
            .await
            .contains(&"sanction.recorded".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r28_page_warns_when_the_annual_review_is_overdue() {
    // lushan-sj §17: one review a year, by 12-31 (the agency's choice).
    let env = common::env_on(zhilu_app::testing::TestApp::with_profile("lushan-sj").await).await;
    person(env.app(), SUPERVISOR, "督察员", "督察室", &["supervisor"]).await;
    let mut sup = env.login(SUPERVISOR).await;
    let html = sup.get("/accountability").await.text();
    assert!(
        !html.contains("id=\"annual-overdue\""),
        "not due yet: {html}"
    );
    assert!(html.contains("lushan-sj §17"), "{html}");
    env.t.at("2027-01-02 09:00:00");
    let html = sup.get("/accountability").await.text();
    assert!(html.contains("id=\"annual-overdue\""), "{html}");
    assert!(html.contains("2026 年度尚未登记年度评查"), "{html}");
    let a = sup.get("/api/v1/annual-reviews").await.json();
    assert_eq!(a["years"][1]["year"], 2026);
    assert_eq!(a["years"][1]["overdue"], true);
    let r = sup
        .post(
            "/api/v1/annual-reviews",
            json!({"year": 2026, "held_on": "2027-01-02", "summary": "补办 2026 年度评查"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let html = sup.get("/accountability").await.text();
    assert!(!html.contains("id=\"annual-overdue\""), "{html}");
}
