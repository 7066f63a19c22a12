//! Bulk loading of synthetic rows **without ledger entries**, for the compliance-check benchmarks'
//! generated years (millions of rows, where one signed entry per row would measure the ledger, not
//! the check). Every row is stamped `ledger_seq = 0` and no entry records it, so `verify` reports
//! each one: a catalog loaded this way is a benchmark's, never an agency's.
//!
//! Two paths, same rows: generated `INSERT`s through the catalog's own write transaction (any
//! backend; SQLite's fastest, as its driver keeps the prepared statement), and on PostgreSQL one
//! `COPY … FROM STDIN` per table in one transaction (text format; escaping in [`copy_field`]).

use std::collections::HashMap;

use crate::catalog::driver::{Value, db};
use crate::catalog::{Catalog, Change, Row, apply};
use crate::error::StoreError;

/// Rows per write transaction on the `INSERT` path.
const INSERT_BATCH: usize = 20_000;
/// Bytes of `COPY` data sent per message.
const COPY_CHUNK: usize = 1 << 20;

/// Writes `rows` without ledger entries by the backend's fastest path: `COPY` on PostgreSQL
/// ([`bulk_copy_without_ledger`]), `INSERT`s in large transactions on SQLite
/// ([`bulk_insert_without_ledger`]). Both leave the same rows.
pub async fn bulk_load_without_ledger(catalog: &Catalog, rows: Vec<Row>) -> Result<(), StoreError> {
    match catalog.db.postgres_pool() {
        Some(_) => bulk_copy_without_ledger(catalog, rows).await,
        None => bulk_insert_without_ledger(catalog, rows).await,
    }
}

/// Writes `rows` without ledger entries, one generated `INSERT` each (the statement
/// `Catalog::commit` runs), 20,000 per write transaction. Any backend.
pub async fn bulk_insert_without_ledger(
    catalog: &Catalog,
    rows: Vec<Row>,
) -> Result<(), StoreError> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut tx = catalog.db.begin_write().await?;
        for row in rows.by_ref().take(INSERT_BATCH) {
            apply(tx.as_mut(), &Change::Insert(row), 0).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// PostgreSQL only: writes `rows` without ledger entries by one `COPY <table> (<columns>,
/// ledger_seq) FROM STDIN` per table, all in one transaction that holds the catalog's write lock
/// (as `Catalog::commit` does). Tables are copied parents first (their foreign keys, read from
/// the database), each table's rows in the order given. A duplicate key or a missing parent fails
/// the whole call and writes nothing.
pub async fn bulk_copy_without_ledger(catalog: &Catalog, rows: Vec<Row>) -> Result<(), StoreError> {
    let pool = catalog.db.postgres_pool().ok_or_else(|| {
        StoreError::database(
            "批量 COPY 载入只用于 PostgreSQL 编目库",
            "bulk_copy_without_ledger on SQLite",
        )
    })?;
    // The rows of each table, tables in the order they first appear.
    let mut groups: Vec<(&'static str, &'static [&'static str], Vec<Row>)> = Vec::new();
    let mut at: HashMap<&'static str, usize> = HashMap::new();
    for row in rows {
        let i = *at.entry(row.table()).or_insert_with(|| {
            groups.push((row.table(), row.columns(), Vec::new()));
            groups.len() - 1
        });
        groups[i].2.push(row);
    }
    if groups.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("SELECT alg FROM ledger_meta WHERE id = 1 FOR UPDATE")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    // Foreign keys (child, parent) among the catalog's tables, in the schema the catalog uses.
    let edges: Vec<(String, String)> = sqlx::query_as(
        "SELECT ch.relname::text, pa.relname::text FROM pg_constraint c \
         JOIN pg_class ch ON ch.oid = c.conrelid JOIN pg_class pa ON pa.oid = c.confrelid \
         WHERE c.contype = 'f' AND ch.relnamespace = \
           (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    for i in parents_first(&groups.iter().map(|g| g.0).collect::<Vec<_>>(), &edges)? {
        let (table, columns, rows) = &groups[i];
        // Table and column names come from the compile-time `table!` declarations.
        let sql = format!(
            "COPY {table} ({}, ledger_seq) FROM STDIN",
            columns.join(", ")
        );
        let mut copy = tx.copy_in_raw(&sql).await.map_err(db)?;
        let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + 4096);
        let mut sent = Ok(());
        for row in rows {
            copy_line(&mut buf, row);
            if buf.len() >= COPY_CHUNK {
                sent = copy.send(buf.as_slice()).await.map(|_| ());
                buf.clear();
                if sent.is_err() {
                    break;
                }
            }
        }
        if sent.is_ok() && !buf.is_empty() {
            sent = copy.send(buf.as_slice()).await.map(|_| ());
        }
        match sent {
            Ok(()) => {
                let n = copy.finish().await.map_err(db)?;
                if n != rows.len() as u64 {
                    return Err(StoreError::database(
                        "批量载入的行数与给出的不符",
                        format!("COPY {table}: {n} rows of {}", rows.len()),
                    ));
                }
            }
            Err(e) => {
                let _ = copy.abort("bulk load failed").await;
                return Err(db(e));
            }
        }
    }
    tx.commit().await.map_err(db)
}

/// The order to copy `tables` in: each after every other of them it has a foreign key to, ties
/// kept in the given order.
fn parents_first(tables: &[&str], edges: &[(String, String)]) -> Result<Vec<usize>, StoreError> {
    let mut done = vec![false; tables.len()];
    let mut order = Vec::with_capacity(tables.len());
    while order.len() < tables.len() {
        let ready = (0..tables.len()).find(|&i| {
            !done[i]
                && edges.iter().all(|(child, parent)| {
                    child != tables[i]
                        || parent == tables[i]
                        || tables
                            .iter()
                            .position(|t| t == parent)
                            .is_none_or(|p| done[p])
                })
        });
        let Some(i) = ready else {
            return Err(StoreError::database(
                "批量载入的表之间外键成环，无法排定先后",
                format!("foreign key cycle among {tables:?}"),
            ));
        };
        done[i] = true;
        order.push(i);
    }
    Ok(order)
}

/// One row in `COPY`'s text format: fields separated by tab, `ledger_seq` (0) last, newline.
fn copy_line(buf: &mut Vec<u8>, row: &Row) {
    for v in row.encode() {
        copy_field(buf, &v);
        buf.push(b'\t');
    }
    buf.extend_from_slice(b"0\n");
}

/// One field in `COPY`'s text format: `\N` for NULL; in text, backslash, tab, newline and carriage
/// return escaped with a backslash (the only bytes the format gives a meaning; each is ASCII, so
/// never part of a multi-byte UTF-8 character), everything else as it is.
fn copy_field(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Text(None) | Value::Int(None) => buf.extend_from_slice(b"\\N"),
        Value::Int(Some(i)) => buf.extend_from_slice(i.to_string().as_bytes()),
        Value::Text(Some(s)) => {
            for &b in s.as_bytes() {
                match b {
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    _ => buf.push(b),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(v: Value) -> String {
        let mut buf = Vec::new();
        copy_field(&mut buf, &v);
        String::from_utf8(buf).expect("utf-8")
    }

    /// Issue 15 (bulk COPY): NULL, an empty string and the text `\N` stay three different values;
    /// every byte COPY gives a meaning is escaped; Chinese passes through.
    #[test]
    fn x4_copy_text_escapes_what_copy_reads_specially() {
        assert_eq!(field(Value::Text(None)), "\\N");
        assert_eq!(field(Value::Int(None)), "\\N");
        assert_eq!(field(Value::Text(Some(String::new()))), "");
        assert_eq!(field(Value::Text(Some("\\N".into()))), "\\\\N");
        assert_eq!(
            field(Value::Text(Some("a\tb\nc\rd\\.".into()))),
            "a\\tb\\nc\\rd\\\\."
        );
        assert_eq!(
            field(Value::Text(Some("市场主体 \"x\",'y'".into()))),
            "市场主体 \"x\",'y'"
        );
        assert_eq!(field(Value::Int(Some(i64::MIN))), i64::MIN.to_string());
    }

    /// Issue 15 (bulk COPY): parents are copied before the tables that refer to them, whatever
    /// order the rows came in; unrelated tables keep theirs.
    #[test]
    fn x4_copy_orders_tables_parents_first() {
        let e = |c: &str, p: &str| (c.to_string(), p.to_string());
        let edges = [
            e("activity_links", "recordings"),
            e("activity_links", "activities"),
            e("recordings", "offload_sessions"),
            e("recordings", "devices"),
        ];
        let tables = [
            "activity_links",
            "approvals",
            "recordings",
            "offload_sessions",
            "activities",
        ];
        let order: Vec<&str> = parents_first(&tables, &edges)
            .expect("order")
            .into_iter()
            .map(|i| tables[i])
            .collect();
        assert_eq!(
            order,
            [
                "approvals",
                "offload_sessions",
                "recordings",
                "activities",
                "activity_links"
            ]
        );
        let cycle = [e("a", "b"), e("b", "a")];
        assert!(parents_first(&["a", "b"], &cycle).is_err());
    }
}
