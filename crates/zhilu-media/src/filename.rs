//! Body-camera file names. Recorders following GA/T 947 (单警执法视音频记录系统) name files
//! `<device id>_<officer id>_<YYYYMMDDhhmmss>_<sequence>` and vendors vary the theme. Accepted grammar
//! (extension ignored, case-insensitive, tokens separated by `_` or `-`):
//!
//! ```text
//! name      := [device] [officer] datetime [sequence] [mark]
//! datetime  := YYYYMMDDhhmmss            (one token)
//!            | YYYYMMDD hhmmss           (two tokens)
//! device    := token with a letter or 7+ characters, not a generic prefix (IMG, VID, REC, DSC, MOV, PIC, AUD, PXL)
//! officer   := 6–8 digits, the token right before the date-time (after a device token)
//! sequence  := 1–6 digits after the date-time
//! mark      := IMP | IMPORTANT | KEY | I | M   (an "important" marked file)
//! ```
//! Examples: `1234567_000123_20260315093012_0001.MP4`, `DSJ0001_000123_20261120093000_0002_IMP.MP4`,
//! `20260315_093012_0001.MP4`, `IMG_20261120_094500.JPG`, `REC-20261120-094000.WAV`.
//! A name is only read as a device name if it holds a valid calendar date-time; anything else is `None`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Fields a device wrote into a file name. Times are the device's local wall clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFileName {
    pub device_id: Option<String>,
    pub officer_id: Option<String>,
    pub start_local: NaiveDateTime,
    pub sequence: Option<u32>,
    pub important: bool,
}

const GENERIC: [&str; 8] = ["IMG", "VID", "REC", "DSC", "MOV", "PIC", "AUD", "PXL"];
const MARKS: [&str; 5] = ["IMP", "IMPORTANT", "KEY", "I", "M"];

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn date(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !digits(s) {
        return None;
    }
    NaiveDate::from_ymd_opt(
        s[0..4].parse().ok()?,
        s[4..6].parse().ok()?,
        s[6..8].parse().ok()?,
    )
    .filter(|d| (1990..=2200).contains(&d.format("%Y").to_string().parse::<i32>().unwrap_or(0)))
}

fn time(s: &str) -> Option<NaiveTime> {
    if s.len() != 6 || !digits(s) {
        return None;
    }
    NaiveTime::from_hms_opt(
        s[0..2].parse().ok()?,
        s[2..4].parse().ok()?,
        s[4..6].parse().ok()?,
    )
}

/// Reads device, officer, start time, sequence and the important mark from a file name.
pub fn parse_device_file_name(file_name: &str) -> Option<DeviceFileName> {
    if file_name.len() > 255 {
        return None;
    }
    let stem = match file_name.rsplit_once('.') {
        Some((s, ext)) if !s.is_empty() && ext.len() <= 5 => s,
        _ => file_name,
    };
    let tokens: Vec<&str> = stem.split(['_', '-']).filter(|t| !t.is_empty()).collect();
    if tokens.len() > 16 {
        return None;
    }
    // Find the date-time: one 14-digit token, or an 8-digit date followed by a 6-digit time.
    let (dt_start, dt_end, start_local) = (0..tokens.len()).find_map(|i| {
        let t = tokens[i];
        if t.len() == 14 && digits(t) {
            return Some((i, i + 1, date(&t[..8])?.and_time(time(&t[8..])?)));
        }
        let next = tokens.get(i + 1)?;
        Some((i, i + 2, date(t)?.and_time(time(next)?)))
    })?;
    let before = &tokens[..dt_start];
    let after = &tokens[dt_end..];

    let mut officer_id = None;
    let mut device_id = None;
    let mut rest: &[&str] = before;
    if let Some((last, init)) = rest.split_last()
        && !init.is_empty()
        && digits(last)
        && (6..=8).contains(&last.len())
    {
        officer_id = Some(last.to_string());
        rest = init;
    }
    if !rest.is_empty() {
        let joined = rest.join("_");
        let generic = rest.len() == 1 && GENERIC.iter().any(|g| g.eq_ignore_ascii_case(rest[0]));
        let plausible = joined.len() <= 32
            && joined
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !generic && plausible {
            device_id = Some(joined);
        }
    }
    let mut sequence = None;
    let mut important = false;
    for t in after {
        if MARKS.iter().any(|m| m.eq_ignore_ascii_case(t)) {
            important = true;
        } else if sequence.is_none() && digits(t) && t.len() <= 6 {
            sequence = t.parse().ok();
        }
    }
    Some(DeviceFileName {
        device_id,
        officer_id,
        start_local,
        sequence,
        important,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time")
    }

    #[test]
    fn r12_gat947_names_give_device_officer_time_and_sequence() {
        let n = parse_device_file_name("1234567_000123_20260315093012_0001.MP4").expect("parsed");
        assert_eq!(n.device_id.as_deref(), Some("1234567"));
        assert_eq!(n.officer_id.as_deref(), Some("000123"));
        assert_eq!(n.start_local, at("2026-03-15 09:30:12"));
        assert_eq!(n.sequence, Some(1));
        assert!(!n.important);
        let n =
            parse_device_file_name("DSJ0001_000123_20261120093000_0002_IMP.mp4").expect("parsed");
        assert_eq!(
            (n.device_id.as_deref(), n.sequence, n.important),
            (Some("DSJ0001"), Some(2), true)
        );
    }

    #[test]
    fn r12_vendor_variants_are_accepted() {
        let n = parse_device_file_name("20260315_093012_0001.MP4").expect("parsed");
        assert_eq!(
            (n.device_id, n.officer_id, n.sequence),
            (None, None, Some(1))
        );
        let n = parse_device_file_name("IMG_20261120_094500.JPG").expect("parsed");
        assert_eq!(
            (n.device_id, n.start_local),
            (None, at("2026-11-20 09:45:00"))
        );
        let n = parse_device_file_name("REC-20261120-094000.WAV").expect("parsed");
        assert_eq!(n.start_local, at("2026-11-20 09:40:00"));
        let n = parse_device_file_name("DSJ-A1_20261120094000_12.AVI").expect("parsed");
        assert_eq!(
            (n.device_id.as_deref(), n.sequence),
            (Some("DSJ_A1"), Some(12))
        );
    }

    #[test]
    fn r12_names_without_a_valid_date_time_are_not_read_as_device_names() {
        for n in [
            "device.log",
            "IMG_1234.JPG",
            "20261340_093012.MP4",
            "20261120_256000.MP4",
            "",
            "_",
            ".MP4",
            "执法记录.MP4",
        ] {
            assert_eq!(parse_device_file_name(n), None, "{n:?}");
        }
    }
}
