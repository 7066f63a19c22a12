//! X1: the in-order ("flat") node layout a catalog keys its tree by: positions and nodes map one
//! to one, and every node an append creates sits at the end of the layout (the leaf past every
//! earlier node, a level-`l` parent `2^l - 1` before it), so the store's index grows at its end.

use std::collections::HashMap;

use proptest::prelude::*;
use zhilu_ledger::*;

#[test]
fn x1_positions_of_the_first_nodes_are_in_order() {
    // Leaves at even positions; the parent of leaves 0 and 1 between them, and so on.
    let at = |l: u8, i: u64| NodeId::new(l, i).position().expect("fits");
    assert_eq!(at(0, 0), 0);
    assert_eq!(at(1, 0), 1);
    assert_eq!(at(0, 1), 2);
    assert_eq!(at(2, 0), 3);
    assert_eq!(at(0, 2), 4);
    assert_eq!(at(1, 1), 5);
    assert_eq!(at(3, 0), 7);
    assert_eq!(at(1, 3), 13);
}

#[test]
fn x1_positions_that_do_not_fit_are_refused() {
    assert_eq!(NodeId::new(62, 0).position(), None);
    assert_eq!(NodeId::new(0, u64::MAX).position(), None);
    assert_eq!(NodeId::new(10, 1 << 60).position(), None);
    assert_eq!(NodeId::at_position(u64::MAX), None);
    assert_eq!(NodeId::at_position(1 << 63), None);
}

#[test]
fn x1_every_append_writes_at_the_end_of_the_layout() {
    let alg = HashAlg::Sha256;
    let mut nodes: HashMap<NodeId, Hash> = HashMap::new();
    let mut highest: Option<u64> = None;
    for size in 0..3000u64 {
        let leaf = alg.leaf_hash(&size.to_be_bytes());
        let new = append(alg, size, leaf, &nodes).expect("append");
        for (id, _) in &new {
            let p = id.position().expect("fits");
            // The leaf at 2n, past every earlier node; its level-l parent 2^l - 1 before it.
            assert_eq!(p, 2 * size + 1 - (1 << id.level), "{id:?} of entry {size}");
            assert!(!nodes.contains_key(id), "{id:?} written twice");
        }
        if let Some(h) = highest {
            assert!(2 * size > h, "entry {size}'s leaf not past {h}");
        }
        highest = Some(2 * size);
        nodes.extend(new);
    }
}

proptest! {
    #[test]
    fn x1_position_and_node_map_one_to_one(level in 0u8..62, index in 0u64..(1 << 40)) {
        let id = NodeId::new(level, index);
        if let Some(p) = id.position() {
            prop_assert_eq!(NodeId::at_position(p), Some(id));
        }
    }

    #[test]
    fn x1_every_position_names_a_node(p in 0u64..(1 << 62)) {
        let id = NodeId::at_position(p).expect("a node");
        prop_assert_eq!(id.position(), Some(p));
    }
}
