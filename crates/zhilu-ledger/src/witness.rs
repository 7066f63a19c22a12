//! The witness protocol's bytes, with no IO: C2SP `tlog-cosignature` (`cosignature/v1`, Ed25519)
//! and the request body of C2SP `tlog-witness` `add-checkpoint`. A witness is an independent party
//! that remembers the largest checkpoint it saw for each log and cosigns a new one only if it is
//! provably an extension of it — so a log that shows two histories is caught.
//!
//! Cosignature (tlog-cosignature, Ed25519 type): the signed message is
//!
//! ```text
//! cosignature/v1\ntime <POSIX seconds, canonical decimal>\n<checkpoint body, final newline included>
//! ```
//!
//! and the note signature line is `— <witness name> <base64(key id || timestamp || signature)>\n`
//! with a 4-byte key id, the 8-byte big-endian timestamp (≤ 2^63 - 1) and the 64-byte RFC 8032
//! signature. Key id = first 4 bytes of SHA-256(name || 0x0A || 0x04 || 32-byte public key), 0x04
//! being signed-note's type byte for timestamped Ed25519 cosignatures. The log's own signature may
//! be Ed25519 or SM2 (see [`crate::Checkpoint`]); cosignatures are always Ed25519, as the spec has it.
//!
//! Key text forms, in the style of the log keys: verifying key `<name>+<hex key id>+<base64(0x04 ||
//! public key)>` (signed-note's *vkey*); signing key `PRIVATE+KEY+<name>+<hex key id>+<base64(0x04 ||
//! 32-byte seed)>`.
//!
//! add-checkpoint body (tlog-witness): `old <size>\n`, zero to 63 consistency-proof lines (one
//! base64 hash each), an empty line, then the signed checkpoint note.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::Signer;

use crate::checkpoint::{Checkpoint, EM_DASH, check_name, key_id, key_text, split_key_text};
use crate::error::LedgerError;
use crate::hash::Hash;

/// signed-note's signature type byte for timestamped Ed25519 witness cosignatures.
const ALG_COSIGNATURE_V1: u8 = 0x04;
/// Most signature lines read from one note or response (signed-note's limit in this crate).
const MAX_SIGNATURES: usize = 100;
/// The largest timestamp a cosignature may carry (tlog-cosignature: it must not exceed 2^63 - 1).
const MAX_TIME: u64 = i64::MAX as u64;

/// The largest `add-checkpoint` body accepted: a 63-hash proof is ~3 KiB and a checkpoint with a
/// few dozen signatures a few KiB more, so 64 KiB leaves room without letting one request hold
/// much memory.
pub const MAX_ADD_CHECKPOINT_BYTES: usize = 64 * 1024;
/// tlog-witness: a client must not send more than 63 consistency-proof lines (a tree of up to 2^63
/// leaves never needs more).
pub const MAX_CONSISTENCY_PROOF_LINES: usize = 63;

/// The exact bytes a `cosignature/v1` signs for `cp` at `time`.
pub fn cosigned_message(cp: &Checkpoint, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{}", cp.body_text())
}

/// A witness's signing key (Ed25519). `Debug` shows the name and public key, never the seed.
pub struct CosignerSigningKey {
    name: String,
    key: Box<ed25519_dalek::SigningKey>,
}

impl std::fmt::Debug for CosignerSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignerSigningKey")
            .field("name", &self.name)
            .field("public", &self.verifying_key().to_string())
            .finish_non_exhaustive()
    }
}

impl CosignerSigningKey {
    /// A key from a 32-byte RFC 8032 seed the caller draws from the OS (this crate has no
    /// randomness). `name` follows signed-note: non-empty, no whitespace, no `+`; a schema-less URL
    /// such as `witness.example.gov.cn/w1` is recommended.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, LedgerError> {
        check_name(name)?;
        Ok(CosignerSigningKey {
            name: name.to_string(),
            key: Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)),
        })
    }

    /// The name on the cosignature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public half, which logs and their clients configure to accept this witness.
    pub fn verifying_key(&self) -> CosignerVerifyingKey {
        let public = self.key.verifying_key().to_bytes();
        CosignerVerifyingKey {
            name: self.name.clone(),
            id: key_id(&self.name, ALG_COSIGNATURE_V1, &public),
            public,
        }
    }

    /// One line: `PRIVATE+KEY+<name>+<hex key id>+<base64(0x04 || seed)>`, for the key file.
    pub fn to_secret_string(&self) -> String {
        let mut raw = vec![ALG_COSIGNATURE_V1];
        raw.extend_from_slice(&self.key.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex::encode(self.verifying_key().id),
            B64.encode(raw)
        )
    }

    /// Parses [`CosignerSigningKey::to_secret_string`] output; a wrong type byte (e.g. a log key,
    /// 0x01 or 0xFF) or a key id that does not match is refused, so a log key is never used as a
    /// witness key by mistake.
    pub fn from_secret_string(s: &str) -> Result<Self, LedgerError> {
        let bad = |m: &str| LedgerError::InvalidKey(format!("见证私钥格式错误：{m}"));
        let rest = s
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("应以 PRIVATE+KEY+ 开头"))?;
        let mut parts = rest.splitn(3, '+');
        let (name, id, raw) = match (parts.next(), parts.next(), parts.next()) {
            (Some(n), Some(i), Some(r)) => (n, i, r),
            _ => return Err(bad("应为 PRIVATE+KEY+名称+编号+密钥")),
        };
        let raw = B64.decode(raw).map_err(|_| bad("密钥不是 base64"))?;
        let (alg, seed) = raw.split_first().ok_or_else(|| bad("密钥为空"))?;
        if *alg != ALG_COSIGNATURE_V1 {
            return Err(bad("不是见证（cosignature/v1）密钥"));
        }
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad("种子应为 32 字节"))?;
        let key = CosignerSigningKey::from_seed(name, seed)?;
        if hex::encode(key.verifying_key().id) != id {
            return Err(bad("密钥编号与密钥不符"));
        }
        Ok(key)
    }

    /// Cosigns `cp` at `time` (POSIX seconds, the witness's real clock); returns the signature line
    /// including its final newline, ready to append to the note or to send as a response body.
    /// Fails with [`LedgerError::Malformed`] for an origin that would make the note ambiguous and
    /// with [`LedgerError::InvalidRange`] for a time past 2^63 - 1.
    pub fn sign_cosignature(&self, cp: &Checkpoint, time: u64) -> Result<String, LedgerError> {
        if cp.origin.is_empty() || cp.origin.chars().any(char::is_control) {
            return Err(LedgerError::Malformed(
                "检查点来源不能为空或含控制字符".into(),
            ));
        }
        if time > MAX_TIME {
            return Err(LedgerError::InvalidRange(format!(
                "副署时间 {time} 超过 2^63-1"
            )));
        }
        let sig = self.key.sign(cosigned_message(cp, time).as_bytes());
        let mut blob = Vec::with_capacity(4 + 8 + 64);
        blob.extend_from_slice(&self.verifying_key().id);
        blob.extend_from_slice(&time.to_be_bytes());
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!("{EM_DASH}{} {}\n", self.name, B64.encode(blob)))
    }
}

/// A witness's public key, as a log or an auditor configures it. Text form (`Display`,
/// [`CosignerVerifyingKey::parse`]): `<name>+<hex key id>+<base64(0x04 || 32-byte public key)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignerVerifyingKey {
    name: String,
    id: [u8; 4],
    public: [u8; 32],
}

impl std::fmt::Display for CosignerVerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&key_text(
            &self.name,
            self.id,
            ALG_COSIGNATURE_V1,
            &self.public,
        ))
    }
}

impl std::str::FromStr for CosignerVerifyingKey {
    type Err = LedgerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CosignerVerifyingKey::parse(s)
    }
}

impl CosignerVerifyingKey {
    /// The witness name expected on cosignature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id (first 4 bytes of SHA-256(name || 0x0A || 0x04 || public key)).
    pub fn key_id(&self) -> [u8; 4] {
        self.id
    }

    /// Parses the one-line form, checking the type byte (0x04) and that the key id matches.
    pub fn parse(s: &str) -> Result<Self, LedgerError> {
        let bad = |m: &str| LedgerError::InvalidKey(format!("见证公钥格式错误：{m}"));
        let (name, id, alg, public) = split_key_text(s, &bad)?;
        if alg != ALG_COSIGNATURE_V1 {
            return Err(bad("不是见证（cosignature/v1，类型 0x04）公钥"));
        }
        let public: [u8; 32] = public
            .as_slice()
            .try_into()
            .map_err(|_| bad("Ed25519 公钥应为 32 字节"))?;
        ed25519_dalek::VerifyingKey::from_bytes(&public).map_err(|_| bad("Ed25519 公钥无效"))?;
        let key = CosignerVerifyingKey {
            name: name.to_string(),
            id: key_id(name, ALG_COSIGNATURE_V1, &public),
            public,
        };
        if hex::encode(key.id) != id {
            return Err(bad("密钥编号与密钥不符"));
        }
        Ok(key)
    }
}

/// Checks the cosignature by `key` on `cp` and returns its time (POSIX seconds; the latest one if
/// the witness signed more than once). `text` is either signature lines (an `add-checkpoint`
/// response body) or a whole signed note, whose body must then be exactly `cp`'s.
///
/// As signed-note requires, lines by other keys — including one that shares only the name or only
/// the key id — are ignored. Errors: [`LedgerError::Malformed`] for text that is not signature
/// lines or a note over `cp`; [`LedgerError::NoSignatureByKey`] when no line is by `key`;
/// [`LedgerError::BadSignature`] when one is and fails (tampered, or a time past 2^63 - 1).
pub fn verify_cosignature(
    text: &str,
    cp: &Checkpoint,
    key: &CosignerVerifyingKey,
) -> Result<u64, LedgerError> {
    let malformed = |m: &str| LedgerError::Malformed(format!("副署签名{m}"));
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(malformed("含控制字符"));
    }
    let sigs = match text.rfind("\n\n") {
        Some(split) => {
            if text[..split + 1] != cp.body_text() {
                return Err(malformed("所在的检查点与要核对的检查点不同"));
            }
            &text[split + 2..]
        }
        None => text,
    };
    let lines = sigs
        .strip_suffix('\n')
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("行应以换行结尾"))?;
    let lines: Vec<&str> = lines.split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(malformed("行过多"));
    }
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&key.public)
        .map_err(|_| LedgerError::InvalidKey("Ed25519 公钥无效".into()))?;
    let mut latest: Option<u64> = None;
    for line in lines {
        let rest = line
            .strip_prefix(EM_DASH)
            .ok_or_else(|| malformed(&format!("行格式错误：{line:?}")))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| malformed("行缺少签名"))?;
        check_name(name).map_err(|_| malformed("行的密钥名无效"))?;
        let blob = B64.decode(b64).map_err(|_| malformed("不是 base64"))?;
        if blob.len() < 4 {
            return Err(malformed("过短"));
        }
        if name != key.name || blob[..4] != key.id {
            continue;
        }
        let (time, sig): ([u8; 8], [u8; 64]) = match (
            blob.get(4..12).and_then(|t| t.try_into().ok()),
            blob.get(12..).and_then(|s| s.try_into().ok()),
        ) {
            (Some(t), Some(s)) => (t, s),
            _ => return Err(LedgerError::BadSignature),
        };
        let time = u64::from_be_bytes(time);
        if time > MAX_TIME {
            return Err(LedgerError::BadSignature);
        }
        vk.verify_strict(
            cosigned_message(cp, time).as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .map_err(|_| LedgerError::BadSignature)?;
        latest = Some(latest.map_or(time, |t| t.max(time)));
    }
    latest.ok_or_else(|| LedgerError::NoSignatureByKey(key.name.clone()))
}

/// The body of a tlog-witness `add-checkpoint` request: the size the log believes the witness
/// holds, a consistency proof from it to the offered checkpoint, and the signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the latest checkpoint the witness cosigned for this log (0 if none).
    pub old_size: u64,
    /// RFC 6962 consistency proof from `old_size` to the checkpoint's size (empty when `old_size`
    /// is 0 or equals the size).
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, as the log signed it (other signatures may follow its own).
    pub checkpoint: String,
}

fn canonical_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl AddCheckpoint {
    /// Parses a request body strictly and within bounds: at most [`MAX_ADD_CHECKPOINT_BYTES`],
    /// UTF-8 without control characters but newline, a canonical `old` line, at most
    /// [`MAX_CONSISTENCY_PROOF_LINES`] proof lines of 32-byte canonical base64 each, an empty line,
    /// and a non-empty checkpoint ending in a newline. The note's signatures are not checked here
    /// (that needs the log's key: [`crate::verify_checkpoint`]). Any failure is
    /// [`LedgerError::Malformed`] — an HTTP 400.
    pub fn parse(body: &[u8]) -> Result<Self, LedgerError> {
        let bad = |m: &str| LedgerError::Malformed(format!("add-checkpoint 请求{m}"));
        if body.len() > MAX_ADD_CHECKPOINT_BYTES {
            return Err(bad(&format!(
                "过大（{} 字节，上限 {MAX_ADD_CHECKPOINT_BYTES} 字节）",
                body.len()
            )));
        }
        let text = std::str::from_utf8(body).map_err(|_| bad("不是 UTF-8 文本"))?;
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(bad("含控制字符"));
        }
        let (first, mut rest) = text.split_once('\n').ok_or_else(|| bad("不完整"))?;
        let old_size = first
            .strip_prefix("old ")
            .and_then(canonical_u64)
            .ok_or_else(|| bad("的第一行应为 “old <十进制长度>”"))?;
        let mut proof = Vec::new();
        loop {
            let (line, after) = rest
                .split_once('\n')
                .ok_or_else(|| bad("缺少一致性证明之后的空行"))?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_CONSISTENCY_PROOF_LINES {
                return Err(bad(&format!(
                    "的一致性证明超过 {MAX_CONSISTENCY_PROOF_LINES} 行"
                )));
            }
            let hash: Hash = B64
                .decode(line)
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| bad("的一致性证明行不是 32 字节的 base64 哈希"))?;
            proof.push(hash);
        }
        if rest.is_empty() || !rest.ends_with('\n') {
            return Err(bad("缺少签名检查点，或检查点不以换行结尾"));
        }
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint: rest.to_string(),
        })
    }

    /// The request body, byte for byte what [`AddCheckpoint::parse`] reads back.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!("old {}\n", self.old_size);
        for h in &self.proof {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s.into_bytes()
    }

    /// The checkpoint's origin (its first line), read before any signature is checked so the
    /// witness can find which key to check it with. [`LedgerError::Malformed`] if it is empty.
    pub fn origin(&self) -> Result<&str, LedgerError> {
        self.checkpoint
            .split('\n')
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| LedgerError::Malformed("add-checkpoint 请求的检查点缺少来源行".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::HashAlg;

    fn cp() -> Checkpoint {
        Checkpoint {
            origin: "example.com/behind-the-sofa".into(),
            size: 20852163,
            root: B64
                .decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
                .unwrap()
                .try_into()
                .unwrap(),
            alg: HashAlg::Sha256,
        }
    }

    fn key() -> CosignerSigningKey {
        CosignerSigningKey::from_seed("witness.example.com/w1", [7; 32]).unwrap()
    }

    #[test]
    fn x1_cosigned_message_is_the_spec_example() {
        assert_eq!(
            cosigned_message(&cp(), 1679315147),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n\
             CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }

    #[test]
    fn x1_cosignature_bytes_are_pinned() {
        // Cross-checked with an independent Python (`cryptography`) implementation of the spec:
        // key id = SHA-256(name || 0x0A || 0x04 || pub)[:4], blob = id || time_be || sig.
        let k = key();
        assert_eq!(
            k.verifying_key().to_string(),
            "witness.example.com/w1+8122a5ab+BOpKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs"
        );
        assert_eq!(
            k.sign_cosignature(&cp(), 1679315147).unwrap(),
            "— witness.example.com/w1 gSKlqwAAAABkGFDLWr4Jea05CAgwNVtwky0Jgz6WfX0QJgM//FkB/W9BoT9TX0DkTxG+2cT4p/ViKNhUM/SnUwFcYQzugGFQ15LwDw==\n"
        );
    }

    #[test]
    fn x1_cosignature_round_trips_as_line_and_as_note() {
        let k = key();
        let line = k.sign_cosignature(&cp(), 1700000000).unwrap();
        let vk = k.verifying_key();
        assert_eq!(verify_cosignature(&line, &cp(), &vk), Ok(1700000000));
        let note = format!("{}\n{line}", cp().body_text());
        assert_eq!(verify_cosignature(&note, &cp(), &vk), Ok(1700000000));
        let vk2: CosignerVerifyingKey = vk.to_string().parse().unwrap();
        assert_eq!(vk2, vk);
        let k2 = CosignerSigningKey::from_secret_string(&k.to_secret_string()).unwrap();
        assert_eq!(k2.verifying_key(), vk);
        assert!(!format!("{k:?}").contains(&k.to_secret_string()));
    }

    #[test]
    fn x1_cosignature_tampered_in_any_byte_is_refused() {
        let k = key();
        let vk = k.verifying_key();
        let line = k.sign_cosignature(&cp(), 1700000000).unwrap();
        let b64 = line.trim_end().rsplit(' ').next().unwrap();
        let blob = B64.decode(b64).unwrap();
        for i in 4..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 1;
            let l = format!("{EM_DASH}{} {}\n", vk.name(), B64.encode(&t));
            assert!(
                verify_cosignature(&l, &cp(), &vk).is_err(),
                "byte {i} flipped"
            );
        }
        let mut other = cp();
        other.size += 1;
        assert_eq!(
            verify_cosignature(&line, &other, &vk),
            Err(LedgerError::BadSignature)
        );
        let note = format!("{}\n{line}", other.body_text());
        assert!(matches!(
            verify_cosignature(&note, &cp(), &vk),
            Err(LedgerError::Malformed(_))
        ));
    }

    #[test]
    fn x1_cosignature_by_another_key_id_or_name_is_ignored() {
        let k = key();
        let vk = k.verifying_key();
        let line = k.sign_cosignature(&cp(), 1700000000).unwrap();
        let other = CosignerSigningKey::from_seed("witness.example.com/w1", [8; 32]).unwrap();
        let other_line = other.sign_cosignature(&cp(), 1700000001).unwrap();
        assert_eq!(
            verify_cosignature(&other_line, &cp(), &vk),
            Err(LedgerError::NoSignatureByKey(vk.name().into()))
        );
        // A line by another key before ours does not stop ours from being found.
        assert_eq!(
            verify_cosignature(&format!("{other_line}{line}"), &cp(), &vk),
            Ok(1700000000)
        );
        // Same key id under another name: ignored too.
        let renamed = line.replace("witness.example.com/w1", "witness.example.com/w2");
        assert!(matches!(
            verify_cosignature(&renamed, &cp(), &vk),
            Err(LedgerError::NoSignatureByKey(_))
        ));
        // A log key (type 0x01) is not a witness key.
        let log = crate::SigningKey::from_seed(crate::SignatureKind::Ed25519, "w", [7; 32])
            .unwrap()
            .verifying_key()
            .to_string();
        assert!(CosignerVerifyingKey::parse(&log).is_err());
        assert!(CosignerSigningKey::from_secret_string("PRIVATE+KEY+w+00+AA==").is_err());
    }

    #[test]
    fn x1_add_checkpoint_round_trips_and_is_pinned() {
        let req = AddCheckpoint {
            old_size: 20852014,
            proof: vec![[1; 32], [2; 32]],
            checkpoint: "example.com/x\n3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n— example.com/x AAAAAAAA\n"
                .into(),
        };
        let bytes = req.to_bytes();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "old 20852014\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\
             AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n\n\
             example.com/x\n3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n— example.com/x AAAAAAAA\n"
        );
        assert_eq!(AddCheckpoint::parse(&bytes), Ok(req.clone()));
        assert_eq!(req.origin(), Ok("example.com/x"));
        let zero = AddCheckpoint {
            old_size: 0,
            proof: vec![],
            checkpoint: "o\n0\nx\n\n— o AAAA\n".into(),
        };
        assert_eq!(AddCheckpoint::parse(&zero.to_bytes()), Ok(zero));
    }

    #[test]
    fn x1_add_checkpoint_refuses_bad_bodies() {
        let good = "old 1\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\nnote\n\n— k AAAA\n";
        assert!(AddCheckpoint::parse(good.as_bytes()).is_ok());
        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"old 1".to_vec(),
            b"old 01\n\nnote\n".to_vec(),
            b"old -1\n\nnote\n".to_vec(),
            b"old  1\n\nnote\n".to_vec(),
            b"old 18446744073709551616\n\nnote\n".to_vec(),
            b"new 1\n\nnote\n".to_vec(),
            b"old 1\nAQEB\n\nnote\n".to_vec(),
            b"old 1\nnot base64!\n\nnote\n".to_vec(),
            b"old 1\n\n".to_vec(),
            b"old 1\n\nnote".to_vec(),
            b"old 1\r\n\nnote\n".to_vec(),
            b"old 1\n\xff\n\nnote\n".to_vec(),
            // truncated anywhere before the checkpoint's final newline
            good.as_bytes()[..good.len() - 1].to_vec(),
            good.as_bytes()[..20].to_vec(),
        ];
        let mut long = "old 64\n".to_string();
        for _ in 0..64 {
            long.push_str("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n");
        }
        long.push_str("\nnote\n");
        cases.push(long.into_bytes());
        let mut big = b"old 0\n\n".to_vec();
        big.resize(MAX_ADD_CHECKPOINT_BYTES + 1, b'a');
        big.push(b'\n');
        cases.push(big);
        for c in cases {
            assert!(
                matches!(AddCheckpoint::parse(&c), Err(LedgerError::Malformed(_))),
                "accepted {:?}",
                String::from_utf8_lossy(&c)
            );
        }
        let mut max = "old 64\n".to_string();
        for _ in 0..63 {
            max.push_str("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n");
        }
        max.push_str("\nnote\n");
        assert_eq!(
            AddCheckpoint::parse(max.as_bytes()).unwrap().proof.len(),
            63
        );
    }
}
