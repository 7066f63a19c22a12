//! The ledger's one error type; variants are matchable, messages Chinese (they reach custodians).

use crate::tree::NodeId;

/// Everything that can go wrong in the ledger's maths, split so callers can tell a storage gap
/// ([`LedgerError::MissingNode`]) or a caller mistake ([`LedgerError::InvalidRange`]) from evidence
/// of tampering ([`LedgerError::ProofMismatch`], [`LedgerError::BadSignature`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A stored tree node the computation needs is absent.
    #[error("缺少树节点（层 {}，序号 {}）", .0.level, .0.index)]
    MissingNode(NodeId),
    /// An index or size pair that no proof exists for (index ≥ size, old > new, …).
    #[error("无效的范围：{0}")]
    InvalidRange(String),
    /// A proof does not lead to the expected root.
    #[error("证明校验失败：{0}")]
    ProofMismatch(String),
    /// A checkpoint or key text that is not in the expected format.
    #[error("格式错误：{0}")]
    Malformed(String),
    /// No signature by the expected key is present on the note.
    #[error("没有找到密钥 {0} 的签名")]
    NoSignatureByKey(String),
    /// A signature by the expected key is present but does not verify.
    #[error("签名无效：内容已被改动或签名被伪造")]
    BadSignature,
    /// Key material that cannot be used (wrong length, not on the curve, zero scalar…).
    #[error("密钥无效：{0}")]
    InvalidKey(String),
}
