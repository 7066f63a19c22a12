//! The audit ledger's mathematics, with no IO: an append-only RFC 6962 Merkle log whose tree hash is
//! SHA-256 or SM3, inclusion and consistency proofs and their verifiers (RFC 9162 §2.1), and signed
//! checkpoints in the C2SP `tlog-checkpoint` / `signed-note` text formats, signed with Ed25519 or SM2.
//!
//! Storage is the caller's: the tree is kept as *perfect-subtree* hashes addressed by [`NodeId`], and
//! every operation is two-phase — a `*_needs` function names the nodes to fetch, the compute
//! function takes them through [`NodeSource`]. That lets the catalog keep nodes in SQL (async) while
//! this crate stays pure, and makes every root or proof cost O(log n) reads.
//!
//! Written by hand rather than taken from a crate: the maths is ~300 lines, the available crates are
//! young (ct-merkle) or lack domain separation and consistency proofs (rs_merkle), and we need SM3
//! and SM2 alongside SHA-256 and Ed25519. It is checked against the published RFC 6962 test vectors.

mod checkpoint;
mod error;
mod hash;
mod tree;

pub use checkpoint::{Checkpoint, SignatureKind, SigningKey, VerifyingKey, verify_checkpoint};
pub use error::LedgerError;
pub use hash::{Hash, HashAlg};
pub use tree::{
    CompactRange, MemoryTree, NodeId, NodeSource, append, append_needs, consistency_needs,
    consistency_proof, inclusion_needs, inclusion_proof, root, root_needs, verify_consistency,
    verify_inclusion,
};
