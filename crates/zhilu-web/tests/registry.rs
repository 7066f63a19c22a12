//! The daily writes over HTTP: the system administrator registers devices and records their
//! lifecycle (R1, R2); the custodian places and releases legal holds (R20). Refusals answer in
//! the API's form: 403 for a role without the right, 400 for a hostile serial, 409 for a second
//! registration or a second release.

mod common;

use common::{CUSTODIAN, OFFICER, env};
use serde_json::json;
use zhilu_app::Actor;
use zhilu_app::identity::{self, NewUser};

/// The system administrator (三员分立: a role only the setup actor can give a new user).
const ADMIN: &str = "200001";

async fn admin(env: &common::Env) -> common::Client {
    let setup = Actor::test("setup");
    identity::add_user(
        env.app(),
        &setup,
        NewUser {
            id: ADMIN.into(),
            name: "吴管理".into(),
            unit: "信息科".into(),
            roles: vec!["supervisor".into()],
            password: Some(common::INITIAL.into()),
            ..NewUser::default()
        },
    )
    .await
    .expect("admin");
    identity::set_roles(env.app(), &setup, ADMIN, &["system_admin".to_string()])
        .await
        .expect("roles");
    common::own_password(env.app(), ADMIN).await;
    env.login(ADMIN).await
}

fn camera(serial: &str) -> serde_json::Value {
    json!({
        "serial": serial,
        "kind": "执法记录仪",
        "model": "DSJ-V9",
        "unit": "二大队",
        "keeper": "刘洋",
        "asset_no": "ZC-2026-0007"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r1_system_admin_registers_a_device_over_http() {
    let env = env().await;
    let mut a = admin(&env).await;

    let r = a.post("/api/v1/devices", camera("DSJ0042")).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let d = r.json();
    assert_eq!(d["serial"], "DSJ0042");
    assert_eq!(d["kind"], "执法记录仪");
    assert_eq!(d["status"], "在用");
    assert_eq!(d["unit"], "二大队");
    assert_eq!(d["asset_no"], "ZC-2026-0007");

    // The English alias is accepted; asset_no may be left out.
    let mut body = camera("CAM-7");
    body["kind"] = json!("camera");
    body.as_object_mut().expect("object").remove("asset_no");
    let r = a.post("/api/v1/devices", body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["kind"], "照相机");
    assert_eq!(r.json()["asset_no"], serde_json::Value::Null);

    // Read back, with its 登记 event.
    let r = a.get("/api/v1/devices/DSJ0042").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["keeper"], "刘洋");
    let r = a.get("/api/v1/devices/DSJ0042/events").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let events = r.json();
    let events = events.as_array().expect("events");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event"], "登记");

    // A second registration of the same serial.
    let r = a.post("/api/v1/devices", camera("DSJ0042")).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.code(), "already_exists");
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("已登记")
    );

    // Hostile serials never reach the registry.
    for bad in ["../x", "<script>", ".hidden", "", "a/b", "设备一"] {
        let r = a.post("/api/v1/devices", camera(bad)).await;
        assert_eq!(r.status, 400, "serial {bad:?}: {}", r.text());
        assert_eq!(r.code(), "invalid", "serial {bad:?}");
    }
    // An unknown kind, an unknown field, a field missing.
    let mut body = camera("DSJ0043");
    body["kind"] = json!("无人机");
    let r = a.post("/api/v1/devices", body).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("执法记录仪")
    );
    let mut body = camera("DSJ0043");
    body["status"] = json!("报废");
    let r = a.post("/api/v1/devices", body).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.code(), "bad_request");
    let r = a
        .post("/api/v1/devices", json!({"serial": "DSJ0043"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text());

    // An officer may not register a device.
    let mut o = env.login(OFFICER).await;
    let r = o.post("/api/v1/devices", camera("DSJ0099")).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "forbidden");
    let msg = r.json()["message"].as_str().expect("message").to_string();
    assert!(msg.contains("无权管理设备"), "{msg}");
    let r = a.get("/api/v1/devices/DSJ0099").await;
    assert_eq!(r.status, 404, "nothing registered: {}", r.text());

    // Without a CSRF token, nothing happens.
    a.csrf = None;
    let r = a.post("/api/v1/devices", camera("DSJ0044")).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "csrf");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r2_device_lifecycle_event_over_http() {
    let env = env().await;
    let mut a = admin(&env).await;
    let r = a.post("/api/v1/devices", camera("DSJ0050")).await;
    assert_eq!(r.status, 201, "{}", r.text());

    let r = a
        .post(
            "/api/v1/devices/DSJ0050/events",
            json!({"event": "维修", "detail": "镜头进水，送厂维修"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["status"], "维修");

    let r = a
        .post(
            "/api/v1/devices/DSJ0050/events",
            json!({"event": "调拨", "detail": "调拨至三大队", "unit": "三大队", "keeper": "郑一"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let d = r.json();
    assert_eq!(d["unit"], "三大队");
    assert_eq!(d["keeper"], "郑一");
    assert_eq!(d["status"], "维修", "调拨 leaves the status as it was");

    let r = a
        .post(
            "/api/v1/devices/DSJ0050/events",
            json!({"event": "恢复使用", "detail": "维修完成"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["status"], "在用");

    let r = a.get("/api/v1/devices/DSJ0050/events").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let kinds: Vec<String> = r
        .json()
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["event"].as_str().expect("event").to_string())
        .collect();
    assert_eq!(kinds, ["登记", "维修", "调拨", "恢复使用"]);

    // Refusals: an unknown event, 登记 by hand, an empty detail, an unknown device, a hostile
    // serial in the path, an officer.
    for (body, status, code) in [
        (json!({"event": "飞走", "detail": "x"}), 400, "invalid"),
        (json!({"event": "登记", "detail": "x"}), 400, "invalid"),
        (json!({"event": "维修", "detail": "  "}), 400, "invalid"),
        (
            json!({"event": "维修", "detail": "x", "status": "在用"}),
            400,
            "bad_request",
        ),
    ] {
        let r = a.post("/api/v1/devices/DSJ0050/events", body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.text());
        assert_eq!(r.code(), code, "{body}");
    }
    let r = a
        .post(
            "/api/v1/devices/DSJ9999/events",
            json!({"event": "维修", "detail": "x"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = a
        .post(
            "/api/v1/devices/..%2Fx/events",
            json!({"event": "维修", "detail": "x"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = a
        .post(
            "/api/v1/devices/%3Cscript%3E/events",
            json!({"event": "维修", "detail": "x"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());

    let mut o = env.login(OFFICER).await;
    let r = o
        .post(
            "/api/v1/devices/DSJ0001/events",
            json!({"event": "遗失", "detail": "x"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("无权")
    );
    let r = a.get("/api/v1/devices/DSJ0001").await;
    assert_eq!(
        r.json()["status"],
        "在用",
        "the refused event changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r20_hold_placed_and_released_over_http() {
    let env = env().await;
    let mut c = env.login(CUSTODIAN).await;

    let r = c
        .post(
            "/api/v1/holds",
            json!({"recording": &env.sha[..12], "reason": "行政复议期间保全"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let hold = r.json();
    let id = hold["id"].as_str().expect("hold id").to_string();
    assert_eq!(hold["sha256"], env.sha.as_str(), "the prefix resolved");
    assert_eq!(hold["released_at"], serde_json::Value::Null);

    // Held: kept until released.
    let retention = |v: serde_json::Value, sha: &str| {
        v.as_array()
            .expect("retention")
            .iter()
            .find(|i| i["sha256"] == sha)
            .cloned()
            .expect("the recording")
    };
    let r = c.get("/api/v1/retention").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let item = retention(r.json(), &env.sha);
    assert_eq!(item["class"], "hold", "{item}");
    assert_eq!(item["retain_until"], serde_json::Value::Null);

    let r = c
        .post(&format!("/api/v1/holds/{id}/release"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["released_at"].is_string(), "{}", r.text());
    let r = c.get("/api/v1/retention").await;
    assert_ne!(retention(r.json(), &env.sha)["class"], "hold");

    // A second release is refused.
    let r = c
        .post(&format!("/api/v1/holds/{id}/release"), json!({}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.code(), "hold_already_released");
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("已解除")
    );

    // Unknown hold, unknown recording, hostile id, empty reason.
    let r = c.post("/api/v1/holds/H99999/release", json!({})).await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = c.post("/api/v1/holds/..%2Fx/release", json!({})).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = c
        .post(
            "/api/v1/holds",
            json!({"recording": "0123456789abcdef", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = c
        .post(
            "/api/v1/holds",
            json!({"recording": &env.sha, "reason": " "}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = c
        .post(
            "/api/v1/holds",
            json!({"recording": "../etc/passwd", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());

    // An officer may neither place nor release one.
    let r = c
        .post(
            "/api/v1/holds",
            json!({"recording": &env.sha, "reason": "再次保全"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let second = r.json()["id"].as_str().expect("id").to_string();
    let mut o = env.login(OFFICER).await;
    let r = o
        .post(
            "/api/v1/holds",
            json!({"recording": &env.sha, "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("无权设置或解除保全")
    );
    let r = o
        .post(&format!("/api/v1/holds/{second}/release"), json!({}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
}
