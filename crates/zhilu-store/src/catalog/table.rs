//! One mechanism maps a record to its table, its ledger subject and its v1 ledger state: the
//! [`table!`] declaration next to the capability that owns the table, and the [`tables!`] list
//! (in `catalog/mod.rs`), which makes [`Row`](super::Row) and the verifier's table list from it.
//!
//! Adding a table is: the record in `zhilu-model`, its v1 state in `entry.rs`, one `table!` in its
//! capability module, one line in `tables!`, and the same migration in both `migrations/` folders.

use serde_json::Value as Json;

use super::column::Cursor;
use super::driver::{RawRow, Value};
use crate::error::StoreError;

/// A record stored as one row of one table, each change of which is a ledger entry.
pub(crate) trait Table: Sized {
    /// The SQL table.
    const NAME: &'static str;
    /// The key columns, in `COLUMNS` order.
    const KEY: &'static [&'static str];
    /// Every column but `ledger_seq`, in the order `encode` and `decode` use.
    const COLUMNS: &'static [&'static str];
    /// The ledger subject prefix (`device`, `recording`…), for the "row deleted" check.
    const NOUN: &'static str;
    /// The ledger entry kinds of an insert and of an update.
    const INSERTED: &'static str;
    const UPDATED: &'static str;

    fn encode(&self) -> Vec<Value>;
    fn key(&self) -> Vec<Value>;
    /// Reads a row selected as `COLUMNS…, ledger_seq`; returns the record and its `ledger_seq`.
    fn decode(row: &dyn RawRow) -> Result<(Self, i64), StoreError>;
    /// The ledger subject of this row (`device:DSJ-1`).
    fn subject(&self) -> String;
    /// The v1 ledger state of this row.
    fn state(&self) -> Json;
}

/// `SELECT <columns>, ledger_seq FROM <table>`.
pub(crate) fn select<T: Table>() -> String {
    format!(
        "SELECT {}, ledger_seq FROM {}",
        T::COLUMNS.join(", "),
        T::NAME
    )
}

pub(crate) fn decode_cursor<'r>(
    row: &'r dyn RawRow,
    table: &'static str,
    columns: &'static [&'static str],
) -> Cursor<'r> {
    Cursor::new(row, table, columns)
}

/// Declares how a record type is stored. `columns` maps each field to its column, in order.
macro_rules! table {
    (
        $rec:ty, table = $table:literal, noun = $noun:literal,
        inserted = $ins:literal, updated = $upd:literal,
        key = { $($kf:ident => $kc:literal),+ },
        subject = |$r:ident| $subject:expr,
        state = $state:path,
        columns = { $($field:ident => $col:literal),+ $(,)? } $(,)?
    ) => {
        impl $crate::catalog::table::Table for $rec {
            const NAME: &'static str = $table;
            const KEY: &'static [&'static str] = &[$($kc),+];
            const COLUMNS: &'static [&'static str] = &[$($col),+];
            const NOUN: &'static str = $noun;
            const INSERTED: &'static str = $ins;
            const UPDATED: &'static str = $upd;

            fn encode(&self) -> Vec<$crate::catalog::driver::Value> {
                use $crate::catalog::column::Column;
                vec![$(self.$field.encode()),+]
            }
            fn key(&self) -> Vec<$crate::catalog::driver::Value> {
                use $crate::catalog::column::Column;
                vec![$(self.$kf.encode()),+]
            }
            fn decode(
                row: &dyn $crate::catalog::driver::RawRow,
            ) -> ::std::result::Result<(Self, i64), $crate::error::StoreError> {
                let mut c = $crate::catalog::table::decode_cursor(row, $table, Self::COLUMNS);
                let record = Self { $($field: c.next()?),+ };
                Ok((record, c.seq()?))
            }
            fn subject(&self) -> String {
                let $r = self;
                $subject
            }
            fn state(&self) -> serde_json::Value {
                $crate::catalog::entry::state(<$state>::from(self))
            }
        }
    };
}
pub(crate) use table;

/// A row as the verifier compares it: (ledger subject, `ledger_seq`, v1 state).
pub(crate) type RowSnapshot = (String, i64, Json);

/// What the verifier needs of each table: how to list its rows as (subject, seq, state).
pub(crate) struct TableMeta {
    pub name: &'static str,
    pub noun: &'static str,
    pub select: fn() -> String,
    pub snapshot: fn(&dyn RawRow) -> Result<RowSnapshot, StoreError>,
}

impl TableMeta {
    pub(crate) const fn of<T: Table>() -> TableMeta {
        TableMeta {
            name: T::NAME,
            noun: T::NOUN,
            select: select::<T>,
            snapshot: snapshot::<T>,
        }
    }
}

fn snapshot<T: Table>(row: &dyn RawRow) -> Result<RowSnapshot, StoreError> {
    let (r, seq) = T::decode(row)?;
    Ok((r.subject(), seq, r.state()))
}

/// Makes the [`Row`](super::Row) enum and the verifier's table list from one list of records.
macro_rules! tables {
    ($($variant:ident($rec:ty)),+ $(,)?) => {
        /// A row of any table, for [`Change::Insert`](super::Change::Insert) and
        /// [`Change::Update`](super::Change::Update).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Row {
            $($variant($rec)),+
        }

        $(impl From<$rec> for Row {
            fn from(r: $rec) -> Self {
                Row::$variant(r)
            }
        })+

        impl Row {
            pub(crate) fn table(&self) -> &'static str {
                match self { $(Row::$variant(_) => <$rec as Table>::NAME),+ }
            }
            pub(crate) fn columns(&self) -> &'static [&'static str] {
                match self { $(Row::$variant(_) => <$rec as Table>::COLUMNS),+ }
            }
            pub(crate) fn key_columns(&self) -> &'static [&'static str] {
                match self { $(Row::$variant(_) => <$rec as Table>::KEY),+ }
            }
            pub(crate) fn encode(&self) -> Vec<Value> {
                match self { $(Row::$variant(r) => r.encode()),+ }
            }
            pub(crate) fn key(&self) -> Vec<Value> {
                match self { $(Row::$variant(r) => r.key()),+ }
            }
            /// The ledger subject.
            pub fn subject(&self) -> String {
                match self { $(Row::$variant(r) => r.subject()),+ }
            }
            pub(crate) fn state(&self) -> serde_json::Value {
                match self { $(Row::$variant(r) => r.state()),+ }
            }
            pub(crate) fn kind(&self, insert: bool) -> &'static str {
                match self {
                    $(Row::$variant(_) => if insert {
                        <$rec as Table>::INSERTED
                    } else {
                        <$rec as Table>::UPDATED
                    }),+
                }
            }
        }

        /// Every table, for the verifier.
        pub(crate) const TABLES: &[TableMeta] = &[$(TableMeta::of::<$rec>()),+];
    };
}
pub(crate) use tables;
