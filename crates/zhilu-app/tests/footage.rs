//! No footage is ever lost (R24, R26, R18): clearing a device removes only the very bytes that
//! were stored; the evidence store is never offloaded; footage is filed under a registered
//! officer.

use std::fs;
use std::path::{Path, PathBuf};

use zhilu_app::offload::{self, OffloadReport, OffloadRequest, Progress, Silent};
use zhilu_app::registry::{NewOfficer, add_officer, register_device};
use zhilu_app::testing::{TestApp, fixture};
use zhilu_app::{Actor, AppError, integrity};

const MP4: &str = "DSJ0001_000123_20261120093000_0001.MP4";
const WAV: &str = "REC_20261120_094000.WAV";

fn admin() -> Actor {
    Actor::test("000900")
}

/// A data directory with camera DSJ0001 and officer 000123 registered, and a device folder
/// holding one clip and one voice recording.
async fn station() -> (TestApp, PathBuf) {
    let t = TestApp::new().await;
    register_device(t.app(), &admin(), zhilu_app::testing::camera("DSJ0001"))
        .await
        .expect("device");
    add_officer(
        t.app(),
        &admin(),
        NewOfficer {
            id: "000123".into(),
            name: "周明".into(),
            unit: "一大队".into(),
            role: None,
        },
    )
    .await
    .expect("officer");
    let dir = t.device_dir("DSJ0001");
    fs::copy(fixture(MP4), dir.join(MP4)).expect("copy");
    fs::copy(fixture(WAV), dir.join(WAV)).expect("copy");
    (t, dir)
}

fn request(source: &Path, officer: &str, clear: bool) -> OffloadRequest {
    OffloadRequest {
        source: source.to_path_buf(),
        device: "DSJ0001".into(),
        officer: officer.into(),
        station: "CJZ-01".into(),
        device_clock: None,
        clear_device: clear,
    }
}

async fn ledger_size(t: &TestApp) -> u64 {
    t.app().catalog().ledger_head().await.expect("head").0
}

/// Runs `change` on the device folder after every file is copied and recorded, just before the
/// device is cleared (a careless clerk, or a camera still writing).
struct Meddle<F: Fn() + Sync>(F);
impl<F: Fn() + Sync> Progress for Meddle<F> {
    fn clearing(&self, _files: u64) {
        (self.0)();
    }
}

async fn offload_meddled(t: &TestApp, dir: &Path, change: impl Fn() + Sync) -> OffloadReport {
    offload::offload(
        t.app(),
        &admin(),
        &request(dir, "000123", true),
        &Meddle(change),
    )
    .await
    .expect("offload")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_a_file_appended_to_after_its_copy_stays_on_the_device_and_is_reported() {
    let (t, dir) = station().await;
    let clip = dir.join(MP4);
    let report = offload_meddled(&t, &dir, || {
        use std::io::Write;
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(&clip)
            .expect("open");
        f.write_all(b"three more seconds of footage")
            .expect("append");
    })
    .await;
    assert_eq!(report.imported, 2, "{report:#?}");
    assert!(
        clip.exists(),
        "the appended file was deleted from the device"
    );
    assert!(!dir.join(WAV).exists(), "the unchanged file is cleared");
    assert!(!report.device_cleared, "{report:#?}");
    assert_eq!(report.kept_on_device.len(), 1, "{report:#?}");
    assert_eq!(report.kept_on_device[0].file, MP4);
    assert!(
        report.kept_on_device[0].reason.contains("未清除"),
        "{report:#?}"
    );
    let session = t
        .app()
        .catalog()
        .session(&report.session)
        .await
        .expect("session")
        .expect("session row");
    assert!(!session.record.device_cleared);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_a_file_replaced_after_its_copy_stays_on_the_device_and_is_reported() {
    let (t, dir) = station().await;
    let clip = dir.join(MP4);
    let original = fs::read(&clip).expect("read");
    // Same name, same size, same bytes even: a new inode is a different file, never cleared
    // on the strength of the other one's copy.
    let report = offload_meddled(&t, &dir, || {
        let tmp = dir.join("new.tmp");
        fs::write(&tmp, &original).expect("write");
        fs::rename(&tmp, &clip).expect("replace");
    })
    .await;
    assert!(
        clip.exists(),
        "the replaced file was deleted from the device"
    );
    assert!(!dir.join(WAV).exists());
    assert!(!report.device_cleared);
    assert_eq!(report.kept_on_device.len(), 1, "{report:#?}");
    assert!(
        report.kept_on_device[0].reason.contains("替换"),
        "{report:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_a_file_rewritten_in_place_after_its_copy_stays_on_the_device() {
    let (t, dir) = station().await;
    let clip = dir.join(MP4);
    let report = offload_meddled(&t, &dir, || {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = fs::OpenOptions::new()
            .write(true)
            .open(&clip)
            .expect("open");
        f.seek(SeekFrom::Start(100)).expect("seek");
        f.write_all(b"X").expect("overwrite");
    })
    .await;
    assert!(clip.exists());
    assert_eq!(report.kept_on_device.len(), 1, "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_an_unchanged_device_is_cleared() {
    let (t, dir) = station().await;
    let report = offload::offload(t.app(), &admin(), &request(&dir, "000123", true), &Silent)
        .await
        .expect("offload");
    assert!(report.device_cleared, "{report:#?}");
    assert!(report.kept_on_device.is_empty());
    assert!(!dir.join(MP4).exists() && !dir.join(WAV).exists());
}

/// Offloading `source` with clearing asked for is refused, writes nothing and deletes nothing.
async fn assert_refused(t: &TestApp, source: &Path) {
    let objects = vault_objects(t);
    assert!(!objects.is_empty());
    let before = ledger_size(t).await;
    let err = offload::offload(t.app(), &admin(), &request(source, "000123", true), &Silent)
        .await
        .expect_err("offloading the evidence store must be refused");
    assert!(
        matches!(err, AppError::SourceIsEvidenceStore { .. }),
        "{source:?}: {err:?}"
    );
    assert!(err.to_string().contains("拒绝导入"), "{err}");
    assert_eq!(
        ledger_size(t).await,
        before,
        "a refused offload writes nothing"
    );
    assert_eq!(vault_objects(t), objects, "no stored copy was touched");
}

fn vault_objects(t: &TestApp) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&t.data().join("vault"), &mut out);
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r24_the_evidence_store_is_never_offloaded_nor_cleared() {
    let (t, dir) = station().await;
    offload::offload(t.app(), &admin(), &request(&dir, "000123", false), &Silent)
        .await
        .expect("offload");
    let primary = t.data().join("vault/primary");
    assert_refused(&t, &primary).await;
    assert_refused(&t, &t.data()).await;
    assert_refused(&t, t.scratch()).await;
    assert_refused(&t, &primary.join("objects/sha256")).await;
    let link = t.scratch().join("looks-like-a-camera");
    std::os::unix::fs::symlink(&primary, &link).expect("symlink");
    assert_refused(&t, &link).await;
    let through_dots = t.device_dir("x").join("../../data/vault/replica");
    assert_refused(&t, &through_dots).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_footage_of_an_unregistered_officer_is_refused_and_nothing_is_written() {
    let (t, dir) = station().await;
    let before = ledger_size(&t).await;
    let err = offload::offload(t.app(), &admin(), &request(&dir, "000777", true), &Silent)
        .await
        .expect_err("an unregistered officer must be refused");
    assert!(matches!(err, AppError::OfficerNotRegistered(_)), "{err:?}");
    assert!(
        err.to_string().contains("000777") && err.to_string().contains("未登记"),
        "{err}"
    );
    assert_eq!(ledger_size(&t).await, before);
    assert!(
        vault_objects(&t)
            .iter()
            .all(|p| !p.starts_with(t.data().join("vault/primary/objects")))
    );
    assert!(dir.join(MP4).exists() && dir.join(WAV).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_the_report_names_the_officer_and_the_station_operator() {
    let (t, dir) = station().await;
    let report = offload::offload(t.app(), &admin(), &request(&dir, "000123", false), &Silent)
        .await
        .expect("offload");
    assert_eq!(report.officer.as_str(), "000123");
    assert_eq!(report.operator, "000900");
}

/// Offloads the station's device (no clearing); returns the clip's SHA-256.
async fn stored(t: &TestApp, dir: &Path) -> String {
    offload::offload(t.app(), &admin(), &request(dir, "000123", false), &Silent)
        .await
        .expect("offload");
    let all = offload::recordings(t.app(), &admin(), None)
        .await
        .expect("recordings");
    all.iter()
        .find(|r| r.original_name == MP4)
        .expect("clip")
        .sha256
        .to_string()
}

fn object(t: &TestApp, root: &str, sha: &str) -> PathBuf {
    t.data()
        .join("vault")
        .join(root)
        .join("objects/sha256")
        .join(&sha[..2])
        .join(&sha[2..4])
        .join(sha)
}

async fn ledger_kinds(t: &TestApp) -> Vec<String> {
    let size = ledger_size(t).await;
    t.app()
        .catalog()
        .ledger_entries(0, size)
        .await
        .expect("entries")
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r18_a_recording_missing_from_every_root_is_lost_and_named_by_fixity_and_verify() {
    let (t, dir) = station().await;
    let sha = stored(&t, &dir).await;
    t.tampered();
    for root in ["primary", "replica"] {
        fs::remove_file(object(&t, root, &sha)).expect("rm");
    }
    for repair in [false, true] {
        let r = integrity::fixity(t.app(), &admin(), repair)
            .await
            .expect("fixity");
        assert_eq!(
            r.lost.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            vec![sha.clone()]
        );
        assert_eq!(r.unrepaired(), 2, "{r:#?}");
        assert_eq!(r.repairable(), 0, "nothing to repair from: {r:#?}");
        assert!(
            r.problems
                .iter()
                .all(|p| !p.repaired && p.detail.contains("无完好副本，无法修复")),
            "{r:#?}"
        );
    }
    let v = integrity::verify(t.app(), &admin()).await.expect("verify");
    assert!(
        v.problems.iter().any(
            |p| p.subject.as_deref() == Some(&format!("recording:{sha}"))
                && p.message.contains("丢失")
        ),
        "{:#?}",
        v.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r18_an_object_the_catalog_does_not_know_is_found_and_repair_quarantines_it() {
    let (t, _dir) = station().await;
    let bytes = fs::read(fixture(MP4)).expect("read");
    let sha: [u8; 32] = {
        use sha2::Digest;
        sha2::Sha256::digest(&bytes).into()
    };
    let hex_sha = hex::encode(sha);
    let root = &t.app().vault().roots()[0];
    let mut pending = root.begin().expect("begin");
    std::io::Write::write_all(&mut pending, &bytes).expect("write");
    pending.finish(&sha).expect("finish");

    let r = integrity::fixity(t.app(), &admin(), false)
        .await
        .expect("fixity");
    assert_eq!(r.orphans.len(), 1, "{r:#?}");
    assert_eq!(r.unrepaired(), 1, "an unknown object is a finding");
    let r = integrity::fixity(t.app(), &admin(), true)
        .await
        .expect("repair");
    let to = r.orphans[0].quarantined_to.clone().expect("quarantined");
    assert!(Path::new(&to).exists(), "moved aside, not deleted: {to}");
    assert!(!object(&t, "primary", &hex_sha).exists());
    assert_eq!(r.unrepaired(), 0);
    assert!(
        ledger_kinds(&t)
            .await
            .contains(&"object.quarantined".to_string())
    );
    let again = integrity::fixity(t.app(), &admin(), false)
        .await
        .expect("fixity");
    assert!(
        again.orphans.is_empty() && again.unrepaired() == 0,
        "{again:#?}"
    );
}

async fn link_is_not_a_copy(make_link: fn(&Path, &Path)) {
    let (t, dir) = station().await;
    let sha = stored(&t, &dir).await;
    let (primary, replica) = (object(&t, "primary", &sha), object(&t, "replica", &sha));
    fs::remove_file(&replica).expect("rm");
    make_link(&primary, &replica);
    let r = integrity::fixity(t.app(), &admin(), false)
        .await
        .expect("fixity");
    let p: Vec<_> = r
        .problems
        .iter()
        .filter(|p| p.problem == integrity::ProblemKind::NotACopy)
        .collect();
    assert_eq!(p.len(), 1, "{r:#?}");
    assert!(p[0].root.ends_with("replica") && p[0].detail.contains("不是独立副本"));
    assert_eq!(r.unrepaired(), 1);

    let r = integrity::fixity(t.app(), &admin(), true)
        .await
        .expect("repair");
    assert_eq!(r.unrepaired(), 0, "{r:#?}");
    let moved = r.problems[0]
        .quarantined_to
        .clone()
        .expect("link quarantined");
    assert!(fs::symlink_metadata(&moved).is_ok());
    use std::os::unix::fs::MetadataExt;
    let (a, b) = (
        fs::symlink_metadata(&primary).expect("primary"),
        fs::symlink_metadata(&replica).expect("replica"),
    );
    assert!(b.file_type().is_file() && (a.dev(), a.ino()) != (b.dev(), b.ino()));
    assert_eq!(
        fs::read(&replica).expect("read"),
        fs::read(&primary).expect("read")
    );
    assert!(
        ledger_kinds(&t)
            .await
            .contains(&"object.repaired".to_string())
    );
    let again = integrity::fixity(t.app(), &admin(), false)
        .await
        .expect("fixity");
    assert!(again.problems.is_empty(), "{again:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r18_a_replica_hard_linked_to_the_primary_is_not_a_copy_and_repair_makes_one() {
    link_is_not_a_copy(|from, to| fs::hard_link(from, to).expect("hard link")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r18_a_replica_symlinked_to_the_primary_is_not_a_copy_and_repair_makes_one() {
    link_is_not_a_copy(|from, to| std::os::unix::fs::symlink(from, to).expect("symlink")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r18_roots_on_one_filesystem_are_warned_about() {
    let (t, _dir) = station().await;
    let r = integrity::fixity(t.app(), &admin(), false)
        .await
        .expect("fixity");
    // Both default roots sit in the test's temporary folder: one filesystem.
    assert_eq!(r.shared_filesystems.len(), 1, "{r:#?}");
    assert_eq!(r.shared_filesystems[0].len(), 2);
    assert_eq!(r.unrepaired(), 0, "a warning, not a problem");
    assert_eq!(
        zhilu_app::setup::shared_filesystems(t.app()),
        r.shared_filesystems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r24_the_data_directory_is_for_its_owner_alone() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    let (t, dir) = station().await;
    let sha = stored(&t, &dir).await;
    let check = |t: &TestApp| {
        assert_eq!(mode(&t.data()), 0o700, "data directory");
        assert_eq!(mode(&t.data().join("keys/ledger.key")), 0o600);
        assert_eq!(mode(&t.data().join("keys/ledger.pub")), 0o600);
        let db = t.data().join("catalog.db");
        if db.exists() {
            assert_eq!(mode(&db), 0o600, "catalog");
        }
        for root in ["primary", "replica"] {
            assert_eq!(mode(&t.data().join("vault").join(root)), 0o700);
        }
    };
    check(&t);
    for root in ["primary", "replica"] {
        assert_eq!(mode(&object(&t, root, &sha)), 0o400, "stored object");
    }
    // A directory made by an earlier version, or loosened by hand: init tightens it again.
    fs::set_permissions(t.data(), fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::set_permissions(
        t.data().join("keys/ledger.key"),
        fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    let again = zhilu_app::App::init(
        t.data_dir(),
        zhilu_app::InitOptions {
            database_url: Some(t.db_url().to_string()),
            ..Default::default()
        },
        std::sync::Arc::new(zhilu_app::FixedClock(t.now())),
    )
    .await
    .expect("init again");
    again.close().await;
    check(&t);
}
