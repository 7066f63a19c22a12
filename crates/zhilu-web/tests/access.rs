//! Access to footage over HTTP (R23, R24, R25): request, the approval chain level by level by
//! the right people, the grant, Range serving, and every refusal.

mod common;

use bytes::Bytes;
use common::*;
use http_body_util::BodyExt;
use serde_json::json;

fn content(sha: &str) -> String {
    format!("/api/v1/recordings/{sha}/content")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_view_grant_serves_ranges() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    assert_eq!(officer.get(&content(&env.sha)).await.code(), "no_grant");
    granted(&env, &officer, &env.sha, "view").await;
    let len = env.bytes.len();
    let r = officer
        .get_with(&content(&env.sha), &[("range", "bytes=0-99")])
        .await;
    assert_eq!(r.status, 206, "{}", r.text());
    assert_eq!(&r.body[..], &env.bytes[..100]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-99/{len}").as_str())
    );
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    // A strong validator: the SHA-256, quoted once (RFC 9110 §8.8.3).
    assert_eq!(r.header("etag"), Some(format!("\"{}\"", env.sha).as_str()));
    let r = officer.get(&content(&env.sha)).await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], &env.bytes[..]);
    let r = officer
        .get_with(&content(&env.sha), &[("range", &format!("bytes={len}-"))])
        .await;
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    let r = officer
        .get_with(&content(&env.sha), &[("range", "bytes=0-9,20-29")])
        .await;
    assert_eq!(r.status, 416);
    // Uppercase hex names the same recording.
    let r = officer
        .get_with(
            &content(&env.sha.to_uppercase()),
            &[("range", "bytes=10-19")],
        )
        .await;
    assert_eq!(&r.body[..], &env.bytes[10..20]);
    // A view grant does not download the original.
    let r = officer
        .get(&format!("/api/v1/recordings/{}/download", env.sha))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "no_grant");
    // Nor does it cover another recording.
    let r = officer.get(&content(&env.other_sha)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "no_grant");
    // The register names the viewing.
    zhilu_app::access::flush_viewings(env.app())
        .await
        .expect("flush");
    let mut custodian = env.login(CUSTODIAN).await;
    let reg = custodian.get("/api/v1/register").await;
    assert_eq!(reg.status, 200, "{}", reg.text());
    let plays = reg.json()[0]["playbacks"].clone();
    assert_eq!(plays.as_array().map(Vec::len), Some(1), "{plays}");
    assert!(
        plays[0]["ranges"].as_array().is_some_and(|r| !r.is_empty()),
        "{plays}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_a_copy_grant_downloads_the_original() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    granted(&env, &officer, &env.sha, "copy").await;
    let r = officer
        .get(&format!("/api/v1/recordings/{}/download", env.sha))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.header("content-disposition")
            .unwrap_or_default()
            .starts_with("attachment")
    );
    assert_eq!(&r.body[..], &env.bytes[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_after_revoke_the_grant_serves_nothing() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    let (_, grant) = granted(&env, &officer, &env.sha, "view").await;
    assert_eq!(
        officer
            .get_with(&content(&env.sha), &[("range", "bytes=0-0")])
            .await
            .status,
        206
    );
    let mut custodian = env.login(CUSTODIAN).await;
    let r = custodian
        .post(&format!("/api/v1/grants/{grant}/revoke"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = officer.get(&content(&env.sha)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "no_grant");
    // An officer may not revoke.
    let r = officer
        .post(&format!("/api/v1/grants/{grant}/revoke"), json!({}))
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_approvers_cannot_approve_their_own_request_nor_out_of_turn() {
    let env = env().await;
    // 法制办公室 asks for itself, then tries to approve.
    let mut legal = env.login(LEGAL).await;
    let r = legal
        .post(
            "/api/v1/access-requests",
            json!({"recordings": [env.sha], "reason": "本人调阅"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let own = r.json()["id"].as_str().expect("id").to_string();
    let r = legal
        .post(&format!("/api/v1/approvals/{own}/approve"), json!({}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.code(), "approval_refused");
    // An officer's request: 主管领导 may not take the first level.
    let mut officer = env.login(OFFICER).await;
    let r = officer
        .post(
            "/api/v1/access-requests",
            json!({"recordings": [env.sha], "reason": "复议"}),
        )
        .await;
    let id = r.json()["id"].as_str().expect("id").to_string();
    let mut chief = env.login(CHIEF).await;
    assert!(
        chief
            .get("/api/v1/approvals/inbox")
            .await
            .json()
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    let r = chief
        .post(&format!("/api/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.code(), "approval_refused");
    // Nor may the requester, nor another officer.
    let mut other = env.login(OTHER).await;
    let r = other
        .post(&format!("/api/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    let inbox = env
        .login(LEGAL2)
        .await
        .get("/api/v1/approvals/inbox")
        .await
        .json();
    assert!(
        inbox
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["id"] == id.as_str())),
        "{inbox}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_two_concurrent_approvals_of_one_step_let_exactly_one_through() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    let r = officer
        .post(
            "/api/v1/access-requests",
            json!({"recordings": [env.sha], "reason": "复议"}),
        )
        .await;
    let id = r.json()["id"].as_str().expect("id").to_string();
    let mut a = env.login(LEGAL).await;
    let mut b = env.login(LEGAL2).await;
    let path = format!("/api/v1/approvals/{id}/approve");
    let (ra, rb) = tokio::join!(a.post(&path, json!({})), b.post(&path, json!({})));
    let ok = [&ra, &rb].iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{} / {}", ra.text(), rb.text());
    let refused = if ra.status == 200 { &rb } else { &ra };
    assert!(
        [409, 422].contains(&refused.status),
        "{}: {}",
        refused.status,
        refused.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_a_script_in_the_reason_is_stored_as_text_and_returned_as_json() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    let reason = "<script>alert(1)</script>复议";
    let r = officer
        .post(
            "/api/v1/access-requests",
            json!({"recordings": [env.sha], "reason": reason}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(
        r.header("content-type")
            .unwrap_or_default()
            .starts_with("application/json")
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.json()["reason"], reason);
    let reg = env.login(CUSTODIAN).await.get("/api/v1/register").await;
    assert!(
        reg.header("content-type")
            .unwrap_or_default()
            .starts_with("application/json")
    );
    assert_eq!(reg.json()[0]["request"]["reason"], reason);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r25_uncleared_user_gets_404() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    granted(&env, &officer, &env.sha, "view").await;
    let mut classifier = env.login(CLASSIFIER).await;
    let r = classifier
        .put(
            "/api/v1/classifications",
            json!({"item": format!("recording:{}", env.sha), "secrecy": "工作秘密"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = officer.get(&content(&env.sha)).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.code(), "not_found");
    // Lifted again, the grant serves.
    let r = classifier
        .put(
            "/api/v1/classifications",
            json!({"item": format!("recording:{}", env.sha), "secrecy": null}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        officer
            .get_with(&content(&env.sha), &[("range", "bytes=0-0")])
            .await
            .status,
        206
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r24_ids_that_are_not_a_sha256_are_400() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    for bad in [
        "xyz",
        "..%2F..%2Fetc%2Fpasswd",
        &"g".repeat(64),
        &format!("{}00", env.sha),
    ] {
        let r = officer.get(&content(bad)).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert_eq!(r.code(), "bad_request");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r24_a_write_to_an_original_is_refused_and_recorded() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    for (method, path) in [
        ("PUT", content(&env.sha)),
        ("DELETE", format!("/api/v1/recordings/{}", env.sha)),
    ] {
        let r = officer
            .send(method, &path, Some(Bytes::from_static(b"{}")), &[])
            .await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
        assert_eq!(r.code(), "originals_immutable");
    }
    let kinds = env.ledger_kinds().await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "original.change_refused")
            .count(),
        2,
        "{kinds:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_the_viewing_is_recorded_before_the_body_is_read() {
    let env = env().await;
    let mut officer = env.login(OFFICER).await;
    granted(&env, &officer, &env.sha, "view").await;
    let resp = officer.open("GET", &content(&env.sha), None, &[]).await;
    assert_eq!(resp.status(), 200);
    let register = zhilu_app::access::register(env.app(), &zhilu_app::Actor::test("setup"))
        .await
        .expect("register");
    assert_eq!(
        register[0].playbacks.len(),
        1,
        "a playback row before any byte was read"
    );
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(body.len(), env.bytes.len());
}
