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
//! meaning is ours — a verifier must know it from this documentation). The SM2 signature in the note
//! is the 64-byte `r || s` (big-endian) over the SM3 digest of Z_A || body, as GB/T 32918.2 defines;
//! its nonce comes from RFC 6979 HMAC-DRBG inside the `sm2` crate, so signing needs no randomness
//! source and this crate stays free of OS calls. Ed25519 is RFC 8032: deterministic through
//! [`SigningKey::sign`]; through [`SigningKey::sign_with`] its nonce is a [`Nonce`] made before the
//! message from caller-drawn randomness (see there), and the signature verifies the same way.
//!
//! Key text forms (one line each, like Go's `sumdb/note` keys):
//! verifying key `<name>+<hex key id>+<base64(alg byte || public key)>`, where the SM2 public key is
//! the 65-byte uncompressed SEC1 point; signing key
//! `PRIVATE+KEY+<name>+<hex key id>+<base64(alg byte || 32-byte secret)>`.
//!
//! Verification follows signed-note: the text must be UTF-8 with no control characters but
//! newline; the body ends at the last blank line; every signature line is
//! `— <name> <base64(key id || sig)>`; at most 100 signature lines; lines by other keys are ignored.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use curve25519_dalek::{EdwardsPoint, Scalar};
use ed25519_dalek::hazmat::ExpandedSecretKey;
use ed25519_dalek::{Signer, Verifier};
use sha2::{Digest, Sha256, Sha512};
use zeroize::{Zeroize, Zeroizing};

use crate::error::LedgerError;
use crate::hash::{Hash, HashAlg};

const ALG_ED25519: u8 = 0x01;
const ALG_SM2: u8 = 0xFF;
const SM2_DIST_ID: &str = "1234567812345678";
pub(crate) const EM_DASH: &str = "\u{2014} ";
/// n - 1 for the SM2 curve: a valid scalar but not a valid private key (1 + d has no inverse).
const SM2_N_MINUS_1: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x72, 0x03, 0xDF, 0x6B, 0x21, 0xC6, 0x05, 0x2B, 0x53, 0xBB, 0xF4, 0x09, 0x39, 0xD5, 0x41, 0x22,
];

/// A tree head: what the ledger commits to at one moment. Signed, it is the receipt an auditor
/// keeps; every later state must be provably consistent with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Names the log, e.g. `zhilu.ledger/v1 <install>`; one line, no control characters. It stops a
    /// checkpoint of one installation from being passed off as another's.
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 6962 root of the first `size` leaves.
    pub root: Hash,
    /// The tree's hash; written as the extension line `hash: sm3` when SM3, nothing when SHA-256
    /// (so SHA-256 checkpoints are plain C2SP checkpoints other tools can read).
    pub alg: HashAlg,
}

impl Checkpoint {
    /// The checkpoint body (the exact signed bytes):
    /// `<origin>\n<size>\n<base64 std root>\n` plus `hash: sm3\n` for SM3 trees.
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

    /// Parses a checkpoint body, strictly: canonical decimal size, 32-byte standard base64 root,
    /// and no extension line other than `hash: sm3`, so that one checkpoint has one byte form.
    pub fn parse_body(body: &str) -> Result<Self, LedgerError> {
        let bad = |m: &str| LedgerError::Malformed(format!("检查点{m}"));
        if body.chars().any(|c| c.is_control() && c != '\n') {
            return Err(bad("含控制字符"));
        }
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

/// Which signature algorithm a key uses; chosen once per installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    /// Ed25519 (RFC 8032), signed-note's standard algorithm, readable by C2SP tooling. Default.
    Ed25519,
    /// SM2 (GB/T 32918.2, default distinguishing ID), for national commercial-crypto deployments.
    Sm2,
}

impl SignatureKind {
    /// The stable lowercase name (`"ed25519"` / `"sm2"`) used in configuration.
    pub fn as_str(&self) -> &'static str {
        match self {
            SignatureKind::Ed25519 => "ed25519",
            SignatureKind::Sm2 => "sm2",
        }
    }

    /// Reads a name written by [`SignatureKind::as_str`] (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ed25519" => Some(SignatureKind::Ed25519),
            "sm2" => Some(SignatureKind::Sm2),
            _ => None,
        }
    }
}

enum Secret {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Sm2(Box<sm2::dsa::SigningKey>),
}

/// A named checkpoint-signing key. `Debug` never shows secret bytes (it prints the name and the
/// public key), so a key can sit in a logged configuration struct without leaking.
pub struct SigningKey {
    name: String,
    /// The key id, computed once (every signature line carries it).
    id: [u8; 4],
    secret: Secret,
}

/// A one-time Ed25519 nonce made before its message is known: the secret scalar `r` and its
/// commitment `R = r·B`, the point multiplication that is nine tenths of an Ed25519 signature's
/// cost. [`SigningKey::sign_with`] consumes it (it is neither `Clone` nor `Copy`, so the type
/// system forbids signing twice with one nonce, which would give the secret key away); `r` is
/// wiped when it is dropped.
///
/// Why by hand: a single-entry ledger commit signs inside its transaction, and RFC 8032's
/// deterministic nonce depends on the message, so ed25519-dalek computes `r·B` while the commit
/// waits. Made ahead on another thread, the signature left inside the commit is two SHA-512s and a
/// scalar multiply-add. The verifier cannot tell and need not: `s·B = R + H(R‖A‖M)·A` holds for any
/// `r`. What RFC 8032's determinism protects against, a weak random source, is covered by hedging:
/// `r` hashes the key's secret prefix with the caller's 32 random bytes and a counter, so it is
/// unpredictable while either the prefix stays secret or the bytes are random, and distinct per
/// draw. The curve arithmetic is curve25519-dalek's; only the two formulas of RFC 8032 §5.1.6
/// steps 2–5 are written here.
pub struct Nonce {
    key: [u8; 4],
    r: Scalar,
    commitment: [u8; 32],
}

impl Drop for Nonce {
    fn drop(&mut self) {
        self.r.zeroize();
    }
}

impl std::fmt::Debug for Nonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nonce").finish_non_exhaustive()
    }
}

/// Makes [`Nonce`]s for one Ed25519 key (from [`SigningKey::nonce_source`]); it holds a copy of
/// the key's secret nonce prefix (not the signing scalar), wiped when dropped.
pub struct NonceSource {
    key: [u8; 4],
    prefix: Zeroizing<[u8; 32]>,
    drawn: u64,
}

impl std::fmt::Debug for NonceSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceSource").finish_non_exhaustive()
    }
}

impl NonceSource {
    /// A nonce from 32 bytes the caller draws from the OS's random source.
    pub fn make(&mut self, random: &[u8; 32]) -> Nonce {
        self.drawn = self.drawn.wrapping_add(1);
        let mut h = Sha512::new();
        h.update(b"zhilu/ed25519-nonce/v1");
        h.update(self.prefix.as_slice());
        h.update(self.drawn.to_le_bytes());
        h.update(random);
        let mut wide = Zeroizing::new([0u8; 64]);
        wide.copy_from_slice(&h.finalize());
        let r = Scalar::from_bytes_mod_order_wide(&wide);
        Nonce {
            key: self.key,
            r,
            commitment: EdwardsPoint::mul_base(&r).compress().to_bytes(),
        }
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("name", &self.name)
            .field("public", &self.verifying_key().to_string())
            .finish_non_exhaustive()
    }
}

pub(crate) fn check_name(name: &str) -> Result<(), LedgerError> {
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

pub(crate) fn key_id(name: &str, alg: u8, public: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0A, alg]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl SigningKey {
    /// A key from 32 secret bytes the caller draws from the OS (this crate has no randomness).
    /// For Ed25519 the bytes are the RFC 8032 seed; for SM2 they are the big-endian private scalar,
    /// which must lie in [1, n-2] — out-of-range seeds (probability about 2^-32) are refused with
    /// [`LedgerError::InvalidKey`] so the caller draws again. `name` must be non-empty with no
    /// whitespace or `+` (signed-note key names).
    pub fn from_seed(kind: SignatureKind, name: &str, seed: [u8; 32]) -> Result<Self, LedgerError> {
        check_name(name)?;
        let secret = match kind {
            SignatureKind::Ed25519 => {
                Secret::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            SignatureKind::Sm2 if seed == SM2_N_MINUS_1 => {
                return Err(LedgerError::InvalidKey(
                    "SM2 私钥不能为 n-1（GB/T 32918 要求 1 ≤ d ≤ n-2），请重新生成".into(),
                ));
            }
            SignatureKind::Sm2 => Secret::Sm2(Box::new(
                sm2::dsa::SigningKey::from_slice(SM2_DIST_ID, &seed).map_err(|_| {
                    LedgerError::InvalidKey("SM2 私钥不在曲线阶范围内，请重新生成".into())
                })?,
            )),
        };
        let mut key = SigningKey {
            name: name.to_string(),
            id: [0; 4],
            secret,
        };
        let (alg, public) = key.alg_and_public();
        key.id = key_id(name, alg, &public);
        Ok(key)
    }

    /// The key name that appears on signature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which algorithm this key signs with.
    pub fn kind(&self) -> SignatureKind {
        match self.secret {
            Secret::Ed25519(_) => SignatureKind::Ed25519,
            Secret::Sm2(_) => SignatureKind::Sm2,
        }
    }

    fn alg_and_public(&self) -> (u8, Vec<u8>) {
        match &self.secret {
            Secret::Ed25519(k) => (ALG_ED25519, k.verifying_key().to_bytes().to_vec()),
            Secret::Sm2(k) => (ALG_SM2, k.verifying_key().to_sec1_bytes().to_vec()),
        }
    }

    /// The public half, to publish to auditors.
    pub fn verifying_key(&self) -> VerifyingKey {
        let (alg, public) = self.alg_and_public();
        VerifyingKey {
            name: self.name.clone(),
            id: self.id,
            alg,
            public,
        }
    }

    /// What makes nonces ahead of time for [`SigningKey::sign_with`]; `None` for an SM2 key
    /// (whose signatures take their nonce from RFC 6979 inside the `sm2` crate).
    pub fn nonce_source(&self) -> Option<NonceSource> {
        match &self.secret {
            Secret::Ed25519(k) => Some(NonceSource {
                key: self.id,
                prefix: Zeroizing::new(ExpandedSecretKey::from(k.as_bytes()).hash_prefix),
                drawn: 0,
            }),
            Secret::Sm2(_) => None,
        }
    }

    /// One line: `PRIVATE+KEY+<name>+<hex key id>+<base64(alg || secret)>`, for the key file. The
    /// `PRIVATE+KEY` prefix makes a leaked line recognisable to secret scanners.
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

    /// Parses [`SigningKey::to_secret_string`] output, checking the embedded key id so a corrupted
    /// file is refused rather than silently yielding a different key.
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

    /// Signs a checkpoint; returns the whole signed note (body, blank line, one signature line).
    /// Fails with [`LedgerError::Malformed`] for an empty origin or one with control characters,
    /// which would make the note ambiguous.
    pub fn sign(&self, cp: &Checkpoint) -> Result<String, LedgerError> {
        let body = checked_body(cp)?;
        let sig: Vec<u8> = match &self.secret {
            Secret::Ed25519(k) => k.sign(body.as_bytes()).to_bytes().to_vec(),
            Secret::Sm2(k) => {
                let s: sm2::dsa::Signature = k
                    .try_sign(body.as_bytes())
                    .map_err(|_| LedgerError::InvalidKey("SM2 签名计算失败".into()))?;
                s.to_bytes().to_vec()
            }
        };
        Ok(self.note(&body, &sig))
    }

    /// [`SigningKey::sign`] with a nonce made ahead by this key's [`NonceSource`], consumed here:
    /// RFC 8032 §5.1.6 from step 3, with `r` and `R` taken from the nonce. The note has the same
    /// form and verifies with the same public key as one from `sign`.
    pub fn sign_with(&self, cp: &Checkpoint, nonce: Nonce) -> Result<String, LedgerError> {
        let Secret::Ed25519(k) = &self.secret else {
            return Err(LedgerError::InvalidKey(
                "预先生成的签名随机数只用于 Ed25519 密钥".into(),
            ));
        };
        if nonce.key != self.id {
            return Err(LedgerError::InvalidKey(
                "签名随机数不是为此密钥生成的".into(),
            ));
        }
        let body = checked_body(cp)?;
        let public = k.verifying_key().to_bytes();
        let mut h = Sha512::new();
        h.update(nonce.commitment);
        h.update(public);
        h.update(body.as_bytes());
        let challenge = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let secret = ExpandedSecretKey::from(k.as_bytes());
        let s = challenge * secret.scalar + nonce.r;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&nonce.commitment);
        sig[32..].copy_from_slice(s.as_bytes());
        Ok(self.note(&body, &sig))
    }

    /// The signed note: the body, a blank line and this key's signature line.
    fn note(&self, body: &str, sig: &[u8]) -> String {
        let mut blob = Vec::with_capacity(4 + sig.len());
        blob.extend_from_slice(&self.id);
        blob.extend_from_slice(sig);
        format!("{body}\n{EM_DASH}{} {}\n", self.name, B64.encode(blob))
    }
}

/// The checkpoint's body text, refused for an empty origin or one with control characters.
fn checked_body(cp: &Checkpoint) -> Result<String, LedgerError> {
    if cp.origin.is_empty() || cp.origin.chars().any(char::is_control) {
        return Err(LedgerError::Malformed(
            "检查点来源不能为空或含控制字符".into(),
        ));
    }
    Ok(cp.body_text())
}

/// A named public key, what an auditor needs to check checkpoints. Its text form (via `Display` /
/// `to_string()` and [`VerifyingKey::parse`]) is `<name>+<hex key id>+<base64(alg || public key)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    name: String,
    id: [u8; 4],
    alg: u8,
    public: Vec<u8>,
}

/// A verifying key's one-line text form, `<name>+<hex key id>+<base64(alg byte || public key)>`
/// (Go's `sumdb/note` form), shared by log keys and witness keys.
pub(crate) fn key_text(name: &str, id: [u8; 4], alg: u8, public: &[u8]) -> String {
    let mut raw = vec![alg];
    raw.extend_from_slice(public);
    format!("{name}+{}+{}", hex::encode(id), B64.encode(raw))
}

/// Splits a key's text form into its name, the key id as written, the algorithm byte and the
/// public key, checking the name; `bad` words the errors. The caller checks the key itself and
/// that the id is the one it derives.
pub(crate) fn split_key_text<'a>(
    s: &'a str,
    bad: &dyn Fn(&str) -> LedgerError,
) -> Result<(&'a str, &'a str, u8, Vec<u8>), LedgerError> {
    // Base64 may itself contain '+': only the first two are separators.
    let mut parts = s.trim().splitn(3, '+');
    let (name, id, raw) = match (parts.next(), parts.next(), parts.next()) {
        (Some(n), Some(i), Some(r)) => (n, i, r),
        _ => return Err(bad("应为 名称+编号+密钥")),
    };
    check_name(name)?;
    let raw = B64.decode(raw).map_err(|_| bad("密钥不是 base64"))?;
    let (alg, public) = raw.split_first().ok_or_else(|| bad("密钥为空"))?;
    Ok((name, id, *alg, public.to_vec()))
}

impl std::fmt::Display for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&key_text(&self.name, self.id, self.alg, &self.public))
    }
}

impl std::str::FromStr for VerifyingKey {
    type Err = LedgerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VerifyingKey::parse(s)
    }
}

impl VerifyingKey {
    /// The key name expected on signature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signed-note key id (first 4 bytes of SHA-256(name || 0x0A || alg || public key)).
    pub fn key_id(&self) -> [u8; 4] {
        self.id
    }

    /// Which algorithm this key verifies.
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
        let (name, id, alg, public) = split_key_text(s, &bad)?;
        let (alg, public) = (&alg, public.as_slice());
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

/// Most signature lines a note may carry (signed-note's limit), bounding verification work.
const MAX_SIGNATURES: usize = 100;

/// Checks a signed note against `key` and returns the checkpoint it signs.
///
/// Errors, most specific first: [`LedgerError::Malformed`] for text that is not a signed note
/// (control characters, no blank line before the signatures, no final newline, a bad signature
/// line, a body that is not a checkpoint); [`LedgerError::NoSignatureByKey`] when no line carries
/// this key's name and id (e.g. the wrong key); [`LedgerError::BadSignature`] when one does but the
/// signature fails (the body was altered or the signature forged).
pub fn verify_checkpoint(note: &str, key: &VerifyingKey) -> Result<Checkpoint, LedgerError> {
    let malformed = |m: &str| LedgerError::Malformed(format!("签名检查点{m}"));
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(malformed("含控制字符"));
    }
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| malformed("缺少签名部分"))?;
    let (body, sigs) = (&note[..split + 1], &note[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(malformed("的签名行应以换行结尾"));
    }
    let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(malformed("的签名行过多"));
    }
    let mut found = false;
    for line in lines {
        let rest = line
            .strip_prefix(EM_DASH)
            .ok_or_else(|| malformed(&format!("的签名行格式错误：{line:?}")))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| malformed("的签名行缺少签名"))?;
        check_name(name).map_err(|_| malformed("的签名行密钥名无效"))?;
        let blob = B64
            .decode(b64)
            .map_err(|_| malformed("的签名不是 base64"))?;
        if blob.len() < 5 {
            return Err(malformed("的签名过短"));
        }
        if name != key.name || blob[..4] != key.id {
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

/// [`verify_checkpoint`] for raw bytes as read from a file or a database column: text that is not
/// UTF-8 is [`LedgerError::Malformed`], never a panic or a lossy conversion.
pub fn verify_checkpoint_bytes(note: &[u8], key: &VerifyingKey) -> Result<Checkpoint, LedgerError> {
    let text = std::str::from_utf8(note)
        .map_err(|_| LedgerError::Malformed("签名检查点不是 UTF-8 文本".into()))?;
    verify_checkpoint(text, key)
}
