//! How each field type of a record is stored in one column, and read back.
//!
//! Storage is deliberately plain so that SQLite and PostgreSQL hold the same bytes: instants are
//! unix microseconds (UTC), booleans 0/1, lists JSON text, identifiers, hashes and statuses their
//! string form. Reading is strict: a value that does not decode to its type (an identifier with a
//! `/`, a status outside its set, a negative size) is reported with its table and column, never
//! replaced by a default.

use chrono::{DateTime, Utc};
use zhilu_model::*;

use super::driver::{RawRow, Value};
use crate::error::StoreError;

type Decoded<T> = std::result::Result<T, String>;

/// One field type's column encoding.
pub(crate) trait Column: Sized {
    /// The NULL of this column's storage type.
    const NULL: Value;
    fn encode(&self) -> Value;
    /// Reads column `i`, which is known not to be NULL.
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError>;
    /// What NULL decodes to: nothing, except for `Option`.
    fn from_null() -> Option<Self> {
        None
    }
}

/// Reads a row's columns in order, naming the table and column in any decoding error.
pub(crate) struct Cursor<'r> {
    row: &'r dyn RawRow,
    table: &'static str,
    columns: &'static [&'static str],
    i: usize,
}

impl<'r> Cursor<'r> {
    pub(crate) fn new(
        row: &'r dyn RawRow,
        table: &'static str,
        columns: &'static [&'static str],
    ) -> Self {
        Cursor {
            row,
            table,
            columns,
            i: 0,
        }
    }

    pub(crate) fn next<T: Column>(&mut self) -> Result<T, StoreError> {
        let i = self.i;
        self.i += 1;
        let column = self.columns.get(i).copied().unwrap_or("?");
        let bad = |message: String| StoreError::Corrupt {
            table: self.table,
            column,
            message,
        };
        if self.row.is_null(i)? {
            return T::from_null().ok_or_else(|| bad("不应为空".into()));
        }
        T::decode(self.row, i)?.map_err(bad)
    }

    /// The column after the record's own: its `ledger_seq`.
    pub(crate) fn seq(&mut self) -> Result<i64, StoreError> {
        let i = self.i;
        self.i += 1;
        self.row.int(i)?.ok_or_else(|| StoreError::Corrupt {
            table: self.table,
            column: "ledger_seq",
            message: "不应为空".into(),
        })
    }
}

fn text(row: &dyn RawRow, i: usize) -> Result<&str, StoreError> {
    row.text(i)?.ok_or_else(|| StoreError::Corrupt {
        table: "?",
        column: "?",
        message: "不应为空".into(),
    })
}

fn int(row: &dyn RawRow, i: usize) -> Result<i64, StoreError> {
    row.int(i)?.ok_or_else(|| StoreError::Corrupt {
        table: "?",
        column: "?",
        message: "不应为空".into(),
    })
}

impl Column for String {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(self.clone()))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        Ok(Ok(text(row, i)?.to_string()))
    }
}

impl Column for i64 {
    const NULL: Value = Value::Int(None);
    fn encode(&self) -> Value {
        Value::Int(Some(*self))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        Ok(Ok(int(row, i)?))
    }
}

macro_rules! unsigned_column {
    ($($t:ty),+) => {$(
        impl Column for $t {
            const NULL: Value = Value::Int(None);
            fn encode(&self) -> Value {
                Value::Int(Some(i64::try_from(*self).unwrap_or(i64::MAX)))
            }
            fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
                let n = int(row, i)?;
                Ok(<$t>::try_from(n).map_err(|_| format!("{n} 超出范围")))
            }
        }
    )+};
}
unsigned_column!(u64, u32, u8);

impl Column for bool {
    const NULL: Value = Value::Int(None);
    fn encode(&self) -> Value {
        Value::Int(Some(i64::from(*self)))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        Ok(match int(row, i)? {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(format!("应为 0 或 1，实为 {n}")),
        })
    }
}

/// Unix microseconds, UTC.
impl Column for DateTime<Utc> {
    const NULL: Value = Value::Int(None);
    fn encode(&self) -> Value {
        Value::Int(Some(self.timestamp_micros()))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        let us = int(row, i)?;
        Ok(DateTime::from_timestamp_micros(us).ok_or_else(|| format!("{us} 不是有效的时间")))
    }
}

/// A JSON array of strings, as `["a","b"]` (no spaces): the exact text earlier releases stored.
impl Column for Vec<String> {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(json_list(self.iter().map(String::as_str))))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        let s = text(row, i)?;
        Ok(serde_json::from_str(s).map_err(|e| format!("不是字符串数组：{e}")))
    }
}

impl Column for Vec<OfficerId> {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(json_list(self.iter().map(OfficerId::as_str))))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        let s = text(row, i)?;
        Ok(serde_json::from_str(s).map_err(|e| format!("不是执法人员编号数组：{e}")))
    }
}

/// `["a","b"]`, the compact JSON serde_json writes for a list of strings.
pub(crate) fn json_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    serde_json::to_string(&items).unwrap_or_else(|_| "[]".into())
}

/// Approval steps as earlier releases stored them: `[{"by":…,"role":…,"at":<µs>}]`.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredStep<'a> {
    by: std::borrow::Cow<'a, str>,
    role: std::borrow::Cow<'a, str>,
    at: i64,
}

pub(crate) fn steps_text(steps: &[ApprovalStep]) -> String {
    let raw: Vec<StoredStep<'_>> = steps
        .iter()
        .map(|s| StoredStep {
            by: s.by.as_str().into(),
            role: s.role.as_str().into(),
            at: s.at.timestamp_micros(),
        })
        .collect();
    serde_json::to_string(&raw).unwrap_or_else(|_| "[]".into())
}

impl Column for Vec<ApprovalStep> {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(steps_text(self)))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        let s = text(row, i)?;
        let raw: Vec<StoredStep<'_>> = match serde_json::from_str(s) {
            Ok(r) => r,
            Err(e) => return Ok(Err(format!("不是审批步骤数组：{e}"))),
        };
        Ok(raw
            .into_iter()
            .map(|r| {
                Ok(ApprovalStep {
                    by: OfficerId::parse(&r.by).map_err(|e| e.to_string())?,
                    role: r.role.into_owned(),
                    at: DateTime::from_timestamp_micros(r.at)
                        .ok_or_else(|| format!("{} 不是有效的时间", r.at))?,
                })
            })
            .collect())
    }
}

macro_rules! text_column {
    ($($t:ty),+) => {$(
        impl Column for $t {
            const NULL: Value = Value::Text(None);
            fn encode(&self) -> Value {
                Value::Text(Some(self.as_str().to_string()))
            }
            fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
                Ok(<$t>::parse(text(row, i)?).map_err(|e| e.to_string()))
            }
        }
    )+};
}
text_column!(
    DeviceSerial,
    OfficerId,
    StationId,
    ActivityId,
    CheckoutId,
    RecordId,
    HoldId,
    SessionId,
    EventId,
    Sha256,
    Sm3,
    DeviceKind,
    DeviceStatus,
    DeviceEventKind,
    SessionStatus,
    MediaKind,
    TimeSource,
    LinkMethod,
    ApprovalKind,
    ApprovalStatus,
    AccessKind,
    Secrecy
);

/// A calendar day as `YYYY-MM-DD`.
impl Column for chrono::NaiveDate {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(self.to_string()))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        let s = text(row, i)?;
        Ok(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|e| format!("{s} 不是日期：{e}")))
    }
}

/// A JSON array of stored codes or ids, parsed one by one.
macro_rules! list_column {
    ($($t:ty),+) => {$(
        impl Column for Vec<$t> {
            const NULL: Value = Value::Text(None);
            fn encode(&self) -> Value {
                Value::Text(Some(json_list(self.iter().map(|v| v.as_str()))))
            }
            fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
                let s = text(row, i)?;
                let raw: Vec<String> = match serde_json::from_str(s) {
                    Ok(r) => r,
                    Err(e) => return Ok(Err(format!("不是字符串数组：{e}"))),
                };
                Ok(raw
                    .iter()
                    .map(|v| <$t>::parse(v).map_err(|e| e.to_string()))
                    .collect())
            }
        }
    )+};
}
list_column!(Sha256, Secrecy);

impl<T: Column> Column for Option<T> {
    const NULL: Value = T::NULL;
    fn encode(&self) -> Value {
        match self {
            Some(v) => v.encode(),
            None => T::NULL,
        }
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        Ok(T::decode(row, i)?.map(Some))
    }
    fn from_null() -> Option<Self> {
        Some(None)
    }
}

/// A disc's files as `[{"path":…,"sha256":…,"sm3":…,"size":n}]` (R21).
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredDiscFile<'a> {
    path: std::borrow::Cow<'a, str>,
    sha256: std::borrow::Cow<'a, str>,
    sm3: std::borrow::Cow<'a, str>,
    size: u64,
}

pub(crate) fn disc_files_text(files: &[zhilu_model::DiscFile]) -> String {
    let raw: Vec<StoredDiscFile<'_>> = files
        .iter()
        .map(|f| StoredDiscFile {
            path: f.path.as_str().into(),
            sha256: f.sha256.as_str().into(),
            sm3: f.sm3.as_str().into(),
            size: f.size,
        })
        .collect();
    serde_json::to_string(&raw).unwrap_or_else(|_| "[]".into())
}

impl Column for Vec<zhilu_model::DiscFile> {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(disc_files_text(self)))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        let s = text(row, i)?;
        let raw: Vec<StoredDiscFile<'_>> = match serde_json::from_str(s) {
            Ok(r) => r,
            Err(e) => return Ok(Err(format!("不是光盘文件清单：{e}"))),
        };
        Ok(raw
            .into_iter()
            .map(|r| {
                Ok(zhilu_model::DiscFile {
                    path: r.path.into_owned(),
                    sha256: Sha256::parse(&r.sha256).map_err(|e| e.to_string())?,
                    sm3: Sm3::parse(&r.sm3).map_err(|e| e.to_string())?,
                    size: r.size,
                })
            })
            .collect())
    }
}

text_column!(CostKind);
text_column!(FindingState);

/// A signed number that fits 32 bits (a calendar year, R28).
impl Column for i32 {
    const NULL: Value = Value::Int(None);
    fn encode(&self) -> Value {
        Value::Int(Some(i64::from(*self)))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        let n = int(row, i)?;
        Ok(i32::try_from(n).map_err(|_| format!("{n} 超出范围")))
    }
}

/// A JSON array of numbers, as `[1,2]` (ledger sequence numbers, R29).
impl Column for Vec<u64> {
    const NULL: Value = Value::Text(None);
    fn encode(&self) -> Value {
        Value::Text(Some(
            serde_json::to_string(self).unwrap_or_else(|_| "[]".into()),
        ))
    }
    fn decode(row: &dyn RawRow, i: usize) -> Result<Decoded<Self>, StoreError> {
        let s = text(row, i)?;
        Ok(serde_json::from_str(s).map_err(|e| format!("不是数字数组：{e}")))
    }
}
