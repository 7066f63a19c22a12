//! Several processes writing one data directory at once — two collection stations offloading, a
//! clerk's command beside them — with no data-directory lock: the database serialises the ledger,
//! each offload locks only its own device.

mod support;

use std::fs;
use std::process::Stdio;

use support::{TestApp, Zhilu, utc};

fn camera_folder(t: &TestApp, name: &str, serial: &str, files: u32) -> std::path::PathBuf {
    let d = t.device_dir(name);
    for i in 0..files {
        let mut f = std::io::BufWriter::new(
            fs::File::create(d.join(format!(
                "{serial}_000123_2026112009{i:02}00_{:04}.MP4",
                i + 1
            )))
            .expect("create"),
        );
        zhilu_media::synth::write_large_mp4(
            &mut f,
            2_000_000,
            utc(2026, 11, 20, 1, i, 0),
            60.0,
            // File 0 is the same recording on both devices (copied from one to the other): the
            // two stations store it at the same moment; the rest differ per device.
            if i == 0 {
                7
            } else {
                u64::from(i) + 1000 * u64::from(serial.as_bytes()[4])
            },
        )
        .expect("mp4");
        use std::io::Write;
        f.flush().expect("flush");
    }
    d
}

#[test]
fn x1_two_stations_offload_into_one_data_directory_at_the_same_time() {
    let t = TestApp::empty();
    t.ready("DSJ01");
    t.ok(&[
        "--actor",
        "sysadmin",
        "device",
        "register",
        "--serial",
        "DSJ02",
        "--kind",
        "执法记录仪",
        "--model",
        "DSJ-V9",
        "--unit",
        "二大队",
        "--keeper",
        "李强",
    ]);
    let a = camera_folder(&t, "a", "DSJ01", 6);
    let b = camera_folder(&t, "b", "DSJ02", 6);
    let spawn = |dir: &std::path::Path, serial: &str, station: &str| {
        t.cmd()
            .args(["--json", "ingest"])
            .arg(dir)
            .args([
                "--device",
                serial,
                "--officer",
                "000123",
                "--station",
                station,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let first = spawn(&a, "DSJ01", "CJZ-A");
    let second = spawn(&b, "DSJ02", "CJZ-B");
    // Meanwhile a clerk registers an officer from a third process.
    t.ok(&[
        "--actor",
        "sysadmin",
        "officer",
        "add",
        "--id",
        "000124",
        "--name",
        "张伟",
        "--unit",
        "一大队",
    ]);
    let mut imported = 0;
    let mut duplicates = 0;
    for child in [first, second] {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        imported += report["imported"].as_u64().expect("imported");
        duplicates += report["duplicates"].as_u64().expect("duplicates");
    }
    assert_eq!(
        (imported, duplicates),
        (11, 1),
        "the shared file stored once"
    );
    assert_eq!(t.recordings().len(), 11);
    let v = t.ok(&["verify"]);
    assert_eq!(v["ok"], true, "{v}");
}

#[test]
fn r16_a_device_already_being_offloaded_is_not_offloaded_twice_at_once() {
    let t = TestApp::empty();
    t.ready("DSJ01");
    let a = camera_folder(&t, "a", "DSJ01", 1);
    // Another station holds DSJ01's offload lock (as a running offload does).
    let lock_path = t.data().join("locks/offload-DSJ01.lock");
    fs::create_dir_all(lock_path.parent().expect("parent")).expect("mkdir");
    let lock = fs::File::create(&lock_path).expect("lock file");
    lock.lock().expect("lock");
    let before = t.ledger_size();
    let f = t.ingest_fails(&a, "DSJ01");
    assert_eq!(f.code, "offload_in_progress", "{f}");
    assert_eq!(t.ledger_size(), before, "nothing written");
    drop(lock);
    // Once the other offload is over, this one runs.
    assert_eq!(t.ingest(&a, "DSJ01")["imported"], 1);
}
