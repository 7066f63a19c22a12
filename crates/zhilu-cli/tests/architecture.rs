//! ARCHITECTURE.md stays true: every workspace crate is named in it.

#[test]
fn every_workspace_crate_is_named_in_architecture_md() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    for entry in std::fs::read_dir(root.join("crates")).expect("crates") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            doc.contains(&format!("`{name}`")),
            "ARCHITECTURE.md does not name crate {name}"
        );
    }
}
