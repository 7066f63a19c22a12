//! The compact fact types a year's check keeps millions of: interned ids and inline hashes
//! behave as the strings they replace.

use std::collections::HashMap;

use zhilu_policy::facts::{HashStr, Interner, Sym};

#[test]
fn r6_interned_ids_compare_hash_and_print_as_their_text() {
    let mut i = Interner::default();
    let a = i.intern("D0001");
    let b = i.intern("D0002");
    let a2 = i.intern("D0001");
    assert_eq!(a, a2);
    assert_ne!(a, b);
    assert!(a < b);
    assert_eq!(a, "D0001");
    assert_eq!(a.as_str(), "D0001");
    assert_eq!(format!("{a}/{a:?}"), "D0001/\"D0001\"");
    assert_eq!(serde_json::to_string(&a).unwrap(), "\"D0001\"");
    let mut m: HashMap<Sym, u32> = HashMap::new();
    m.insert(a2, 7);
    assert_eq!(m.get("D0001"), Some(&7));
    assert_eq!(Sym::from("D0001"), Sym::from("D0001".to_string()));
}

#[test]
fn r6_hashes_kept_inline_or_not_are_their_text() {
    let hex = "ab".repeat(32);
    let long = "x".repeat(65);
    for s in ["", "a", hex.as_str(), long.as_str(), "设备"] {
        let h = HashStr::new(s);
        assert!(matches!(h, HashStr::Inline { .. }) == (s.len() <= 64));
        assert_eq!(h.as_str(), s);
        assert_eq!(&*h, s);
        assert_eq!(h.to_string(), s);
        assert_eq!(h, HashStr::from(s.to_string()));
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            serde_json::to_string(s).unwrap()
        );
        let mut m: HashMap<HashStr, u32> = HashMap::new();
        m.insert(h.clone(), 1);
        assert_eq!(m.get(s), Some(&1));
    }
    assert!(HashStr::new("a") < HashStr::new("b"));
    assert!(HashStr::new(&hex) < HashStr::new(&long));
}
