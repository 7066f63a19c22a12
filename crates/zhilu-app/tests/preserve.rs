//! Long-term preservation on disc (R21): what the profile keeps long-term goes onto disc images,
//! grouped per activity or case, one label per physical copy (lushan-sj §16: 一式两份); the disc
//! register knows where each copy is and reads it back against the hashes it registered.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::TimeZone;
use zhilu_app::export::preserve::{self, CheckSource, PreserveOptions};
use zhilu_app::records::{self, NewActivity};
use zhilu_app::testing::TestApp;
use zhilu_app::{Actor, AppError};

mod export_support;
use export_support::*;

fn have_font() -> bool {
    let ok = zhilu_export::statement::system_cjk_font().is_some();
    if !ok {
        assert!(!in_ci(), "CI needs a CJK font (fonts-noto-cjk)");
        eprintln!("skipped: no CJK font (fonts-noto-cjk) is installed");
    }
    ok
}

/// lushan-sj (two disc copies), the two recordings linked to an activity flagged as a dispute
/// (§16(一): long-term), and a custodian.
async fn disputed() -> (TestApp, Actor, [String; 2]) {
    long_term(None, "dispute").await
}

/// lushan-sj, the two recordings linked to one activity (under `case`, if given) with `flag`,
/// and a custodian C1.
async fn long_term(case: Option<&str>, flag: &str) -> (TestApp, Actor, [String; 2]) {
    let t = TestApp::with_profile("lushan-sj").await;
    t.at("2026-11-20 12:00:00");
    let (a, b) = two_recordings(&t).await;
    let custodian = user(&t, "C1", &["custodian"]).await;
    let setup = Actor::test("setup");
    let utc = |h, m| chrono::Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap();
    let (act, _) = records::add_activity(
        t.app(),
        &setup,
        NewActivity {
            kind: "routine_inspection".into(),
            subject_name: "某某超市".into(),
            subject_code: None,
            place: "某区某路 1 号".into(),
            officers: vec!["000123".into()],
            start: utc(1, 20),
            end: utc(2, 0),
            case_no: case.map(str::to_string),
            flags: vec![flag.into()],
        },
    )
    .await
    .expect("activity");
    for sha in [&a, &b] {
        records::link(t.app(), &setup, sha, act.id.as_str())
            .await
            .expect("link");
    }
    (t, custodian, [a, b])
}

fn out_dir(t: &TestApp, name: &str) -> PathBuf {
    t.scratch().join(name)
}

fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

fn extract(iso: &Path, to: &Path) -> bool {
    if !have("xorriso", &["-version"], "xorriso") {
        return false;
    }
    let ok = Command::new("xorriso")
        .args(["-osirrox", "on", "-indev"])
        .arg(iso)
        .args(["-extract", "/"])
        .arg(to)
        .output()
        .expect("xorriso")
        .status
        .success();
    assert!(ok, "xorriso extracts the disc image");
    // xorriso keeps the image's read-only modes.
    Command::new("chmod")
        .arg("-R")
        .arg("u+w")
        .arg(to)
        .status()
        .unwrap();
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r21_preserve_writes_a_disc_per_activity_with_a_label_per_copy_and_registers_them() {
    if !have_font() {
        return;
    }
    let (t, custodian, items) = disputed().await;
    let plan = preserve::plan(t.app(), &custodian).await.unwrap();
    assert_eq!(plan.len(), 1, "one activity, one group: {plan:?}");
    assert_eq!(plan[0].items.len(), 2);
    assert!(plan[0].group.starts_with("activity:"));

    let out = out_dir(&t, "discs");
    let r = preserve::preserve(
        t.app(),
        &custodian,
        &out,
        &PreserveOptions {
            maker: "王芳".into(),
            capacity: zhilu_export::iso::DVD_R,
        },
    )
    .await
    .expect("preserve");
    assert_eq!(r.copies_per_disc, 2, "lushan-sj §16: 一式两份");
    assert_eq!(r.discs.len(), 1);
    let d = &r.discs[0];
    assert_eq!(d.files, 2);
    assert_eq!(sha256_file(&d.image), d.image_sha256);
    assert_eq!(d.labels.len(), 2);
    if have("pdftotext", &["-v"], "poppler-utils") {
        for (n, l) in d.labels.iter().enumerate() {
            let txt = Command::new("pdftotext").arg(l).arg("-").output().unwrap();
            let txt = String::from_utf8_lossy(&txt.stdout).replace(' ', "");
            assert!(txt.contains(&format!("第{}份共2份", n + 1)), "{txt}");
            assert!(txt.contains(&d.id), "the label names the disc: {txt}");
            assert!(txt.contains("王芳"), "{txt}");
        }
    }
    // The register: two copies waiting to be placed, the disc holding both recordings.
    let reg = preserve::register(t.app(), &custodian).await.unwrap();
    assert_eq!(reg.len(), 2);
    assert!(reg.iter().all(|r| r.copy.location == "待入库" && !r.due));
    let mut on_disc: Vec<String> = reg[0].disc.items.iter().map(|s| s.to_string()).collect();
    on_disc.sort();
    let mut want = items.to_vec();
    want.sort();
    assert_eq!(on_disc, want);

    // The disc checks without our software: extracted, its own verify.py passes.
    let x = out_dir(&t, "extracted");
    if extract(&d.image, &x) {
        let v = Command::new("python3")
            .arg(x.join("verify.py"))
            .current_dir(&x)
            .output()
            .unwrap();
        assert!(
            v.status.success(),
            "verify.py on the disc: {}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
    }

    // Nothing left to preserve: a second run makes no disc.
    let again = preserve::preserve(
        t.app(),
        &custodian,
        &out_dir(&t, "discs2"),
        &PreserveOptions {
            maker: String::new(),
            capacity: zhilu_export::iso::DVD_R,
        },
    )
    .await
    .unwrap();
    assert!(again.discs.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r21_disc_check_reads_a_copy_back_and_names_what_changed() {
    if !have_font() {
        return;
    }
    let (t, custodian, _) = disputed().await;
    let out = out_dir(&t, "discs");
    let r = preserve::preserve(
        t.app(),
        &custodian,
        &out,
        &PreserveOptions {
            maker: String::new(),
            capacity: zhilu_export::iso::DVD_R,
        },
    )
    .await
    .unwrap();
    let d = &r.discs[0];
    let copy1 = format!("{}-1", d.id);
    let copy2 = format!("{}-2", d.id);
    preserve::place(t.app(), &custodian, &copy1, "档案室 3 号柜", "李强")
        .await
        .unwrap();

    // A copy read back with `dd`: the image plus zero padding is intact.
    let read = out_dir(&t, "read.iso");
    let mut bytes = std::fs::read(&d.image).unwrap();
    bytes.extend(std::iter::repeat_n(0u8, 4096));
    std::fs::write(&read, &bytes).unwrap();
    let ok = preserve::check(
        t.app(),
        &custodian,
        &copy1,
        CheckSource::Image(read.clone()),
    )
    .await
    .unwrap();
    assert!(ok.ok, "{ok:?}");
    assert_eq!(ok.files_checked, 2);

    // One byte changed on copy 2: refused, named, and the register shows it due.
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&read, &bytes).unwrap();
    let bad = preserve::check(t.app(), &custodian, &copy2, CheckSource::Image(read))
        .await
        .unwrap();
    assert!(!bad.ok);
    assert!(bad.problems[0].contains("SHA-256"), "{:?}", bad.problems);
    let reg = preserve::register(t.app(), &custodian).await.unwrap();
    let row = |id: &str| reg.iter().find(|r| r.copy.id.as_str() == id).unwrap();
    assert_eq!(row(&copy1).copy.location, "档案室 3 号柜");
    assert_eq!(row(&copy1).copy.check_ok, Some(true));
    assert!(!row(&copy1).due);
    assert_eq!(row(&copy2).copy.check_ok, Some(false));
    assert!(row(&copy2).due, "a copy that failed its check is due");

    // The mounted disc: every file re-hashed; a changed file is named.
    let x = out_dir(&t, "mounted");
    if extract(&d.image, &x) {
        let good = preserve::check(t.app(), &custodian, &copy1, CheckSource::Mount(x.clone()))
            .await
            .unwrap();
        assert!(good.ok, "{good:?}");
        let data = std::fs::read_dir(x.join("data"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut b = std::fs::read(&data).unwrap();
        b[0] ^= 1;
        std::fs::write(&data, b).unwrap();
        let name = data.file_name().unwrap().to_string_lossy().into_owned();
        let bad = preserve::check(t.app(), &custodian, &copy1, CheckSource::Mount(x))
            .await
            .unwrap();
        assert!(!bad.ok);
        assert!(
            bad.problems.iter().any(|p| p.contains(&name)),
            "{:?}",
            bad.problems
        );
    }
    // Every check is in the ledger.
    let entries = t
        .app()
        .catalog()
        .ledger_entries_about(&format!("disc-check:{copy1}"), 100)
        .await
        .unwrap();
    assert!(entries.iter().filter(|e| e.kind == "disc.checked").count() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r21_register_shows_copies_due_for_their_periodic_check() {
    if !have_font() {
        return;
    }
    let (t, custodian, _) = disputed().await;
    let r = preserve::preserve(
        t.app(),
        &custodian,
        &out_dir(&t, "discs"),
        &PreserveOptions {
            maker: String::new(),
            capacity: zhilu_export::iso::DVD_R,
        },
    )
    .await
    .unwrap();
    let d = &r.discs[0];
    let months = t
        .app()
        .profile()
        .await
        .unwrap()
        .retention
        .disc_check_months
        .clone();
    assert_eq!(
        months.map(|m| *m.get_ref()),
        Some(12),
        "the preset's interval"
    );
    t.at("2027-11-19 12:00:00");
    let reg = preserve::register(t.app(), &custodian).await.unwrap();
    assert!(reg.iter().all(|r| !r.due), "not yet a year");
    t.at("2027-11-21 12:00:00");
    let reg = preserve::register(t.app(), &custodian).await.unwrap();
    assert!(reg.iter().all(|r| r.due), "a year since made");
    preserve::check(
        t.app(),
        &custodian,
        &format!("{}-1", d.id),
        CheckSource::Image(d.image.clone()),
    )
    .await
    .unwrap();
    let reg = preserve::register(t.app(), &custodian).await.unwrap();
    let due: Vec<u32> = reg
        .iter()
        .filter(|r| r.due)
        .map(|r| r.copy.copy_no)
        .collect();
    assert_eq!(due, vec![2], "the checked copy is not due again for a year");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r21_only_the_custodian_preserves_and_bad_input_is_refused() {
    let (t, custodian, _) = disputed().await;
    let officer = user(&t, "O1", &["officer"]).await;
    let e = preserve::plan(t.app(), &officer).await.unwrap_err();
    assert!(matches!(e, AppError::Forbidden { .. }), "{e:?}");
    let e = preserve::place(t.app(), &custodian, "GD99999-1", "档案室", "李强")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound { .. }), "{e:?}");
    let e = preserve::place(t.app(), &custodian, "../etc", "档案室", "李强")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Invalid { .. }), "{e:?}");
    // Into the data directory: refused before anything is written.
    let e = preserve::preserve(
        t.app(),
        &custodian,
        &t.data().join("discs"),
        &PreserveOptions {
            maker: String::new(),
            capacity: zhilu_export::iso::DVD_R,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::ExportIntoStore { .. }), "{e:?}");
    assert!(!t.data().join("discs").exists());
}

/// The two recordings under one case number, preserved on discs of `capacity` bytes.
async fn case_on_discs(capacity: u64) -> (TestApp, preserve::Preserved) {
    let (t, custodian, _) = long_term(Some("鲁市监罚〔2026〕12号"), "obstruction").await;
    let r = preserve::preserve(
        t.app(),
        &custodian,
        &t.scratch().join("discs"),
        &PreserveOptions {
            maker: String::new(),
            capacity,
        },
    )
    .await
    .expect("preserve");
    (t, r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r21_a_case_larger_than_a_disc_runs_over_numbered_discs_each_checkable() {
    if !have_font() {
        return;
    }
    let (_one, r) = case_on_discs(zhilu_export::iso::DVD_R).await;
    assert_eq!(r.discs.len(), 1);
    assert!(r.discs[0].group.starts_with("case:"), "grouped by case");
    assert!(r.discs[0].title.contains("鲁市监罚〔2026〕12号"));
    // A disc just too small for both files: the case runs over two discs.
    let (t, r) = case_on_discs(r.discs[0].image_size - 20_000).await;
    assert_eq!(r.discs.len(), 2, "{:?}", r.discs);
    assert_eq!(
        r.discs
            .iter()
            .map(|d| (d.part, d.parts))
            .collect::<Vec<_>>(),
        vec![(1, 2), (2, 2)]
    );
    assert_eq!(r.discs.iter().map(|d| d.files).sum::<usize>(), 2);
    let custodian = user(&t, "C2", &["custodian"]).await;
    for d in &r.discs {
        let x = t.scratch().join(format!("x-{}", d.id));
        if extract(&d.image, &x) {
            let v = Command::new("python3")
                .arg(x.join("verify.py"))
                .arg("--disc")
                .current_dir(&x)
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&v.stdout);
            assert!(
                said.contains("另有 1 个文件在同一证据包的其他光盘上"),
                "{said}"
            );
            // Without --disc the same disc is refused: a file is missing.
            let whole = Command::new("python3")
                .arg(x.join("verify.py"))
                .current_dir(&x)
                .output()
                .unwrap();
            assert!(!whole.status.success());
            assert!(
                v.status.success(),
                "each disc checks on its own: {}{}",
                String::from_utf8_lossy(&v.stdout),
                String::from_utf8_lossy(&v.stderr)
            );
            let c = preserve::check(
                t.app(),
                &custodian,
                &format!("{}-2", d.id),
                CheckSource::Mount(x),
            )
            .await
            .unwrap();
            assert!(c.ok && c.files_checked == 1, "{c:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r20_r21_after_a_purge_the_register_says_the_bytes_live_only_on_disc() {
    use zhilu_app::access;
    use zhilu_app::records::purge::{self, PurgeAsk};
    if !have_font() {
        return;
    }
    let (t, custodian, items) = disputed().await;
    let r = preserve::preserve(
        t.app(),
        &custodian,
        &t.scratch().join("discs"),
        &PreserveOptions {
            maker: String::new(),
            capacity: zhilu_export::iso::DVD_R,
        },
    )
    .await
    .unwrap();
    let d = &r.discs[0];
    let manager = user(&t, "M1", &["records_manager"]).await;
    // Long-term is 30 years (lushan-sj §16, the agency's choice): past it, a person decides.
    t.at("2056-11-21 12:00:00");
    let req = purge::request_purge(
        t.app(),
        &custodian,
        PurgeAsk {
            recordings: vec![items[0].clone()],
            expired: false,
            reason: "长期保存期满".into(),
        },
    )
    .await
    .expect("request");
    access::approve(t.app(), &manager, req.id.as_str(), None)
        .await
        .expect("approve");
    let done = purge::execute_purge(t.app(), &custodian, req.id.as_str())
        .await
        .expect("execute");
    assert_eq!(
        done.on_discs.len(),
        2,
        "both copies named: {:?}",
        done.on_discs
    );
    assert!(done.on_discs[0].starts_with(&format!("{}-", d.id)));
    let reg = preserve::register(t.app(), &custodian).await.unwrap();
    assert!(reg.iter().all(|r| r.purged_items == 1), "{reg:?}");
    // The disc itself is untouched by the purge and still reads back whole.
    let c = preserve::check(
        t.app(),
        &custodian,
        &format!("{}-1", d.id),
        CheckSource::Image(d.image.clone()),
    )
    .await
    .unwrap();
    assert!(c.ok, "{c:?}");
}
