//! Conformance suite for `ObjectRoot` implementations (local disk now; the S3 root will run the same
//! checks): write-once, no clobber, read-back verification, crash leftovers, quarantine.

use std::io::{Read, Write};

use sha2::{Digest, Sha256};
use zhilu_store::{LocalRoot, ObjectRoot, Vault};

fn digest(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
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

fn roots() -> Vec<(tempfile::TempDir, Box<dyn ObjectRoot>)> {
    let d = tempfile::tempdir().expect("tmp");
    let r = LocalRoot::create(d.path()).expect("open");
    vec![(d, Box::new(r))]
}

#[test]
fn r24_an_object_is_written_once_and_a_second_write_never_replaces_it() {
    for (_d, root) in roots() {
        let a = b"original bytes".to_vec();
        assert!(put(root.as_ref(), &a));
        assert!(
            !put(root.as_ref(), &a),
            "second write of the same object reports it existed"
        );
        let sha = hex::encode(digest(&a));
        assert_eq!(read(root.as_ref(), &sha), a);
        assert_eq!(root.list().expect("list"), vec![sha]);
    }
}

#[test]
fn r16_a_copy_altered_on_disk_before_it_is_finished_is_refused_and_leaves_nothing() {
    for (d, root) in roots() {
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
}

#[test]
fn r16_an_abandoned_write_leaves_no_partial_object() {
    for (d, root) in roots() {
        let mut p = root.begin().expect("begin");
        p.write_all(b"half a recording").expect("write");
        drop(p);
        assert!(root.list().expect("list").is_empty());
        assert_eq!(
            std::fs::read_dir(d.path().join("tmp"))
                .expect("tmp")
                .count(),
            0
        );
    }
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

#[test]
fn r18_quarantine_moves_a_copy_aside_without_deleting_it() {
    let d = tempfile::tempdir().expect("tmp");
    let root = LocalRoot::create(d.path()).expect("open");
    let a = b"evidence".to_vec();
    put(&root, &a);
    let sha = hex::encode(digest(&a));
    let to = root.quarantine(&sha, "t1").expect("quarantine");
    assert_eq!(std::fs::read(&to).expect("kept"), a);
    assert_eq!(root.size_of(&sha).expect("size"), None);
}

#[test]
fn r18_the_vault_writes_every_root_and_reports_presence_everywhere() {
    let (d1, d2) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    let vault = Vault::new(vec![
        Box::new(LocalRoot::create(d1.path()).expect("open")),
        Box::new(LocalRoot::create(d2.path()).expect("open")),
    ]);
    let a = b"two copies".to_vec();
    let mut pending = vault.begin().expect("begin");
    for p in &mut pending {
        p.write_all(&a).expect("write");
    }
    assert!(Vault::finish_all(pending, &digest(&a)).expect("finish"));
    let sha = hex::encode(digest(&a));
    assert!(vault.has_everywhere(&sha, a.len() as u64).expect("has"));
    assert!(!vault.has_everywhere(&sha, 3).expect("has"));
    assert!(
        !vault
            .has_everywhere("not-a-hash/../../etc/passwd", 1)
            .expect("hostile name")
    );
}
