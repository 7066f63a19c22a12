//! 审计 (the audit ledger's head, `verify`'s verdict on request, the witnesses' cosignatures),
//! 用户与角色 (the administrators' list of users) and 策略 (the profile in force, read-only, with
//! the article behind each rule).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use zhilu_app::identity::{self, UserView};
use zhilu_app::integrity::{self, VerifyReport};

use super::fmt::bj;
use super::{PageError, Viewer, render};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    verify: Option<String>,
    /// The ledger subject to list entries of (`recording:<sha256>`, `activity:<id>`…).
    #[serde(default)]
    subject: Option<String>,
}

struct EntryRow {
    seq: u64,
    at: String,
    kind: String,
    subject: String,
    leaf: String,
}

struct WitnessRow {
    name: String,
    url: String,
    added_entry: u64,
    witnessed: String,
    last: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Audit {
    v: Viewer,
    size: u64,
    root: String,
    witnesses: Vec<WitnessRow>,
    report: Option<VerifyReport>,
    entries: Vec<EntryRow>,
    subject: String,
}

/// 审计: the ledger's committed size and root, the witnesses and what each cosigned, and — only
/// when asked (`?verify=1`), since it re-reads everything — `verify`'s verdict.
pub async fn audit(
    State(s): State<AppState>,
    v: Viewer,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let run = q
        .verify
        .as_deref()
        .is_some_and(|x| !x.is_empty() && x != "0");
    let o = integrity::audit_overview(&s.app, &v.actor, run, q.subject.as_deref()).await?;
    let (size, root, report) = (o.size, o.root, o.report);
    let entries = o
        .entries
        .into_iter()
        .map(|e| EntryRow {
            seq: e.seq,
            at: chrono::DateTime::from_timestamp_micros(e.at)
                .map(zhilu_app::beijing)
                .unwrap_or_default(),
            kind: e.kind,
            subject: e.subject,
            leaf: e.leaf_hash.get(..16).unwrap_or(&e.leaf_hash).to_string(),
        })
        .collect();
    let subject = q.subject.unwrap_or_default();
    let witnesses = o
        .witnesses
        .into_iter()
        .map(|w| WitnessRow {
            name: w.witness.name,
            url: w.witness.url.unwrap_or_else(|| "（文件交换）".into()),
            added_entry: w.witness.added_entry,
            witnessed: w
                .witnessed_size
                .map(|n| format!("前 {n} 条"))
                .unwrap_or_else(|| "尚未副署".into()),
            last: w.last_cosigned_at.as_ref().map(bj).unwrap_or_default(),
        })
        .collect();
    Ok(render(&Audit {
        v,
        size,
        root,
        witnesses,
        report,
        entries,
        subject,
    }))
}

struct UserRow {
    id: String,
    name: String,
    unit: String,
    roles: String,
    clearances: String,
    certificate: String,
    state: String,
    disabled: bool,
    created: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct Users {
    v: Viewer,
    rows: Vec<UserRow>,
}

/// 用户与角色: every user with roles, clearances, law-enforcement certificate and state.
pub async fn users(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let users = identity::list_users(&s.app, &v.actor).await?;
    let profile = s.app.profile().await?;
    let rows = users
        .iter()
        .map(|u: &UserView| UserRow {
            id: u.id.to_string(),
            name: u.name.clone(),
            unit: u.unit.clone(),
            roles: u
                .roles
                .iter()
                .map(|r| match zhilu_model::FixedRole::parse(r) {
                    Ok(f) => f.label().to_string(),
                    Err(_) => profile.role_label(r).to_string(),
                })
                .collect::<Vec<_>>()
                .join("、"),
            clearances: u
                .clearances
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join("、"),
            certificate: match (&u.certificate, u.certificate_from, u.certificate_to) {
                (Some(c), from, to) => format!(
                    "{c}{}",
                    match (from, to) {
                        (Some(f), Some(t)) => format!("（{f} 至 {t}）"),
                        (None, Some(t)) => format!("（至 {t}）"),
                        (Some(f), None) => format!("（自 {f}）"),
                        (None, None) => String::new(),
                    }
                ),
                (None, ..) => String::new(),
            },
            state: if u.disabled {
                "已停用"
            } else if !u.has_password {
                "未设密码"
            } else if u.must_change_password {
                "待修改初始密码"
            } else {
                "正常"
            }
            .to_string(),
            disabled: u.disabled,
            created: bj(&u.created_at),
        })
        .collect();
    Ok(render(&Users { v, rows }))
}

/// One rule's citation.
struct CitationRow {
    section: String,
    article: String,
    words: String,
}

#[derive(Template)]
#[template(path = "policy.html")]
struct Policy {
    v: Viewer,
    id: String,
    agency: String,
    regulation: String,
    roles: Vec<(String, String)>,
    citations: Vec<CitationRow>,
    articles: Vec<(String, String)>,
}

/// The Chinese name of the profile section a citation comes from.
fn section(field: &str) -> String {
    let name = match field {
        "checklist.article" => "音像记录清单",
        "mandatory_rules.article" => "必须记录的情形",
        "officers.article" => "执法人员人数",
        "pre_use.article" => "使用前检查",
        "coverage.article" => "全过程记录",
        "segments.article" => "分段记录",
        "offload.article" => "存储时限",
        "offload.link_article" => "关联执法活动",
        "offload.extension.article" => "延期存储",
        "retention.minimum_article" => "最低保存期限",
        "retention.case_article" => "随案卷保存",
        "retention.triggers.article" => "长期保存情形",
        "norecord.article" => "未记录的理由",
        "norecord.approval_article" => "未记录的审批",
        "originals.after_the_fact_article" => "事后补录",
        "originals.editing_article" => "不得剪辑原始记录",
        "interruption.article" => "中断记录",
        "access.article" => "调阅与复制",
        "notification.article" => "告知",
        "sampling.article" => "抽查",
        "violations.article" => "违规情形",
        "sanctions.article" => "责任追究",
        other => return other.to_string(),
    };
    name.to_string()
}

/// 策略: the profile in force, read-only: each rule with the article it cites and its words.
pub async fn policy(State(s): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let p = s.app.profile().await?;
    let mut citations: Vec<CitationRow> = Vec::new();
    for (field, article) in p.citations() {
        let row = CitationRow {
            section: section(&field),
            article: p.cite(article),
            words: p.quote(article).unwrap_or_default().to_string(),
        };
        if !citations
            .iter()
            .any(|c| c.section == row.section && c.article == row.article)
        {
            citations.push(row);
        }
    }
    Ok(render(&Policy {
        id: p.id().to_string(),
        agency: p.agency.clone(),
        regulation: p.regulation.clone(),
        roles: p
            .roles
            .iter()
            .map(|(k, l)| (k.clone(), l.clone()))
            .collect(),
        citations,
        articles: p
            .articles
            .iter()
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect(),
        v,
    }))
}
