//! One real server per test, on 127.0.0.1 port 0, over a fresh data directory (`TestApp`,
//! profile luohe-xm: access is approved by 法制办公室 then 主管领导), with its people and one
//! stored recording; and a small HTTP client that keeps the session cookie and CSRF token.

#![allow(dead_code)]

pub mod schema;

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper_util::client::legacy::Client as Hyper;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use zhilu_app::identity::{self, NewUser};
use zhilu_app::offload::{self, OffloadRequest, Silent};
use zhilu_app::testing::{TestApp, fixture};
use zhilu_app::{Actor, App};
use zhilu_web::{ServeOptions, start};

/// Every test user's password.
pub const PW: &str = "Evidence#2026ok";
/// The requester (执法人员).
pub const OFFICER: &str = "000123";
/// Another 执法人员.
pub const OTHER: &str = "000124";
/// 法制办公室, first level of the access chain; and a second one.
pub const LEGAL: &str = "100010";
pub const LEGAL2: &str = "100011";
/// 主管领导, second level.
pub const CHIEF: &str = "100020";
/// 保管人: revokes grants, reads the register.
pub const CUSTODIAN: &str = "100030";
/// 法制机构, cleared for 工作秘密: sets classes.
pub const CLASSIFIER: &str = "100040";

pub const MP4: &str = "DSJ0001_000123_20261120093000_0001.MP4";
pub const WAV: &str = "REC_20261120_094000.WAV";

/// A server over a ready data directory.
pub struct Env {
    pub t: TestApp,
    pub base: String,
    /// The stored MP4's SHA-256, and its bytes.
    pub sha: String,
    pub bytes: Vec<u8>,
    /// A second recording (the WAV).
    pub other_sha: String,
}

impl Env {
    pub fn app(&self) -> &Arc<App> {
        self.t.app()
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client logged in as `user`.
    pub async fn login(&self, user: &str) -> Client {
        let mut c = self.client();
        let r = c.login(user, PW).await;
        assert_eq!(r.status, 200, "login {user}: {}", r.text());
        c
    }

    /// The audit ledger's entry kinds, in order.
    pub async fn ledger_kinds(&self) -> Vec<String> {
        let size = self.app().catalog().ledger_head().await.expect("head").0;
        self.app()
            .catalog()
            .ledger_entries(0, size)
            .await
            .expect("entries")
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }
}

fn setup() -> Actor {
    Actor::test("setup")
}

async fn user(app: &App, id: &str, name: &str, roles: &[&str]) {
    identity::add_user(
        app,
        &setup(),
        NewUser {
            id: id.into(),
            name: name.into(),
            unit: "一大队".into(),
            roles: roles.iter().map(|r| (*r).to_string()).collect(),
            password: Some(INITIAL.into()),
            ..NewUser::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("user {id}: {e}"));
    own_password(app, id).await;
}

/// One more person of `unit` with `roles`, password `PW` (for a test's own cast).
pub async fn person(app: &App, id: &str, name: &str, unit: &str, roles: &[&str]) {
    identity::add_user(
        app,
        &setup(),
        NewUser {
            id: id.into(),
            name: name.into(),
            unit: unit.into(),
            roles: roles.iter().map(|r| (*r).to_string()).collect(),
            password: Some(INITIAL.into()),
            ..NewUser::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("user {id}: {e}"));
    own_password(app, id).await;
}

/// An 安全审计员: an administrator role given on its own, by the setup actor (三员分立).
pub async fn audit_admin(app: &App, id: &str, name: &str) {
    person(app, id, name, "信息科", &["supervisor"]).await;
    identity::set_roles(app, &setup(), id, &["audit_admin".to_string()])
        .await
        .expect("roles");
}

/// The password an administrator set must be changed before anything else: tests log in once
/// with it (`INITIAL`) and choose `PW`.
pub const INITIAL: &str = "Initial#Pass2026";

pub async fn own_password(app: &App, id: &str) {
    let first = identity::login(app, id, INITIAL, "test")
        .await
        .unwrap_or_else(|e| panic!("first login {id}: {e}"));
    identity::change_password(app, &first.actor, INITIAL, PW)
        .await
        .unwrap_or_else(|e| panic!("password {id}: {e}"));
}

/// Offloads the folder `dir` as camera DSJ0001 of officer 000123 at `station`.
pub async fn offload_from(
    app: &App,
    dir: std::path::PathBuf,
    station: &str,
) -> offload::OffloadReport {
    offload::offload(
        app,
        &setup(),
        &OffloadRequest {
            source: dir,
            device: "DSJ0001".into(),
            officer: OFFICER.into(),
            station: station.into(),
            device_clock: None,
            clear_device: false,
        },
        &Silent,
    )
    .await
    .expect("offload")
}

/// The people, camera DSJ0001, one offload of an MP4 and a WAV, and the server started.
pub async fn env() -> Env {
    let t = TestApp::with_profile("luohe-xm").await;
    env_on(t).await
}

pub async fn env_on(t: TestApp) -> Env {
    let app = t.app().clone();
    user(&app, OFFICER, "周明", &["officer"]).await;
    user(&app, OTHER, "李强", &["officer"]).await;
    user(&app, LEGAL, "王法", &["legal_office"]).await;
    user(&app, LEGAL2, "赵律", &["legal_office"]).await;
    user(&app, CHIEF, "陈主管", &["chief_leader"]).await;
    user(&app, CUSTODIAN, "孙保管", &["custodian"]).await;
    user(&app, CLASSIFIER, "钱法制", &["legal"]).await;
    identity::set_clearances(
        &app,
        &setup(),
        CLASSIFIER,
        vec![zhilu_model::Secrecy::WorkSecret],
    )
    .await
    .expect("clearances");
    zhilu_app::registry::register_device(&app, &setup(), zhilu_app::testing::camera("DSJ0001"))
        .await
        .expect("device");
    let dir = t.device_dir("DSJ0001");
    std::fs::copy(fixture(MP4), dir.join(MP4)).expect("copy");
    std::fs::copy(fixture(WAV), dir.join(WAV)).expect("copy");
    offload_from(&app, dir, "CJZ-01").await;
    let recs = offload::recordings(&app, &setup(), None)
        .await
        .expect("recordings");
    let bytes = std::fs::read(fixture(MP4)).expect("fixture");
    let size = bytes.len() as u64;
    let sha = recs
        .iter()
        .find(|r| r.size == size)
        .expect("the MP4 stored")
        .sha256
        .to_string();
    let other_sha = recs
        .iter()
        .find(|r| r.sha256.as_str() != sha)
        .expect("the WAV stored")
        .sha256
        .to_string();
    let running = start(
        app,
        ServeOptions {
            bind: "127.0.0.1:0".parse().expect("addr"),
            tls: None,
        },
    )
    .await
    .expect("start");
    Env {
        t,
        base: format!("http://{}", running.addr),
        sha,
        bytes,
        other_sha,
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `code` of an error answer.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
}

/// A browser-like client: one session cookie, the CSRF token it got at login.
#[derive(Clone)]
pub struct Client {
    http: Hyper<HttpConnector, Full<Bytes>>,
    base: String,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            http: Hyper::builder(TokioExecutor::new()).build_http(),
            base: base.to_string(),
            cookie: None,
            csrf: None,
        }
    }

    fn build(
        &self,
        method: &str,
        path: &str,
        body: Option<Bytes>,
        headers: &[(&str, &str)],
    ) -> hyper::Request<Full<Bytes>> {
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            b = b.header("cookie", c);
        }
        if let Some(t) = &self.csrf
            && method != "GET"
        {
            b = b.header("x-csrf-token", t);
        }
        if body.is_some()
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            b = b.header("content-type", "application/json");
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Full::new(body.unwrap_or_default()))
            .expect("request")
    }

    fn keep_cookie(&mut self, headers: &HeaderMap) {
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap_or_default();
            if let Some(pair) = v.split(';').next()
                && pair.starts_with("zhilu_session=")
            {
                self.cookie = if pair == "zhilu_session=" || v.contains("Max-Age=0") {
                    None
                } else {
                    Some(pair.to_string())
                };
            }
        }
    }

    /// Sends and returns the answer with its body unread.
    pub async fn open(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Bytes>,
        headers: &[(&str, &str)],
    ) -> hyper::Response<Incoming> {
        let req = self.build(method, path, body, headers);
        let resp = self.http.request(req).await.expect("send");
        self.keep_cookie(resp.headers());
        resp
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Bytes>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let resp = self.open(method, path, body, headers).await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send("GET", path, None, &[]).await
    }

    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Resp {
        self.send("GET", path, None, headers).await
    }

    pub async fn post(&mut self, path: &str, body: Value) -> Resp {
        self.send("POST", path, Some(Bytes::from(body.to_string())), &[])
            .await
    }

    pub async fn put(&mut self, path: &str, body: Value) -> Resp {
        self.send("PUT", path, Some(Bytes::from(body.to_string())), &[])
            .await
    }

    pub async fn login(&mut self, user: &str, password: &str) -> Resp {
        let r = self
            .post(
                "/api/v1/session",
                json!({"user": user, "password": password}),
            )
            .await;
        if r.status == 200 {
            self.csrf = r.json()["csrf_token"].as_str().map(str::to_string);
        }
        r
    }
}

/// `requester` asks for `sha` (kind view/copy), 法制办公室 then 主管领导 approve over HTTP;
/// returns (request id, grant id).
pub async fn granted(env: &Env, requester: &Client, sha: &str, kind: &str) -> (String, String) {
    let mut requester = requester.clone();
    let r = requester
        .post(
            "/api/v1/access-requests",
            json!({"recordings": [sha], "kind": kind, "reason": "复议答复需要调阅现场录像"}),
        )
        .await;
    assert_eq!(r.status, 201, "request: {}", r.text());
    let id = r.json()["id"].as_str().expect("request id").to_string();
    for approver in [LEGAL, CHIEF] {
        let mut c = env.login(approver).await;
        let a = c
            .post(
                &format!("/api/v1/approvals/{id}/approve"),
                json!({"comment": "同意"}),
            )
            .await;
        assert_eq!(a.status, 200, "approve by {approver}: {}", a.text());
    }
    let g = requester.get("/api/v1/grants").await;
    assert_eq!(g.status, 200, "{}", g.text());
    let grant = g
        .json()
        .as_array()
        .expect("grants")
        .iter()
        .find(|g| g["request"] == id.as_str())
        .expect("the grant")["id"]
        .as_str()
        .expect("grant id")
        .to_string();
    (id, grant)
}

pub fn header_value(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).expect("header")
}
