//! The OpenAPI document and Swagger UI over HTTP: the document describes exactly what the router
//! serves, with a Chinese summary, schemas for every JSON answer and the error body; the answers
//! the server really gives match those schemas; Swagger UI is served from the binary with no
//! network.

mod common;

use std::collections::BTreeSet;

use common::schema::check;
use common::{CHIEF, CUSTODIAN, LEGAL, OFFICER, env};
use serde_json::{Value, json};

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

async fn document(env: &common::Env) -> Value {
    let mut anon = env.client();
    let r = anon.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()
}

/// (method, path) of every operation the document lists.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(*m).is_some() {
                out.insert(((*m).to_string(), path.clone()));
            }
        }
    }
    out
}

/// A path with its parameters filled in by values that reach the handler.
fn concrete(path: &str, sha: &str) -> String {
    path.replace("{sha256}", sha)
        .replace("{serial}", "DSJ0001")
        .replace("{id}", "NOSUCH1")
        .replace("{n}", "1")
}

/// The router's own answer for a path or method it does not serve.
fn unrouted(r: &common::Resp) -> bool {
    r.status == 405
        || (r.status == 404
            && serde_json::from_slice::<Value>(&r.body)
                .map(|v| v["message"] == "没有这个接口")
                .unwrap_or(false))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_openapi_document_describes_every_route_with_schemas() {
    let env = env().await;
    let doc = document(&env).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(
        doc["info"]["title"]
            .as_str()
            .expect("title")
            .contains("执法")
    );

    let ops = operations(&doc);
    let expected: BTreeSet<(String, String)> = [
        ("post", "/api/v1/session"),
        ("get", "/api/v1/session"),
        ("delete", "/api/v1/session"),
        ("post", "/api/v1/session/password"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("post", "/api/v1/users/{id}/disable"),
        ("post", "/api/v1/users/{id}/enable"),
        ("post", "/api/v1/users/{id}/password"),
        ("put", "/api/v1/users/{id}/roles"),
        ("put", "/api/v1/users/{id}/clearances"),
        ("post", "/api/v1/access-requests"),
        ("get", "/api/v1/approvals/inbox"),
        ("post", "/api/v1/approvals/{id}/approve"),
        ("post", "/api/v1/approvals/{id}/reject"),
        ("get", "/api/v1/grants"),
        ("post", "/api/v1/grants/{id}/revoke"),
        ("get", "/api/v1/register"),
        ("put", "/api/v1/classifications"),
        ("post", "/api/v1/purge-requests"),
        ("get", "/api/v1/purge-requests"),
        ("post", "/api/v1/purge-requests/{id}/execute"),
        ("post", "/api/v1/exports"),
        ("get", "/api/v1/exports"),
        ("get", "/api/v1/exports/{id}/images/{n}"),
        ("put", "/api/v1/recordings/{sha256}"),
        ("post", "/api/v1/recordings/{sha256}"),
        ("delete", "/api/v1/recordings/{sha256}"),
        ("patch", "/api/v1/recordings/{sha256}"),
        ("get", "/api/v1/recordings/{sha256}/content"),
        ("put", "/api/v1/recordings/{sha256}/content"),
        ("post", "/api/v1/recordings/{sha256}/content"),
        ("delete", "/api/v1/recordings/{sha256}/content"),
        ("patch", "/api/v1/recordings/{sha256}/content"),
        ("get", "/api/v1/recordings/{sha256}/viewing"),
        ("get", "/api/v1/recordings/{sha256}/download"),
        ("get", "/api/v1/devices"),
        ("post", "/api/v1/devices"),
        ("get", "/api/v1/devices/{serial}"),
        ("get", "/api/v1/devices/{serial}/events"),
        ("post", "/api/v1/devices/{serial}/events"),
        ("post", "/api/v1/devices/{serial}/return"),
        ("get", "/api/v1/devices/{serial}/costs"),
        ("post", "/api/v1/devices/{serial}/costs"),
        ("get", "/api/v1/costs/report"),
        ("post", "/api/v1/samples"),
        ("get", "/api/v1/samples"),
        ("get", "/api/v1/samples/{id}"),
        ("post", "/api/v1/samples/{id}/reviews"),
        ("get", "/api/v1/assessment"),
        ("post", "/api/v1/violations"),
        ("get", "/api/v1/violations"),
        ("post", "/api/v1/violations/{id}/sanctions"),
        ("get", "/api/v1/sanctions"),
        ("post", "/api/v1/annual-reviews"),
        ("get", "/api/v1/annual-reviews"),
        ("get", "/api/v1/oversee"),
        ("get", "/api/v1/checkouts"),
        ("post", "/api/v1/checkouts"),
        ("get", "/api/v1/usage"),
        ("get", "/api/v1/officers"),
        ("get", "/api/v1/activities"),
        ("post", "/api/v1/activities"),
        ("get", "/api/v1/activities/{id}"),
        ("post", "/api/v1/links"),
        ("post", "/api/v1/norecords"),
        ("post", "/api/v1/interruptions"),
        ("post", "/api/v1/extensions"),
        ("get", "/api/v1/recordings"),
        ("get", "/api/v1/offload-sessions"),
        ("get", "/api/v1/offload-sessions/{id}/files"),
        ("get", "/api/v1/findings"),
        ("get", "/api/v1/findings/cases"),
        ("get", "/api/v1/findings/cases/{id}"),
        ("post", "/api/v1/findings/cases/{id}/acknowledge"),
        ("post", "/api/v1/findings/cases/{id}/rectify"),
        ("post", "/api/v1/findings/cases/{id}/close"),
        ("post", "/api/v1/findings/cases/{id}/reopen"),
        ("get", "/api/v1/subject"),
        ("get", "/api/v1/retention"),
        ("get", "/api/v1/approvals/pending"),
        ("post", "/api/v1/holds"),
        ("post", "/api/v1/holds/{id}/release"),
        ("get", "/api/v1/openapi.json"),
        ("post", "/api/v1/uploads"),
        ("get", "/api/v1/uploads/{id}"),
        ("patch", "/api/v1/uploads/{id}"),
        ("post", "/api/v1/uploads/{id}/complete"),
    ]
    .iter()
    .map(|(m, p)| ((*m).to_string(), (*p).to_string()))
    .collect();
    assert_eq!(ops, expected, "documented operations");

    // Served ⇔ documented: every documented operation reaches a handler; every other method on
    // a documented path is refused by the router. (Bodies are invalid or ids unknown, so the
    // probes change nothing.)
    let mut c = env.login(CUSTODIAN).await;
    let mut wrong = Vec::new();
    for (path, _) in doc["paths"].as_object().expect("paths") {
        let url = concrete(path, &env.sha);
        for m in METHODS {
            let documented = ops.contains(&((*m).to_string(), path.clone()));
            if documented && *m == "delete" && path == "/api/v1/session" {
                let mut other = env.login(OFFICER).await;
                let r = other.send("DELETE", &url, None, &[]).await;
                assert_eq!(r.status, 204, "logout: {}", r.text());
                continue;
            }
            let body = (*m != "get").then(|| bytes::Bytes::from(r#"{"zz_unknown": 1}"#));
            let r = c.send(&m.to_uppercase(), &url, body, &[]).await;
            if documented == unrouted(&r) {
                wrong.push(format!(
                    "{m} {path}: documented {documented}, answered {} {}",
                    r.status,
                    r.text()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");

    // Every operation: a Chinese summary, a success answer, a schema for each JSON answer, and
    // the session (and for writes the CSRF token) unless it is public.
    for (method, path) in &ops {
        let op = &doc["paths"][path][method];
        let summary = op["summary"].as_str().unwrap_or_default();
        assert!(
            summary
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{method} {path}: summary {summary:?}"
        );
        let responses = op["responses"].as_object().expect("responses");
        let is_refusal = path.starts_with("/api/v1/recordings/{sha256}") && method != "get";
        assert!(
            is_refusal || responses.keys().any(|s| s.starts_with('2')),
            "{method} {path}: no success answer"
        );
        for (status, resp) in responses {
            if let Some(json) = resp["content"].get("application/json") {
                assert!(
                    json.get("schema").is_some(),
                    "{method} {path} {status}: JSON without a schema"
                );
            }
            if !status.starts_with('2') && status != "416" {
                assert_eq!(
                    resp["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{method} {path} {status}: errors are the Error body"
                );
            }
            let bytes = path.contains("{sha256}/") || path.ends_with("/images/{n}");
            if status.starts_with('2') && status != "204" && !bytes {
                assert!(
                    resp["content"]["application/json"]["schema"].is_object(),
                    "{method} {path} {status}: a JSON answer without its schema"
                );
            }
        }
        let public =
            (method == "post" && path == "/api/v1/session") || path == "/api/v1/openapi.json";
        let security = op["security"].as_array().expect("security");
        if public {
            assert!(security.is_empty(), "{method} {path} is public");
        } else if path.starts_with("/api/v1/uploads") {
            // Networked stations: their bearer credential, never a session or a CSRF token.
            assert_eq!(security.len(), 1, "{method} {path}");
            assert!(security[0].get("station").is_some(), "{method} {path}");
            assert!(security[0].get("session").is_none(), "{method} {path}");
        } else {
            assert_eq!(security.len(), 1, "{method} {path}");
            assert!(security[0].get("session").is_some(), "{method} {path}");
            assert_eq!(
                security[0].get("csrf").is_some(),
                method != "get",
                "{method} {path}: CSRF token on writes only"
            );
        }
    }
    let ids: Vec<&str> = ops
        .iter()
        .map(|(m, p)| {
            doc["paths"][p][m]["operationId"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "operation ids are unique: {ids:?}");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "zhilu_session");
    assert_eq!(schemes["csrf"]["in"], "header");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");

    // The error body, the login body, the footage answers.
    let schemas = &doc["components"]["schemas"];
    let error = &schemas["Error"];
    assert_eq!(error["required"], json!(["code", "message"]));
    assert_eq!(error["properties"]["code"]["type"], "string");
    assert_eq!(error["properties"]["message"]["type"], "string");
    let login = &doc["paths"]["/api/v1/session"]["post"];
    assert_eq!(
        login["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/LoginBody"
    );
    let body = &schemas["LoginBody"];
    assert_eq!(body["required"], json!(["user", "password"]));
    assert_eq!(
        body["additionalProperties"], false,
        "unknown fields refused"
    );
    let content = &doc["paths"]["/api/v1/recordings/{sha256}/content"]["get"];
    for status in ["200", "206", "403", "404", "416"] {
        assert!(
            content["responses"].get(status).is_some(),
            "content answers {status}"
        );
    }
    assert!(
        content["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .any(|p| p["name"] == "Range" && p["in"] == "header")
    );
    // Typed ids are strings.
    for id in ["DeviceSerial", "Sha256", "RecordId", "HoldId", "OfficerId"] {
        assert_eq!(schemas[id]["type"], "string", "{id}");
    }
    assert_eq!(schemas["DeviceStatus"]["type"], "string");
    assert!(
        schemas["DeviceStatus"]["enum"]
            .as_array()
            .expect("enum")
            .contains(&json!("在用"))
    );
}

/// What the server answers, field by field, is what the document says: logins, lists, records
/// written, approvals, grants, the register, holds and refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_openapi_schemas_match_the_answers() {
    let env = env().await;
    let doc = document(&env).await;
    let mut errs = Vec::new();

    let mut officer = env.client();
    let r = officer.login(OFFICER, common::PW).await;
    check(&doc, "post", "/api/v1/session", &r, &mut errs);
    let r = env.client().login(OFFICER, "wrong-password").await;
    check(&doc, "post", "/api/v1/session", &r, &mut errs);
    let r = officer.get("/api/v1/session").await;
    check(&doc, "get", "/api/v1/session", &r, &mut errs);

    // An activity, its link, the request for its recording, the approvals, the grant.
    let r = officer
        .post(
            "/api/v1/activities",
            json!({"kind": "routine_inspection", "subject_name": "某某餐饮店", "place": "人民路 1 号",
                   "officers": [OFFICER, common::OTHER], "start": "2026-11-20T01:25:00Z",
                   "end": "2026-11-20T02:10:00Z"}),
        )
        .await;
    check(&doc, "post", "/api/v1/activities", &r, &mut errs);
    let (_, grant) = common::granted(&env, &officer, &env.sha, "view").await;
    let _ = grant;
    let mut legal = env.login(LEGAL).await;
    let mut custodian = env.login(CUSTODIAN).await;
    let r = officer
        .post(
            "/api/v1/access-requests",
            json!({"recordings": [&env.other_sha], "reason": "核对现场录音"}),
        )
        .await;
    check(&doc, "post", "/api/v1/access-requests", &r, &mut errs);
    let request = r.json()["id"].as_str().expect("id").to_string();
    let r = legal
        .post(&format!("/api/v1/approvals/{request}/approve"), json!({}))
        .await;
    check(
        &doc,
        "post",
        "/api/v1/approvals/{id}/approve",
        &r,
        &mut errs,
    );
    let mut chief = env.login(CHIEF).await;
    let r = chief
        .post(
            &format!("/api/v1/approvals/{request}/reject"),
            json!({"comment": "事由不充分"}),
        )
        .await;
    check(&doc, "post", "/api/v1/approvals/{id}/reject", &r, &mut errs);
    let r = chief.get("/api/v1/approvals/inbox").await;
    check(&doc, "get", "/api/v1/approvals/inbox", &r, &mut errs);
    let r = officer.get("/api/v1/grants").await;
    check(&doc, "get", "/api/v1/grants", &r, &mut errs);
    let r = officer
        .get_with(
            &format!("/api/v1/recordings/{}/content", env.sha),
            &[("range", "bytes=0-99")],
        )
        .await;
    assert_eq!(r.status, 206, "{}", r.text());
    let r = officer
        .get_with(
            &format!("/api/v1/recordings/{}/content", env.sha),
            &[("range", "bytes=999999999-")],
        )
        .await;
    assert!(
        doc["paths"]["/api/v1/recordings/{sha256}/content"]["get"]["responses"]
            .get(r.status.to_string())
            .is_some(),
        "{}",
        r.status
    );

    // The custodian's and the legal office's reads, and a hold.
    for path in [
        "/api/v1/devices",
        "/api/v1/devices/{serial}",
        "/api/v1/devices/{serial}/events",
        "/api/v1/devices/{serial}/costs",
        "/api/v1/checkouts",
        "/api/v1/usage",
        "/api/v1/activities",
        "/api/v1/recordings",
        "/api/v1/offload-sessions",
        "/api/v1/register",
        "/api/v1/retention",
        "/api/v1/approvals/pending",
    ] {
        let r = custodian.get(&concrete(path, &env.sha)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        check(&doc, "get", path, &r, &mut errs);
    }
    let sessions = custodian.get("/api/v1/offload-sessions").await.json();
    let session = sessions[0]["id"].as_str().expect("a session").to_string();
    let r = custodian
        .get(&format!("/api/v1/offload-sessions/{session}/files"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    check(
        &doc,
        "get",
        "/api/v1/offload-sessions/{id}/files",
        &r,
        &mut errs,
    );
    for path in [
        "/api/v1/findings",
        "/api/v1/findings/cases",
        "/api/v1/officers",
    ] {
        let r = legal.get(path).await;
        check(&doc, "get", path, &r, &mut errs);
    }
    let r = legal.get("/api/v1/subject?name=某某餐饮店").await;
    check(&doc, "get", "/api/v1/subject", &r, &mut errs);
    let r = custodian
        .post(
            "/api/v1/holds",
            json!({"recording": &env.sha, "reason": "复议期间保全"}),
        )
        .await;
    check(&doc, "post", "/api/v1/holds", &r, &mut errs);
    let hold = r.json()["id"].as_str().expect("id").to_string();
    let r = custodian
        .post(&format!("/api/v1/holds/{hold}/release"), json!({}))
        .await;
    check(&doc, "post", "/api/v1/holds/{id}/release", &r, &mut errs);
    let r = custodian
        .post(&format!("/api/v1/holds/{hold}/release"), json!({}))
        .await;
    check(&doc, "post", "/api/v1/holds/{id}/release", &r, &mut errs);
    let r = custodian
        .post(&format!("/api/v1/grants/{grant}/revoke"), json!({}))
        .await;
    check(&doc, "post", "/api/v1/grants/{id}/revoke", &r, &mut errs);

    // Refusals.
    let r = officer.get("/api/v1/register").await;
    check(&doc, "get", "/api/v1/register", &r, &mut errs);
    let r = officer.post("/api/v1/holds", json!({"nope": 1})).await;
    check(&doc, "post", "/api/v1/holds", &r, &mut errs);
    let r = env.client().get("/api/v1/devices").await;
    check(&doc, "get", "/api/v1/devices", &r, &mut errs);
    let r = officer
        .put(
            "/api/v1/classifications",
            json!({"item": format!("recording:{}", env.sha), "secrecy": "工作秘密"}),
        )
        .await;
    check(&doc, "put", "/api/v1/classifications", &r, &mut errs);
    let mut classifier = env.login(common::CLASSIFIER).await;
    let r = classifier
        .put(
            "/api/v1/classifications",
            json!({"item": format!("recording:{}", env.other_sha), "secrecy": "工作秘密"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    check(&doc, "put", "/api/v1/classifications", &r, &mut errs);

    assert!(errs.is_empty(), "{errs:#?}");
}

/// Swagger UI from the binary: the page, its scripts and styles, and the document it loads, all
/// from this server, none from another host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_swagger_ui_is_served_from_the_binary_with_no_network() {
    let env = env().await;
    let mut c = env.client();
    let r = c.get("/api/v1/docs").await;
    assert!(
        (300..400).contains(&r.status) && r.header("location") == Some("/api/v1/docs/"),
        "{} {:?}",
        r.status,
        r.header("location")
    );
    let r = c.get("/api/v1/docs/").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "{:?}",
        r.header("content-type")
    );
    let html = r.text();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page names another host: {html}"
    );
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let link = part.split('"').next().unwrap_or_default();
            assets.push(link.to_string());
        }
    }
    assert!(
        assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")),
        "{assets:?}"
    );
    for a in &assets {
        let url = match a.strip_prefix("./") {
            Some(rel) => format!("/api/v1/docs/{rel}"),
            None if a.starts_with('/') => a.clone(),
            None => format!("/api/v1/docs/{a}"),
        };
        let r = c.get(&url).await;
        assert_eq!(r.status, 200, "{url}");
        assert!(!r.body.is_empty(), "{url}");
    }
    // The initializer loads our document, from this server.
    let r = c.get("/api/v1/docs/swagger-initializer.js").await;
    assert_eq!(r.status, 200);
    let init = r.text();
    assert!(init.contains("/api/v1/openapi.json"), "{init}");
    assert!(
        !init.contains("http://") && !init.contains("https://"),
        "{init}"
    );
}
