//! X1: the hashed ledger format, pinned byte for byte. One deterministic working day under
//! `zhejiang-rf` (manual clock, UUIDs from a counter) touches every kind of ledger entry the use
//! cases write; the exact leaf data of every entry is a snapshot, so any change to the hashed
//! format — a renamed field, a reordered key, a µs instant turned into text, a flag turned into a
//! boolean — shows up as a snapshot diff. The signed checkpoint note an auditor keeps is pinned
//! too.
//!
//! Two values in the bodies cannot be deterministic and are replaced, textually, before the
//! snapshot (nothing else is touched):
//! * `[verifying-key]`: the installation's public key, from a random seed at `init`
//!   (`system.initialized`);
//! * `[tmp]`: the test's temporary folder, part of absolute paths the ledger records (the device
//!   folder of an offload session, the vault roots of a fixity repair).

use std::path::Path;

use zhilu_app::model::Recording;
use zhilu_app::records::NewActivity;
use zhilu_app::registry::{NewCheckout, NewDevice, NewOfficer};
use zhilu_app::setup::load_calendar;
use zhilu_app::testing::{TestApp, beijing_time, fixture};
use zhilu_app::{
    Actor, access, integrity, offload, records, registry, zhilu_policy::ids::credit_code_check_char,
};
use zhilu_ledger::{Checkpoint, HashAlg, MemoryTree, SignatureKind, SigningKey, verify_checkpoint};

const MP4: &str = "DSJ0001_000123_20261120093000_0001.MP4";
const CUT: &str = "DSJ0001_000123_20261120093100_0002_cut.MP4";
const WAV: &str = "REC_20261120_094000.WAV";

/// What the story leaves for the assertions.
struct Story {
    t: TestApp,
    /// Every entry's body, exactly as hashed.
    raw: Vec<String>,
    /// The same, with the two volatile values replaced.
    pinned: Vec<String>,
}

fn actor(id: &str) -> Actor {
    Actor::test(id)
}

fn subject_code() -> String {
    let first17 = "91330100MA2GXX0A1";
    let c = credit_code_check_char(first17).expect("check char");
    format!("{first17}{c}")
}

fn rec<'a>(all: &'a [Recording], name: &str) -> &'a Recording {
    all.iter()
        .find(|r| r.original_name == name)
        .unwrap_or_else(|| panic!("recording {name}"))
}

/// The device folder: an intact body-camera clip, the same clip cut off when the battery died,
/// a WAV, the first clip again under another name (a duplicate), and an empty file (skipped).
fn device_folder(t: &TestApp) -> std::path::PathBuf {
    let dir = t.device_dir("DSJ0001");
    let copy = |from: &str, to: &Path| {
        if let Some(p) = to.parent() {
            std::fs::create_dir_all(p).expect("mkdir");
        }
        std::fs::copy(fixture(from), to).expect("copy fixture");
    };
    copy(MP4, &dir.join("DCIM").join(MP4));
    copy(CUT, &dir.join("DCIM").join(CUT));
    copy(WAV, &dir.join("AUDIO").join(WAV));
    copy(MP4, &dir.join("DCIM").join("RESEND_0001.MP4"));
    std::fs::write(dir.join("DCIM").join("EMPTY.MP4"), b"").expect("empty file");
    dir
}

async fn story() -> Story {
    let t = TestApp::with_profile_pinned("zhejiang-rf").await;
    let app = t.app().clone();
    let admin = actor("admin");

    // TestApp initialised at its default "now" (20:00 Beijing time): the first two entries carry
    // that instant, the story then replays the working day from 08:00 (the ledger orders by
    // sequence, not by time).
    // 08:00 the equipment keeper registers and issues a body camera; staff are registered.
    t.at("2026-11-20 08:00:00");
    registry::register_device(
        &app,
        &admin,
        NewDevice {
            serial: "DSJ0001".into(),
            kind: "执法记录仪".into(),
            model: "DSJ-V9".into(),
            unit: "执法一处".into(),
            keeper: "装备管理员".into(),
            asset_no: Some("ZC-2026-001".into()),
        },
    )
    .await
    .expect("register");
    t.at("2026-11-20 08:05:00");
    registry::device_event(
        &app,
        &admin,
        "DSJ0001",
        "发放",
        "发放至执法一处，专人保管",
        None,
        Some("周明"),
    )
    .await
    .expect("device event");
    for (id, name, unit, role) in [
        ("000123", "周明", "执法一处", "officer"),
        ("000124", "吴芳", "执法一处", "officer"),
        ("100010", "郑处长", "执法一处", "unit_head"),
        ("100020", "钱分管", "办领导", "division_leader"),
        ("100030", "孙分管", "资料保管处", "custody_leader"),
    ] {
        registry::add_officer(
            &app,
            &admin,
            NewOfficer {
                id: id.into(),
                name: name.into(),
                unit: unit.into(),
                role: Some(role.into()),
            },
        )
        .await
        .expect("officer");
    }

    // 08:30 checkout with the pre-use check.
    t.at("2026-11-20 08:30:00");
    registry::checkout(
        &app,
        &admin,
        NewCheckout {
            device: "DSJ0001".into(),
            officer: "000123".into(),
            battery_pct: Some(95),
            free_gb: Some(30),
            clock_ok: true,
        },
    )
    .await
    .expect("checkout");

    // 09:20 the inspection as its documents record it; a delivery with no recording.
    t.at("2026-11-20 09:20:00");
    let (inspection, linked) = records::add_activity(
        &app,
        &admin,
        NewActivity {
            kind: "routine_inspection".into(),
            subject_name: "某人防工程使用单位".into(),
            subject_code: Some(subject_code()),
            place: "杭州市某地下车库".into(),
            officers: vec!["000123".into(), "000124".into()],
            start: beijing_time("2026-11-20 09:28:00"),
            end: beijing_time("2026-11-20 09:50:00"),
            case_no: Some("浙人防罚〔2026〕12号".into()),
            flags: vec!["evidence".into(), "complaint".into()],
        },
    )
    .await
    .expect("activity");
    assert_eq!(linked, 0, "nothing offloaded yet");
    let (delivery, _) = records::add_activity(
        &app,
        &admin,
        NewActivity {
            kind: "service".into(),
            subject_name: "某人防工程使用单位".into(),
            subject_code: None,
            place: "当事人经营场所".into(),
            officers: vec!["000123".into(), "000124".into()],
            start: beijing_time("2026-11-20 10:00:00"),
            end: beijing_time("2026-11-20 10:10:00"),
            case_no: None,
            flags: Vec::new(),
        },
    )
    .await
    .expect("activity");

    // 10:30 the camera is offloaded at the station, then returned.
    t.at("2026-11-20 10:30:00");
    let report = offload::offload(
        &app,
        &admin,
        &offload::OffloadRequest {
            source: device_folder(&t),
            device: "DSJ0001".into(),
            officer: "000123".into(),
            station: "CJZ-01".into(),
            device_clock: Some(beijing_time("2026-11-20 10:30:07")),
            clear_device: false,
        },
        &offload::Silent,
    )
    .await
    .expect("offload");
    assert_eq!(
        (
            report.imported,
            report.duplicates,
            report.damaged.len(),
            report.skipped.len()
        ),
        (2, 1, 1, 1),
        "{report:#?}"
    );
    t.at("2026-11-20 11:00:00");
    registry::return_device(&app, &admin, "DSJ0001")
        .await
        .expect("return");

    let all = offload::recordings(&app, &Actor::test("test"), None)
        .await
        .expect("recordings");
    let (mp4, wav) = (
        rec(&all, MP4).sha256.to_string(),
        rec(&all, WAV).sha256.to_string(),
    );

    // 11:10 the clip is also linked by hand to the delivery (the offload linked it, and the WAV,
    // to the inspection); the written records and their approvals follow.
    t.at("2026-11-20 11:10:00");
    let manual = records::link(&app, &admin, &mp4[..12], delivery.id.as_str())
        .await
        .expect("link");
    assert_eq!(manual.method.as_str(), "manual");
    t.at("2026-11-20 11:20:00");
    let nr = records::add_norecord(
        &app,
        &actor("000124"),
        delivery.id.as_str(),
        "objective",
        "执法记录仪电量耗尽，备用设备未到",
    )
    .await
    .expect("norecord");
    t.at("2026-11-20 11:25:00");
    access::approve(&app, &actor("100020"), nr.id.as_str(), None)
        .await
        .expect("approve norecord");
    t.at("2026-11-20 11:30:00");
    let ir = records::add_interruption(
        &app,
        &actor("000123"),
        inspection.id.as_str(),
        &mp4,
        "cannot_continue",
        false,
    )
    .await
    .expect("interruption");
    t.at("2026-11-20 11:35:00");
    access::approve(&app, &actor("100010"), ir.id.as_str(), None)
        .await
        .expect("approve interruption");
    t.at("2026-11-20 11:40:00");
    let ex = records::request_extension(
        &app,
        &actor("000123"),
        delivery.id.as_str(),
        "送达地点偏远，当日无法返回采集站",
    )
    .await
    .expect("extension");
    t.at("2026-11-20 11:45:00");
    access::approve(&app, &actor("100010"), ex.id.as_str(), None)
        .await
        .expect("approve extension");
    t.at("2026-11-20 14:00:00");
    let ar = access::request_access(
        &app,
        &actor("000124"),
        access::AccessAsk {
            recordings: vec![mp4.clone()],
            reason: "复议答复需要调阅现场录像".into(),
            ..Default::default()
        },
    )
    .await
    .expect("access");
    t.at("2026-11-20 14:30:00");
    access::approve(&app, &actor("100030"), ar.id.as_str(), Some("同意调阅"))
        .await
        .expect("approve access");

    // 14:40 the requester watches the footage on the grant — the viewing is written before
    // the first byte, its ranges in a batch — and the recording is classified and the grant
    // revoked. (Passwords and logins are pinned apart: a salted hash is not reproducible.)
    t.at("2026-11-20 14:40:00");
    let requester = actor("000124");
    let granted = access::authorize(&app, &requester, &mp4, access::Use::Stream)
        .await
        .expect("grant");
    let viewing = access::viewing(&app, &requester, &granted, "session-1")
        .await
        .expect("viewing");
    access::served(&app, &viewing, 0, 99).await.expect("served");
    access::flush_viewings(&app).await.expect("flush");
    access::classify(
        &app,
        &actor("100030"),
        &mp4,
        Some(zhilu_app::model::Secrecy::WorkSecret),
    )
    .await
    .expect("classify");
    access::revoke(&app, &admin, granted.grant().id.as_str())
        .await
        .expect("revoke");

    // 15:00 a legal hold, released the next morning.
    t.at("2026-11-20 15:00:00");
    let hold = records::place_hold(&app, &admin, &mp4, "行政复议期间保全")
        .await
        .expect("hold");
    t.at("2026-11-21 09:00:00");
    records::release_hold(&app, &admin, hold.id.as_str())
        .await
        .expect("release");

    // 09:30 next year's holidays are loaded.
    t.at("2026-11-21 09:30:00");
    let years = load_calendar(
        &app,
        &admin,
        "[years.2027]\nsource = \"国办发明电〔2026〕N号\"\nholidays = [\"2027-01-01\"]\nworkdays = []\n",
    )
    .await
    .expect("calendar");
    assert_eq!(years, vec![2027]);

    // 10:00 the replica loses the WAV's copy; fixity restores it from the primary.
    t.at("2026-11-21 10:00:00");
    let lost = t
        .data()
        .join("vault/replica/objects/sha256")
        .join(&wav[..2])
        .join(&wav[2..4])
        .join(&wav);
    std::fs::remove_file(&lost).expect("delete the replica copy");
    let fixity = integrity::fixity(&app, &Actor::system("fixity"), true)
        .await
        .expect("fixity");
    assert_eq!(fixity.problems.len(), 1, "{fixity:#?}");
    assert!(fixity.problems[0].repaired, "{fixity:#?}");
    assert!(lost.is_file(), "the copy is back");

    let entries = app
        .catalog()
        .ledger_entries(0, 10_000)
        .await
        .expect("entries");
    let raw: Vec<String> = entries.iter().map(|e| e.body.clone()).collect();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (0..raw.len() as u64).collect::<Vec<_>>(),
        "seq from 0, no gap"
    );

    let key = app.verifying_key().to_string();
    let mut tmp: Vec<String> = vec![t.scratch().display().to_string()];
    if let Ok(c) = std::fs::canonicalize(t.scratch()) {
        tmp.insert(0, c.display().to_string());
    }
    let pinned = raw
        .iter()
        .map(|b| {
            let mut b = b.replace(&key, "[verifying-key]");
            for p in &tmp {
                b = b.replace(p.as_str(), "[tmp]");
            }
            b
        })
        .collect();
    Story { t, raw, pinned }
}

fn tree(alg: HashAlg, bodies: &[String]) -> MemoryTree {
    let mut tree = MemoryTree::new(alg);
    for b in bodies {
        tree.append(alg.leaf_hash(b.as_bytes()));
    }
    tree
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_ledger_entry_bodies_are_pinned_byte_for_byte() {
    let s = story().await;
    // The bodies read back are exactly the leaf data the committed head was computed over.
    let (size, root) = s.t.app().catalog().ledger_head().await.expect("head");
    assert_eq!(size, s.raw.len() as u64);
    assert_eq!(tree(HashAlg::Sha256, &s.raw).root(), root);
    // Every kind the use cases write appears.
    let kinds: std::collections::BTreeSet<&str> = s
        .raw
        .iter()
        .filter_map(|b| b.split("\"kind\":\"").nth(1)?.split('"').next())
        .collect();
    let expected: std::collections::BTreeSet<&str> = [
        "access.requested",
        "account.created",
        "approval.comment",
        "classification.set",
        "grant.issued",
        "grant.updated",
        "playback.progressed",
        "playback.ranges",
        "playback.started",
        "activity.added",
        "approval.requested",
        "approval.updated",
        "calendar.loaded",
        "device.checked_out",
        "device.event",
        "device.registered",
        "device.returned",
        "device.updated",
        "extension.requested",
        "hold.placed",
        "hold.released",
        "interruption.added",
        "norecord.added",
        "object.repaired",
        "offload.results",
        "offload.started",
        "offload.updated",
        "officer.added",
        "profile.applied",
        "recording.linked",
        "recording.name_added",
        "recording.stored",
        "station.registered",
        "system.initialized",
        "unit.added",
    ]
    .into_iter()
    .collect();
    assert_eq!(
        kinds, expected,
        "every kind of entry the use cases write, once at least"
    );
    assert!(
        s.raw.iter().any(|b| b.contains("\"method\":\"manual\""))
            && s.raw.iter().any(|b| b.contains("\"method\":\"auto\"")),
        "automatic and manual links"
    );
    for b in &s.pinned {
        assert!(!b.contains('\n'), "a body is one line: {b}");
    }
    insta::assert_snapshot!("ledger_entry_bodies_v2", s.pinned.join("\n"));
    s.t.assert_promises_kept().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x1_checkpoint_note_text_is_pinned() {
    let s = story().await;
    let app = s.t.app();

    // The checkpoint the application itself kept has this origin and the committed head: the
    // origin names the installation's key, and says the test's directory is a replay one.
    app.settle().await;
    let (size, root) = app.catalog().ledger_head().await.expect("head");
    let origin = zhilu_app::origin(app.verifying_key(), true);
    assert_eq!(
        origin,
        format!(
            "zhilu.ledger/v1/{}/replay",
            hex::encode(app.verifying_key().key_id())
        )
    );
    let kept = std::fs::read_to_string(app.data_dir().checkpoint()).expect("checkpoint file");
    let cp = verify_checkpoint(&kept, app.verifying_key()).expect("kept checkpoint verifies");
    assert_eq!(
        cp,
        Checkpoint {
            origin,
            size,
            root,
            alg: HashAlg::Sha256,
        }
    );

    // The story's final head over the pinned bodies (the stored root depends on the random key
    // and the temporary folder), signed by a key from a fixed seed.
    let pinned = tree(HashAlg::Sha256, &s.pinned);
    assert_eq!(pinned.size(), size);
    let ed = SigningKey::from_seed(SignatureKind::Ed25519, "zhilu-ledger", [7; 32]).expect("key");
    let head = Checkpoint {
        origin: zhilu_app::origin(&ed.verifying_key(), false),
        size,
        root: pinned.root(),
        alg: HashAlg::Sha256,
    };
    let note = ed.sign(&head).expect("sign");
    assert_eq!(
        note,
        ed.sign(&head).expect("sign again"),
        "Ed25519 is deterministic"
    );
    assert_eq!(
        verify_checkpoint(&note, &ed.verifying_key()).expect("verify"),
        head
    );
    insta::assert_snapshot!(
        "checkpoint_note_ed25519",
        format!("{}\n\n{note}", ed.verifying_key())
    );

    // SM2 as the `sm2` crate signs it (RFC 6979 nonce): deterministic too, so pinned as well —
    // over an SM3 tree of the same bodies, which pins the SM3 leaf and node hashing.
    let sm3 = tree(HashAlg::Sm3, &s.pinned);
    let sm2 = SigningKey::from_seed(SignatureKind::Sm2, "zhilu-ledger", [7; 32]).expect("key");
    let head_sm3 = Checkpoint {
        origin: zhilu_app::origin(&sm2.verifying_key(), false),
        size,
        root: sm3.root(),
        alg: HashAlg::Sm3,
    };
    let note_sm2 = sm2.sign(&head_sm3).expect("sign");
    assert_eq!(
        note_sm2,
        sm2.sign(&head_sm3).expect("sign again"),
        "SM2 with an RFC 6979 nonce is deterministic"
    );
    assert_eq!(
        verify_checkpoint(&note_sm2, &sm2.verifying_key()).expect("verify"),
        head_sm3
    );
    insta::assert_snapshot!(
        "checkpoint_note_sm2_sm3",
        format!("{}\n\n{note_sm2}", sm2.verifying_key())
    );
}
