//! R10, R11, R17, R23: multi-level approval along a profile's chain of roles.
//!
//! A record that needs approval (a non-recording record, an interruption report, an offload
//! extension, an access request) carries the chain of role ids the profile names, in order, and the
//! steps taken so far. Each level is approved by one person holding that level's role, and nobody
//! approves two levels of the same record. This module decides, over plain values, whether the next
//! step is allowed; the application stores the step it returns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::profile::Profile;

/// One approval step taken: who approved, in which role, when.
///
/// Serialized with `at` as Unix microseconds (UTC), the form the catalog has always stored in an
/// approval's `steps` column, so stored chains keep reading back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The approving officer's id.
    pub by: String,
    /// The role id the chain required at this level (and the approver held).
    pub role: String,
    /// When the step was taken.
    #[serde(with = "chrono::serde::ts_microseconds")]
    pub at: DateTime<Utc>,
}

/// Where an approval stands, so callers can show the next approver or treat the record as approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalState {
    /// Waiting for level `level` (1-based), which the role `next_role` must approve.
    Pending {
        /// 1-based level that is next.
        level: usize,
        /// Role id that must approve it.
        next_role: String,
    },
    /// Every level has been approved.
    Approved,
}

/// The state of an approval with chain `chain` after `steps`.
///
/// An empty chain counts as [`ApprovalState::Approved`]: there is nothing left to approve. (Profiles
/// cannot define an empty chain — loading refuses it — so this only matters for hand-made data;
/// [`approve`] still refuses a step on an empty chain with [`Refusal::EmptyChain`].)
pub fn state(chain: &[String], steps: &[Step]) -> ApprovalState {
    match chain.get(steps.len()) {
        Some(next) => ApprovalState::Pending {
            level: steps.len() + 1,
            next_role: next.clone(),
        },
        None => ApprovalState::Approved,
    }
}

/// Why an approval step was refused. `Display` is a Chinese sentence with role ids as they are;
/// [`Refusal::describe`] gives the sentence for people, with the profile's role titles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Every level is approved already.
    #[error("已审批完毕，无需再次审批")]
    AlreadyApproved,
    /// The approver is the one who asked.
    #[error("{by} 是申请人，不能审批自己的申请")]
    OwnRequest { by: String },
    /// The chain names no approver at all.
    #[error("审批链为空")]
    EmptyChain,
    /// The approver does not hold the role level `level` needs.
    #[error("第 {level} 级审批应由角色 {need} 进行，审批人的角色是 {have}")]
    WrongRole {
        /// 1-based level being approved.
        level: usize,
        /// Role id the chain requires at this level.
        need: String,
        /// Role id the approver holds.
        have: String,
    },
    /// The approver already approved an earlier level of this record.
    #[error("{by} 已审批过一级，同一人不能审批两级")]
    SameApproverTwice {
        /// The approver's officer id.
        by: String,
    },
}

impl Refusal {
    /// Chinese sentence for people, with role ids shown through the profile's titles.
    ///
    /// `record_id` is the approval's id (e.g. `NR00001`); `approver_name` is how the approver is
    /// named in the sentence. The application has always shown name and id, so pass
    /// `"张三（P001）"` to keep that wording.
    pub fn describe(&self, profile: &Profile, record_id: &str, approver_name: &str) -> String {
        match self {
            Refusal::AlreadyApproved => format!("{record_id} 已审批完毕，无需再次审批"),
            Refusal::OwnRequest { .. } => {
                format!("{approver_name} 是 {record_id} 的申请人，不能审批自己的申请")
            }
            Refusal::EmptyChain => format!("{record_id} 的审批链为空"),
            Refusal::WrongRole { level, need, have } => format!(
                "{record_id} 的第 {level} 级审批应由{}（{need}）进行，{approver_name}的角色是{}",
                profile.role_label(need),
                profile.role_label(have)
            ),
            Refusal::SameApproverTwice { by } => {
                format!("{record_id} 已由 {by} 审批过一级，同一人不能审批两级")
            }
        }
    }
}

/// One approval step by `by` holding `role`: the new step to append, or why not.
///
/// Checks, in this order: the chain is not already fully approved; the chain is not empty; `role`
/// is the role the next level needs; `by` has not approved an earlier level. The returned step
/// records the level's role and `at`; the caller appends it to `steps` and stores both.
pub fn approve(
    chain: &[String],
    steps: &[Step],
    by: &str,
    role: &str,
    at: DateTime<Utc>,
) -> Result<Step, Refusal> {
    approve_request(chain, steps, None, by, role, at)
}

/// [`approve`] for a record someone asked for: nobody approves their own request (R23).
pub fn approve_request(
    chain: &[String],
    steps: &[Step],
    requester: Option<&str>,
    by: &str,
    role: &str,
    at: DateTime<Utc>,
) -> Result<Step, Refusal> {
    if requester == Some(by) {
        return Err(Refusal::OwnRequest { by: by.to_string() });
    }
    if !chain.is_empty() && steps.len() >= chain.len() {
        return Err(Refusal::AlreadyApproved);
    }
    let Some(need) = chain.get(steps.len()) else {
        return Err(Refusal::EmptyChain);
    };
    if role != need {
        return Err(Refusal::WrongRole {
            level: steps.len() + 1,
            need: need.clone(),
            have: role.to_string(),
        });
    }
    if steps.iter().any(|s| s.by == by) {
        return Err(Refusal::SameApproverTwice { by: by.to_string() });
    }
    Ok(Step {
        by: by.to_string(),
        role: need.clone(),
        at,
    })
}
