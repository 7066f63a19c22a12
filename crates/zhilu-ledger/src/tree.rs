//! The Merkle tree of RFC 6962 over perfect-subtree nodes, sans IO.
//!
//! Node `(level, index)` is the hash of leaves `[index << level, (index + 1) << level)`; level 0 holds
//! the leaf hashes. Only perfect subtrees are stored: they never change once complete, so an append
//! writes O(log n) new nodes and rewrites none. Every hash an RFC 6962 root or proof needs is the
//! hash of a range `[start, end)` made of at most O(log n) perfect, aligned subtrees.

use std::collections::{BTreeMap, HashMap};

use crate::error::LedgerError;
use crate::hash::{Hash, HashAlg};

/// The address of a perfect subtree: the unit the caller stores (one row per node), so that a
/// node, once written, never changes and an append only inserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves: 0 is a leaf hash, `l` covers `2^l` leaves (at most 63).
    pub level: u8,
    /// Position within the level: the node covers leaves `[index << level, (index + 1) << level)`.
    pub index: u64,
}

impl NodeId {
    /// Shorthand constructor, so call sites read `NodeId::new(level, index)` in that order.
    pub fn new(level: u8, index: u64) -> Self {
        NodeId { level, index }
    }

    /// The node's place in the in-order ("flat") layout of the tree: leaves at the even
    /// positions, node `(l, i)` at `(i << (l + 1)) + 2^l - 1`, between its two children. Entry
    /// `n` creates its leaf at `2n`, the last position yet, and its level-`l` parent at
    /// `2n - 2^l + 1`: a store keyed by position writes an append at the end of its index (only
    /// the rare high node lands a page or so back). `None` when the position would not fit in
    /// 63 bits (a log of more than 2^61 entries).
    pub fn position(self) -> Option<u64> {
        let level = u32::from(self.level);
        if level >= 62 {
            return None;
        }
        let start = self.index.checked_shl(level + 1)?;
        if start >> (level + 1) != self.index {
            return None;
        }
        let pos = start.checked_add((1u64 << level) - 1)?;
        (pos <= i64::MAX as u64).then_some(pos)
    }

    /// The node at `position` in the in-order layout ([`NodeId::position`]): its level is the
    /// number of trailing one bits.
    pub fn at_position(position: u64) -> Option<NodeId> {
        let level = position.trailing_ones();
        if level >= 62 || position > i64::MAX as u64 {
            return None;
        }
        Some(NodeId::new(level as u8, position >> (level + 1)))
    }
}

/// Where node hashes come from (a map the caller filled from its store, or a [`MemoryTree`]).
/// Synchronous and read-only on purpose: the caller fetches what a `*_needs` function named
/// (asynchronously, from SQL) and hands the result in, so this crate never does IO.
pub trait NodeSource {
    /// The hash of perfect subtree `id`, or `None` if the caller does not have it (the compute
    /// functions then fail with [`LedgerError::MissingNode`] naming it).
    fn node(&self, id: NodeId) -> Option<Hash>;
}

impl<T: NodeSource + ?Sized> NodeSource for &T {
    fn node(&self, id: NodeId) -> Option<Hash> {
        (**self).node(id)
    }
}

impl NodeSource for HashMap<NodeId, Hash> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.get(&id).copied()
    }
}

impl NodeSource for BTreeMap<NodeId, Hash> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.get(&id).copied()
    }
}

fn get(nodes: &impl NodeSource, id: NodeId) -> Result<Hash, LedgerError> {
    nodes.node(id).ok_or(LedgerError::MissingNode(id))
}

/// Largest power of two strictly less than `n` (n ≥ 2), the RFC 6962 split point.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The perfect subtrees that make up `[start, end)`, left to right. Valid for the ranges RFC 6962
/// roots and proofs use, whose starts are aligned to their left part.
fn range_nodes(start: u64, end: u64, out: &mut Vec<NodeId>) {
    let mut s = start;
    while s < end {
        let len = end - s;
        // The largest power of two that fits and that `s` is aligned to.
        let mut level = 63 - len.leading_zeros();
        if s != 0 {
            level = level.min(s.trailing_zeros());
        }
        out.push(NodeId::new(level as u8, s >> level));
        s += 1u64 << level;
    }
}

/// MTH of `[start, end)` from its perfect subtrees: H(P0, H(P1, … H(Pk-1, Pk))).
fn range_hash(
    alg: HashAlg,
    start: u64,
    end: u64,
    nodes: &impl NodeSource,
) -> Result<Hash, LedgerError> {
    let mut ids = Vec::new();
    range_nodes(start, end, &mut ids);
    let mut it = ids.iter().rev();
    let Some(last) = it.next() else {
        return Ok(alg.empty_root());
    };
    let mut acc = get(nodes, *last)?;
    for id in it {
        acc = alg.node_hash(&get(nodes, *id)?, &acc);
    }
    Ok(acc)
}

/// Nodes to read before appending leaf number `size` (0-based, i.e. the current tree size): the
/// left siblings the new leaf completes perfect subtrees with — one per trailing 1-bit of `size`.
pub fn append_needs(size: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut level = 0u8;
    let mut index = size;
    while index & 1 == 1 {
        out.push(NodeId::new(level, index - 1));
        index >>= 1;
        level += 1;
    }
    out
}

/// Appends leaf number `size`; returns the new perfect nodes to persist, the leaf itself first
/// and then each completed parent bottom-up. Existing nodes are never returned (they never change),
/// so the caller can store them with plain inserts.
pub fn append(
    alg: HashAlg,
    size: u64,
    leaf_hash: Hash,
    nodes: &impl NodeSource,
) -> Result<Vec<(NodeId, Hash)>, LedgerError> {
    let mut out = vec![(NodeId::new(0, size), leaf_hash)];
    let mut acc = leaf_hash;
    for left in append_needs(size) {
        acc = alg.node_hash(&get(nodes, left)?, &acc);
        out.push((NodeId::new(left.level + 1, left.index >> 1), acc));
    }
    Ok(out)
}

/// Nodes needed for the root of a tree of `size` leaves: the perfect subtrees of its binary
/// decomposition (one per 1-bit of `size`, none for the empty tree).
pub fn root_needs(size: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    range_nodes(0, size, &mut out);
    out
}

/// The RFC 6962 Merkle tree hash MTH of the first `size` leaves (H("") when `size` is 0), from the
/// nodes named by [`root_needs`].
pub fn root(alg: HashAlg, size: u64, nodes: &impl NodeSource) -> Result<Hash, LedgerError> {
    range_hash(alg, 0, size, nodes)
}

/// The ranges whose hashes form PATH(index, D[start:end]) (RFC 6962 §2.1.1), leaf level first.
fn path_ranges(index: u64, start: u64, end: u64, out: &mut Vec<(u64, u64)>) {
    if end - start <= 1 {
        return;
    }
    let k = split(end - start);
    if index < start + k {
        path_ranges(index, start, start + k, out);
        out.push((start + k, end));
    } else {
        path_ranges(index, start + k, end, out);
        out.push((start, start + k));
    }
}

/// The ranges whose hashes form SUBPROOF(m, D[start:end], b) (RFC 6962 §2.1.2).
fn subproof_ranges(m: u64, start: u64, end: u64, b: bool, out: &mut Vec<(u64, u64)>) {
    let n = end - start;
    if m == n {
        if !b {
            out.push((start, end));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof_ranges(m, start, start + k, b, out);
        out.push((start + k, end));
    } else {
        subproof_ranges(m - k, start + k, end, false, out);
        out.push((start, start + k));
    }
}

fn needs_of(ranges: &[(u64, u64)]) -> Vec<NodeId> {
    let mut out = Vec::new();
    for (s, e) in ranges {
        range_nodes(*s, *e, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<(u64, u64)>, LedgerError> {
    if index >= size {
        return Err(LedgerError::InvalidRange(format!(
            "条目序号 {index} 不小于日志长度 {size}"
        )));
    }
    let mut r = Vec::new();
    path_ranges(index, 0, size, &mut r);
    Ok(r)
}

fn consistency_ranges(old: u64, new: u64) -> Result<Vec<(u64, u64)>, LedgerError> {
    if old > new {
        return Err(LedgerError::InvalidRange(format!(
            "旧长度 {old} 大于新长度 {new}"
        )));
    }
    let mut r = Vec::new();
    if old > 0 && old < new {
        subproof_ranges(old, 0, new, true, &mut r);
    }
    Ok(r)
}

/// Nodes needed for an inclusion proof of leaf `index` in a tree of `size` leaves (sorted, no
/// duplicates). Fails with [`LedgerError::InvalidRange`] if `index >= size`.
pub fn inclusion_needs(index: u64, size: u64) -> Result<Vec<NodeId>, LedgerError> {
    Ok(needs_of(&inclusion_ranges(index, size)?))
}

/// The RFC 6962 audit path `PATH(index, D[size])` — RFC 9162's inclusion proof — for leaf `index`
/// in the tree of `size` leaves, leaf side first. Empty for a one-leaf tree.
pub fn inclusion_proof(
    alg: HashAlg,
    index: u64,
    size: u64,
    nodes: &impl NodeSource,
) -> Result<Vec<Hash>, LedgerError> {
    inclusion_ranges(index, size)?
        .into_iter()
        .map(|(s, e)| range_hash(alg, s, e, nodes))
        .collect()
}

/// Nodes needed for a consistency proof between sizes `old` and `new` (sorted, no duplicates;
/// none when `old` is 0 or equals `new`). Fails with [`LedgerError::InvalidRange`] if `old > new`.
pub fn consistency_needs(old: u64, new: u64) -> Result<Vec<NodeId>, LedgerError> {
    Ok(needs_of(&consistency_ranges(old, new)?))
}

/// The RFC 6962 consistency proof `PROOF(old, D[new])` (RFC 9162 §2.1.4). Empty when `old` is 0 or
/// equals `new`, the cases RFC 6962 leaves undefined and verifiers accept with an empty proof.
pub fn consistency_proof(
    alg: HashAlg,
    old: u64,
    new: u64,
    nodes: &impl NodeSource,
) -> Result<Vec<Hash>, LedgerError> {
    consistency_ranges(old, new)?
        .into_iter()
        .map(|(s, e)| range_hash(alg, s, e, nodes))
        .collect()
}

fn mismatch(what: &str) -> LedgerError {
    LedgerError::ProofMismatch(what.to_string())
}

/// Verifies an audit path (RFC 9162 §2.1.3.2): that `leaf_hash` is leaf `index` of the tree of
/// `size` leaves whose root is `root`. Written from the RFC's algorithm rather than by recomputing
/// the tree shape, so it is independent of the proof generator it checks. Errors:
/// [`LedgerError::InvalidRange`] if `index >= size`, [`LedgerError::ProofMismatch`] otherwise.
pub fn verify_inclusion(
    alg: HashAlg,
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), LedgerError> {
    if index >= size {
        return Err(LedgerError::InvalidRange(format!(
            "条目序号 {index} 不小于日志长度 {size}"
        )));
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            return Err(mismatch("包含证明过长"));
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = alg.node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = alg.node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(mismatch("包含证明过短"));
    }
    if &r != root {
        return Err(mismatch("包含证明算出的根哈希与检查点不符"));
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2): the tree of `new` leaves extends the tree of
/// `old` leaves without changing any of them — the check that detects a rewritten history.
///
/// `old == new` needs an empty proof and equal roots. `old == 0` needs an empty proof and, stricter
/// than trillian (which ignores it), `old_root` must be the empty-tree hash H(""): a checkpoint of
/// size 0 with any other root is itself forged.
pub fn verify_consistency(
    alg: HashAlg,
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), LedgerError> {
    if old > new {
        return Err(LedgerError::InvalidRange(format!(
            "旧长度 {old} 大于新长度 {new}"
        )));
    }
    if old == new {
        if !proof.is_empty() {
            return Err(mismatch("长度相同时一致性证明应为空"));
        }
        if old == 0 && *old_root != alg.empty_root() {
            return Err(mismatch("长度为 0 的旧根哈希不是空树哈希"));
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(mismatch("长度相同但根哈希不同"))
        };
    }
    if old == 0 {
        if !proof.is_empty() {
            return Err(mismatch("空树的一致性证明应为空"));
        }
        return if *old_root == alg.empty_root() {
            Ok(())
        } else {
            Err(mismatch("长度为 0 的旧根哈希不是空树哈希"))
        };
    }
    if proof.is_empty() {
        return Err(mismatch("一致性证明为空"));
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s_n == 0 {
            return Err(mismatch("一致性证明过长"));
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = alg.node_hash(c, &fr);
            sr = alg.node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = alg.node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(mismatch("一致性证明过短"));
    }
    if &fr != old_root {
        return Err(mismatch("一致性证明与旧根哈希不符：旧记录被改动"));
    }
    if &sr != new_root {
        return Err(mismatch("一致性证明与新根哈希不符"));
    }
    Ok(())
}

/// A streaming root: push leaf hashes in order, read the root at any point, O(log n) memory.
/// The verifier uses it to re-derive the root of millions of entries.
#[derive(Debug, Clone)]
pub struct CompactRange {
    alg: HashAlg,
    size: u64,
    /// Perfect subtree roots, largest (leftmost) first, with their levels.
    stack: Vec<(u8, Hash)>,
}

impl CompactRange {
    /// An empty range (size 0, root H("")) hashing with `alg`.
    pub fn new(alg: HashAlg) -> Self {
        CompactRange {
            alg,
            size: 0,
            stack: Vec::new(),
        }
    }

    /// Appends the next leaf hash, merging completed perfect subtrees (amortised O(1) hashes).
    pub fn push(&mut self, leaf_hash: Hash) {
        let mut node = (0u8, leaf_hash);
        while let Some(&(level, left)) = self.stack.last() {
            if level != node.0 {
                break;
            }
            self.stack.pop();
            node = (level + 1, self.alg.node_hash(&left, &node.1));
        }
        self.stack.push(node);
        self.size += 1;
    }

    /// Number of leaves pushed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The RFC 6962 root of the leaves pushed so far, equal to [`root`] for the same leaves;
    /// O(log n) hashes and does not consume the range, so it can be read at every checkpoint.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(_, mut acc)) = it.next() else {
            return self.alg.empty_root();
        };
        for (_, left) in it {
            acc = self.alg.node_hash(left, &acc);
        }
        acc
    }
}

/// An in-memory tree (one vector per level) for tests, benchmarks and offline verification. It
/// stores exactly the perfect nodes the catalog stores, goes through the same two-phase functions,
/// and so doubles as the reference the SQL-backed tree is compared with. About 64 bytes per leaf.
#[derive(Debug, Clone)]
pub struct MemoryTree {
    alg: HashAlg,
    levels: Vec<Vec<Hash>>,
}

impl NodeSource for MemoryTree {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.levels
            .get(id.level as usize)?
            .get(usize::try_from(id.index).ok()?)
            .copied()
    }
}

impl MemoryTree {
    /// An empty tree hashing with `alg`.
    pub fn new(alg: HashAlg) -> Self {
        MemoryTree {
            alg,
            levels: vec![Vec::new()],
        }
    }

    /// The tree's hash algorithm.
    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Appends a leaf hash through [`append`], storing the nodes it returns (the leaf and every
    /// perfect subtree it completes).
    pub fn append(&mut self, leaf_hash: Hash) {
        let new_nodes = append(self.alg, self.size(), leaf_hash, &*self)
            .expect("a MemoryTree holds every perfect node below its size");
        for (id, hash) in new_nodes {
            let level = id.level as usize;
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            debug_assert_eq!(self.levels[level].len() as u64, id.index);
            self.levels[level].push(hash);
        }
    }

    /// The root of the whole tree (H("") when empty).
    pub fn root(&self) -> Hash {
        root(self.alg, self.size(), self).expect("a MemoryTree holds every perfect node")
    }

    /// The root of the first `size` leaves, for checking older checkpoints. Fails with
    /// [`LedgerError::InvalidRange`] past the end.
    pub fn root_at(&self, size: u64) -> Result<Hash, LedgerError> {
        self.check_size(size)?;
        root(self.alg, size, self)
    }

    fn check_size(&self, size: u64) -> Result<(), LedgerError> {
        if size > self.size() {
            return Err(LedgerError::InvalidRange(format!(
                "请求的长度 {size} 超过日志长度 {}",
                self.size()
            )));
        }
        Ok(())
    }

    /// The audit path of leaf `index` in the tree's first `size` leaves ([`inclusion_proof`]).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        self.check_size(size)?;
        inclusion_proof(self.alg, index, size, self)
    }

    /// The consistency proof between the tree's first `old` and first `new` leaves
    /// ([`consistency_proof`]).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        self.check_size(new)?;
        consistency_proof(self.alg, old, new, self)
    }
}
