//! The enforcement record: activities (R7), the links of recordings to them, and the written
//! records that explain them — non-recording (R10), interruption (R11), offload extension (R17) —
//! and legal holds on recordings (R20).

use chrono::{DateTime, Utc};
use zhilu_model::*;

use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, Versioned, int, micros, text};

table!(
    Activity, table = "activities", noun = "activity",
    inserted = "activity.added", updated = "activity.updated",
    key = { id => "id" },
    subject = |r| format!("activity:{}", r.id),
    state = v1::Activity,
    columns = {
        id => "id", kind => "kind", subject_name => "subject_name",
        subject_code => "subject_code", subject_code_kind => "subject_code_kind",
        place => "place", officers => "officers", start => "start_at", end => "end_at",
        case_no => "case_no", flags => "flags", created_at => "created_at",
        created_by => "created_by",
    },
);

table!(
    Link, table = "activity_links", noun = "link",
    inserted = "recording.linked", updated = "link.updated",
    key = { sha256 => "sha256", activity => "activity_id" },
    subject = |r| format!("link:{}:{}", r.sha256, r.activity),
    state = v1::Link,
    columns = {
        sha256 => "sha256", activity => "activity_id", method => "method",
        linked_at => "linked_at", actor => "actor",
    },
);

table!(
    NoRecord, table = "norecords", noun = "norecord",
    inserted = "norecord.added", updated = "norecord.updated",
    key = { id => "id" },
    subject = |r| format!("norecord:{}", r.id),
    state = v1::NoRecord,
    columns = {
        id => "id", activity => "activity_id", reason => "reason", basis => "basis",
        created_at => "created_at", created_by => "created_by",
    },
);

table!(
    Interruption, table = "interruptions", noun = "interruption",
    inserted = "interruption.added", updated = "interruption.updated",
    key = { id => "id" },
    subject = |r| format!("interruption:{}", r.id),
    state = v1::Interruption,
    columns = {
        id => "id", activity => "activity_id", after => "after_sha256", reason => "reason",
        voice_stated => "voice_stated", detail => "detail", created_at => "created_at",
        created_by => "created_by",
    },
);

table!(
    Extension, table = "offload_extensions", noun = "extension",
    inserted = "extension.requested", updated = "extension.updated",
    key = { id => "id" },
    subject = |r| format!("extension:{}", r.id),
    state = v1::Extension,
    columns = {
        id => "id", activity => "activity_id", reason => "reason",
        created_at => "created_at", created_by => "created_by",
    },
);

table!(
    Hold, table = "holds", noun = "hold",
    inserted = "hold.placed", updated = "hold.released",
    key = { id => "id" },
    subject = |r| format!("hold:{}", r.id),
    state = v1::Hold,
    columns = {
        id => "id", sha256 => "sha256", reason => "reason", placed_at => "placed_at",
        placed_by => "placed_by", released_at => "released_at",
    },
);

impl Catalog {
    pub async fn activity(&self, id: &ActivityId) -> Result<Option<Activity>> {
        Ok(self
            .get::<Activity>(vec![text(id.as_str())])
            .await?
            .map(|v| v.record))
    }

    /// Every activity, by start.
    pub async fn activities(&self) -> Result<Vec<Activity>> {
        self.select("", vec![], "start_at, id").await
    }

    /// Activities that overlap `[from, to]`: one indexed range on `start_at`, bounded by the
    /// longest activity (an overlap test on two columns would scan from the start of time).
    pub async fn activities_overlapping(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Activity>> {
        let span = self.longest_activity_us().await?;
        let lo = from.timestamp_micros();
        self.select(
            "start_at >= $1 AND start_at <= $2 AND end_at >= $3",
            vec![int(lo.saturating_sub(span)), micros(to), int(lo)],
            "start_at, id",
        )
        .await
    }

    /// The longest activity (end − start, µs; 0 when there is none); migration 0003 indexes it.
    pub(crate) async fn longest_activity_us(&self) -> Result<i64> {
        Ok(self
            .scalar_int(
                super::stmt("SELECT MAX(end_at - start_at) FROM activities"),
                vec![],
            )
            .await?
            .unwrap_or(0)
            .max(0))
    }

    /// The activities of one subject (一户式, R19), by its verified code or by its exact name.
    pub async fn activities_of_subject(
        &self,
        code: Option<&str>,
        name: Option<&str>,
    ) -> Result<Vec<Activity>> {
        match (code, name) {
            (Some(c), _) => {
                self.select("subject_code = $1", vec![text(c)], "start_at, id")
                    .await
            }
            (None, Some(n)) => {
                self.select("subject_name = $1", vec![text(n)], "start_at, id")
                    .await
            }
            (None, None) => Ok(Vec::new()),
        }
    }

    pub async fn links_of_activities(&self, activities: &[ActivityId]) -> Result<Vec<Link>> {
        let ids: Vec<String> = activities.iter().map(|a| a.to_string()).collect();
        self.select_in("activity_id", &ids, "linked_at, sha256")
            .await
    }

    /// The activities a recording is linked to.
    pub async fn links_of_recording(&self, sha256: &Sha256) -> Result<Vec<Link>> {
        self.select(
            "sha256 = $1",
            vec![text(sha256.as_str())],
            "linked_at, activity_id",
        )
        .await
    }

    pub async fn link(&self, sha256: &Sha256, activity: &ActivityId) -> Result<Option<Link>> {
        Ok(self
            .get::<Link>(vec![text(sha256.as_str()), text(activity.as_str())])
            .await?
            .map(|v| v.record))
    }

    pub async fn norecords_of(&self, activities: &[ActivityId]) -> Result<Vec<NoRecord>> {
        let ids: Vec<String> = activities.iter().map(|a| a.to_string()).collect();
        self.select_in("activity_id", &ids, "id").await
    }

    pub async fn interruptions_of(&self, activities: &[ActivityId]) -> Result<Vec<Interruption>> {
        let ids: Vec<String> = activities.iter().map(|a| a.to_string()).collect();
        self.select_in("activity_id", &ids, "id").await
    }

    pub async fn extensions_of(&self, activities: &[ActivityId]) -> Result<Vec<Extension>> {
        let ids: Vec<String> = activities.iter().map(|a| a.to_string()).collect();
        self.select_in("activity_id", &ids, "id").await
    }

    pub async fn hold(&self, id: &HoldId) -> Result<Option<Versioned<Hold>>> {
        self.get(vec![text(id.as_str())]).await
    }

    /// Holds not yet released.
    pub async fn active_holds(&self) -> Result<Vec<Hold>> {
        self.select("released_at IS NULL", vec![], "id").await
    }

    /// Up to `limit` recordings (optionally of one device) that follow `after` in reading order
    /// (capture time, then original path and hash; unknown capture time last), the first page
    /// when `after` is `None`. A list of millions is read a page at a time by keyset, each page
    /// one range of the capture-time index, so nothing holds the whole list in memory. Fewer
    /// than `limit` rows means the list is complete.
    pub async fn recordings_page(
        &self,
        device: Option<&DeviceSerial>,
        after: Option<&Recording>,
        limit: usize,
    ) -> Result<Vec<Recording>> {
        let mut out = Vec::new();
        let captured_after = match after {
            None => Some(None),
            Some(r) => r.capture_start.map(|t| Some((t, r))),
        };
        if let Some(from) = captured_after {
            let (filter, args) = page_filter(device, "capture_start IS NOT NULL", |n| match from {
                None => (String::new(), vec![]),
                Some((t, r)) => (
                    format!(
                        " AND capture_start >= ${n} AND (capture_start > ${n} \
                         OR (original_path, sha256) > (${}, ${}))",
                        n + 1,
                        n + 2
                    ),
                    vec![micros(t), text(&r.original_path), text(r.sha256.as_str())],
                ),
            });
            out = self
                .select(
                    &filter,
                    args,
                    &format!("capture_start, original_path, sha256 LIMIT {limit}"),
                )
                .await?;
        }
        if out.len() < limit {
            // The recordings of unknown capture time, after the dated ones.
            let last_undated = after.filter(|r| r.capture_start.is_none());
            let (filter, args) =
                page_filter(device, "capture_start IS NULL", |n| match last_undated {
                    None => (String::new(), vec![]),
                    Some(r) => (
                        format!(" AND (original_path, sha256) > (${n}, ${})", n + 1),
                        vec![text(&r.original_path), text(r.sha256.as_str())],
                    ),
                });
            let rest: Vec<Recording> = self
                .select(
                    &filter,
                    args,
                    &format!("original_path, sha256 LIMIT {}", limit - out.len()),
                )
                .await?;
            out.extend(rest);
        }
        Ok(out)
    }
}

/// `[device_serial = $1 AND] base` and then what `more` adds, its placeholders numbered from `n`.
fn page_filter(
    device: Option<&DeviceSerial>,
    base: &str,
    more: impl FnOnce(usize) -> (String, Vec<super::driver::Value>),
) -> (String, Vec<super::driver::Value>) {
    let mut args = Vec::new();
    let mut filter = String::new();
    if let Some(d) = device {
        filter.push_str("device_serial = $1 AND ");
        args.push(text(d.as_str()));
    }
    filter.push_str(base);
    let (tail, more_args) = more(args.len() + 1);
    filter.push_str(&tail);
    args.extend(more_args);
    (filter, args)
}
