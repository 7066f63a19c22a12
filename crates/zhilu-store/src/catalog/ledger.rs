//! The audit ledger's storage and the one write path: entries, perfect-subtree nodes, the head and
//! the signed checkpoints, and [`Catalog::commit`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use zhilu_ledger::{self as ledger, Hash, NodeId};

use super::change::apply;
use super::driver::{DriverTx, RawRow, Value};
use super::entry::entry_body;
use super::{Catalog, Change, Result, int, stmt, text};
use crate::error::StoreError;

/// What a commit appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Sequence number of the first entry written.
    pub first_seq: u64,
    /// Tree size after the commit.
    pub size: u64,
    /// Tree root after the commit.
    pub root: Hash,
    /// The signed checkpoint of (size, root), stored in the same transaction.
    pub checkpoint: String,
}

/// Signs a checkpoint of the tree at (size, root). The application holds the key; the store asks
/// for the signature inside the commit's transaction, so no entry is ever committed unsigned.
pub trait CheckpointSigner: Send + Sync {
    fn sign_checkpoint(&self, size: u64, root: &Hash) -> std::result::Result<String, String>;
    /// Whether `note` is a checkpoint this signer's key signed for exactly (size, root). A commit
    /// signs over the head it finds only when the head's own checkpoint passes this: entries
    /// appended behind the program (no key needed to recompute leaves, nodes and head) are never
    /// adopted by the next legitimate signature.
    fn covers(&self, note: &str, size: u64, root: &Hash) -> bool;
    /// The real time, read inside the commit's transaction (after the write lock is held), so
    /// entries' real times follow their order whatever the writers' clocks did before the lock.
    fn real_now(&self) -> DateTime<Utc>;
}

/// One stored ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub seq: u64,
    /// As stored; the body holds the same value.
    pub at: i64,
    pub kind: String,
    pub subject: String,
    /// The exact leaf data (see `entry.rs`).
    pub body: String,
    /// Hex, as stored.
    pub leaf_hash: String,
}

impl LedgerEntry {
    /// The entry's `state`, or `Null` when the body is not valid JSON.
    pub fn state(&self) -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|mut b| b.get_mut("state").map(serde_json::Value::take))
            .unwrap_or(serde_json::Value::Null)
    }

    fn decode(row: &dyn RawRow) -> Result<Self> {
        let bad = |column: &'static str| StoreError::Corrupt {
            table: "ledger_entries",
            column,
            message: "不应为空".into(),
        };
        Ok(LedgerEntry {
            seq: u64::try_from(row.int(0)?.ok_or_else(|| bad("seq"))?).unwrap_or(u64::MAX),
            at: row.int(1)?.ok_or_else(|| bad("at"))?,
            kind: row.text(2)?.ok_or_else(|| bad("kind"))?.to_string(),
            subject: row.text(3)?.ok_or_else(|| bad("subject"))?.to_string(),
            body: row.text(4)?.ok_or_else(|| bad("body"))?.to_string(),
            leaf_hash: row.text(5)?.ok_or_else(|| bad("leaf_hash"))?.to_string(),
        })
    }
}

const ENTRY_COLUMNS: &str = "seq, at, kind, subject, body, leaf_hash";

fn parse_hash(hex_str: &str, what: &str) -> Result<Hash> {
    let mut h = [0u8; 32];
    hex::decode_to_slice(hex_str, &mut h)
        .map_err(|_| StoreError::LedgerCorrupt(format!("{what} 不是有效的哈希值")))?;
    Ok(h)
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::LedgerCorrupt(e.to_string())
}

/// Node lookups go out in one statement each of these sizes (the last padded by repeating an id), so
/// that a handful of statement texts serve every fetch and stay in the drivers' statement caches.
const NODE_BATCHES: [usize; 4] = [8, 16, 32, 64];

/// One statement fetching up to 64 nodes by their in-order position (the table's key; see
/// [`NodeId::position`]).
fn nodes_query(ids: &[NodeId]) -> Result<(super::driver::Stmt, Vec<Value>)> {
    let n = NODE_BATCHES
        .iter()
        .copied()
        .find(|&b| b >= ids.len())
        .unwrap_or(NODE_BATCHES[NODE_BATCHES.len() - 1]);
    let marks: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT pos, hash FROM ledger_tree WHERE pos IN ({})",
        marks.join(", ")
    );
    let mut args = Vec::with_capacity(n);
    for i in 0..n {
        args.push(int(position(ids[i.min(ids.len() - 1)])?));
    }
    Ok((stmt(sql), args))
}

/// A node's key in `ledger_tree`.
fn position(id: NodeId) -> Result<i64> {
    id.position()
        .and_then(|p| i64::try_from(p).ok())
        .ok_or_else(|| corrupt(format!("树节点 {id:?} 超出可存储的范围")))
}

/// Reads one row of [`nodes_query`] into `out`.
fn node_row(row: &dyn RawRow, out: &mut HashMap<NodeId, Hash>) -> Result<()> {
    let id = row
        .int(0)?
        .and_then(|p| u64::try_from(p).ok())
        .and_then(NodeId::at_position);
    let Some(id) = id else {
        return Err(corrupt("ledger_tree 中有无效的节点位置"));
    };
    let h = row.text(1)?.unwrap_or("");
    out.insert(id, parse_hash(h, "ledger_tree.hash")?);
    Ok(())
}

/// Fails naming the first of `ids` that `got` lacks.
fn all_found(ids: &[NodeId], got: &HashMap<NodeId, Hash>) -> Result<()> {
    match ids.iter().find(|id| !got.contains_key(id)) {
        Some(id) => Err(StoreError::LedgerCorrupt(format!("缺少树节点 {id:?}"))),
        None => Ok(()),
    }
}

/// The nodes `ids` not yet in `out`, read inside the write transaction, 64 per statement.
async fn tx_nodes(
    tx: &mut dyn DriverTx,
    ids: &[NodeId],
    out: &mut HashMap<NodeId, Hash>,
) -> Result<()> {
    let want: Vec<NodeId> = ids
        .iter()
        .filter(|id| !out.contains_key(id))
        .copied()
        .collect();
    for chunk in want.chunks(NODE_BATCHES[NODE_BATCHES.len() - 1]) {
        let (sql, args) = nodes_query(chunk)?;
        tx.each(sql, args, &mut |row: &dyn RawRow| node_row(row, out))
            .await?;
    }
    all_found(&want, out)
}

/// Rows inserted per multi-row `INSERT` by a commit: full batches of the largest size, then the
/// rest in power-of-two pieces, so that a few statement texts (cached by the drivers) serve any
/// number of rows while each statement still carries many.
const INSERT_BATCHES: [usize; 6] = [32, 16, 8, 4, 2, 1];

/// Inserts `rows` (`width` values each, flattened) into `target` ("table (columns)") with
/// multi-row `INSERT`s.
async fn insert_rows(
    tx: &mut dyn DriverTx,
    target: &str,
    width: usize,
    rows: Vec<Value>,
) -> Result<()> {
    debug_assert_eq!(rows.len() % width, 0);
    let mut left = rows.len() / width;
    let mut values = rows.into_iter();
    let mut texts: HashMap<usize, String> = HashMap::new();
    while left > 0 {
        let n = INSERT_BATCHES
            .iter()
            .copied()
            .find(|&b| b <= left)
            .unwrap_or(1);
        let sql = texts.entry(n).or_insert_with(|| {
            let tuples: Vec<String> = (0..n)
                .map(|r| {
                    let marks: Vec<String> =
                        (1..=width).map(|c| format!("${}", r * width + c)).collect();
                    format!("({})", marks.join(", "))
                })
                .collect();
            format!("INSERT INTO {target} VALUES {}", tuples.join(", "))
        });
        let args: Vec<Value> = values.by_ref().take(n * width).collect();
        tx.execute(stmt(sql.clone()), args).await?;
        left -= n;
    }
    Ok(())
}

impl Catalog {
    /// The one write path: appends one ledger entry per change, applies the row changes, moves
    /// the head and stores the signed checkpoint, all in one transaction that holds the catalog's
    /// write lock (other writers, in this process or another, wait for it).
    ///
    /// An update whose row changed since it was read fails with [`StoreError::Conflict`] and
    /// nothing is written.
    pub async fn commit(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        changes: &[Change],
        signer: &dyn CheckpointSigner,
    ) -> Result<Appended> {
        for change in changes {
            if let Change::Event(ev) = change
                && Catalog::table_nouns().any(|n| {
                    ev.subject
                        .strip_prefix(n)
                        .is_some_and(|r| r.starts_with(':'))
                })
            {
                return Err(StoreError::EventNamesRow {
                    kind: ev.kind.clone(),
                    subject: ev.subject.clone(),
                });
            }
        }
        let at = at.timestamp_micros();
        let mut tx = self.db.begin_write().await?;
        // The head and its checkpoint in one statement (a single-entry commit is a handful of
        // statements, each a measurable share of its cost).
        let mut head = None;
        let mut note = None;
        tx.each(
            stmt(
                "SELECT h.size, h.root, c.note FROM ledger_head h \
                 LEFT JOIN ledger_checkpoints c ON c.size = h.size WHERE h.id = 1",
            ),
            vec![],
            &mut |row: &dyn RawRow| {
                head = Some((
                    row.int(0)?.unwrap_or(-1),
                    row.text(1)?.unwrap_or("").to_string(),
                ));
                note = row.text(2)?.map(str::to_string);
                Ok(())
            },
        )
        .await?;
        let (size0, root0) = head.ok_or_else(|| StoreError::LedgerCorrupt("缺少日志头".into()))?;
        let first_seq = u64::try_from(size0).map_err(|_| corrupt("日志长度为负数"))?;
        if first_seq > 0 {
            let root0 = parse_hash(&root0, "ledger_head.root")?;
            if !note.is_some_and(|n| signer.covers(&n, first_seq, &root0)) {
                return Err(StoreError::UnsignedTail { size: first_seq });
            }
        }
        let real_at = signer.real_now().timestamp_micros();
        // Every node an append in this commit reads is either one it wrote itself or a perfect
        // subtree of the tree as it stands (its binary decomposition, ≤ 64 nodes): read those
        // in one statement now, then compute the whole commit in memory.
        let mut nodes: HashMap<NodeId, Hash> = HashMap::new();
        tx_nodes(tx.as_mut(), &ledger::root_needs(first_seq), &mut nodes).await?;
        let mut size = first_seq;
        let mut entry_rows: Vec<Value> = Vec::with_capacity(changes.len() * 6);
        let mut node_rows: Vec<Value> = Vec::with_capacity(changes.len() * 6);
        for change in changes {
            let subject = change.subject();
            let body = entry_body(
                size,
                at,
                real_at,
                actor,
                change.kind(),
                &subject,
                &change.state(),
            );
            let leaf = self.alg.leaf_hash(body.as_bytes());
            tx_nodes(tx.as_mut(), &ledger::append_needs(size), &mut nodes).await?;
            let new_nodes = ledger::append(self.alg, size, leaf, &nodes).map_err(corrupt)?;
            for (id, h) in new_nodes {
                node_rows.extend([int(position(id)?), text(&hex::encode(h))]);
                nodes.insert(id, h);
            }
            let seq = size as i64;
            entry_rows.extend([
                int(seq),
                int(at),
                text(change.kind()),
                text(&subject),
                Value::Text(Some(body)),
                text(&hex::encode(leaf)),
            ]);
            apply(tx.as_mut(), change, seq).await?;
            size += 1;
        }
        insert_rows(tx.as_mut(), "ledger_tree (pos, hash)", 2, node_rows)
            .await
            .map_err(|e| match e {
                StoreError::Duplicate { .. } => {
                    StoreError::LedgerCorrupt("树节点已存在：日志头与节点表不一致".into())
                }
                e => e,
            })?;
        insert_rows(
            tx.as_mut(),
            &format!("ledger_entries ({ENTRY_COLUMNS})"),
            6,
            entry_rows,
        )
        .await?;
        tx_nodes(tx.as_mut(), &ledger::root_needs(size), &mut nodes).await?;
        let root = ledger::root(self.alg, size, &nodes).map_err(corrupt)?;
        let moved = tx
            .execute(
                stmt("UPDATE ledger_head SET size = $1, root = $2 WHERE id = 1 AND size = $3"),
                vec![int(size as i64), text(&hex::encode(root)), int(size0)],
            )
            .await?;
        if moved != 1 {
            return Err(StoreError::Conflict("审计日志头".into()));
        }
        let checkpoint = signer
            .sign_checkpoint(size, &root)
            .map_err(StoreError::LedgerCorrupt)?;
        tx.execute(
            stmt("INSERT INTO ledger_checkpoints (size, at, note) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING"),
            vec![int(size as i64), int(at), text(&checkpoint)],
        )
        .await?;
        tx.commit().await?;
        Ok(Appended {
            first_seq,
            size,
            root,
            checkpoint,
        })
    }

    /// The ledger head as committed: (size, root).
    pub async fn ledger_head(&self) -> Result<(u64, Hash)> {
        let mut head = None;
        self.db
            .each(
                stmt("SELECT size, root FROM ledger_head WHERE id = 1"),
                vec![],
                &mut |row: &dyn RawRow| {
                    head = Some((
                        row.int(0)?.unwrap_or(0),
                        row.text(1)?.unwrap_or("").to_string(),
                    ));
                    Ok(())
                },
            )
            .await?;
        let (size, root) = head.ok_or_else(|| StoreError::LedgerCorrupt("缺少日志头".into()))?;
        Ok((size.max(0) as u64, parse_hash(&root, "ledger_head.root")?))
    }

    async fn entries_where(&self, filter: &str, args: Vec<Value>) -> Result<Vec<LedgerEntry>> {
        let mut out = Vec::new();
        self.db
            .each(
                stmt(format!(
                    "SELECT {ENTRY_COLUMNS} FROM ledger_entries {filter}"
                )),
                args,
                &mut |row: &dyn RawRow| {
                    out.push(LedgerEntry::decode(row)?);
                    Ok(())
                },
            )
            .await?;
        Ok(out)
    }

    /// Entries with `seq` in `[from, from + limit)`, in order (for streaming verification).
    pub async fn ledger_entries(&self, from: u64, limit: u64) -> Result<Vec<LedgerEntry>> {
        self.entries_where(
            "WHERE seq >= $1 ORDER BY seq LIMIT $2",
            vec![int(from as i64), int(limit as i64)],
        )
        .await
    }

    /// The latest `limit` entries about one subject (`recording:<sha256>`, `activity:<id>`…),
    /// newest first (the audit page's lookup; indexed by subject).
    pub async fn ledger_entries_about(
        &self,
        subject: &str,
        limit: u64,
    ) -> Result<Vec<LedgerEntry>> {
        self.entries_where(
            "WHERE subject = $1 ORDER BY seq DESC LIMIT $2",
            vec![text(subject), int(limit as i64)],
        )
        .await
    }

    /// The latest `limit` entries, newest first.
    pub async fn ledger_latest(&self, limit: u64) -> Result<Vec<LedgerEntry>> {
        self.entries_where("ORDER BY seq DESC LIMIT $1", vec![int(limit as i64)])
            .await
    }

    /// Entries of the given kinds, in order.
    pub async fn events_of_kinds(&self, kinds: &[&str]) -> Result<Vec<LedgerEntry>> {
        let marks: Vec<String> = (1..=kinds.len()).map(|i| format!("${i}")).collect();
        self.entries_where(
            &format!("WHERE kind IN ({}) ORDER BY seq", marks.join(", ")),
            kinds.iter().map(|k| text(k)).collect(),
        )
        .await
    }

    /// The latest entry of a kind (the profile in force is the latest `profile.applied`).
    pub async fn latest_event(&self, kind: &str) -> Result<Option<LedgerEntry>> {
        Ok(self
            .entries_where(
                "WHERE kind = $1 ORDER BY seq DESC LIMIT 1",
                vec![text(kind)],
            )
            .await?
            .pop())
    }

    /// The sequence number of the latest entry of any of `kinds`: one index lookup, so a cache
    /// built from those entries can check on every use that it is still current.
    pub async fn latest_seq_of(&self, kinds: &[&str]) -> Result<Option<u64>> {
        let marks: Vec<String> = (1..=kinds.len()).map(|i| format!("${i}")).collect();
        let n = self
            .scalar_int(
                stmt(format!(
                    "SELECT MAX(seq) FROM ledger_entries WHERE kind IN ({})",
                    marks.join(", ")
                )),
                kinds.iter().map(|k| text(k)).collect(),
            )
            .await?;
        Ok(n.and_then(|n| u64::try_from(n).ok()))
    }

    /// The tree root at `size`, recomputed from stored nodes.
    pub async fn root_at(&self, size: u64) -> Result<Hash> {
        let nodes = self.nodes(&ledger::root_needs(size)).await?;
        ledger::root(self.alg, size, &nodes).map_err(corrupt)
    }

    /// An RFC 6962 inclusion proof for entry `index` in the tree of `size` entries.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        let ids = ledger::inclusion_needs(index, size).map_err(corrupt)?;
        let nodes = self.nodes(&ids).await?;
        ledger::inclusion_proof(self.alg, index, size, &nodes).map_err(corrupt)
    }

    /// An RFC 6962 consistency proof between two tree sizes.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        let ids = ledger::consistency_needs(old, new).map_err(corrupt)?;
        let nodes = self.nodes(&ids).await?;
        ledger::consistency_proof(self.alg, old, new, &nodes).map_err(corrupt)
    }

    /// The nodes `ids`, 64 per statement (an inclusion proof in a log of millions is one).
    async fn nodes(&self, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(NODE_BATCHES[NODE_BATCHES.len() - 1]) {
            let (sql, args) = nodes_query(chunk)?;
            self.db
                .each(sql, args, &mut |row: &dyn RawRow| node_row(row, &mut out))
                .await?;
        }
        all_found(ids, &out)?;
        Ok(out)
    }

    /// All stored checkpoints as (size, note), by size.
    pub async fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        let mut out = Vec::new();
        self.db
            .each(
                stmt("SELECT size, note FROM ledger_checkpoints ORDER BY size"),
                vec![],
                &mut |row: &dyn RawRow| {
                    let size = row.int(0)?.unwrap_or(-1);
                    out.push((
                        u64::try_from(size).unwrap_or(u64::MAX),
                        row.text(1)?.unwrap_or("").to_string(),
                    ));
                    Ok(())
                },
            )
            .await?;
        Ok(out)
    }
}
