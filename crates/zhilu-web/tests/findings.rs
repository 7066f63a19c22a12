//! Issue 14 over HTTP (R14/R5 findings about a recording offloaded without a checkout or a link):
//! the 问题整改 page lists the officer's findings with counts per state and the form of the next
//! step; the officer acknowledges and rectifies through the page forms (htmx, CSRF-checked), the
//! supervisor closes through the API; the officer cannot close (R30); the case page shows its
//! history.

mod common;

use bytes::Bytes;
use common::{OFFICER, OTHER, env, person};
use serde_json::json;

const SUPERVISOR: &str = "200001";

fn form_headers() -> [(&'static str, &'static str); 2] {
    [
        ("content-type", "application/x-www-form-urlencoded"),
        ("hx-request", "true"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_findings_page_forms_acknowledge_rectify_and_supervisor_closes() {
    let env = env().await;
    person(env.app(), SUPERVISOR, "督察员", "督察室", &["supervisor"]).await;
    // Ten days on, the recordings (never checked out, never linked) are findings about 000123.
    env.t.at("2026-11-30 09:00:00");
    let mut officer = env.login(OFFICER).await;
    let mut sup = env.login(SUPERVISOR).await;

    let list = officer.get("/api/v1/findings/cases").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let cases = list.json();
    let case = cases
        .as_array()
        .expect("list")
        .iter()
        .find(|c| {
            c["officers"]
                .as_array()
                .is_some_and(|o| o.contains(&json!(OFFICER)))
        })
        .cloned()
        .unwrap_or_else(|| panic!("no finding about {OFFICER}: {cases}"));
    let id = case["id"].as_str().expect("id").to_string();
    assert_eq!(case["state"], "open");
    let mut other = env.login(OTHER).await;
    let theirs = other.get("/api/v1/findings/cases").await.json();
    assert!(
        !theirs
            .as_array()
            .expect("list")
            .iter()
            .any(|c| c["id"] == id.as_str()),
        "another officer does not see it: {theirs}"
    );

    // The page: menu entry, counts per state, the row with its article and the officer's form.
    let html = officer.get("/findings").await.text();
    assert!(html.contains("href=\"/findings\""), "the menu offers it");
    assert!(html.contains(&format!("id=\"finding-{id}\"")), "{html}");
    assert!(html.contains(case["article"].as_str().unwrap()), "{html}");
    assert!(html.contains("id=\"tab-open\""), "{html}");
    assert!(html.contains(&format!("id=\"ack-{id}\"")), "{html}");
    assert!(!html.contains(&format!("id=\"close-{id}\"")), "{html}");

    // A form post without the CSRF token is refused and changes nothing.
    let token = officer.csrf.take();
    let r = officer
        .send(
            "POST",
            &format!("/findings/{id}/acknowledge"),
            Some(Bytes::from("note=&back=%2Ffindings")),
            &form_headers(),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    officer.csrf = token;

    let r = officer
        .send(
            "POST",
            &format!("/findings/{id}/acknowledge"),
            Some(Bytes::from("note=%E5%B1%9E%E5%AE%9E&back=%2Ffindings")),
            &form_headers(),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(r.header("hx-redirect"), Some("/findings"));

    // Now the page offers the rectification form.
    let html = officer.get("/findings?state=acknowledged").await.text();
    assert!(html.contains(&format!("id=\"rectify-{id}\"")), "{html}");
    let r = officer
        .send(
            "POST",
            &format!("/findings/{id}/rectify"),
            Some(Bytes::from(format!(
                "explanation=%E5%B7%B2%E8%A1%A5%E5%8A%9E%E9%A2%86%E7%94%A8%E6%89%8B%E7%BB%AD&links=&back=%2Ffindings%2F{id}"
            ))),
            &form_headers(),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        r.header("hx-redirect"),
        Some(format!("/findings/{id}").as_str())
    );

    // The officer cannot close it, through the API or the page.
    let r = officer
        .post(&format!("/api/v1/findings/cases/{id}/close"), json!({}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = officer
        .send(
            "POST",
            &format!("/findings/{id}/close"),
            Some(Bytes::from("note=x")),
            &form_headers(),
        )
        .await;
    assert_ne!(r.status, 204, "{}", r.text());

    // A wrong step is refused in Chinese, naming the state.
    let r = sup
        .post(
            &format!("/api/v1/findings/cases/{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(
        r.status,
        403,
        "the supervisor does not answer for the officer: {}",
        r.text()
    );
    let r = sup
        .post(&format!("/api/v1/findings/cases/{id}/close"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["state"], "closed");
    let r = sup
        .post(&format!("/api/v1/findings/cases/{id}/close"), json!({}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.code(), "finding_refused");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains(&format!("问题 {id} 当前状态为已关闭，不能关闭")),
        "{}",
        r.text()
    );

    // The case page: its state, the rectification and the history, step by step.
    let page = officer.get(&format!("/findings/{id}")).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("已关闭"), "{html}");
    assert!(html.contains("已补办领用手续"), "{html}");
    assert!(html.contains("检查发现，登记为待确认"), "{html}");
    assert!(
        html.contains("状态为已确认") && html.contains("状态为已整改"),
        "{html}"
    );
    let shown = sup
        .get(&format!("/api/v1/findings/cases/{id}"))
        .await
        .json();
    assert_eq!(
        shown["history"].as_array().expect("history").len(),
        4,
        "{shown}"
    );
    assert_eq!(shown["steps"], json!(["reopen"]));
    assert!(
        env.ledger_kinds()
            .await
            .contains(&"finding.changed".to_string())
    );
}
