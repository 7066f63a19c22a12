//! Several agencies on one installation (issue 15, X4): each agency has its own data directory
//! and its own catalog — on PostgreSQL (`ZHILU_TEST_POSTGRES_URL`) two schemas of one database,
//! chosen by `?options=-c search_path=…` in the catalog URL, so that every migration and every
//! query is shown to respect it; on SQLite two files — with its own profile, ledger origin, users
//! and data, and its own server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use zhilu_app::identity::{self, NewUser};
use zhilu_app::setup::{DataDir, InitOptions, ProfileSource};
use zhilu_app::testing::TestApp;
use zhilu_app::{Action, Actor, App, ManualClock};
use zhilu_web::ServeOptions;

const INITIAL: &str = "Initial#Pass2026";
const PW: &str = "Agency#Pass2026";

/// One catalog URL per agency: two schemas of the test's fresh PostgreSQL database, or two SQLite
/// files.
async fn catalog_urls(t: &TestApp) -> [String; 2] {
    if t.db_url().starts_with("postgres") {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(t.db_url())
            .await
            .expect("connect");
        for schema in ["agency_jinpu", "agency_luohe"] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&mut conn)
                .await
                .expect("schema");
        }
        conn.close().await.expect("close");
        ["agency_jinpu", "agency_luohe"]
            .map(|s| format!("{}?options=-c%20search_path%3D{s}", t.db_url()))
    } else {
        ["jinpu", "luohe"].map(|a| {
            format!(
                "sqlite://{}?mode=rwc",
                t.scratch().join(format!("{a}.db")).display()
            )
        })
    }
}

struct Agency {
    app: Arc<App>,
    base: String,
}

/// An agency's directory under `profile`, one 执法人员 with a password of their own, devices, and
/// its server.
async fn agency(root: &Path, url: &str, profile: &str, user: &str, devices: &[&str]) -> Agency {
    let clock = Arc::new(ManualClock::new(zhilu_app::testing::default_now()));
    let app = App::init(
        DataDir::new(root),
        InitOptions {
            database_url: Some(url.to_string()),
            profile: Some(ProfileSource::Preset(profile.into())),
            ..InitOptions::default()
        },
        clock,
    )
    .await
    .expect("init");
    let setup = Actor::test("setup");
    identity::add_user(
        &app,
        &setup,
        NewUser {
            id: user.into(),
            name: "周明".into(),
            unit: "一大队".into(),
            roles: vec!["custodian".into()],
            password: Some(INITIAL.into()),
            ..NewUser::default()
        },
    )
    .await
    .expect("user");
    let first = identity::login(&app, user, INITIAL, "test")
        .await
        .expect("first login");
    identity::change_password(&app, &first.actor, INITIAL, PW)
        .await
        .expect("password");
    for d in devices {
        zhilu_app::registry::register_device(&app, &setup, zhilu_app::testing::camera(d))
            .await
            .expect("device");
    }
    let app = Arc::new(app);
    let running = zhilu_web::start(
        Arc::clone(&app),
        ServeOptions {
            bind: "127.0.0.1:0".parse().expect("addr"),
            tls: None,
        },
    )
    .await
    .expect("start");
    Agency {
        app,
        base: running.addr.to_string(),
    }
}

/// One HTTP/1.1 request (blocking, on its own connection): (status, cookie set, JSON body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let cookie = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.eq_ignore_ascii_case("set-cookie"))
            .then(|| v.trim().split(';').next().map(str::to_string))
            .flatten()
            .filter(|p| p.starts_with("zhilu_session="))
    });
    let rest = &raw[split + 4..];
    let json = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        // One chunk is enough for the small answers read here.
        let text = String::from_utf8_lossy(rest).into_owned();
        let start = text.find("\r\n").map_or(0, |i| i + 2);
        let end = text.rfind("\r\n0\r\n").unwrap_or(text.len());
        serde_json::from_str(&text[start..end]).unwrap_or(Value::Null)
    } else {
        serde_json::from_slice(rest).unwrap_or(Value::Null)
    };
    (status, cookie, json)
}

async fn http_async(
    addr: &str,
    method: &'static str,
    path: &'static str,
    cookie: Option<String>,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let addr = addr.to_string();
    tokio::task::spawn_blocking(move || http(&addr, method, path, cookie.as_deref(), body))
        .await
        .expect("http")
}

async fn login(a: &Agency, user: &str) -> (u16, Option<String>) {
    let (status, cookie, _) = http_async(
        &a.base,
        "POST",
        "/api/v1/session",
        None,
        Some(json!({"user": user, "password": PW})),
    )
    .await;
    (status, cookie)
}

async fn serials(a: &Agency, cookie: &str) -> Vec<String> {
    let (status, _, body) =
        http_async(&a.base, "GET", "/api/v1/devices", Some(cookie.into()), None).await;
    assert_eq!(status, 200, "{body}");
    let mut v: Vec<String> = body
        .as_array()
        .expect("a list")
        .iter()
        .map(|d| d["serial"].as_str().expect("serial").to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn x4_two_agencies_on_one_postgres_server_see_nothing_of_each_other() {
    // The harness makes the fresh database (or folder); the agencies' directories are our own.
    let t = TestApp::empty();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(two_agencies(&t));
}

async fn two_agencies(t: &TestApp) {
    let tmp = t.scratch();
    let [url_a, url_b] = catalog_urls(t).await;
    let a = agency(
        &tmp.join("jinpu"),
        &url_a,
        "jinpu-wj",
        "200001",
        &["JP-001", "JP-002"],
    )
    .await;
    let b = agency(
        &tmp.join("luohe"),
        &url_b,
        "luohe-xm",
        "300001",
        &["LH-001"],
    )
    .await;

    // Each agency's own profile, origin and people.
    assert_eq!(a.app.profile().await.expect("profile").id(), "jinpu-wj");
    assert_eq!(b.app.profile().await.expect("profile").id(), "luohe-xm");
    let origin = |x: &Agency| zhilu_app::origin(x.app.verifying_key(), x.app.is_replay());
    assert_ne!(origin(&a), origin(&b), "ledger origins differ");

    // A user of one agency cannot log in to the other's server.
    let (status, cookie_a) = login(&a, "200001").await;
    assert_eq!(status, 200);
    let (status, cookie_b) = login(&b, "300001").await;
    assert_eq!(status, 200);
    assert_eq!(login(&b, "200001").await.0, 401, "A's user at B's server");
    assert_eq!(login(&a, "300001").await.0, 401, "B's user at A's server");
    // Nor does a session made at one server open the other.
    let (status, _, _) =
        http_async(&b.base, "GET", "/api/v1/devices", cookie_a.clone(), None).await;
    assert_eq!(status, 401, "A's session at B's server");

    // Lists and counts show only the agency's own records.
    assert_eq!(
        serials(&a, cookie_a.as_deref().expect("cookie")).await,
        ["JP-001", "JP-002"]
    );
    assert_eq!(
        serials(&b, cookie_b.as_deref().expect("cookie")).await,
        ["LH-001"]
    );
    for (x, foreign) in [(&a, ["LH-001", "300001"]), (&b, ["JP-001", "200001"])] {
        let (size, _) = x.app.catalog().ledger_head().await.expect("head");
        let entries = x
            .app
            .catalog()
            .ledger_entries(0, size)
            .await
            .expect("entries");
        for e in &entries {
            for f in foreign {
                assert!(
                    !e.subject.contains(f) && !e.body.contains(f),
                    "entry {} of one agency names the other's {f}",
                    e.seq
                );
            }
        }
        // Each verifies alone.
        let r = zhilu_app::integrity::verify(&x.app, &Actor::test("check"))
            .await
            .expect("verify");
        assert!(r.problems.is_empty(), "{:#?}", r.problems);
    }
    a.app.close().await;
    b.app.close().await;
    if t.db_url().starts_with("postgres") {
        // The catalogs really are the two schemas: migrations and queries followed search_path.
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(t.db_url())
            .await
            .expect("connect");
        for (schema, tables) in [("agency_jinpu", 1), ("agency_luohe", 1), ("public", 0)] {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM information_schema.tables \
                 WHERE table_schema = $1 AND table_name = 'ledger_entries'",
            )
            .bind(schema)
            .fetch_one(&mut conn)
            .await
            .expect("tables");
            assert_eq!(n, tables, "ledger_entries in schema {schema}");
        }
        conn.close().await.expect("close");
    }
}

/// What 上级监督机关 may read, in every agency it is given an account in; every other action,
/// every write among them, is refused.
const OVERSIGHT_READS: &[Action] = &[
    Action::ReadRecords,
    Action::ReadFindings,
    Action::ReadDevices,
    Action::ReadSupervision,
    Action::ReadRegister,
    Action::ReadRetention,
    Action::ReadCosts,
];

/// The supervising body's account in one agency, logged in (own password chosen).
async fn oversight(app: &App, id: &str) -> Actor {
    identity::add_user(
        app,
        &Actor::test("setup"),
        NewUser {
            id: id.into(),
            name: "市局监督处".into(),
            unit: "市综合行政执法局".into(),
            roles: vec!["superior_oversight".into()],
            password: Some(INITIAL.into()),
            ..NewUser::default()
        },
    )
    .await
    .expect("oversight user");
    let first = identity::login(app, id, INITIAL, "test")
        .await
        .expect("first login");
    identity::change_password(app, &first.actor, INITIAL, PW)
        .await
        .expect("password");
    identity::login(app, id, PW, "test")
        .await
        .expect("login")
        .actor
}

#[test]
fn x4_superior_oversight_reads_every_agency_and_writes_nothing() {
    let t = TestApp::empty();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let [url_a, url_b] = catalog_urls(&t).await;
        let a = agency(
            &t.scratch().join("jinpu"),
            &url_a,
            "jinpu-wj",
            "200001",
            &["JP-001"],
        )
        .await;
        let b = agency(
            &t.scratch().join("luohe"),
            &url_b,
            "luohe-xm",
            "300001",
            &["LH-001"],
        )
        .await;
        for (x, serial) in [(&a, "JP-001"), (&b, "LH-001")] {
            let me = oversight(&x.app, "900001").await;
            // The permission matrix row: exactly the reads, no write.
            for action in Action::ALL {
                let allowed = me.require(*action, Default::default()).is_ok();
                assert_eq!(
                    allowed,
                    OVERSIGHT_READS.contains(action),
                    "上级监督机关 and {action:?}"
                );
                assert!(!allowed || action.is_read(), "{action:?} is a write");
            }
            // Through the use cases: reads the agency's devices, and a write is refused in
            // Chinese with nothing written.
            let devices = zhilu_app::registry::devices(&x.app, &me)
                .await
                .expect("read");
            assert_eq!(
                devices
                    .iter()
                    .map(|d| d.serial.to_string())
                    .collect::<Vec<_>>(),
                [serial]
            );
            let (before, _) = x.app.catalog().ledger_head().await.expect("head");
            let e = zhilu_app::registry::register_device(
                &x.app,
                &me,
                zhilu_app::testing::camera("NEW-1"),
            )
            .await
            .expect_err("a write");
            assert!(e.to_string().contains("无权"), "{e}");
            assert_eq!(x.app.catalog().ledger_head().await.expect("head").0, before);
        }
        a.app.close().await;
        b.app.close().await;
    });
}
