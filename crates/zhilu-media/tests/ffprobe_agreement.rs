//! R16/R12: the parser agrees with ffprobe and exiftool on real encoded recordings
//! (`scripts/make-media-fixtures.sh` made them and recorded the tools' readings in expected.json),
//! and tells damaged files and non-media apart.

use std::io::Cursor;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use zhilu_media::{CaptureTime, MediaKind, ProbeError, probe};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(dir().join("expected.json")).expect("expected.json"))
        .expect("json")
}

fn run(name: &str) -> Result<zhilu_media::MediaInfo, ProbeError> {
    let bytes = std::fs::read(dir().join(name)).expect("fixture");
    let len = bytes.len() as u64;
    probe(&mut Cursor::new(bytes), len)
}

/// ffprobe prints durations rounded to microseconds; MP3 durations differ by the encoder padding
/// that ffprobe subtracts using the LAME tag (up to one frame, 26 ms at 44.1 kHz).
fn tolerance(kind: MediaKind) -> f64 {
    if kind == MediaKind::Mp3 { 0.05 } else { 0.002 }
}

#[test]
fn r16_durations_and_capture_times_agree_with_ffprobe_and_exiftool() {
    let exp = expected();
    let good = exp["good"].as_object().expect("good");
    assert!(good.len() >= 8);
    for (name, want) in good {
        let info = run(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let kind = MediaKind::parse(want["kind"].as_str().expect("kind")).expect("kind");
        assert_eq!(info.kind, kind, "{name}");
        if let Some(d) = want["duration_s"].as_f64() {
            let ours = info
                .duration_s
                .unwrap_or_else(|| panic!("{name}: no duration"));
            assert!(
                (ours - d).abs() <= tolerance(kind),
                "{name}: ours {ours} vs ffprobe {d}"
            );
        }
        match (
            want["creation_time"].as_str(),
            want["datetime_original"].as_str(),
        ) {
            (Some(t), _) if t.ends_with('Z') => {
                let t: DateTime<Utc> = t.parse().expect("rfc3339");
                assert_eq!(info.capture_start, Some(CaptureTime::Utc(t)), "{name}");
            }
            (Some(t), _) => {
                let t = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").expect("local");
                assert_eq!(info.capture_start, Some(CaptureTime::Local(t)), "{name}");
            }
            (None, Some(t)) => {
                let local = NaiveDateTime::parse_from_str(t, "%Y:%m:%d %H:%M:%S").expect("exif");
                match want["offset"].as_str() {
                    Some("+08:00") => {
                        let utc = local - chrono::Duration::hours(8);
                        assert_eq!(
                            info.capture_start,
                            Some(CaptureTime::Utc(utc.and_utc())),
                            "{name}"
                        );
                    }
                    _ => assert_eq!(
                        info.capture_start,
                        Some(CaptureTime::Local(local)),
                        "{name}"
                    ),
                }
                assert_eq!(info.make_model.as_deref(), Some("Zhilu DSC-T1"), "{name}");
            }
            (None, None) => assert_eq!(info.capture_start, None, "{name}"),
        }
        if kind.is_video() {
            assert_eq!((info.width, info.height), (Some(160), Some(120)), "{name}");
        }
    }
}

#[test]
fn r16_damaged_recordings_are_reported_as_damaged_with_a_reason() {
    let exp = expected();
    for (name, needle) in exp["damaged"].as_object().expect("damaged") {
        match run(name) {
            Err(ProbeError::Damaged { reason, .. }) => {
                let text = reason.to_string();
                assert!(
                    text.contains(needle.as_str().unwrap_or("")),
                    "{name}: {text}"
                );
                assert!(!text.is_empty());
            }
            other => panic!("{name}: expected Damaged, got {other:?}"),
        }
    }
}

#[test]
fn r16_non_media_is_not_media() {
    for name in expected()["not_media"].as_array().expect("list") {
        let name = name.as_str().expect("name");
        assert!(matches!(run(name), Err(ProbeError::NotMedia)), "{name}");
    }
    assert!(matches!(
        probe(&mut Cursor::new(Vec::new()), 0),
        Err(ProbeError::NotMedia)
    ));
    let log = b"2026-11-20 09:30:00 power on\n".to_vec();
    assert!(matches!(
        probe(&mut Cursor::new(log), 29),
        Err(ProbeError::NotMedia)
    ));
}

#[test]
fn r16_synthetic_recordings_parse_as_written() {
    let t: DateTime<Utc> = "2026-11-20T01:30:00Z".parse().expect("t");
    let mut big = Vec::new();
    zhilu_media::synth::write_large_mp4(&mut big, 300_000, t, 61.5, 9).expect("write");
    assert_eq!(big.len(), 300_000);
    let info = probe(&mut Cursor::new(&big), 300_000).expect("probe");
    assert_eq!(
        (info.kind, info.capture_start, info.duration_s),
        (MediaKind::Mp4, Some(CaptureTime::Utc(t)), Some(61.5))
    );
    let mut cut = big.clone();
    cut.truncate(200_000);
    assert!(matches!(
        probe(&mut Cursor::new(&cut), 200_000),
        Err(ProbeError::Damaged {
            reason: zhilu_media::Damage::MissingIndex,
            ..
        })
    ));

    let template = std::fs::read(dir().join("demo_template.mp4")).expect("template");
    let t2: DateTime<Utc> = "2027-01-02T03:04:05Z".parse().expect("t");
    let re = zhilu_media::synth::restamp_mp4(&template, t2, b"salt").expect("restamp");
    assert_ne!(re, template);
    let info = probe(&mut Cursor::new(&re), re.len() as u64).expect("probe");
    assert_eq!(info.capture_start, Some(CaptureTime::Utc(t2)));
    assert!((info.duration_s.unwrap_or(0.0) - 2.0).abs() < 0.002);

    let jpg = std::fs::read(dir().join("demo_template.jpg")).expect("template");
    let local =
        NaiveDateTime::parse_from_str("2027-01-02 11:04:05", "%Y-%m-%d %H:%M:%S").expect("t");
    let re = zhilu_media::synth::restamp_jpeg(&jpg, local, b"salt").expect("restamp");
    let info = probe(&mut Cursor::new(&re), re.len() as u64).expect("probe");
    assert_eq!(info.capture_start, Some(CaptureTime::Local(local)));

    let wav = zhilu_media::synth::wav(2.5, 16_000, 440.0);
    let info = probe(&mut Cursor::new(&wav), wav.len() as u64).expect("probe");
    assert_eq!((info.kind, info.duration_s), (MediaKind::Wav, Some(2.5)));
}
