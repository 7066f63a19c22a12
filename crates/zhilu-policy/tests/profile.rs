//! Profiles: the five presets load and validate; broken profiles are refused with line and field.

use zhilu_policy::profile::{PRESETS, Profile};

#[test]
fn r6_all_five_presets_load_and_validate() {
    for (id, src) in PRESETS {
        let p = Profile::parse(src).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(p.id(), id);
    }
}
