//! Ledger throughput on this machine, for the performance section of the report:
//! `cargo run --release -p zhilu-ledger --example ledger_bench [leaves]`.
//!
//! For SHA-256 and SM3 it builds a [`MemoryTree`] of 1,000,000 leaves (or the count given),
//! then times inclusion proofs (generate + verify) and consistency proofs (generate + verify)
//! over 10,000 pseudo-random positions, and prints one JSON object. Leaf hashing is timed apart
//! from tree appends so the tree's own cost is visible.

use std::time::Instant;

use zhilu_ledger::{HashAlg, MemoryTree, verify_consistency, verify_inclusion};

/// SplitMix64: a fixed, dependency-free sequence of positions (no OS randomness needed here).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn bench(alg: HashAlg, leaves: u64, probes: u64) -> String {
    let t = Instant::now();
    let hashes: Vec<_> = (0..leaves)
        .map(|i| alg.leaf_hash(&i.to_be_bytes()))
        .collect();
    let leaf_hash_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut tree = MemoryTree::new(alg);
    for h in &hashes {
        tree.append(*h);
    }
    let append_s = t.elapsed().as_secs_f64();
    let root = tree.root();

    let mut rng = SplitMix(0x5A41_4C55);
    let t = Instant::now();
    let mut proof_hashes = 0usize;
    for _ in 0..probes {
        let i = rng.next() % leaves;
        let proof = tree.inclusion_proof(i, leaves).expect("proof");
        proof_hashes += proof.len();
        verify_inclusion(alg, &hashes[i as usize], i, leaves, &proof, &root).expect("verifies");
    }
    let inclusion_us = t.elapsed().as_secs_f64() * 1e6 / probes as f64;
    let inclusion_len = proof_hashes as f64 / probes as f64;

    // Old roots are computed outside the timed loop: a verifier has them from old checkpoints.
    let olds: Vec<(u64, _)> = (0..probes)
        .map(|_| {
            let old = 1 + rng.next() % leaves;
            (old, tree.root_at(old).expect("old root"))
        })
        .collect();
    let t = Instant::now();
    let mut proof_hashes = 0usize;
    for (old, old_root) in &olds {
        let proof = tree.consistency_proof(*old, leaves).expect("proof");
        proof_hashes += proof.len();
        verify_consistency(alg, *old, leaves, old_root, &root, &proof).expect("verifies");
    }
    let consistency_us = t.elapsed().as_secs_f64() * 1e6 / probes as f64;
    let consistency_len = proof_hashes as f64 / probes as f64;

    format!(
        concat!(
            "{{\"alg\":\"{}\",\"leaves\":{},\"leaf_hash_per_s\":{:.0},",
            "\"append_leaves_per_s\":{:.0},\"append_s\":{:.3},",
            "\"append_with_leaf_hash_leaves_per_s\":{:.0},",
            "\"inclusion_generate_verify_us\":{:.2},\"inclusion_proof_len\":{:.1},",
            "\"consistency_generate_verify_us\":{:.2},\"consistency_proof_len\":{:.1},",
            "\"probes\":{}}}"
        ),
        alg.as_str(),
        leaves,
        leaves as f64 / leaf_hash_s,
        leaves as f64 / append_s,
        append_s,
        leaves as f64 / (leaf_hash_s + append_s),
        inclusion_us,
        inclusion_len,
        consistency_us,
        consistency_len,
        probes,
    )
}

fn main() {
    let leaves: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000)
        .max(1);
    let probes = 10_000;
    let runs: Vec<String> = [HashAlg::Sha256, HashAlg::Sm3]
        .into_iter()
        .map(|alg| bench(alg, leaves, probes))
        .collect();
    println!("{{\"ledger_bench\":[{}]}}", runs.join(","));
}
