//! The written statement and the disc images of an evidence package (R22): `statement.pdf`
//! (PDF/A-2b, Chinese) as a tag file of every package, and the package as ISO 9660 + Joliet
//! image(s) that extract to the same, verifiable bag — split over several discs when it does not
//! fit one, each disc with all the tag files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;
use zhilu_app::Actor;
use zhilu_app::export::{self, Disc, Facts};
use zhilu_app::testing::TestApp;
use zhilu_export::iso::{self, IsoEntry};

mod export_support;
use export_support::*;

/// The facts of an extraction for a named case (the label and the statement name it).
fn case_facts() -> Facts {
    Facts {
        case_name: "张某故意伤害案".into(),
        ..facts()
    }
}

/// A requester holding an approved copy grant on both recordings, at 10:00 on the day.
async fn copy_granted(t: &TestApp) -> (Actor, String) {
    t.at("2026-11-20 10:00:00");
    granted(t, "copy").await
}

fn have_font() -> bool {
    let ok = zhilu_export::statement::system_cjk_font().is_some();
    if !ok {
        assert!(!in_ci(), "CI needs a CJK font (fonts-noto-cjk)");
        eprintln!("skipped: no CJK font (fonts-noto-cjk) is installed");
    }
    ok
}

fn sha256_file(p: &Path) -> String {
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

/// Every file under `root`, as `/`-separated relative paths.
fn tree(root: &Path) -> BTreeSet<String> {
    fn go(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                go(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let mut out = BTreeSet::new();
    go(root, root, &mut out);
    out
}

fn extract(image: &Path, out: &Path) {
    let o = Command::new("xorriso")
        .args(["-osirrox", "on", "-indev"])
        .arg(image)
        .args(["-extract", "/"])
        .arg(out)
        .output()
        .expect("xorriso");
    assert!(
        o.status.success(),
        "xorriso: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[tokio::test]
async fn r22_the_package_carries_a_pdf_a_statement_with_every_name_and_hash() {
    if !have_font() {
        return;
    }
    let t = TestApp::with_profile("dalian-ftz").await;
    let (requester, grant) = copy_granted(&t).await;
    let out = t.scratch().join("package");
    let done = export::evidence(t.app(), &requester, &grant, &out, case_facts())
        .await
        .expect("export");
    let pdf = out.join(export::STATEMENT_PDF);
    let bytes = std::fs::read(&pdf).expect("statement.pdf is written");
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    // A tag file: outside data/, in the tag manifest with its hash.
    let tagmanifest = std::fs::read_to_string(out.join("tagmanifest-sha256.txt")).unwrap();
    assert!(
        tagmanifest.contains(&format!("{}  statement.pdf", sha256_file(&pdf))),
        "{tagmanifest}"
    );
    zhilu_export::bag::verify(&out).expect("the bag still verifies");
    if !have("pdftotext", &["-v"], "pdftotext (poppler-utils)") {
        return;
    }
    let o = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(o.status.success());
    let text: String = String::from_utf8_lossy(&o.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for want in [
        "某市公安局",
        "（2026）辽0213刑初123号",
        "张某故意伤害案",
        "王芳",
        "李强",
        "某区人民法院",
        "周明",
        "000123",
        "DSJ0001",
        "2026-11-20",
    ] {
        assert!(text.contains(want), "statement lacks {want}: {text}");
    }
    for f in &done.files {
        assert!(text.contains(&f.original_name), "lacks {}", f.original_name);
        assert!(text.contains(&f.sha256), "lacks SHA-256 {}", f.sha256);
        assert!(text.contains(&f.sm3), "lacks SM3 {}", f.sm3);
    }
}

#[tokio::test]
async fn r22_iso_image_of_the_package_extracts_to_the_same_bag() {
    if !have_font() {
        return;
    }
    let t = TestApp::with_profile("dalian-ftz").await;
    let (requester, grant) = copy_granted(&t).await;
    let out = t.scratch().join("package");
    let image = t.scratch().join("证据.iso");
    let disc = Disc {
        image: image.clone(),
        capacity: iso::DVD_R,
    };
    let done = export::evidence_with(t.app(), &requester, &grant, &out, case_facts(), Some(&disc))
        .await
        .expect("export with a disc image");
    assert_eq!(done.discs.len(), 1);
    assert_eq!(done.discs[0].path, image);
    assert_eq!(done.discs[0].sha256, sha256_file(&image));
    assert_eq!(done.discs[0].payload_files, 2);
    if !have("xorriso", &["-version"], "xorriso") {
        return;
    }
    let copy = t.scratch().join("from-disc");
    extract(&image, &copy);
    assert_eq!(
        tree(&copy),
        tree(&out),
        "the disc holds the bag's paths exactly"
    );
    zhilu_export::bag::verify(&copy).expect("the extracted bag verifies");
    export::verify_package(&copy)
        .await
        .expect("with its audit proofs");
    if Command::new("bagit.py").arg("--version").output().is_ok() {
        let o = Command::new("bagit.py")
            .arg("--validate")
            .arg(&copy)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "bagit-python: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[tokio::test]
async fn r22_a_package_too_big_for_one_disc_is_split_and_each_disc_is_named() {
    if !have_font() {
        return;
    }
    let t = TestApp::with_profile("dalian-ftz").await;
    let (requester, grant) = copy_granted(&t).await;
    let out = t.scratch().join("package");
    export::evidence(t.app(), &requester, &grant, &out, case_facts())
        .await
        .expect("export");
    // A disc that holds all the tag files and any one recording, but not both.
    let files = tree(&out);
    let entry = |p: &String| IsoEntry {
        path: p.clone(),
        len: std::fs::metadata(out.join(p)).unwrap().len(),
    };
    let tags: Vec<IsoEntry> = files
        .iter()
        .filter(|p| !p.starts_with("data/"))
        .map(entry)
        .collect();
    let data: Vec<IsoEntry> = files
        .iter()
        .filter(|p| p.starts_with("data/"))
        .map(entry)
        .collect();
    assert_eq!(data.len(), 2);
    let with = |d: &[IsoEntry]| {
        let mut all = tags.clone();
        all.extend_from_slice(d);
        iso::image_size(&all).unwrap()
    };
    let capacity = with(&data[..1]).max(with(&data[1..]));
    assert!(
        with(&data) > capacity,
        "the fixture must not fit one such disc"
    );
    let image = t.scratch().join("discs").join("证据.iso");
    std::fs::create_dir_all(image.parent().unwrap()).unwrap();
    let discs = export::write_disc_images(
        &out,
        &Disc {
            image: image.clone(),
            capacity,
        },
        1_795_000_000,
    )
    .expect("split");
    assert_eq!(discs.len(), 2);
    let names: Vec<PathBuf> = discs.iter().map(|d| d.path.clone()).collect();
    assert_eq!(
        names,
        vec![
            image.with_file_name("证据-1.iso"),
            image.with_file_name("证据-2.iso")
        ]
    );
    assert!(!image.exists(), "no unnumbered image when split");
    for d in &discs {
        assert!(d.size <= capacity);
        assert_eq!(std::fs::metadata(&d.path).unwrap().len(), d.size);
        assert_eq!(d.sha256, sha256_file(&d.path));
        assert_eq!(d.payload_files, 1);
    }
    if !have("xorriso", &["-version"], "xorriso") {
        return;
    }
    let manifest = std::fs::read_to_string(out.join("manifest-sha256.txt")).unwrap();
    let mut payload = BTreeSet::new();
    for (i, d) in discs.iter().enumerate() {
        let copy = t.scratch().join(format!("disc{i}"));
        extract(&d.path, &copy);
        let got = tree(&copy);
        for tag in files.iter().filter(|p| !p.starts_with("data/")) {
            assert!(got.contains(tag), "disc {} lacks {tag}", i + 1);
            assert_eq!(
                std::fs::read(copy.join(tag)).unwrap(),
                std::fs::read(out.join(tag)).unwrap()
            );
        }
        for p in got.iter().filter(|p| p.starts_with("data/")) {
            assert!(
                manifest.contains(&format!("{}  {p}", sha256_file(&copy.join(p)))),
                "{p} on disc {} matches the manifest",
                i + 1
            );
            payload.insert(p.clone());
        }
    }
    assert_eq!(
        payload,
        files
            .iter()
            .filter(|p| p.starts_with("data/"))
            .cloned()
            .collect(),
        "together the discs carry every recording"
    );
}
