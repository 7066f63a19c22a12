//! The witness end to end: a log kept in a `MemoryTree` offers checkpoints over real HTTP on
//! 127.0.0.1 (and through the file mode), and the witness cosigns, refuses and records.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zhilu_ledger::{
    AddCheckpoint, Checkpoint, CosignerVerifyingKey, HashAlg, MemoryTree, SignatureKind,
    SigningKey, verify_cosignature,
};
use zhilu_witness::{Outcome, Response, Witness};

const ORIGIN: &str = "zhilu.ledger/v1 test-install";

struct Log {
    tree: MemoryTree,
    key: SigningKey,
}

impl Log {
    fn new(kind: SignatureKind, alg: HashAlg, salt: &str) -> Self {
        let mut tree = MemoryTree::new(alg);
        for i in 0..16 {
            tree.append(alg.leaf_hash(format!("{salt}{i}").as_bytes()));
        }
        Log {
            tree,
            key: SigningKey::from_seed(kind, "zhilu-ledger", [3; 32]).unwrap(),
        }
    }

    fn checkpoint(&self, size: u64) -> Checkpoint {
        Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: self.tree.root_at(size).unwrap(),
            alg: self.tree.alg(),
        }
    }

    fn offer(&self, old: u64, size: u64) -> Vec<u8> {
        let proof = if old == 0 || old > size {
            vec![]
        } else {
            self.tree.consistency_proof(old, size).unwrap()
        };
        AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: self.key.sign(&self.checkpoint(size)).unwrap(),
        }
        .to_bytes()
    }
}

fn witness(log: &Log) -> (tempfile::TempDir, CosignerVerifyingKey) {
    let dir = tempfile::tempdir().unwrap();
    let vk = zhilu_witness::init(dir.path(), "witness.example.gov.cn/w1").unwrap();
    zhilu_witness::trust(dir.path(), ORIGIN, &log.key.verifying_key().to_string()).unwrap();
    (dir, vk)
}

async fn spawn(dir: &Path) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let w = Arc::new(Witness::open(dir).unwrap());
    tokio::spawn(zhilu_witness::serve(listener, w));
    format!("http://{addr}")
}

/// A raw HTTP/1.1 exchange, to see the status, content type and body exactly.
async fn raw_post(url: &str, body: &[u8]) -> Response {
    let host = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST /add-checkpoint HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let ct = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    let content_type = if ct == zhilu_witness::CONTENT_TYPE_SIZE {
        zhilu_witness::CONTENT_TYPE_SIZE
    } else {
        assert_eq!(ct, zhilu_witness::CONTENT_TYPE_TEXT);
        zhilu_witness::CONTENT_TYPE_TEXT
    };
    Response {
        status,
        content_type,
        body: body.to_string(),
    }
}

fn status(dir: &Path) -> zhilu_witness::LogStatus {
    let mut s = zhilu_witness::status(dir, Duration::from_secs(3600)).unwrap();
    assert_eq!(s.len(), 1);
    s.remove(0)
}

async fn cosign(url: &str, log: &Log, old: u64, size: u64, vk: &CosignerVerifyingKey) {
    match zhilu_witness::add_checkpoint(url, log.offer(old, size))
        .await
        .unwrap()
    {
        Outcome::Cosigned(lines) => {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let t = verify_cosignature(&text, &log.checkpoint(size), vk).unwrap();
            let now = chrono::Utc::now().timestamp() as u64;
            assert!(
                t <= now && t + 60 > now,
                "cosignature time is the real clock"
            );
            // Appended to the log's note, it verifies as a note too.
            let note = format!("{}{text}", log.key.sign(&log.checkpoint(size)).unwrap());
            assert!(verify_cosignature(&note, &log.checkpoint(size), vk).is_ok());
        }
        other => panic!("not cosigned: {other:?}"),
    }
}

#[tokio::test]
async fn x1_http_round_trip_cosigns_3_then_7_and_the_cosignature_verifies() {
    for (kind, alg) in [
        (SignatureKind::Ed25519, HashAlg::Sha256),
        (SignatureKind::Sm2, HashAlg::Sm3),
    ] {
        let log = Log::new(kind, alg, "a");
        let (dir, vk) = witness(&log);
        let url = spawn(dir.path()).await;
        cosign(&url, &log, 0, 3, &vk).await;
        assert_eq!(status(dir.path()).size, 3);
        cosign(&url, &log, 3, 7, &vk).await;
        let s = status(dir.path());
        assert_eq!((s.size, s.conflicts, s.silent), (7, 0, false));
        assert!(s.last_cosigned_at.is_some());
        // The same checkpoint again is cosigned again (the log may have lost the answer).
        cosign(&url, &log, 7, 7, &vk).await;
    }
}

async fn at_7() -> (Log, tempfile::TempDir, CosignerVerifyingKey, String) {
    let log = Log::new(SignatureKind::Ed25519, HashAlg::Sha256, "a");
    let (dir, vk) = witness(&log);
    let url = spawn(dir.path()).await;
    cosign(&url, &log, 0, 3, &vk).await;
    cosign(&url, &log, 3, 7, &vk).await;
    (log, dir, vk, url)
}

#[tokio::test]
async fn x1_rollback_after_7_is_refused_and_recorded() {
    let (log, dir, _vk, url) = at_7().await;
    // Claiming the witness is at 7 while offering 3: old > size (400 per tlog-witness).
    let r = raw_post(&url, &log.offer(7, 3)).await;
    assert_eq!(r.status, 400, "{r:?}");
    // Claiming 3: the witness is at 7 (409 with its size).
    let r = raw_post(&url, &log.offer(3, 3)).await;
    assert_eq!(
        (r.status, r.content_type, r.body.as_str()),
        (409, zhilu_witness::CONTENT_TYPE_SIZE, "7\n")
    );
    let s = status(dir.path());
    assert_eq!((s.size, s.conflicts), (7, 2));
    let c = zhilu_witness::conflicts(dir.path()).unwrap();
    assert_eq!(c[1].offered_size, Some(3));
    assert_eq!(c[1].witness_size, Some(7));
    assert!(c[1].reason.contains("回滚"), "{}", c[1].reason);
}

#[tokio::test]
async fn x1_fork_same_size_other_root_is_409_and_recorded() {
    let (_log, dir, _vk, url) = at_7().await;
    let fork = Log::new(SignatureKind::Ed25519, HashAlg::Sha256, "b");
    let r = raw_post(&url, &fork.offer(7, 7)).await;
    assert_eq!(
        (r.status, r.content_type),
        (409, zhilu_witness::CONTENT_TYPE_TEXT)
    );
    assert!(r.body.contains("分叉"), "{}", r.body);
    let s = status(dir.path());
    assert_eq!((s.size, s.conflicts), (7, 1));
    // A fork that grows is caught by the proof instead.
    let r = raw_post(&url, &fork.offer(7, 9)).await;
    assert_eq!(r.status, 422);
    assert_eq!(status(dir.path()).conflicts, 2);
}

#[tokio::test]
async fn x1_bad_proof_is_422_and_recorded() {
    let (log, dir, _vk, url) = at_7().await;
    let mut req = AddCheckpoint::parse(&log.offer(7, 12)).unwrap();
    req.proof[0][0] ^= 1;
    let r = raw_post(&url, &req.to_bytes()).await;
    assert_eq!(r.status, 422, "{r:?}");
    req.proof.pop();
    assert_eq!(raw_post(&url, &req.to_bytes()).await.status, 422);
    let s = status(dir.path());
    assert_eq!((s.size, s.conflicts), (7, 2));
}

#[tokio::test]
async fn x1_unknown_origin_is_404_and_bad_log_signature_403() {
    let (log, dir, _vk, url) = at_7().await;
    let other = SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [4; 32]).unwrap();
    let mut cp = log.checkpoint(9);
    let forged = AddCheckpoint {
        old_size: 7,
        proof: log.tree.consistency_proof(7, 9).unwrap(),
        checkpoint: other.sign(&cp).unwrap(),
    };
    assert_eq!(raw_post(&url, &forged.to_bytes()).await.status, 403);
    cp.origin = "another.log/v1".into();
    let unknown = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: log.key.sign(&cp).unwrap(),
    };
    assert_eq!(raw_post(&url, &unknown.to_bytes()).await.status, 404);
    let c = zhilu_witness::conflicts(dir.path()).unwrap();
    assert_eq!(
        c.iter()
            .map(|c| (c.status, c.origin.as_str()))
            .collect::<Vec<_>>(),
        [(403, ORIGIN), (404, "another.log/v1")]
    );
    assert_eq!(status(dir.path()).size, 7);
}

#[tokio::test]
async fn x1_old_size_not_the_stored_one_is_409_with_the_size_body() {
    let (log, dir, _vk, url) = at_7().await;
    for old in [0, 3, 5] {
        let r = raw_post(&url, &log.offer(old, 12)).await;
        assert_eq!(
            (r.status, r.content_type, r.body.as_str()),
            (409, zhilu_witness::CONTENT_TYPE_SIZE, "7\n")
        );
    }
    // The client reads it as a conflict and the log retries from 7.
    assert_eq!(
        zhilu_witness::add_checkpoint(&url, log.offer(0, 12))
            .await
            .unwrap(),
        Outcome::Conflict { witness_size: 7 }
    );
    // A stale `old` for a tree that extends the witness's is the protocol's routine retry, not
    // a conflict: nothing is recorded, so real conflicts stand out.
    assert_eq!(status(dir.path()).conflicts, 0);
    // An older tree offered with a stale `old` is a rollback, and is recorded.
    let r = raw_post(&url, &log.offer(3, 5)).await;
    assert_eq!(r.status, 409);
    assert_eq!(status(dir.path()).conflicts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn x1_concurrent_offers_never_regress_the_stored_size() {
    let (log, dir, vk, url) = at_7().await;
    let log = Arc::new(log);
    // Nine offers from 7 at once: exactly one wins, the rest learn the new size.
    let mut tasks = Vec::new();
    for size in 8..=16 {
        let (url, log) = (url.clone(), log.clone());
        tasks.push(tokio::spawn(async move {
            (
                size,
                zhilu_witness::add_checkpoint(&url, log.offer(7, size))
                    .await
                    .unwrap(),
            )
        }));
    }
    let mut won = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            (size, Outcome::Cosigned(_)) => won.push(size),
            (_, Outcome::Conflict { witness_size }) => assert!(witness_size >= 8),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(won.len(), 1);
    assert_eq!(status(dir.path()).size, won[0]);
    // A slow offer of a smaller size arriving with a larger one: the size only grows.
    let w = won[0];
    if w < 16 {
        let stale = log.offer(7, 8);
        let (a, b) = tokio::join!(
            zhilu_witness::add_checkpoint(&url, log.offer(w, 16)),
            raw_post(&url, &stale),
        );
        assert!(matches!(a.unwrap(), Outcome::Cosigned(_)));
        assert_eq!(b.status, 409);
        assert_eq!(status(dir.path()).size, 16);
    }
    let _ = vk;
}

#[tokio::test]
async fn x1_file_mode_gives_the_same_result_as_http() {
    let log = Log::new(SignatureKind::Ed25519, HashAlg::Sha256, "a");
    let (dir, vk) = witness(&log);
    let url = spawn(dir.path()).await;
    // Air-gapped first offer, then HTTP continues from the state it left.
    let r = zhilu_witness::cosign_request(dir.path(), &log.offer(0, 3)).unwrap();
    assert_eq!(r.status, 200);
    assert!(verify_cosignature(&r.body, &log.checkpoint(3), &vk).is_ok());
    cosign(&url, &log, 3, 7, &vk).await;
    let r = zhilu_witness::cosign_request(dir.path(), &log.offer(7, 9)).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(status(dir.path()).size, 9);
    let fork = Log::new(SignatureKind::Ed25519, HashAlg::Sha256, "b");
    let mut bad_proof = AddCheckpoint::parse(&log.offer(9, 12)).unwrap();
    bad_proof.proof[0][5] ^= 0x40;
    let cases: Vec<Vec<u8>> = vec![
        log.offer(3, 12),
        log.offer(12, 3),
        fork.offer(9, 9),
        bad_proof.to_bytes(),
        b"garbage".to_vec(),
        log.offer(9, 12)[..40].to_vec(),
    ];
    for body in cases {
        let file = zhilu_witness::cosign_request(dir.path(), &body).unwrap();
        let http = raw_post(&url, &body).await;
        assert_eq!(file, http);
    }
    // Both refusals of each recordable case were recorded (3 cases × 2 ways: the stale `old`
    // for a longer tree is a routine retry, and garbage is malformed).
    assert_eq!(status(dir.path()).conflicts, 6);
}

#[tokio::test]
async fn x1_truncated_oversized_or_garbage_bodies_are_400_and_change_nothing() {
    let (log, dir, _vk, url) = at_7().await;
    let before = status(dir.path());
    let good = log.offer(7, 12);
    let mut oversized = good.clone();
    oversized.splice(0..0, vec![b'A'; 70 * 1024]);
    let mut huge_proof = b"old 7\n".to_vec();
    for _ in 0..64 {
        huge_proof.extend_from_slice(b"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n");
    }
    huge_proof.extend_from_slice(&good[good.iter().position(|&b| b == b'\n').unwrap() + 1..]);
    let cases: Vec<Vec<u8>> = vec![
        good[..good.len() - 1].to_vec(),
        good[..good.len() / 2].to_vec(),
        oversized,
        vec![0xff; 100],
        b"\x00\x01\x02".to_vec(),
        b"".to_vec(),
        huge_proof,
        String::from_utf8(good.clone())
            .unwrap()
            .replace("old 7", "old 07")
            .into_bytes(),
    ];
    for body in cases {
        let r = raw_post(&url, &body).await;
        assert_eq!(r.status, 400, "{r:?}");
        let f = zhilu_witness::cosign_request(dir.path(), &body).unwrap();
        assert_eq!(f.status, 400);
    }
    assert_eq!(status(dir.path()), before);
    assert!(zhilu_witness::conflicts(dir.path()).unwrap().is_empty());
    // And the witness still works.
    assert_eq!(raw_post(&url, &good).await.status, 200);
}

#[test]
fn x1_status_reports_silence_and_init_never_overwrites_the_key() {
    let log = Log::new(SignatureKind::Ed25519, HashAlg::Sha256, "a");
    let (dir, vk) = witness(&log);
    let later = chrono::Utc::now() + chrono::Duration::days(3);
    let s = zhilu_witness::status_at(dir.path(), Duration::from_secs(86400), later).unwrap();
    assert!(s[0].silent && s[0].silent_since.is_some());
    let s = zhilu_witness::status(dir.path(), Duration::from_secs(86400)).unwrap();
    assert!(!s[0].silent);
    let key_file = dir.path().join("witness.key");
    let before = std::fs::read(&key_file).unwrap();
    assert_eq!(
        zhilu_witness::init(dir.path(), "witness.example.gov.cn/w1").unwrap(),
        vk
    );
    assert!(zhilu_witness::init(dir.path(), "other/w2").is_err());
    assert_eq!(std::fs::read(&key_file).unwrap(), before);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Another key for a trusted origin is refused; the same one is a no-op.
    let other = SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [9; 32]).unwrap();
    assert!(zhilu_witness::trust(dir.path(), ORIGIN, &other.verifying_key().to_string()).is_err());
    zhilu_witness::trust(dir.path(), ORIGIN, &log.key.verifying_key().to_string()).unwrap();
}
