//! Signed checkpoints: the tree head (origin, size, root) in the C2SP `tlog-checkpoint` text format,
//! signed as a C2SP `signed-note`. These bytes are what an auditor keeps and what proofs are checked
//! against, so the format is fixed and versioned (tests pin it):
//!
//! ```text
//! <origin>\n<size>\n<base64 root>\n[hash: sm3\n]\n— <key name> <base64(key id || signature)>\n
//! ```
//!
//! The optional extension line `hash: sm3` marks a tree hashed with SM3 (absent = SHA-256).
//! Key id = first 4 bytes of SHA-256(key name || 0x0A || algorithm byte || public key), as in
//! signed-note. Algorithm bytes: 0x01 Ed25519 (signed-note's own); 0xFF SM2 with the default
//! distinguishing ID "1234567812345678" (GB/T 32918; 0xFF is signed-note's "other" range, and this
//! meaning is ours — a verifier must know it from this documentation).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer, Verifier};
use sha2::{Digest, Sha256};

use crate::error::LedgerError;
use crate::hash::{Hash, HashAlg};

const ALG_ED25519: u8 = 0x01;
const ALG_SM2: u8 = 0xFF;
const SM2_DIST_ID: &str = "1234567812345678";
const EM_DASH: &str = "\u{2014} ";

/// A tree head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Names the log, e.g. `zhilu.ledger/v1 <install>`; one line, no control characters.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub alg: HashAlg,
}

impl Checkpoint {
    /// The checkpoint body (the signed bytes).
    pub fn body_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        if self.alg == HashAlg::Sm3 {
            s.push_str("hash: sm3\n");
        }
        s
    }

    /// Parses a checkpoint body.
    pub fn parse_body(body: &str) -> Result<Self, LedgerError> {
        let bad = |m: &str| LedgerError::Malformed(format!("检查点{m}"));
        let body = body.strip_suffix('\n').ok_or_else(|| bad("应以换行结尾"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| bad("缺少来源行"))?;
        let size_s = lines.next().ok_or_else(|| bad("缺少长度行"))?;
        if size_s.is_empty()
            || !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(bad("的长度不是规范的十进制数"));
        }
        let size: u64 = size_s.parse().map_err(|_| bad("的长度超出范围"))?;
        let root_v = B64
            .decode(lines.next().ok_or_else(|| bad("缺少根哈希行"))?)
            .map_err(|_| bad("的根哈希不是 base64"))?;
        let root: Hash = root_v
            .try_into()
            .map_err(|_| bad("的根哈希长度不是 32 字节"))?;
        let mut alg = HashAlg::Sha256;
        for ext in lines {
            match ext {
                "hash: sm3" => alg = HashAlg::Sm3,
                _ => return Err(bad(&format!("有无法识别的扩展行：{ext:?}"))),
            }
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            alg,
        })
    }
}

/// Which signature algorithm a key uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    Ed25519,
    Sm2,
}

enum Secret {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Sm2(Box<sm2::dsa::SigningKey>),
}

/// A named signing key. `Debug` never shows secret bytes.
pub struct SigningKey {
    name: String,
    secret: Secret,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("name", &self.name)
            .field("public", &self.verifying_key().to_string())
            .finish_non_exhaustive()
    }
}

fn check_name(name: &str) -> Result<(), LedgerError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(LedgerError::InvalidKey(format!(
            "密钥名 {name:?} 不能为空，也不能含空白或 +"
        )));
    }
    Ok(())
}

fn key_id(name: &str, alg: u8, public: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0A, alg]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl SigningKey {
    /// A key from 32 secret bytes (the caller draws them from the OS).
    pub fn from_seed(kind: SignatureKind, name: &str, seed: [u8; 32]) -> Result<Self, LedgerError> {
        check_name(name)?;
        let secret = match kind {
            SignatureKind::Ed25519 => {
                Secret::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            SignatureKind::Sm2 => Secret::Sm2(Box::new(
                sm2::dsa::SigningKey::from_slice(SM2_DIST_ID, &seed).map_err(|_| {
                    LedgerError::InvalidKey("SM2 私钥不在曲线阶范围内，请重新生成".into())
                })?,
            )),
        };
        Ok(SigningKey {
            name: name.to_string(),
            secret,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn alg_and_public(&self) -> (u8, Vec<u8>) {
        match &self.secret {
            Secret::Ed25519(k) => (ALG_ED25519, k.verifying_key().to_bytes().to_vec()),
            Secret::Sm2(k) => (ALG_SM2, k.verifying_key().to_sec1_bytes().to_vec()),
        }
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        let (alg, public) = self.alg_and_public();
        VerifyingKey {
            name: self.name.clone(),
            id: key_id(&self.name, alg, &public),
            alg,
            public,
        }
    }

    /// One line: `PRIVATE+KEY+<name>+<hex key id>+<base64(alg || secret)>`.
    pub fn to_secret_string(&self) -> String {
        let (alg, secret) = match &self.secret {
            Secret::Ed25519(k) => (ALG_ED25519, k.to_bytes().to_vec()),
            Secret::Sm2(k) => (ALG_SM2, k.to_bytes().to_vec()),
        };
        let mut raw = vec![alg];
        raw.extend_from_slice(&secret);
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex::encode(self.verifying_key().id),
            B64.encode(raw)
        )
    }

    /// Parses [`SigningKey::to_secret_string`] output.
    pub fn from_secret_string(s: &str) -> Result<Self, LedgerError> {
        let bad = || LedgerError::InvalidKey("私钥文件格式错误".into());
        let rest = s.trim().strip_prefix("PRIVATE+KEY+").ok_or_else(bad)?;
        // Base64 may itself contain '+': only the first two are separators.
        let mut parts = rest.splitn(3, '+');
        let (name, id, raw) = (
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
        );
        let raw = B64.decode(raw).map_err(|_| bad())?;
        let (alg, secret) = raw.split_first().ok_or_else(bad)?;
        let seed: [u8; 32] = secret.try_into().map_err(|_| bad())?;
        let kind = match *alg {
            ALG_ED25519 => SignatureKind::Ed25519,
            ALG_SM2 => SignatureKind::Sm2,
            _ => return Err(bad()),
        };
        let key = SigningKey::from_seed(kind, name, seed)?;
        if hex::encode(key.verifying_key().id) != id {
            return Err(LedgerError::InvalidKey(
                "私钥文件中的密钥编号与密钥不符".into(),
            ));
        }
        Ok(key)
    }

    /// Signs a checkpoint; returns the whole signed note.
    pub fn sign(&self, cp: &Checkpoint) -> Result<String, LedgerError> {
        if cp.origin.is_empty() || cp.origin.chars().any(char::is_control) {
            return Err(LedgerError::Malformed(
                "检查点来源不能为空或含控制字符".into(),
            ));
        }
        let body = cp.body_text();
        let sig: Vec<u8> = match &self.secret {
            Secret::Ed25519(k) => k.sign(body.as_bytes()).to_bytes().to_vec(),
            Secret::Sm2(k) => {
                let s: sm2::dsa::Signature = k
                    .try_sign(body.as_bytes())
                    .map_err(|_| LedgerError::BadSignature)?;
                s.to_bytes().to_vec()
            }
        };
        let mut blob = self.verifying_key().id.to_vec();
        blob.extend_from_slice(&sig);
        Ok(format!(
            "{body}\n{EM_DASH}{} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

/// A named public key: `<name>+<hex key id>+<base64(alg || public key)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    name: String,
    id: [u8; 4],
    alg: u8,
    public: Vec<u8>,
}

impl std::fmt::Display for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut raw = vec![self.alg];
        raw.extend_from_slice(&self.public);
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.id),
            B64.encode(raw)
        )
    }
}

impl VerifyingKey {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> SignatureKind {
        if self.alg == ALG_SM2 {
            SignatureKind::Sm2
        } else {
            SignatureKind::Ed25519
        }
    }

    /// Parses the one-line form, checking that the key id matches the key.
    pub fn parse(s: &str) -> Result<Self, LedgerError> {
        let bad = |m: &str| LedgerError::InvalidKey(format!("公钥格式错误：{m}"));
        // Base64 may itself contain '+': only the first two are separators.
        let mut parts = s.trim().splitn(3, '+');
        let (name, id, raw) = match (parts.next(), parts.next(), parts.next()) {
            (Some(n), Some(i), Some(r)) => (n, i, r),
            _ => return Err(bad("应为 名称+编号+密钥")),
        };
        check_name(name)?;
        let raw = B64.decode(raw).map_err(|_| bad("密钥不是 base64"))?;
        let (alg, public) = raw.split_first().ok_or_else(|| bad("密钥为空"))?;
        match *alg {
            ALG_ED25519 => {
                let arr: [u8; 32] = public
                    .try_into()
                    .map_err(|_| bad("Ed25519 公钥应为 32 字节"))?;
                ed25519_dalek::VerifyingKey::from_bytes(&arr)
                    .map_err(|_| bad("Ed25519 公钥无效"))?;
            }
            ALG_SM2 => {
                sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DIST_ID, public)
                    .map_err(|_| bad("SM2 公钥无效"))?;
            }
            _ => return Err(bad("未知的签名算法")),
        }
        let key = VerifyingKey {
            name: name.to_string(),
            id: key_id(name, *alg, public),
            alg: *alg,
            public: public.to_vec(),
        };
        if hex::encode(key.id) != id {
            return Err(bad("密钥编号与密钥不符"));
        }
        Ok(key)
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), LedgerError> {
        match self.alg {
            ALG_ED25519 => {
                let arr: [u8; 32] = self
                    .public
                    .as_slice()
                    .try_into()
                    .map_err(|_| LedgerError::BadSignature)?;
                let vk = ed25519_dalek::VerifyingKey::from_bytes(&arr)
                    .map_err(|_| LedgerError::BadSignature)?;
                let sig: [u8; 64] = sig.try_into().map_err(|_| LedgerError::BadSignature)?;
                vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
                    .map_err(|_| LedgerError::BadSignature)
            }
            ALG_SM2 => {
                let vk = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DIST_ID, &self.public)
                    .map_err(|_| LedgerError::BadSignature)?;
                let sig =
                    sm2::dsa::Signature::from_slice(sig).map_err(|_| LedgerError::BadSignature)?;
                vk.verify(msg, &sig).map_err(|_| LedgerError::BadSignature)
            }
            _ => Err(LedgerError::BadSignature),
        }
    }
}

/// Checks a signed note against `key` and returns the checkpoint it signs.
pub fn verify_checkpoint(note: &str, key: &VerifyingKey) -> Result<Checkpoint, LedgerError> {
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| LedgerError::Malformed("签名检查点缺少签名部分".into()))?;
    let (body, sigs) = (&note[..split + 1], &note[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(LedgerError::Malformed("签名行应以换行结尾".into()));
    }
    let mut found = false;
    for line in sigs.trim_end_matches('\n').split('\n') {
        let rest = line
            .strip_prefix(EM_DASH)
            .ok_or_else(|| LedgerError::Malformed(format!("签名行格式错误：{line:?}")))?;
        let (name, b64) = rest
            .rsplit_once(' ')
            .ok_or_else(|| LedgerError::Malformed("签名行缺少签名".into()))?;
        let blob = B64
            .decode(b64)
            .map_err(|_| LedgerError::Malformed("签名不是 base64".into()))?;
        if name != key.name || blob.len() < 4 || blob[..4] != key.id {
            continue;
        }
        found = true;
        key.verify(body.as_bytes(), &blob[4..])?;
    }
    if !found {
        return Err(LedgerError::NoSignatureByKey(key.name.clone()));
    }
    Checkpoint::parse_body(body)
}
