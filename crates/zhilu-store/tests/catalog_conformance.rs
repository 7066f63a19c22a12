//! The catalog's conformance story, run against every backend: SQLite always, and PostgreSQL too
//! when `ZHILU_TEST_POSTGRES_URL` names a server (CI always provides one). Each step is a promise
//! the application relies on; a backend that breaks one fails here, not in a use case.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use zhilu_ledger::{Hash, HashAlg};
use zhilu_model::*;
use zhilu_store::testing::{fresh_postgres_database, postgres_admin_url};
use zhilu_store::{
    Catalog, Change, CheckpointSigner, Counter, FactWindow, PrefixLookup, StoreError,
};

struct NoteSigner;
impl CheckpointSigner for NoteSigner {
    fn sign_checkpoint(&self, size: u64, root: &Hash) -> Result<String, String> {
        Ok(format!("test checkpoint {size} {}\n", hex::encode(root)))
    }
    fn covers(&self, note: &str, size: u64, root: &Hash) -> bool {
        self.sign_checkpoint(size, root).is_ok_and(|n| n == note)
    }
    fn real_now(&self) -> DateTime<Utc> {
        t(12, 0)
    }
}

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0)
        .single()
        .expect("time")
}

/// One catalog per backend under test.
async fn backends(dir: &std::path::Path) -> Vec<(&'static str, Catalog)> {
    let sqlite = format!("sqlite://{}?mode=rwc", dir.join("c.db").display());
    let mut out = vec![(
        "sqlite",
        Catalog::open(&sqlite, HashAlg::Sha256)
            .await
            .expect("sqlite"),
    )];
    if let Some(admin) = postgres_admin_url() {
        let url = fresh_postgres_database(&admin).await;
        out.push((
            "postgres",
            Catalog::open(&url, HashAlg::Sha256)
                .await
                .expect("postgres"),
        ));
    }
    out
}

fn device(serial: &str) -> Device {
    Device {
        serial: DeviceSerial::parse(serial).unwrap(),
        kind: DeviceKind::BodyCamera,
        model: "DSJ-V9".into(),
        asset_no: None,
        unit: "一大队".into(),
        keeper: "张伟".into(),
        status: DeviceStatus::InService,
        registered_at: t(1, 0),
    }
}

fn recording(n: u8, device: &str, start: DateTime<Utc>) -> Recording {
    Recording {
        sha256: Sha256::from_bytes(&[n; 32]),
        sm3: Sm3::from_bytes(&[n.wrapping_add(100); 32]),
        size: 1000 + u64::from(n),
        media_kind: MediaKind::Mp4,
        capture_start: Some(start),
        capture_end: Some(start + Duration::minutes(10)),
        duration_ms: Some(600_000),
        time_source: TimeSource::Metadata,
        device: DeviceSerial::parse(device).unwrap(),
        officer: OfficerId::parse("000123").unwrap(),
        name_device_id: None,
        name_officer_id: Some("000123".into()),
        sequence: Some(u32::from(n)),
        important: n.is_multiple_of(2),
        original_name: format!("F{n}.MP4"),
        original_path: format!("DCIM/F{n}.MP4"),
        offloaded_at: t(9, 0),
        station: StationId::parse("CJZ-01").unwrap(),
        session: SessionId::parse("S1").unwrap(),
        damaged: false,
        damage_reason: None,
    }
}

fn session() -> OffloadSession {
    OffloadSession {
        id: SessionId::parse("S1").unwrap(),
        device: DeviceSerial::parse("D1").unwrap(),
        officer: OfficerId::parse("000123").unwrap(),
        station: StationId::parse("CJZ-01").unwrap(),
        source: "/media/D1".into(),
        started_at: t(9, 0),
        finished_at: None,
        status: SessionStatus::Running,
        device_clock_offset_ms: Some(-1500),
        device_cleared: false,
        files_seen: 3,
        imported: 0,
        duplicates: 0,
        damaged: 0,
        skipped: 0,
        bytes: 0,
    }
}

async fn commit(c: &Catalog, changes: Vec<Change>) -> Result<u64, StoreError> {
    c.commit(t(12, 0), "test", &changes, &NoteSigner)
        .await
        .map(|a| a.size)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_every_backend_keeps_the_catalog_promises() {
    let dir = tempfile::tempdir().expect("tmp");
    for (name, c) in backends(dir.path()).await {
        let c = Arc::new(c);
        story(name, Arc::clone(&c)).await;
        c.close().await;
    }
}

async fn story(backend: &str, c: Arc<Catalog>) {
    // Typed records round-trip exactly, through one commit that writes several tables.
    let station = Station {
        id: StationId::parse("CJZ-01").unwrap(),
        first_seen: t(9, 0),
    };
    let size = commit(
        &c,
        vec![
            Change::insert(device("D1")),
            Change::insert(station.clone()),
            Change::insert(session()),
            Change::insert(recording(1, "D1", t(8, 0))),
            Change::insert(recording(2, "D1", t(8, 10))),
        ],
    )
    .await
    .expect("commit");
    assert_eq!(size, 5, "{backend}");
    let d1 = DeviceSerial::parse("D1").unwrap();
    let got = c.device(&d1).await.unwrap().expect("device");
    assert_eq!(got.record, device("D1"), "{backend}");
    assert_eq!(got.version.ledger_seq(), 0);
    assert_eq!(
        c.recording(&Sha256::from_bytes(&[2; 32])).await.unwrap(),
        Some(recording(2, "D1", t(8, 10))),
        "{backend}"
    );
    assert_eq!(c.station(&station.id).await.unwrap(), Some(station));

    // A duplicate insert is refused and writes nothing, not even its ledger entry.
    let err = commit(&c, vec![Change::insert(device("D1"))])
        .await
        .expect_err("duplicate");
    assert!(
        matches!(err, StoreError::Duplicate { ref subject, .. } if subject == "device:D1"),
        "{backend}: {err}"
    );
    assert_eq!(c.ledger_head().await.unwrap().0, 5, "{backend}");
    // The message names the row in Chinese and carries no database wording.
    assert_eq!(err.to_string(), "device:D1 与已有记录重复，未作任何改动");

    // An event may not take a row's subject: verify would read its data as the row's.
    let err = commit(
        &c,
        vec![Change::event(
            "device.note",
            "device:D1",
            serde_json::json!({}),
        )],
    )
    .await
    .expect_err("event naming a row");
    assert!(
        matches!(err, StoreError::EventNamesRow { .. }),
        "{backend}: {err}"
    );
    assert_eq!(c.ledger_head().await.unwrap().0, 5, "{backend}");

    // An update from the current version lands; one from a stale version is a conflict.
    let mut repaired = got.record.clone();
    repaired.status = DeviceStatus::UnderRepair;
    commit(&c, vec![Change::update(repaired.clone(), got.version)])
        .await
        .expect("update");
    let mut stale = got.record.clone();
    stale.keeper = "李四".into();
    let err = commit(&c, vec![Change::update(stale, got.version)])
        .await
        .expect_err("stale");
    assert!(matches!(err, StoreError::Conflict(_)), "{backend}: {err}");
    let now = c.device(&d1).await.unwrap().unwrap();
    assert_eq!(
        now.record, repaired,
        "{backend}: the conflicting update wrote nothing"
    );
    assert_eq!(now.version.ledger_seq(), 5);

    // Concurrent writers queue on the write lock: every commit lands, the log has no hole.
    let before = c.ledger_head().await.unwrap().0;
    let mut tasks = Vec::new();
    for i in 0..8u8 {
        let c = Arc::clone(&c);
        tasks.push(async move {
            commit(
                &c,
                vec![
                    Change::insert(device(&format!("W{i}"))),
                    Change::insert(recording(10 + i, "D1", t(10, i.into()))),
                ],
            )
            .await
        });
    }
    for r in futures_join(tasks).await {
        r.expect("concurrent commit");
    }
    let (size, root) = c.ledger_head().await.unwrap();
    assert_eq!(size, before + 16, "{backend}");
    assert_eq!(c.root_at(size).await.unwrap(), root, "{backend}");
    let entries = c.ledger_entries(0, 1000).await.unwrap();
    assert!(
        entries.iter().enumerate().all(|(i, e)| e.seq == i as u64),
        "{backend}"
    );
    assert_eq!(
        c.checkpoints().await.unwrap().last().map(|x| x.0),
        Some(size)
    );

    // Identifiers drawn at the same time never collide.
    let mut draws = Vec::new();
    for _ in 0..20 {
        let c = Arc::clone(&c);
        draws.push(async move { c.next_id(&Counter::Checkout).await });
    }
    let mut ids: Vec<String> = futures_join(draws)
        .await
        .into_iter()
        .map(|r| r.expect("id"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "{backend}");
    assert_eq!(ids[0], "CO00001");
    assert_eq!(
        c.next_id(&Counter::ActivityDay("20261120".into()))
            .await
            .unwrap(),
        "A20261120-001"
    );

    // A device can be out to one officer at a time, whatever the writers do.
    let officer = Officer {
        id: OfficerId::parse("000123").unwrap(),
        name: "张伟".into(),
        unit: "一大队".into(),
        role: "officer".into(),
        created_at: t(1, 0),
    };
    let unit = Unit {
        id: "一大队".into(),
        name: "一大队".into(),
        created_at: t(1, 0),
    };
    commit(&c, vec![Change::insert(unit), Change::insert(officer)])
        .await
        .unwrap();
    let checkout = |id: &str| Checkout {
        id: CheckoutId::parse(id).unwrap(),
        device: DeviceSerial::parse("W0").unwrap(),
        officer: OfficerId::parse("000123").unwrap(),
        out_at: t(7, 0),
        returned_at: None,
        battery_pct: Some(90),
        free_gb: Some(20),
        clock_ok: true,
        recorded_summary: None,
    };
    commit(&c, vec![Change::insert(checkout("CO90001"))])
        .await
        .unwrap();
    let err = commit(&c, vec![Change::insert(checkout("CO90002"))])
        .await
        .expect_err("second open checkout");
    assert!(
        matches!(err, StoreError::Duplicate { ref subject, .. } if subject == "checkout:CO90002"),
        "{backend}: {err}"
    );

    // A unique prefix names one recording; a shared one is ambiguous; a missing one none.
    let p = |s: &str| HashPrefix::parse(s).unwrap();
    assert_eq!(
        c.resolve_prefix(&p("0101010101")).await.unwrap(),
        PrefixLookup::One(Sha256::from_bytes(&[1; 32]))
    );
    assert_eq!(
        c.resolve_prefix(&p("ffffffff")).await.unwrap(),
        PrefixLookup::None
    );
    commit(
        &c,
        vec![Change::insert({
            let mut r = recording(3, "D1", t(8, 20));
            r.sha256 = Sha256::parse(&format!("0101010101{}", "ab".repeat(27))).unwrap();
            r.sm3 = Sm3::from_bytes(&[77; 32]);
            r
        })],
    )
    .await
    .unwrap();
    assert_eq!(
        c.resolve_prefix(&p("0101010101")).await.unwrap(),
        PrefixLookup::Ambiguous(2)
    );

    // A window reads what overlaps it; the full read reads everything.
    let w = FactWindow {
        from: t(10, 0),
        to: t(11, 0),
        capture_from: t(10, 0),
        expiry_from: t(0, 0),
        expiry_to: t(0, 1),
    };
    let rows = c.facts(Some(&w)).await.unwrap();
    assert_eq!(
        rows.recordings.len(),
        8,
        "{backend}: the eight captured 10:00-10:07"
    );
    let all = c.facts(None).await.unwrap();
    assert_eq!(all.recordings.len(), 11, "{backend}");
    assert_eq!(all.devices.len(), 9);
    assert_eq!(all.checkouts.len(), 1);

    // Every row's snapshot is the state its latest ledger entry recorded.
    let mut latest = std::collections::HashMap::new();
    for e in c.ledger_entries(0, 10_000).await.unwrap() {
        latest.insert(e.subject.clone(), (e.seq, e.state()));
    }
    let mut rows = 0;
    c.for_each_snapshot(&mut |s| {
        rows += 1;
        let (seq, state) = latest.get(&s.subject).expect("entry for row");
        assert_eq!(*seq as i64, s.ledger_seq, "{}", s.subject);
        assert_eq!(*state, s.state, "{}", s.subject);
    })
    .await
    .unwrap();
    assert_eq!(rows, 25, "{backend}");
}

/// Runs the futures concurrently on the runtime and returns their outputs in order.
async fn futures_join<F, T>(fs: Vec<F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x5_a_file_that_is_not_a_catalog_is_refused_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    std::fs::write(&path, vec![0x5au8; 8192]).unwrap();
    let err = Catalog::open(
        &format!("sqlite://{}", path.display()),
        zhilu_ledger::HashAlg::Sha256,
    )
    .await
    .expect_err("not a database");
    let msg = err.to_string();
    assert!(msg.contains("不是执录的数据库"), "{msg}");
    assert!(!msg.contains("file is not a database"), "{msg}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        vec![0x5au8; 8192],
        "the file is untouched"
    );
}

/// `recordings list` streams the catalog a page at a time by keyset (issue 15): every page size
/// walks every recording exactly once, in the reading order of the whole list — ties in capture
/// time broken by path, unknown capture times last — on every backend, with and without a device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x4_recordings_read_page_by_page_equal_the_whole_list() {
    let dir = tempfile::tempdir().expect("tmp");
    for (backend, c) in backends(dir.path()).await {
        let station = Station {
            id: StationId::parse("CJZ-01").unwrap(),
            first_seen: t(9, 0),
        };
        let mut changes = vec![
            Change::insert(device("D1")),
            Change::insert(device("D2")),
            Change::insert(station),
            Change::insert(session()),
        ];
        for n in 1..=9u8 {
            let mut r = recording(
                n,
                if n % 3 == 0 { "D2" } else { "D1" },
                t(8, u32::from(n % 4)),
            );
            if n >= 8 {
                r.capture_start = None;
                r.capture_end = None;
            }
            changes.push(Change::insert(r));
        }
        commit(&c, changes).await.expect("commit");
        for device in [None, Some(DeviceSerial::parse("D1").unwrap())] {
            let whole = c.recordings(device.as_ref()).await.unwrap();
            for limit in 1..=10 {
                let mut paged: Vec<Recording> = Vec::new();
                loop {
                    let page = c
                        .recordings_page(device.as_ref(), paged.last(), limit)
                        .await
                        .unwrap();
                    let done = page.len() < limit;
                    paged.extend(page);
                    if done {
                        break;
                    }
                }
                assert_eq!(paged, whole, "{backend}, {device:?}, pages of {limit}");
            }
        }
        c.close().await;
    }
}

/// The lookups by subject and by kind read `ledger_keys`, which a commit brings up to date only
/// once 128 or more entries are past it (issue 15: a durable single-entry commit writes one row);
/// the entries after it are scanned. On every backend, at every length of that tail and after a
/// commit of many entries at once, each lookup answers exactly what a scan of the whole ledger
/// answers, and the keys really do trail the entries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_lookups_by_subject_and_kind_find_indexed_and_unindexed_entries_alike() {
    let dir = tempfile::tempdir().expect("tmp");
    let kinds = ["test.alpha", "test.beta", "test.gamma"];
    for (backend, c) in backends(dir.path()).await {
        let url = if backend == "sqlite" {
            Some(format!("sqlite://{}", dir.path().join("c.db").display()))
        } else {
            None
        };
        let mut trailed = false;
        for i in 0..140u64 {
            // Single-entry commits, then one of 40 entries (the first to reach 128 past the keys).
            let n = if i == 100 { 40 } else { 1 };
            let changes: Vec<Change> = (0..n)
                .map(|j| {
                    let k = i + j;
                    Change::event(
                        kinds[(k % 3) as usize],
                        format!("case:{}", k % 7),
                        serde_json::json!({ "k": k }),
                    )
                })
                .collect();
            commit(&c, changes).await.expect("commit");
            if !(i % 9 == 0 || i >= 99) {
                continue;
            }
            let all = c.ledger_entries(0, 100_000).await.expect("all");
            assert_eq!(c.lookup_faults().await.unwrap(), (0, 0), "{backend}");
            for s in 0..7 {
                let subject = format!("case:{s}");
                let mut want: Vec<_> = all
                    .iter()
                    .filter(|e| e.subject == subject)
                    .cloned()
                    .collect();
                want.reverse();
                let got = c.ledger_entries_about(&subject, 1000).await.unwrap();
                assert_eq!(got, want, "{backend}: about {subject} after {i}");
                let got = c.ledger_entries_about(&subject, 3).await.unwrap();
                assert_eq!(
                    got,
                    want[..want.len().min(3)],
                    "{backend}: latest 3 of {subject}"
                );
            }
            for k in kinds {
                let want: Vec<_> = all.iter().filter(|e| e.kind == k).cloned().collect();
                assert_eq!(
                    c.events_of_kinds(&[k]).await.unwrap(),
                    want,
                    "{backend}: {k}"
                );
                assert_eq!(
                    c.latest_event(k).await.unwrap(),
                    want.last().cloned(),
                    "{backend}"
                );
            }
            let want: Vec<_> = all.iter().filter(|e| e.kind != kinds[2]).cloned().collect();
            assert_eq!(
                c.events_of_kinds(&kinds[..2]).await.unwrap(),
                want,
                "{backend}: two kinds"
            );
            assert_eq!(
                c.latest_seq_of(&kinds[..2]).await.unwrap(),
                want.last().map(|e| e.seq),
                "{backend}"
            );
            if let Some(url) = &url {
                use sqlx::Connection;
                let mut conn = sqlx::SqliteConnection::connect(url).await.expect("raw");
                let keyed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_keys")
                    .fetch_one(&mut conn)
                    .await
                    .expect("count");
                let tail = all.len() as i64 - keyed;
                assert!(
                    (0..128).contains(&tail),
                    "{backend}: a tail of {tail} after {i}"
                );
                trailed |= tail > 0 && keyed > 0;
                if i == 100 {
                    assert_eq!(tail, 0, "a commit of 40 entries brings the keys up to date");
                }
            }
        }
        assert!(
            url.is_none() || trailed,
            "the keys trailed the entries at some point"
        );
        c.close().await;
    }
}
