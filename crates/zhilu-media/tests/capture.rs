//! R12, R16: the capture start stored for a recording, from its metadata or its device file name,
//! and the names shown for media kinds and time sources.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use zhilu_media::{
    CaptureTime, DeviceFileName, MediaKind, TimeSource, capture_start, parse_device_file_name,
};

fn utc(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&local(s))
}

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time")
}

/// A GA/T 947 name written at 09:30:12 China time (01:30:12 UTC).
fn name() -> DeviceFileName {
    parse_device_file_name("DSJ0001_000123_20261120093012_0001.MP4").expect("name")
}

#[test]
fn r12_capture_start_prefers_metadata_unless_the_name_shows_an_eight_hour_shift() {
    let n = name();
    let from_name = Some(utc("2026-11-20 01:30:12"));
    #[allow(clippy::type_complexity)]
    let cases: Vec<(
        &str,
        Option<CaptureTime>,
        Option<&DeviceFileName>,
        (Option<DateTime<Utc>>, TimeSource),
    )> = vec![
        (
            "metadata UTC agrees with the name",
            Some(CaptureTime::Utc(utc("2026-11-20 01:30:14"))),
            Some(&n),
            (Some(utc("2026-11-20 01:30:14")), TimeSource::Metadata),
        ),
        (
            "metadata is local time labelled UTC: 8 h late",
            Some(CaptureTime::Utc(utc("2026-11-20 09:30:14"))),
            Some(&n),
            (from_name, TimeSource::FileName),
        ),
        (
            "8 h late to within exactly 120 s",
            Some(CaptureTime::Utc(utc("2026-11-20 09:32:12"))),
            Some(&n),
            (from_name, TimeSource::FileName),
        ),
        (
            "8 h late but 121 s off: not the fault, metadata kept",
            Some(CaptureTime::Utc(utc("2026-11-20 09:32:13"))),
            Some(&n),
            (Some(utc("2026-11-20 09:32:13")), TimeSource::Metadata),
        ),
        (
            "8 h early is not the fault: metadata kept",
            Some(CaptureTime::Utc(utc("2026-11-19 17:30:12"))),
            Some(&n),
            (Some(utc("2026-11-19 17:30:12")), TimeSource::Metadata),
        ),
        (
            "local metadata is China time, whatever the name says",
            Some(CaptureTime::Local(local("2026-11-20 09:40:00"))),
            Some(&n),
            (Some(utc("2026-11-20 01:40:00")), TimeSource::Metadata),
        ),
        (
            "no metadata: the name",
            None,
            Some(&n),
            (from_name, TimeSource::FileName),
        ),
        (
            "no metadata, no name",
            None,
            None,
            (None, TimeSource::Unknown),
        ),
        (
            "metadata UTC, no name",
            Some(CaptureTime::Utc(utc("2026-11-20 09:30:14"))),
            None,
            (Some(utc("2026-11-20 09:30:14")), TimeSource::Metadata),
        ),
        (
            "local metadata, no name",
            Some(CaptureTime::Local(local("2026-11-20 09:40:00"))),
            None,
            (Some(utc("2026-11-20 01:40:00")), TimeSource::Metadata),
        ),
        (
            "earliest instant: no shift to test, no panic",
            Some(CaptureTime::Utc(DateTime::<Utc>::MIN_UTC)),
            Some(&n),
            (Some(DateTime::<Utc>::MIN_UTC), TimeSource::Metadata),
        ),
        (
            "local metadata beyond the representable range falls back to the name",
            Some(CaptureTime::Local(NaiveDateTime::MIN)),
            Some(&n),
            (from_name, TimeSource::FileName),
        ),
        (
            "local metadata beyond the range and no name",
            Some(CaptureTime::Local(NaiveDateTime::MIN)),
            None,
            (None, TimeSource::Unknown),
        ),
    ];
    for (what, meta, name, want) in cases {
        assert_eq!(capture_start(meta.as_ref(), name), want, "{what}");
    }
}

#[test]
fn r16_time_source_and_media_kind_names_round_trip_and_read_in_chinese() {
    let sources = [
        (TimeSource::Metadata, "metadata", "文件元数据"),
        (TimeSource::FileName, "file_name", "文件名"),
        (TimeSource::Unknown, "unknown", "未知"),
    ];
    for (s, name, label) in sources {
        assert_eq!((s.as_str(), s.label()), (name, label));
        assert_eq!(TimeSource::parse(name), Some(s));
    }
    assert_eq!(TimeSource::parse("Metadata"), None);
    assert_eq!(TimeSource::parse(""), None);

    let kinds = [
        (MediaKind::Mp4, "mp4", "视频"),
        (MediaKind::Mov, "mov", "视频"),
        (MediaKind::Avi, "avi", "视频"),
        (MediaKind::Jpeg, "jpeg", "照片"),
        (MediaKind::Wav, "wav", "音频"),
        (MediaKind::Mp3, "mp3", "音频"),
    ];
    for (k, name, label) in kinds {
        assert_eq!((k.as_str(), k.label()), (name, label));
        assert_eq!(MediaKind::parse(name), Some(k));
    }
    assert_eq!(MediaKind::parse("jpg"), None);
}
