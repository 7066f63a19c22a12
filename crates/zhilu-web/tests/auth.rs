//! Login, lockout, sessions and CSRF over real HTTP.

mod common;

use bytes::Bytes;
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_login_gives_a_session_and_a_csrf_token() {
    let env = env().await;
    let mut c = env.client();
    let r = c.login(OFFICER, PW).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let set_cookie = r.header("set-cookie").expect("cookie").to_string();
    assert!(set_cookie.starts_with("zhilu_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let body = r.json();
    assert_eq!(body["user"], OFFICER);
    assert_eq!(body["roles"], json!(["officer"]));
    assert_eq!(body["csrf_token"].as_str().map(str::len), Some(64));
    let me = c.get("/api/v1/session").await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["user"], OFFICER);
    assert_eq!(me.json()["name"], "周明");
    assert_eq!(me.json()["csrf_token"], body["csrf_token"]);
    assert_eq!(me.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(me.header("x-frame-options"), Some("DENY"));
    assert_eq!(me.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(me.header("cache-control"), Some("no-store"));
    assert!(env.ledger_kinds().await.contains(&"auth.login".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_five_wrong_passwords_lock_the_account_even_for_the_right_one() {
    let env = env().await;
    let mut c = env.client();
    for i in 1..=5 {
        let r = c.login(OFFICER, "Wrong#password1").await;
        let want = if i < 5 { 401 } else { 429 };
        assert_eq!(r.status, want, "attempt {i}: {}", r.text());
    }
    let r = c.login(OFFICER, PW).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.code(), "locked_out");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("锁定")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_without_a_session_is_401_and_a_forged_cookie_too() {
    let env = env().await;
    let mut c = env.client();
    let r = c.get("/api/v1/session").await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.code(), "not_authenticated");
    assert!(
        r.header("content-type")
            .unwrap_or_default()
            .starts_with("application/json")
    );
    // A well-formed id that no login made, and a garbage one.
    for forged in [
        "zhilu_session=AAAAAAAAAAAAAAAAAAAAAA",
        "zhilu_session=../../etc",
    ] {
        c.cookie = Some(forged.into());
        let r = c.get("/api/v1/grants").await;
        assert_eq!(r.status, 401, "{forged}: {}", r.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_a_state_change_without_the_csrf_token_is_refused() {
    let env = env().await;
    let mut c = env.login(OFFICER).await;
    let token = c.csrf.take();
    let body = json!({"recordings": [env.sha], "reason": "调阅"});
    let r = c.post("/api/v1/access-requests", body.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "csrf");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("防伪令牌")
    );
    c.csrf = Some("0".repeat(64));
    assert_eq!(
        c.post("/api/v1/access-requests", body.clone()).await.code(),
        "csrf"
    );
    c.csrf = token;
    // Right token, but another site's page sent it.
    let r = c
        .send(
            "POST",
            "/api/v1/access-requests",
            Some(Bytes::from(body.to_string())),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(r.code(), "csrf");
    let r = c
        .send(
            "POST",
            "/api/v1/access-requests",
            Some(Bytes::from(body.to_string())),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(r.code(), "csrf");
    let r = c.post("/api/v1/access-requests", body).await;
    assert_eq!(r.status, 201, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_login_must_be_json_from_our_origin() {
    let env = env().await;
    let mut c = env.client();
    let form = format!("user={OFFICER}&password={PW}");
    let r = c
        .send(
            "POST",
            "/api/v1/session",
            Some(Bytes::from(form)),
            &[("content-type", "application/x-www-form-urlencoded")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "csrf");
    let r = c
        .send(
            "POST",
            "/api/v1/session",
            Some(Bytes::from(
                json!({"user": OFFICER, "password": PW}).to_string(),
            )),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(r.code(), "csrf");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_logout_ends_the_session() {
    let env = env().await;
    let mut c = env.login(OFFICER).await;
    let cookie = c.cookie.clone();
    let r = c.send("DELETE", "/api/v1/session", None, &[]).await;
    assert_eq!(r.status, 204, "{}", r.text());
    c.cookie = cookie;
    assert_eq!(c.get("/api/v1/session").await.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_an_oversized_body_is_413() {
    let env = env().await;
    let mut c = env.login(OFFICER).await;
    let big = "长".repeat(100 * 1024 / 3 + 10);
    let r = c
        .post(
            "/api/v1/access-requests",
            json!({"recordings": [env.sha], "reason": big}),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.code(), "too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_a_body_that_is_not_json_is_400_in_chinese() {
    let env = env().await;
    let mut c = env.login(OFFICER).await;
    let r = c
        .send(
            "POST",
            "/api/v1/access-requests",
            Some(Bytes::from("{not json")),
            &[],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.code(), "bad_request");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("请求内容不是有效的 JSON")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_the_openapi_document_lists_the_api() {
    let env = env().await;
    let r = env.client().get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/recordings/{sha256}/content"]["get"].is_object());
}

/// A password an administrator set (initial or reset) must be changed before anything else:
/// the session can read who it is and change the password, and every other request is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_an_administrator_set_password_must_be_changed_first() {
    let env = common::env().await;
    zhilu_app::identity::reset_password(
        env.app(),
        &zhilu_app::Actor::test("setup"),
        common::OFFICER,
        common::INITIAL,
    )
    .await
    .expect("reset");
    let mut c = env.client();
    let r = c.login(common::OFFICER, common::INITIAL).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["must_change_password"], true);
    let r = c.get("/api/v1/activities").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "password_change_required")
    );
    let r = c
        .post(
            "/api/v1/session/password",
            serde_json::json!({"current": common::INITIAL, "new": "Chosen#Pass2026"}),
        )
        .await;
    assert!(r.status < 300, "{} {}", r.status, r.text());
    let r = c.get("/api/v1/activities").await;
    assert_eq!(r.status, 200, "{}", r.text());
}
