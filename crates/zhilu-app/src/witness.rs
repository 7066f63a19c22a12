//! Witnesses (X1): whoever controls the server controls its signing key, so the ledger's
//! checkpoints are offered to witnesses elsewhere (the legal office, the bureau above) that keep
//! the latest checkpoint they saw of this log and cosign a new one only if it extends it (C2SP
//! `tlog-witness`, cosignature/v1). A rollback or a rewritten history can then no longer pass
//! unnoticed: the witness refuses it and records the conflict, and `verify` names it.
//!
//! Which witnesses a data directory uses is itself ledgered (`witness.added`, `witness.removed`),
//! so removing one is visible. Cosignatures are receipts kept beside the ledger
//! (`Catalog::keep_cosignature`). Offering happens in the background after every commit and never
//! blocks one; an unreachable witness is retried with the next commit, and an air-gapped one is
//! served by a request file and a cosignature file carried by hand.

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhilu_ledger::{AddCheckpoint, Checkpoint, CosignerVerifyingKey, verify_cosignature};
use zhilu_store::{Catalog, Change, Cosignature};

use crate::App;
use crate::actor::Actor;
use crate::error::{AppError, Field};

/// Ledger kinds.
pub const ADDED: &str = "witness.added";
pub const REMOVED: &str = "witness.removed";

/// A witness this data directory offers its checkpoints to.
#[derive(Debug, Clone, Serialize)]
pub struct Witness {
    /// The witness's name (its key's name).
    pub name: String,
    /// Its verifying key, as text (`name+id+base64`).
    pub key: String,
    /// `http://host:port[/prefix]`, or none for a witness reached only by carried files.
    pub url: Option<String>,
    /// The ledger entry that added it.
    pub added_entry: u64,
    #[serde(skip)]
    pub(crate) verifying_key: Option<CosignerVerifyingKey>,
}

impl Witness {
    fn vk(&self) -> Result<CosignerVerifyingKey, AppError> {
        match &self.verifying_key {
            Some(k) => Ok(k.clone()),
            None => CosignerVerifyingKey::parse(&self.key)
                .map_err(|e| AppError::invalid(Field::Key, e.to_string())),
        }
    }
}

/// What offering the current checkpoint to one witness gave.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Offer {
    /// Cosigned: the witness has seen this tree, and it extends every one it saw before.
    Cosigned {
        size: u64,
        cosigned_at: DateTime<Utc>,
    },
    /// The witness has seen a larger tree of this log than the catalog holds: rolled back.
    RolledBack { witness_size: u64, ours: u64 },
    /// The witness refused (a fork, an inconsistent history, a wrong key): it recorded a conflict.
    Refused { status: u16, message: String },
    /// No answer (network, timeout).
    Unreachable { message: String },
    /// Reached only by carried files.
    NoUrl,
}

impl Offer {
    /// Whether this answer shows the ledger is not what the witness saw.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Offer::RolledBack { .. } | Offer::Refused { .. })
    }

    /// In Chinese, for people.
    pub fn describe(&self, witness: &str) -> String {
        match self {
            Offer::Cosigned { size, .. } => format!("见证 {witness} 已副署前 {size} 条记录"),
            Offer::RolledBack { witness_size, ours } => format!(
                "见证 {witness} 已见过本日志的前 {witness_size} 条记录，本库却只有 {ours} 条：审计日志被回滚"
            ),
            Offer::Refused { status, message } => format!(
                "见证 {witness} 拒绝副署（{status}）：{message}——本库的历史与它见过的不一致，可能被改写"
            ),
            Offer::Unreachable { message } => format!("见证 {witness} 无法联系：{message}"),
            Offer::NoUrl => format!("见证 {witness} 只能通过文件交换检查点"),
        }
    }
}

/// The witnesses in force, from the ledger (added and not removed since), in order of adding.
pub(crate) async fn configured(catalog: &Catalog) -> Result<Vec<Witness>, AppError> {
    let mut out: Vec<Witness> = Vec::new();
    for e in catalog.events_of_kinds(&[ADDED, REMOVED]).await? {
        let state = e.state();
        let name = state["name"].as_str().unwrap_or("").to_string();
        out.retain(|w| w.name != name);
        if e.kind == ADDED {
            let key = state["key"].as_str().unwrap_or("").to_string();
            out.push(Witness {
                verifying_key: CosignerVerifyingKey::parse(&key).ok(),
                name,
                key,
                url: state["url"].as_str().map(str::to_string),
                added_entry: e.seq,
            });
        }
    }
    Ok(out)
}

fn check_url(url: &str) -> Result<String, AppError> {
    let u = url.trim().trim_end_matches('/');
    let rest = u.strip_prefix("http://").ok_or_else(|| {
        AppError::invalid(
            Field::Url,
            "应为 http://主机:端口[/前缀]（需要加密时请在见证前放置 HTTPS 代理）",
        )
    })?;
    if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(Field::Url, "主机为空或含空白字符"));
    }
    Ok(u.to_string())
}

/// Adds a witness (ledgered). Its key is the witness's verifying key as `zhilu witness init`
/// printed it; `url` may be left out for a witness reached by carried files only.
pub async fn add(
    app: &App,
    actor: &Actor,
    url: Option<&str>,
    key: &str,
) -> Result<Witness, AppError> {
    actor.reads("witnesses");
    let vk = CosignerVerifyingKey::parse(key.trim())
        .map_err(|e| AppError::invalid(Field::Key, e.to_string()))?;
    let url = url.map(check_url).transpose()?;
    let name = vk.name().to_string();
    if configured(&app.catalog)
        .await?
        .iter()
        .any(|w| w.name == name)
    {
        return Err(AppError::AlreadyExists {
            what: crate::error::Thing::Witness,
            id: name,
        });
    }
    let appended = app
        .record(
            actor,
            vec![Change::event(
                ADDED,
                format!("witness:{name}"),
                serde_json::json!({ "name": name, "key": vk.to_string(), "url": url }),
            )],
        )
        .await?;
    Ok(Witness {
        name,
        key: vk.to_string(),
        url,
        added_entry: appended.first_seq,
        verifying_key: Some(vk),
    })
}

/// Removes a witness (ledgered, with the reason): from now on its silence is not an error.
pub async fn remove(app: &App, actor: &Actor, name: &str, reason: &str) -> Result<(), AppError> {
    actor.reads("witnesses");
    if reason.trim().is_empty() {
        return Err(AppError::invalid(Field::Reason, "请说明移除见证的原因"));
    }
    if !configured(&app.catalog)
        .await?
        .iter()
        .any(|w| w.name == name)
    {
        return Err(AppError::NotFound {
            what: crate::error::Thing::Witness,
            id: name.to_string(),
        });
    }
    app.record(
        actor,
        vec![Change::event(
            REMOVED,
            format!("witness:{name}"),
            serde_json::json!({ "name": name, "reason": reason.trim() }),
        )],
    )
    .await?;
    Ok(())
}

/// A witness in force and the newest checkpoint size it cosigned here.
#[derive(Debug, Clone, Serialize)]
pub struct WitnessState {
    #[serde(flatten)]
    pub witness: Witness,
    pub witnessed_size: Option<u64>,
    pub last_cosigned_at: Option<DateTime<Utc>>,
}

/// The witnesses in force, each with what it has cosigned.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<WitnessState>, AppError> {
    actor.reads("witnesses");
    let cosigs = app.catalog.cosignatures().await?;
    Ok(configured(&app.catalog)
        .await?
        .into_iter()
        .map(|w| {
            let newest = cosigs
                .iter()
                .filter(|c| c.witness == w.name)
                .max_by_key(|c| c.size);
            WitnessState {
                witnessed_size: newest.map(|c| c.size),
                last_cosigned_at: newest.and_then(|c| DateTime::from_timestamp(c.cosigned_at, 0)),
                witness: w,
            }
        })
        .collect())
}

/// What offering needs, owned, so that it can run in the background after a commit.
#[derive(Clone)]
pub(crate) struct Offering {
    pub(crate) catalog: std::sync::Arc<Catalog>,
    pub(crate) key: zhilu_ledger::VerifyingKey,
    pub(crate) clock: std::sync::Arc<dyn crate::Clock>,
}

impl App {
    pub(crate) fn offering(&self) -> Offering {
        Offering {
            catalog: std::sync::Arc::clone(&self.catalog),
            key: self.signer.verifying_key.clone(),
            clock: std::sync::Arc::clone(&self.clock),
        }
    }
}

/// The checkpoint a cosignature is over: ours, as signed.
fn our_checkpoint(key: &zhilu_ledger::VerifyingKey, note: &str) -> Result<Checkpoint, AppError> {
    zhilu_ledger::verify_checkpoint(note, key).map_err(AppError::from)
}

/// The add-checkpoint request for `head` (size, note) to a witness that last cosigned `old`.
async fn request(
    catalog: &Catalog,
    old: u64,
    head: u64,
    note: &str,
) -> Result<AddCheckpoint, AppError> {
    let proof = if old == 0 || old >= head {
        Vec::new()
    } else {
        catalog.consistency_proof(old, head).await?
    };
    Ok(AddCheckpoint {
        old_size: old,
        proof,
        checkpoint: note.to_string(),
    })
}

/// Checks a witness's answer: the cosignature it holds, and the receipt to keep.
fn accept_lines(
    w: &Witness,
    cp: &Checkpoint,
    lines: &str,
    real_now: DateTime<Utc>,
) -> Result<(Offer, Cosignature), AppError> {
    let vk = w.vk()?;
    // The witness's line(s), each ending in a newline as signed-note has them.
    let text: String = lines
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let time = verify_cosignature(&text, cp, &vk)
        .map_err(|e| AppError::WitnessAnswer(format!("见证 {} 的副署无法验证：{e}", w.name)))?;
    let line = text
        .lines()
        .find(|l| cosignature_holds(l, cp, &vk))
        .unwrap_or_default()
        .to_string();
    let at = i64::try_from(time).unwrap_or(i64::MAX);
    Ok((
        Offer::Cosigned {
            size: cp.size,
            cosigned_at: DateTime::from_timestamp(at, 0).unwrap_or_default(),
        },
        Cosignature {
            witness: w.name.clone(),
            size: cp.size,
            line,
            cosigned_at: at,
            received_at: real_now.timestamp_micros(),
        },
    ))
}

/// Whether one stored cosignature line (without its newline) holds for `cp`.
pub(crate) fn cosignature_holds(line: &str, cp: &Checkpoint, key: &CosignerVerifyingKey) -> bool {
    verify_cosignature(&format!("{}\n", line.trim_end()), cp, key).is_ok()
}

/// Offers the checkpoint of `head` entries (its signed `note`) to one witness over HTTP, from the
/// newest size it cosigned here; if it holds another size, once more from that.
/// `catalog` is what the proofs are read from (a snapshot, for `verify`); a cosignature received
/// is returned for the caller to keep.
pub(crate) async fn offer_to(
    o: &Offering,
    catalog: &Catalog,
    w: &Witness,
    head: u64,
    note: &str,
) -> Result<(Offer, Option<Cosignature>), AppError> {
    let Some(url) = &w.url else {
        return Ok((Offer::NoUrl, None));
    };
    let cp = our_checkpoint(&o.key, note)?;
    let mut old = catalog.witnessed_size(&w.name).await?.unwrap_or(0);
    if old > head {
        return Ok((
            Offer::RolledBack {
                witness_size: old,
                ours: head,
            },
            None,
        ));
    }
    for _ in 0..2 {
        let body = request(catalog, old, head, note).await?.to_bytes();
        match zhilu_witness::add_checkpoint(url, body).await {
            Ok(zhilu_witness::Outcome::Cosigned(lines)) => {
                let (offer, receipt) = accept_lines(w, &cp, &lines.join("\n"), o.clock.real_now())?;
                return Ok((offer, Some(receipt)));
            }
            Ok(zhilu_witness::Outcome::Conflict { witness_size }) if witness_size > head => {
                return Ok((
                    Offer::RolledBack {
                        witness_size,
                        ours: head,
                    },
                    None,
                ));
            }
            Ok(zhilu_witness::Outcome::Conflict { witness_size }) => old = witness_size,
            Ok(zhilu_witness::Outcome::Refused { status, message }) => {
                return Ok((Offer::Refused { status, message }, None));
            }
            Err(e) => {
                return Ok((
                    Offer::Unreachable {
                        message: e.to_string(),
                    },
                    None,
                ));
            }
        }
    }
    Ok((
        Offer::Unreachable {
            message: "见证两次给出不同的长度".into(),
        },
        None,
    ))
}

/// The ledger head and our signed checkpoint of it.
async fn signed_head(app: &App) -> Result<(u64, String), AppError> {
    let head = app.catalog.ledger_size().await?;
    let note = app
        .catalog
        .checkpoint_at(head)
        .await?
        .ok_or_else(|| AppError::WitnessAnswer(format!("缺少长度为 {head} 的签名检查点")))?;
    Ok((head, note))
}

/// Offers the current checkpoint to every witness with an address, now, and says what each
/// answered.
pub async fn offer(app: &App, actor: &Actor) -> Result<Vec<(String, Offer)>, AppError> {
    actor.reads("ledger");
    let (head, note) = signed_head(app).await?;
    let o = app.offering();
    let mut out = Vec::new();
    for w in configured(&app.catalog).await? {
        let (r, receipt) = offer_to(&o, &app.catalog, &w, head, &note).await?;
        if let Some(c) = receipt {
            app.catalog.keep_cosignature(&c).await?;
        }
        out.push((w.name.clone(), r));
    }
    Ok(out)
}

/// For an air-gapped witness: the request file (the same bytes as the HTTP body) offering the
/// current checkpoint to `name`, from the newest size it cosigned here.
pub async fn request_file(app: &App, actor: &Actor, name: &str) -> Result<Vec<u8>, AppError> {
    actor.reads("ledger");
    let w = find(app, name).await?;
    let (head, note) = signed_head(app).await?;
    let old = app
        .catalog
        .witnessed_size(&w.name)
        .await?
        .unwrap_or(0)
        .min(head);
    Ok(request(&app.catalog, old, head, &note).await?.to_bytes())
}

/// For an air-gapped witness: takes the cosignature file it gave back for `request` (the request
/// file, which names the checkpoint) and keeps it once it verifies.
pub async fn accept_file(
    app: &App,
    actor: &Actor,
    name: &str,
    request: &[u8],
    response: &[u8],
) -> Result<Offer, AppError> {
    actor.reads("ledger");
    let w = find(app, name).await?;
    let req = AddCheckpoint::parse(request)
        .map_err(|e| AppError::WitnessAnswer(format!("请求文件无效：{e}")))?;
    let cp = our_checkpoint(&app.signer.verifying_key, &req.checkpoint)?;
    let text = std::str::from_utf8(response)
        .map_err(|_| AppError::WitnessAnswer("副署文件不是 UTF-8 文本".into()))?;
    let (offer, receipt) = accept_lines(&w, &cp, text, app.clock.real_now())?;
    app.catalog.keep_cosignature(&receipt).await?;
    Ok(offer)
}

async fn find(app: &App, name: &str) -> Result<Witness, AppError> {
    configured(&app.catalog)
        .await?
        .into_iter()
        .find(|w| w.name == name)
        .ok_or_else(|| AppError::NotFound {
            what: crate::error::Thing::Witness,
            id: name.to_string(),
        })
}
