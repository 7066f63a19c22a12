//! Evidence extraction (R22, R23, X3): a copy grant's recordings leave as a BagIt package that a
//! receiver checks with common tools (bagit-python, openssl) and the shipped `verify.py`, without
//! our software; without a copy grant nothing is written.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;
use zhilu_app::AppError;
use zhilu_app::export::{self};
use zhilu_app::testing::TestApp;

mod export_support;
use export_support::*;

/// A ready package of the two recordings on a copy grant.
async fn package(t: &TestApp) -> PathBuf {
    t.at("2026-11-20 10:00:00");
    let (requester, grant) = granted(t, "copy").await;
    let out = t.scratch().join("package");
    let done = export::evidence(t.app(), &requester, &grant, &out, facts())
        .await
        .expect("export");
    assert_eq!(done.files.len(), 2);
    out
}

fn run_verify_py(dir: &Path) -> (bool, String) {
    let out = Command::new("python3")
        .arg(dir.join("verify.py"))
        .output()
        .expect("python3");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Rewrites the tag manifest after an edit, as a forger would: only the proofs can catch it.
fn reseal(dir: &Path) {
    let path = dir.join("tagmanifest-sha256.txt");
    let text: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            let name = l.split_once("  ").unwrap().1;
            let body = std::fs::read(dir.join(name)).unwrap();
            format!("{}  {name}\n", hex::encode(sha2::Sha256::digest(&body)))
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

fn data_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r22_export_on_a_copy_grant_writes_a_bag_that_bagit_python_validates() {
    let t = TestApp::with_profile("dalian-ftz").await;
    let out = package(&t).await;
    let report = export::verify_package(&out).await.expect("verifies");
    assert_eq!(report.files.len(), 2);
    assert_eq!(report.info["Maker-制作人"], "王芳");
    assert_eq!(report.info["Extractor-提取人"], "李强");
    assert_eq!(data_files(&out), vec![MP4.to_string(), WAV.to_string()]);
    let exported = t
        .app()
        .catalog()
        .latest_event("evidence.exported")
        .await
        .unwrap();
    let state = exported.expect("one ledger entry").state();
    assert_eq!(state["files"].as_array().unwrap().len(), 2);
    assert_eq!(state["receiver"], "某区人民法院");
    if have("python3", &["-c", "import bagit"], "pip install bagit") {
        let o = Command::new("python3")
            .args(["-m", "bagit", "--validate"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r22_openssl_sm3_matches_every_manifest_line() {
    let t = TestApp::with_profile("dalian-ftz").await;
    let out = package(&t).await;
    if !have(
        "openssl",
        &["dgst", "-sm3", "/dev/null"],
        "openssl with SM3",
    ) {
        return;
    }
    let manifest = std::fs::read_to_string(out.join("manifest-sm3.txt")).unwrap();
    assert_eq!(manifest.lines().count(), 2);
    for line in manifest.lines() {
        let (hash, path) = line.split_once("  ").unwrap();
        let o = Command::new("openssl")
            .args(["dgst", "-sm3", "-r"])
            .arg(out.join(path))
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&o.stdout);
        assert_eq!(printed.split_whitespace().next(), Some(hash), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x3_shipped_verifier_passes_and_fails_naming_the_file_on_a_changed_byte_a_removed_file_and_a_swapped_proof()
 {
    let t = TestApp::with_profile("dalian-ftz").await;
    let out = package(&t).await;
    if !have("python3", &["--version"], "python3") {
        return;
    }
    let (ok, said) = run_verify_py(&out);
    assert!(ok, "{said}");
    assert!(said.contains("校验通过"), "{said}");
    if have("openssl", &["version"], "openssl") {
        assert!(said.contains("检查点签名（Ed25519）正确"), "{said}");
    }

    let changed = t.scratch().join("changed");
    copy_dir(&out, &changed);
    let f = changed.join("data").join(WAV);
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    let (ok, said) = run_verify_py(&changed);
    assert!(!ok && said.contains(WAV), "{said}");
    let e = export::verify_package(&changed).await.unwrap_err();
    assert!(
        matches!(e, AppError::ExportInvalid(_)) && e.to_string().contains(WAV),
        "{e}"
    );

    let removed = t.scratch().join("removed");
    copy_dir(&out, &removed);
    std::fs::remove_file(removed.join("data").join(MP4)).unwrap();
    let (ok, said) = run_verify_py(&removed);
    assert!(!ok && said.contains(MP4), "{said}");
    let e = export::verify_package(&removed).await.unwrap_err();
    assert!(e.to_string().contains(MP4), "{e}");

    // The proofs of the two files swapped, tag manifest rewritten: each proof fails its leaf.
    let swapped = t.scratch().join("swapped");
    copy_dir(&out, &swapped);
    let proofs: Vec<PathBuf> = std::fs::read_dir(swapped.join("audit"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(proofs.len(), 2);
    let mut a: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&proofs[0]).unwrap()).unwrap();
    let mut b: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&proofs[1]).unwrap()).unwrap();
    std::mem::swap(&mut a["proof"], &mut b["proof"]);
    std::fs::write(&proofs[0], serde_json::to_vec(&a).unwrap()).unwrap();
    std::fs::write(&proofs[1], serde_json::to_vec(&b).unwrap()).unwrap();
    reseal(&swapped);
    let (ok, said) = run_verify_py(&swapped);
    assert!(!ok && said.contains("包含证明"), "{said}");
    let e = export::verify_package(&swapped).await.unwrap_err();
    assert!(e.to_string().contains("包含证明"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x3_an_edited_checkpoint_fails() {
    let t = TestApp::with_profile("dalian-ftz").await;
    let out = package(&t).await;
    // The origin changed in the note and its body alike, tag manifest rewritten: the proofs
    // still hold, only the signature can tell.
    let edited = t.scratch().join("edited");
    copy_dir(&out, &edited);
    for f in ["audit/checkpoint.txt", "audit/checkpoint-body.txt"] {
        let p = edited.join(f);
        let s = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, s.replacen("zhilu.ledger/v1/", "zhilu.ledger/v9/", 1)).unwrap();
    }
    reseal(&edited);
    let e = export::verify_package(&edited).await.unwrap_err();
    assert!(e.to_string().contains("audit/checkpoint.txt"), "{e}");
    if have("openssl", &["version"], "openssl") && have("python3", &["--version"], "python3") {
        let (ok, said) = run_verify_py(&edited);
        assert!(!ok && said.contains("audit/checkpoint.txt"), "{said}");
    }
    // The root changed: the proofs no longer reach it.
    let rooted = t.scratch().join("rooted");
    copy_dir(&out, &rooted);
    let body = std::fs::read_to_string(rooted.join("audit/checkpoint-body.txt")).unwrap();
    let root = body.lines().nth(2).unwrap().to_string();
    let forged = format!("{}{}", "A", &root[1..]);
    let forged = if forged == root {
        format!("B{}", &root[1..])
    } else {
        forged
    };
    for f in ["audit/checkpoint.txt", "audit/checkpoint-body.txt"] {
        let p = rooted.join(f);
        let s = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, s.replacen(&root, &forged, 1)).unwrap();
    }
    reseal(&rooted);
    assert!(export::verify_package(&rooted).await.is_err());
    if have("python3", &["--version"], "python3") {
        let (ok, said) = run_verify_py(&rooted);
        assert!(!ok, "{said}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_export_without_a_copy_grant_is_refused_and_writes_nothing() {
    let t = TestApp::with_profile("dalian-ftz").await;
    t.at("2026-11-20 10:00:00");
    let (requester, view_grant) = granted(&t, "view").await;
    let out = t.scratch().join("refused");
    let e = export::evidence(t.app(), &requester, &view_grant, &out, facts())
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NoGrant(_)), "{e:?}");
    assert!(!out.exists(), "nothing written");
    // Someone else's grant.
    let other = user(&t, "R2", &["officer"]).await;
    let e = export::evidence(t.app(), &other, &view_grant, &out, facts())
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NoGrant(_)), "{e:?}");
    assert!(!out.exists(), "nothing written");
    assert!(
        t.app()
            .catalog()
            .latest_event("evidence.exported")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r22_export_refuses_the_data_directory_and_a_non_empty_folder() {
    let t = TestApp::with_profile("dalian-ftz").await;
    t.at("2026-11-20 10:00:00");
    let (requester, grant) = granted(&t, "copy").await;
    let inside = t.data().join("export");
    let e = export::evidence(t.app(), &requester, &grant, &inside, facts())
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::ExportIntoStore { .. }), "{e:?}");
    assert!(!inside.exists());
    let full = t.scratch().join("full");
    std::fs::create_dir_all(&full).unwrap();
    std::fs::write(full.join("keep.txt"), b"x").unwrap();
    let e = export::evidence(t.app(), &requester, &grant, &full, facts())
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::ExportTargetNotEmpty(_)), "{e:?}");
    assert_eq!(
        std::fs::read_dir(&full).unwrap().count(),
        1,
        "left as it was"
    );
}
