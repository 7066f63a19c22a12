//! RFC 6962 hashing with a selectable algorithm: SHA-256 (international practice) or SM3
//! (GB/T 32905, for the national commercial-crypto assessment).

use sha2::{Digest, Sha256};
use sm3::Sm3;

/// A tree hash. Both supported algorithms give 32 bytes, so one fixed-size type serves either and
/// proofs can be stored and compared without allocation.
pub type Hash = [u8; 32];

/// The tree's hash function. Fixed for the life of a log: changing it would change every node, so
/// it is recorded with the log (and in SM3 checkpoints, see [`crate::Checkpoint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-256 (FIPS 180-4), the RFC 6962 / Certificate Transparency default; the published test
    /// vectors are in this hash.
    Sha256,
    /// SM3 (GB/T 32905-2016), for deployments assessed under the national commercial-cryptography
    /// rules (密评), with the same RFC 6962 domain separation.
    Sm3,
}

fn digest<D: Digest>(parts: &[&[u8]]) -> Hash {
    let mut d = D::new();
    for p in parts {
        d.update(p);
    }
    let out = d.finalize();
    let mut h = [0u8; 32];
    h.copy_from_slice(&out);
    h
}

impl HashAlg {
    fn h(&self, parts: &[&[u8]]) -> Hash {
        match self {
            HashAlg::Sha256 => digest::<Sha256>(parts),
            HashAlg::Sm3 => digest::<Sm3>(parts),
        }
    }

    /// RFC 6962 leaf hash: H(0x00 || data). The prefix keeps leaves and nodes from colliding.
    pub fn leaf_hash(&self, data: &[u8]) -> Hash {
        self.h(&[&[0x00], data])
    }

    /// RFC 6962 interior node hash: H(0x01 || left || right).
    pub fn node_hash(&self, left: &Hash, right: &Hash) -> Hash {
        self.h(&[&[0x01], left, right])
    }

    /// The root of the empty tree: H("") (RFC 6962 §2.1: MTH({}) = HASH()).
    pub fn empty_root(&self) -> Hash {
        self.h(&[])
    }

    /// The stable lowercase name (`"sha256"` / `"sm3"`) used in configuration and stored metadata.
    pub fn as_str(&self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sm3 => "sm3",
        }
    }

    /// Reads a name written by [`HashAlg::as_str`] (also accepting `sha-256` and any case), so a
    /// hand-edited configuration file is forgiving while stored values round-trip exactly.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Some(HashAlg::Sha256),
            "sm3" => Some(HashAlg::Sm3),
            _ => None,
        }
    }
}
