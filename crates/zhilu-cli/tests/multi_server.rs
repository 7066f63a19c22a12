//! Several servers on one catalog (issue 15, X4): two `zhilu serve` processes, each over its own
//! data directory, and a shell command, all appending to one catalog at once. The second
//! directory joins the first's catalog the documented way: the same signing key copied into its
//! `keys/` (never into the catalog), the same vault roots (shared disk paths), `zhilu init` with
//! the same database URL. On PostgreSQL when `ZHILU_TEST_POSTGRES_URL` is set; on SQLite the two
//! directories name one `catalog.db` file, which the same argument covers on one machine.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use serde_json::{Value, json};
use support::{SYSADMIN, TestApp, Zhilu};
use zhilu_app::{Actor, App, DataDir, SystemClock};

/// Appends per writer (each a device registration).
const EACH: usize = 50;

/// The new password the system administrator chooses at first login.
const PW: &str = "Two-Servers#2026";

/// A `zhilu serve` process, stopped on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `zhilu` binary over data directory `data` (the test's database and clock).
fn zhilu(t: &TestApp, data: &Path) -> Command {
    let mut c = t.cmd();
    c.env("ZHILU_DATA_DIR", data);
    c
}

fn ok(t: &TestApp, data: &Path, args: &[&str]) -> Value {
    let out = zhilu(t, data)
        .arg("--json")
        .args(args)
        .output()
        .expect("run zhilu");
    assert!(
        out.status.success(),
        "zhilu {args:?} in {}: {}\n{}",
        data.display(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn serve(t: &TestApp, data: &Path) -> Server {
    let mut child = zhilu(t, data)
        .args(["--json", "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn zhilu serve");
    // The address, as a JSON object (pretty-printed over several lines).
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut text = String::new();
    let url: Value = loop {
        let n = out.read_line(&mut text).expect("read the server's address");
        assert!(n > 0, "serve stopped before printing its address: {text:?}");
        if let Ok(v) = serde_json::from_str(&text) {
            break v;
        }
    };
    let addr = url["url"]
        .as_str()
        .and_then(|u| u.strip_prefix("http://"))
        .expect("url")
        .to_string();
    Server { child, addr }
}

/// A minimal HTTP/1.1 client (one connection per request) that keeps the session cookie and
/// the CSRF token the session got at login, so that one session can be taken to another server.
#[derive(Clone, Default)]
struct Client {
    cookie: Option<String>,
    csrf: Option<String>,
}

struct Resp {
    status: u16,
    body: Value,
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = raw.windows(2).position(|w| w == b"\r\n") {
        let len = std::str::from_utf8(&raw[..nl])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if len == 0 {
            break;
        }
        let start = nl + 2;
        out.extend_from_slice(&raw[start..start + len]);
        raw = &raw[start + len + 2..];
    }
    out
}

impl Client {
    fn send(&mut self, addr: &str, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.send_with(addr, method, path, body, true)
    }

    fn send_with(
        &mut self,
        addr: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        with_token: bool,
    ) -> Resp {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(c) = &self.cookie {
            req.push_str(&format!("Cookie: {c}\r\n"));
        }
        if let (Some(t), true) = (&self.csrf, with_token) {
            req.push_str(&format!("X-CSRF-Token: {t}\r\n"));
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
            .expect("headers end");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut rest = raw[split + 4..].to_vec();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        for line in head.lines().skip(1) {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                rest = dechunk(&rest);
            }
            if k == "set-cookie"
                && let Some(pair) = v.split(';').next()
                && pair.starts_with("zhilu_session=")
            {
                self.cookie = Some(pair.to_string());
            }
        }
        let body = if rest.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&rest)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&rest).into_owned()))
        };
        Resp { status, body }
    }

    fn login(&mut self, addr: &str, user: &str, password: &str) -> Resp {
        let r = self.send(
            addr,
            "POST",
            "/api/v1/session",
            Some(&json!({"user": user, "password": password})),
        );
        if r.status == 200 {
            self.csrf = r.body["csrf_token"].as_str().map(str::to_string);
        }
        r
    }

    fn register(&mut self, addr: &str, serial: &str) -> Resp {
        self.send(addr, "POST", "/api/v1/devices", Some(&device_body(serial)))
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn device_body(serial: &str) -> Value {
    json!({"serial": serial, "kind": "执法记录仪", "model": "DSJ-V9", "unit": "一大队", "keeper": "张伟"})
}

fn cli_register(t: &TestApp, data: &Path, serial: &str) {
    ok(
        t,
        data,
        &[
            "--actor",
            SYSADMIN,
            "device",
            "register",
            "--serial",
            serial,
            "--kind",
            "执法记录仪",
            "--model",
            "DSJ-V9",
            "--unit",
            "一大队",
            "--keeper",
            "张伟",
        ],
    );
}

/// `zhilu verify` in `data`: passes; the number of entries.
fn verified_size(t: &TestApp, data: &Path) -> u64 {
    let v = ok(t, data, &["verify"]);
    assert_eq!(v["ok"], true, "verify in {}: {v}", data.display());
    v["entries"].as_u64().expect("entries")
}

#[test]
fn x4_two_servers_and_a_cli_append_to_one_postgres_catalog() {
    let t = TestApp::empty();
    let roots: Vec<PathBuf> = ["shared/vault-a", "shared/vault-b"]
        .iter()
        .map(|r| t.scratch().join(r))
        .collect();
    let root_args: Vec<String> = roots
        .iter()
        .flat_map(|r| ["--vault-root".to_string(), r.display().to_string()])
        .collect();
    let args = |first: &[&str]| -> Vec<String> {
        first
            .iter()
            .map(|s| s.to_string())
            .chain(root_args.iter().cloned())
            .collect()
    };

    // Server 1's directory, created as any installation is.
    let one = t.data();
    let init = ok(&t, &one, &refs(&args(&["init", "--profile", "luohe-xm"])));
    let sysadmin_pw = init["administrators"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == SYSADMIN))
        .and_then(|a| a["password"].as_str())
        .expect("the system administrator's first password")
        .to_string();
    t.people();

    // Server 2's directory joins the same catalog: the signing key is copied by the operator (it
    // never goes into the catalog), then `init` with the same database URL and vault roots.
    let two = t.scratch().join("data-2");
    std::fs::create_dir_all(two.join("keys")).expect("keys");
    for f in ["ledger.key", "ledger.pub"] {
        std::fs::copy(one.join("keys").join(f), two.join("keys").join(f)).expect("copy key");
    }
    let before_join = verified_size(&t, &one);
    let joined = ok(&t, &two, &refs(&args(&["init", "--profile", "luohe-xm"])));
    assert_eq!(
        joined["administrators"],
        json!([]),
        "joining creates nobody"
    );
    assert_eq!(joined["profile"], "luohe-xm", "{joined}");
    assert_eq!(
        verified_size(&t, &two),
        before_join,
        "joining an existing catalog writes nothing"
    );
    let sig = |d: &Path| std::fs::read_to_string(d.join("keys/ledger.pub")).expect("pub");
    assert_eq!(sig(&one), sig(&two));

    // One registration through the shell, to learn how many entries a registration appends.
    let s0 = verified_size(&t, &one);
    cli_register(&t, &two, "PRE-0");
    let per = verified_size(&t, &one) - s0;
    assert!(per >= 1, "a registration appends to the ledger");

    let s1 = serve(&t, &one);
    let s2 = serve(&t, &two);

    // The system administrator's first login (on server 1) must change the password; then one
    // session on each server.
    let mut first = Client::default();
    let r = first.login(&s1.addr, SYSADMIN, &sysadmin_pw);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["must_change_password"], true);
    let r = first.send(
        &s1.addr,
        "POST",
        "/api/v1/session/password",
        Some(&json!({"current": sysadmin_pw, "new": PW})),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let mut on1 = Client::default();
    assert_eq!(on1.login(&s1.addr, SYSADMIN, PW).status, 200);
    let mut on2 = Client::default();
    assert_eq!(on2.login(&s2.addr, SYSADMIN, PW).status, 200);
    let start = verified_size(&t, &one);

    // Three writers at once: server 1, server 2 and the shell (alternating directories).
    let a = {
        let (mut c, addr) = (on1.clone(), s1.addr.clone());
        std::thread::spawn(move || {
            for i in 0..EACH {
                let r = c.register(&addr, &format!("S1-{i:03}"));
                assert_eq!(r.status, 201, "server 1, device {i}: {}", r.body);
            }
        })
    };
    let b = {
        let (mut c, addr) = (on2.clone(), s2.addr.clone());
        std::thread::spawn(move || {
            for i in 0..EACH {
                let r = c.register(&addr, &format!("S2-{i:03}"));
                assert_eq!(r.status, 201, "server 2, device {i}: {}", r.body);
            }
        })
    };
    for i in 0..EACH {
        let dir = if i % 2 == 0 { &one } else { &two };
        cli_register(&t, dir, &format!("CLI-{i:03}"));
    }
    a.join().expect("server 1's writer");
    b.join().expect("server 2's writer");

    // A session made on server 1 works on server 2, its CSRF token too (and the check is live
    // there: without the token a write is refused); and the other way round.
    for (client, addr, serial) in [
        (&mut on1, &s2.addr, "X-1ON2"),
        (&mut on2, &s1.addr, "X-2ON1"),
    ] {
        let who = client.send(addr, "GET", "/api/v1/session", None);
        assert_eq!(who.status, 200, "{}", who.body);
        assert_eq!(who.body["user"], SYSADMIN);
        let refused = client.send_with(
            addr,
            "POST",
            "/api/v1/devices",
            Some(&device_body(serial)),
            false,
        );
        assert_eq!(refused.status, 403, "{}", refused.body);
        let r = client.register(addr, serial);
        assert_eq!(r.status, 201, "{}", r.body);
    }
    drop(s1);
    drop(s2);

    // Nothing lost, nothing twice: the ledger holds every append, both directories verify.
    let appends = (3 * EACH + 2) as u64;
    let size = verified_size(&t, &one);
    assert_eq!(size, start + appends * per, "ledger size = setup + appends");
    assert_eq!(verified_size(&t, &two), size);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let app = App::open(
            DataDir::new(&one),
            Arc::new(SystemClock),
            Some(t.db_url().to_string()),
        )
        .await
        .expect("open");
        let devices = zhilu_app::registry::devices(&app, &Actor::test("check"))
            .await
            .expect("devices");
        let mut serials: Vec<String> = devices.iter().map(|d| d.serial.to_string()).collect();
        serials.sort();
        let n = serials.len();
        serials.dedup();
        assert_eq!(serials.len(), n, "no device twice");
        let mut expected: Vec<String> = (0..EACH)
            .flat_map(|i| {
                [
                    format!("S1-{i:03}"),
                    format!("S2-{i:03}"),
                    format!("CLI-{i:03}"),
                ]
            })
            .chain(["PRE-0", "X-1ON2", "X-2ON1"].map(String::from))
            .collect();
        expected.sort();
        assert_eq!(serials, expected, "every registration, once");

        let entries = app
            .catalog()
            .ledger_entries(0, size + 1)
            .await
            .expect("entries");
        assert_eq!(entries.len() as u64, size);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(e.seq, i as u64, "entries numbered without gap or repeat");
        }

        // Checkpoints are linear: each is consistent with the next (one tree, never a fork).
        let key = app.verifying_key().clone();
        let alg = app.config().ledger_hash;
        let cps: Vec<zhilu_ledger::Checkpoint> = app
            .catalog()
            .checkpoints()
            .await
            .expect("checkpoints")
            .iter()
            .map(|(s, note)| {
                let cp = zhilu_ledger::verify_checkpoint(note, &key).expect("signed by the key");
                assert_eq!(cp.size, *s);
                cp
            })
            .collect();
        assert!(
            cps.len() as u64 >= 3 * EACH as u64,
            "{} checkpoints",
            cps.len()
        );
        assert_eq!(cps.last().map(|c| c.size), Some(size));
        for w in cps.windows(2) {
            let proof = app
                .catalog()
                .consistency_proof(w[0].size, w[1].size)
                .await
                .expect("proof");
            zhilu_ledger::verify_consistency(
                alg, w[0].size, w[1].size, &w[0].root, &w[1].root, &proof,
            )
            .unwrap_or_else(|e| panic!("checkpoint {} → {}: {e}", w[0].size, w[1].size));
        }
        app.close().await;
    });
}

/// A server's clock: the business time fixed, the real time the machine's plus a skew.
struct Skewed {
    business: chrono::DateTime<chrono::Utc>,
    skew: chrono::Duration,
}

impl zhilu_app::Clock for Skewed {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.business
    }
    fn real_now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + self.skew
    }
}

#[test]
fn x4_writers_clocks_seconds_apart_verify_but_an_hour_back_is_reported() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let t = TestApp::new().await;
        let open = |skew_s: i64| {
            let clock = Arc::new(Skewed {
                business: t.now(),
                skew: chrono::Duration::seconds(skew_s),
            });
            App::open(t.data_dir(), clock, Some(t.db_url().to_string()))
        };
        let (ahead, behind) = (open(2).await.expect("open"), open(-2).await.expect("open"));
        let actor = Actor::test("test");
        // Two writers whose clocks are 4 s apart, interleaved: every other entry steps back 4 s.
        for i in 0..10 {
            let app = if i % 2 == 0 { &ahead } else { &behind };
            zhilu_app::registry::register_device(
                app,
                &actor,
                zhilu_app::testing::camera(&format!("SKEW-{i}")),
            )
            .await
            .expect("register");
        }
        let r = zhilu_app::integrity::verify(&ahead, &actor)
            .await
            .expect("verify");
        assert!(r.problems.is_empty(), "{:#?}", r.problems);
        // A writer an hour behind the others is reported, naming its entry.
        let wrong = open(-3600).await.expect("open");
        zhilu_app::registry::register_device(&wrong, &actor, zhilu_app::testing::camera("LATE"))
            .await
            .expect("register");
        let (size, _) = wrong.catalog().ledger_head().await.expect("head");
        let r = zhilu_app::integrity::verify(&ahead, &actor)
            .await
            .expect("verify");
        t.tampered(); // teardown's verify would report the same clock
        assert!(
            r.problems
                .iter()
                .any(|p| p.entry.is_some_and(|e| e < size) && p.message.contains("时钟被调回")),
            "{:#?}",
            r.problems
        );
        assert_eq!(
            r.problems.len(),
            r.problems
                .iter()
                .filter(|p| p.message.contains("时钟被调回"))
                .count(),
            "only the clock: {:#?}",
            r.problems
        );
        for app in [ahead, behind, wrong] {
            app.close().await;
        }
    });
}

#[test]
fn x4_a_directory_with_another_signing_key_cannot_join_a_catalog() {
    let t = TestApp::empty();
    let one = t.data();
    ok(&t, &one, &["init"]);
    let before = verified_size(&t, &one);
    // No key copied: `init` makes a new one, which signed nothing in this catalog.
    let two = t.scratch().join("data-2");
    let out = zhilu(&t, &two)
        .args(["--json", "init"])
        .output()
        .expect("run zhilu");
    assert!(!out.status.success());
    let err: Value = serde_json::from_slice(&out.stdout).expect("json error");
    assert_eq!(err["code"], "config_invalid", "{err}");
    let message = err["message"].as_str().expect("message");
    assert!(
        message.contains("同一把密钥") && message.contains("keys/ledger.key"),
        "{message}"
    );
    assert!(!two.join("ledger/checkpoint").exists());
    assert_eq!(verified_size(&t, &one), before, "nothing written");
}

#[test]
fn x4_a_directory_with_another_tree_hash_cannot_join_a_catalog() {
    let t = TestApp::empty();
    let one = t.data();
    ok(&t, &one, &["init"]);
    let before = verified_size(&t, &one);
    let two = t.scratch().join("data-2");
    std::fs::create_dir_all(two.join("keys")).expect("keys");
    for f in ["ledger.key", "ledger.pub"] {
        std::fs::copy(one.join("keys").join(f), two.join("keys").join(f)).expect("copy key");
    }
    let out = zhilu(&t, &two)
        .args(["--json", "init", "--ledger-hash", "sm3"])
        .output()
        .expect("run zhilu");
    assert!(!out.status.success());
    let err: Value = serde_json::from_slice(&out.stdout).expect("json error");
    // The catalog says which hash its ledger uses when it is opened.
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("sha256") && m.contains("sm3")),
        "{err}"
    );
    assert_eq!(verified_size(&t, &one), before, "nothing written");
}
