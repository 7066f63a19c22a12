//! What came off the devices: offload sessions (R16), stored recordings and every name each was
//! found under.

use chrono::{DateTime, Utc};
use zhilu_model::*;

use super::driver::RawRow;
use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, Versioned, micros, stmt, text};

table!(
    OffloadSession, table = "offload_sessions", noun = "offload",
    inserted = "offload.started", updated = "offload.updated",
    key = { id => "id" },
    subject = |r| format!("offload:{}", r.id),
    state = v1::Session,
    columns = {
        id => "id", device => "device_serial", officer => "officer", station => "station",
        source => "source", started_at => "started_at", finished_at => "finished_at",
        status => "status", device_clock_offset_ms => "device_clock_offset_ms",
        device_cleared => "device_cleared", files_seen => "files_seen", imported => "imported",
        duplicates => "duplicates", damaged => "damaged", skipped => "skipped", bytes => "bytes",
    },
);

table!(
    Recording, table = "recordings", noun = "recording",
    inserted = "recording.stored", updated = "recording.updated",
    key = { sha256 => "sha256" },
    subject = |r| format!("recording:{}", r.sha256),
    state = v1::Recording,
    columns = {
        sha256 => "sha256", sm3 => "sm3", size => "size", media_kind => "media_kind",
        capture_start => "capture_start", capture_end => "capture_end",
        duration_ms => "duration_ms", time_source => "time_source", device => "device_serial",
        officer => "officer", name_device_id => "name_device_id",
        name_officer_id => "name_officer_id", sequence => "sequence", important => "important",
        original_name => "original_name", original_path => "original_path",
        offloaded_at => "offloaded_at", station => "station", session => "session_id",
        damaged => "damaged", damage_reason => "damage_reason",
    },
);

table!(
    RecordingName, table = "recording_names", noun = "name",
    inserted = "recording.name_added", updated = "recording.name_updated",
    key = { device => "device_serial", original_path => "original_path", sha256 => "sha256" },
    // Keyed by content, device and path; JSON-quoting the path keeps `:` and newlines unambiguous.
    subject = |r| format!(
        "name:{}:{}:{}",
        r.sha256,
        r.device,
        serde_json::Value::String(r.original_path.clone())
    ),
    state = v1::RecordingName,
    columns = {
        sha256 => "sha256", device => "device_serial", original_path => "original_path",
        size => "size", session => "session_id", seen_at => "seen_at",
    },
);

/// Recordings by capture time (unknown times last), then name: the order people read them in.
const READING_ORDER: &str =
    "CASE WHEN capture_start IS NULL THEN 1 ELSE 0 END, capture_start, original_path, sha256";

/// What a hash prefix names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixLookup {
    One(Sha256),
    None,
    /// More than one stored recording starts with the prefix (how many, up to 10).
    Ambiguous(usize),
}

impl Catalog {
    pub async fn session(&self, id: &SessionId) -> Result<Option<Versioned<OffloadSession>>> {
        self.get(vec![text(id.as_str())]).await
    }

    pub async fn sessions(&self) -> Result<Vec<OffloadSession>> {
        self.select("", vec![], "started_at, id").await
    }

    /// Sessions of a device still marked running.
    pub async fn running_sessions(
        &self,
        device: &DeviceSerial,
    ) -> Result<Vec<Versioned<OffloadSession>>> {
        self.select_versioned(
            "status = $1 AND device_serial = $2",
            vec![text(SessionStatus::Running.as_str()), text(device.as_str())],
            "started_at, id",
        )
        .await
    }

    pub async fn recording(&self, sha256: &Sha256) -> Result<Option<Recording>> {
        Ok(self
            .get::<Recording>(vec![text(sha256.as_str())])
            .await?
            .map(|v| v.record))
    }

    /// Recordings, optionally of one device, in reading order.
    pub async fn recordings(&self, device: Option<&DeviceSerial>) -> Result<Vec<Recording>> {
        match device {
            Some(d) => {
                self.select("device_serial = $1", vec![text(d.as_str())], READING_ORDER)
                    .await
            }
            None => self.select("", vec![], READING_ORDER).await,
        }
    }

    /// Recordings of one device captured in `[from, to]`.
    pub async fn recordings_of_device_between(
        &self,
        device: &DeviceSerial,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Recording>> {
        self.select(
            "device_serial = $1 AND capture_start >= $2 AND capture_start <= $3",
            vec![text(device.as_str()), micros(from), micros(to)],
            READING_ORDER,
        )
        .await
    }

    /// The stored recordings whose SHA-256 starts with `prefix`.
    pub async fn resolve_prefix(&self, prefix: &HashPrefix) -> Result<PrefixLookup> {
        if let Some(full) = prefix.complete() {
            return Ok(match self.recording(&full).await? {
                Some(_) => PrefixLookup::One(full),
                None => PrefixLookup::None,
            });
        }
        // A range on the primary key: every hash with this prefix sorts in [prefix, next), where
        // `next` is the prefix with its last non-`f` digit incremented (hex digits sort alike in
        // every collation).
        let p = prefix.as_str();
        let (sql, args) = match next_prefix(p) {
            Some(next) => (
                "SELECT sha256 FROM recordings WHERE sha256 >= $1 AND sha256 < $2 ORDER BY sha256 LIMIT 10",
                vec![text(p), text(&next)],
            ),
            None => (
                "SELECT sha256 FROM recordings WHERE sha256 >= $1 ORDER BY sha256 LIMIT 10",
                vec![text(p)],
            ),
        };
        let mut found = Vec::new();
        self.db
            .each(stmt(sql), args, &mut |row: &dyn RawRow| {
                if let Some(s) = row.text(0)? {
                    found.push(s.to_string());
                }
                Ok(())
            })
            .await?;
        Ok(match found.len() {
            0 => PrefixLookup::None,
            1 => match Sha256::parse(&found[0]) {
                Ok(h) => PrefixLookup::One(h),
                Err(_) => PrefixLookup::None,
            },
            n => PrefixLookup::Ambiguous(n),
        })
    }

    /// The names seen for one path on one device.
    pub async fn names_at(&self, device: &DeviceSerial, path: &str) -> Result<Vec<RecordingName>> {
        self.select(
            "device_serial = $1 AND original_path = $2",
            vec![text(device.as_str()), text(path)],
            "sha256",
        )
        .await
    }
}

/// The smallest hex string greater than every string starting with `p`; `None` for `ff…f`.
fn next_prefix(p: &str) -> Option<String> {
    let mut digits: Vec<u8> = p.bytes().collect();
    while let Some(last) = digits.pop() {
        let next = match last {
            b'0'..=b'8' | b'a'..=b'e' => last + 1,
            b'9' => b'a',
            _ => continue,
        };
        digits.push(next);
        return String::from_utf8(digits).ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::next_prefix;

    #[test]
    fn r23_the_prefix_range_ends_at_the_next_prefix() {
        assert_eq!(next_prefix("abcd0129").as_deref(), Some("abcd012a"));
        assert_eq!(next_prefix("abcd012f").as_deref(), Some("abcd013"));
        assert_eq!(next_prefix("0fffffff").as_deref(), Some("1"));
        assert_eq!(next_prefix("ffffffff"), None);
    }
}
