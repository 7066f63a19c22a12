//! The records the catalog keeps, typed: instants are `DateTime<Utc>`, flags `bool`, lists `Vec`,
//! identifiers and statuses their own types. Their serde form is the JSON contract of the CLI and
//! the API. How they are stored, and how the audit ledger records them, is the store's business.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::*;
use crate::status::*;

/// A registered recording device (R1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Device {
    pub serial: DeviceSerial,
    pub kind: DeviceKind,
    pub model: String,
    pub asset_no: Option<String>,
    /// The owning unit.
    pub unit: String,
    /// The designated keeper (专人管理).
    pub keeper: String,
    pub status: DeviceStatus,
    pub registered_at: DateTime<Utc>,
}

/// One lifecycle event of a device (R2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceEvent {
    pub id: EventId,
    pub serial: DeviceSerial,
    pub event: DeviceEventKind,
    pub detail: String,
    pub at: DateTime<Utc>,
    pub actor: String,
}

/// A collection station (采集站) that offloads devices (R16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Station {
    pub id: StationId,
    pub first_seen: DateTime<Utc>,
}

/// One offload of one device at one station (R16; R4 clock offset; R26 device cleared).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OffloadSession {
    pub id: SessionId,
    pub device: DeviceSerial,
    /// The officer who brought the device.
    pub officer: OfficerId,
    pub station: StationId,
    /// The device folder as the station saw it.
    pub source: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: SessionStatus,
    /// Device clock minus station clock, when the device reported its time (R4).
    pub device_clock_offset_ms: Option<i64>,
    /// The station cleared the device after a verified offload (R26).
    pub device_cleared: bool,
    pub files_seen: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub damaged: u64,
    pub skipped: u64,
    /// Bytes of newly stored originals.
    pub bytes: u64,
}

/// One stored original and what the station learned about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recording {
    pub sha256: Sha256,
    pub sm3: Sm3,
    pub size: u64,
    pub media_kind: MediaKind,
    pub capture_start: Option<DateTime<Utc>>,
    pub capture_end: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    pub time_source: TimeSource,
    pub device: DeviceSerial,
    /// The officer named at offload.
    pub officer: OfficerId,
    /// The device id in a body-camera file name, as written there.
    pub name_device_id: Option<String>,
    /// The officer id in a body-camera file name, as written there.
    pub name_officer_id: Option<String>,
    /// The file's number in the device's series (GA/T 947 names).
    pub sequence: Option<u32>,
    /// Marked important on the device.
    pub important: bool,
    pub original_name: String,
    pub original_path: String,
    pub offloaded_at: DateTime<Utc>,
    pub station: StationId,
    pub session: SessionId,
    /// Media that could not be parsed (cut off when the battery died…), stored byte-exact anyway.
    pub damaged: bool,
    pub damage_reason: Option<String>,
}

/// The part of a recording the compliance check reads: a narrow projection, because the check
/// reads every recording of a year and decoding unused columns would be most of its cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordingFact {
    pub sha256: Sha256,
    pub capture_start: Option<DateTime<Utc>>,
    pub capture_end: Option<DateTime<Utc>>,
    pub offloaded_at: DateTime<Utc>,
    pub sequence: Option<u32>,
    pub name_officer_id: Option<String>,
    pub officer: OfficerId,
    pub device: DeviceSerial,
    pub session: SessionId,
}

/// A name under which a stored object was found on a device (the first one too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordingName {
    pub sha256: Sha256,
    pub device: DeviceSerial,
    pub original_path: String,
    pub size: u64,
    pub session: SessionId,
    pub seen_at: DateTime<Utc>,
}

/// An enforcement unit (执法处室/工作组/科室), named the first time an officer is placed in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// An officer and the role the profile's approval chains refer to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Officer {
    pub id: OfficerId,
    pub name: String,
    pub unit: String,
    /// A role id of the profile in force (`officer`, `unit_head`, …).
    pub role: String,
    pub created_at: DateTime<Utc>,
}

/// A device checked out to an officer (R3) with the pre-use check (R4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkout {
    pub id: CheckoutId,
    pub device: DeviceSerial,
    pub officer: OfficerId,
    pub out_at: DateTime<Utc>,
    pub returned_at: Option<DateTime<Utc>>,
    pub battery_pct: Option<u8>,
    pub free_gb: Option<u32>,
    pub clock_ok: bool,
    /// What the device recorded while it was out, written at return.
    pub recorded_summary: Option<String>,
}

/// An enforcement activity as its documents record it (R7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    pub id: ActivityId,
    /// A checklist kind of the profile in force.
    pub kind: String,
    pub subject_name: String,
    /// Unified social credit code or resident ID number (check digit verified).
    pub subject_code: Option<String>,
    /// `credit_code` or `resident_id`.
    pub subject_code_kind: Option<String>,
    pub place: String,
    pub officers: Vec<OfficerId>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub case_no: Option<String>,
    /// Flags the profile's rules refer to (`dispute`, `remote`, …).
    pub flags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A recording linked to an activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Link {
    pub sha256: Sha256,
    pub activity: ActivityId,
    pub method: LinkMethod,
    pub linked_at: DateTime<Utc>,
    pub actor: String,
}

/// A non-recording record (未记录工作记录, R10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoRecord {
    pub id: RecordId,
    pub activity: ActivityId,
    /// A reason id of the profile.
    pub reason: String,
    pub basis: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// An interruption record for the gap after recording `after` (R11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Interruption {
    pub id: RecordId,
    pub activity: ActivityId,
    pub after: Sha256,
    pub reason: String,
    pub voice_stated: bool,
    pub detail: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A request to offload later than the ordinary deadline (zhejiang-rf §19).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Extension {
    pub id: RecordId,
    pub activity: ActivityId,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// One level of an approval: who approved, in which role, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalStep {
    pub by: OfficerId,
    pub role: String,
    pub at: DateTime<Utc>,
}

/// The approval of one record, keyed by that record's id: the profile's chain of roles at the
/// time of the request, and the levels approved so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    pub id: RecordId,
    pub kind: ApprovalKind,
    pub chain: Vec<String>,
    pub steps: Vec<ApprovalStep>,
    pub status: ApprovalStatus,
    pub updated_at: DateTime<Utc>,
}

/// A legal hold on a recording: it cannot expire while `released_at` is empty (R20).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hold {
    pub id: HoldId,
    pub sha256: Sha256,
    pub reason: String,
    pub placed_at: DateTime<Utc>,
    pub placed_by: String,
    pub released_at: Option<DateTime<Utc>>,
}

/// A request to view or copy a recording (R23); its approval chain is the profile's `access`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessRequest {
    pub id: RecordId,
    /// The first recording asked for.
    pub sha256: Sha256,
    pub requester: OfficerId,
    /// The purpose (事由).
    pub reason: String,
    pub created_at: DateTime<Utc>,
    /// The other recordings asked for (an activity's or a case's), beyond `sha256`.
    pub more: Vec<Sha256>,
    /// View in the browser, copy the original bytes, or provide them outside the agency.
    pub kind: AccessKind,
    /// Days wanted; the profile's default when not given.
    pub days: Option<u32>,
    /// The activity whose recordings were asked for, when the request named one.
    pub activity: Option<ActivityId>,
}

impl AccessRequest {
    /// Every recording asked for, the first one first.
    pub fn items(&self) -> impl Iterator<Item = &Sha256> {
        std::iter::once(&self.sha256).chain(self.more.iter())
    }
}

/// What makes a registered person (an [`Officer`] row: id, name, unit) a user who can act in the
/// system: an officer, a unit head, the custodian, the legal office, a leader, a supervisor or one
/// of the three administrators. `roles` are role ids (the fixed ones and the profile's approvers);
/// `clearances` the confidentiality classes they may see (R25).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: OfficerId,
    /// Sorted, no duplicates.
    pub roles: Vec<String>,
    /// Sorted, no duplicates.
    pub clearances: Vec<Secrecy>,
    /// The enforcement certificate (执法证号) of an officer, and its validity (days, inclusive).
    pub certificate: Option<String>,
    pub certificate_from: Option<chrono::NaiveDate>,
    pub certificate_to: Option<chrono::NaiveDate>,
    pub disabled: bool,
    pub updated_at: DateTime<Utc>,
}

impl Account {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// A user's password, as an Argon2id PHC string. The ledger records a digest of it, never the
/// string, so a hash swapped behind the program is found by `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credential {
    pub user: OfficerId,
    #[serde(skip)]
    pub phc: String,
    pub set_at: DateTime<Utc>,
    /// Set by an administrator (initial or reset): the user must choose a new one at login.
    pub must_change: bool,
}

/// What an approved access request yields (R23): exactly these recordings, this kind, to this
/// user, until `expires_at`, unless revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Grant {
    pub id: RecordId,
    pub request: RecordId,
    pub holder: OfficerId,
    pub kind: AccessKind,
    pub items: Vec<Sha256>,
    pub granted_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<OfficerId>,
}

impl Grant {
    /// Valid at `now` for `sha`.
    pub fn covers(&self, sha: &Sha256, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.expires_at && self.items.contains(sha)
    }
}

/// One viewing or copying of a recording on a grant, written before the first byte is sent;
/// the byte ranges served are added in batches (`ranges`, merged, `start-end` inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Playback {
    pub id: RecordId,
    pub grant: RecordId,
    pub user: OfficerId,
    pub sha256: Sha256,
    pub kind: AccessKind,
    pub started_at: DateTime<Utc>,
    pub ranges: Vec<String>,
    pub bytes: u64,
    pub updated_at: DateTime<Utc>,
}

/// The confidentiality class of a recording or an activity (R25); `secrecy: None` declassifies.
/// `item` is `recording:<sha256>` or `activity:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Classification {
    pub item: String,
    pub secrecy: Option<Secrecy>,
    pub set_by: OfficerId,
    pub set_at: DateTime<Utc>,
}

/// One file on a preservation disc as the disc register keeps it (R21): its path on the disc
/// (`data/…`, as in the bag's manifests) and both hashes, so a disc is checked against the
/// register, never only against the manifests it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscFile {
    pub path: String,
    pub sha256: Sha256,
    pub sm3: Sm3,
    pub size: u64,
}

/// A preservation disc (长期保存光盘, R21): one image, made once and burned as `copies` physical
/// copies ([`DiscCopy`]). `group` is the activity or case it preserves; a group larger than one
/// disc runs over `part` 1..=`parts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreservationDisc {
    pub id: RecordId,
    /// `activity:<id>` or `case:<number>`.
    pub group: String,
    /// The activity's or case's name, as on the label.
    pub title: String,
    pub part: u32,
    pub parts: u32,
    /// The recordings whose bytes are on this disc.
    pub items: Vec<Sha256>,
    pub files: Vec<DiscFile>,
    pub image_sha256: Sha256,
    pub image_size: u64,
    pub copies: u32,
    pub made_at: DateTime<Utc>,
    pub made_by: OfficerId,
}

/// One physical copy of a preservation disc in the register: where it is kept, who holds it,
/// when it was last checked and what the check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscCopy {
    /// `<disc>-<copy>`.
    pub id: RecordId,
    pub disc: RecordId,
    pub copy_no: u32,
    pub location: String,
    pub holder: String,
    pub placed_at: DateTime<Utc>,
    pub checked_at: Option<DateTime<Utc>>,
    /// The last check's result: `None` never checked, `Some(true)` every file intact.
    pub check_ok: Option<bool>,
    /// What the last check found (Chinese).
    pub check_note: Option<String>,
}

/// A request to purge recordings past their retention date (R20, lushan-sj §15); its approval
/// chain is the profile's `retention.purge_approvers`. Executing it leaves a [`Tombstone`] per item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurgeRequest {
    pub id: RecordId,
    pub items: Vec<Sha256>,
    /// The purpose (事由).
    pub reason: String,
    pub requester: OfficerId,
    pub created_at: DateTime<Utc>,
    /// When the tombstones were committed (the bytes are deleted right after).
    pub executed_at: Option<DateTime<Utc>>,
    pub executed_by: Option<OfficerId>,
}

/// What stays of a purged recording (R20): its hashes, size, capture facts, why it could go and
/// who decided. Its row is committed before the bytes are deleted; the recording's own row stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tombstone {
    pub sha256: Sha256,
    pub sm3: Sm3,
    pub size: u64,
    pub device: DeviceSerial,
    pub original_name: String,
    pub capture_start: Option<DateTime<Utc>>,
    pub capture_end: Option<DateTime<Utc>>,
    /// The retention class at purge time (`minimum`, `case`, …) and its reason.
    pub retention_class: String,
    pub retention_reason: String,
    /// The purge request.
    pub request: RecordId,
    /// The approval levels of the request: who, in which role, when.
    pub approvals: Vec<ApprovalStep>,
    pub purged_at: DateTime<Utc>,
    pub purged_by: OfficerId,
}

/// A cost of a device (R31, luohe-xm §23 "执法记录仪的购置、维护经费"): a purchase, a maintenance,
/// a repair or another expense, in fen so that sums are exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceCost {
    /// `FY00001`.
    pub id: RecordId,
    pub device: DeviceSerial,
    /// The unit the device was registered to when the cost was recorded: the unit the yearly
    /// report charges it to, whatever later transfers do.
    pub unit: String,
    pub kind: CostKind,
    /// The amount in fen (分, 0.01 yuan).
    pub amount_fen: i64,
    /// The Beijing calendar day the cost was incurred (the invoice's date).
    pub on: chrono::NaiveDate,
    pub note: Option<String>,
    pub recorded_by: OfficerId,
    pub recorded_at: DateTime<Utc>,
}

/// A sampling review's draw (R27): which activities of a period were drawn, by which seed and
/// algorithm, from which population (its size and digest), so that anyone can re-run it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampleDraw {
    pub id: RecordId,
    /// The period's first and last calendar day (Beijing), inclusive.
    pub period_from: chrono::NaiveDate,
    pub period_to: chrono::NaiveDate,
    pub ratio: f64,
    pub by: SampleBy,
    pub seed: String,
    /// The draw algorithm (`zhilu-sample-v1`).
    pub algorithm: String,
    pub population_count: u64,
    /// SHA-256 (hex) over the population's activity ids, sorted, joined by `\n`.
    pub population_digest: String,
    /// The drawn activities, stratum by stratum, in draw order.
    pub items: Vec<ActivityId>,
    pub strata: Vec<SampleStratum>,
    /// Why a second draw for an overlapping period was made.
    pub reason: Option<String>,
    pub drawn_by: OfficerId,
    pub drawn_at: DateTime<Utc>,
}

// `ratio` is checked to be in (0, 1] before a draw is made, so it is never NaN and equality is
// an equivalence.
impl Eq for SampleDraw {}

/// One stratum of a draw: its name (a unit, an activity kind, or `全部`), its population and how
/// many were drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampleStratum {
    pub name: String,
    pub population: u64,
    pub drawn: u64,
}

/// A reviewer's scoring of one sampled activity (R27); one per draw and activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampleReview {
    pub draw: RecordId,
    pub activity: ActivityId,
    pub items: Vec<ReviewItem>,
    pub comment: String,
    pub reviewer: OfficerId,
    pub reviewed_at: DateTime<Utc>,
}

/// One check item of a review: its key (`events_recorded`, `uninterrupted`, `handled_properly`,
/// `content_1`…, `notification`), what it checks, and the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewItem {
    pub key: String,
    pub label: String,
    pub result: ReviewResult,
}

/// A compliance finding kept as a work item (issue 14): identified by its key (rule, code and
/// the records it concerns), it goes 待确认 → 已确认 → 已整改 → 已关闭, or is reopened; it closes
/// itself when a check no longer finds its cause, and reopens itself if the cause comes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingCase {
    /// `WT00001`.
    pub id: RecordId,
    /// The finding's stable identity (`zhilu_policy::engine::Finding::key`).
    pub key: String,
    /// Requirement id (`R17`) and machine code (`late_offload`).
    pub rule: String,
    pub code: String,
    pub article: String,
    /// `info`, `warning`, `violation`.
    pub severity: String,
    /// Chinese, the latest the check said.
    pub message: String,
    /// The people it concerns: the officer it names and the officers of its activity.
    pub officers: Vec<OfficerId>,
    /// Their units, or the unit owning its device.
    pub units: Vec<String>,
    pub activity: Option<String>,
    pub recording: Option<String>,
    pub device: Option<String>,
    /// When the problem arose (the finding's own time).
    pub arose_at: DateTime<Utc>,
    /// When a check first found it, and last changed what it says or reopened it.
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub state: FindingState,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// The rectification (整改说明) and the records it links (a non-recording record, an
    /// interruption record, an activity…).
    pub rectification: Option<String>,
    pub rectification_links: Vec<String>,
    pub rectified_by: Option<String>,
    pub rectified_at: Option<DateTime<Utc>>,
    /// Who closed it (`system` when its cause disappeared), when and why.
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_reason: Option<String>,
    pub reopen_count: u32,
    /// The note of the last transition (a reopening's reason, a closing note).
    pub note: Option<String>,
}

/// An annual review (年度评查, R28; lushan-sj §17): one a calendar year at least.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnnualReview {
    /// `NP<nnnnn>`.
    pub id: RecordId,
    /// The calendar year reviewed.
    pub year: i32,
    /// The day it was held.
    pub held_on: chrono::NaiveDate,
    /// Its scope and conclusions (评查范围和结论).
    pub summary: String,
    pub recorded_by: OfficerId,
    pub recorded_at: DateTime<Utc>,
}

/// A violation of the rules by an officer (R29), from the profile's catalogue, with what proves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    /// `WG<nnnnn>`.
    pub id: RecordId,
    pub officer: OfficerId,
    /// The catalogue id in the profile (`lend_device`).
    pub kind: String,
    pub description: String,
    pub occurred_on: chrono::NaiveDate,
    /// Finding cases that prove it (`WT00001`).
    pub findings: Vec<String>,
    /// Ledger entries (sequence numbers) that prove it.
    pub entries: Vec<u64>,
    pub recorded_by: OfficerId,
    pub recorded_at: DateTime<Utc>,
}

/// A sanction decided on a violation (R29). One that stops enforcement (`suspends_months` in the
/// profile) runs over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sanction {
    /// `CF<nnnnn>`.
    pub id: RecordId,
    pub violation: RecordId,
    pub officer: OfficerId,
    /// The catalogue id in the profile (`suspend_one_month`).
    pub kind: String,
    pub decided_on: chrono::NaiveDate,
    /// When it takes effect (the decision day unless given).
    pub from: chrono::NaiveDate,
    /// The first day after a suspension; none for a sanction that does not stop enforcement.
    pub to: Option<chrono::NaiveDate>,
    /// Who decided it (a body or a person, as written on the decision).
    pub decided_by: String,
    pub recorded_by: OfficerId,
    pub recorded_at: DateTime<Utc>,
}
