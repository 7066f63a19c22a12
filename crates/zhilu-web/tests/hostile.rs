//! Hostile text in every field a person types over the API (R24 for the originals, and the
//! records): SQL metacharacters and `<script>` are stored as text and returned as JSON data,
//! nothing else; the tables stay whole.

mod common;

use common::{CUSTODIAN, OFFICER, env};
use serde_json::json;

const SQL: &str = "x'); DROP TABLE activities; --";
const SCRIPT: &str = "<script>alert('执录')</script>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r24_sql_and_script_in_every_text_field_are_stored_as_text() {
    let env = env().await;
    let mut c = env.login(CUSTODIAN).await;
    let r = c
        .post(
            "/api/v1/activities",
            json!({
                "kind": "routine_inspection",
                "subject_name": SQL,
                "place": SCRIPT,
                "officers": [OFFICER],
                "start": "2026-11-20T09:00:00+08:00",
                "end": "2026-11-20T10:00:00+08:00",
                "case_no": format!("{SQL}{SCRIPT}"),
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "JSON, never HTML"
    );
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = c.get(&format!("/api/v1/activities/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let a = r.json();
    assert_eq!(a["subject_name"], SQL);
    assert_eq!(a["place"], SCRIPT);
    assert_eq!(a["case_no"], format!("{SQL}{SCRIPT}"));
    // The table is whole: listing works and holds the activity.
    let r = c.get("/api/v1/activities").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id.as_str())
    );

    // A written record and an access request with the same text.
    let r = c
        .post(
            "/api/v1/norecords",
            json!({"activity": id, "reason": SQL, "basis": SCRIPT}),
        )
        .await;
    // The reason must be one of the profile's: refused as invalid, with a Chinese message,
    // the text echoed back only inside JSON.
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["message"].as_str().is_some());
    let mut officer = env.login(OFFICER).await;
    let r = officer
        .post(
            "/api/v1/access-requests",
            json!({"recordings": [env.sha], "reason": format!("{SQL}{SCRIPT}")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["reason"], format!("{SQL}{SCRIPT}"));

    // Ids with metacharacters are refused as ids, never passed on.
    for bad in ["A1'%20OR%20'1'='1", "%3Cscript%3E"] {
        let r = c.get(&format!("/api/v1/activities/{bad}")).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }
    let v = zhilu_app::integrity::verify(env.app(), &zhilu_app::Actor::test("audit"))
        .await
        .expect("verify");
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}
