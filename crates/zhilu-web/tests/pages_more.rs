//! The registry, compliance and administration pages: each answers in Chinese to a role that may
//! see it, and a role that may not gets a Chinese refusal (403) decided by the use case.

mod common;

use common::{CHIEF, CUSTODIAN, OFFICER, env};
use zhilu_app::Actor;

/// 安全审计员 (三员分立: an administrator role only the setup actor gives).
const AUDITOR: &str = "200003";

async fn auditor(env: &common::Env) -> common::Client {
    common::audit_admin(env.app(), AUDITOR, "郑审计").await;
    env.login(AUDITOR).await
}

fn refused(r: &common::Resp, what: &str) {
    assert_eq!(r.status, 403, "{what}: {}", r.text());
    assert!(r.text().contains("无权"), "{what}: {}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r1_r3_device_ledger_page_and_xlsx() {
    let env = env().await;
    zhilu_app::registry::checkout(
        env.app(),
        &Actor::test("setup"),
        zhilu_app::registry::NewCheckout {
            device: "DSJ0001".into(),
            officer: OFFICER.into(),
            battery_pct: Some(95),
            free_gb: Some(28),
            clock_ok: true,
        },
    )
    .await
    .expect("checkout");
    let mut c = env.login(CUSTODIAN).await;

    let r = c.get("/devices").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("<h1>设备台账"), "{t}");
    assert!(t.contains("href=\"/devices/DSJ0001\""), "{t}");
    assert!(t.contains("周明（000123）"), "the holder now: {t}");
    assert!(t.contains("href=\"/usage\""), "{t}");

    let r = c.get("/devices/DSJ0001").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("设备 DSJ0001"), "{t}");
    assert!(t.contains("生命周期"), "{t}");
    assert!(t.contains("登记"), "the registration event: {t}");
    assert!(t.contains("95%"), "the checkout: {t}");

    let r = c.get("/usage").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("<h1>使用台账"), "{t}");
    assert!(
        t.contains("95%") && t.contains("28 GB") && t.contains("已核对"),
        "{t}"
    );
    assert!(t.contains("signatures printonly"), "{t}");
    assert!(!t.contains("民警"), "{t}");

    let r = c.get("/usage.xlsx").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .is_some_and(|v| v.contains("spreadsheetml")),
        "{:?}",
        r.headers
    );
    assert!(r.body.starts_with(b"PK"), "an xlsx is a zip");

    let r = c.get("/devices/DSJ9999").await;
    assert_eq!(r.status, 404, "{}", r.text());

    // 主管领导 reads records, not devices.
    let mut chief = env.login(CHIEF).await;
    refused(&chief.get("/devices").await, "/devices");
    refused(&chief.get("/usage").await, "/usage");
    refused(&chief.get("/usage.xlsx").await, "/usage.xlsx");
    refused(&chief.get("/devices/DSJ0001").await, "/devices/DSJ0001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_r17_offload_sessions_page() {
    let env = env().await;
    let mut c = env.login(CUSTODIAN).await;
    let r = c.get("/offloads").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("<h1>采集记录"), "{t}");
    assert!(t.contains("CJZ-01") && t.contains("DSJ0001"), "{t}");
    assert!(t.contains("已完成") && t.contains("未清除"), "{t}");
    let at = t.find("href=\"/offloads/").expect("a session link") + "href=\"".len();
    let link = &t[at..at + t[at..].find('"').expect("end")];
    let r = c.get(link).await;
    assert_eq!(r.status, 200, "{link}: {}", r.text());
    let t = r.text();
    assert!(t.contains("采集批次"), "{t}");
    assert!(t.contains(common::MP4), "the file stored: {t}");

    let mut chief = env.login(CHIEF).await;
    refused(&chief.get("/offloads").await, "/offloads");
}

/// A second offload of the camera finds the MP4 again under another name, an empty file and a
/// note: the session's page lists each file with what became of it and why, read back from the
/// catalog and the ledger (not from the report printed at the station).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_every_file_of_an_offload_is_listed_with_its_result_and_reason() {
    let env = env().await;
    let dir = env.t.device_dir("DSJ0001-again");
    std::fs::write(
        dir.join("DSJ0001_000123_20261120093000_0001_copy.MP4"),
        &env.bytes,
    )
    .expect("copy");
    std::fs::write(dir.join("EMPTY.MP4"), b"").expect("empty");
    std::fs::write(dir.join("readme.txt"), "设备说明").expect("note");
    let report = common::offload_from(env.app(), dir, "CJZ-02").await;
    assert_eq!((report.imported, report.duplicates), (0, 1));
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    let mut c = env.login(CUSTODIAN).await;
    let r = c.get(&format!("/offloads/{}", report.session)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    let table = &t[t
        .find("id=\"offload-results\"")
        .expect("the per-file table")..];
    for s in &report.skipped {
        assert!(
            table.contains(&s.file) && table.contains(&s.reason),
            "{s:?}: {table}"
        );
    }
    assert!(
        table.contains("DSJ0001_000123_20261120093000_0001_copy.MP4"),
        "{table}"
    );
    assert!(
        table.contains("重复（已存在）") && table.contains(&env.sha[..12]),
        "{table}"
    );
    assert_eq!(table.matches("<td>未导入</td>").count(), 2, "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r19_subject_page() {
    let env = env().await;
    let mut c = env.login(CUSTODIAN).await;
    let r = c.get("/subject").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("<h1>当事人"), "{t}");
    assert!(
        t.contains("name=\"code\"") && t.contains("subject-hint"),
        "{t}"
    );

    let r = c.get("/subject?name=%E6%9F%90%E5%95%86%E8%A1%8C").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("no-activities"), "{t}");

    // A code whose check digit is wrong is refused in Chinese.
    let r = c.get("/subject?code=91350100M000100Y40").await;
    assert_eq!(r.status, 400, "{}", r.text());

    let mut a = auditor(&env).await;
    refused(&a.get("/subject?name=x").await, "/subject");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r20_r21_retention_page() {
    let env = env().await;
    let mut c = env.login(CUSTODIAN).await;
    let r = c.get("/retention").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("<h1>保留与保全"), "{t}");
    assert!(t.contains("id=\"retention\""), "two recordings listed: {t}");
    assert!(t.contains(&env.sha[..12]), "{t}");
    assert!(t.contains("保存中"), "{t}");

    let mut o = env.login(OFFICER).await;
    refused(&o.get("/retention").await, "/retention");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_audit_page_verifies_on_request() {
    let env = env().await;
    let mut a = auditor(&env).await;
    let r = a.get("/audit").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("<h1>审计"), "{t}");
    assert!(t.contains("ledger-size") && t.contains("run-verify"), "{t}");
    assert!(!t.contains("verify-ok"), "not verified unless asked: {t}");
    assert!(t.contains("href=\"/audit\""), "in the auditor's menu: {t}");
    assert!(!t.contains("href=\"/devices\""), "{t}");

    let r = a.get("/audit?verify=1").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("verify-ok"), "{t}");

    // The entries about one recording: its storing, and nothing about another subject.
    let subject = format!("recording:{}", env.sha);
    let r = a.get(&format!("/audit?subject={subject}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("id=\"entries\""), "{t}");
    let rows = t.matches("<tr><td class=\"num\">").count();
    assert!(rows >= 1, "{t}");
    assert_eq!(
        t.matches(&format!("<code>{subject}</code>")).count(),
        rows,
        "every row is about the subject asked for"
    );
    let r = a.get("/audit?subject=recording:0000").await;
    assert!(r.text().contains("no-entries"), "{}", r.text());

    let mut c = env.login(CUSTODIAN).await;
    refused(&c.get("/audit").await, "/audit");
    refused(&c.get("/audit?verify=1").await, "/audit?verify=1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_policy_pages() {
    let env = env().await;
    let mut a = auditor(&env).await;
    let r = a.get("/users").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("<h1>用户与角色"), "{t}");
    assert!(
        t.contains("周明") && t.contains("保管人") && t.contains("安全审计员"),
        "{t}"
    );

    let mut c = env.login(CUSTODIAN).await;
    let r = c.get("/devices").await;
    assert!(r.text().contains("href=\"/devices\""), "{}", r.text());
    assert!(!r.text().contains("href=\"/users\""), "{}", r.text());
    assert!(!r.text().contains("href=\"/audit\""), "{}", r.text());
    refused(&c.get("/users").await, "/users");

    let mut o = env.login(OFFICER).await;
    let r = o.get("/policy").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.text();
    assert!(t.contains("<h1>策略"), "{t}");
    assert!(t.contains("luohe-xm"), "{t}");
    assert!(t.contains("id=\"citations\"") && t.contains("§"), "{t}");
}
