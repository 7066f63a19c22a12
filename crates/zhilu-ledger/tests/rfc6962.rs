//! X1: the tree hashing and proofs agree with the RFC 6962 test vectors published with Certificate
//! Transparency and reused by Google trillian and transparency-dev/merkle. Sources (data only):
//! - leaves, every perfect-subtree node hash, roots of sizes 0..=8: google/trillian
//!   `merkle/testonly/constants.go` (`LeafInputs`, `NodeHashes`, `RootHashes`);
//! - inclusion and consistency proofs and the corruption probes: transparency-dev/merkle
//!   `proof/verify_test.go` (`inclusionProofs`, `consistencyProofs`, `corruptInclusionProof`,
//!   `corruptConsistencyProof`, `TestVerifyConsistency`), originally certificate-transparency's
//!   `merkle_tree_test.cc`. The Go vectors number leaves from 1; here indices are 0-based.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use zhilu_ledger::*;

const SHA: HashAlg = HashAlg::Sha256;

fn leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).expect("hex"))
    .collect()
}

fn h(s: &str) -> Hash {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).expect("hex");
    out
}

fn hs(v: &[&str]) -> Vec<Hash> {
    v.iter().map(|s| h(s)).collect()
}

/// Roots of sizes 1..=8 (`RootHashes()[1..]`).
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn root_of(size: u64) -> Hash {
    if size == 0 {
        SHA.empty_root()
    } else {
        h(ROOTS[size as usize - 1])
    }
}

/// Every perfect subtree of the 8-leaf tree, by level (`NodeHashes()`).
const NODE_HASHES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

/// `inclusionProofs` (0-based leaf index, size, path).
fn inclusion_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (0, 1, vec![]),
        (
            0,
            8,
            hs(&[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        ),
        (
            5,
            8,
            hs(&[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
        (
            2,
            3,
            hs(&["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        ),
        (
            1,
            5,
            hs(&[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]),
        ),
    ]
}

/// `consistencyProofs` (old size, new size, proof).
fn consistency_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            hs(&[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        ),
        (
            6,
            8,
            hs(&[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
        (
            2,
            5,
            hs(&[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]),
        ),
        (
            6,
            7,
            hs(&[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
    ]
}

fn tree(alg: HashAlg, n: usize) -> MemoryTree {
    let mut t = MemoryTree::new(alg);
    for l in leaves().iter().take(n) {
        t.append(alg.leaf_hash(l));
    }
    t
}

/// `sha256SomeHash` in verify_test.go: an arbitrary hash no proof should reach.
fn some_hash() -> Hash {
    h("abacaba000000000000000000000000000000000000000000060061e00123456")
}

#[test]
fn x1_empty_tree_root_is_the_hash_of_nothing() {
    assert_eq!(
        SHA.empty_root(),
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    // SM3("") from GB/T 32905 implementations (`printf '' | openssl dgst -sm3`).
    assert_eq!(
        HashAlg::Sm3.empty_root(),
        h("1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b")
    );
    for alg in [SHA, HashAlg::Sm3] {
        let empty = MemoryTree::new(alg);
        assert_eq!(empty.root(), alg.empty_root());
        assert_eq!(root_needs(0), Vec::<NodeId>::new());
        assert_eq!(
            root(alg, 0, &HashMap::<NodeId, Hash>::new()),
            Ok(alg.empty_root())
        );
        assert_eq!(CompactRange::new(alg).root(), alg.empty_root());
        assert_eq!(CompactRange::new(alg).size(), 0);
    }
}

#[test]
fn x1_every_stored_node_matches_the_published_node_hashes() {
    let t = tree(SHA, 8);
    for (level, row) in NODE_HASHES.iter().enumerate() {
        for (index, want) in row.iter().enumerate() {
            let id = NodeId::new(level as u8, index as u64);
            assert_eq!(t.node(id), Some(h(want)), "{id:?}");
        }
    }
    assert_eq!(t.node(NodeId::new(0, 8)), None);
    assert_eq!(t.node(NodeId::new(4, 0)), None);
}

#[test]
fn x1_roots_of_every_prefix_match_the_rfc6962_vectors() {
    let t = tree(SHA, 8);
    let mut cr = CompactRange::new(SHA);
    for (i, l) in leaves().iter().enumerate() {
        let size = i as u64 + 1;
        cr.push(SHA.leaf_hash(l));
        assert_eq!(t.root_at(size).expect("root"), root_of(size), "size {size}");
        assert_eq!(cr.root(), root_of(size), "compact range, size {size}");
        assert_eq!(cr.size(), size);
        // A tree built only up to this size agrees too (its nodes are a subset).
        assert_eq!(tree(SHA, i + 1).root(), root_of(size));
    }
    assert!(matches!(t.root_at(9), Err(LedgerError::InvalidRange(_))));
}

#[test]
fn x1_inclusion_proofs_match_the_rfc6962_vectors() {
    let t = tree(SHA, 8);
    for (index, size, want) in inclusion_vectors() {
        let proof = t.inclusion_proof(index, size).expect("proof");
        assert_eq!(proof, want, "leaf {index} in {size}");
        let leaf = SHA.leaf_hash(&leaves()[index as usize]);
        verify_inclusion(SHA, &leaf, index, size, &proof, &root_of(size)).expect("verifies");
    }
}

#[test]
fn x1_consistency_proofs_match_the_rfc6962_vectors() {
    let t = tree(SHA, 8);
    for (old, new, want) in consistency_vectors() {
        let proof = t.consistency_proof(old, new).expect("proof");
        assert_eq!(proof, want, "{old} -> {new}");
        verify_consistency(SHA, old, new, &root_of(old), &root_of(new), &proof).expect("verifies");
    }
}

fn with(proof: &[Hash], f: impl FnOnce(&mut Vec<Hash>)) -> Vec<Hash> {
    let mut p = proof.to_vec();
    f(&mut p);
    p
}

/// The probes of `corruptInclusionProof`: each must be refused.
#[test]
fn x1_corrupted_inclusion_proofs_are_refused() {
    for (index, size, proof) in inclusion_vectors() {
        let root = root_of(size);
        let leaf = SHA.leaf_hash(&leaves()[index as usize]);
        let mut probes: Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (
                "index-1".into(),
                index.wrapping_sub(1),
                size,
                root,
                leaf,
                proof.clone(),
            ),
            ("index+1".into(), index + 1, size, root, leaf, proof.clone()),
            ("index^2".into(), index ^ 2, size, root, leaf, proof.clone()),
            ("size*2".into(), index, size * 2, root, leaf, proof.clone()),
            ("size/2".into(), index, size / 2, root, leaf, proof.clone()),
            (
                "wrong leaf".into(),
                index,
                size,
                root,
                SHA.leaf_hash(b"WrongLeaf"),
                proof.clone(),
            ),
            (
                "empty root".into(),
                index,
                size,
                SHA.empty_root(),
                leaf,
                proof.clone(),
            ),
            (
                "random root".into(),
                index,
                size,
                some_hash(),
                leaf,
                proof.clone(),
            ),
            (
                "trailing root".into(),
                index,
                size,
                root,
                leaf,
                with(&proof, |p| p.push(root)),
            ),
            (
                "preceding root".into(),
                index,
                size,
                root,
                leaf,
                with(&proof, |p| p.insert(0, root)),
            ),
        ];
        for i in 0..proof.len() {
            let bad = with(&proof, |p| p[i][0] ^= 8);
            probes.push((format!("proof[{i}] bit 3"), index, size, root, leaf, bad));
        }
        if !proof.is_empty() {
            let bad = with(&proof, |p| {
                p.pop();
            });
            probes.push(("removed component".into(), index, size, root, leaf, bad));
        }
        if proof.len() > 1 {
            let bad = with(&proof, |p| p.insert(1, some_hash()));
            probes.push(("inserted component".into(), index, size, root, leaf, bad));
        }
        for (desc, i, s, r, l, p) in probes {
            assert!(
                verify_inclusion(SHA, &l, i, s, &p, &r).is_err(),
                "leaf {index} in {size}: {desc} verified"
            );
        }
    }
    // `TestVerifyInclusion`: nothing is in an empty tree, nothing is past the end.
    for (index, size) in [(0, 0), (1, 0), (2, 1), (1, 1)] {
        assert!(matches!(
            verify_inclusion(SHA, &some_hash(), index, size, &[], &SHA.empty_root()),
            Err(LedgerError::InvalidRange(_))
        ));
    }
    // A one-leaf tree: the root is the leaf hash and the proof is empty.
    let leaf = SHA.leaf_hash(b"data");
    assert!(verify_inclusion(SHA, &leaf, 0, 1, &[], &leaf).is_ok());
    assert!(verify_inclusion(SHA, &leaf, 0, 1, &[], &some_hash()).is_err());
}

/// The probes of `corruptConsistencyProof` and the table of `TestVerifyConsistency`.
#[test]
fn x1_corrupted_consistency_proofs_are_refused() {
    for (old, new, proof) in consistency_vectors() {
        if proof.is_empty() {
            continue;
        }
        let (r1, r2) = (root_of(old), root_of(new));
        let mut probes: Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            ("old-1".into(), old - 1, new, r1, r2, proof.clone()),
            ("old+1".into(), old + 1, new, r1, r2, proof.clone()),
            ("old^2".into(), old ^ 2, new, r1, r2, proof.clone()),
            ("new*2".into(), old, new * 2, r1, r2, proof.clone()),
            ("new/2".into(), old, new / 2, r1, r2, proof.clone()),
            (
                "wrong root1".into(),
                old,
                new,
                some_hash(),
                r2,
                proof.clone(),
            ),
            (
                "wrong root2".into(),
                old,
                new,
                r1,
                some_hash(),
                proof.clone(),
            ),
            ("swapped roots".into(), old, new, r2, r1, proof.clone()),
            ("empty proof".into(), old, new, r1, r2, vec![]),
            (
                "trailing root1".into(),
                old,
                new,
                r1,
                r2,
                with(&proof, |p| p.push(r1)),
            ),
            (
                "trailing root2".into(),
                old,
                new,
                r1,
                r2,
                with(&proof, |p| p.push(r2)),
            ),
            (
                "preceding root1".into(),
                old,
                new,
                r1,
                r2,
                with(&proof, |p| p.insert(0, r1)),
            ),
            (
                "preceding root2".into(),
                old,
                new,
                r1,
                r2,
                with(&proof, |p| p.insert(0, r2)),
            ),
            (
                "preceding proof[0]".into(),
                old,
                new,
                r1,
                r2,
                with(&proof, |p| p.insert(0, p[0])),
            ),
            (
                "truncated".into(),
                old,
                new,
                r1,
                r2,
                with(&proof, |p| {
                    p.pop();
                }),
            ),
        ];
        for i in 0..proof.len() {
            let bad = with(&proof, |p| p[i][0] ^= 16);
            probes.push((format!("proof[{i}] bit 4"), old, new, r1, r2, bad));
        }
        for (desc, o, n, a, b, p) in probes {
            assert!(
                verify_consistency(SHA, o, n, &a, &b, &p).is_err(),
                "{old} -> {new}: {desc} verified"
            );
        }
    }

    let (e, x, y) = (SHA.empty_root(), some_hash(), root_of(1));
    // Always consistent (with the empty proof).
    assert!(verify_consistency(SHA, 0, 0, &e, &e, &[]).is_ok());
    assert!(verify_consistency(SHA, 0, 1, &e, &y, &[]).is_ok());
    assert!(verify_consistency(SHA, 1, 1, &y, &y, &[]).is_ok());
    // Equal sizes, different roots; or a non-empty proof where none is due.
    assert!(verify_consistency(SHA, 1, 1, &x, &y, &[]).is_err());
    assert!(verify_consistency(SHA, 0, 0, &e, &x, &[]).is_err());
    assert!(verify_consistency(SHA, 0, 0, &e, &e, &[e]).is_err());
    assert!(verify_consistency(SHA, 0, 1, &e, &y, &[e]).is_err());
    assert!(verify_consistency(SHA, 1, 1, &y, &y, &[e]).is_err());
    // Stricter than trillian: a size-0 checkpoint must carry the empty-tree root.
    assert!(verify_consistency(SHA, 0, 1, &x, &y, &[]).is_err());
    assert!(verify_consistency(SHA, 0, 0, &x, &x, &[]).is_err());
    // Time travel to the past.
    assert!(matches!(
        verify_consistency(SHA, 1, 0, &y, &e, &[]),
        Err(LedgerError::InvalidRange(_))
    ));
    assert!(matches!(
        verify_consistency(SHA, 2, 1, &x, &y, &[]),
        Err(LedgerError::InvalidRange(_))
    ));
    // An empty proof between different sizes.
    assert!(matches!(
        verify_consistency(SHA, 1, 2, &y, &root_of(2), &[]),
        Err(LedgerError::ProofMismatch(_))
    ));
}

#[test]
fn x2_sm3_tree_uses_sm3_with_rfc6962_domain_separation() {
    // SM3(0x00), computed independently with `printf '\0' | openssl dgst -sm3`.
    assert_eq!(
        HashAlg::Sm3.leaf_hash(b""),
        h("2daef60e7a0b8f5e024c81cd2ab3109f2b4f155cf83adeb2ae5532f74a157fdf")
    );
    // SM3(0x00 || "abc") and SM3(0x01 || [1; 32] || [2; 32]), likewise from openssl.
    assert_eq!(
        HashAlg::Sm3.leaf_hash(b"abc"),
        h("a7fe0cdcc2194aa7a9c6bfad5637581bf051d935a10bb6a9ccabfce125c27d96")
    );
    assert_eq!(
        HashAlg::Sm3.node_hash(&[1; 32], &[2; 32]),
        h("d9f591dfc76e4aa68cae6aef8dea67f3490b63a210894c5f69d5c315bbe92aee")
    );
    assert_ne!(tree(HashAlg::Sm3, 8).root(), tree(SHA, 8).root());
    assert_eq!(HashAlg::parse("SM3"), Some(HashAlg::Sm3));
    assert_eq!(HashAlg::parse("sha-256"), Some(SHA));
    assert_eq!(HashAlg::parse("md5"), None);
    for alg in [SHA, HashAlg::Sm3] {
        assert_eq!(HashAlg::parse(alg.as_str()), Some(alg));
    }
}

#[test]
fn x1_bad_ranges_are_errors_not_panics() {
    let t = tree(SHA, 8);
    assert!(matches!(
        t.inclusion_proof(8, 8),
        Err(LedgerError::InvalidRange(_))
    ));
    assert!(matches!(
        t.inclusion_proof(0, 0),
        Err(LedgerError::InvalidRange(_))
    ));
    assert!(matches!(
        t.consistency_proof(5, 3),
        Err(LedgerError::InvalidRange(_))
    ));
    assert!(matches!(
        t.inclusion_proof(0, 9),
        Err(LedgerError::InvalidRange(_))
    ));
    assert!(matches!(
        t.consistency_proof(1, 9),
        Err(LedgerError::InvalidRange(_))
    ));
    assert!(matches!(
        inclusion_needs(3, 3),
        Err(LedgerError::InvalidRange(_))
    ));
    assert!(matches!(
        consistency_needs(4, 3),
        Err(LedgerError::InvalidRange(_))
    ));
    assert_eq!(consistency_needs(0, 5), Ok(vec![]));
    assert_eq!(consistency_needs(5, 5), Ok(vec![]));
    assert_eq!(t.consistency_proof(0, 8), Ok(vec![]));
    assert_eq!(t.consistency_proof(8, 8), Ok(vec![]));
    let empty: HashMap<NodeId, Hash> = HashMap::new();
    assert!(matches!(
        root(SHA, 3, &empty),
        Err(LedgerError::MissingNode(id)) if root_needs(3).contains(&id)
    ));
    assert!(matches!(
        append(SHA, 3, [0; 32], &empty),
        Err(LedgerError::MissingNode(_))
    ));
    assert!(matches!(
        inclusion_proof(SHA, 0, 3, &empty),
        Err(LedgerError::MissingNode(_))
    ));
    // Huge sizes are address arithmetic only: no overflow, no panic.
    let big = u64::MAX;
    assert_eq!(root_needs(big).len(), 64);
    // The last leaf of 2^64-1: one left sibling per level 63..=1, none at the leaf level.
    assert_eq!(inclusion_needs(big - 1, big).expect("needs").len(), 63);
    assert!(!consistency_needs(big / 3, big).expect("needs").is_empty());
    assert_eq!(append_needs(big).len(), 64);
}

#[test]
fn x1_needs_are_exactly_what_the_computation_reads() {
    // The two-phase contract: the compute function succeeds with exactly the named nodes (checked
    // in the proptest) and fails, naming one, if any of them is missing.
    let t = tree(SHA, 8);
    let all: BTreeMap<NodeId, Hash> = (0..4u8)
        .flat_map(|l| (0..8u64 >> l).map(move |i| NodeId::new(l, i)))
        .map(|id| (id, t.node(id).expect("node")))
        .collect();
    for (index, size) in [(0, 8), (5, 8), (2, 3), (6, 7)] {
        for missing in inclusion_needs(index, size).expect("needs") {
            let mut some = all.clone();
            some.remove(&missing);
            assert_eq!(
                inclusion_proof(SHA, index, size, &some),
                Err(LedgerError::MissingNode(missing))
            );
        }
    }
    assert_eq!(
        append_needs(7),
        vec![NodeId::new(0, 6), NodeId::new(1, 2), NodeId::new(2, 0)]
    );
    assert_eq!(
        root_needs(7),
        vec![NodeId::new(2, 0), NodeId::new(1, 2), NodeId::new(0, 6)]
    );
}

/// RFC 6962 §2.1 MTH, written the obvious recursive way, as an oracle.
fn naive_root(alg: HashAlg, leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => alg.empty_root(),
        1 => leaves[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            alg.node_hash(
                &naive_root(alg, &leaves[..k]),
                &naive_root(alg, &leaves[k..]),
            )
        }
    }
}

/// A map holding only the named nodes, so a proof that reads anything else fails.
fn only(needs: &[NodeId], nodes: &HashMap<NodeId, Hash>) -> HashMap<NodeId, Hash> {
    needs.iter().map(|id| (*id, nodes[id])).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn x1_two_phase_api_matches_the_naive_tree_and_proofs_verify(
        n in 1u64..300,
        alg_sm3 in any::<bool>(),
        seed in any::<u64>(),
        flip in any::<(usize, u8)>(),
    ) {
        let alg = if alg_sm3 { HashAlg::Sm3 } else { SHA };
        let leaves: Vec<Hash> = (0..n).map(|i| alg.leaf_hash(&(i ^ seed).to_be_bytes())).collect();
        // Build through the sans-IO API, as the catalog does.
        let mut nodes: HashMap<NodeId, Hash> = HashMap::new();
        let mut cr = CompactRange::new(alg);
        let mut roots = vec![alg.empty_root()];
        for (i, l) in leaves.iter().enumerate() {
            let size = i as u64;
            let needs = append_needs(size);
            prop_assert!(needs.iter().all(|id| nodes.contains_key(id)));
            for (id, hash) in append(alg, size, *l, &only(&needs, &nodes)).expect("append") {
                prop_assert!(nodes.insert(id, hash).is_none(), "a node was rewritten");
            }
            cr.push(*l);
            let r = root(alg, size + 1, &only(&root_needs(size + 1), &nodes)).expect("root");
            prop_assert_eq!(cr.root(), r);
            roots.push(r);
        }
        let r = roots[n as usize];
        prop_assert_eq!(r, naive_root(alg, &leaves));
        for size in [1, n / 2 + 1, n] {
            prop_assert_eq!(roots[size as usize], naive_root(alg, &leaves[..size as usize]));
        }

        let (flip_at, flip_bits) = (flip.0, flip.1 | 1);
        for index in 0..n {
            let needs = inclusion_needs(index, n).expect("needs");
            let proof = inclusion_proof(alg, index, n, &only(&needs, &nodes)).expect("proof");
            let leaf = &leaves[index as usize];
            prop_assert!(verify_inclusion(alg, leaf, index, n, &proof, &r).is_ok());
            if n > 1 {
                prop_assert!(verify_inclusion(alg, leaf, (index + 1) % n, n, &proof, &r).is_err());
                prop_assert!(verify_inclusion(alg, &leaves[((index + 1) % n) as usize], index, n, &proof, &r).is_err());
            }
            prop_assert!(verify_inclusion(alg, leaf, index, n * 2, &proof, &r).is_err());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let at = flip_at % (proof.len() * 32);
                bad[at / 32][at % 32] ^= flip_bits;
                prop_assert!(verify_inclusion(alg, leaf, index, n, &bad, &r).is_err());
                prop_assert!(verify_inclusion(alg, leaf, index, n, &proof[1..], &r).is_err());
            }
        }
        for old in 0..=n {
            let needs = consistency_needs(old, n).expect("needs");
            let proof = consistency_proof(alg, old, n, &only(&needs, &nodes)).expect("proof");
            let old_root = roots[old as usize];
            prop_assert!(verify_consistency(alg, old, n, &old_root, &r, &proof).is_ok());
            if old > 0 && old < n {
                let mut forged = old_root;
                forged[flip_at % 32] ^= flip_bits;
                prop_assert!(verify_consistency(alg, old, n, &forged, &r, &proof).is_err());
                let mut bad = proof.clone();
                let at = flip_at % (proof.len() * 32);
                bad[at / 32][at % 32] ^= flip_bits;
                prop_assert!(verify_consistency(alg, old, n, &old_root, &r, &bad).is_err());
                prop_assert!(verify_consistency(alg, old, n * 2, &old_root, &r, &proof).is_err());
                if old > 1 {
                    prop_assert!(verify_consistency(alg, old - 1, n, &old_root, &r, &proof).is_err());
                }
            }
        }
    }
}
