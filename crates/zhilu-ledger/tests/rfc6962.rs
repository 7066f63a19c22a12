//! X1: the tree hashing and proofs agree with the RFC 6962 test vectors published with Certificate
//! Transparency (certificate-transparency `merkle_tree_test.cc`, reused by Google trillian's
//! `merkle/rfc6962` tests): eight leaves, the roots of every prefix, and known audit and consistency
//! paths.

use std::collections::HashMap;

use proptest::prelude::*;
use zhilu_ledger::*;

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

fn tree(alg: HashAlg, n: usize) -> MemoryTree {
    let mut t = MemoryTree::new(alg);
    for l in leaves().iter().take(n) {
        t.append(alg.leaf_hash(l));
    }
    t
}

#[test]
fn x1_empty_tree_root_is_sha256_of_nothing() {
    assert_eq!(
        HashAlg::Sha256.empty_root(),
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    assert_eq!(
        MemoryTree::new(HashAlg::Sha256).root(),
        HashAlg::Sha256.empty_root()
    );
}

#[test]
fn x1_roots_of_every_prefix_match_the_rfc6962_vectors() {
    let t = tree(HashAlg::Sha256, 8);
    let mut cr = CompactRange::new(HashAlg::Sha256);
    for (i, l) in leaves().iter().enumerate() {
        cr.push(HashAlg::Sha256.leaf_hash(l));
        assert_eq!(
            t.root_at(i as u64 + 1).expect("root"),
            h(ROOTS[i]),
            "size {}",
            i + 1
        );
        assert_eq!(cr.root(), h(ROOTS[i]), "compact range, size {}", i + 1);
    }
}

#[test]
fn x1_inclusion_proofs_match_the_rfc6962_vectors() {
    let t = tree(HashAlg::Sha256, 8);
    let cases: [(u64, u64, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (index, size, want) in cases {
        let proof = t.inclusion_proof(index, size).expect("proof");
        let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
        assert_eq!(proof, want, "leaf {index} in {size}");
        let leaf = HashAlg::Sha256.leaf_hash(&leaves()[index as usize]);
        verify_inclusion(
            HashAlg::Sha256,
            &leaf,
            index,
            size,
            &proof,
            &h(ROOTS[size as usize - 1]),
        )
        .expect("verifies");
    }
}

#[test]
fn x1_consistency_proofs_match_the_rfc6962_vectors() {
    let t = tree(HashAlg::Sha256, 8);
    let cases: [(u64, u64, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (old, new, want) in cases {
        let proof = t.consistency_proof(old, new).expect("proof");
        let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
        assert_eq!(proof, want, "{old} -> {new}");
        verify_consistency(
            HashAlg::Sha256,
            old,
            new,
            &h(ROOTS[old as usize - 1]),
            &h(ROOTS[new as usize - 1]),
            &proof,
        )
        .expect("verifies");
    }
}

#[test]
fn x2_sm3_tree_uses_sm3_with_rfc6962_domain_separation() {
    // SM3(0x00) computed independently with `printf '\0' | openssl dgst -sm3`.
    assert_eq!(
        HashAlg::Sm3.leaf_hash(b""),
        h("2daef60e7a0b8f5e024c81cd2ab3109f2b4f155cf83adeb2ae5532f74a157fdf")
    );
    assert_ne!(
        tree(HashAlg::Sm3, 8).root(),
        tree(HashAlg::Sha256, 8).root()
    );
}

#[test]
fn x1_bad_ranges_are_errors_not_panics() {
    let t = tree(HashAlg::Sha256, 8);
    assert!(matches!(
        t.inclusion_proof(8, 8),
        Err(LedgerError::InvalidRange(_))
    ));
    assert!(matches!(
        t.consistency_proof(5, 3),
        Err(LedgerError::InvalidRange(_))
    ));
    assert!(t.inclusion_proof(0, 9).is_err());
    let empty: HashMap<NodeId, Hash> = HashMap::new();
    assert!(matches!(
        root(HashAlg::Sha256, 3, &empty),
        Err(LedgerError::MissingNode(_))
    ));
    assert!(verify_inclusion(HashAlg::Sha256, &[0; 32], 3, 2, &[], &[0; 32]).is_err());
    assert!(verify_consistency(HashAlg::Sha256, 4, 2, &[0; 32], &[0; 32], &[]).is_err());
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn x1_two_phase_api_matches_the_naive_tree_and_proofs_verify(n in 1u64..300, alg_sm3 in any::<bool>(), seed in any::<u64>()) {
        let alg = if alg_sm3 { HashAlg::Sm3 } else { HashAlg::Sha256 };
        let leaves: Vec<Hash> = (0..n).map(|i| alg.leaf_hash(&(i ^ seed).to_be_bytes())).collect();
        // Build through the sans-IO API, as the catalog does.
        let mut nodes: HashMap<NodeId, Hash> = HashMap::new();
        for (i, l) in leaves.iter().enumerate() {
            let needs = append_needs(i as u64);
            prop_assert!(needs.iter().all(|id| nodes.contains_key(id)));
            for (id, hash) in append(alg, i as u64, *l, &nodes).expect("append") {
                prop_assert!(nodes.insert(id, hash).is_none(), "a node was rewritten");
            }
        }
        let r = root(alg, n, &nodes).expect("root");
        prop_assert_eq!(r, naive_root(alg, &leaves));
        let mut cr = CompactRange::new(alg);
        leaves.iter().for_each(|l| cr.push(*l));
        prop_assert_eq!(cr.root(), r);

        for index in [0, n / 2, n - 1, seed % n] {
            let needs = inclusion_needs(index, n).expect("needs");
            let only: HashMap<NodeId, Hash> = needs.iter().map(|id| (*id, nodes[id])).collect();
            let proof = inclusion_proof(alg, index, n, &only).expect("proof from exactly the needed nodes");
            prop_assert!(verify_inclusion(alg, &leaves[index as usize], index, n, &proof, &r).is_ok());
            if n > 1 {
                prop_assert!(verify_inclusion(alg, &leaves[index as usize], (index + 1) % n, n, &proof, &r).is_err());
            }
            if let Some(first) = proof.first() {
                let mut bad = proof.clone();
                bad[0][0] ^= first[0] | 1;
                prop_assert!(verify_inclusion(alg, &leaves[index as usize], index, n, &bad, &r).is_err());
            }
        }
        for old in [1, n / 3 + 1, n - 1, (seed % n).max(1)] {
            let old = old.min(n);
            let needs = consistency_needs(old, n).expect("needs");
            let only: HashMap<NodeId, Hash> = needs.iter().map(|id| (*id, nodes[id])).collect();
            let proof = consistency_proof(alg, old, n, &only).expect("proof");
            let old_root = naive_root(alg, &leaves[..old as usize]);
            prop_assert!(verify_consistency(alg, old, n, &old_root, &r, &proof).is_ok());
            if old < n {
                let mut forged = old_root;
                forged[31] ^= 1;
                prop_assert!(verify_consistency(alg, old, n, &forged, &r, &proof).is_err());
            }
        }
    }
}
