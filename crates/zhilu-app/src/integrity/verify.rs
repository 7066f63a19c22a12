//! `zhilu verify` (X1): re-reads the whole audit ledger, recomputes every leaf and the tree, checks
//! every signed checkpoint, and holds every catalog row against the ledger entry that wrote it, so
//! an entry or a row edited, inserted or deleted directly in the database is found and named.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use serde::Serialize;
use serde_json::Value;
use zhilu_ledger::{self as ledger, CompactRange};
use zhilu_store::Catalog;

use crate::App;
use crate::actor::Actor;
use crate::error::AppError;

/// One thing found wrong.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyProblem {
    /// The ledger entry concerned, if one can be named.
    pub entry: Option<u64>,
    /// The catalog row or ledger subject concerned (`recording:<sha256>`, …).
    pub subject: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    pub root: String,
    /// Size of the signed checkpoint kept outside the database.
    pub checkpoint_size: Option<u64>,
    pub checkpoints_checked: u64,
    /// Entries covered by a checkpoint signed with this installation's key (the rest is an
    /// unsigned tail, a problem).
    pub signed_entries: u64,
    pub rows_checked: u64,
    pub problems: Vec<VerifyProblem>,
    /// Not (yet) wrong, but worth saying: entries not yet witnessed within the grace period, no
    /// witness configured, a witness out of reach. They do not make `verify` fail.
    pub warnings: Vec<VerifyProblem>,
}

const PAGE: u64 = 10_000;

/// How far the real clock may step back between two entries before `verify` reports it. Two
/// things make a small step back normal: NTP corrections, and several writers on one catalog (two
/// servers, a station's or a clerk's command) whose clocks differ slightly — each reads its own
/// clock inside the commit, so consecutive entries by different writers may go back by their
/// skew. Keep the machines on NTP: a skew beyond this, like a clock set back by hand, is reported.
pub const REAL_CLOCK_TOLERANCE_S: i64 = 5;

/// Whether an entry whose real time is `real` (µs) steps back from the latest real time seen
/// before it, `high`, by more than [`REAL_CLOCK_TOLERANCE_S`].
fn set_back(high: i64, real: i64) -> bool {
    high - real > REAL_CLOCK_TOLERANCE_S * 1_000_000
}

fn problem(entry: Option<u64>, subject: Option<String>, message: String) -> VerifyProblem {
    VerifyProblem {
        entry,
        subject,
        message,
    }
}

/// A row whose state is not what ledger entry `entry` recorded for it, with the fields named.
fn row_mismatch(
    entry: u64,
    subject: &str,
    expected: &Value,
    actual: &Value,
) -> Option<VerifyProblem> {
    let fields = diff_fields(expected, actual);
    (!fields.is_empty()).then(|| {
        problem(
            Some(entry),
            Some(subject.to_string()),
            format!(
                "数据库记录与审计日志第 {entry} 条不符，被直接改动：{}",
                fields.join("；")
            ),
        )
    })
}

/// Names the fields in which two row snapshots differ.
fn diff_fields(expected: &Value, actual: &Value) -> Vec<String> {
    let (Value::Object(e), Value::Object(a)) = (expected, actual) else {
        return vec!["(整行)".into()];
    };
    let mut keys: Vec<&String> = e.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| e.get(*k) != a.get(*k))
        .map(|k| {
            format!(
                "{k}: 日志记为 {} ，数据库为 {}",
                e.get(k).unwrap_or(&Value::Null),
                a.get(k).unwrap_or(&Value::Null)
            )
        })
        .collect()
}

/// 128 bits of the SHA-256 of `bytes`: what `verify` keeps per catalog row.
fn digest128(bytes: &[u8]) -> [u8; 16] {
    use sha2::Digest as _;
    let full: [u8; 32] = sha2::Sha256::digest(bytes).into();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// A state's digest: its canonical form (as the ledger hashes it), 128 bits of SHA-256. A row
/// edited to match an entry's digest would need a second preimage of those 128 bits.
fn digest(state: &Value) -> [u8; 16] {
    digest128(zhilu_store::canonical_json(state).as_bytes())
}

/// A subject as `verify` keys its map: 128 bits of its SHA-256, a fixed 16 bytes instead of a
/// string on the heap. Two subjects sharing a key could only make a row be held against the
/// other's entry, whose state (naming its own key) differs: a false alarm, never a hidden change.
fn subject_key(subject: &str) -> [u8; 16] {
    digest128(subject.as_bytes())
}

/// A real time (µs) in Beijing time, for a message.
fn real_time(us: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(us)
        .map(crate::time::beijing)
        .unwrap_or_else(|| us.to_string())
}

/// How `verify` treats witnesses.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Entries not cosigned by any witness after this long (real time) are an error; before, a
    /// warning. Default 10 minutes.
    pub witness_grace: chrono::Duration,
    /// Ask every witness with an address, now, whether it agrees (default). Off: only the
    /// cosignatures stored here are checked.
    pub ask_witnesses: bool,
    /// Further witnesses to ask, not taken from the data directory (`url`, verifying key): for
    /// a check run elsewhere against a copy, which need not trust the copy's list.
    pub extra_witnesses: Vec<(String, String)>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            witness_grace: chrono::Duration::minutes(10),
            ask_witnesses: true,
            extra_witnesses: Vec::new(),
        }
    }
}

/// Verifies the ledger end to end and the catalog against it, with the default options.
pub async fn verify(app: &App, actor: &Actor) -> Result<VerifyReport, AppError> {
    verify_with(app, actor, &VerifyOptions::default()).await
}

/// Verifies the ledger end to end, the catalog against it, and the ledger against its witnesses.
pub async fn verify_with(
    app: &App,
    actor: &Actor,
    opts: &VerifyOptions,
) -> Result<VerifyReport, AppError> {
    actor.reads("ledger");
    {
        let alg = app.catalog.hash_alg();
        let mut problems = Vec::new();

        // Signed checkpoints: the one outside the database, and every one inside it.
        let mut expected_roots: BTreeMap<u64, (ledger::Hash, &'static str)> = BTreeMap::new();
        let mut checkpoint_size = None;
        match std::fs::read_to_string(app.dir.checkpoint()) {
            Ok(text) => match ledger::verify_checkpoint(&text, &app.signer.verifying_key) {
                Ok(cp) => {
                    checkpoint_size = Some(cp.size);
                    expected_roots.insert(cp.size, (cp.root, "检查点文件"));
                }
                Err(e) => problems.push(problem(
                    None,
                    None,
                    format!("检查点文件签名无效或已被改动：{e}"),
                )),
            },
            Err(e) => problems.push(problem(
                None,
                None,
                format!(
                    "无法读取检查点文件 {}：{}",
                    app.dir.checkpoint().display(),
                    zhilu_model::explain::io_error(&e)
                ),
            )),
        }
        // Everything compared below is read from one snapshot of the catalog, taken after the
        // checkpoint file was read (the file is written after its commit, so it can never be
        // ahead of the snapshot unless the catalog was rolled back).
        let cat = app.catalog.snapshot().await?;
        let stored = cat.checkpoints().await?;
        // Witnesses, from the ledger (and any given for this run), and the newest cosignature
        // each holds here: the tree root at that size is taken as the entries are rebuilt.
        let mut witnesses = crate::witness::configured(&cat).await?;
        for (url, key) in &opts.extra_witnesses {
            let vk = zhilu_ledger::CosignerVerifyingKey::parse(key.trim())
                .map_err(|e| AppError::invalid(crate::error::Field::Key, e.to_string()))?;
            witnesses.retain(|w| w.name != vk.name());
            witnesses.push(crate::witness::Witness {
                name: vk.name().to_string(),
                key: vk.to_string(),
                url: Some(url.clone()),
                added_entry: 0,
                verifying_key: Some(vk),
            });
        }
        let mut newest: HashMap<String, zhilu_store::Cosignature> = HashMap::new();
        for c in cat.cosignatures().await? {
            if witnesses.iter().any(|w| w.name == c.witness)
                && newest.get(&c.witness).is_none_or(|n| n.size < c.size)
            {
                newest.insert(c.witness.clone(), c);
            }
        }
        let mut roots_at: HashMap<u64, ledger::Hash> = HashMap::new();
        let mut real_at: HashMap<u64, i64> = HashMap::new();
        let checkpoints_checked = stored.len() as u64;
        for (size, note) in stored {
            match ledger::verify_checkpoint(&note, &app.signer.verifying_key) {
                Ok(cp) if cp.size == size => {
                    if let Some((root, _)) = expected_roots.get(&size) {
                        if *root != cp.root {
                            problems.push(problem(
                                None,
                                None,
                                format!("两份大小为 {size} 的签名检查点根哈希不一致"),
                            ));
                        }
                    } else {
                        expected_roots.insert(size, (cp.root, "数据库中的检查点"));
                    }
                }
                Ok(_) => problems.push(problem(
                    None,
                    None,
                    format!("大小为 {size} 的检查点与其记录不符"),
                )),
                Err(e) => problems.push(problem(
                    None,
                    None,
                    format!("大小为 {size} 的检查点签名无效：{e}"),
                )),
            }
        }

        let head_size = cat.ledger_size().await?;

        // Every entry: contiguous, leaf recomputed from the stored body, tree rebuilt.
        let mut tree = CompactRange::new(alg);
        let mut signed_entries = 0u64;
        // The latest real time seen so far (v2 entries), and the entry that recorded it.
        let mut real_high: Option<(i64, u64)> = None;
        // Per subject that names a catalog row (`recording:…`, `device:…`; events' subjects name
        // none, and no row is looked up under them): its latest entry, the digest of the state
        // that entry recorded, and whether a row was seen for it. Keys and digests of 16 bytes,
        // not the subject and the state: 48 bytes a subject, so a million rows fit in well under
        // a hundred megabytes; a row that differs is held against its entry, re-read, to name the
        // fields, and a subject whose row is missing is named from its entry, re-read.
        let nouns: Vec<&str> = Catalog::table_nouns().collect();
        let names_row = |subject: &str| {
            nouns
                .iter()
                .any(|n| subject.strip_prefix(n).is_some_and(|r| r.starts_with(':')))
        };
        let mut latest: HashMap<[u8; 16], (u64, [u8; 16], bool)> = HashMap::new();
        let mut next = 0u64;
        'pages: while next < head_size {
            let page = cat.ledger_entries(next, PAGE.min(head_size - next)).await?;
            if page.is_empty() {
                break;
            }
            for e in page {
                let seq = e.seq;
                if seq != next {
                    problems.push(problem(
                        Some(next),
                        None,
                        format!(
                            "审计日志第 {next} 条缺失（下一条是第 {} 条）：记录被删除",
                            e.seq
                        ),
                    ));
                    break 'pages;
                }
                let leaf = alg.leaf_hash(e.body.as_bytes());
                if hex::encode(leaf) != e.leaf_hash {
                    problems.push(problem(
                        Some(seq),
                        Some(e.subject.clone()),
                        format!("审计日志第 {seq} 条内容被改动（叶哈希不符）"),
                    ));
                }
                match serde_json::from_str::<Value>(&e.body) {
                    Ok(body) => {
                        let ok = body.get("seq").and_then(Value::as_u64) == Some(seq)
                            && body.get("kind").and_then(Value::as_str) == Some(e.kind.as_str())
                            && body.get("subject").and_then(Value::as_str)
                                == Some(e.subject.as_str());
                        if !ok {
                            problems.push(problem(
                                Some(seq),
                                Some(e.subject.clone()),
                                format!("审计日志第 {seq} 条的索引列与内容不一致"),
                            ));
                        }
                        if let Some(real) = body.get("real_at").and_then(Value::as_i64) {
                            match real_high {
                                Some((high, at)) if set_back(high, real) => {
                                    problems.push(problem(
                                        Some(seq),
                                        None,
                                        format!(
                                            "审计日志第 {seq} 条记录的真实时间（{}）比第 {at} 条（{}）早 {} 秒：服务器时钟被调回过",
                                            real_time(real),
                                            real_time(high),
                                            (high - real) / 1_000_000
                                        ),
                                    ));
                                }
                                Some((high, _)) if real <= high => {}
                                _ => real_high = Some((real, seq)),
                            }
                            if seq == 0 || newest.values().any(|c| c.size == seq) {
                                real_at.insert(seq, real);
                            }
                        }
                        if names_row(&e.subject) {
                            let state = body.get("state").unwrap_or(&Value::Null);
                            latest.insert(subject_key(&e.subject), (seq, digest(state), false));
                        }
                    }
                    Err(_) => problems.push(problem(
                        Some(seq),
                        Some(e.subject.clone()),
                        format!("审计日志第 {seq} 条不是有效的 JSON"),
                    )),
                }
                tree.push(leaf);
                next += 1;
                if newest.values().any(|c| c.size == next) {
                    roots_at.insert(next, tree.root());
                }
                if let Some((root, source)) = expected_roots.get(&next) {
                    if tree.root() == *root {
                        signed_entries = next;
                    } else {
                        problems.push(problem(
                            Some(seq),
                            None,
                            format!("前 {next} 条日志的根哈希与{source}中的签名值不符：第 {seq} 条或之前的记录被改动"),
                        ));
                    }
                }
            }
        }
        let entries = next;
        let root = tree.root();
        if let Some((&size, _)) = expected_roots.range(entries + 1..).next() {
            problems.push(problem(
                Some(entries),
                None,
                format!("审计日志被截断：签名检查点记录了 {size} 条，数据库中只有 {entries} 条"),
            ));
        }
        if signed_entries < entries {
            problems.push(problem(
                Some(signed_entries),
                None,
                if entries - signed_entries == 1 {
                    format!(
                        "审计日志第 {signed_entries} 条没有本系统签名的检查点覆盖：它是在最后一次签名之后绕过系统追加的"
                    )
                } else {
                    format!(
                        "审计日志第 {signed_entries} 条至第 {} 条（共 {} 条）没有本系统签名的检查点覆盖：它们是在最后一次签名之后绕过系统追加的",
                        entries - 1,
                        entries - signed_entries
                    )
                },
            ));
        }
        if head_size != entries {
            problems.push(problem(
                None,
                None,
                format!("日志头（{head_size} 条）与逐条重算的结果（{entries} 条）不一致"),
            ));
        } else {
            match cat.root_at(entries).await {
                Ok(r) if r == root => {}
                Ok(_) => problems.push(problem(
                    None,
                    None,
                    "树节点被改动：由存储的节点算出的根哈希与逐条重算的不符".into(),
                )),
                Err(e) => problems.push(problem(None, None, format!("树节点损坏：{e}"))),
            }
        }
        // The subject and kind lookups (audit pages, the profile in force, caches) read
        // `ledger_keys`: a row removed or changed there hides an entry from them.
        let (wrong, missing) = cat.lookup_faults().await?;
        if wrong > 0 || missing > 0 {
            problems.push(problem(
                None,
                None,
                format!(
                    "审计日志的检索索引（ledger_keys）被改动：{wrong} 行与日志记录不符，缺少 {missing} 条记录。按对象或类型查询日志时会漏掉或错列记录；日志本身未受影响"
                ),
            ));
        }

        // Catalog rows against the latest entry for their subject, streamed table by table, from
        // the same snapshot as the ledger.
        let mut differ: Vec<(u64, String, Value)> = Vec::new();
        let rows_checked = cat
            .for_each_snapshot(&mut |s| {
                let key = subject_key(&s.subject);
                if let Some((_, _, seen)) = latest.get_mut(&key) {
                    *seen = true;
                }
                if u64::try_from(s.ledger_seq).is_ok_and(|seq| seq >= head_size) {
                    problems.push(problem(
                        None,
                        Some(s.subject),
                        format!(
                            "数据库中有一行声称由审计日志第 {} 条写入，但日志中没有这样的记录：该行是绕过系统直接写入的",
                            s.ledger_seq
                        ),
                    ));
                    return;
                }
                match latest.get_mut(&key) {
                    None => problems.push(problem(
                        None,
                        Some(s.subject),
                        "数据库中有一行没有对应的审计日志记录：该行是绕过系统直接写入的".into(),
                    )),
                    Some((entry, expected, _)) => {
                        if digest(&s.state) != *expected {
                            differ.push((*entry, s.subject, s.state));
                        } else if s.ledger_seq as u64 != *entry {
                            problems.push(problem(
                                Some(*entry),
                                Some(s.subject),
                                format!("记录的日志序号为 {}，应为 {entry}", s.ledger_seq),
                            ));
                        }
                    }
                }
            })
            .await?;
        for (entry, subject, actual) in differ {
            let recorded = cat.ledger_entries(entry, 1).await?;
            let expected = recorded.first().map(|e| e.state()).unwrap_or(Value::Null);
            problems.extend(row_mismatch(entry, &subject, &expected, &actual));
        }
        let mut missing: Vec<u64> = latest
            .values()
            .filter(|(_, _, seen)| !*seen)
            .map(|(seq, _, _)| *seq)
            .collect();
        drop(latest);
        missing.sort_unstable();
        for seq in missing {
            let subject = cat.ledger_entries(seq, 1).await?.pop().map(|e| e.subject);
            problems.push(problem(
                Some(seq),
                subject,
                format!("审计日志第 {seq} 条记录的数据在数据库中已被删除"),
            ));
        }

        // Footage the catalog lists that no vault root holds is lost (R18).
        problems.extend(super::presence::lost_recordings(app).await?);

        // Witnesses: the newest cosignature each holds here must be over this very tree (else the
        // history was rewritten, or the receipt forged), and never beyond it (else rolled back);
        // then each witness with an address is asked now.
        let mut warnings = Vec::new();
        let mut witnessed = 0u64;
        let origin = app.signer.origin();
        for w in &witnesses {
            let Some(c) = newest.get(&w.name) else {
                continue;
            };
            if c.size > entries {
                problems.push(problem(
                    Some(entries),
                    None,
                    format!(
                        "见证 {} 已副署本日志的前 {} 条记录，本库却只有 {entries} 条：审计日志被回滚",
                        w.name, c.size
                    ),
                ));
                continue;
            }
            let cp = zhilu_ledger::Checkpoint {
                origin: origin.clone(),
                size: c.size,
                root: roots_at.get(&c.size).copied().unwrap_or(root),
                alg,
            };
            match w
                .verifying_key
                .as_ref()
                .map(|k| crate::witness::cosignature_holds(&c.line, &cp, k))
            {
                Some(true) => witnessed = witnessed.max(c.size),
                _ => problems.push(problem(
                    Some(c.size.saturating_sub(1)),
                    None,
                    format!(
                        "见证 {} 在第 {} 条时副署的树与本库逐条重算的不同：历史被改写，或这条副署记录是伪造的",
                        w.name, c.size
                    ),
                )),
            }
        }
        let note = if opts.ask_witnesses && entries > 0 && entries == head_size {
            cat.checkpoint_at(entries).await?
        } else {
            None
        };
        if let Some(note) = note {
            {
                let o = app.offering();
                for w in witnesses.iter().filter(|w| w.url.is_some()) {
                    let (offer, receipt) =
                        crate::witness::offer_to(&o, &cat, w, entries, &note).await?;
                    match &offer {
                        crate::witness::Offer::Cosigned { size, .. } => {
                            witnessed = witnessed.max(*size);
                            if let Some(c) = receipt
                                && !app.catalog.read_only()
                            {
                                app.catalog.keep_cosignature(&c).await?;
                            }
                        }
                        o if o.is_conflict() => {
                            problems.push(problem(None, None, o.describe(&w.name)))
                        }
                        o => warnings.push(problem(None, None, o.describe(&w.name))),
                    }
                }
            }
        }
        if witnesses.is_empty() {
            warnings.push(problem(
                None,
                None,
                "未配置见证：审计日志的历史只有本服务器担保——有服务器最高权限的人可以整体改写或回滚而不被发现。请在法制部门或上级机关设置见证（zhilu witness add）".into(),
            ));
        } else if witnessed < entries {
            let age = real_at
                .get(&witnessed)
                .map(|r| app.clock.real_now().timestamp_micros() - r);
            let msg = format!(
                "审计日志第 {witnessed} 条起的 {} 条记录尚未经任何见证副署",
                entries - witnessed
            );
            if age.is_some_and(|a| a > opts.witness_grace.num_microseconds().unwrap_or(i64::MAX)) {
                problems.push(problem(
                    Some(witnessed),
                    None,
                    format!(
                        "{msg}，已超过 {} 分钟：见证无法联系，或本库的历史与见证所见不符",
                        opts.witness_grace.num_minutes()
                    ),
                ));
            } else {
                warnings.push(problem(
                    Some(witnessed),
                    None,
                    format!("{msg}（尚在宽限期内）"),
                ));
            }
        }
        drop(cat);
        Ok(VerifyReport {
            entries,
            root: hex::encode(root),
            checkpoint_size,
            checkpoints_checked,
            signed_entries,
            rows_checked,
            problems,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{REAL_CLOCK_TOLERANCE_S, set_back};

    const S: i64 = 1_000_000;

    #[test]
    fn x4_writers_clocks_a_few_seconds_apart_are_not_a_clock_set_back() {
        let high = 1_800_000_000 * S;
        assert!(!set_back(high, high + 3 * S), "forward is fine");
        assert!(!set_back(high, high), "the same microsecond");
        assert!(!set_back(high, high - 2 * S), "another server 2 s behind");
        assert!(
            !set_back(high, high - REAL_CLOCK_TOLERANCE_S * S),
            "exactly the tolerance"
        );
    }

    #[test]
    fn x4_a_step_back_beyond_the_tolerance_is_a_clock_set_back() {
        let high = 1_800_000_000 * S;
        assert!(set_back(high, high - REAL_CLOCK_TOLERANCE_S * S - 1));
        assert!(set_back(high, high - 60 * S));
        assert!(set_back(high, high - 3_600 * S), "an hour back");
    }
}
