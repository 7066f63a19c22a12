//! The one decision of the witness — cosign this offer or refuse it, and why — shared by the HTTP
//! handler and the air-gapped file mode, so both answer the same bytes with the same response.
//!
//! Order of checks (C2SP tlog-witness): parse (400, not recorded) → origin known (404) → the log's
//! signature (403) → `old` ≤ size (400) → `old` = the size the witness holds (409, body = that
//! size, `Content-Type: text/x.tlog.size`) → same size: same root (else 409, a fork) → consistency
//! proof (422) → cosign. Every refusal after parsing is recorded as a conflict with the bytes
//! offered — except a stale `old` for a tree that is not older than the witness's (the log's
//! routine retry: it offers again from the size answered). Check and update are one `BEGIN IMMEDIATE` transaction whose update is a
//! compare-and-swap on the stored size, so concurrent offers — from threads or from another
//! process in file mode — never move the size backwards.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, TransactionBehavior};
use zhilu_ledger::{
    AddCheckpoint, Checkpoint, CosignerSigningKey, CosignerVerifyingKey, LedgerError, VerifyingKey,
    verify_checkpoint, verify_consistency,
};

use crate::db::{self, ConflictRow};
use crate::dir;
use crate::error::WitnessError;

/// The content type of a 409 body carrying the witness's size (tlog-witness).
pub const CONTENT_TYPE_SIZE: &str = "text/x.tlog.size";
/// The content type of every other response body (signature lines, or a Chinese reason).
pub const CONTENT_TYPE_TEXT: &str = "text/plain; charset=utf-8";

/// An answer to an `add-checkpoint` offer, as HTTP would carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status: 200 cosigned; 400 malformed; 403 bad log signature; 404 unknown log;
    /// 409 stale `old` size or fork; 422 bad consistency proof; 500 the witness's own failure.
    pub status: u16,
    /// [`CONTENT_TYPE_SIZE`] for a size conflict, [`CONTENT_TYPE_TEXT`] otherwise.
    pub content_type: &'static str,
    /// The cosignature line(s) on 200; the size and a newline on a size conflict; else a reason.
    pub body: String,
}

impl Response {
    fn text(status: u16, body: impl Into<String>) -> Self {
        let mut body = body.into();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        Response {
            status,
            content_type: CONTENT_TYPE_TEXT,
            body,
        }
    }
}

/// A witness opened on its directory: the signing key and the database.
pub struct Witness {
    key: CosignerSigningKey,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A refusal on its way to becoming a response (and a conflict row).
struct Refusal {
    status: u16,
    reason: String,
    /// Answer with the witness's size (`text/x.tlog.size`) instead of the reason.
    size_body: bool,
    old_size: Option<u64>,
    offered_size: Option<u64>,
    witness_size: Option<u64>,
    /// Not a conflict: the log only named a stale `old` size for a checkpoint that is not older
    /// than what the witness holds (its own record of our size lagged; it offers again from the
    /// size answered). Recording these would bury real conflicts in routine retries.
    routine: bool,
}

impl Refusal {
    fn new(status: u16, reason: impl Into<String>) -> Self {
        Refusal {
            status,
            reason: reason.into(),
            size_body: false,
            old_size: None,
            offered_size: None,
            witness_size: None,
            routine: false,
        }
    }
}

fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

impl Witness {
    /// Opens the witness in `dir` (made by [`crate::init`]); never creates anything.
    pub fn open(dir: &Path) -> Result<Self, WitnessError> {
        let key = dir::load_key(dir)?;
        let conn = db::open(&dir::db_path(dir))?;
        Ok(Witness {
            key,
            conn: Mutex::new(conn),
        })
    }

    /// The witness's verifying key.
    pub fn verifying_key(&self) -> CosignerVerifyingKey {
        self.key.verifying_key()
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (the transaction rolls
        // back on drop), so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answers one `add-checkpoint` body (blocking: run it off the async executor). The
    /// cosignature's time is the system clock.
    pub fn add_checkpoint(&self, body: &[u8]) -> Response {
        match self.decide(body) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "witness failed to answer an offer");
                Response::text(500, format!("见证内部错误：{e}"))
            }
        }
    }

    fn decide(&self, body: &[u8]) -> Result<Response, WitnessError> {
        let req = match AddCheckpoint::parse(body) {
            Ok(r) => r,
            Err(e) => return Ok(Response::text(400, e.to_string())),
        };
        let origin = match req.origin() {
            Ok(o) => o.to_string(),
            Err(e) => return Ok(Response::text(400, e.to_string())),
        };
        let log = db::get_log(&self.conn(), &origin)?;
        let Some(log) = log else {
            let r = Refusal::new(404, format!("见证未配置日志来源 {origin:?}"));
            return self.refuse(None, &origin, body, r);
        };
        let log_key = VerifyingKey::parse(&log.log_key)?;
        let cp = match verify_checkpoint(&req.checkpoint, &log_key) {
            Ok(cp) => cp,
            Err(LedgerError::Malformed(m)) => return Ok(Response::text(400, m)),
            Err(e) => {
                let r = Refusal::new(403, format!("检查点没有该日志公钥的有效签名：{e}"));
                return self.refuse(None, &origin, body, r);
            }
        };
        let with_sizes = |mut r: Refusal| {
            r.old_size = Some(req.old_size);
            r.offered_size = Some(cp.size);
            r
        };
        if let Err(r) = check_signed(&req, &cp) {
            return self.refuse(None, &origin, body, with_sizes(r));
        }
        // The one write: check against the stored state and update it in one transaction.
        let now = now_secs();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (size, root) = db::state(&tx, &origin)?.unwrap_or((0, None));
        let mut refusal = match check_state(&req, &cp, size, root.as_deref()) {
            Err(r) => r,
            Ok(()) => {
                let line = self.key.sign_cosignature(&cp, now)?;
                let at = i64::try_from(now).unwrap_or(i64::MAX);
                if db::advance(&tx, &origin, size, cp.size, &cp.root, &req.checkpoint, at)? {
                    tx.commit()?;
                    return Ok(Response {
                        status: 200,
                        content_type: CONTENT_TYPE_TEXT,
                        body: line,
                    });
                }
                // Unreachable under BEGIN IMMEDIATE; kept so the update can never regress.
                let mut r = Refusal::new(409, "另一提交已同时更新见证记录，请重试");
                r.size_body = true;
                r
            }
        };
        refusal.witness_size.get_or_insert(size);
        self.refuse(Some(tx), &origin, body, with_sizes(refusal))
    }

    /// Records the refusal (in `tx` if given, committing it) and turns it into a response.
    fn refuse(
        &self,
        tx: Option<rusqlite::Transaction<'_>>,
        origin: &str,
        body: &[u8],
        r: Refusal,
    ) -> Result<Response, WitnessError> {
        let row = ConflictRow {
            origin,
            at: chrono::Utc::now().timestamp(),
            status: r.status,
            old_size: r.old_size,
            offered_size: r.offered_size,
            witness_size: r.witness_size,
            reason: &r.reason,
            body,
        };
        match tx {
            _ if r.routine => {}
            Some(tx) => {
                db::record_conflict(&tx, &row)?;
                tx.commit()?;
            }
            None => db::record_conflict(&self.conn(), &row)?,
        }
        if r.routine {
            tracing::debug!(origin, reason = %r.reason, "answered a stale old size");
        } else {
            tracing::warn!(origin, status = r.status, reason = %r.reason, "refused a checkpoint");
        }
        Ok(match (r.size_body, r.witness_size) {
            (true, Some(size)) => Response {
                status: r.status,
                content_type: CONTENT_TYPE_SIZE,
                body: format!("{size}\n"),
            },
            _ => Response::text(r.status, r.reason),
        })
    }
}

/// Checks that need only the signed checkpoint, not the stored state.
fn check_signed(req: &AddCheckpoint, cp: &Checkpoint) -> Result<(), Refusal> {
    if req.old_size > cp.size {
        return Err(Refusal::new(
            400,
            format!(
                "旧长度 {} 大于检查点长度 {}（已签名的较短检查点：可能是回滚）",
                req.old_size, cp.size
            ),
        ));
    }
    if i64::try_from(cp.size).is_err() {
        return Err(Refusal::new(400, "检查点长度超出范围"));
    }
    Ok(())
}

/// Checks the offer against the stored size and root (inside the write transaction).
fn check_state(
    req: &AddCheckpoint,
    cp: &Checkpoint,
    size: u64,
    root: Option<&[u8]>,
) -> Result<(), Refusal> {
    if req.old_size != size {
        let reason = if cp.size < size {
            format!("回滚：检查点长度 {} 小于见证已副署的长度 {size}", cp.size)
        } else {
            format!("旧长度 {} 与见证记录的长度 {size} 不符", req.old_size)
        };
        let mut r = Refusal::new(409, reason);
        r.size_body = true;
        r.witness_size = Some(size);
        r.routine = cp.size >= size;
        return Err(r);
    }
    let proof_refusal =
        |e: &dyn std::fmt::Display| Refusal::new(422, format!("一致性证明无效：{e}"));
    if req.old_size == cp.size {
        if !req.proof.is_empty() {
            return Err(proof_refusal(&"长度相同时一致性证明应为空"));
        }
        return match root {
            Some(r) if r != cp.root.as_slice() => Err(Refusal::new(
                409,
                format!("分叉：长度 {} 的检查点根哈希与见证已副署的不同", cp.size),
            )),
            Some(_) => Ok(()),
            None if cp.root == cp.alg.empty_root() => Ok(()),
            None => Err(proof_refusal(&"长度为 0 的检查点根哈希不是空树哈希")),
        };
    }
    if req.old_size == 0 {
        return if req.proof.is_empty() {
            Ok(())
        } else {
            Err(proof_refusal(&"旧长度为 0 时一致性证明应为空"))
        };
    }
    let old_root: [u8; 32] = root
        .and_then(|r| r.try_into().ok())
        .ok_or_else(|| proof_refusal(&"见证没有旧长度的根哈希"))?;
    verify_consistency(
        cp.alg,
        req.old_size,
        cp.size,
        &old_root,
        &cp.root,
        &req.proof,
    )
    .map_err(|e| proof_refusal(&e))
}

/// Air-gapped file mode: answers the bytes of an `add-checkpoint` body read from a file exactly as
/// the HTTP handler answers them (same checks, same records, same response).
pub fn cosign_request(dir: &Path, body: &[u8]) -> Result<Response, WitnessError> {
    Ok(Witness::open(dir)?.add_checkpoint(body))
}
