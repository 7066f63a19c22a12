//! Conformance suite for `ObjectRoot` implementations: ONE set of checks, run against every kind
//! of root — a local folder, an object store in memory, and S3 (a `moto_server` on 127.0.0.1,
//! started by the tests; skipped with a notice when moto is not installed, a failure when
//! `CI=true`). Write-once, no overwrite, ranges, the hash re-checked on full reads, quarantine,
//! listing for fixity, interrupted uploads, and two writers racing for one object. The large-object
//! path (multipart to a temporary key, then copy-if-not-exists) is exercised with a lowered
//! threshold. Checks that look inside a local root's `tmp/` follow at the end.

use std::io::{Read, Write};
use std::sync::{Arc, Barrier};

use object_store::ObjectStore;
use object_store::memory::InMemory;
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use zhilu_store::testing::moto::Moto;
use zhilu_store::{LocalRoot, ObjectRoot, ObjectStoreRoot, Vault, is_intact};

fn digest(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

fn hex_of(b: &[u8]) -> String {
    hex::encode(digest(b))
}

fn put(root: &dyn ObjectRoot, bytes: &[u8]) -> bool {
    let mut p = root.begin().expect("begin");
    p.write_all(bytes).expect("write");
    p.finish(&digest(bytes)).expect("finish")
}

fn read(root: &dyn ObjectRoot, sha: &str) -> Vec<u8> {
    let mut v = Vec::new();
    root.open(sha)
        .expect("open")
        .read_to_end(&mut v)
        .expect("read");
    v
}

/// Bytes that differ from position to position (a misplaced range shows).
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed)
        .collect()
}

/// The backdoor of one kind of root: what a test does behind the root's back.
enum Backdoor {
    Local(tempfile::TempDir),
    Memory(Arc<InMemory>),
    S3 { moto: Arc<Moto>, bucket: String },
}

/// One root under test, with its kind's backdoor.
struct Subject {
    kind: &'static str,
    root: Box<dyn ObjectRoot>,
    door: Backdoor,
    /// An object this size takes the root's large-object path (if it has one).
    large: usize,
}

const PREFIX: &str = "vault/replica";

fn object_key(sha: &str) -> String {
    format!("{PREFIX}/objects/sha256/{}/{}/{sha}", &sha[..2], &sha[2..4])
}

impl Subject {
    /// Replaces a stored object's bytes behind the root's back (a storage fault or an attacker).
    fn tamper(&self, sha: &str, bytes: &[u8]) {
        match &self.door {
            Backdoor::Local(_) => {
                let p = self.root.local_path(sha).expect("local");
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    .expect("chmod");
                std::fs::write(&p, bytes).expect("tamper");
            }
            Backdoor::Memory(m) => {
                let m = m.clone();
                let (k, b) = (Key::from(object_key(sha)), bytes.to_vec());
                tokio_block(async move { m.put(&k, PutPayload::from(b)).await.expect("tamper") });
            }
            Backdoor::S3 { moto, bucket } => {
                let a = moto
                    .request("PUT", &format!("/{bucket}/{}", object_key(sha)), &[], bytes)
                    .expect("tamper");
                assert_eq!(a.status, 200);
            }
        }
    }

    /// Keys or files left outside `objects/` and `quarantine/` (temporary ones), plus multipart
    /// uploads still open.
    fn leftovers(&self) -> usize {
        match &self.door {
            Backdoor::Local(d) => std::fs::read_dir(d.path().join("tmp"))
                .expect("tmp")
                .count(),
            Backdoor::Memory(m) => {
                let m = m.clone();
                tokio_block(async move {
                    use futures_util::TryStreamExt;
                    m.list(Some(&Key::from(format!("{PREFIX}/tmp"))))
                        .try_collect::<Vec<_>>()
                        .await
                        .expect("list")
                        .len()
                })
            }
            Backdoor::S3 { moto, bucket } => {
                let keys = moto
                    .request(
                        "GET",
                        &format!("/{bucket}?list-type=2&prefix={PREFIX}/tmp/"),
                        &[],
                        b"",
                    )
                    .expect("list");
                let uploads = moto
                    .request("GET", &format!("/{bucket}?uploads"), &[], b"")
                    .expect("uploads");
                count(&keys.body, "<Key>") + count(&uploads.body, "<UploadId>")
            }
        }
    }
}

fn count(body: &[u8], what: &str) -> usize {
    String::from_utf8_lossy(body).matches(what).count()
}

fn tokio_block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("rt")
        .block_on(f)
}

static BUCKETS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Every kind of root, fresh. `large_from` lowers the object roots' large-object threshold.
fn subjects() -> Vec<Subject> {
    let mut out = Vec::new();
    let d = tempfile::tempdir().expect("tmp");
    out.push(Subject {
        kind: "local",
        root: Box::new(LocalRoot::create(d.path()).expect("local")),
        door: Backdoor::Local(d),
        large: 300_000,
    });
    let mem = Arc::new(InMemory::new());
    let root = ObjectStoreRoot::new(mem.clone(), "memory:1", PREFIX)
        .expect("memory")
        .with_large_objects(64 << 10, 100 << 10)
        .create()
        .expect("create");
    out.push(Subject {
        kind: "memory",
        root: Box::new(root),
        door: Backdoor::Memory(mem),
        large: 300_000,
    });
    if let Some(moto) = Moto::shared() {
        let n = BUCKETS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let bucket = format!("conformance-{}-{n}", std::process::id());
        moto.create_bucket(&bucket, None);
        // S3 asks 5 MiB parts (but the last): 11 MiB is three parts.
        let root = ObjectStoreRoot::s3(&moto.location(&bucket, PREFIX))
            .expect("s3")
            .with_large_objects(1 << 20, 5 << 20)
            .create()
            .expect("create");
        out.push(Subject {
            kind: "s3",
            root: Box::new(root),
            door: Backdoor::S3 { moto, bucket },
            large: 11 << 20,
        });
    }
    out
}

#[test]
fn x5_r24_an_object_is_written_once_and_a_second_write_never_replaces_it() {
    for s in subjects() {
        for len in [14, s.large] {
            let a = pattern(len, 1);
            assert!(put(s.root.as_ref(), &a), "{}: first write stores", s.kind);
            assert!(
                !put(s.root.as_ref(), &a),
                "{}: second write of the same object reports it existed",
                s.kind
            );
            assert_eq!(read(s.root.as_ref(), &hex_of(&a)), a, "{}", s.kind);
        }
        assert_eq!(s.leftovers(), 0, "{}: no temporary left", s.kind);
    }
}

#[test]
fn x5_r24_different_bytes_claiming_a_stored_name_never_replace_it() {
    for s in subjects() {
        for len in [1000, s.large] {
            let a = pattern(len, 2);
            let sha = digest(&a);
            assert!(put(s.root.as_ref(), &a));
            let mut p = s.root.begin().expect("begin");
            p.write_all(&pattern(len, 99)).expect("write");
            assert!(
                !p.finish(&sha).expect("finish"),
                "{}: the impostor is not stored",
                s.kind
            );
            assert_eq!(read(s.root.as_ref(), &hex::encode(sha)), a, "{}", s.kind);
        }
        assert_eq!(s.leftovers(), 0, "{}", s.kind);
    }
}

#[test]
fn x5_byte_ranges_are_read_from_every_kind_of_root() {
    for s in subjects() {
        let a = pattern(200_000, 3);
        put(s.root.as_ref(), &a);
        let sha = hex_of(&a);
        let r = |start: u64, len: u64| s.root.read_range(&sha, start, len).expect("range");
        assert_eq!(r(0, 10), a[..10], "{}", s.kind);
        assert_eq!(r(65_531, 70_000), a[65_531..135_531], "{}", s.kind);
        assert_eq!(
            r(199_990, 100),
            a[199_990..],
            "{}: short at the end",
            s.kind
        );
        assert!(r(200_000, 5).is_empty(), "{}: past the end", s.kind);
        assert!(
            s.root.read_range("../../etc/passwd", 0, 5).is_err(),
            "{}: hostile name refused",
            s.kind
        );
    }
}

#[test]
fn x5_r18_full_reads_recheck_the_hash_and_catch_a_copy_changed_behind_our_back() {
    for s in subjects() {
        let a = pattern(150_000, 4);
        put(s.root.as_ref(), &a);
        let sha = hex_of(&a);
        assert!(
            is_intact(s.root.as_ref(), &sha).expect("check"),
            "{}",
            s.kind
        );
        let mut bad = a.clone();
        bad[77_777] ^= 1;
        s.tamper(&sha, &bad);
        assert!(
            !is_intact(s.root.as_ref(), &sha).expect("check"),
            "{}: one flipped bit is caught",
            s.kind
        );
    }
}

#[test]
fn x5_r18_quarantine_moves_a_copy_aside_without_deleting_its_bytes() {
    for s in subjects() {
        let a = pattern(5000, 5);
        put(s.root.as_ref(), &a);
        let sha = hex_of(&a);
        let to = s.root.quarantine(&sha, "t1").expect("quarantine");
        assert!(
            to.contains(&format!("quarantine/{sha}.t1")),
            "{}: {to}",
            s.kind
        );
        assert_eq!(s.root.size_of(&sha).expect("size"), None, "{}", s.kind);
        assert!(s.root.list().expect("list").is_empty(), "{}", s.kind);
        let kept = match &s.door {
            Backdoor::Local(_) => std::fs::read(&to).expect("kept"),
            Backdoor::Memory(m) => {
                let (m, k) = (
                    m.clone(),
                    Key::from(format!("{PREFIX}/quarantine/{sha}.t1")),
                );
                tokio_block(async move {
                    m.get(&k)
                        .await
                        .expect("kept")
                        .bytes()
                        .await
                        .expect("bytes")
                        .to_vec()
                })
            }
            Backdoor::S3 { moto, bucket } => {
                let a = moto
                    .request(
                        "GET",
                        &format!("/{bucket}/{PREFIX}/quarantine/{sha}.t1"),
                        &[],
                        b"",
                    )
                    .expect("get");
                assert_eq!(a.status, 200);
                a.body
            }
        };
        assert_eq!(kept, a, "{}: the damaged bytes are kept", s.kind);
        // The object can be restored from a good copy afterwards.
        assert!(put(s.root.as_ref(), &a), "{}", s.kind);
    }
}

#[test]
fn x5_r18_listing_and_stat_serve_fixity() {
    for s in subjects() {
        let objs: Vec<Vec<u8>> = (0..3).map(|i| pattern(1000 + i, 6 + i as u8)).collect();
        for o in &objs {
            put(s.root.as_ref(), o);
        }
        let mut want: Vec<String> = objs.iter().map(|o| hex_of(o)).collect();
        want.sort();
        assert_eq!(s.root.list().expect("list"), want, "{}", s.kind);
        let st = s.root.stat(&want[0]).expect("stat").expect("present");
        assert!(st.regular && st.nlink == 1, "{}", s.kind);
        assert!(st.size >= 1000, "{}", s.kind);
        assert_eq!(
            s.root.stat(&"0".repeat(64)).expect("stat"),
            None,
            "{}",
            s.kind
        );
        assert_eq!(
            s.root.size_of("not-a-hash/../x").expect("size"),
            None,
            "{}",
            s.kind
        );
    }
}

#[test]
fn x5_r16_an_interrupted_upload_leaves_nothing_visible() {
    for s in subjects() {
        for len in [100, s.large] {
            let mut p = s.root.begin().expect("begin");
            let a = pattern(len, 7);
            p.write_all(&a[..len - 10]).expect("write");
            drop(p);
            assert!(s.root.list().expect("list").is_empty(), "{}", s.kind);
            assert_eq!(
                s.root.size_of(&hex_of(&a)).expect("size"),
                None,
                "{}",
                s.kind
            );
            assert_eq!(s.leftovers(), 0, "{}: upload aborted, nothing left", s.kind);
        }
    }
}

#[test]
fn x5_two_writers_racing_for_one_object_store_it_exactly_once_and_never_overwrite() {
    for s in subjects() {
        for len in [2000, s.large] {
            let (a, b) = (pattern(len, 8), pattern(len, 9));
            let name = digest(&a);
            let gate = Barrier::new(2);
            let root = s.root.as_ref();
            let results: Vec<bool> = std::thread::scope(|sc| {
                let hs: Vec<_> = [&a, &b]
                    .into_iter()
                    .map(|bytes| {
                        let gate = &gate;
                        sc.spawn(move || {
                            let mut p = root.begin().expect("begin");
                            p.write_all(bytes).expect("write");
                            gate.wait();
                            p.finish(&name).expect("finish")
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().expect("join")).collect()
            });
            assert_eq!(
                results.iter().filter(|r| **r).count(),
                1,
                "{}: exactly one writer stores it ({results:?})",
                s.kind
            );
            let winner = if results[0] { &a } else { &b };
            let stored = read(root, &hex::encode(name));
            assert_eq!(&stored, winner, "{}: the first stored bytes stay", s.kind);
            // A later writer changes nothing either.
            let mut p = root.begin().expect("begin");
            p.write_all(if results[0] { &b } else { &a })
                .expect("write");
            assert!(!p.finish(&name).expect("finish"));
            assert_eq!(&read(root, &hex::encode(name)), winner, "{}", s.kind);
            assert_eq!(s.leftovers(), 0, "{}", s.kind);
        }
    }
}

#[test]
fn r18_the_vault_writes_every_root_and_reports_presence_everywhere() {
    let mut subjects = subjects();
    let kinds: Vec<&str> = subjects.iter().map(|s| s.kind).collect();
    let roots: Vec<Box<dyn ObjectRoot>> = subjects
        .iter_mut()
        .map(|s| {
            std::mem::replace(
                &mut s.root,
                Box::new(ObjectStoreRoot::new(Arc::new(InMemory::new()), "x", "").expect("x")),
            )
        })
        .collect();
    let vault = Vault::new(roots);
    for len in [10usize, 9 << 20] {
        let a = pattern(len, 10);
        let mut pending = vault.begin().expect("begin");
        for p in &mut pending {
            p.write_all(&a).expect("write");
        }
        assert!(Vault::finish_all(pending, &digest(&a)).expect("finish"));
        let sha = hex_of(&a);
        assert!(
            vault.has_everywhere(&sha, a.len() as u64).expect("has"),
            "{kinds:?}"
        );
        assert_eq!(
            vault.copies_short(&sha, a.len() as u64).expect("short"),
            None
        );
        assert!(!vault.has_everywhere(&sha, 3).expect("has"));
    }
    assert!(
        !vault
            .has_everywhere("not-a-hash/../../etc/passwd", 1)
            .expect("hostile name")
    );
}

#[test]
fn x5_r18_two_roots_on_the_same_bucket_and_prefix_are_one_copy_not_two() {
    let mem = Arc::new(InMemory::new());
    let one = || {
        ObjectStoreRoot::new(mem.clone(), "memory:same", PREFIX)
            .expect("root")
            .create()
            .expect("create")
    };
    let vault = Vault::new(vec![Box::new(one()), Box::new(one())]);
    let a = b"one physical copy".to_vec();
    let mut pending = vault.begin().expect("begin");
    for p in &mut pending {
        p.write_all(&a).expect("write");
    }
    Vault::finish_all(pending, &digest(&a)).expect("finish");
    let short = vault
        .copies_short(&hex_of(&a), a.len() as u64)
        .expect("short")
        .expect("caught");
    assert!(short.contains("同一个文件"), "{short}");
}

#[test]
fn x5_r18_a_missing_or_unreachable_bucket_is_an_error_and_nothing_is_created() {
    let mem = Arc::new(InMemory::new());
    let err = ObjectStoreRoot::new(mem.clone(), "memory:2", PREFIX)
        .expect("root")
        .open()
        .expect_err("not initialised");
    assert!(
        err.to_string().contains("存储位置不存在或未初始化"),
        "{err}"
    );
    let hostile = ObjectStoreRoot::new(mem, "memory:2", "a/../b").expect_err("refused");
    assert!(hostile.to_string().contains("前缀"), "{hostile}");
    // Nothing listens on port 9 of 127.0.0.1.
    let mut nowhere = zhilu_store::S3Location {
        bucket: "evidence".into(),
        prefix: String::new(),
        endpoint: Some("http://127.0.0.1:9".into()),
        region: "us-east-1".into(),
        allow_http: true,
        access_key_id: "k".into(),
        secret_access_key: "s".into(),
        session_token: None,
    };
    let err = ObjectStoreRoot::s3(&nowhere)
        .expect("client")
        .open()
        .expect_err("unreachable");
    assert!(err.to_string().contains("对象存储"), "{err}");
    let Some(moto) = Moto::shared() else { return };
    nowhere.endpoint = Some(moto.endpoint());
    nowhere.bucket = "no-such-bucket".into();
    let err = ObjectStoreRoot::s3(&nowhere)
        .expect("client")
        .create()
        .expect_err("missing bucket");
    assert!(err.to_string().contains("桶不存在"), "{err}");
    let list = moto.request("GET", "/", &[], b"").expect("list buckets");
    assert_eq!(count(&list.body, "no-such-bucket"), 0, "no bucket created");
}

#[test]
fn x5_r20_in_a_bucket_with_compliance_retention_our_objects_cannot_be_deleted() {
    let Some(moto) = Moto::shared() else { return };
    let bucket = format!("locked-{}", std::process::id());
    moto.create_bucket(&bucket, Some(30));
    let root = ObjectStoreRoot::s3(&moto.location(&bucket, PREFIX))
        .expect("s3")
        .create()
        .expect("create");
    let a = b"locked evidence".to_vec();
    assert!(put(&root, &a));
    let sha = hex_of(&a);
    let key = object_key(&sha);
    let head = moto
        .request("HEAD", &format!("/{bucket}/{key}"), &[], b"")
        .expect("head");
    assert_eq!(head.header("x-amz-object-lock-mode"), Some("COMPLIANCE"));
    let version = head
        .header("x-amz-version-id")
        .expect("versioned")
        .to_string();
    let del = moto
        .request(
            "DELETE",
            &format!("/{bucket}/{key}?versionId={version}"),
            &[],
            b"",
        )
        .expect("delete");
    assert!(
        del.status >= 400,
        "a locked version cannot be deleted: {}",
        del.status
    );
    // Our own purge is refused too (it would delete every version, and the bucket's default
    // retention locks this one): the locked version stays.
    let err = root.purge(&sha).expect_err("purge refused under retention");
    assert!(err.to_string().contains("保留期"), "{err}");
    let get = moto
        .request(
            "GET",
            &format!("/{bucket}/{key}?versionId={version}"),
            &[],
            b"",
        )
        .expect("get");
    assert_eq!(get.status, 200);
    assert_eq!(get.body, a);
}

/// A tombstone for `bytes`, as an approved purge (R20) commits before the bytes go.
fn tombstone(bytes: &[u8]) -> zhilu_model::Tombstone {
    use zhilu_model::*;
    let now = chrono::Utc::now();
    Tombstone {
        sha256: Sha256::parse(&hex_of(bytes)).expect("sha256"),
        sm3: Sm3::parse(&"0".repeat(64)).expect("sm3"),
        size: bytes.len() as u64,
        device: DeviceSerial::parse("DSJ0001").expect("device"),
        original_name: "a.mp4".into(),
        capture_start: None,
        capture_end: None,
        retention_class: "minimum".into(),
        retention_reason: "test".into(),
        request: RecordId::parse("QC00001").expect("request"),
        approvals: Vec::new(),
        purged_at: now,
        purged_by: OfficerId::parse("000900").expect("officer"),
    }
}

/// The S3 root's object lock: `(mode, retain-until, legal hold)` as moto reports it on HEAD.
fn head_lock(
    moto: &Moto,
    bucket: &str,
    sha: &str,
) -> (Option<String>, Option<String>, Option<String>) {
    let a = moto
        .request("HEAD", &format!("/{bucket}/{}", object_key(sha)), &[], b"")
        .expect("head");
    assert_eq!(a.status, 200, "the object is there");
    let h = |n: &str| a.header(n).map(str::to_string);
    (
        h("x-amz-object-lock-mode"),
        h("x-amz-object-lock-retain-until-date"),
        h("x-amz-object-lock-legal-hold"),
    )
}

#[test]
fn x5_locked_object_cannot_be_deleted_before_retention() {
    let Some(moto) = Moto::shared() else { return };
    let bucket = format!("retained-{}", std::process::id());
    moto.create_lock_bucket_without_default(&bucket);
    let s3 = ObjectStoreRoot::s3(&moto.location(&bucket, PREFIX))
        .expect("s3")
        .create()
        .expect("create");
    assert!(s3.bucket_lock().is_some(), "object lock seen at open");
    let d = tempfile::tempdir().expect("tmp");
    let vault = Vault::new(vec![
        Box::new(LocalRoot::create(d.path()).expect("local")),
        Box::new(s3),
    ]);
    let a = b"evidence kept by S3 object lock".to_vec();
    let until = chrono::DateTime::parse_from_rfc3339("2099-03-31T16:00:00Z")
        .expect("date")
        .with_timezone(&chrono::Utc);
    let mut pending = vault.begin_retained(Some(until)).expect("begin");
    for p in &mut pending {
        p.write_all(&a).expect("write");
    }
    assert!(Vault::finish_all(pending, &digest(&a)).expect("finish"));
    let sha = hex_of(&a);
    let (mode, retain, _) = head_lock(&moto, &bucket, &sha);
    assert_eq!(mode.as_deref(), Some("COMPLIANCE"));
    assert_eq!(retain.as_deref(), Some("2099-03-31T16:00:00Z"));
    let state = vault.roots()[1]
        .lock_state(&sha)
        .expect("lock")
        .expect("s3 lock");
    assert_eq!(state.retain_until, Some(until));
    assert!(vault.roots()[0].lock_state(&sha).expect("local").is_none());
    // S3 (moto) itself refuses to delete the locked version.
    let version = moto
        .request("HEAD", &format!("/{bucket}/{}", object_key(&sha)), &[], b"")
        .expect("head")
        .header("x-amz-version-id")
        .expect("versioned")
        .to_string();
    let del = moto
        .request(
            "DELETE",
            &format!("/{bucket}/{}?versionId={version}", object_key(&sha)),
            &[],
            b"",
        )
        .expect("delete");
    assert_eq!(del.status, 403, "{}", String::from_utf8_lossy(&del.body));
    // An approved purge is refused clearly, and deletes nothing anywhere (not the local copy).
    let err = vault.purge(&tombstone(&a)).expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("保留期") && msg.contains("2099-03-31"),
        "{msg}"
    );
    assert_eq!(read(vault.roots()[0].as_ref(), &sha), a);
    assert_eq!(read(vault.roots()[1].as_ref(), &sha), a);
    // A legal hold is set on the S3 copy (the local root has none), and refuses a purge too.
    assert_eq!(vault.set_legal_hold(&sha, true).expect("hold"), 1);
    assert_eq!(head_lock(&moto, &bucket, &sha).2.as_deref(), Some("ON"));
    assert!(
        vault.roots()[1]
            .purge_refused(&sha)
            .expect("ask")
            .is_some_and(|w| w.contains("合法保留"))
    );
}

#[test]
fn x5_object_lock_retention_is_never_shortened_by_a_second_writer() {
    let Some(moto) = Moto::shared() else { return };
    let bucket = format!("retained-twice-{}", std::process::id());
    moto.create_lock_bucket_without_default(&bucket);
    let root = ObjectStoreRoot::s3(&moto.location(&bucket, PREFIX))
        .expect("s3")
        .create()
        .expect("create");
    let a = b"stored twice".to_vec();
    let date = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&chrono::Utc)
    };
    let mut p = root
        .begin_retained(Some(date("2098-01-01T00:00:00Z")))
        .expect("begin");
    p.write_all(&a).expect("write");
    assert!(p.finish(&digest(&a)).expect("finish"));
    let mut p = root
        .begin_retained(Some(date("2097-01-01T00:00:00Z")))
        .expect("begin");
    p.write_all(&a).expect("write");
    assert!(!p.finish(&digest(&a)).expect("finish"), "already stored");
    let (_, retain, _) = head_lock(&moto, &bucket, &hex_of(&a));
    assert_eq!(retain.as_deref(), Some("2098-01-01T00:00:00Z"));
}

#[test]
fn x5_bucket_without_object_lock_gets_no_lock_requests() {
    let Some(moto) = Moto::shared() else { return };
    let bucket = format!("plain-{}", std::process::id());
    moto.create_bucket(&bucket, None);
    let root = ObjectStoreRoot::s3(&moto.location(&bucket, PREFIX))
        .expect("s3")
        .create()
        .expect("create");
    assert!(root.bucket_lock().is_none());
    let a = b"plain bucket".to_vec();
    let until = chrono::Utc::now() + chrono::TimeDelta::days(400);
    let mut p = root.begin_retained(Some(until)).expect("begin");
    p.write_all(&a).expect("write");
    assert!(p.finish(&digest(&a)).expect("finish"));
    let sha = hex_of(&a);
    assert_eq!(head_lock(&moto, &bucket, &sha), (None, None, None));
    assert!(!root.set_legal_hold(&sha, true).expect("no lock, no error"));
    assert!(root.lock_state(&sha).expect("state").is_none());
    assert!(root.purge_refused(&sha).expect("ask").is_none());
    assert!(root.purge(&sha).expect("purged"));
    let gone = moto
        .request("HEAD", &format!("/{bucket}/{}", object_key(&sha)), &[], b"")
        .expect("head");
    assert_eq!(gone.status, 404);
    // Only the bucket's configuration was asked, at open: no object-level lock request.
    assert_eq!(root.lock_requests_sent(), 0);
}

// Local roots only: what a folder's `tmp/` holds.

#[test]
fn r16_a_copy_altered_on_disk_before_it_is_finished_is_refused_and_leaves_nothing() {
    let d = tempfile::tempdir().expect("tmp");
    let root = LocalRoot::create(d.path()).expect("open");
    let bytes = vec![7u8; 300_000];
    let mut p = root.begin().expect("begin");
    p.write_all(&bytes).expect("write");
    p.flush().expect("flush");
    // A storage fault between write and read-back: one byte differs on disk.
    let tmp: Vec<_> = std::fs::read_dir(d.path().join("tmp"))
        .expect("tmp")
        .flatten()
        .collect();
    assert_eq!(tmp.len(), 1);
    let mut on_disk = std::fs::read(tmp[0].path()).expect("read tmp");
    on_disk[123_456] ^= 1;
    std::fs::write(tmp[0].path(), &on_disk).expect("corrupt");
    let err = p.finish(&digest(&bytes)).expect_err("refused");
    assert!(err.to_string().contains("回读校验失败"), "{err}");
    assert!(root.list().expect("list").is_empty());
    assert_eq!(
        std::fs::read_dir(d.path().join("tmp"))
            .expect("tmp")
            .count(),
        0
    );
}

#[test]
fn r16_temporary_files_left_by_a_dead_writer_are_removed_when_the_root_is_opened() {
    let d = tempfile::tempdir().expect("tmp");
    LocalRoot::create(d.path()).expect("create");
    let stale = d.path().join("tmp/123-0-0.part");
    std::fs::write(&stale, b"partial").expect("write");
    // Left alone for two minutes and locked by nobody: its writer is dead.
    let f = std::fs::File::options()
        .write(true)
        .open(&stale)
        .expect("open");
    f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(120))
        .expect("age it");
    drop(f);
    let root = LocalRoot::open(d.path()).expect("reopen");
    assert!(!stale.exists(), "abandoned temporary file removed");
    assert!(root.list().expect("list").is_empty());
}

#[test]
fn r16_a_live_writers_temporary_file_survives_another_process_opening_the_root() {
    let d = tempfile::tempdir().expect("tmp");
    let writer = LocalRoot::create(d.path()).expect("create");
    let mut p = writer.begin().expect("begin");
    p.write_all(b"half a recording").expect("write");
    // Age it as if the writer had been busy for minutes: the lock alone must protect it.
    let tmp: Vec<_> = std::fs::read_dir(d.path().join("tmp"))
        .expect("tmp")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(tmp.len(), 1);
    std::fs::File::options()
        .write(true)
        .open(&tmp[0])
        .expect("open")
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(600))
        .expect("age it");
    LocalRoot::open(d.path()).expect("a second writer opens the root");
    assert!(tmp[0].exists(), "the live writer's file is left alone");
    let bytes = b"half a recording".to_vec();
    assert!(p.finish(&digest(&bytes)).expect("finish"));
    assert_eq!(read(&writer, &hex::encode(digest(&bytes))), bytes);
}

#[test]
fn r18_a_root_that_does_not_exist_is_an_error_not_an_empty_folder() {
    let d = tempfile::tempdir().expect("tmp");
    let missing = d.path().join("unmounted-disk");
    let err = LocalRoot::open(&missing).expect_err("refused");
    assert!(err.to_string().contains("存储位置不存在"), "{err}");
    assert!(!missing.exists(), "nothing created");
}
