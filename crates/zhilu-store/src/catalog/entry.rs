//! The hashed format of an audit-ledger entry: the bytes a leaf hash is computed over, which
//! verifiers outside this software recompute. Each version is fixed forever; a change means a new
//! version, and entries of every earlier version keep verifying (they are hashed as stored).
//!
//! ```text
//! v1: {"v":1,"seq":<n>,"at":<µs>,"actor":"…","kind":"…","subject":"…","state":{…}}
//! v2: {"v":2,"seq":<n>,"at":<µs>,"real_at":<µs>,"actor":"…","kind":"…","subject":"…","state":{…}}
//! ```
//!
//! `at` is the business time the command acted at (in a replay directory, the replayed clock);
//! `real_at` (v2) is the system clock when the entry was committed, read under the write lock, so
//! it only moves forward unless the machine's clock was set back (`verify` reports that).
//! The body's keys come in that order; inside `state`, object keys are sorted (byte order) at every
//! depth, and nothing else varies: no spaces, serde_json's string escaping and integer formatting.
//! `state` is the record the entry wrote, in the v1 record types below: their own field names and
//! raw values (µs instants, 0/1 booleans, lists as JSON text), deliberately *not* the model's
//! records or the catalog's columns, so that renaming either can never change a hashed byte. Tests
//! pin the exact bytes of every kind of entry, and a data directory written by the first release
//! (`zhilu-app/tests/fixtures/v1-data`) must keep verifying.

use serde::Serialize;
use serde_json::Value;
use zhilu_model as m;

use super::column::{json_list, steps_text};

/// The entry format version this build writes.
pub const VERSION: u32 = 2;

/// The leaf data of ledger entry `seq`, version 2: business time `at`, real time `real_at` (µs).
#[allow(clippy::too_many_arguments)]
pub fn entry_body(
    seq: u64,
    at: i64,
    real_at: i64,
    actor: &str,
    kind: &str,
    subject: &str,
    state: &Value,
) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(&format!(
        "{{\"v\":{VERSION},\"seq\":{seq},\"at\":{at},\"real_at\":{real_at},\"actor\":"
    ));
    push_str(&mut out, actor);
    out.push_str(",\"kind\":");
    push_str(&mut out, kind);
    out.push_str(",\"subject\":");
    push_str(&mut out, subject);
    out.push_str(",\"state\":");
    canonical(&mut out, state);
    out.push('}');
    out
}

fn push_str(out: &mut String, s: &str) {
    // Serialising a &str cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// `v` as the ledger hashes it inside an entry: object keys sorted at every depth, no spaces. Two
/// states are equal exactly when their canonical forms are.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    canonical(&mut out, v);
    out
}

/// Writes `v` with object keys sorted at every depth, whatever map type serde_json was built with.
fn canonical(out: &mut String, v: &Value) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, k);
                out.push(':');
                canonical(out, &map[k]);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(out, item);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn us(t: &chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

fn opt_us(t: &Option<chrono::DateTime<chrono::Utc>>) -> Option<i64> {
    t.as_ref().map(us)
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The `state` of an entry, as a JSON value (keys sorted when the body is written).
pub(crate) fn state<S: Serialize>(record: S) -> Value {
    // The v1 records are plain structs of strings and integers: serialising cannot fail.
    serde_json::to_value(record).unwrap_or(Value::Null)
}

/// The v1 record types: one per catalog table, field names and raw values fixed.
pub(crate) mod v1 {
    use super::*;

    #[derive(Serialize)]
    pub struct Device<'a> {
        serial: &'a str,
        kind: &'a str,
        model: &'a str,
        asset_no: Option<&'a str>,
        unit: &'a str,
        keeper: &'a str,
        status: &'a str,
        registered_at: i64,
    }
    impl<'a> From<&'a m::Device> for Device<'a> {
        fn from(d: &'a m::Device) -> Self {
            Device {
                serial: d.serial.as_str(),
                kind: d.kind.as_str(),
                model: &d.model,
                asset_no: d.asset_no.as_deref(),
                unit: &d.unit,
                keeper: &d.keeper,
                status: d.status.as_str(),
                registered_at: us(&d.registered_at),
            }
        }
    }

    #[derive(Serialize)]
    pub struct DeviceEvent<'a> {
        id: &'a str,
        serial: &'a str,
        event: &'a str,
        detail: &'a str,
        at: i64,
        actor: &'a str,
    }
    impl<'a> From<&'a m::DeviceEvent> for DeviceEvent<'a> {
        fn from(e: &'a m::DeviceEvent) -> Self {
            DeviceEvent {
                id: e.id.as_str(),
                serial: e.serial.as_str(),
                event: e.event.as_str(),
                detail: &e.detail,
                at: us(&e.at),
                actor: &e.actor,
            }
        }
    }

    #[derive(Serialize)]
    pub struct Station<'a> {
        id: &'a str,
        first_seen: i64,
    }
    impl<'a> From<&'a m::Station> for Station<'a> {
        fn from(s: &'a m::Station) -> Self {
            Station {
                id: s.id.as_str(),
                first_seen: us(&s.first_seen),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Session<'a> {
        id: &'a str,
        device_serial: &'a str,
        officer: &'a str,
        station: &'a str,
        source: &'a str,
        started_at: i64,
        finished_at: Option<i64>,
        status: &'a str,
        device_clock_offset_ms: Option<i64>,
        device_cleared: i64,
        files_seen: i64,
        imported: i64,
        duplicates: i64,
        damaged: i64,
        skipped: i64,
        bytes: i64,
    }
    impl<'a> From<&'a m::OffloadSession> for Session<'a> {
        fn from(s: &'a m::OffloadSession) -> Self {
            Session {
                id: s.id.as_str(),
                device_serial: s.device.as_str(),
                officer: s.officer.as_str(),
                station: s.station.as_str(),
                source: &s.source,
                started_at: us(&s.started_at),
                finished_at: opt_us(&s.finished_at),
                status: s.status.as_str(),
                device_clock_offset_ms: s.device_clock_offset_ms,
                device_cleared: flag(s.device_cleared),
                files_seen: int(s.files_seen),
                imported: int(s.imported),
                duplicates: int(s.duplicates),
                damaged: int(s.damaged),
                skipped: int(s.skipped),
                bytes: int(s.bytes),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Recording<'a> {
        sha256: &'a str,
        sm3: &'a str,
        size: i64,
        media_kind: &'a str,
        capture_start: Option<i64>,
        capture_end: Option<i64>,
        duration_ms: Option<i64>,
        time_source: &'a str,
        device_serial: &'a str,
        officer: &'a str,
        name_device_id: Option<&'a str>,
        name_officer_id: Option<&'a str>,
        sequence: Option<i64>,
        important: i64,
        original_name: &'a str,
        original_path: &'a str,
        offloaded_at: i64,
        station: &'a str,
        session_id: &'a str,
        damaged: i64,
        damage_reason: Option<&'a str>,
    }
    impl<'a> From<&'a m::Recording> for Recording<'a> {
        fn from(r: &'a m::Recording) -> Self {
            Recording {
                sha256: r.sha256.as_str(),
                sm3: r.sm3.as_str(),
                size: int(r.size),
                media_kind: r.media_kind.as_str(),
                capture_start: opt_us(&r.capture_start),
                capture_end: opt_us(&r.capture_end),
                duration_ms: r.duration_ms.map(int),
                time_source: r.time_source.as_str(),
                device_serial: r.device.as_str(),
                officer: r.officer.as_str(),
                name_device_id: r.name_device_id.as_deref(),
                name_officer_id: r.name_officer_id.as_deref(),
                sequence: r.sequence.map(i64::from),
                important: flag(r.important),
                original_name: &r.original_name,
                original_path: &r.original_path,
                offloaded_at: us(&r.offloaded_at),
                station: r.station.as_str(),
                session_id: r.session.as_str(),
                damaged: flag(r.damaged),
                damage_reason: r.damage_reason.as_deref(),
            }
        }
    }

    #[derive(Serialize)]
    pub struct RecordingName<'a> {
        sha256: &'a str,
        device_serial: &'a str,
        original_path: &'a str,
        size: i64,
        session_id: &'a str,
        seen_at: i64,
    }
    impl<'a> From<&'a m::RecordingName> for RecordingName<'a> {
        fn from(n: &'a m::RecordingName) -> Self {
            RecordingName {
                sha256: n.sha256.as_str(),
                device_serial: n.device.as_str(),
                original_path: &n.original_path,
                size: int(n.size),
                session_id: n.session.as_str(),
                seen_at: us(&n.seen_at),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Unit<'a> {
        id: &'a str,
        name: &'a str,
        created_at: i64,
    }
    impl<'a> From<&'a m::Unit> for Unit<'a> {
        fn from(u: &'a m::Unit) -> Self {
            Unit {
                id: &u.id,
                name: &u.name,
                created_at: us(&u.created_at),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Officer<'a> {
        id: &'a str,
        name: &'a str,
        unit: &'a str,
        role: &'a str,
        created_at: i64,
    }
    impl<'a> From<&'a m::Officer> for Officer<'a> {
        fn from(o: &'a m::Officer) -> Self {
            Officer {
                id: o.id.as_str(),
                name: &o.name,
                unit: &o.unit,
                role: &o.role,
                created_at: us(&o.created_at),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Checkout<'a> {
        id: &'a str,
        device_serial: &'a str,
        officer: &'a str,
        out_at: i64,
        returned_at: Option<i64>,
        battery_pct: Option<i64>,
        free_gb: Option<i64>,
        clock_ok: i64,
        recorded_summary: Option<&'a str>,
    }
    impl<'a> From<&'a m::Checkout> for Checkout<'a> {
        fn from(c: &'a m::Checkout) -> Self {
            Checkout {
                id: c.id.as_str(),
                device_serial: c.device.as_str(),
                officer: c.officer.as_str(),
                out_at: us(&c.out_at),
                returned_at: opt_us(&c.returned_at),
                battery_pct: c.battery_pct.map(i64::from),
                free_gb: c.free_gb.map(i64::from),
                clock_ok: flag(c.clock_ok),
                recorded_summary: c.recorded_summary.as_deref(),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Activity<'a> {
        id: &'a str,
        kind: &'a str,
        subject_name: &'a str,
        subject_code: Option<&'a str>,
        subject_code_kind: Option<&'a str>,
        place: &'a str,
        officers: String,
        start_at: i64,
        end_at: i64,
        case_no: Option<&'a str>,
        flags: String,
        created_at: i64,
        created_by: &'a str,
    }
    impl<'a> From<&'a m::Activity> for Activity<'a> {
        fn from(a: &'a m::Activity) -> Self {
            Activity {
                id: a.id.as_str(),
                kind: &a.kind,
                subject_name: &a.subject_name,
                subject_code: a.subject_code.as_deref(),
                subject_code_kind: a.subject_code_kind.as_deref(),
                place: &a.place,
                officers: json_list(a.officers.iter().map(m::OfficerId::as_str)),
                start_at: us(&a.start),
                end_at: us(&a.end),
                case_no: a.case_no.as_deref(),
                flags: json_list(a.flags.iter().map(String::as_str)),
                created_at: us(&a.created_at),
                created_by: &a.created_by,
            }
        }
    }

    #[derive(Serialize)]
    pub struct Link<'a> {
        sha256: &'a str,
        activity_id: &'a str,
        method: &'a str,
        linked_at: i64,
        actor: &'a str,
    }
    impl<'a> From<&'a m::Link> for Link<'a> {
        fn from(l: &'a m::Link) -> Self {
            Link {
                sha256: l.sha256.as_str(),
                activity_id: l.activity.as_str(),
                method: l.method.as_str(),
                linked_at: us(&l.linked_at),
                actor: &l.actor,
            }
        }
    }

    #[derive(Serialize)]
    pub struct NoRecord<'a> {
        id: &'a str,
        activity_id: &'a str,
        reason: &'a str,
        basis: &'a str,
        created_at: i64,
        created_by: &'a str,
    }
    impl<'a> From<&'a m::NoRecord> for NoRecord<'a> {
        fn from(n: &'a m::NoRecord) -> Self {
            NoRecord {
                id: n.id.as_str(),
                activity_id: n.activity.as_str(),
                reason: &n.reason,
                basis: &n.basis,
                created_at: us(&n.created_at),
                created_by: &n.created_by,
            }
        }
    }

    #[derive(Serialize)]
    pub struct Interruption<'a> {
        id: &'a str,
        activity_id: &'a str,
        after_sha256: &'a str,
        reason: &'a str,
        voice_stated: i64,
        detail: &'a str,
        created_at: i64,
        created_by: &'a str,
    }
    impl<'a> From<&'a m::Interruption> for Interruption<'a> {
        fn from(i: &'a m::Interruption) -> Self {
            Interruption {
                id: i.id.as_str(),
                activity_id: i.activity.as_str(),
                after_sha256: i.after.as_str(),
                reason: &i.reason,
                voice_stated: flag(i.voice_stated),
                detail: &i.detail,
                created_at: us(&i.created_at),
                created_by: &i.created_by,
            }
        }
    }

    #[derive(Serialize)]
    pub struct Extension<'a> {
        id: &'a str,
        activity_id: &'a str,
        reason: &'a str,
        created_at: i64,
        created_by: &'a str,
    }
    impl<'a> From<&'a m::Extension> for Extension<'a> {
        fn from(x: &'a m::Extension) -> Self {
            Extension {
                id: x.id.as_str(),
                activity_id: x.activity.as_str(),
                reason: &x.reason,
                created_at: us(&x.created_at),
                created_by: &x.created_by,
            }
        }
    }

    #[derive(Serialize)]
    pub struct Approval<'a> {
        id: &'a str,
        subject_kind: &'a str,
        chain: String,
        steps: String,
        status: &'a str,
        updated_at: i64,
    }
    impl<'a> From<&'a m::Approval> for Approval<'a> {
        fn from(a: &'a m::Approval) -> Self {
            Approval {
                id: a.id.as_str(),
                subject_kind: a.kind.as_str(),
                chain: json_list(a.chain.iter().map(String::as_str)),
                steps: steps_text(&a.steps),
                status: a.status.as_str(),
                updated_at: us(&a.updated_at),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Hold<'a> {
        id: &'a str,
        sha256: &'a str,
        reason: &'a str,
        placed_at: i64,
        placed_by: &'a str,
        released_at: Option<i64>,
    }
    impl<'a> From<&'a m::Hold> for Hold<'a> {
        fn from(h: &'a m::Hold) -> Self {
            Hold {
                id: h.id.as_str(),
                sha256: h.sha256.as_str(),
                reason: &h.reason,
                placed_at: us(&h.placed_at),
                placed_by: &h.placed_by,
                released_at: opt_us(&h.released_at),
            }
        }
    }

    #[derive(Serialize)]
    pub struct PurgeRequest<'a> {
        id: &'a str,
        items: String,
        reason: &'a str,
        requester: &'a str,
        created_at: i64,
        executed_at: Option<i64>,
        executed_by: Option<&'a str>,
    }
    impl<'a> From<&'a m::PurgeRequest> for PurgeRequest<'a> {
        fn from(p: &'a m::PurgeRequest) -> Self {
            PurgeRequest {
                id: p.id.as_str(),
                items: json_list(p.items.iter().map(m::Sha256::as_str)),
                reason: &p.reason,
                requester: p.requester.as_str(),
                created_at: us(&p.created_at),
                executed_at: opt_us(&p.executed_at),
                executed_by: p.executed_by.as_ref().map(m::OfficerId::as_str),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Tombstone<'a> {
        sha256: &'a str,
        sm3: &'a str,
        size: i64,
        device_serial: &'a str,
        original_name: &'a str,
        capture_start: Option<i64>,
        capture_end: Option<i64>,
        retention_class: &'a str,
        retention_reason: &'a str,
        request: &'a str,
        approvals: String,
        purged_at: i64,
        purged_by: &'a str,
    }
    impl<'a> From<&'a m::Tombstone> for Tombstone<'a> {
        fn from(t: &'a m::Tombstone) -> Self {
            Tombstone {
                sha256: t.sha256.as_str(),
                sm3: t.sm3.as_str(),
                size: int(t.size),
                device_serial: t.device.as_str(),
                original_name: &t.original_name,
                capture_start: opt_us(&t.capture_start),
                capture_end: opt_us(&t.capture_end),
                retention_class: &t.retention_class,
                retention_reason: &t.retention_reason,
                request: t.request.as_str(),
                approvals: steps_text(&t.approvals),
                purged_at: us(&t.purged_at),
                purged_by: t.purged_by.as_str(),
            }
        }
    }

    /// The fields added in issue 11 are left out when they hold what a request of an earlier
    /// release meant (one recording, to view, no period, no activity), so those entries keep
    /// matching their rows.
    #[derive(Serialize)]
    pub struct AccessRequest<'a> {
        id: &'a str,
        sha256: &'a str,
        requester: &'a str,
        reason: &'a str,
        created_at: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        more: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        kind: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        days: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        activity: Option<&'a str>,
    }
    impl<'a> From<&'a m::AccessRequest> for AccessRequest<'a> {
        fn from(a: &'a m::AccessRequest) -> Self {
            AccessRequest {
                id: a.id.as_str(),
                sha256: a.sha256.as_str(),
                requester: a.requester.as_str(),
                reason: &a.reason,
                created_at: us(&a.created_at),
                more: (!a.more.is_empty()).then(|| json_list(a.more.iter().map(m::Sha256::as_str))),
                kind: (a.kind != m::AccessKind::View).then(|| a.kind.as_str()),
                days: a.days.map(i64::from),
                activity: a.activity.as_ref().map(m::ActivityId::as_str),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Account<'a> {
        id: &'a str,
        roles: String,
        clearances: String,
        certificate: Option<&'a str>,
        certificate_from: Option<String>,
        certificate_to: Option<String>,
        disabled: i64,
        updated_at: i64,
    }
    impl<'a> From<&'a m::Account> for Account<'a> {
        fn from(a: &'a m::Account) -> Self {
            Account {
                id: a.id.as_str(),
                roles: json_list(a.roles.iter().map(String::as_str)),
                clearances: json_list(a.clearances.iter().map(|c| c.as_str())),
                certificate: a.certificate.as_deref(),
                certificate_from: a.certificate_from.map(|d| d.to_string()),
                certificate_to: a.certificate_to.map(|d| d.to_string()),
                disabled: flag(a.disabled),
                updated_at: us(&a.updated_at),
            }
        }
    }

    /// The password itself never enters the ledger: its SHA-256, so that a hash swapped in the
    /// catalog behind the program no longer matches its entry.
    #[derive(Serialize)]
    pub struct Credential<'a> {
        user: &'a str,
        phc_sha256: String,
        set_at: i64,
        must_change: i64,
    }
    impl<'a> From<&'a m::Credential> for Credential<'a> {
        fn from(c: &'a m::Credential) -> Self {
            use sha2::Digest;
            Credential {
                user: c.user.as_str(),
                phc_sha256: hex::encode(sha2::Sha256::digest(c.phc.as_bytes())),
                set_at: us(&c.set_at),
                must_change: flag(c.must_change),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Grant<'a> {
        id: &'a str,
        request: &'a str,
        holder: &'a str,
        kind: &'a str,
        items: String,
        granted_at: i64,
        expires_at: i64,
        revoked_at: Option<i64>,
        revoked_by: Option<&'a str>,
    }
    impl<'a> From<&'a m::Grant> for Grant<'a> {
        fn from(g: &'a m::Grant) -> Self {
            Grant {
                id: g.id.as_str(),
                request: g.request.as_str(),
                holder: g.holder.as_str(),
                kind: g.kind.as_str(),
                items: json_list(g.items.iter().map(m::Sha256::as_str)),
                granted_at: us(&g.granted_at),
                expires_at: us(&g.expires_at),
                revoked_at: opt_us(&g.revoked_at),
                revoked_by: g.revoked_by.as_ref().map(m::OfficerId::as_str),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Playback<'a> {
        id: &'a str,
        grant: &'a str,
        user: &'a str,
        sha256: &'a str,
        kind: &'a str,
        started_at: i64,
        ranges: String,
        bytes: i64,
        updated_at: i64,
    }
    impl<'a> From<&'a m::Playback> for Playback<'a> {
        fn from(p: &'a m::Playback) -> Self {
            Playback {
                id: p.id.as_str(),
                grant: p.grant.as_str(),
                user: p.user.as_str(),
                sha256: p.sha256.as_str(),
                kind: p.kind.as_str(),
                started_at: us(&p.started_at),
                ranges: json_list(p.ranges.iter().map(String::as_str)),
                bytes: int(p.bytes),
                updated_at: us(&p.updated_at),
            }
        }
    }

    #[derive(Serialize)]
    pub struct Classification<'a> {
        item: &'a str,
        secrecy: Option<&'a str>,
        set_by: &'a str,
        set_at: i64,
    }
    impl<'a> From<&'a m::Classification> for Classification<'a> {
        fn from(c: &'a m::Classification) -> Self {
            Classification {
                item: &c.item,
                secrecy: c.secrecy.map(|s| s.as_str()),
                set_by: c.set_by.as_str(),
                set_at: us(&c.set_at),
            }
        }
    }
    #[derive(Serialize)]
    pub struct PreservationDisc<'a> {
        id: &'a str,
        group_key: &'a str,
        title: &'a str,
        part: i64,
        parts: i64,
        items: String,
        files: String,
        image_sha256: &'a str,
        image_size: i64,
        copies: i64,
        made_at: i64,
        made_by: &'a str,
    }
    impl<'a> From<&'a m::PreservationDisc> for PreservationDisc<'a> {
        fn from(d: &'a m::PreservationDisc) -> Self {
            PreservationDisc {
                id: d.id.as_str(),
                group_key: &d.group,
                title: &d.title,
                part: i64::from(d.part),
                parts: i64::from(d.parts),
                items: json_list(d.items.iter().map(m::Sha256::as_str)),
                files: super::super::column::disc_files_text(&d.files),
                image_sha256: d.image_sha256.as_str(),
                image_size: int(d.image_size),
                copies: i64::from(d.copies),
                made_at: us(&d.made_at),
                made_by: d.made_by.as_str(),
            }
        }
    }

    #[derive(Serialize)]
    pub struct DiscCopy<'a> {
        id: &'a str,
        disc: &'a str,
        copy_no: i64,
        location: &'a str,
        holder: &'a str,
        placed_at: i64,
        checked_at: Option<i64>,
        check_ok: Option<i64>,
        check_note: Option<&'a str>,
    }
    impl<'a> From<&'a m::DiscCopy> for DiscCopy<'a> {
        fn from(c: &'a m::DiscCopy) -> Self {
            DiscCopy {
                id: c.id.as_str(),
                disc: c.disc.as_str(),
                copy_no: i64::from(c.copy_no),
                location: &c.location,
                holder: &c.holder,
                placed_at: us(&c.placed_at),
                checked_at: opt_us(&c.checked_at),
                check_ok: c.check_ok.map(flag),
                check_note: c.check_note.as_deref(),
            }
        }
    }

    #[derive(Serialize)]
    pub struct DeviceCost<'a> {
        id: &'a str,
        device_serial: &'a str,
        unit: &'a str,
        kind: &'a str,
        amount_fen: i64,
        on_day: String,
        note: Option<&'a str>,
        recorded_by: &'a str,
        recorded_at: i64,
    }
    impl<'a> From<&'a m::DeviceCost> for DeviceCost<'a> {
        fn from(c: &'a m::DeviceCost) -> Self {
            DeviceCost {
                id: c.id.as_str(),
                device_serial: c.device.as_str(),
                unit: &c.unit,
                kind: c.kind.as_str(),
                amount_fen: c.amount_fen,
                on_day: c.on.to_string(),
                note: c.note.as_deref(),
                recorded_by: c.recorded_by.as_str(),
                recorded_at: us(&c.recorded_at),
            }
        }
    }
    #[derive(Serialize)]
    pub struct FindingCase<'a> {
        id: &'a str,
        key: &'a str,
        rule: &'a str,
        code: &'a str,
        article: &'a str,
        severity: &'a str,
        message: &'a str,
        officers: String,
        units: String,
        activity: Option<&'a str>,
        recording: Option<&'a str>,
        device_serial: Option<&'a str>,
        arose_at: i64,
        first_seen: i64,
        last_seen: i64,
        state: &'a str,
        acknowledged_by: Option<&'a str>,
        acknowledged_at: Option<i64>,
        rectification: Option<&'a str>,
        rectification_links: String,
        rectified_by: Option<&'a str>,
        rectified_at: Option<i64>,
        closed_by: Option<&'a str>,
        closed_at: Option<i64>,
        closed_reason: Option<&'a str>,
        reopen_count: i64,
        note: Option<&'a str>,
    }
    impl<'a> From<&'a m::FindingCase> for FindingCase<'a> {
        fn from(f: &'a m::FindingCase) -> Self {
            FindingCase {
                id: f.id.as_str(),
                key: &f.key,
                rule: &f.rule,
                code: &f.code,
                article: &f.article,
                severity: &f.severity,
                message: &f.message,
                officers: json_list(f.officers.iter().map(m::OfficerId::as_str)),
                units: json_list(f.units.iter().map(String::as_str)),
                activity: f.activity.as_deref(),
                recording: f.recording.as_deref(),
                device_serial: f.device.as_deref(),
                arose_at: us(&f.arose_at),
                first_seen: us(&f.first_seen),
                last_seen: us(&f.last_seen),
                state: f.state.as_str(),
                acknowledged_by: f.acknowledged_by.as_deref(),
                acknowledged_at: opt_us(&f.acknowledged_at),
                rectification: f.rectification.as_deref(),
                rectification_links: json_list(f.rectification_links.iter().map(String::as_str)),
                rectified_by: f.rectified_by.as_deref(),
                rectified_at: opt_us(&f.rectified_at),
                closed_by: f.closed_by.as_deref(),
                closed_at: opt_us(&f.closed_at),
                closed_reason: f.closed_reason.as_deref(),
                reopen_count: i64::from(f.reopen_count),
                note: f.note.as_deref(),
            }
        }
    }
    #[derive(Serialize)]
    pub struct AnnualReview<'a> {
        id: &'a str,
        year: i64,
        held_on: String,
        summary: &'a str,
        recorded_by: &'a str,
        recorded_at: i64,
    }
    impl<'a> From<&'a m::AnnualReview> for AnnualReview<'a> {
        fn from(r: &'a m::AnnualReview) -> Self {
            AnnualReview {
                id: r.id.as_str(),
                year: i64::from(r.year),
                held_on: r.held_on.to_string(),
                summary: &r.summary,
                recorded_by: r.recorded_by.as_str(),
                recorded_at: us(&r.recorded_at),
            }
        }
    }
    #[derive(Serialize)]
    pub struct Violation<'a> {
        id: &'a str,
        officer: &'a str,
        kind: &'a str,
        description: &'a str,
        occurred_on: String,
        findings: String,
        entries: String,
        recorded_by: &'a str,
        recorded_at: i64,
    }
    impl<'a> From<&'a m::Violation> for Violation<'a> {
        fn from(v: &'a m::Violation) -> Self {
            Violation {
                id: v.id.as_str(),
                officer: v.officer.as_str(),
                kind: &v.kind,
                description: &v.description,
                occurred_on: v.occurred_on.to_string(),
                findings: json_list(v.findings.iter().map(String::as_str)),
                entries: serde_json::to_string(&v.entries).unwrap_or_else(|_| "[]".into()),
                recorded_by: v.recorded_by.as_str(),
                recorded_at: us(&v.recorded_at),
            }
        }
    }
    #[derive(Serialize)]
    pub struct Sanction<'a> {
        id: &'a str,
        violation: &'a str,
        officer: &'a str,
        kind: &'a str,
        decided_on: String,
        from_day: String,
        to_day: Option<String>,
        decided_by: &'a str,
        recorded_by: &'a str,
        recorded_at: i64,
    }
    impl<'a> From<&'a m::Sanction> for Sanction<'a> {
        fn from(s: &'a m::Sanction) -> Self {
            Sanction {
                id: s.id.as_str(),
                violation: s.violation.as_str(),
                officer: s.officer.as_str(),
                kind: &s.kind,
                decided_on: s.decided_on.to_string(),
                from_day: s.from.to_string(),
                to_day: s.to.map(|d| d.to_string()),
                decided_by: &s.decided_by,
                recorded_by: s.recorded_by.as_str(),
                recorded_at: us(&s.recorded_at),
            }
        }
    }
    #[derive(Serialize)]
    pub struct SampleDraw<'a> {
        id: &'a str,
        period_from: String,
        period_to: String,
        ratio: String,
        stratified_by: &'a str,
        seed: &'a str,
        algorithm: &'a str,
        population_count: i64,
        population_digest: &'a str,
        items: String,
        strata: String,
        reason: Option<&'a str>,
        drawn_by: &'a str,
        drawn_at: i64,
    }
    impl<'a> From<&'a m::SampleDraw> for SampleDraw<'a> {
        fn from(d: &'a m::SampleDraw) -> Self {
            SampleDraw {
                id: d.id.as_str(),
                period_from: d.period_from.to_string(),
                period_to: d.period_to.to_string(),
                ratio: d.ratio.to_string(),
                stratified_by: d.by.as_str(),
                seed: &d.seed,
                algorithm: &d.algorithm,
                population_count: int(d.population_count),
                population_digest: &d.population_digest,
                items: json_list(d.items.iter().map(m::ActivityId::as_str)),
                strata: super::super::sampling::strata_text(&d.strata),
                reason: d.reason.as_deref(),
                drawn_by: d.drawn_by.as_str(),
                drawn_at: us(&d.drawn_at),
            }
        }
    }

    #[derive(Serialize)]
    pub struct SampleReview<'a> {
        draw_id: &'a str,
        activity_id: &'a str,
        items: String,
        comment: &'a str,
        reviewer: &'a str,
        reviewed_at: i64,
    }
    impl<'a> From<&'a m::SampleReview> for SampleReview<'a> {
        fn from(r: &'a m::SampleReview) -> Self {
            SampleReview {
                draw_id: r.draw.as_str(),
                activity_id: r.activity.as_str(),
                items: super::super::sampling::review_items_text(&r.items),
                comment: &r.comment,
                reviewer: r.reviewer.as_str(),
                reviewed_at: us(&r.reviewed_at),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x1_entry_body_v2_bytes_are_fixed_and_state_keys_sorted() {
        let state = serde_json::json!({"zeta": 1, "alpha": {"b": "中", "a": null}, "list": ["x"]});
        assert_eq!(
            entry_body(
                7,
                1_795_132_800_000_000,
                1_795_132_801_000_000,
                "admin",
                "device.registered",
                "device:D1",
                &state
            ),
            "{\"v\":2,\"seq\":7,\"at\":1795132800000000,\"real_at\":1795132801000000,\"actor\":\"admin\",\"kind\":\"device.registered\",\
             \"subject\":\"device:D1\",\"state\":{\"alpha\":{\"a\":null,\"b\":\"中\"},\"list\":[\"x\"],\"zeta\":1}}"
        );
    }
}
