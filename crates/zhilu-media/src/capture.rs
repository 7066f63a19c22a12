//! When a recording started: the rule that chooses between the file's own metadata and the
//! body-camera file name, and says which one it used.
//!
//! MP4's `mvhd` time is defined as UTC; EXIF and device file names carry China wall-clock time
//! (UTC+8; China has kept no daylight saving since 1991, so a fixed offset is exact). Many body
//! cameras write their local wall clock into `mvhd` as if it were UTC, which puts the recording
//! 8 hours late; the file name, written from the same clock, shows it.

use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, TimeZone, Utc};

use crate::{CaptureTime, DeviceFileName};

/// The largest disagreement, in seconds, between "metadata − 8 h" and the file name's time for the
/// metadata to be taken as local time mislabelled as UTC (the name is written when recording
/// starts, the metadata when the file is opened; they differ by a few seconds).
const SHIFT_TOLERANCE_S: i64 = 120;

/// Where a recording's capture start came from, kept with the recording so people can judge how
/// far to trust it (a file-name time has only second precision and the device's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeSource {
    /// The file's own metadata (MP4/MOV `mvhd`, EXIF, AVI/WAV tags).
    Metadata,
    /// The device-style file name.
    FileName,
    /// Neither gave a usable time.
    Unknown,
}

impl TimeSource {
    /// The stable machine name stored in the catalog: `metadata`, `file_name` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Metadata => "metadata",
            TimeSource::FileName => "file_name",
            TimeSource::Unknown => "unknown",
        }
    }

    /// The inverse of [`TimeSource::as_str`], for reading the catalog back.
    pub fn parse(s: &str) -> Option<Self> {
        [
            TimeSource::Metadata,
            TimeSource::FileName,
            TimeSource::Unknown,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    /// Chinese name for people.
    pub fn label(self) -> &'static str {
        match self {
            TimeSource::Metadata => "文件元数据",
            TimeSource::FileName => "文件名",
            TimeSource::Unknown => "未知",
        }
    }
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// A China wall-clock time as a UTC instant.
fn china_local_to_utc(t: NaiveDateTime) -> Option<DateTime<Utc>> {
    china()
        .from_local_datetime(&t)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// Chooses the capture start: the file's own metadata, unless the device-style file name shows the
/// metadata is local time written as if it were UTC (a common body-camera fault: "metadata − 8 h"
/// agrees with the name within 120 s, and the metadata itself is more than 7 h off). Local
/// metadata (EXIF) is read as China time. Without usable metadata, the name's time; without either,
/// none. Returns the instant and where it came from.
pub fn capture_start(
    meta: Option<&CaptureTime>,
    name: Option<&DeviceFileName>,
) -> (Option<DateTime<Utc>>, TimeSource) {
    let from_name = name.and_then(|n| china_local_to_utc(n.start_local));
    let by_name = (
        from_name,
        if from_name.is_some() {
            TimeSource::FileName
        } else {
            TimeSource::Unknown
        },
    );
    match meta {
        Some(CaptureTime::Utc(t)) => {
            if let (Some(n), Some(shifted)) = (from_name, t.checked_sub_signed(Duration::hours(8)))
                && (shifted - n).num_seconds().abs() <= SHIFT_TOLERANCE_S
                && (*t - n).num_seconds().abs() > 7 * 3600
            {
                return (Some(n), TimeSource::FileName);
            }
            (Some(*t), TimeSource::Metadata)
        }
        Some(CaptureTime::Local(l)) => match china_local_to_utc(*l) {
            Some(t) => (Some(t), TimeSource::Metadata),
            None => by_name,
        },
        None => by_name,
    }
}
