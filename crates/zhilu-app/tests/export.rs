//! Evidence extraction (R22, R23, X3): a copy grant's recordings leave as a BagIt package that a
//! receiver checks with common tools (bagit-python, openssl) and the shipped `verify.py`, without
//! our software; without a copy grant nothing is written.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;
use zhilu_app::access::{self, AccessAsk};
use zhilu_app::export::{self, Facts};
use zhilu_app::identity::{self, NewUser};
use zhilu_app::testing::{TestApp, fixture};
use zhilu_app::{Actor, AppError, offload, registry};

const PASSWORD: &str = "Strong-Pass-2026";
const INITIAL: &str = "Initial-Pass-2026";
const MP4: &str = "DSJ0001_000123_20261120093000_0001.MP4";
const WAV: &str = "REC_20261120_094000.WAV";

/// Camera DSJ0001, officer 000123, and two recordings offloaded: (MP4, WAV) SHA-256.
async fn two_recordings(t: &TestApp) -> (String, String) {
    let setup = Actor::test("setup");
    registry::register_device(t.app(), &setup, zhilu_app::testing::camera("DSJ0001"))
        .await
        .expect("device");
    registry::add_officer(
        t.app(),
        &setup,
        registry::NewOfficer {
            id: "000123".into(),
            name: "周明".into(),
            unit: "一大队".into(),
            role: None,
        },
    )
    .await
    .expect("officer");
    let dir = t.device_dir("DSJ0001");
    for f in [MP4, WAV] {
        std::fs::copy(fixture(f), dir.join(f)).expect("copy");
    }
    offload::offload(
        t.app(),
        &setup,
        &offload::OffloadRequest {
            source: dir,
            device: "DSJ0001".into(),
            officer: "000123".into(),
            station: "CJZ-01".into(),
            device_clock: None,
            clear_device: false,
        },
        &offload::Silent,
    )
    .await
    .expect("offload");
    let all = offload::recordings(t.app(), &setup, None).await.unwrap();
    let sha = |name: &str| {
        all.iter()
            .find(|r| r.original_name == name)
            .expect("recording")
            .sha256
            .to_string()
    };
    (sha(MP4), sha(WAV))
}

async fn user(t: &TestApp, id: &str, roles: &[&str]) -> Actor {
    identity::add_user(
        t.app(),
        &Actor::test("setup"),
        NewUser {
            id: id.into(),
            name: format!("用户{id}"),
            unit: "一处".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            password: Some(INITIAL.into()),
            ..NewUser::default()
        },
    )
    .await
    .expect("add user");
    let first = identity::login(t.app(), id, INITIAL, "127.0.0.1")
        .await
        .expect("first login");
    identity::change_password(t.app(), &first.actor, INITIAL, PASSWORD)
        .await
        .expect("change password");
    identity::login(t.app(), id, PASSWORD, "127.0.0.1")
        .await
        .expect("login")
        .actor
}

/// A requester holding an approved grant of `kind` on both recordings; returns (requester, grant).
async fn granted(t: &TestApp, kind: &str) -> (Actor, String) {
    let (a, b) = two_recordings(t).await;
    let chain: Vec<String> = t
        .app()
        .profile()
        .await
        .unwrap()
        .access
        .approvers
        .iter()
        .map(|r| r.get_ref().clone())
        .collect();
    let requester = user(t, "R1", &["officer"]).await;
    let mut approvers = Vec::new();
    for (i, role) in chain.iter().enumerate() {
        approvers.push(user(t, &format!("AP{i}"), &[role.as_str()]).await);
    }
    let req = access::request_access(
        t.app(),
        &requester,
        AccessAsk {
            recordings: vec![a, b],
            kind: Some(kind.into()),
            reason: "移送法院作为证据".into(),
            ..AccessAsk::default()
        },
    )
    .await
    .expect("request");
    for ap in &approvers {
        access::approve(t.app(), ap, req.id.as_str(), Some("同意"))
            .await
            .expect("approve");
    }
    let grants = access::my_grants(t.app(), &requester).await.unwrap();
    (requester, grants[0].grant.id.to_string())
}

fn facts() -> Facts {
    Facts {
        maker: "王芳".into(),
        extractor: "李强".into(),
        reason: "移送法院作为证据".into(),
        case: "（2026）辽0213刑初123号".into(),
        case_name: String::new(),
        receiver: "某区人民法院".into(),
        agency: "某市公安局".into(),
    }
}

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

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether `tool` can run here; outside CI a missing tool skips the check, in CI it fails.
fn have(program: &str, args: &[&str], what: &str) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(!in_ci(), "CI needs {what}");
        eprintln!("skipped: {what} is not installed");
    }
    ok
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
