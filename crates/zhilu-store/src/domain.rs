//! Rows of the enforcement domain (units, officers, checkouts, activities, links, records of
//! non-recording and interruption, offload extensions, approvals, legal holds).
//!
//! These tables are written the same way as the offload tables — one ledger entry per change, in
//! the same transaction — but their SQL is generated from one column list per table (the
//! [`domain_row!`] macro), so a table's columns, its ledger snapshot and its `INSERT`/`UPDATE`
//! cannot drift apart.

use serde::{Deserialize, Serialize};

/// A value bound into generated SQL: the only column types the catalog uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(Some(v))
    }
}
impl From<Option<String>> for SqlValue {
    fn from(v: Option<String>) -> Self {
        SqlValue::Text(v)
    }
}
impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(Some(v))
    }
}
impl From<Option<i64>> for SqlValue {
    fn from(v: Option<i64>) -> Self {
        SqlValue::Int(v)
    }
}

/// A domain table's row: its table, key and columns, for generated SQL and the verifier.
pub trait DomainTable {
    const TABLE: &'static str;
    /// Subject prefix in the ledger, e.g. `officer`.
    const NOUN: &'static str;
    const KEY: &'static [&'static str];
    /// Every column except `ledger_seq`, in declaration order.
    const COLUMNS: &'static [&'static str];
    fn values(&self) -> Vec<SqlValue>;
    fn key_values(&self) -> Vec<SqlValue>;
    /// `<noun>:<key>[:<key>]`.
    fn subject(&self) -> String;
    fn ledger_seq(&self) -> i64;
}

macro_rules! domain_row {
    ($(#[$m:meta])* $name:ident, table = $table:literal, noun = $noun:literal, key = [$($key:ident),+],
     { $($(#[$fm:meta])* $field:ident : $ty:ty),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)+
            #[serde(skip)]
            pub ledger_seq: i64,
        }
        impl DomainTable for $name {
            const TABLE: &'static str = $table;
            const NOUN: &'static str = $noun;
            const KEY: &'static [&'static str] = &[$(stringify!($key)),+];
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];
            fn values(&self) -> Vec<SqlValue> {
                vec![$(SqlValue::from(self.$field.clone())),+]
            }
            fn key_values(&self) -> Vec<SqlValue> {
                vec![$(SqlValue::from(self.$key.clone())),+]
            }
            fn subject(&self) -> String {
                let parts: Vec<String> = vec![$(self.$key.to_string()),+];
                format!("{}:{}", $noun, parts.join(":"))
            }
            fn ledger_seq(&self) -> i64 {
                self.ledger_seq
            }
        }
    };
}

domain_row!(
    /// An enforcement unit (执法处室/工作组/科室).
    UnitRow, table = "units", noun = "unit", key = [id],
    { id: String, name: String, created_at: i64 }
);

domain_row!(
    /// An officer and the role the profile's approval chains refer to.
    OfficerRow, table = "officers", noun = "officer", key = [id],
    { id: String, name: String, unit: String, role: String, created_at: i64 }
);

domain_row!(
    /// A device checked out to an officer (R3) with the pre-use check (R4); `returned_at` is set on return.
    CheckoutRow, table = "checkouts", noun = "checkout", key = [id],
    {
        id: String, device_serial: String, officer: String, out_at: i64, returned_at: Option<i64>,
        battery_pct: Option<i64>, free_gb: Option<i64>, clock_ok: i64, recorded_summary: Option<String>
    }
);

domain_row!(
    /// An enforcement activity as its documents record it (R7). `officers` and `flags` are JSON arrays.
    ActivityRow, table = "activities", noun = "activity", key = [id],
    {
        id: String, kind: String, subject_name: String, subject_code: Option<String>,
        subject_code_kind: Option<String>, place: String, officers: String, start_at: i64, end_at: i64,
        case_no: Option<String>, flags: String, created_at: i64, created_by: String
    }
);

domain_row!(
    /// A recording linked to an activity, automatically (officer + device + time) or by hand.
    LinkRow, table = "activity_links", noun = "link", key = [sha256, activity_id],
    { sha256: String, activity_id: String, method: String, linked_at: i64, actor: String }
);

domain_row!(
    /// A non-recording record (未记录工作记录, R10).
    NoRecordRow, table = "norecords", noun = "norecord", key = [id],
    { id: String, activity_id: String, reason: String, basis: String, created_at: i64, created_by: String }
);

domain_row!(
    /// An interruption record for the gap after recording `after_sha256` (R11).
    InterruptionRow, table = "interruptions", noun = "interruption", key = [id],
    {
        id: String, activity_id: String, after_sha256: String, reason: String, voice_stated: i64,
        detail: String, created_at: i64, created_by: String
    }
);

domain_row!(
    /// A request to offload later than the ordinary deadline (zhejiang-rf §19).
    ExtensionRow, table = "offload_extensions", noun = "extension", key = [id],
    { id: String, activity_id: String, reason: String, created_at: i64, created_by: String }
);

domain_row!(
    /// The approval of one record, keyed by that record's id. `chain` and `steps` are JSON: the
    /// roles required, in order, and who approved each level when.
    ApprovalRow, table = "approvals", noun = "approval", key = [id],
    { id: String, subject_kind: String, chain: String, steps: String, status: String, updated_at: i64 }
);

domain_row!(
    /// A legal hold on a recording: blocks expiry while `released_at` is empty (R20).
    HoldRow, table = "holds", noun = "hold", key = [id],
    { id: String, sha256: String, reason: String, placed_at: i64, placed_by: String, released_at: Option<i64> }
);

domain_row!(
    /// A request to view or copy a recording (R23); its approval chain is the profile's `access`.
    AccessRequestRow, table = "access_requests", noun = "access", key = [id],
    { id: String, sha256: String, requester: String, reason: String, created_at: i64 }
);

/// Any domain row, for [`crate::Change::Insert`] and [`crate::Change::Update`].
#[derive(Debug, Clone)]
pub enum DomainRow {
    Unit(UnitRow),
    Officer(OfficerRow),
    Checkout(CheckoutRow),
    Activity(ActivityRow),
    Link(LinkRow),
    NoRecord(NoRecordRow),
    Interruption(InterruptionRow),
    Extension(ExtensionRow),
    Approval(ApprovalRow),
    Hold(HoldRow),
    Access(AccessRequestRow),
}

macro_rules! dispatch {
    ($self:ident, $r:ident => $e:expr) => {
        match $self {
            DomainRow::Unit($r) => $e,
            DomainRow::Officer($r) => $e,
            DomainRow::Checkout($r) => $e,
            DomainRow::Activity($r) => $e,
            DomainRow::Link($r) => $e,
            DomainRow::NoRecord($r) => $e,
            DomainRow::Interruption($r) => $e,
            DomainRow::Extension($r) => $e,
            DomainRow::Approval($r) => $e,
            DomainRow::Hold($r) => $e,
            DomainRow::Access($r) => $e,
        }
    };
}

fn table_of<T: DomainTable>(
    _: &T,
) -> (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
) {
    (T::TABLE, T::NOUN, T::KEY, T::COLUMNS)
}

impl DomainRow {
    /// (table, noun, key columns, columns).
    pub fn meta(
        &self,
    ) -> (
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ) {
        dispatch!(self, r => table_of(r))
    }
    pub fn values(&self) -> Vec<SqlValue> {
        dispatch!(self, r => r.values())
    }
    pub fn key_values(&self) -> Vec<SqlValue> {
        dispatch!(self, r => r.key_values())
    }
    pub fn subject(&self) -> String {
        dispatch!(self, r => r.subject())
    }
    pub fn state(&self) -> serde_json::Value {
        dispatch!(self, r => serde_json::to_value(r).unwrap_or(serde_json::Value::Null))
    }
    /// The ledger entry kind: `<noun>.added` or `<noun>.updated`.
    pub fn kind(&self, insert: bool) -> &'static str {
        let noun = self.meta().1;
        const KINDS: [(&str, &str, &str); 11] = [
            ("access", "access.requested", "access.updated"),
            ("unit", "unit.added", "unit.updated"),
            ("officer", "officer.added", "officer.updated"),
            ("checkout", "device.checked_out", "device.returned"),
            ("activity", "activity.added", "activity.updated"),
            ("link", "recording.linked", "link.updated"),
            ("norecord", "norecord.added", "norecord.updated"),
            ("interruption", "interruption.added", "interruption.updated"),
            ("extension", "extension.requested", "extension.updated"),
            ("approval", "approval.requested", "approval.updated"),
            ("hold", "hold.placed", "hold.released"),
        ];
        KINDS
            .iter()
            .find(|(n, _, _)| *n == noun)
            .map(|(_, a, u)| if insert { *a } else { *u })
            .unwrap_or("domain.changed")
    }
}

/// Subject prefixes of every domain table, for the verifier's "row deleted" check.
pub const DOMAIN_NOUNS: [&str; 11] = [
    "access",
    "unit",
    "officer",
    "checkout",
    "activity",
    "link",
    "norecord",
    "interruption",
    "extension",
    "approval",
    "hold",
];
