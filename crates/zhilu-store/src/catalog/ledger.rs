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

/// The tree as a commit left it: its size, the signed checkpoint stored on its last entry and the
/// perfect subtrees of its binary decomposition (≤ 64 nodes). The next commit from the same
/// handle that finds exactly that last entry and checkpoint starts from these nodes instead of
/// reading them again (one statement, a tenth of a single-entry commit's time on SQLite).
///
/// It never lets a commit sign over a tree its key did not sign: the nodes are the ones this
/// handle computed and signed, and every later signature is over them plus the new entries. Rows
/// edited behind the program while the last entry stays as it was are not re-read here; `verify`
/// names them, and the signatures were never over them. Entries appended behind the program
/// change the last entry, so the nodes are read from the catalog and the commit refuses.
#[derive(Debug)]
pub(crate) struct Frontier {
    size: u64,
    note: String,
    nodes: HashMap<NodeId, Hash>,
}

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

/// The statement text for `n` of `batches` rows, made by `make` once per batch size and kept in
/// `texts` (so a commit or a proof formats no SQL).
fn batch_sql(
    texts: &'static std::sync::OnceLock<Vec<String>>,
    batches: &[usize],
    n: usize,
    make: impl Fn(usize) -> String,
) -> &'static str {
    let texts = texts.get_or_init(|| batches.iter().map(|&b| make(b)).collect());
    let i = batches.iter().position(|&b| b == n).unwrap_or(0);
    &texts[i]
}

/// The statement texts of [`NODE_BATCHES`].
fn nodes_sql(n: usize) -> &'static str {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    batch_sql(&TEXTS, &NODE_BATCHES, n, |n| {
        let marks: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
        format!(
            "SELECT seq, leaf_hash, nodes FROM ledger_entries WHERE seq IN ({})",
            marks.join(", ")
        )
    })
}

/// One statement fetching the rows that hold up to 64 nodes (see [`holder`]).
fn nodes_query(ids: &[NodeId]) -> Result<(super::driver::Stmt, Vec<Value>)> {
    let n = NODE_BATCHES
        .iter()
        .copied()
        .find(|&b| b >= ids.len())
        .unwrap_or(NODE_BATCHES[NODE_BATCHES.len() - 1]);
    let mut args = Vec::with_capacity(n);
    for i in 0..n {
        args.push(int(holder(ids[i.min(ids.len() - 1)])?));
    }
    Ok((stmt(nodes_sql(n)), args))
}

/// The entry whose row holds node `id`: the last leaf it covers, `(index + 1)·2^level − 1` (a
/// leaf is its own entry's `leaf_hash`; a level-`l` node is the `l`-th hash of that entry's
/// `nodes`, since appending that leaf completed it).
fn holder(id: NodeId) -> Result<i64> {
    let level = u32::from(id.level);
    id.index
        .checked_add(1)
        .filter(|_| level < 62)
        .and_then(|i| i.checked_shl(level).filter(|s| s >> level == i))
        .and_then(|s| i64::try_from(s - 1).ok())
        .ok_or_else(|| corrupt(format!("树节点 {id:?} 超出可存储的范围")))
}

/// Reads one row of [`nodes_query`] into `out`: those of `ids` the row holds (its leaf, and the
/// nodes its `nodes` hold; a row high in a large tree holds twenty, of which a proof wants one).
fn node_row(row: &dyn RawRow, ids: &[NodeId], out: &mut HashMap<NodeId, Hash>) -> Result<()> {
    let Some(seq) = row.int(0)?.and_then(|s| u64::try_from(s).ok()) else {
        return Err(corrupt("ledger_entries 中有无效的序号"));
    };
    let leaf = NodeId::new(0, seq);
    if ids.contains(&leaf) {
        out.insert(
            leaf,
            parse_hash(row.text(1)?.unwrap_or(""), "ledger_entries.leaf_hash")?,
        );
    }
    let nodes = row.text(2)?.unwrap_or("");
    let levels = (seq + 1).trailing_zeros();
    if nodes.len() != 64 * levels as usize {
        return Err(corrupt(format!(
            "审计日志第 {seq} 条的树节点（nodes）长度不对：应有 {levels} 个哈希值"
        )));
    }
    for level in 1..=levels {
        let id = NodeId::new(level as u8, ((seq + 1) >> level) - 1);
        if !ids.contains(&id) {
            continue;
        }
        let at = 64 * (level as usize - 1);
        let hash = nodes
            .get(at..at + 64)
            .ok_or_else(|| corrupt(format!("审计日志第 {seq} 条的树节点不是有效的哈希值")))?;
        out.insert(id, parse_hash(hash, "ledger_entries.nodes")?);
    }
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
        tx.each(sql, args, &mut |row: &dyn RawRow| node_row(row, chunk, out))
            .await?;
    }
    all_found(&want, out)
}

/// A commit brings `ledger_keys` up to date once this many entries are past its last row; the
/// subject and kind lookups scan those few themselves ([`keyed`]; ≤ 127 rows, tens of µs). An
/// index kept in every commit wrote two more pages to each durable single-entry commit, and
/// catching up every 32 entries measured 1–2% slower than every 128 (within the noise).
const INDEX_EVERY: u64 = 128;

/// Entries matching `cond` (on `kind` / `subject`, with `$n` arguments) found through
/// `ledger_keys`, and in the entries after its last row (the short tail no commit has indexed
/// yet), as one statement over one snapshot. `inner` limits the indexed part (`ORDER BY seq DESC
/// LIMIT $n`, or empty); `outer` orders and limits the whole.
fn keyed(cond: &str, inner: &str, outer: &str) -> String {
    format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq IN \
           (SELECT seq FROM ledger_keys WHERE {cond} {inner}) \
         UNION ALL \
         SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE {UNINDEXED} AND {cond} \
         {outer}"
    )
}

/// The entries no commit has copied into `ledger_keys` yet.
const UNINDEXED: &str = "seq > (SELECT COALESCE(MAX(seq), -1) FROM ledger_keys)";

/// Rows inserted per multi-row `INSERT` by a commit: full batches of the largest size, then the
/// rest in power-of-two pieces, so that a few statement texts (built once, cached by the drivers)
/// serve any number of rows while each statement still carries many.
const INSERT_BATCHES: [usize; 6] = [32, 16, 8, 4, 2, 1];

/// The columns a commit writes to each entry row.
const ROW_COLUMNS: &str = "seq, at, kind, subject, body, leaf_hash, nodes, note";
const ROW_WIDTH: usize = 8;

/// `INSERT INTO ledger_entries` of `n` rows, `n` one of [`INSERT_BATCHES`].
fn insert_sql(n: usize) -> &'static str {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    batch_sql(&TEXTS, &INSERT_BATCHES, n, |n| {
        let tuples: Vec<String> = (0..n)
            .map(|r| {
                let marks: Vec<String> = (1..=ROW_WIDTH)
                    .map(|c| format!("${}", r * ROW_WIDTH + c))
                    .collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        format!(
            "INSERT INTO ledger_entries ({ROW_COLUMNS}) VALUES {}",
            tuples.join(", ")
        )
    })
}

/// Inserts the entry rows (`ROW_WIDTH` values each, flattened) with multi-row `INSERT`s.
async fn insert_rows(tx: &mut dyn DriverTx, rows: Vec<Value>) -> Result<()> {
    debug_assert_eq!(rows.len() % ROW_WIDTH, 0);
    let mut left = rows.len() / ROW_WIDTH;
    let mut values = rows.into_iter();
    while left > 0 {
        let n = INSERT_BATCHES
            .iter()
            .copied()
            .find(|&b| b <= left)
            .unwrap_or(1);
        let args: Vec<Value> = values.by_ref().take(n * ROW_WIDTH).collect();
        tx.execute(stmt(insert_sql(n)), args)
            .await
            .map_err(|e| match e {
                StoreError::Duplicate { .. } => {
                    StoreError::Conflict("审计日志：同一序号已被另一次提交写入".into())
                }
                e => e,
            })?;
        left -= n;
    }
    Ok(())
}

impl Catalog {
    /// The one write path: appends one ledger entry per change, applies the row changes and
    /// stores the signed checkpoint on the commit's last entry, all in one transaction that holds
    /// the catalog's write lock (other writers, in this process or another, wait for it).
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
        // The head (the last entry), its checkpoint and how far `ledger_keys` reaches, in one
        // statement (a single-entry commit is a handful of statements, each a measurable share
        // of its cost).
        let mut head: Option<(i64, Option<String>)> = None;
        let mut keyed_to: Option<i64> = None;
        tx.each(
            stmt(
                "SELECT seq, note, (SELECT MAX(seq) FROM ledger_keys) FROM ledger_entries \
                 ORDER BY seq DESC LIMIT 1",
            ),
            vec![],
            &mut |row: &dyn RawRow| {
                head = Some((row.int(0)?.unwrap_or(-1), row.text(1)?.map(str::to_string)));
                keyed_to = row.int(2)?;
                Ok(())
            },
        )
        .await?;
        let first_seq = match &head {
            None => 0,
            Some((seq, _)) => u64::try_from(*seq)
                .map_err(|_| corrupt("审计日志序号为负数"))?
                .checked_add(1)
                .ok_or_else(|| corrupt("审计日志序号超出范围"))?,
        };
        // Every node an append in this commit reads is either one it wrote itself or a perfect
        // subtree of the tree as it stands (its binary decomposition, ≤ 64 nodes): read those
        // in one statement now, then compute the whole commit in memory.
        let note0 = head.as_ref().and_then(|(_, n)| n.as_deref());
        let cached = self
            .frontier
            .lock()
            .ok()
            .and_then(|mut f| f.take())
            .filter(|f| f.size == first_seq && note0 == Some(f.note.as_str()));
        let mut nodes: HashMap<NodeId, Hash> = match cached {
            Some(f) => f.nodes,
            None => HashMap::new(),
        };
        let from_cache = !nodes.is_empty() || first_seq == 0;
        tx_nodes(tx.as_mut(), &ledger::root_needs(first_seq), &mut nodes).await?;
        if first_seq > 0 && !from_cache {
            // The tree as stored must be the one this key last signed: entries appended behind
            // the program (no key needed to compute leaves and nodes) are never adopted by the
            // next legitimate signature.
            let root0 = ledger::root(self.alg, first_seq, &nodes).map_err(corrupt)?;
            if !note0.is_some_and(|n| signer.covers(n, first_seq, &root0)) {
                return Err(StoreError::UnsignedTail { size: first_seq });
            }
        }
        let real_at = signer.real_now().timestamp_micros();
        let mut size = first_seq;
        let mut rows: Vec<Value> = Vec::with_capacity(changes.len() * ROW_WIDTH);
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
            let mut above = String::with_capacity(64 * new_nodes.len().saturating_sub(1));
            for (id, h) in new_nodes {
                if id.level > 0 {
                    above.push_str(&hex::encode(h));
                }
                nodes.insert(id, h);
            }
            let seq = size as i64;
            rows.extend([
                int(seq),
                int(at),
                text(change.kind()),
                text(&subject),
                Value::Text(Some(body)),
                text(&hex::encode(leaf)),
                Value::Text(Some(above)),
                Value::Text(None),
            ]);
            apply(tx.as_mut(), change, seq).await?;
            size += 1;
        }
        tx_nodes(tx.as_mut(), &ledger::root_needs(size), &mut nodes).await?;
        let root = ledger::root(self.alg, size, &nodes).map_err(corrupt)?;
        let checkpoint = signer
            .sign_checkpoint(size, &root)
            .map_err(StoreError::LedgerCorrupt)?;
        if let Some(note) = rows.last_mut() {
            *note = text(&checkpoint);
        }
        insert_rows(tx.as_mut(), rows).await?;
        let keyed_to = keyed_to.unwrap_or(-1);
        if size as i64 - 1 - keyed_to >= INDEX_EVERY as i64 {
            tx.execute(
                stmt(
                    "INSERT INTO ledger_keys (seq, kind, subject) \
                     SELECT seq, kind, subject FROM ledger_entries WHERE seq > $1",
                ),
                vec![int(keyed_to)],
            )
            .await?;
        }
        tx.commit().await?;
        let needs = ledger::root_needs(size);
        let kept: HashMap<NodeId, Hash> = needs
            .iter()
            .filter_map(|id| nodes.get(id).map(|h| (*id, *h)))
            .collect();
        if kept.len() == needs.len()
            && let Ok(mut f) = self.frontier.lock()
        {
            *f = Some(Frontier {
                size,
                note: checkpoint.clone(),
                nodes: kept,
            });
        }
        Ok(Appended {
            first_seq,
            size,
            root,
            checkpoint,
        })
    }

    /// The number of entries: one past the last entry's number.
    pub async fn ledger_size(&self) -> Result<u64> {
        let last = self
            .scalar_int(
                stmt("SELECT seq FROM ledger_entries ORDER BY seq DESC LIMIT 1"),
                vec![],
            )
            .await?;
        match last {
            None => Ok(0),
            Some(seq) => u64::try_from(seq)
                .ok()
                .and_then(|s| s.checked_add(1))
                .ok_or_else(|| corrupt("审计日志序号超出范围")),
        }
    }

    /// The ledger head as committed: its size, and the root computed from the stored nodes.
    pub async fn ledger_head(&self) -> Result<(u64, Hash)> {
        let size = self.ledger_size().await?;
        Ok((size, self.root_at(size).await?))
    }

    async fn entries_where(&self, filter: &str, args: Vec<Value>) -> Result<Vec<LedgerEntry>> {
        self.entries_sql(
            format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries {filter}"),
            args,
        )
        .await
    }

    async fn entries_sql(&self, sql: String, args: Vec<Value>) -> Result<Vec<LedgerEntry>> {
        let mut out = Vec::new();
        self.db
            .each(stmt(sql), args, &mut |row: &dyn RawRow| {
                out.push(LedgerEntry::decode(row)?);
                Ok(())
            })
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
        self.entries_sql(
            keyed(
                "subject = $1",
                "ORDER BY seq DESC LIMIT $2",
                "ORDER BY seq DESC LIMIT $2",
            ),
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
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=kinds.len()).map(|i| format!("${i}")).collect();
        self.entries_sql(
            keyed(
                &format!("kind IN ({})", marks.join(", ")),
                "",
                "ORDER BY seq",
            ),
            kinds.iter().map(|k| text(k)).collect(),
        )
        .await
    }

    /// The latest entry of a kind (the profile in force is the latest `profile.applied`).
    pub async fn latest_event(&self, kind: &str) -> Result<Option<LedgerEntry>> {
        Ok(self
            .entries_sql(
                keyed(
                    "kind = $1",
                    "ORDER BY seq DESC LIMIT 1",
                    "ORDER BY seq DESC LIMIT 1",
                ),
                vec![text(kind)],
            )
            .await?
            .pop())
    }

    /// The sequence number of the latest entry of any of `kinds`: one index lookup, so a cache
    /// built from those entries can check on every use that it is still current.
    pub async fn latest_seq_of(&self, kinds: &[&str]) -> Result<Option<u64>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let marks: Vec<String> = (1..=kinds.len()).map(|i| format!("${i}")).collect();
        let cond = format!("kind IN ({})", marks.join(", "));
        let n = self
            .scalar_int(
                stmt(format!(
                    "SELECT MAX(m) FROM (SELECT MAX(seq) AS m FROM ledger_keys WHERE {cond} \
                     UNION ALL SELECT MAX(seq) AS m FROM ledger_entries WHERE {UNINDEXED} AND {cond}) t"
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
                .each(sql, args, &mut |row: &dyn RawRow| {
                    node_row(row, chunk, &mut out)
                })
                .await?;
        }
        all_found(ids, &out)?;
        Ok(out)
    }

    /// How `ledger_keys` (the subject and kind lookups) stands against the entries: rows that
    /// name no entry or another kind or subject than their entry's, and entries below its last
    /// row that it lacks (lookups would not find them). Both are zero unless it was edited
    /// behind the program.
    pub async fn lookup_faults(&self) -> Result<(u64, u64)> {
        let mut out = (0, 0);
        self.db
            .each(
                stmt(
                    "SELECT (SELECT COUNT(*) FROM ledger_keys k \
                       LEFT JOIN ledger_entries e ON e.seq = k.seq \
                       WHERE e.seq IS NULL OR e.kind <> k.kind OR e.subject <> k.subject), \
                     (SELECT COALESCE(MAX(seq) + 1, 0) - COUNT(*) FROM ledger_keys)",
                ),
                vec![],
                &mut |row: &dyn RawRow| {
                    let n = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
                    out = (n(row.int(0)?), n(row.int(1)?));
                    Ok(())
                },
            )
            .await?;
        Ok(out)
    }

    /// All stored checkpoints as (size, note), by size.
    pub async fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        let mut out = Vec::new();
        self.db
            .each(
                stmt(
                    "SELECT seq + 1, note FROM ledger_entries WHERE note IS NOT NULL ORDER BY seq",
                ),
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
