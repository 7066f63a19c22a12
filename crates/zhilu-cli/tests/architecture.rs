//! The architecture, checked where it can be: ARCHITECTURE.md names every crate and stays one
//! screen long; pure crates depend on no IO crate; no SQL and no database driver above the store;
//! the edges call use cases, not the catalog; both migration folders carry the same versions.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn crates() -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(root().join("crates"))
        .expect("crates")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| root().join("crates").join(n).join("Cargo.toml").exists())
        .collect();
    v.sort();
    v
}

/// The names in a crate's `[dependencies]` table (not dev-dependencies).
fn dependencies(krate: &str) -> Vec<String> {
    let text = fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml"))
        .expect("Cargo.toml");
    let manifest: toml::Table = toml::from_str(&text).expect("toml");
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every `.rs` file under a crate's `src/`.
fn sources(krate: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for e in fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((p.clone(), fs::read_to_string(&p).expect("source")));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("crates").join(krate).join("src"), &mut out);
    out
}

#[test]
fn every_workspace_crate_is_named_in_architecture_md_which_fits_one_screen() {
    let doc = fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    for name in crates() {
        assert!(
            doc.contains(&format!("`{name}`")),
            "ARCHITECTURE.md does not name crate {name}"
        );
    }
    let lines = doc.lines().count();
    assert!(
        lines <= 80,
        "ARCHITECTURE.md is {lines} lines: keep it to one screen"
    );
}

#[test]
fn pure_crates_depend_on_no_io_crate() {
    const IO: [&str; 9] = [
        "tokio",
        "sqlx",
        "axum",
        "hyper",
        "object_store",
        "reqwest",
        "zhilu-store",
        "zhilu-app",
        "tempfile",
    ];
    for krate in ["zhilu-model", "zhilu-media", "zhilu-ledger", "zhilu-policy"] {
        let deps = dependencies(krate);
        for io in IO {
            assert!(!deps.iter().any(|d| d == io), "{krate} depends on {io}");
        }
    }
}

#[test]
fn no_database_driver_and_no_sql_above_the_store() {
    for krate in ["zhilu-app", "zhilu-cli", "zhilu-lab"] {
        assert!(
            !dependencies(krate).iter().any(|d| d == "sqlx"),
            "{krate} depends on sqlx: SQL belongs to zhilu-store"
        );
        for (path, src) in sources(krate) {
            for word in [
                "SELECT ",
                "INSERT INTO",
                "UPDATE ",
                "DELETE FROM",
                " WHERE ",
            ] {
                assert!(
                    !src.contains(word),
                    "{} contains SQL ({word:?}): the store owns all SQL",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn the_command_line_calls_use_cases_not_the_catalog() {
    assert!(
        !dependencies("zhilu-cli").iter().any(|d| d == "zhilu-store"),
        "the CLI talks to zhilu-app only"
    );
    for (path, src) in sources("zhilu-cli") {
        assert!(
            !src.contains(".catalog()"),
            "{} reads the catalog directly: call a use case",
            path.display()
        );
    }
}

#[test]
fn both_migration_folders_carry_the_same_versions_and_statements() {
    let dir = root().join("crates/zhilu-store/migrations");
    let list = |b: &str| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir.join(b))
            .expect("migrations")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let (sqlite, postgres) = (list("sqlite"), list("postgres"));
    assert_eq!(sqlite, postgres, "the same migration files in both folders");
    // The SQL is the dialect both accept; only the header naming the other folder differs, and
    // one storage word: a key SQLite keeps as its row id (`INTEGER PRIMARY KEY`, 64-bit there)
    // is `BIGINT PRIMARY KEY` to PostgreSQL (whose INTEGER is 32-bit).
    let body = |b: &str, f: &str| -> Vec<String> {
        fs::read_to_string(dir.join(b).join(f))
            .expect("migration")
            .lines()
            .skip(1)
            .map(|l| {
                if b == "sqlite" {
                    l.replace("INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY")
                } else {
                    l.to_string()
                }
            })
            .collect()
    };
    for f in &postgres {
        let text = fs::read_to_string(dir.join("postgres").join(f)).expect("migration");
        assert!(
            !text.contains("INTEGER PRIMARY KEY"),
            "{f}: PostgreSQL's INTEGER is 32-bit; keys are BIGINT"
        );
    }
    for f in &sqlite {
        assert_eq!(
            body("sqlite", f),
            body("postgres", f),
            "{f} differs between backends"
        );
    }
}

#[test]
fn staff_are_called_zhifa_renyuan_never_minjing() {
    // These agencies are not police: 执法人员, never 民警.
    for krate in crates() {
        for (path, src) in sources(&krate) {
            assert!(!src.contains("民警"), "{} says 民警", path.display());
        }
    }
    let readme = fs::read_to_string(root().join("README.md")).expect("README");
    assert!(!readme.contains("民警"));
}
