//! The web application in a real browser: Debian's headless Chromium driven through
//! chromium-driver (WebDriver, `fantoccini`). Each journey runs against a freshly started server
//! on port 0 over a fresh catalog (profile luohe-xm: access approved by 法制办公室 then 主管领导),
//! one at a time (one Chromium on a 2-core machine), and saves a screenshot of every main page it
//! visits under `target/screenshots/`.
//!
//! Without chromium and chromedriver the journeys are skipped, except in CI (`CI=true`), where
//! `.ci/run` installs them and a missing browser fails the suite.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{CHIEF, CUSTODIAN, Env, LEGAL, OFFICER, PW};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use zhilu_app::identity;
use zhilu_app::records::{self, NewActivity};
use zhilu_app::testing::beijing_time;
use zhilu_app::{Actor, access};

/// One journey at a time.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const WAIT: Duration = Duration::from_secs(20);

/// chromium-driver on a free port; killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn browser_present() -> bool {
    let present =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !present {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must install chromium and chromium-driver (.ci/run)"
        );
        eprintln!("skipped: no {CHROMIUM} / {CHROMEDRIVER} (install chromium chromium-driver)");
    }
    present
}

async fn driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let until = Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < until, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// A new browser (fresh profile, no cookies) at 1366×768, in Chinese.
async fn browser(d: &Driver) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--window-size=1366,768", "--lang=zh-CN",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio"
            ]
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&d.url)
        .await
        .expect("a browser session");
    c.set_window_size(1366, 768).await.expect("window size");
    c
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("write screenshot");
}

/// Waits until `script` (a JS expression) is truthy; fails with `what` otherwise.
async fn until(c: &Client, script: &str, what: &str) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let v = c
            .execute(&format!("return ({script});"), vec![])
            .await
            .unwrap_or(Value::Null);
        if !matches!(v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("") {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The page shows without a horizontal scroll bar at the test window's 1366 px.
async fn fits_the_window(c: &Client, page: &str) {
    let wide = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .expect("width");
    assert!(
        wide.as_i64().unwrap_or(1) <= 0,
        "{page} is {wide} px wider than 1366"
    );
}

async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .text()
        .await
        .expect("text")
}

async fn path(c: &Client) -> String {
    c.current_url().await.expect("url").path().to_string()
}

/// No dialog is open (a script that ran would have opened one).
async fn no_dialog(c: &Client) {
    assert!(
        c.get_alert_text().await.is_err(),
        "a dialog opened: a script from the data ran"
    );
}

/// Logs in through the login page and lands on `next`.
async fn login(c: &Client, base: &str, user: &str, next: &str) {
    c.goto(&format!("{base}/login?next={next}"))
        .await
        .expect("login page");
    c.find(Locator::Id("user"))
        .await
        .expect("user field")
        .send_keys(user)
        .await
        .expect("type user");
    c.find(Locator::Id("password"))
        .await
        .expect("password field")
        .send_keys(PW)
        .await
        .expect("type password");
    c.find(Locator::Id("login-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    let want = next.split('?').next().unwrap_or(next).to_string();
    let deadline = Instant::now() + WAIT;
    while path(c).await != want || c.find(Locator::Id("me-name")).await.is_err() {
        assert!(Instant::now() < deadline, "{user} did not reach {next}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn logout(c: &Client) {
    c.find(Locator::Css("header .me button"))
        .await
        .expect("logout button")
        .click()
        .await
        .expect("logout");
    until(
        c,
        "location.pathname === '/login'",
        "the login page after logout",
    )
    .await;
}

fn setup() -> Actor {
    Actor::test("setup")
}

/// Yesterday's inspection (the env's recordings were made 2026-11-20 09:30 and 09:40 Beijing on
/// DSJ0001 by 000123: ten minutes apart, nothing recorded between — the planted gap); the clock
/// moves to the next morning.
async fn inspection(env: &Env, subject: &str) -> String {
    let (a, linked) = records::add_activity(
        env.app(),
        &setup(),
        NewActivity {
            kind: "routine_inspection".into(),
            subject_name: subject.into(),
            subject_code: None,
            place: "城关镇人民路 12 号".into(),
            officers: vec![OFFICER.into()],
            start: beijing_time("2026-11-20 09:29:00"),
            end: beijing_time("2026-11-20 09:45:00"),
            case_no: Some("漯西市监罚〔2026〕118 号".into()),
            flags: vec![],
        },
    )
    .await
    .expect("activity");
    assert_eq!(linked, 2, "both recordings link to the inspection");
    env.t.at("2026-11-21 09:00:00");
    a.id.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r15_r23_officer_finds_yesterdays_activity_sees_the_gap_and_asks_to_view() {
    if !browser_present() {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let env = common::env().await;
    let id = inspection(&env, "漯河市某某餐饮有限公司").await;
    let d = driver().await;
    let c = browser(&d).await;

    login(&c, &env.base, OFFICER, "/").await;
    shot(&c, "home-officer").await;
    c.find(Locator::LinkText("执法活动"))
        .await
        .expect("menu")
        .click()
        .await
        .expect("click");
    until(&c, "location.pathname === '/activities'", "the list").await;
    let q = c.find(Locator::Id("q")).await.expect("search box");
    q.send_keys("某某餐饮").await.expect("type");
    c.find(Locator::Css("form.filters button"))
        .await
        .expect("search")
        .click()
        .await
        .expect("click");
    until(&c, "location.search.includes('q=')", "the search").await;
    shot(&c, "activities").await;
    let rows = text_of(&c, "#activity-list tbody").await;
    assert!(rows.contains("漯河市某某餐饮有限公司"), "{rows}");
    assert!(rows.contains("2026-11-20 09:29:00"), "Beijing time: {rows}");
    c.find(Locator::LinkText(&id))
        .await
        .expect("the activity's link")
        .click()
        .await
        .expect("open");
    until(
        &c,
        &format!("location.pathname === '/activities/{id}'"),
        "the file",
    )
    .await;

    // The timeline: two recordings on DSJ0001, the ten-minute gap between them marked as
    // unexplained (R11 raised), the document's start and end drawn.
    let segs = until(
        &c,
        "document.querySelectorAll('#timeline .seg').length",
        "segments",
    )
    .await;
    assert_eq!(segs, json!(2));
    let gap = c
        .find(Locator::Css("#timeline .gap.flagged"))
        .await
        .expect("the planted gap is marked as unexplained");
    let title = gap.attr("title").await.expect("title").unwrap_or_default();
    assert!(title.contains("未说明"), "{title}");
    // Laid out by app.js (no inline styles under the CSP): the gap sits right of the first bar.
    let placed = c
        .execute(
            "const g=document.querySelector('#timeline .gap.flagged').getBoundingClientRect();\
             const s=document.querySelector('#timeline .seg').getBoundingClientRect();\
             return g.width > 20 && g.left >= s.left;",
            vec![],
        )
        .await
        .expect("layout");
    assert_eq!(placed, json!(true), "the gap is drawn where it is");
    let findings = text_of(&c, ".findings").await;
    assert!(findings.contains("R11"), "{findings}");
    shot(&c, "activity").await;

    // Ask to view the MP4 with a reason.
    let row = format!("tr[id='r-{}']", env.sha);
    c.find(Locator::Css(&format!("{row} details.ask summary")))
        .await
        .expect("ask")
        .click()
        .await
        .expect("open the form");
    c.find(Locator::Css(&format!("{row} input[name=reason]")))
        .await
        .expect("reason")
        .send_keys("复核现场检查笔录")
        .await
        .expect("type");
    c.find(Locator::Css(&format!("{row} form button")))
        .await
        .expect("submit")
        .click()
        .await
        .expect("submit");
    let flash = until(
        &c,
        "document.querySelector('#flash .ok')?.textContent",
        "confirmation",
    )
    .await;
    assert!(
        flash
            .as_str()
            .unwrap_or_default()
            .contains("已提交调阅申请"),
        "{flash}"
    );
    let officer = identity::login(env.app(), OFFICER, PW, "test")
        .await
        .expect("login");
    let mine = access::history(env.app(), &officer.actor)
        .await
        .expect("requests");
    let r = mine
        .iter()
        .find_map(|d| d.request.as_ref())
        .expect("the request is stored");
    assert_eq!(r.reason, "复核现场检查笔录");
    assert_eq!(r.sha256.as_str(), env.sha);
    c.close().await.expect("close");
}

/// An access request by the officer for `sha`, made through the use case.
async fn ask(env: &Env, sha: &str, reason: &str) -> String {
    let officer = identity::login(env.app(), OFFICER, PW, "test")
        .await
        .expect("login");
    access::request_access(
        env.app(),
        &officer.actor,
        access::AccessAsk {
            recordings: vec![sha.into()],
            reason: reason.into(),
            ..access::AccessAsk::default()
        },
    )
    .await
    .expect("request")
    .id
    .to_string()
}

/// Approves the first item of the inbox through the page; returns the message shown.
async fn approve_first(c: &Client, base: &str, request: &str) -> String {
    c.goto(&format!("{base}/approvals"))
        .await
        .expect("approvals");
    let item = format!("#a-{request}");
    c.find(Locator::Css(&format!("{item} button.approve")))
        .await
        .unwrap_or_else(|e| panic!("{request} waits in the inbox: {e}"))
        .click()
        .await
        .expect("approve");
    until(
        c,
        &format!("document.querySelector('{item}.done .ok')?.textContent"),
        "the decision",
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// A longer H.264 recording (60 s, faststart), made with ffmpeg, so a seek needs bytes the
/// browser has not fetched: offloaded from DSJ0001. `None` without ffmpeg (outside CI).
/// The byte ranges of every playback the viewing register lists, read again (after flushing the
/// pending viewings) until `enough` holds or the wait runs out.
async fn served_ranges(env: &Env, enough: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        zhilu_app::access::flush_viewings(env.app())
            .await
            .expect("flush");
        let reg = access::register(env.app(), &setup())
            .await
            .expect("register");
        let ranges: Vec<String> = reg
            .iter()
            .flat_map(|e| e.playbacks.iter())
            .flat_map(|p| p.ranges.iter().cloned())
            .collect();
        if enough(&ranges) || Instant::now() > deadline {
            return ranges;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn long_recording(env: &Env) -> Option<String> {
    let dir = env.t.device_dir("DSJ0001-long");
    let name = "DSJ0001_000123_20261120100000_0003.MP4";
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=25",
            "-t",
            "60",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "3M",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            "-metadata",
            "creation_time=2026-11-20T02:00:00Z",
        ])
        .arg(dir.join(name))
        .status();
    match status {
        Ok(s) if s.success() => {}
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must install ffmpeg (.ci/run)"
            );
            eprintln!("no ffmpeg: the seek is checked on the short fixture only");
            return None;
        }
    }
    common::offload_from(env.app(), dir.clone(), "CJZ-01").await;
    let size = std::fs::metadata(dir.join(name)).expect("size").len();
    zhilu_app::offload::recordings(env.app(), &setup(), None)
        .await
        .expect("recordings")
        .into_iter()
        .find(|r| r.size == size)
        .map(|r| r.sha256.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_two_levels_approve_then_the_officer_plays_watermarked_and_the_register_lists_it() {
    if !browser_present() {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let env = common::env().await;
    let sha = long_recording(&env)
        .await
        .unwrap_or_else(|| env.sha.clone());
    let request = ask(&env, &sha, "行政复议答复需要").await;
    let d = driver().await;
    let c = browser(&d).await;

    // 法制办公室, then 主管领导 (luohe-xm §17).
    login(&c, &env.base, LEGAL, "/approvals").await;
    shot(&c, "approvals").await;
    let first = approve_first(&c, &env.base, &request).await;
    assert!(first.contains("待主管领导审批"), "{first}");
    logout(&c).await;
    login(&c, &env.base, CHIEF, "/").await;
    let home = text_of(&c, "#todo-approvals").await;
    assert!(
        home.contains(&request),
        "the chief's to-do lists it: {home}"
    );
    let second = approve_first(&c, &env.base, &request).await;
    assert!(second.contains("已批准"), "{second}");
    logout(&c).await;

    // The officer plays it: time advances, a seek asks for a range, the watermark names them.
    login(&c, &env.base, OFFICER, "/access").await;
    shot(&c, "access").await;
    c.find(Locator::Css(&format!("a.play[href='/play/{sha}']")))
        .await
        .expect("a play link for the granted recording")
        .click()
        .await
        .expect("play");
    until(&c, "location.pathname.startsWith('/play/')", "the player").await;
    until(
        &c,
        "document.getElementById('player').readyState >= 1",
        "the video's metadata",
    )
    .await;
    c.execute(
        "const v=document.getElementById('player'); v.muted=true; v.play(); return true;",
        vec![],
    )
    .await
    .expect("play()");
    until(
        &c,
        "document.getElementById('player').currentTime > 0.5",
        "playback to advance",
    )
    .await;
    let mark = text_of(&c, "#watermark").await;
    assert!(mark.contains("周明") && mark.contains(OFFICER), "{mark}");
    assert!(mark.contains(&request), "{mark}");
    shot(&c, "play").await;
    c.execute(
        "const v=document.getElementById('player'); v.currentTime = v.duration * 0.85; return true;",
        vec![],
    )
    .await
    .expect("seek");
    until(
        &c,
        "(() => { const v=document.getElementById('player'); return !v.seeking && v.currentTime > v.duration * 0.8; })()",
        "the seek",
    )
    .await;
    // What the server served, as the viewing records it: a range that does not start at 0.
    let later = |r: &String| !r.starts_with("0-") && !r.starts_with("bytes=0-");
    let mut ranges = served_ranges(&env, |rs| rs.iter().any(later)).await;
    if sha != env.sha && !ranges.iter().any(later) {
        // Chromium asks for a later range on a seek only when it has not buffered that part yet.
        // That is the one reason allowed for its absence: the first request brought the whole
        // file. Then the page asks for the last 64 KiB itself, as a player on a slower link would.
        let size = zhilu_app::offload::recordings(env.app(), &setup(), None)
            .await
            .expect("recordings")
            .into_iter()
            .find(|r| r.sha256.to_string() == sha)
            .expect("the long recording")
            .size;
        let whole = format!("0-{}", size - 1);
        assert!(
            ranges
                .iter()
                .any(|r| r.trim_start_matches("bytes=") == whole),
            "no later range although the whole file ({whole}) was never served: {ranges:?}"
        );
        let ranged = c
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 fetch(document.getElementById('player').currentSrc, {headers: {Range: 'bytes=-65536'}}) \
                   .then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-range'), b.byteLength]))) \
                   .catch(e => done(String(e)));",
                vec![],
            )
            .await
            .expect("a ranged request from the page");
        assert_eq!(ranged[0], 206, "the server answers a range: {ranged}");
        assert_eq!(ranged[2], 65536, "{ranged}");
        ranges = served_ranges(&env, |rs| rs.iter().any(later)).await;
    }
    if sha != env.sha {
        assert!(
            ranges.iter().any(later),
            "the seek asked for a later range: {ranges:?}"
        );
    }
    logout(&c).await;

    // The custodian's register lists that viewing; its xlsx has the same rows.
    login(&c, &env.base, CUSTODIAN, "/register").await;
    shot(&c, "register").await;
    let page_rows = c
        .execute(
            "return [...document.querySelectorAll('#register tbody tr')].map(tr => [...tr.cells].map(td => td.textContent));",
            vec![],
        )
        .await
        .expect("rows");
    let page_rows: Vec<Vec<String>> = serde_json::from_value(page_rows).expect("rows");
    let row = page_rows
        .iter()
        .find(|r| r[0] == request)
        .unwrap_or_else(|| panic!("{request} in the register: {page_rows:?}"));
    assert!(row[3].starts_with("查阅"), "{row:?}");
    assert!(
        row[8].contains(OFFICER) && row[8].contains("查阅"),
        "the viewing: {row:?}"
    );
    let mut http = env.login(CUSTODIAN).await;
    let xlsx = http.get("/register.xlsx").await;
    assert_eq!(xlsx.status, 200);
    let file = env.t.scratch().join("register.xlsx");
    std::fs::write(&file, &xlsx.body).expect("write xlsx");
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys,datetime,openpyxl\n\
             ws=openpyxl.load_workbook(sys.argv[1]).active\n\
             rows=list(ws.iter_rows(values_only=True))\n\
             assert any(isinstance(c, datetime.datetime) for c in rows[1]), 'times are real dates: %r' % (rows[1],)\n\
             s=lambda c: '' if c is None else c.strftime('%Y-%m-%d %H:%M:%S') if isinstance(c, datetime.datetime) else str(c)\n\
             print(json.dumps([[s(c) for c in r] for r in rows], ensure_ascii=False))",
        ])
        .arg(&file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "openpyxl opens the export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sheet: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).expect("rows");
    assert_eq!(sheet[0][0], "申请编号", "header row");
    assert_eq!(
        &sheet[1..],
        &page_rows[..],
        "the workbook has the page's rows"
    );
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r25_an_uncleared_user_cannot_find_a_classified_activity_by_list_search_or_url() {
    if !browser_present() {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let env = common::env().await;
    let id = inspection(&env, "保密单位甲").await;
    let classifier = identity::login(env.app(), common::CLASSIFIER, PW, "test")
        .await
        .expect("login");
    access::classify(
        env.app(),
        &classifier.actor,
        &format!("activity:{id}"),
        Some(zhilu_model::Secrecy::WorkSecret),
    )
    .await
    .expect("classify");
    // Two readers of every unit's records (法制机构, R30): one cleared for 工作秘密, one not.
    for (uid, name, cleared) in [("100050", "吴审核", false), ("100051", "郑审核", true)] {
        common::person(env.app(), uid, name, "法制科", &["legal"]).await;
        if cleared {
            identity::set_clearances(
                env.app(),
                &setup(),
                uid,
                vec![zhilu_model::Secrecy::WorkSecret],
            )
            .await
            .expect("clearance");
        }
    }
    let d = driver().await;
    let c = browser(&d).await;
    login(&c, &env.base, "100050", "/activities").await;
    let list = c.source().await.expect("source");
    assert!(
        !list.contains("保密单位甲") && !list.contains(&id),
        "listed"
    );
    c.goto(&format!("{}/activities?q=保密单位", env.base))
        .await
        .expect("search");
    assert!(
        c.find(Locator::Id("no-activities")).await.is_ok(),
        "found by search"
    );
    c.goto(&format!("{}/activities/{id}", env.base))
        .await
        .expect("by URL");
    let body = text_of(&c, "body").await;
    assert!(body.contains("（404）"), "by URL: {body}");
    assert!(!body.contains("保密单位甲"), "{body}");
    shot(&c, "refused").await;
    c.goto(&format!("{}/", env.base)).await.expect("home");
    logout(&c).await;
    // The cleared reader finds it all three ways (so the refusals above are the clearance's).
    login(&c, &env.base, "100051", "/activities").await;
    assert!(c.source().await.expect("source").contains("保密单位甲"));
    c.goto(&format!("{}/activities/{id}", env.base))
        .await
        .expect("by URL");
    assert_eq!(text_of(&c, "#subject-name").await, "保密单位甲");
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r7_r10_a_non_recording_reason_approved_clears_the_finding_from_the_dashboard() {
    if !browser_present() {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let env = common::env().await;
    // A service of documents (mandatory, luohe-xm §6(四)) with nothing recorded.
    let (a, _) = records::add_activity(
        env.app(),
        &setup(),
        NewActivity {
            kind: "service".into(),
            subject_name: "送达对象乙".into(),
            subject_code: None,
            place: "城关镇".into(),
            officers: vec![common::OTHER.into()],
            start: beijing_time("2026-11-20 14:00:00"),
            end: beijing_time("2026-11-20 14:20:00"),
            case_no: None,
            flags: vec![],
        },
    )
    .await
    .expect("activity");
    let id = a.id.to_string();
    env.t.at("2026-11-21 09:00:00");
    common::person(
        env.app(),
        "100060",
        "何大队",
        "一大队",
        &["brigade_leader", "unit_head"],
    )
    .await;
    let d = driver().await;
    let c = browser(&d).await;

    let r7 = format!("tr[data-rule='R7'] a[href='/activities/{id}']");
    login(&c, &env.base, "100060", "/dashboard").await;
    assert!(
        c.find(Locator::Css(&r7)).await.is_ok(),
        "R7 is on the dashboard before"
    );
    shot(&c, "dashboard").await;
    logout(&c).await;

    login(&c, &env.base, common::OTHER, &format!("/activities/{id}")).await;
    c.find(Locator::Css("#norecord-reason"))
        .await
        .expect("reason")
        .select_by_value("emergency")
        .await
        .expect("select");
    c.find(Locator::Css("#norecord-form textarea"))
        .await
        .expect("basis")
        .send_keys("当事人情绪激动，现场秩序混乱，记录仪未能及时开启")
        .await
        .expect("type");
    c.find(Locator::Css("#norecord-form button"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("submit");
    until(
        &c,
        "document.querySelector('[id^=norecord-]:not(#norecord-form):not(#norecord-reason)')",
        "the non-recording record",
    )
    .await;
    let norecord = c
        .execute(
            "return document.querySelector('li[id^=norecord-]').id.slice(9);",
            vec![],
        )
        .await
        .expect("id");
    let norecord = norecord.as_str().expect("id").to_string();
    logout(&c).await;

    login(&c, &env.base, "100060", "/approvals").await;
    let msg = approve_first(&c, &env.base, &norecord).await;
    assert!(msg.contains("已批准"), "{msg}");
    // The record prints with the approval on it.
    c.goto(&format!(
        "{}/activities/{id}/norecord/{norecord}/form",
        env.base
    ))
    .await
    .expect("form");
    let form = text_of(&c, "main").await;
    assert!(
        form.contains("未进行音像记录工作记录") && form.contains("大队领导意见"),
        "{form}"
    );
    assert!(form.contains("同意。（100060"), "{form}");
    shot(&c, "form-norecord").await;
    c.goto(&format!("{}/dashboard", env.base))
        .await
        .expect("dashboard");
    text_of(&c, "#finding-total").await;
    assert!(
        c.find(Locator::Css(&r7)).await.is_err(),
        "R7 left the dashboard once the reason was approved"
    );
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x2_r23_script_in_names_shows_as_text_and_never_runs() {
    if !browser_present() {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let env = common::env().await;
    let evil = "<script>alert(1)</script>";
    let img = "<img src=x onerror=alert(2)>";
    let id = inspection(&env, &format!("{evil}有限公司")).await;
    let request = ask(&env, &env.sha, &format!("{img}复核")).await;
    common::person(
        env.app(),
        "100070",
        &format!("{evil}王"),
        "一大队",
        &["legal", "legal_office"],
    )
    .await;
    let d = driver().await;
    let c = browser(&d).await;
    login(&c, &env.base, "100070", "/").await;
    no_dialog(&c).await;
    assert_eq!(text_of(&c, "#me-name").await, format!("{evil}王"));
    for page in [
        "/".to_string(),
        "/activities".to_string(),
        format!("/activities?q={}", "%3Cscript%3E"),
        format!("/activities/{id}"),
        "/approvals".to_string(),
        "/dashboard".to_string(),
    ] {
        c.goto(&format!("{}{page}", env.base)).await.expect("page");
        text_of(&c, "main").await;
        no_dialog(&c).await;
        let scripts = c
            .execute(
                "return [...document.scripts].filter(s => !s.src).length + document.querySelectorAll('img').length;",
                vec![],
            )
            .await
            .expect("scripts");
        assert_eq!(
            scripts,
            json!(0),
            "{page}: no script or image element from the data"
        );
    }
    c.goto(&format!("{}/activities/{id}", env.base))
        .await
        .expect("page");
    assert_eq!(
        text_of(&c, "#subject-name").await,
        format!("{evil}有限公司"),
        "the name is shown as text"
    );
    c.goto(&format!("{}/approvals", env.base))
        .await
        .expect("page");
    let item = text_of(&c, &format!("#a-{request}")).await;
    assert!(item.contains(&format!("{img}复核")), "{item}");
    no_dialog(&c).await;
    shot(&c, "hostile-names").await;
    c.close().await.expect("close");
}

/// A page of the tour: its path, a word of its heading, the screenshot's name.
type Stop = (&'static str, &'static str, &'static str);

/// Every main page as the person who uses it, at 1366×768: it has its Chinese heading, nothing
/// is wider than the window (no cut-off column, no sideways scrolling), and a screenshot is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x4_every_main_page_renders_in_chinese_and_fits_1366x768() {
    if !browser_present() {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let env = common::env().await;
    let id = inspection(&env, "漯河市某某商贸有限公司").await;
    let request = ask(&env, &env.sha, "案件审理需要").await;
    common::audit_admin(env.app(), "200003", "郑审计").await;
    let d = driver().await;
    let c = browser(&d).await;
    let tour: [(&str, &[Stop]); 5] = [
        (
            CUSTODIAN,
            &[
                ("/", "我的待办", "home-custodian"),
                ("/devices", "设备", "devices"),
                ("/devices/DSJ0001", "DSJ0001", "device"),
                ("/usage", "使用台账", "usage"),
                ("/offloads", "采集", "offloads"),
                ("/retention", "保", "retention"),
                ("/register", "调阅登记簿", "register-empty"),
            ],
        ),
        (LEGAL, &[("/approvals", "审批", "approvals-inbox")]),
        (
            common::CLASSIFIER,
            &[
                ("/dashboard", "工作台", "dashboard-legal"),
                ("/subject?name=漯河市某某商贸有限公司", "当事人", "subject"),
                ("/policy", "", "policy"),
            ],
        ),
        (
            OFFICER,
            &[("/activities", "执法活动", "activities-officer")],
        ),
        (
            "200003",
            &[("/audit", "审计", "audit"), ("/users", "用户", "users")],
        ),
    ];
    c.goto(&format!("{}/login", env.base)).await.expect("login");
    assert_eq!(text_of(&c, "main h1").await, "执录 · 行政执法音像记录管理");
    shot(&c, "login").await;
    for (user, pages) in tour {
        login(&c, &env.base, user, "/").await;
        for (page, heading, name) in pages {
            c.goto(&format!("{}{page}", env.base)).await.expect("page");
            let h1 = text_of(&c, "main h1").await;
            assert!(h1.contains(heading), "{page}: heading {h1:?}");
            fits_the_window(&c, page).await;
            shot(&c, name).await;
        }
        c.goto(&format!("{}/", env.base)).await.expect("home");
        logout(&c).await;
    }
    // The access request's printable form, as its first approver prints it.
    login(&c, &env.base, LEGAL, &format!("/approvals/{request}/form")).await;
    let form = text_of(&c, "main").await;
    assert!(
        form.contains("调阅审批表") && form.contains("案件审理需要"),
        "{form}"
    );
    assert!(
        form.contains("法制办公室意见") && form.contains("主管领导意见"),
        "{form}"
    );
    shot(&c, "form-access").await;
    c.goto(&format!("{}/activities/{id}", env.base))
        .await
        .expect("refused");
    assert!(
        text_of(&c, "body").await.contains("（403）")
            || text_of(&c, "body").await.contains("（404）")
    );
    c.close().await.expect("close");
}

/// R27's journey: a supervisor draws a sample on the page, reviews the sampled activity there,
/// and the officer's own assessment page shows the new score.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r27_browser_supervisor_draws_reviews_and_assessment_changes() {
    if !browser_present() {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let env = common::env().await;
    let activity = inspection(&env, "抽查对象甲").await;
    common::person(env.app(), "200001", "督察员", "督察室", &["supervisor"]).await;
    let d = driver().await;
    let c = browser(&d).await;

    // Before: the officer has no assessment line.
    login(&c, &env.base, OFFICER, "/assessment?period=2026-11").await;
    text_of(&c, "#no-officers").await;
    logout(&c).await;

    login(&c, &env.base, "200001", "/samples").await;
    let period = c
        .find(Locator::Css("#draw-form input[name=period]"))
        .await
        .expect("period");
    period.clear().await.expect("clear");
    period.send_keys("2026-11").await.expect("type period");
    c.find(Locator::Css("#draw-form input[name=seed]"))
        .await
        .expect("seed")
        .send_keys("浏览器抽查-1")
        .await
        .expect("type seed");
    shot(&c, "samples").await;
    c.find(Locator::Css("#draw-form button"))
        .await
        .expect("draw")
        .click()
        .await
        .expect("click draw");
    until(
        &c,
        "location.pathname === '/samples/CC00001'",
        "the drawn sample's page",
    )
    .await;
    let seed = text_of(&c, "#sample-seed").await;
    assert_eq!(seed, "浏览器抽查-1");
    let entry = format!("#entry-{activity}");
    c.find(Locator::Css(&format!("{entry} details.review summary")))
        .await
        .expect("review summary")
        .click()
        .await
        .expect("open review");
    c.find(Locator::Css(&format!(
        "{entry} select[name='item.uninterrupted']"
    )))
    .await
    .expect("uninterrupted")
    .select_by_value("fail")
    .await
    .expect("select fail");
    c.find(Locator::Css(&format!("{entry} textarea[name=comment]")))
        .await
        .expect("comment")
        .send_keys("09:30 至 09:40 之间记录中断")
        .await
        .expect("type comment");
    c.find(Locator::Css(&format!("{entry} form button")))
        .await
        .expect("submit review")
        .click()
        .await
        .expect("click review");
    until(
        &c,
        &format!("(document.querySelector('{entry} .review-status')||{{}}).textContent.includes('已评查')"),
        "the review on the sample page",
    )
    .await;
    shot(&c, "sample").await;
    logout(&c).await;

    // After: luohe-xm weighs 是否连续不间断 0.2, so one failed item of five groups leaves 80.
    login(&c, &env.base, OFFICER, "/assessment?period=2026-11").await;
    let score = text_of(&c, &format!("#officer-{OFFICER} .score")).await;
    assert_eq!(score, "80.0");
    shot(&c, "assessment").await;
    c.close().await.expect("close");
}

/// X4: the supervising body's installation lists two agencies in its `zhilu.toml`
/// (`[[oversee]]`); its 上级监督机关 account follows the menu to 「跨机关监督」 and sees both
/// agencies' tables — the env's two recordings in one, none in the other — under the CSP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x4_supervisor_sees_both_agencies_on_the_oversee_page() {
    if !browser_present() {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    const OVERSIGHT: &str = "900001";
    let a = common::env().await;
    let b = zhilu_app::testing::TestApp::with_profile("jinpu-wj").await;
    let sup = zhilu_app::testing::TestApp::with_profile("luohe-xm").await;
    for app in [a.app(), b.app(), sup.app()] {
        common::person(
            app,
            OVERSIGHT,
            "监督员",
            "市局监督处",
            &["superior_oversight"],
        )
        .await;
    }
    let config = sup.data_dir().config();
    let mut text = std::fs::read_to_string(&config).expect("zhilu.toml");
    for (name, dir) in [("漯河", a.t.data()), ("金普", b.data())] {
        text.push_str(&format!(
            "\n[[oversee]]\nname = {name:?}\ndir = {:?}\n",
            dir.display().to_string()
        ));
    }
    std::fs::write(&config, text).expect("write zhilu.toml");
    let home = zhilu_app::App::open(
        sup.data_dir(),
        std::sync::Arc::new(zhilu_app::ManualClock::new(
            zhilu_app::testing::default_now(),
        )),
        Some(sup.db_url().to_string()),
    )
    .await
    .expect("reopen with [[oversee]]");
    let running = zhilu_web::start(
        std::sync::Arc::new(home),
        zhilu_web::ServeOptions {
            bind: "127.0.0.1:0".parse().expect("addr"),
            tls: None,
        },
    )
    .await
    .expect("start");
    let base = format!("http://{}", running.addr);

    let d = driver().await;
    let c = browser(&d).await;
    login(&c, &base, OVERSIGHT, "/").await;
    c.find(Locator::LinkText("跨机关监督"))
        .await
        .expect("the menu offers 跨机关监督")
        .click()
        .await
        .expect("click");
    until(&c, "location.pathname === '/oversee'", "the oversee page").await;
    let first = text_of(&c, "#agency-1").await;
    let second = text_of(&c, "#agency-2").await;
    assert!(first.contains("漯河"), "{first}");
    assert!(second.contains("金普"), "{second}");
    let figure = |n: u8, k: &str| format!("#agency-{n} td[data-k='{k}']");
    assert_eq!(text_of(&c, &figure(1, "recordings")).await, "2");
    assert_eq!(text_of(&c, &figure(2, "recordings")).await, "0");
    assert_eq!(text_of(&c, &figure(1, "profile")).await, "luohe-xm");
    assert_eq!(text_of(&c, &figure(2, "profile")).await, "jinpu-wj");
    for n in [1, 2] {
        assert_eq!(text_of(&c, &figure(n, "head")).await, "与签名检查点一致");
    }
    fits_the_window(&c, "/oversee").await;
    no_dialog(&c).await;
    shot(&c, "oversee").await;
    c.close().await.expect("close");
}
