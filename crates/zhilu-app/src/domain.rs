//! Enforcement-domain use cases: units and officers, device checkout and return (R3–R4),
//! activities (R7), linking recordings to activities, non-recording (R10) and interruption (R11)
//! records, offload extensions (R17), approvals (R10, R11, R17), legal holds (R20).
//!
//! Every function checks its whole input first and then writes once through [`App::record`], so a
//! refused request leaves nothing behind.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use zhilu_policy::ids::SubjectCode;
use zhilu_policy::profile::{FLAGS, Profile};
use zhilu_store::domain::*;
use zhilu_store::{Change, RecordingRow};

use crate::app::App;
use crate::error::AppError;
use crate::time::{from_micros, to_micros};
use crate::validate;

/// Input of `zhilu activity add`.
#[derive(Debug, Clone, Default)]
pub struct NewActivity {
    pub kind: String,
    pub subject_name: String,
    pub subject_code: Option<String>,
    pub place: String,
    pub officers: Vec<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub case_no: Option<String>,
    pub flags: Vec<String>,
}

/// Input of `zhilu device checkout`.
#[derive(Debug, Clone, Default)]
pub struct NewCheckout {
    pub device: String,
    pub officer: String,
    pub battery_pct: Option<i64>,
    pub free_gb: Option<i64>,
    pub clock_ok: bool,
}

/// What `approve` did.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalOutcome {
    pub id: String,
    pub subject_kind: String,
    /// Levels approved so far / levels required.
    pub approved_levels: usize,
    pub required_levels: usize,
    pub status: String,
    /// The role that must approve next, if any.
    pub next_role: Option<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct Step {
    by: String,
    role: String,
    at: i64,
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// Parses a JSON array column written by this module.
pub(crate) fn parse_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

impl App {
    async fn next_id<T>(&self, prefix: &str) -> Result<String, AppError>
    where
        T: DomainTable,
    {
        let n = self.catalog.count::<T>().await?;
        Ok(format!("{prefix}{:05}", n + 1))
    }

    async fn officer_row(&self, id: &str, field: &str) -> Result<OfficerRow, AppError> {
        self.catalog.get::<OfficerRow>(id).await?.ok_or_else(|| {
            AppError::invalid(
                field,
                format!("执法人员 {id} 未登记：请先运行 `zhilu officer add`"),
            )
        })
    }

    /// Registers an officer (and the unit, the first time it is named).
    pub async fn add_officer(
        &self,
        id: &str,
        name: &str,
        unit: &str,
        role: Option<&str>,
    ) -> Result<OfficerRow, AppError> {
        let id = validate::ident("--id", id)?;
        let name = validate::text("--name", name)?;
        let unit = validate::text("--unit", unit)?;
        let role = role.unwrap_or("officer").trim().to_string();
        if let Some(p) = self.profile_opt()?
            && !p.roles.contains_key(&role)
        {
            let roles: Vec<String> = p.roles.iter().map(|(k, v)| format!("{k}（{v}）")).collect();
            return Err(AppError::invalid(
                "--role",
                format!(
                    "配置 {} 中没有角色“{role}”，可选：{}",
                    p.id(),
                    roles.join("、")
                ),
            ));
        }
        if self.catalog.get::<OfficerRow>(&id).await?.is_some() {
            return Err(AppError::Refused(format!(
                "执法人员 {id} 已登记，不能重复登记"
            )));
        }
        let now = self.now_micros();
        let mut changes = Vec::new();
        if self.catalog.get::<UnitRow>(&unit).await?.is_none() {
            changes.push(Change::Insert(DomainRow::Unit(UnitRow {
                id: unit.clone(),
                name: unit.clone(),
                created_at: now,
                ledger_seq: 0,
            })));
        }
        let row = OfficerRow {
            id,
            name,
            unit,
            role,
            created_at: now,
            ledger_seq: 0,
        };
        changes.push(Change::Insert(DomainRow::Officer(row.clone())));
        self.record("admin", changes).await?;
        Ok(row)
    }

    pub async fn officers(&self) -> Result<Vec<OfficerRow>, AppError> {
        Ok(self.catalog.select::<OfficerRow>(None, vec![]).await?)
    }

    /// Checks a device out to an officer with the pre-use check (R3, R4). A device that is already
    /// out, or not in service, is refused.
    pub async fn checkout(&self, c: NewCheckout) -> Result<CheckoutRow, AppError> {
        let serial = validate::ident("--device", &c.device)?;
        let device = self
            .catalog
            .device(&serial)
            .await?
            .ok_or_else(|| AppError::DeviceNotRegistered(serial.clone()))?;
        if device.status != "在用" {
            return Err(AppError::Refused(format!(
                "设备 {serial} 状态为“{}”，不能领用",
                device.status
            )));
        }
        let officer = self
            .officer_row(&validate::ident("--officer", &c.officer)?, "--officer")
            .await?;
        if let Some(b) = c.battery_pct
            && !(0..=100).contains(&b)
        {
            return Err(AppError::invalid(
                "--battery",
                format!("电量应在 0–100 之间（{b}）"),
            ));
        }
        if let Some(g) = c.free_gb
            && g < 0
        {
            return Err(AppError::invalid(
                "--free-gb",
                format!("剩余空间不能为负数（{g}）"),
            ));
        }
        let open = self
            .catalog
            .select::<CheckoutRow>(
                Some("device_serial = $1 AND returned_at IS NULL"),
                vec![serial.clone().into()],
            )
            .await?;
        if let Some(o) = open.first() {
            return Err(AppError::Refused(format!(
                "设备 {serial} 已由 {} 于 {} 领用且尚未归还（领用单 {}），不能重复领用：请先运行 `zhilu device return --device {serial}`",
                o.officer,
                crate::time::format_micros(o.out_at),
                o.id
            )));
        }
        let row = CheckoutRow {
            id: self.next_id::<CheckoutRow>("CO").await?,
            device_serial: serial,
            officer: officer.id.clone(),
            out_at: self.now_micros(),
            returned_at: None,
            battery_pct: c.battery_pct,
            free_gb: c.free_gb,
            clock_ok: i64::from(c.clock_ok),
            recorded_summary: None,
            ledger_seq: 0,
        };
        self.record(
            &officer.id,
            vec![Change::Insert(DomainRow::Checkout(row.clone()))],
        )
        .await?;
        Ok(row)
    }

    /// Returns a device; the usage ledger row gets its return time and a summary of what the
    /// device recorded while it was out (R3).
    pub async fn return_device(&self, device: &str) -> Result<CheckoutRow, AppError> {
        let serial = validate::ident("--device", device)?;
        let mut open = self
            .catalog
            .select::<CheckoutRow>(
                Some("device_serial = $1 AND returned_at IS NULL"),
                vec![serial.clone().into()],
            )
            .await?;
        let Some(mut row) = open.pop() else {
            return Err(AppError::Refused(format!(
                "设备 {serial} 当前没有未归还的领用记录"
            )));
        };
        let now = self.now_micros();
        let recs = self
            .catalog
            .recordings_where(
                "device_serial = $1 AND capture_start >= $2 AND capture_start <= $3",
                vec![serial.clone().into(), row.out_at.into(), now.into()],
            )
            .await?;
        let secs: i64 = recs.iter().filter_map(|r| r.duration_ms).sum::<i64>() / 1000;
        row.returned_at = Some(now);
        row.recorded_summary = Some(format!(
            "已导出 {} 个文件，合计 {} 分钟",
            recs.len(),
            secs / 60
        ));
        self.record(
            &row.officer.clone(),
            vec![Change::Update(DomainRow::Checkout(row.clone()))],
        )
        .await?;
        Ok(row)
    }

    pub async fn checkouts(&self) -> Result<Vec<CheckoutRow>, AppError> {
        Ok(self.catalog.select::<CheckoutRow>(None, vec![]).await?)
    }

    /// Registers an activity (R7) and links the recordings that match it.
    pub async fn add_activity(&self, a: NewActivity) -> Result<(ActivityRow, usize), AppError> {
        let profile = self.profile()?;
        let kind = a.kind.trim().to_string();
        if profile.kind(&kind).is_none() {
            let kinds: Vec<String> = profile
                .checklist
                .iter()
                .map(|r| format!("{}（{}）", r.kind.get_ref(), r.situation))
                .collect();
            return Err(AppError::invalid(
                "--kind",
                format!(
                    "配置 {} 中没有活动类型“{kind}”，可选：{}",
                    profile.id(),
                    kinds.join("、")
                ),
            ));
        }
        let subject_name = validate::text("--subject-name", &a.subject_name)?;
        let place = validate::text("--place", &a.place)?;
        let code = match a
            .subject_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(c) => Some(
                SubjectCode::parse(c)
                    .map_err(|e| AppError::invalid("--subject-code", e.to_string()))?,
            ),
            None => None,
        };
        let (Some(start), Some(end)) = (a.start, a.end) else {
            return Err(AppError::invalid(
                "--start/--end",
                "必须给出文书记载的开始和结束时间",
            ));
        };
        if end <= start {
            return Err(AppError::invalid(
                "--end",
                format!("结束时间 {end} 早于或等于开始时间 {start}"),
            ));
        }
        if end - start > Duration::days(7) {
            return Err(AppError::invalid(
                "--end",
                "一次执法活动不能超过 7 天，请核对时间",
            ));
        }
        if a.officers.is_empty() {
            return Err(AppError::invalid("--officers", "至少需要一名执法人员"));
        }
        let mut officers = Vec::new();
        for o in &a.officers {
            let o = validate::ident("--officers", o)?;
            self.officer_row(&o, "--officers").await?;
            if officers.contains(&o) {
                return Err(AppError::invalid(
                    "--officers",
                    format!("执法人员 {o} 重复"),
                ));
            }
            officers.push(o);
        }
        let mut flags = Vec::new();
        for f in &a.flags {
            let f = f.trim().to_string();
            if !FLAGS.iter().any(|(id, _)| *id == f) {
                let known: Vec<String> =
                    FLAGS.iter().map(|(id, l)| format!("{id}（{l}）")).collect();
                return Err(AppError::invalid(
                    "--flag",
                    format!("未知的标记“{f}”，可选：{}", known.join("、")),
                ));
            }
            if !flags.contains(&f) {
                flags.push(f);
            }
        }
        let case_no = match a
            .case_no
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(c) => Some(validate::text("--case", c)?),
            None => None,
        };
        let day = zhilu_policy::facts::local_date(start)
            .format("%Y%m%d")
            .to_string();
        let prefix = format!("A{day}-");
        let n = self
            .catalog
            .select::<ActivityRow>(Some("id LIKE $1"), vec![format!("{prefix}%").into()])
            .await?
            .len();
        let row = ActivityRow {
            id: format!("{prefix}{:03}", n + 1),
            kind,
            subject_name,
            subject_code: code.as_ref().map(|c| c.as_str().to_string()),
            subject_code_kind: code.as_ref().map(|c| {
                serde_json::to_value(c.kind())
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            }),
            place,
            officers: json_list(&officers),
            start_at: to_micros(start),
            end_at: to_micros(end),
            case_no,
            flags: json_list(&flags),
            created_at: self.now_micros(),
            created_by: officers[0].clone(),
            ledger_seq: 0,
        };
        let mut changes = vec![Change::Insert(DomainRow::Activity(row.clone()))];
        let links = self
            .matching_links(&profile, std::slice::from_ref(&row), None)
            .await?;
        let linked = links.len();
        changes.extend(links);
        self.record(&row.created_by.clone(), changes).await?;
        Ok((row, linked))
    }

    pub async fn activity(&self, id: &str) -> Result<ActivityRow, AppError> {
        self.catalog
            .get::<ActivityRow>(id.trim())
            .await?
            .ok_or_else(|| AppError::NotFound {
                what: "执法活动",
                id: id.to_string(),
            })
    }

    /// Link changes for recordings that belong to `activities`: made by one of the activity's
    /// officers (the device's holder at capture time, or the officer named at offload or in the
    /// file name) and overlapping the documented time within the coverage tolerance.
    /// `only` restricts the candidates to these recordings (an offload just finished).
    async fn matching_links(
        &self,
        profile: &Profile,
        activities: &[ActivityRow],
        only: Option<&[RecordingRow]>,
    ) -> Result<Vec<Change>, AppError> {
        if activities.is_empty() {
            return Ok(Vec::new());
        }
        let before = Duration::seconds(*profile.coverage.start_tolerance_s.get_ref())
            .num_microseconds()
            .unwrap_or(0);
        let after = Duration::seconds(*profile.coverage.end_tolerance_s.get_ref())
            .num_microseconds()
            .unwrap_or(0);
        let lo = activities.iter().map(|a| a.start_at).min().unwrap_or(0)
            - before
            - Duration::hours(12).num_microseconds().unwrap_or(0);
        let hi = activities.iter().map(|a| a.end_at).max().unwrap_or(0) + after;
        let candidates = match only {
            Some(rs) => rs.to_vec(),
            None => {
                self.catalog
                    .recordings_where(
                        "capture_start >= $1 AND capture_start <= $2",
                        vec![lo.into(), hi.into()],
                    )
                    .await?
            }
        };
        let checkouts = self.catalog.select::<CheckoutRow>(None, vec![]).await?;
        let holder = |serial: &str, t: i64| -> Option<&str> {
            checkouts
                .iter()
                .filter(|c| {
                    c.device_serial == serial
                        && c.out_at <= t
                        && c.returned_at.is_none_or(|b| b >= t)
                })
                .max_by_key(|c| c.out_at)
                .map(|c| c.officer.as_str())
        };
        let now = self.now_micros();
        let mut out = Vec::new();
        for a in activities {
            let officers = parse_list(&a.officers);
            let existing: Vec<LinkRow> = self
                .catalog
                .select::<LinkRow>(Some("activity_id = $1"), vec![a.id.clone().into()])
                .await?;
            for r in &candidates {
                let Some(cs) = r.capture_start else { continue };
                let ce = r.capture_end.unwrap_or(cs);
                if ce < a.start_at - before || cs > a.end_at + after {
                    continue;
                }
                let by_holder =
                    holder(&r.device_serial, cs).is_some_and(|h| officers.iter().any(|o| o == h));
                let by_name = officers
                    .iter()
                    .any(|o| *o == r.officer || r.name_officer_id.as_deref() == Some(o.as_str()));
                if !(by_holder || by_name) || existing.iter().any(|l| l.sha256 == r.sha256) {
                    continue;
                }
                out.push(Change::Insert(DomainRow::Link(LinkRow {
                    sha256: r.sha256.clone(),
                    activity_id: a.id.clone(),
                    method: "auto".into(),
                    linked_at: now,
                    actor: "system".into(),
                    ledger_seq: 0,
                })));
            }
        }
        Ok(out)
    }

    /// Links the recordings of a finished offload session to the activities they belong to.
    pub(crate) async fn autolink_session(&self, session: &str) -> Result<usize, AppError> {
        let Some(profile) = self.profile_opt()? else {
            return Ok(0);
        };
        let recs = self
            .catalog
            .recordings_where("session_id = $1", vec![session.to_string().into()])
            .await?;
        let times: Vec<i64> = recs.iter().filter_map(|r| r.capture_start).collect();
        let (Some(lo), Some(hi)) = (times.iter().min(), times.iter().max()) else {
            return Ok(0);
        };
        let slack = Duration::days(8).num_microseconds().unwrap_or(0);
        let acts = self
            .catalog
            .select::<ActivityRow>(
                Some("start_at <= $1 AND end_at >= $2"),
                vec![(hi + slack).into(), (lo - slack).into()],
            )
            .await?;
        let links = self.matching_links(&profile, &acts, Some(&recs)).await?;
        let n = links.len();
        if n > 0 {
            self.record("system", links).await?;
        }
        Ok(n)
    }

    /// Links a recording to an activity by hand.
    pub async fn link(
        &self,
        sha256: &str,
        activity: &str,
        actor: &str,
    ) -> Result<LinkRow, AppError> {
        let sha = self.existing_recording(sha256).await?;
        let a = self.activity(activity).await?;
        let existing = self
            .catalog
            .select::<LinkRow>(
                Some("sha256 = $1 AND activity_id = $2"),
                vec![sha.clone().into(), a.id.clone().into()],
            )
            .await?;
        if let Some(l) = existing.into_iter().next() {
            return Ok(l);
        }
        let row = LinkRow {
            sha256: sha,
            activity_id: a.id,
            method: "manual".into(),
            linked_at: self.now_micros(),
            actor: actor.into(),
            ledger_seq: 0,
        };
        self.record(actor, vec![Change::Insert(DomainRow::Link(row.clone()))])
            .await?;
        Ok(row)
    }

    /// The id of a stored recording, or a clear error.
    async fn existing_recording(&self, sha256: &str) -> Result<String, AppError> {
        let sha = sha256.trim().to_ascii_lowercase();
        if self.catalog.recording(&sha).await?.is_none() {
            return Err(AppError::NotFound {
                what: "记录",
                id: sha,
            });
        }
        Ok(sha)
    }

    /// Writes a record together with the approval it waits for (the profile's chain of roles).
    async fn record_with_approval(
        &self,
        actor: &str,
        row: DomainRow,
        id: &str,
        kind: &str,
        chain: &[zhilu_policy::profile::Spanned<String>],
    ) -> Result<(), AppError> {
        let roles: Vec<String> = chain.iter().map(|r| r.get_ref().clone()).collect();
        self.record(
            actor,
            vec![Change::Insert(row), self.approval_for(id, kind, roles)],
        )
        .await?;
        Ok(())
    }

    fn approval_for(&self, id: &str, kind: &str, chain: Vec<String>) -> Change {
        Change::Insert(DomainRow::Approval(ApprovalRow {
            id: id.to_string(),
            subject_kind: kind.into(),
            chain: json_list(&chain),
            steps: "[]".into(),
            status: "pending".into(),
            updated_at: self.now_micros(),
            ledger_seq: 0,
        }))
    }

    /// Records why an activity was not (fully) recorded (R10); it then waits for the profile's approvers.
    pub async fn add_norecord(
        &self,
        activity: &str,
        reason: &str,
        basis: &str,
        actor: &str,
    ) -> Result<NoRecordRow, AppError> {
        let profile = self.profile()?;
        let a = self.activity(activity).await?;
        let reason = reason.trim();
        if !profile
            .norecord
            .reasons
            .iter()
            .any(|r| r.id.get_ref() == reason)
        {
            let list: Vec<String> = profile
                .norecord
                .reasons
                .iter()
                .map(|r| format!("{}（{}）", r.id.get_ref(), r.label))
                .collect();
            return Err(AppError::invalid(
                "--reason",
                format!(
                    "“{reason}”不是 {} 允许的不记录情形，可选：{}",
                    profile.cite(&profile.norecord.article),
                    list.join("、")
                ),
            ));
        }
        let basis = validate::text("--basis", basis)?;
        let row = NoRecordRow {
            id: self.next_id::<NoRecordRow>("NR").await?,
            activity_id: a.id,
            reason: reason.into(),
            basis,
            created_at: self.now_micros(),
            created_by: actor.into(),
            ledger_seq: 0,
        };
        self.record_with_approval(
            actor,
            DomainRow::NoRecord(row.clone()),
            &row.id,
            "norecord",
            &profile.norecord.approvers,
        )
        .await?;
        Ok(row)
    }

    /// Records why recording stopped after `after` (R11). A reason that means "cannot continue"
    /// must also be acknowledged by the role the profile names.
    pub async fn add_interruption(
        &self,
        activity: &str,
        after: &str,
        reason: &str,
        voice_stated: bool,
        actor: &str,
    ) -> Result<InterruptionRow, AppError> {
        let profile = self.profile()?;
        let a = self.activity(activity).await?;
        let sha = self.existing_recording(after).await?;
        let reason = reason.trim();
        let Some(r) = profile
            .interruption
            .reasons
            .iter()
            .find(|r| r.id.get_ref() == reason)
        else {
            let list: Vec<String> = profile
                .interruption
                .reasons
                .iter()
                .map(|r| format!("{}（{}）", r.id.get_ref(), r.label))
                .collect();
            return Err(AppError::invalid(
                "--reason",
                format!(
                    "“{reason}”不是 {} 允许的中断原因，可选：{}",
                    profile.cite(&profile.interruption.article),
                    list.join("、")
                ),
            ));
        };
        let row = InterruptionRow {
            id: self.next_id::<InterruptionRow>("IR").await?,
            activity_id: a.id,
            after_sha256: sha,
            reason: reason.into(),
            voice_stated: i64::from(voice_stated),
            detail: r.label.clone(),
            created_at: self.now_micros(),
            created_by: actor.into(),
            ledger_seq: 0,
        };
        let mut changes = vec![Change::Insert(DomainRow::Interruption(row.clone()))];
        if let (false, Some(to)) = (r.voice_statement, &profile.interruption.report_to) {
            changes.push(self.approval_for(&row.id, "interruption", vec![to.get_ref().clone()]));
        }
        self.record(actor, changes).await?;
        Ok(row)
    }

    /// Asks to offload an activity's recordings later than the ordinary deadline (zhejiang-rf §19).
    pub async fn request_extension(
        &self,
        activity: &str,
        reason: &str,
        actor: &str,
    ) -> Result<ExtensionRow, AppError> {
        let profile = self.profile()?;
        let Some(ext) = &profile.offload.extension else {
            return Err(AppError::Refused(format!(
                "配置 {} 的导出期限不允许延期（{}）",
                profile.id(),
                profile.cite(&profile.offload.article)
            )));
        };
        let a = self.activity(activity).await?;
        let reason = validate::text("--reason", reason)?;
        let row = ExtensionRow {
            id: self.next_id::<ExtensionRow>("EX").await?,
            activity_id: a.id,
            reason,
            created_at: self.now_micros(),
            created_by: actor.into(),
            ledger_seq: 0,
        };
        self.record_with_approval(
            actor,
            DomainRow::Extension(row.clone()),
            &row.id,
            "extension",
            &ext.approvers,
        )
        .await?;
        Ok(row)
    }

    /// One approval step by officer `by`, who must hold the role the chain needs next
    /// (e.g. luohe-xm: 法制办公室, then 主管领导).
    pub async fn approve(&self, id: &str, by: &str) -> Result<ApprovalOutcome, AppError> {
        let profile = self.profile()?;
        let mut row = self
            .catalog
            .get::<ApprovalRow>(id.trim())
            .await?
            .ok_or_else(|| AppError::NotFound {
                what: "待审批事项",
                id: id.to_string(),
            })?;
        let officer = self
            .officer_row(&validate::ident("--by", by)?, "--by")
            .await?;
        let chain = parse_list(&row.chain);
        let mut steps: Vec<Step> = serde_json::from_str(&row.steps).unwrap_or_default();
        if row.status == "approved" {
            return Err(AppError::Refused(format!(
                "{} 已审批完毕，无需再次审批",
                row.id
            )));
        }
        let Some(need) = chain.get(steps.len()) else {
            return Err(AppError::Refused(format!("{} 的审批链为空", row.id)));
        };
        if officer.role != *need {
            return Err(AppError::Refused(format!(
                "{} 的第 {} 级审批应由{}（{need}）进行，{}（{}）的角色是{}",
                row.id,
                steps.len() + 1,
                profile.role_label(need),
                officer.name,
                officer.id,
                profile.role_label(&officer.role)
            )));
        }
        if steps.iter().any(|s| s.by == officer.id) {
            return Err(AppError::Refused(format!(
                "{} 已由 {} 审批过一级，同一人不能审批两级",
                row.id, officer.id
            )));
        }
        steps.push(Step {
            by: officer.id.clone(),
            role: need.clone(),
            at: self.now_micros(),
        });
        row.status = if steps.len() == chain.len() {
            "approved"
        } else {
            "pending"
        }
        .into();
        row.steps = serde_json::to_string(&steps).unwrap_or_else(|_| "[]".into());
        row.updated_at = self.now_micros();
        self.record(
            &officer.id,
            vec![Change::Update(DomainRow::Approval(row.clone()))],
        )
        .await?;
        Ok(ApprovalOutcome {
            id: row.id,
            subject_kind: row.subject_kind,
            approved_levels: steps.len(),
            required_levels: chain.len(),
            next_role: chain
                .get(steps.len())
                .map(|r| profile.role_label(r).to_string()),
            status: row.status,
        })
    }

    /// Asks to view or copy a recording (R23). The request waits for the profile's access chain;
    /// serving the content on an approved grant arrives with the access issue.
    pub async fn request_access(
        &self,
        sha256: &str,
        requester: &str,
        reason: &str,
    ) -> Result<AccessRequestRow, AppError> {
        let profile = self.profile()?;
        let sha = self.existing_recording(sha256).await?;
        let officer = self
            .officer_row(&validate::ident("--by", requester)?, "--by")
            .await?;
        let reason = validate::text("--reason", reason)?;
        let row = AccessRequestRow {
            id: self.next_id::<AccessRequestRow>("AR").await?,
            sha256: sha,
            requester: officer.id.clone(),
            reason,
            created_at: self.now_micros(),
            ledger_seq: 0,
        };
        self.record_with_approval(
            &officer.id,
            DomainRow::Access(row.clone()),
            &row.id,
            "access",
            &profile.access.approvers,
        )
        .await?;
        Ok(row)
    }

    /// Places a legal hold on a recording: it cannot expire until released (R20).
    pub async fn place_hold(
        &self,
        sha256: &str,
        reason: &str,
        actor: &str,
    ) -> Result<HoldRow, AppError> {
        let sha = self.existing_recording(sha256).await?;
        let reason = validate::text("--reason", reason)?;
        let row = HoldRow {
            id: self.next_id::<HoldRow>("H").await?,
            sha256: sha,
            reason,
            placed_at: self.now_micros(),
            placed_by: actor.into(),
            released_at: None,
            ledger_seq: 0,
        };
        self.record(actor, vec![Change::Insert(DomainRow::Hold(row.clone()))])
            .await?;
        Ok(row)
    }

    pub async fn release_hold(&self, id: &str, actor: &str) -> Result<HoldRow, AppError> {
        let mut row = self
            .catalog
            .get::<HoldRow>(id.trim())
            .await?
            .ok_or_else(|| AppError::NotFound {
                what: "保全",
                id: id.to_string(),
            })?;
        if row.released_at.is_some() {
            return Err(AppError::Refused(format!("保全 {} 已解除", row.id)));
        }
        row.released_at = Some(self.now_micros());
        self.record(actor, vec![Change::Update(DomainRow::Hold(row.clone()))])
            .await?;
        Ok(row)
    }
}

pub(crate) fn instant(us: i64) -> DateTime<Utc> {
    from_micros(us).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
