//! `zhilu profile validate|apply|show` and `init --profile`: a broken profile is refused with line,
//! field and reason, and is never half-applied.

mod support;

use support::{TestApp, Zhilu};

fn preset(id: &str) -> String {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../zhilu-policy/presets/{id}.toml"));
    std::fs::read_to_string(p).expect("preset")
}

/// r20 r6: validate names the line and the field; apply refuses and the old profile stays.
#[test]
fn r20_broken_profile_is_refused_with_line_and_field_and_never_half_applied() {
    let a = TestApp::agency("jinpu-wj", "2026-11-02 08:00:00");
    let dir = tempfile::tempdir().unwrap();
    let bad = preset("lushan-sj").replace("minimum_months = 24 ", "minimum_months = -24 ");
    let line = bad
        .lines()
        .position(|l| l.contains("minimum_months = -24"))
        .unwrap()
        + 1;
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, &bad).unwrap();
    let p = path.to_str().unwrap();
    let err = a.fails(&["profile", "validate", p]);
    assert!(err.contains(&format!("第 {line} 行")), "{err}");
    assert!(err.contains("retention.minimum_months"), "{err}");
    let before = a.ledger_size();
    let err = a.fails(&["profile", "apply", p]);
    assert!(err.contains("未作任何改动"), "{err}");
    assert_eq!(a.ledger_size(), before, "nothing written");
    assert_eq!(
        a.profile()["id"],
        "jinpu-wj",
        "the profile in force is unchanged"
    );

    // A good edited copy validates and applies, logged in the ledger.
    let good = preset("lushan-sj").replace("ratio = 0.05", "ratio = 0.1");
    std::fs::write(&path, &good).unwrap();
    assert_eq!(a.ok(&["profile", "validate", p])["valid"], true);
    assert_eq!(a.ok(&["profile", "apply", p])["applied"], "lushan-sj");
    assert_eq!(a.profile()["sampling"]["ratio"], 0.1);
    assert_eq!(a.ledger_size(), before + 1);
}

/// r6: an unknown preset id is refused at init, naming the presets.
#[test]
fn r6_unknown_preset_is_refused_naming_the_presets() {
    let a = TestApp::agency("dalian-ftz", "2026-11-02 08:00:00");
    let err = a.fails(&["profile", "apply", "shenzhen-xx"]);
    assert!(
        err.contains("shenzhen-xx") && err.contains("jinpu-wj"),
        "{err}"
    );
    let list = a.ok(&["profile", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 5);
}
