//! The benchmarks' bulk loader (`zhilu_store::testing`, issue 15): on PostgreSQL, `COPY … FROM
//! STDIN` must leave exactly the rows the generated `INSERT`s leave — every column of every
//! table, text that `COPY` reads specially included — and a failing batch must write nothing.
//! Runs when `ZHILU_TEST_POSTGRES_URL` names a server (CI always provides one).

use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::Connection;
use zhilu_ledger::HashAlg;
use zhilu_model::*;
use zhilu_store::testing::{
    bulk_copy_without_ledger, bulk_insert_without_ledger, bulk_load_without_ledger,
    fresh_postgres_database, postgres_admin_url,
};
use zhilu_store::{Catalog, Row};

/// Text `COPY`'s text format gives a meaning to (tab, newline, carriage return, backslash, `\N`,
/// the end marker `\.`), the empty string, quotes and commas (CSV's specials), and Chinese.
const NASTY: &[&str] = &[
    "市场主体\t甲",
    "第一行\n第二行",
    "回车\r换行\r\n",
    "C:\\DCIM\\100MEDIA",
    "\\N",
    "\\.",
    "",
    "引号\"与'单引号',逗号",
    "末尾反斜杠\\",
    "  前后空格  ",
];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("time")
}

fn nasty(i: u64) -> String {
    NASTY[(i as usize) % NASTY.len()].to_string()
}

fn registry() -> Vec<Row> {
    let t0 = t0();
    let mut rows: Vec<Row> = vec![
        Station {
            id: StationId::parse("CJZ-BULK").unwrap(),
            first_seen: t0,
        }
        .into(),
    ];
    for u in 0..3 {
        rows.push(
            Unit {
                id: format!("U{u}"),
                name: nasty(u),
                created_at: t0,
            }
            .into(),
        );
    }
    for d in 0..4u64 {
        rows.push(
            Device {
                serial: DeviceSerial::parse(&format!("D{d:04}")).unwrap(),
                kind: DeviceKind::BodyCamera,
                model: nasty(d + 3),
                asset_no: (d % 2 == 0).then(|| nasty(d)),
                unit: format!("U{}", d % 3),
                keeper: "装备管理员".into(),
                status: DeviceStatus::InService,
                registered_at: t0,
            }
            .into(),
        );
    }
    for o in 0..6u64 {
        rows.push(
            Officer {
                id: OfficerId::parse(&format!("{o:06}")).unwrap(),
                name: nasty(o + 5),
                unit: format!("U{}", o % 3),
                role: "officer".into(),
                created_at: t0,
            }
            .into(),
        );
    }
    rows
}

/// `n` activities of a small year, in an order the `INSERT`s accept (parents first), with every
/// free-text column cycling through [`NASTY`] and every optional one sometimes absent.
fn activities(n: u64) -> Vec<Row> {
    let t0 = t0();
    let mut out: Vec<Row> = Vec::new();
    for i in 0..n {
        let start = t0 + Duration::hours(i as i64 * 3);
        let end = start + Duration::minutes(60);
        let offloaded = end + Duration::hours(2);
        let device = DeviceSerial::parse(&format!("D{:04}", i % 4)).unwrap();
        let o1 = OfficerId::parse(&format!("{:06}", i % 6)).unwrap();
        let o2 = OfficerId::parse(&format!("{:06}", (i + 1) % 6)).unwrap();
        let session = SessionId::parse(&format!("S{i:07}")).unwrap();
        let act = ActivityId::parse(&format!("A{i:07}")).unwrap();
        out.push(
            Checkout {
                id: CheckoutId::parse(&format!("CO{i:07}")).unwrap(),
                device: device.clone(),
                officer: o1.clone(),
                out_at: start - Duration::hours(1),
                // Still out (one open checkout per device at most): activities 0 and 3, on two devices.
                returned_at: (i % 3 != 0 || i >= 4).then(|| offloaded + Duration::minutes(5)),
                battery_pct: (i % 2 == 0).then_some(90),
                free_gb: (i % 4 != 1).then_some(20),
                clock_ok: i % 5 != 0,
                recorded_summary: (i % 3 == 1).then(|| nasty(i)),
            }
            .into(),
        );
        out.push(
            Activity {
                id: act.clone(),
                kind: "routine_inspection".into(),
                subject_name: nasty(i),
                subject_code: (i % 2 == 0).then(|| nasty(i + 1)),
                subject_code_kind: None,
                place: nasty(i + 2),
                officers: vec![o1.clone(), o2],
                start,
                end,
                case_no: (i % 3 == 0).then(|| nasty(i + 4)),
                flags: if i % 4 == 0 {
                    vec!["dispute".into(), nasty(i)]
                } else {
                    vec![]
                },
                created_at: start,
                created_by: nasty(i + 6),
            }
            .into(),
        );
        out.push(
            OffloadSession {
                id: session.clone(),
                device: device.clone(),
                officer: o1.clone(),
                station: StationId::parse("CJZ-BULK").unwrap(),
                source: nasty(i + 7),
                started_at: offloaded,
                finished_at: (i % 5 != 4).then_some(offloaded),
                status: SessionStatus::Finished,
                device_clock_offset_ms: Some(i as i64 * 1_000 - 30_000),
                device_cleared: i % 2 == 1,
                files_seen: 3,
                imported: 3,
                duplicates: 0,
                damaged: 0,
                skipped: 0,
                bytes: u64::from(u32::MAX) * (i + 1),
            }
            .into(),
        );
        let approval = |id: &RecordId, kind: ApprovalKind| -> Row {
            Approval {
                id: id.clone(),
                kind,
                chain: vec!["unit_head".into()],
                steps: vec![],
                status: ApprovalStatus::Approved,
                updated_at: offloaded,
            }
            .into()
        };
        if i % 4 == 1 {
            let id = RecordId::parse(&format!("N{i:07}")).unwrap();
            out.push(
                NoRecord {
                    id: id.clone(),
                    activity: act.clone(),
                    reason: "objective".into(),
                    basis: nasty(i + 1),
                    created_at: end,
                    created_by: o1.to_string(),
                }
                .into(),
            );
            out.push(approval(&id, ApprovalKind::NoRecord));
        }
        if i % 4 == 2 {
            let id = RecordId::parse(&format!("E{i:07}")).unwrap();
            out.push(
                Extension {
                    id: id.clone(),
                    activity: act.clone(),
                    reason: nasty(i + 3),
                    created_at: end,
                    created_by: o1.to_string(),
                }
                .into(),
            );
            out.push(approval(&id, ApprovalKind::Extension));
        }
        for k in 0..3u64 {
            let cs = start + Duration::minutes(k as i64 * 20);
            let sha = Sha256::parse(&format!("{i:032x}{k:032x}")).unwrap();
            let sm3 = Sm3::parse(&format!("{k:032x}{i:032x}")).unwrap();
            out.push(
                Recording {
                    sha256: sha.clone(),
                    sm3,
                    size: (1 << 40) + i,
                    media_kind: MediaKind::Mp4,
                    capture_start: (k != 2 || i % 2 == 0).then_some(cs),
                    capture_end: (k != 2).then(|| cs + Duration::minutes(20)),
                    duration_ms: (k != 1).then_some(1_200_000),
                    time_source: TimeSource::Metadata,
                    device: device.clone(),
                    officer: o1.clone(),
                    name_device_id: (k == 0).then(|| device.to_string()),
                    name_officer_id: None,
                    sequence: Some(k as u32 + 1),
                    important: k == 1,
                    original_name: format!("{}_{k}.MP4", nasty(i + k)),
                    original_path: format!("DCIM\\{}\\{k}.MP4", nasty(i + k + 1)),
                    offloaded_at: offloaded,
                    station: StationId::parse("CJZ-BULK").unwrap(),
                    session: session.clone(),
                    damaged: k == 2 && i % 3 == 0,
                    damage_reason: (k == 2 && i % 3 == 0).then(|| nasty(i)),
                }
                .into(),
            );
            if k == 1 && i % 4 == 3 {
                let id = RecordId::parse(&format!("I{i:07}")).unwrap();
                out.push(
                    Interruption {
                        id: id.clone(),
                        activity: act.clone(),
                        after: sha.clone(),
                        reason: "device_fault".into(),
                        voice_stated: i % 8 == 3,
                        detail: nasty(i + 5),
                        created_at: end,
                        created_by: o1.to_string(),
                    }
                    .into(),
                );
                out.push(approval(&id, ApprovalKind::Interruption));
            }
            if k == 0 && i % 5 == 0 {
                out.push(
                    Hold {
                        id: HoldId::parse(&format!("H{i:07}")).unwrap(),
                        sha256: sha.clone(),
                        reason: nasty(i + 8),
                        placed_at: offloaded,
                        placed_by: "archivist".into(),
                        released_at: (i % 10 == 5).then_some(offloaded),
                    }
                    .into(),
                );
            }
            out.push(
                Link {
                    sha256: sha,
                    activity: act.clone(),
                    method: LinkMethod::Auto,
                    linked_at: offloaded,
                    actor: nasty(i + k),
                }
                .into(),
            );
        }
    }
    out
}

/// Every row of every table of the catalog's schema, as JSON text, sorted: the whole database
/// content to compare.
async fn dump(url: &str) -> Vec<(String, Vec<String>)> {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
         AND tablename <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    let mut out = Vec::new();
    for t in tables {
        // Table names come from the catalog's own schema.
        let sql = format!("SELECT row_to_json(t)::text FROM {t} t ORDER BY 1");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .expect("rows");
        out.push((t, rows));
    }
    conn.close().await.expect("close");
    out
}

async fn drop_database(admin: &str, url: &str) {
    let name = url.rsplit('/').next().expect("database name");
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("admin");
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("drop test database");
}

/// Issue 15 (PostgreSQL year): a small year loaded by `INSERT`s into one database and by `COPY`
/// into another — the `COPY` input in reverse order, so its tables must be put parents first —
/// leaves the same rows in every table; the text `COPY` reads specially survives.
#[tokio::test(flavor = "multi_thread")]
async fn x4_bulk_copy_loads_the_same_rows_as_inserts() {
    let Some(admin) = postgres_admin_url() else {
        eprintln!("ZHILU_TEST_POSTGRES_URL is not set: the COPY path is PostgreSQL's only");
        return;
    };
    let (a, b) = (
        fresh_postgres_database(&admin).await,
        fresh_postgres_database(&admin).await,
    );
    let inserted = Catalog::open(&a, HashAlg::Sha256).await.expect("open a");
    let copied = Catalog::open(&b, HashAlg::Sha256).await.expect("open b");
    let year = activities(40);
    bulk_insert_without_ledger(&inserted, registry())
        .await
        .expect("insert registry");
    bulk_insert_without_ledger(&inserted, year.clone())
        .await
        .expect("insert year");
    bulk_copy_without_ledger(&copied, registry())
        .await
        .expect("copy registry");
    bulk_copy_without_ledger(&copied, year.iter().rev().cloned().collect())
        .await
        .expect("copy year");

    // Read back through the catalog: the hostile text came through COPY intact.
    for i in 0..NASTY.len() as u64 {
        let id = ActivityId::parse(&format!("A{i:07}")).unwrap();
        let want = year.iter().find_map(|r| match r {
            Row::Activity(a) if a.id == id => Some(a.clone()),
            _ => None,
        });
        assert_eq!(copied.activity(&id).await.expect("read"), want);
    }
    inserted.close().await;
    copied.close().await;

    let (da, db) = (dump(&a).await, dump(&b).await);
    let count = |d: &[(String, Vec<String>)], t: &str| {
        d.iter()
            .find(|(n, _)| n == t)
            .map_or(0, |(_, rows)| rows.len())
    };
    assert_eq!(count(&da, "recordings"), 120);
    assert_eq!(count(&da, "activity_links"), 120);
    assert_eq!(count(&da, "activities"), 40);
    assert_eq!(count(&da, "officers"), 6);
    for ((ta, ra), (tb, rb)) in da.iter().zip(&db) {
        assert_eq!(ta, tb);
        assert_eq!(ra, rb, "table {ta} differs between INSERT and COPY");
    }
    assert_eq!(da.len(), db.len());
    drop_database(&admin, &a).await;
    drop_database(&admin, &b).await;
}

/// Issue 15 (PostgreSQL year): a `COPY` batch with one bad row (a recording already loaded)
/// fails as a whole and writes none of its rows; `bulk_load_without_ledger` takes the COPY path
/// on PostgreSQL.
#[tokio::test(flavor = "multi_thread")]
async fn x4_bulk_copy_of_a_bad_batch_writes_nothing() {
    let Some(admin) = postgres_admin_url() else {
        eprintln!("ZHILU_TEST_POSTGRES_URL is not set: the COPY path is PostgreSQL's only");
        return;
    };
    let url = fresh_postgres_database(&admin).await;
    let c = Catalog::open(&url, HashAlg::Sha256).await.expect("open");
    let year = activities(4);
    bulk_load_without_ledger(&c, registry())
        .await
        .expect("registry");
    bulk_load_without_ledger(&c, year[..year.len() / 2].to_vec())
        .await
        .expect("first half");
    let before = c.activities().await.expect("activities").len();
    // The second half plus a recording of the first half again.
    let again = year
        .iter()
        .find(|r| matches!(r, Row::Recording(_)))
        .cloned()
        .expect("a recording");
    let mut bad = year[year.len() / 2..].to_vec();
    bad.push(again);
    assert!(bulk_copy_without_ledger(&c, bad).await.is_err());
    assert_eq!(c.activities().await.expect("activities").len(), before);
    c.close().await;
    drop_database(&admin, &url).await;
}

/// Issue 15: on SQLite the loader inserts (the COPY path refuses), and the rows are there.
#[tokio::test(flavor = "multi_thread")]
async fn x4_bulk_load_on_sqlite_inserts_and_copy_refuses() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
    let c = Catalog::open(&url, HashAlg::Sha256).await.expect("open");
    assert!(bulk_copy_without_ledger(&c, registry()).await.is_err());
    bulk_load_without_ledger(&c, registry())
        .await
        .expect("registry");
    bulk_load_without_ledger(&c, activities(5))
        .await
        .expect("year");
    assert_eq!(c.activities().await.expect("activities").len(), 5);
    c.close().await;
}
