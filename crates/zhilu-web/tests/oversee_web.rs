//! 跨机关监督 (issue 15, X4) as a web page: the supervising body's installation lists agencies in
//! its `zhilu.toml` (`[[oversee]]`); its 上级监督机关 account sees, at `/oversee`, each agency's
//! figures exactly as `supervision::oversee::summary` gives them to the account of the same id
//! in that agency. Someone without the overview's reach, or on an installation listing no
//! agency, gets 403 in Chinese; an agency that refuses the account or does not open gets a row
//! saying why, the others their figures; no agency is written to.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::schema::check;
use common::{OFFICER, person};
use zhilu_app::supervision::oversee::{self, AgencySummary};
use zhilu_app::testing::{TestApp, default_now};
use zhilu_app::{Actor, App, ManualClock, identity};
use zhilu_web::{ServeOptions, start};

/// The supervising body's account, the same id in every agency.
const OVERSIGHT: &str = "900001";

/// Agency 金普 (jinpu-wj) with its 执法人员, camera DSJ0001 and the two fixture recordings
/// offloaded; the supervising account there with `role`.
async fn jinpu(role: &str) -> TestApp {
    let t = TestApp::with_profile("jinpu-wj").await;
    person(t.app(), OFFICER, "周明", "一大队", &["officer"]).await;
    person(
        t.app(),
        OVERSIGHT,
        "市局监督处",
        "市综合行政执法局",
        &[role],
    )
    .await;
    zhilu_app::registry::register_device(
        t.app(),
        &Actor::test("setup"),
        zhilu_app::testing::camera("DSJ0001"),
    )
    .await
    .expect("device");
    t.offload_fixtures().await;
    t
}

/// Agency 漯河 (luohe-xm), empty but for the supervising account with `role`.
async fn luohe(role: &str) -> TestApp {
    let t = TestApp::with_profile("luohe-xm").await;
    person(
        t.app(),
        OVERSIGHT,
        "市局监督处",
        "市综合行政执法局",
        &[role],
    )
    .await;
    t
}

/// The supervising installation: its 上级监督机关 account and an ordinary 执法人员, its
/// `zhilu.toml` listing `agencies`, served (reopened so the server reads that file).
struct Supervisor {
    t: TestApp,
    base: String,
}

async fn supervisor(agencies: &[(&str, &Path)]) -> Supervisor {
    let t = TestApp::with_profile("luohe-xm").await;
    person(
        t.app(),
        OVERSIGHT,
        "监督员",
        "市局监督处",
        &["superior_oversight"],
    )
    .await;
    person(t.app(), OFFICER, "周明", "一大队", &["officer"]).await;
    let config = t.data_dir().config();
    let mut text = std::fs::read_to_string(&config).expect("zhilu.toml");
    for (name, dir) in agencies {
        text.push_str(&format!(
            "\n[[oversee]]\nname = {name:?}\ndir = {:?}\n",
            dir.display().to_string()
        ));
    }
    std::fs::write(&config, text).expect("write zhilu.toml");
    let base = serve(&t).await;
    Supervisor { t, base }
}

/// A server over `t`'s data directory as its `zhilu.toml` now reads.
async fn serve(t: &TestApp) -> String {
    let app = App::open(
        t.data_dir(),
        Arc::new(ManualClock::new(default_now())),
        Some(t.db_url().to_string()),
    )
    .await
    .expect("reopen with [[oversee]]");
    let running = start(
        Arc::new(app),
        ServeOptions {
            bind: "127.0.0.1:0".parse().expect("addr"),
            tls: None,
        },
    )
    .await
    .expect("start");
    format!("http://{}", running.addr)
}

async fn login(base: &str, user: &str) -> common::Client {
    let mut c = common::Client::new(base);
    let r = c.login(user, common::PW).await;
    assert_eq!(r.status, 200, "login {user}: {}", r.text());
    c
}

/// The agency's audit ledger size.
async fn ledger_size(t: &TestApp) -> u64 {
    t.app().catalog().ledger_head().await.expect("head").0
}

/// What the agency itself answers its supervising account.
async fn expected(t: &TestApp, period: Option<&str>) -> AgencySummary {
    let me = identity::cli_actor(t.app(), OVERSIGHT, "test")
        .await
        .expect("the supervising account");
    let period = period.map(|p| oversee::month(p).expect("month"));
    oversee::summary(t.app(), &me, period)
        .await
        .expect("summary")
}

/// The `n`-th agency's section (from 1) of the page.
fn section(page: &str, n: usize) -> &str {
    let start = page
        .find(&format!("id=\"agency-{n}\""))
        .unwrap_or_else(|| panic!("no agency {n} in {page}"));
    let rest = &page[start..];
    &rest[..rest.find("</section>").expect("section end")]
}

/// The figure `key` of a section (`data-k`), as text.
fn figure(section: &str, key: &str) -> String {
    let at = format!("data-k=\"{key}\">");
    let start = section
        .find(&at)
        .unwrap_or_else(|| panic!("no {key} in {section}"))
        + at.len();
    let rest = &section[start..];
    let cell = &rest[..rest.find("</td>").expect("cell end")];
    cell.replace("<code>", "").replace("</code>", "")
}

/// Every figure of the page's section equals the agency's own summary.
fn assert_figures(section: &str, m: &AgencySummary) {
    let want = [
        ("profile", m.profile.clone()),
        ("recordings", m.recordings.to_string()),
        ("activities", m.activities.to_string()),
        ("findings", m.findings.to_string()),
        ("overdue_offloads", m.overdue_offloads.to_string()),
        ("open_cases_total", m.open_cases_total.to_string()),
        ("open_violation", m.open_cases[0].count.to_string()),
        ("open_warning", m.open_cases[1].count.to_string()),
        ("open_info", m.open_cases[2].count.to_string()),
        ("devices_out", m.devices_out.to_string()),
        ("ledger_size", m.ledger_size.to_string()),
        ("ledger_root", m.ledger_root.clone()),
    ];
    for (key, value) in want {
        assert_eq!(figure(section, key), value, "{key} in {section}");
    }
    assert_eq!(
        m.open_cases.iter().map(|c| c.severity).collect::<Vec<_>>(),
        ["violation", "warning", "info"]
    );
    assert!(m.head.ok, "{m:?}");
    assert_eq!(figure(section, "head"), "与签名检查点一致");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x4_oversee_page_shows_each_agencys_own_figures_and_writes_nothing() {
    let (a, b) = (
        jinpu("superior_oversight").await,
        luohe("superior_oversight").await,
    );
    let (pa, pb) = (a.data(), b.data());
    let sup = supervisor(&[("金普", &pa), ("漯河", &pb)]).await;
    let (size_a, size_b) = (ledger_size(&a).await, ledger_size(&b).await);

    let mut c = login(&sup.base, OVERSIGHT).await;
    let r = c.get("/oversee").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert!(page.contains("href=\"/oversee\""), "the menu offers it");
    let (sa, sb) = (section(&page, 1), section(&page, 2));
    assert!(sa.contains("data-agency=\"金普\""), "{sa}");
    assert!(sb.contains("data-agency=\"漯河\""), "{sb}");
    let (ma, mb) = (expected(&a, None).await, expected(&b, None).await);
    assert_eq!(ma.recordings, 2, "the fixtures are 金普's: {ma:?}");
    assert_eq!(mb.recordings, 0, "{mb:?}");
    assert_ne!(ma.ledger_root, mb.ledger_root);
    assert_figures(sa, &ma);
    assert_figures(sb, &mb);
    assert_eq!(figure(sa, "period"), "全部记录");

    // A month, in Beijing time: November holds both recordings, October none.
    let page = c.get("/oversee?period=2026-11").await.text();
    let sa = section(&page, 1);
    let m = expected(&a, Some("2026-11")).await;
    assert_eq!(m.recordings, 2);
    assert_figures(sa, &m);
    assert_eq!(
        figure(sa, "period"),
        "2026-11-01 00:00:00 至 2026-12-01 00:00:00",
        "Beijing time"
    );
    let page = c.get("/oversee?period=2026-10").await.text();
    assert_eq!(figure(section(&page, 1), "recordings"), "0");
    let r = c.get("/oversee?period=2026-13").await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("统计月份须写成"), "{}", r.text());

    // Looking wrote nothing in either agency.
    assert_eq!(ledger_size(&a).await, size_a, "oversee wrote to 金普");
    assert_eq!(ledger_size(&b).await, size_b, "oversee wrote to 漯河");
    drop(sup.t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x4_oversee_page_is_403_for_others_and_where_no_agency_is_listed() {
    let a = jinpu("superior_oversight").await;
    let pa = a.data();
    let sup = supervisor(&[("金普", &pa)]).await;

    // An ordinary 执法人员 of the supervising installation: no menu entry, and 403 in Chinese
    // however the page is asked for.
    let mut officer = login(&sup.base, OFFICER).await;
    let home = officer.get("/").await;
    assert_eq!(home.status, 200);
    assert!(!home.text().contains("/oversee"), "{}", home.text());
    for path in ["/oversee", "/oversee?period=2026-11"] {
        let r = officer.get(path).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text());
        assert!(r.text().contains("无权查看跨机关监督"), "{}", r.text());
        assert!(
            !r.text().contains("金普"),
            "nothing of the agency: {}",
            r.text()
        );
    }
    // Not logged in: to the login page.
    let r = common::Client::new(&sup.base).get("/oversee").await;
    assert_eq!(r.status, 303, "{}", r.text());

    // 金普's own server lists no agency: even its 上级监督机关 account is refused there, and
    // offered no link.
    let own = serve(&a).await;
    let mut c = login(&own, OVERSIGHT).await;
    assert!(!c.get("/").await.text().contains("/oversee"));
    let r = c.get("/oversee").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("未列出可监督的机关"), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x4_an_agency_refusing_or_not_opening_gets_its_row_the_others_their_figures() {
    let a = jinpu("superior_oversight").await;
    // In 漯河 the same id is an ordinary 执法人员: their own records only.
    let b = luohe("officer").await;
    let scratch = tempfile::tempdir().expect("tmp");
    let broken = scratch.path().join("没有这个目录");
    let (pa, pb) = (a.data(), b.data());
    let sup = supervisor(&[("漯河", &pb), ("损坏", &broken), ("金普", &pa)]).await;
    let size_b = ledger_size(&b).await;

    let mut c = login(&sup.base, OVERSIGHT).await;
    let r = c.get("/oversee").await;
    assert_eq!(
        r.status,
        200,
        "one agency refusing is no failure: {}",
        r.text()
    );
    let page = r.text();
    let refused = section(&page, 1);
    assert!(refused.contains("data-agency=\"漯河\""), "{refused}");
    assert!(
        refused.contains("该机关拒绝") && refused.contains("无权"),
        "{refused}"
    );
    assert!(
        !refused.contains("data-k="),
        "no figures of 漯河: {refused}"
    );
    let unopened = section(&page, 2);
    assert!(unopened.contains("无法打开该机关的数据目录"), "{unopened}");
    assert!(!unopened.contains("data-k="), "{unopened}");
    assert_figures(section(&page, 3), &expected(&a, None).await);
    assert_eq!(ledger_size(&b).await, size_b);

    // Disabled in 金普: 金普 refuses too.
    identity::set_disabled(a.app(), &Actor::test("setup"), OVERSIGHT, true)
        .await
        .expect("disable");
    let page = c.get("/oversee").await.text();
    let s = section(&page, 3);
    assert!(s.contains("该机关拒绝") && s.contains("已停用"), "{s}");
    assert!(!s.contains("data-k="), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x4_oversee_api_answers_each_agencys_own_figures_and_refuses_as_the_page_does() {
    let a = jinpu("superior_oversight").await;
    let scratch = tempfile::tempdir().expect("tmp");
    let broken = scratch.path().join("没有这个目录");
    let pa = a.data();
    let sup = supervisor(&[("金普", &pa), ("损坏", &broken)]).await;
    let size_a = ledger_size(&a).await;

    // Every answer below is also checked against the server's own OpenAPI document.
    let doc = common::Client::new(&sup.base)
        .get("/api/v1/openapi.json")
        .await
        .json();
    let mut errs = Vec::new();
    let mut check = |r: &common::Resp| check(&doc, "get", "/api/v1/oversee", r, &mut errs);

    // The supervising account: each agency's figures, exactly the agency's own summary.
    let mut c = login(&sup.base, OVERSIGHT).await;
    for period in [None, Some("2026-11"), Some("2026-10")] {
        let path = match period {
            Some(p) => format!("/api/v1/oversee?period={p}"),
            None => "/api/v1/oversee".to_string(),
        };
        let r = c.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        check(&r);
        let rows = r.json();
        let rows = rows.as_array().expect("an array");
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0]["agency"], "金普");
        assert_eq!(
            rows[0]["summary"],
            serde_json::to_value(expected(&a, period).await).expect("json"),
            "{path}"
        );
        assert!(rows[0].get("problem").is_none(), "{:?}", rows[0]);
        assert_eq!(rows[1]["agency"], "损坏");
        assert!(rows[1].get("summary").is_none(), "{:?}", rows[1]);
        assert!(
            rows[1]["problem"]
                .as_str()
                .is_some_and(|p| p.contains("无法打开该机关的数据目录")),
            "{:?}",
            rows[1]
        );
    }
    assert_eq!(
        c.get("/api/v1/oversee?period=2026-11").await.json()[0]["summary"]["recordings"],
        2
    );
    let r = c.get("/api/v1/oversee?period=2026-13").await;
    assert_eq!(r.status, 400, "{}", r.text());
    check(&r);
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("统计月份须写成")),
        "{}",
        r.text()
    );

    // An ordinary 执法人员: 403 in Chinese, nothing of the agency; not logged in: 401.
    let mut officer = login(&sup.base, OFFICER).await;
    let r = officer.get("/api/v1/oversee").await;
    assert_eq!(r.status, 403, "{}", r.text());
    check(&r);
    assert!(r.text().contains("跨机关监督"), "{}", r.text());
    assert!(!r.text().contains("金普"), "{}", r.text());
    let r = common::Client::new(&sup.base).get("/api/v1/oversee").await;
    assert_eq!(r.status, 401, "{}", r.text());
    check(&r);
    assert!(
        errs.is_empty(),
        "answers the document does not describe: {errs:#?}"
    );
    assert_eq!(ledger_size(&a).await, size_a, "oversee wrote to 金普");
}
