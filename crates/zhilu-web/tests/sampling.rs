//! R27 over HTTP: a supervisor draws a sample through the API (reproducible, no seed shopping),
//! reviews an activity, and the enforcement-quality assessment changes — as JSON, on the pages
//! (a bar per unit and per officer) and as xlsx. An officer may not draw and sees only their own
//! assessment.

mod common;

use std::process::Command;

use common::{OFFICER, OTHER, env, person};
use serde_json::json;
use zhilu_app::Actor;
use zhilu_app::records::{self, NewActivity};
use zhilu_app::testing::beijing_time;

const SUPERVISOR: &str = "200001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r27_samples_api_pages_and_assessment() {
    let env = env().await;
    let app = env.app();
    person(app, SUPERVISOR, "监督员", "督察室", &["supervisor"]).await;
    let kind = app.profile().await.unwrap().checklist[0]
        .kind
        .get_ref()
        .clone();
    for (who, at) in [
        (OFFICER, "2026-11-03 09:00:00"),
        (OFFICER, "2026-11-04 09:00:00"),
        (OTHER, "2026-11-05 09:00:00"),
    ] {
        let start = beijing_time(at);
        records::add_activity(
            app,
            &Actor::test("setup"),
            NewActivity {
                kind: kind.clone(),
                subject_name: "某某商店".into(),
                subject_code: None,
                place: "某某路1号".into(),
                officers: vec![who.into()],
                start,
                end: start + chrono::Duration::minutes(20),
                case_no: None,
                flags: vec![],
            },
        )
        .await
        .expect("activity");
    }
    let mut sup = env.login(SUPERVISOR).await;
    let r = sup
        .post(
            "/api/v1/samples",
            json!({"period": "2026-11", "ratio": 1.0, "by": "unit", "seed": "web"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let d = r.json();
    assert_eq!(d["id"], "CC00001");
    assert_eq!(d["population_count"], 3);
    // Again without a reason: 409, in Chinese.
    let again = sup
        .post(
            "/api/v1/samples",
            json!({"period": "2026-11", "seed": "other"}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.code(), "sample_refused");
    assert!(again.json()["message"].as_str().unwrap().contains("事由"));
    let list = sup.get("/api/v1/samples").await;
    assert_eq!(list.json().as_array().unwrap().len(), 1);
    let shown = sup.get("/api/v1/samples/CC00001").await.json();
    let entry = shown["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["officers"][0] == OFFICER)
        .expect("an activity of the officer")
        .clone();
    let activity = entry["activity"].as_str().unwrap().to_string();

    // The officer: no draw, no review; an empty assessment before.
    let mut officer = env.login(OFFICER).await;
    let r = officer
        .post("/api/v1/samples", json!({"period": "2026-10", "seed": "x"}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let before = officer
        .get("/api/v1/assessment?period=2026-11")
        .await
        .json();
    assert_eq!(before["officers"].as_array().unwrap().len(), 0);

    // Review: events recorded partially, the rest pass.
    let r = sup
        .post(
            "/api/v1/samples/CC00001/reviews",
            json!({"activity": activity, "items": {"events_recorded": "基本符合"}, "others": "符合", "comment": "开头缺失"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = sup
        .post(
            "/api/v1/samples/CC00001/reviews",
            json!({"activity": activity, "others": "符合"}),
        )
        .await;
    assert_eq!(r.status, 409, "one review per activity: {}", r.text());

    // luohe-xm's weights: events_recorded 0.3 → 100 − 0.3 × 50 = 85.
    let a = officer
        .get("/api/v1/assessment?period=2026-11")
        .await
        .json();
    let lines = a["officers"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{a}");
    assert_eq!(lines[0]["id"], OFFICER);
    assert!(
        (lines[0]["score"].as_f64().unwrap() - 85.0).abs() < 1e-9,
        "{a}"
    );
    assert_eq!(
        a["units"].as_array().unwrap().len(),
        0,
        "an officer sees no unit line"
    );
    let bad = officer.get("/api/v1/assessment?period=下季度").await;
    assert_eq!(bad.status, 400, "{}", bad.text());

    // Pages.
    let html = sup.get("/samples").await.text();
    assert!(
        html.contains("CC00001") && html.contains("draw-form"),
        "{html}"
    );
    assert!(html.contains("href=\"/samples\""), "the menu offers it");
    let html = sup.get("/samples/CC00001").await.text();
    assert!(
        html.contains("zhilu-sample-v1") && html.contains(d["population_digest"].as_str().unwrap())
    );
    assert!(
        html.contains("已评查") && html.contains("review-form"),
        "{html}"
    );
    let html = officer.get("/assessment?period=2026-11").await.text();
    assert!(
        html.contains("执法质量考评") && html.contains("85.0"),
        "{html}"
    );
    assert_eq!(html.matches("<svg class=\"bar\"").count(), 1, "{html}");
    assert!(!html.contains("draw-form"));
    let all = sup.get("/assessment?period=2026-11").await.text();
    assert!(all.contains("assessment-units"), "{all}");

    // The workbook: scores are numbers.
    let x = sup.get("/assessment.xlsx?period=2026-11").await;
    assert_eq!(x.status, 200);
    assert!(x.body.starts_with(b"PK"));
    let file = env.t.scratch().join("assessment.xlsx");
    std::fs::write(&file, &x.body).expect("write xlsx");
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys,openpyxl\n\
             ws=openpyxl.load_workbook(sys.argv[1]).active\n\
             print(json.dumps([[c.value for c in r] for r in ws.iter_rows()], ensure_ascii=False))",
        ])
        .arg(&file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<serde_json::Value>> = serde_json::from_slice(&out.stdout).expect("rows");
    assert_eq!(rows[0][4], "考评得分");
    let row = rows
        .iter()
        .find(|r| r[1] == OFFICER)
        .expect("the officer's row");
    assert_eq!(row[4].as_f64(), Some(85.0));
}
