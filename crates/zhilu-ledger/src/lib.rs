//! The audit ledger's mathematics, with no IO: an append-only RFC 6962 Merkle log whose tree hash is
//! SHA-256 or SM3, inclusion and consistency proofs and their verifiers (RFC 9162 §2.1), and signed
//! checkpoints in the C2SP `tlog-checkpoint` / `signed-note` text formats, signed with Ed25519 or SM2;
//! and the witness protocol's bytes (C2SP `tlog-cosignature` cosignatures, `tlog-witness`
//! add-checkpoint bodies), so an independent witness can cosign checkpoints.
//!
//! Storage is the caller's: the tree is kept as *perfect-subtree* hashes addressed by [`NodeId`], and
//! every operation is two-phase — a `*_needs` function names the nodes to fetch, the compute
//! function takes them through [`NodeSource`]. That lets the catalog keep nodes in SQL (async) while
//! this crate stays pure, and makes every root or proof cost O(log n) reads.
//!
//! Written by hand rather than taken from a crate: the maths is ~300 lines, the available crates are
//! young (ct-merkle) or lack domain separation and consistency proofs (rs_merkle), and we need SM3
//! and SM2 alongside SHA-256 and Ed25519. It is checked against the published RFC 6962 test vectors.
//!
//! The two-phase pattern, with a map standing in for the caller's database:
//!
//! ```
//! use std::collections::HashMap;
//! use zhilu_ledger::*;
//!
//! let alg = HashAlg::Sha256;
//! let mut store: HashMap<NodeId, Hash> = HashMap::new();
//! for (size, entry) in [b"a", b"b", b"c"].iter().enumerate() {
//!     let size = size as u64;
//!     // Phase 1: which nodes to read. Phase 2: compute from exactly those.
//!     let fetched: HashMap<NodeId, Hash> =
//!         append_needs(size).into_iter().map(|id| (id, store[&id])).collect();
//!     store.extend(append(alg, size, alg.leaf_hash(*entry), &fetched)?);
//! }
//! let head = root(alg, 3, &store)?;
//! let proof = inclusion_proof(alg, 1, 3, &store)?;
//! verify_inclusion(alg, &alg.leaf_hash(b"b"), 1, 3, &proof, &head)?;
//!
//! let key = SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [1; 32])?;
//! let note = key.sign(&Checkpoint { origin: "zhilu.ledger/v1 demo".into(), size: 3, root: head, alg })?;
//! assert_eq!(verify_checkpoint(&note, &key.verifying_key())?.root, head);
//! # Ok::<(), LedgerError>(())
//! ```

#![warn(missing_docs)]

mod checkpoint;
mod error;
mod hash;
mod tree;
mod witness;

pub use checkpoint::{
    Checkpoint, Nonce, NonceSource, SignatureKind, SigningKey, VerifyingKey, verify_checkpoint,
    verify_checkpoint_bytes,
};
pub use error::LedgerError;
pub use hash::{Hash, HashAlg};
pub use tree::{
    CompactRange, MemoryTree, NodeId, NodeSource, append, append_needs, consistency_needs,
    consistency_proof, inclusion_needs, inclusion_proof, root, root_needs, verify_consistency,
    verify_inclusion,
};
pub use witness::{
    AddCheckpoint, CosignerSigningKey, CosignerVerifyingKey, MAX_ADD_CHECKPOINT_BYTES,
    MAX_CONSISTENCY_PROOF_LINES, cosigned_message, verify_cosignature,
};
