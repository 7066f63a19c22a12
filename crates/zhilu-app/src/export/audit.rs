//! The audit proofs in an evidence package (`audit/`): per file the exact ledger entry that stored
//! it, its leaf index and an RFC 6962 inclusion proof against a signed checkpoint; the checkpoint,
//! its signed body and bare signature for `openssl`, the public key (text and PEM), and witnesses'
//! cosignatures of that checkpoint. [`verify_package`] re-checks a package with `zhilu-ledger`.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use zhilu_export::bag::{self, FileDigests};
use zhilu_ledger::{Checkpoint, VerifyingKey};
use zhilu_model::Recording;

use crate::App;
use crate::error::AppError;

/// Where a file's proof is written: `audit/` and the first 32 hex digits of its SHA-256 (a disc's
/// Joliet names hold 64 characters; the whole hash and `.json` would be cut short there).
fn proof_path(sha256: &str) -> String {
    format!("audit/{}.json", sha256.get(..32).unwrap_or(sha256))
}

/// One file's proof, as written to `audit/<first 32 hex digits of its sha256>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Proof {
    /// The file's path in the package.
    file: String,
    sha256: String,
    sm3: String,
    /// The exact leaf data (the entry body as hashed).
    entry: String,
    leaf_index: u64,
    tree_size: u64,
    /// Hex hashes, RFC 6962 audit path.
    proof: Vec<String>,
}

/// The audit tag files of a package, with the leaf index of each file.
pub(super) struct Audit {
    pub files: Vec<(String, Vec<u8>)>,
    pub seqs: Vec<u64>,
    pub checkpoint_size: u64,
}

fn bad(m: impl Into<String>) -> AppError {
    AppError::ExportInvalid(m.into())
}

/// `(alg byte, public key)` of a key's text form `<name>+<id>+<base64(alg || key)>`.
fn key_bytes(key: &VerifyingKey) -> (u8, Vec<u8>) {
    let text = key.to_string();
    let raw = text
        .splitn(3, '+')
        .nth(2)
        .and_then(|b| B64.decode(b).ok())
        .unwrap_or_default();
    match raw.split_first() {
        Some((alg, public)) => (*alg, public.to_vec()),
        None => (0, Vec::new()),
    }
}

/// The key as a PEM SubjectPublicKeyInfo, for `openssl pkeyutl -pubin -inkey`.
fn key_pem(key: &VerifyingKey) -> String {
    let (alg, public) = key_bytes(key);
    let mut der = if alg == 0x01 {
        // Ed25519 (RFC 8410).
        vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ]
    } else {
        // id-ecPublicKey with the SM2 curve (1.2.156.10197.1.301), uncompressed point.
        vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d, 0x03, 0x42, 0x00,
        ]
    };
    der.extend_from_slice(&public);
    let b64 = B64.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

/// The signature bytes of `key`'s line in a signed note (without the 4-byte key id).
fn note_signature(note: &str, key: &VerifyingKey) -> Option<Vec<u8>> {
    let (_, sigs) = note.rsplit_once("\n\n")?;
    sigs.lines().find_map(|line| {
        let rest = line.strip_prefix("\u{2014} ")?;
        let (name, b64) = rest.split_once(' ')?;
        let blob = B64.decode(b64).ok()?;
        (name == key.name() && blob.len() > 4 && blob[..4] == key.key_id())
            .then(|| blob[4..].to_vec())
    })
}

/// An SM2 `r || s` signature as DER (what `openssl pkeyutl -verify` reads).
fn sm2_der(sig: &[u8]) -> Vec<u8> {
    let int = |b: &[u8]| {
        let mut v: Vec<u8> = b.iter().copied().skip_while(|x| *x == 0).collect();
        if v.first().is_none_or(|x| x & 0x80 != 0) {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let (r, s) = sig.split_at(sig.len() / 2);
    let body = [int(r), int(s)].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// Builds the audit files for `recordings` (their `digests` as written, in the same order): the
/// ledger head's signed checkpoint, and per recording its `recording.stored` entry and proof.
pub(super) async fn collect(
    app: &App,
    recordings: &[&Recording],
    digests: &[FileDigests],
) -> Result<Audit, AppError> {
    let size = app.catalog.ledger_size().await?;
    let note = app
        .catalog
        .checkpoint_at(size)
        .await?
        .ok_or_else(|| bad(format!("的审计日志长度 {size} 没有签名检查点")))?;
    let key = app.verifying_key();
    let cp = zhilu_ledger::verify_checkpoint(&note, key)?;
    let mut files = Vec::new();
    let mut seqs = Vec::new();
    for (rec, d) in recordings.iter().zip(digests) {
        let subject = format!("recording:{}", rec.sha256);
        let entry = app
            .catalog
            .ledger_entries_about(&subject, 1000)
            .await?
            .into_iter()
            .filter(|e| e.kind == "recording.stored")
            .min_by_key(|e| e.seq)
            .ok_or_else(|| bad(format!("：审计日志中没有 {} 的入库条目", rec.sha256)))?;
        let proof = app.catalog.inclusion_proof(entry.seq, cp.size).await?;
        zhilu_ledger::verify_inclusion(
            cp.alg,
            &cp.alg.leaf_hash(entry.body.as_bytes()),
            entry.seq,
            cp.size,
            &proof,
            &cp.root,
        )?;
        let p = Proof {
            file: d.path.clone(),
            sha256: rec.sha256.to_string(),
            sm3: rec.sm3.to_string(),
            entry: entry.body,
            leaf_index: entry.seq,
            tree_size: cp.size,
            proof: proof.iter().map(hex::encode).collect(),
        };
        let json = serde_json::to_vec_pretty(&p).map_err(|e| bad(e.to_string()))?;
        files.push((proof_path(rec.sha256.as_str()), json));
        seqs.push(p.leaf_index);
    }
    let sig = note_signature(&note, key).ok_or_else(|| bad("的检查点没有本日志密钥的签名"))?;
    let sig = if key_bytes(key).0 == 0x01 {
        sig
    } else {
        sm2_der(&sig)
    };
    files.push(("audit/checkpoint.txt".into(), note.clone().into_bytes()));
    files.push((
        "audit/checkpoint-body.txt".into(),
        cp.body_text().into_bytes(),
    ));
    files.push(("audit/checkpoint.sig".into(), sig));
    files.push(("audit/ledger.pub".into(), format!("{key}\n").into_bytes()));
    files.push(("audit/ledger.pub.pem".into(), key_pem(key).into_bytes()));
    let cosigs: String = app
        .catalog
        .cosignatures()
        .await?
        .into_iter()
        .filter(|c| c.size == cp.size)
        .map(|c| format!("{}\n", c.line))
        .collect();
    if !cosigs.is_empty() {
        files.push(("audit/witnesses.txt".into(), cosigs.into_bytes()));
    }
    Ok(Audit {
        files,
        seqs,
        checkpoint_size: cp.size,
    })
}

/// What a verified package holds.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    /// Payload files: path, original name, both hashes, size.
    pub files: Vec<PackageFile>,
    /// The checkpoint's origin (names the ledger) and size.
    pub origin: String,
    pub checkpoint_size: u64,
    /// The public key that signed the checkpoint (text form): compare with the agency's.
    pub key: String,
    /// `bag-info.txt`.
    pub info: std::collections::BTreeMap<String, String>,
}

/// One verified payload file.
#[derive(Debug, Clone, Serialize)]
pub struct PackageFile {
    pub path: String,
    pub original_name: String,
    pub sha256: String,
    pub sm3: String,
    pub size: u64,
    pub ledger_seq: u64,
}

/// Re-checks an evidence package without the catalog: the bag (manifests, oxum, tag manifest,
/// no extra or missing file), the checkpoint's signature by the key in the package, and every
/// file's inclusion proof against it. The first problem is [`AppError::ExportInvalid`], naming
/// the file.
pub async fn verify_package(dir: &Path) -> Result<PackageReport, AppError> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || verify_blocking(&dir, true))
        .await
        .map_err(|e| bad(format!("校验线程失败：{e}")))?
}

/// [`verify_package`] as the read-back of a package just written: SM3 is not computed a second
/// time (see `zhilu_export::bag::verify_written`); everything else is checked.
pub(super) async fn verify_written_package(dir: &Path) -> Result<PackageReport, AppError> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || verify_blocking(&dir, false))
        .await
        .map_err(|e| bad(format!("校验线程失败：{e}")))?
}

fn read_text(dir: &Path, rel: &str) -> Result<String, AppError> {
    std::fs::read_to_string(dir.join(rel))
        .map_err(|e| bad(format!("校验未通过：无法读取 {rel}：{e}")))
}

fn verify_blocking(dir: &Path, full: bool) -> Result<PackageReport, AppError> {
    let bagged = if full {
        bag::verify(dir)?
    } else {
        bag::verify_written(dir)?
    };
    let fail = |m: String| bad(format!("校验未通过：{m}"));
    let key_text = read_text(dir, "audit/ledger.pub")?;
    let key = VerifyingKey::parse(key_text.trim())
        .map_err(|e| fail(format!("audit/ledger.pub 不是有效的公钥：{e}")))?;
    let note = read_text(dir, "audit/checkpoint.txt")?;
    let cp: Checkpoint = zhilu_ledger::verify_checkpoint(&note, &key)
        .map_err(|e| fail(format!("audit/checkpoint.txt 的签名检查点无效：{e}")))?;
    let mut files = Vec::new();
    for f in &bagged.files {
        let sha = hex::encode(f.sha256);
        let rel = proof_path(&sha);
        let proof: Proof = serde_json::from_str(
            &read_text(dir, &rel)
                .map_err(|_| fail(format!("{} 没有审计日志的包含证明（缺少 {rel}）", f.path)))?,
        )
        .map_err(|e| fail(format!("{rel} 格式错误：{e}")))?;
        let entry: serde_json::Value = serde_json::from_str(&proof.entry)
            .map_err(|_| fail(format!("{rel} 中的日志条目不是 JSON")))?;
        let state_sm3 = entry["state"]["sm3"].as_str().unwrap_or(&proof.sm3);
        if proof.file != f.path
            || proof.sha256 != sha
            || proof.sm3 != hex::encode(f.sm3)
            || state_sm3 != proof.sm3
            || entry["subject"].as_str() != Some(&format!("recording:{sha}"))
            || entry["seq"].as_u64() != Some(proof.leaf_index)
        {
            return Err(fail(format!("{rel} 的审计日志条目与 {} 不符", f.path)));
        }
        if proof.tree_size != cp.size {
            return Err(fail(format!("{rel} 的日志长度与检查点不符")));
        }
        let path: Result<Vec<zhilu_ledger::Hash>, _> = proof
            .proof
            .iter()
            .map(|h| {
                let mut out = [0u8; 32];
                hex::decode_to_slice(h, &mut out).map(|_| out)
            })
            .collect();
        let path = path.map_err(|_| fail(format!("{rel} 的包含证明不是十六进制哈希")))?;
        zhilu_ledger::verify_inclusion(
            cp.alg,
            &cp.alg.leaf_hash(proof.entry.as_bytes()),
            proof.leaf_index,
            cp.size,
            &path,
            &cp.root,
        )
        .map_err(|e| {
            fail(format!(
                "{rel} 的包含证明与检查点不符（{e}）：{} 不能证明已记入审计日志",
                f.path
            ))
        })?;
        files.push(PackageFile {
            path: f.path.clone(),
            original_name: f.original_name.clone(),
            sha256: sha,
            sm3: hex::encode(f.sm3),
            size: f.size,
            ledger_seq: proof.leaf_index,
        });
    }
    Ok(PackageReport {
        files,
        origin: cp.origin,
        checkpoint_size: cp.size,
        key: key.to_string(),
        info: bagged.info,
    })
}
