//! Policy profiles: one agency's regulation as data (R6–R29's numbers, lists and approvers).
//!
//! A profile is a TOML file. The five presets in `presets/` are the five source regulations, with a
//! comment quoting the article behind every value; an administrator may edit a copy. Its
//! `[articles]` table holds the words of every article it cites, verbatim, so a finding quotes
//! the text it rests on; where the regulation is silent a rule cites national law
//! ([`NATIONAL_LAW`], e.g. `行政处罚法 §42`) or raises nothing. Each rule's `agency_choice` list
//! names the numbers the text leaves open (a tolerance, a grace period). Loading is
//! all-or-nothing: [`Profile::parse`] either returns a profile that passed every check or the first
//! problem with its line, field and what is wrong, so a broken profile can never be half-applied.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
pub use toml::Spanned;

/// The version of the profile schema this build reads.
pub const SCHEMA: i64 = 1;

/// The preset profiles shipped with the product: (id, TOML text).
pub const PRESETS: [(&str, &str); 5] = [
    ("dalian-ftz", include_str!("../presets/dalian-ftz.toml")),
    ("zhejiang-rf", include_str!("../presets/zhejiang-rf.toml")),
    ("luohe-xm", include_str!("../presets/luohe-xm.toml")),
    ("lushan-sj", include_str!("../presets/lushan-sj.toml")),
    ("jinpu-wj", include_str!("../presets/jinpu-wj.toml")),
];

/// The national-law articles profiles may cite where their own regulation is silent, as TOML:
/// citation (e.g. `行政处罚法 §42`) → the article's words, verbatim.
pub const NATIONAL_LAW: &str = include_str!("../data/national-law.toml");

/// The words of a national-law article by its citation, e.g. `行政处罚法 §42`.
pub fn national_article(citation: &str) -> Option<&'static str> {
    static LAW: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    LAW.get_or_init(|| toml::from_str(NATIONAL_LAW).unwrap_or_default())
        .get(citation)
        .map(String::as_str)
}

/// Every national-law citation the crate can quote.
pub fn national_citations() -> Vec<String> {
    toml::from_str::<BTreeMap<String, String>>(NATIONAL_LAW)
        .map(|m| m.into_keys().collect())
        .unwrap_or_default()
}

/// Activity flags the engine understands. Profiles refer to them in mandatory-recording rules,
/// offload exceptions and long-term retention triggers; the CLI sets them on activities.
pub const FLAGS: [(&str, &str); 10] = [
    ("dispute", "现场发生纠纷冲突或当事人有异议"),
    ("complaint", "投诉、上访、复议或诉讼"),
    (
        "obstruction",
        "逃避、拒绝、阻碍执法或谩骂、侮辱、殴打执法人员",
    ),
    ("incident", "群体性事件、突发事件"),
    ("evidence", "作为证据或行政决定证据使用"),
    ("public_interest", "涉及公共利益、人身安全等复杂案件"),
    ("major", "其他重大、复杂、敏感情况"),
    ("life_health", "直接涉及生命健康"),
    ("major_property", "直接涉及重大财产权益"),
    ("remote", "异地、偏远、连续执法，无法当天移交"),
];

/// How strongly the checklist requires recording an activity kind (R6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Obligation {
    /// 应当进行: an activity of this kind without recording is a finding (R7).
    Mandatory,
    /// 根据实际情况进行.
    AsCircumstances,
    /// 根据执法需要进行.
    AsNeeded,
}

impl Obligation {
    /// The checklist's own Chinese wording, for people.
    pub fn label(self) -> &'static str {
        match self {
            Obligation::Mandatory => "应当进行",
            Obligation::AsCircumstances => "根据实际情况进行",
            Obligation::AsNeeded => "根据执法需要进行",
        }
    }
}

/// One row of the recording checklist (音像记录清单, R6); its `kind` is an activity kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistRow {
    pub kind: Spanned<String>,
    /// Row number in the agency's own list, where it has one (dalian-ftz's annex: 1–17).
    #[serde(default)]
    pub no: Option<u32>,
    /// 记录环节或者情形.
    pub situation: String,
    /// 记录场所.
    #[serde(default)]
    pub place: String,
    /// 开始记录时间.
    #[serde(default)]
    pub start_trigger: String,
    /// 记录内容: the items reviewers tick (R6, R13, R27).
    #[serde(default)]
    pub content: Vec<String>,
    /// 结束记录时间.
    #[serde(default)]
    pub end_trigger: String,
    pub obligation: Obligation,
    pub article: String,
}

/// Activities with any of these flags must be recorded whatever their kind (jinpu-wj §8).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MandatoryRule {
    pub flags: Vec<Spanned<String>>,
    pub description: String,
    pub article: String,
}

/// R9: officers per activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficersRule {
    pub min_per_activity: Spanned<i64>,
    /// dalian-ftz §13: one of them films the whole process.
    #[serde(default)]
    pub one_films_whole: bool,
    /// The regulation's own article, or national law (`行政处罚法 §42`) where the regulation is
    /// silent.
    pub article: String,
    /// The activity kinds the article governs (national law on penalties governs only the kinds
    /// that are part of a penalty case); empty: every kind.
    #[serde(default)]
    pub applies_to: Vec<Spanned<String>>,
    /// The kinds that are steps of an administrative penalty procedure, where 行政处罚法 §42
    /// requires officers with enforcement qualification (执法证), for a profile whose R9 rests on
    /// its own regulation (where it cites §42, `applies_to` says it).
    #[serde(default)]
    pub penalty_kinds: Vec<Spanned<String>>,
    #[serde(default)]
    pub agency_choice: Vec<Spanned<String>>,
}

/// R4: the pre-use check and the device clock.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreUseRule {
    /// Largest accepted |device clock − station clock| at offload, seconds.
    pub clock_tolerance_s: Spanned<i64>,
    /// The regulations say "电量充足" and "足够存储空间"; the numbers are the agency's.
    pub min_battery_pct: Spanned<i64>,
    pub min_free_gb: Spanned<i64>,
    pub article: String,
    /// The numbers the regulation leaves open, set by the agency (field names of this table);
    /// findings that apply one say so.
    #[serde(default)]
    pub agency_choice: Vec<Spanned<String>>,
}

/// R8: how far the recordings' start and end may be from the document times.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageRule {
    pub start_tolerance_s: Spanned<i64>,
    pub end_tolerance_s: Spanned<i64>,
    pub article: String,
    /// The numbers the regulation leaves open, set by the agency (field names of this table);
    /// findings that apply one say so.
    #[serde(default)]
    pub agency_choice: Vec<Spanned<String>>,
}

/// R11: the largest pause between consecutive files that is still an automatic segment split.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRule {
    pub split_tolerance_s: Spanned<i64>,
    pub article: String,
    /// The numbers the regulation leaves open, set by the agency (field names of this table);
    /// findings that apply one say so.
    #[serde(default)]
    pub agency_choice: Vec<Spanned<String>>,
}

/// How the ordinary offload deadline is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineBase {
    /// 当天执法活动结束后第一时间: by the end (24:00 local) of the day the activity ended.
    SameDay,
    /// Within `hours` of the activity's end (zhejiang-rf §19: 24 小时内).
    Hours,
}

impl DeadlineBase {
    /// How the deadline is counted, in Chinese, for people (the serialized names are for files).
    /// [`OffloadRule::describe`] gives the whole rule with its numbers.
    pub fn label(self) -> &'static str {
        match self {
            DeadlineBase::SameDay => "执法活动结束当日 24 时前",
            DeadlineBase::Hours => "执法活动结束后规定小时数内",
        }
    }
}

/// R17: the offload deadline and its exceptions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffloadRule {
    pub base: DeadlineBase,
    #[serde(default)]
    pub hours: Option<Spanned<i64>>,
    /// Remote or continuous work (activity flag `remote`): within this many hours of the device's
    /// return to the unit (返回单位后 24 小时内). Absent: the profile has no such exception.
    #[serde(default)]
    pub after_return_hours: Option<Spanned<i64>>,
    pub article: String,
    #[serde(default)]
    pub extension: Option<ExtensionRule>,
    /// A recording still linked to no activity this many hours after its offload deadline is
    /// possible non-work use (R14).
    pub link_grace_hours: Spanned<i64>,
    pub link_article: String,
    /// The numbers the regulation leaves open, set by the agency (field names of this table);
    /// findings that apply one say so.
    #[serde(default)]
    pub agency_choice: Vec<Spanned<String>>,
}

impl OffloadRule {
    /// The whole offload rule in one Chinese sentence for people (e.g. `zhilu profile show`):
    /// the ordinary deadline, then the remote-work and extension exceptions when the profile has
    /// them. The extension's approvers are not named here (their titles live in the profile's
    /// roles); [`Profile::describe_offload`] names them.
    pub fn describe(&self) -> String {
        self.describe_with(None)
    }

    fn describe_with(&self, profile: Option<&Profile>) -> String {
        let mut s = match self.base {
            DeadlineBase::SameDay => DeadlineBase::SameDay.label().to_string(),
            DeadlineBase::Hours => {
                let h = self.hours.as_ref().map_or(24, |h| *h.get_ref());
                format!("执法活动结束后 {h} 小时内")
            }
        };
        if let Some(h) = &self.after_return_hours {
            s.push_str(&format!(
                "；异地或连续执法的，返回单位后 {} 小时内",
                h.get_ref()
            ));
        }
        if let Some(x) = &self.extension {
            let by = match profile {
                Some(p) => x
                    .approvers
                    .iter()
                    .map(|r| p.role_label(r.get_ref()))
                    .collect::<Vec<_>>()
                    .join("、"),
                None => String::new(),
            };
            s.push_str(&format!(
                "；经{by}批准可延长至 {} 个工作日",
                x.working_days.get_ref()
            ));
            if !x.excluded_flags.is_empty() {
                let flags: Vec<&str> = x
                    .excluded_flags
                    .iter()
                    .map(|f| flag_label(f.get_ref()))
                    .collect();
                s.push_str(&format!("（{}的除外）", flags.join("、")));
            }
        }
        s
    }
}

/// The Chinese label of an activity flag, or the flag itself when unknown.
fn flag_label(flag: &str) -> &str {
    FLAGS
        .iter()
        .find(|(id, _)| *id == flag)
        .map(|(_, l)| *l)
        .unwrap_or(flag)
}

/// zhejiang-rf §19: with the head's approval, offload within N working days — except when the
/// activity had a dispute or an emergency.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRule {
    pub working_days: Spanned<i64>,
    pub approvers: Vec<Spanned<String>>,
    #[serde(default)]
    pub excluded_flags: Vec<Spanned<String>>,
    pub article: String,
}

/// Retention classes, from weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RetentionClass {
    Minimum,
    Case,
    LongTerm,
    Permanent,
    Hold,
}

impl RetentionClass {
    /// Chinese name of the class, for people.
    pub fn label(self) -> &'static str {
        match self {
            RetentionClass::Minimum => "最低保存期限",
            RetentionClass::Case => "随案卷保存",
            RetentionClass::LongTerm => "长期保存",
            RetentionClass::Permanent => "永久保存",
            RetentionClass::Hold => "保全中",
        }
    }

    /// The stable machine name, as in profiles and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionClass::Minimum => "minimum",
            RetentionClass::Case => "case",
            RetentionClass::LongTerm => "long_term",
            RetentionClass::Permanent => "permanent",
            RetentionClass::Hold => "hold",
        }
    }
}

/// Flags that move a recording into long-term or permanent retention (R21).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionTrigger {
    pub flags: Vec<Spanned<String>>,
    pub class: RetentionClass,
    pub article: String,
}

/// R20–R21: retention periods and triggers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRule {
    pub minimum_months: Spanned<i64>,
    pub minimum_article: String,
    /// Recordings of an activity with a case number follow the case file (随案卷保存时限); the
    /// regulations do not give the case file's period, the agency's archive rules do.
    pub case_years: Spanned<i64>,
    pub case_article: String,
    /// zhejiang-rf §20(2): the case's records join the case file within this many days of closure.
    #[serde(default)]
    pub case_file_join_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub triggers: Vec<RetentionTrigger>,
    /// "长期保存" in years (archive practice: 30).
    pub long_term_years: Spanned<i64>,
    /// Preservation copies burned to disc (一式两份).
    pub disc_copies: Spanned<i64>,
    /// How often each preservation disc copy is read back and checked, in months (the texts
    /// set no interval; archive practice checks yearly). Absent: discs are never due.
    #[serde(default)]
    pub disc_check_months: Option<Spanned<i64>>,
    /// Who approves the purge of an expired recording (lushan-sj §15: 管理人员根据情况清除).
    pub purge_approvers: Vec<Spanned<String>>,
    /// The numbers the regulation leaves open, set by the agency (field names of this table).
    #[serde(default)]
    pub agency_choice: Vec<Spanned<String>>,
}

/// A reason allowed for not recording or for stopping (R10, R11).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub id: Spanned<String>,
    pub label: String,
    /// R11: the resumed recording must state the reason by voice.
    #[serde(default)]
    pub voice_statement: bool,
}

/// R10: not recording an activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoRecordRule {
    pub reasons: Vec<Reason>,
    /// Approval levels, in order (role ids).
    pub approvers: Vec<Spanned<String>>,
    /// The article listing the reasons.
    pub article: String,
    /// The article requiring the non-recording record to be approved (R10); absent when the
    /// regulation names no approval, and then a pending approval raises nothing.
    #[serde(default)]
    pub approval_article: Option<String>,
}

/// R12: the originals as recorded — nothing recorded after the fact, nothing deleted or edited.
/// An article is absent when the regulation does not say it; that check then raises nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginalsRule {
    /// "不得…事后补录", or "同步摄录": a recording captured after its activity ended.
    #[serde(default)]
    pub after_the_fact_article: Option<String>,
    /// "不得…删改", "不得…删节、修改": missing file numbers, content no longer matching its hash.
    #[serde(default)]
    pub editing_article: Option<String>,
}

/// R11: interrupting a recording.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterruptionRule {
    pub reasons: Vec<Reason>,
    /// "确实无法继续记录的，应当立即向…负责人报告": the role told, when the profile says so.
    #[serde(default)]
    pub report_to: Option<Spanned<String>>,
    pub article: String,
}

/// R23: who approves viewing or copying, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRule {
    pub approvers: Vec<Spanned<String>>,
    pub article: String,
    /// How long a grant lasts when the request names no period (days).
    #[serde(default = "default_grant_days")]
    pub grant_days: u32,
}

fn default_grant_days() -> u32 {
    7
}

/// R13: the standard notification phrase.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationRule {
    pub phrase: String,
    /// lushan-sj §8: a spoken statement of purpose, task and officers at arrival.
    #[serde(default)]
    pub spoken_statement: bool,
    pub article: String,
}

/// R27: sampling review.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingRule {
    pub ratio: Spanned<f64>,
    pub article: String,
    /// The assessment's weights of the check items (执法质量考评); the texts set none, so they are
    /// the agency's choice. A profile without them weighs the five groups equally.
    #[serde(default)]
    pub weights: SamplingWeights,
    /// The numbers the regulation leaves open, set by the agency (field names of this table);
    /// findings that apply one say so.
    #[serde(default)]
    pub agency_choice: Vec<Spanned<String>>,
}

/// R27: how much each group of check items counts in a review's score; they sum to 1.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingWeights {
    /// 应当记录的环节是否完整记录.
    pub events_recorded: f64,
    /// 是否连续不间断.
    pub uninterrupted: f64,
    /// 移交、管理、使用是否规范.
    pub handled_properly: f64,
    /// The checklist's key content items (R6), together.
    pub content: f64,
    /// The notification phrase (R13).
    pub notification: f64,
}

impl Default for SamplingWeights {
    fn default() -> Self {
        SamplingWeights {
            events_recorded: 0.2,
            uninterrupted: 0.2,
            handled_properly: 0.2,
            content: 0.2,
            notification: 0.2,
        }
    }
}

impl SamplingWeights {
    /// The five weights in the order of their fields, with their names.
    pub fn named(&self) -> [(&'static str, f64); 5] {
        [
            ("events_recorded", self.events_recorded),
            ("uninterrupted", self.uninterrupted),
            ("handled_properly", self.handled_properly),
            ("content", self.content),
            ("notification", self.notification),
        ]
    }
}

/// One entry of the violation or sanction catalogue (R29).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogItem {
    pub id: Spanned<String>,
    pub text: String,
    pub article: String,
    /// A sanction that stops the officer's enforcement work (停止执法工作一个月): for how many
    /// months from its start; during it the officer may not check out a device (R29).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspends_months: Option<Spanned<i64>>,
}

/// R28: the annual review (年度评查, lushan-sj §17 "每年至少组织一次评查").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnualReviewRule {
    /// `MM-DD`: the day (Beijing) by which each calendar year's review must be held.
    pub by: Spanned<String>,
    pub article: String,
    #[serde(default)]
    pub agency_choice: Vec<Spanned<String>>,
}

impl AnnualReviewRule {
    /// The last day of `year` on which its review may be held; `None` if `by` is not a day of it.
    pub fn deadline(&self, year: i32) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::parse_from_str(&format!("{year}-{}", self.by.get_ref()), "%Y-%m-%d").ok()
    }
}

/// An agency's policy profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub schema: Spanned<i64>,
    pub id: Spanned<String>,
    pub agency: String,
    pub regulation: String,
    /// Role id → Chinese title. Approval chains name roles; officers are given roles.
    pub roles: BTreeMap<String, String>,
    pub checklist: Vec<ChecklistRow>,
    #[serde(default)]
    pub mandatory_rules: Vec<MandatoryRule>,
    pub officers: OfficersRule,
    pub pre_use: PreUseRule,
    pub coverage: CoverageRule,
    pub segments: SegmentRule,
    pub offload: OffloadRule,
    pub retention: RetentionRule,
    pub norecord: NoRecordRule,
    pub interruption: InterruptionRule,
    pub access: AccessRule,
    pub notification: NotificationRule,
    pub sampling: SamplingRule,
    #[serde(default)]
    pub originals: OriginalsRule,
    pub violations: Vec<CatalogItem>,
    pub sanctions: Vec<CatalogItem>,
    /// R28: where the regulation requires a yearly review (lushan-sj §17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_review: Option<AnnualReviewRule>,
    /// The words of the articles the profile cites, keyed as cited without a clause (`§13`, or
    /// `§20(一)` where a clause is quoted alone), copied verbatim from the regulation: a finding
    /// quotes the article it cites.
    #[serde(default)]
    pub articles: BTreeMap<String, String>,
}

/// Why a profile was refused: the line (1-based, when known), the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}字段 {field}：{message}", line.map(|l| format!("第 {l} 行，")).unwrap_or_default())]
pub struct ProfileError {
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

struct Checker<'a> {
    src: &'a str,
}

impl Checker<'_> {
    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        field: &str,
        message: String,
    ) -> Result<T, ProfileError> {
        Err(ProfileError {
            line: Some(line_of(self.src, span.start)),
            field: field.to_string(),
            message,
        })
    }

    fn non_negative(&self, v: &Spanned<i64>, field: &str) -> Result<(), ProfileError> {
        if *v.get_ref() < 0 {
            return self.err(v.span(), field, format!("不能为负数（{}）", v.get_ref()));
        }
        Ok(())
    }

    fn positive(&self, v: &Spanned<i64>, field: &str) -> Result<(), ProfileError> {
        self.non_negative(v, field)?;
        if *v.get_ref() == 0 {
            return self.err(v.span(), field, format!("必须大于 0（{}）", v.get_ref()));
        }
        Ok(())
    }

    fn at_most(&self, v: &Spanned<i64>, field: &str, max: i64) -> Result<(), ProfileError> {
        if *v.get_ref() > max {
            return self.err(
                v.span(),
                field,
                format!("数值 {} 过大，上限为 {max}", v.get_ref()),
            );
        }
        Ok(())
    }

    fn flags(&self, flags: &[Spanned<String>], field: &str) -> Result<(), ProfileError> {
        for f in flags {
            if !FLAGS.iter().any(|(id, _)| id == f.get_ref()) {
                let known: Vec<&str> = FLAGS.iter().map(|(id, _)| *id).collect();
                return self.err(
                    f.span(),
                    field,
                    format!(
                        "未知的活动标记“{}”，可用：{}",
                        f.get_ref(),
                        known.join("、")
                    ),
                );
            }
        }
        Ok(())
    }

    fn roles(
        &self,
        roles: &BTreeMap<String, String>,
        chain: &[Spanned<String>],
        field: &str,
        allow_empty: bool,
    ) -> Result<(), ProfileError> {
        if chain.is_empty() && !allow_empty {
            return Err(ProfileError {
                line: None,
                field: field.to_string(),
                message: "审批链不能为空，至少需要一级审批人".into(),
            });
        }
        for r in chain {
            if !roles.contains_key(r.get_ref()) {
                return self.err(
                    r.span(),
                    field,
                    format!("未定义的角色“{}”，请先在 [roles] 中定义", r.get_ref()),
                );
            }
        }
        Ok(())
    }

    fn unique_ids<'b>(
        &self,
        ids: impl Iterator<Item = &'b Spanned<String>>,
        field: &str,
    ) -> Result<(), ProfileError> {
        let mut seen = BTreeSet::new();
        for id in ids {
            let s = id.get_ref();
            if s.is_empty()
                || !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return self.err(
                    id.span(),
                    field,
                    format!("标识“{s}”只能由字母、数字、下划线和连字符组成"),
                );
            }
            if !seen.insert(s.clone()) {
                return self.err(id.span(), field, format!("标识“{s}”重复"));
            }
        }
        Ok(())
    }
}

impl Profile {
    /// Parses and checks a profile. Either every check passes or nothing is returned.
    pub fn parse(src: &str) -> Result<Profile, ProfileError> {
        let p: Profile = toml::from_str(src).map_err(|e| {
            let message = e.message().trim().to_string();
            let field = message
                .split('`')
                .nth(1)
                .map(str::to_string)
                .unwrap_or_else(|| "（文件）".into());
            ProfileError {
                line: e.span().map(|s| line_of(src, s.start)),
                field,
                message: format!("格式错误：{}", translate_toml(&message)),
            }
        })?;
        p.check(src)?;
        Ok(p)
    }

    /// A preset by id.
    pub fn preset(id: &str) -> Option<Profile> {
        PRESETS
            .iter()
            .find(|(pid, _)| *pid == id)
            .and_then(|(_, src)| Profile::parse(src).ok())
    }

    fn check(&self, src: &str) -> Result<(), ProfileError> {
        let c = Checker { src };
        if *self.schema.get_ref() != SCHEMA {
            return c.err(
                self.schema.span(),
                "schema",
                format!(
                    "本程序只识别第 {SCHEMA} 版配置，文件为第 {} 版",
                    self.schema.get_ref()
                ),
            );
        }
        c.unique_ids(std::iter::once(&self.id), "id")?;
        if !self.roles.contains_key("officer") {
            return Err(ProfileError {
                line: None,
                field: "roles".into(),
                message: "必须定义 officer（执法人员）角色".into(),
            });
        }
        if self.checklist.is_empty() {
            return Err(ProfileError {
                line: None,
                field: "checklist".into(),
                message: "音像记录清单不能为空".into(),
            });
        }
        c.unique_ids(self.checklist.iter().map(|r| &r.kind), "checklist.kind")?;
        for r in &self.mandatory_rules {
            c.flags(&r.flags, "mandatory_rules.flags")?;
        }
        c.positive(&self.officers.min_per_activity, "officers.min_per_activity")?;
        c.at_most(
            &self.officers.min_per_activity,
            "officers.min_per_activity",
            20,
        )?;
        c.non_negative(&self.pre_use.clock_tolerance_s, "pre_use.clock_tolerance_s")?;
        c.non_negative(&self.pre_use.min_battery_pct, "pre_use.min_battery_pct")?;
        c.at_most(
            &self.pre_use.min_battery_pct,
            "pre_use.min_battery_pct",
            100,
        )?;
        c.non_negative(&self.pre_use.min_free_gb, "pre_use.min_free_gb")?;
        c.non_negative(
            &self.coverage.start_tolerance_s,
            "coverage.start_tolerance_s",
        )?;
        c.non_negative(&self.coverage.end_tolerance_s, "coverage.end_tolerance_s")?;
        c.non_negative(
            &self.segments.split_tolerance_s,
            "segments.split_tolerance_s",
        )?;
        match (&self.offload.base, &self.offload.hours) {
            (DeadlineBase::Hours, None) => {
                return Err(ProfileError {
                    line: None,
                    field: "offload.hours".into(),
                    message: "base = \"hours\" 时必须给出 hours".into(),
                });
            }
            (_, Some(h)) => {
                c.positive(h, "offload.hours")?;
                c.at_most(h, "offload.hours", 24 * 366)?;
            }
            _ => {}
        }
        if let Some(h) = &self.offload.after_return_hours {
            c.positive(h, "offload.after_return_hours")?;
        }
        c.non_negative(&self.offload.link_grace_hours, "offload.link_grace_hours")?;
        if let Some(x) = &self.offload.extension {
            c.positive(&x.working_days, "offload.extension.working_days")?;
            c.at_most(&x.working_days, "offload.extension.working_days", 60)?;
            c.roles(
                &self.roles,
                &x.approvers,
                "offload.extension.approvers",
                false,
            )?;
            c.flags(&x.excluded_flags, "offload.extension.excluded_flags")?;
        }
        let r = &self.retention;
        c.positive(&r.minimum_months, "retention.minimum_months")?;
        c.at_most(&r.minimum_months, "retention.minimum_months", 1200)?;
        c.positive(&r.case_years, "retention.case_years")?;
        c.at_most(&r.case_years, "retention.case_years", 100)?;
        if let Some(d) = &r.case_file_join_days {
            c.positive(d, "retention.case_file_join_days")?;
        }
        for t in &r.triggers {
            c.flags(&t.flags, "retention.triggers.flags")?;
            if !matches!(
                t.class,
                RetentionClass::LongTerm | RetentionClass::Permanent
            ) {
                return Err(ProfileError {
                    line: None,
                    field: "retention.triggers.class".into(),
                    message: "长期保存触发条件的 class 只能是 long_term 或 permanent".into(),
                });
            }
        }
        c.positive(&r.long_term_years, "retention.long_term_years")?;
        c.at_most(&r.long_term_years, "retention.long_term_years", 100)?;
        c.positive(&r.disc_copies, "retention.disc_copies")?;
        if let Some(m) = &r.disc_check_months {
            c.positive(m, "retention.disc_check_months")?;
            c.at_most(m, "retention.disc_check_months", 120)?;
        }
        c.roles(
            &self.roles,
            &r.purge_approvers,
            "retention.purge_approvers",
            false,
        )?;
        c.unique_ids(
            self.norecord.reasons.iter().map(|r| &r.id),
            "norecord.reasons.id",
        )?;
        if self.norecord.reasons.is_empty() {
            return Err(ProfileError {
                line: None,
                field: "norecord.reasons".into(),
                message: "至少需要一种可以不记录的情形".into(),
            });
        }
        c.roles(
            &self.roles,
            &self.norecord.approvers,
            "norecord.approvers",
            false,
        )?;
        c.unique_ids(
            self.interruption.reasons.iter().map(|r| &r.id),
            "interruption.reasons.id",
        )?;
        if let Some(r) = &self.interruption.report_to {
            c.roles(
                &self.roles,
                std::slice::from_ref(r),
                "interruption.report_to",
                false,
            )?;
        }
        c.roles(
            &self.roles,
            &self.access.approvers,
            "access.approvers",
            false,
        )?;
        if self.notification.phrase.trim().is_empty() {
            return Err(ProfileError {
                line: None,
                field: "notification.phrase".into(),
                message: "告知用语不能为空".into(),
            });
        }
        let ratio = *self.sampling.ratio.get_ref();
        if !(ratio > 0.0 && ratio <= 1.0) {
            return c.err(
                self.sampling.ratio.span(),
                "sampling.ratio",
                format!("抽查比例必须在 0 到 1 之间（{ratio}）"),
            );
        }
        let weights = self.sampling.weights.named();
        if let Some((name, w)) = weights.iter().find(|(_, w)| !(w.is_finite() && *w >= 0.0)) {
            return Err(ProfileError {
                line: None,
                field: format!("sampling.weights.{name}"),
                message: format!("考评权重不能为负数（{w}）"),
            });
        }
        let sum: f64 = weights.iter().map(|(_, w)| w).sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(ProfileError {
                line: None,
                field: "sampling.weights".into(),
                message: format!("考评权重之和必须为 1（现为 {sum}）"),
            });
        }
        c.unique_ids(self.violations.iter().map(|v| &v.id), "violations.id")?;
        c.unique_ids(self.sanctions.iter().map(|v| &v.id), "sanctions.id")?;
        for v in self.violations.iter().chain(&self.sanctions) {
            if let Some(m) = &v.suspends_months {
                c.positive(m, "sanctions.suspends_months")?;
                c.at_most(m, "sanctions.suspends_months", 120)?;
            }
        }
        if let Some(r) = &self.annual_review
            && r.deadline(2001).is_none()
        {
            return c.err(
                r.by.span(),
                "annual_review.by",
                format!("“{}”不是月-日（MM-DD），例如 12-31", r.by.get_ref()),
            );
        }
        for (field, k) in self
            .officers
            .applies_to
            .iter()
            .map(|k| ("officers.applies_to", k))
            .chain(
                self.officers
                    .penalty_kinds
                    .iter()
                    .map(|k| ("officers.penalty_kinds", k)),
            )
        {
            if self.kind(k.get_ref()).is_none() {
                return c.err(
                    k.span(),
                    field,
                    format!(
                        "未知的活动类型“{}”，请使用 [[checklist]] 中的 kind",
                        k.get_ref()
                    ),
                );
            }
        }
        for (section, list) in self.agency_choice_lists() {
            let known = AGENCY_CHOICE
                .iter()
                .find(|(s, _)| *s == section)
                .map_or(&[][..], |(_, f)| *f);
            for f in list {
                if !known.contains(&f.get_ref().as_str()) {
                    return c.err(
                        f.span(),
                        &format!("{section}.agency_choice"),
                        format!(
                            "“{}”不是 [{section}] 中可由本单位自定的数值，可选：{}",
                            f.get_ref(),
                            known.join("、")
                        ),
                    );
                }
            }
        }
        for (field, article) in self.citations() {
            if is_national(article) {
                if national_article(article).is_none() {
                    return Err(ProfileError {
                        line: None,
                        field,
                        message: format!(
                            "未收录的法律条文“{article}”，可引用：{}",
                            national_citations().join("、")
                        ),
                    });
                }
            } else if !self.articles.is_empty() && self.quote(article).is_none() {
                return Err(ProfileError {
                    line: None,
                    field,
                    message: format!("引用的条文 {article} 未在 [articles] 中给出原文"),
                });
            }
        }
        Ok(())
    }

    fn agency_choice_lists(&self) -> [(&'static str, &[Spanned<String>]); 8] {
        [
            (
                "annual_review",
                self.annual_review
                    .as_ref()
                    .map_or(&[][..], |r| &r.agency_choice[..]),
            ),
            ("officers", &self.officers.agency_choice),
            ("pre_use", &self.pre_use.agency_choice),
            ("coverage", &self.coverage.agency_choice),
            ("segments", &self.segments.agency_choice),
            ("offload", &self.offload.agency_choice),
            ("retention", &self.retention.agency_choice),
            ("sampling", &self.sampling.agency_choice),
        ]
    }

    /// Every article the profile cites, with the field that cites it.
    pub fn citations(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = Vec::new();
        fn add<'a>(out: &mut Vec<(String, &'a str)>, field: &str, article: &'a str) {
            out.push((field.to_string(), article));
        }
        for r in &self.checklist {
            add(&mut out, "checklist.article", &r.article);
        }
        for r in &self.mandatory_rules {
            add(&mut out, "mandatory_rules.article", &r.article);
        }
        add(&mut out, "officers.article", &self.officers.article);
        add(&mut out, "pre_use.article", &self.pre_use.article);
        add(&mut out, "coverage.article", &self.coverage.article);
        add(&mut out, "segments.article", &self.segments.article);
        add(&mut out, "offload.article", &self.offload.article);
        add(&mut out, "offload.link_article", &self.offload.link_article);
        if let Some(x) = &self.offload.extension {
            add(&mut out, "offload.extension.article", &x.article);
        }
        add(
            &mut out,
            "retention.minimum_article",
            &self.retention.minimum_article,
        );
        add(
            &mut out,
            "retention.case_article",
            &self.retention.case_article,
        );
        for t in &self.retention.triggers {
            add(&mut out, "retention.triggers.article", &t.article);
        }
        add(&mut out, "norecord.article", &self.norecord.article);
        if let Some(a) = &self.norecord.approval_article {
            add(&mut out, "norecord.approval_article", a);
        }
        if let Some(a) = &self.originals.after_the_fact_article {
            add(&mut out, "originals.after_the_fact_article", a);
        }
        if let Some(a) = &self.originals.editing_article {
            add(&mut out, "originals.editing_article", a);
        }
        add(&mut out, "interruption.article", &self.interruption.article);
        add(&mut out, "access.article", &self.access.article);
        add(&mut out, "notification.article", &self.notification.article);
        add(&mut out, "sampling.article", &self.sampling.article);
        for v in &self.violations {
            add(&mut out, "violations.article", &v.article);
        }
        for v in &self.sanctions {
            add(&mut out, "sanctions.article", &v.article);
        }
        if let Some(r) = &self.annual_review {
            add(&mut out, "annual_review.article", &r.article);
        }
        out
    }

    /// The words of an article as the profile cites it (`§13`, `§20(一)`, `§7 附件第3项`, or a
    /// national-law citation such as `行政处罚法 §42`). A clause or annex row not stored on its own
    /// is quoted with its whole article.
    pub fn quote(&self, article: &str) -> Option<&str> {
        if is_national(article) {
            return national_article(article);
        }
        let whole = article.split(['(', '（', ' ']).next().unwrap_or(article);
        self.articles
            .get(article)
            .or_else(|| self.articles.get(whole))
            .map(String::as_str)
    }

    /// The words of an article from its citation as [`Profile::cite`] wrote it.
    pub fn quote_cited(&self, citation: &str) -> Option<&str> {
        match citation
            .strip_prefix(self.id())
            .and_then(|r| r.strip_prefix(' '))
        {
            Some(article) => self.quote(article),
            None => national_article(citation),
        }
    }

    /// Of the parameters a rule applies (`pre_use.clock_tolerance_s`, …), those the profile marks
    /// as the agency's choice rather than the regulation's.
    pub fn agency_choice(&self, params: &[&str]) -> Vec<String> {
        let lists = self.agency_choice_lists();
        params
            .iter()
            .filter(|p| {
                let Some((section, field)) = p.split_once('.') else {
                    return false;
                };
                lists
                    .iter()
                    .any(|(s, l)| *s == section && l.iter().any(|f| f.get_ref() == field))
            })
            .map(|p| p.to_string())
            .collect()
    }

    /// The profile's id, e.g. `jinpu-wj`; messages cite articles with it.
    pub fn id(&self) -> &str {
        self.id.get_ref()
    }

    /// The checklist row for an activity kind.
    pub fn kind(&self, kind: &str) -> Option<&ChecklistRow> {
        self.checklist.iter().find(|r| r.kind.get_ref() == kind)
    }

    /// Cites an article of this profile's regulation, e.g. `jinpu-wj §18` from `§18`; a
    /// national-law citation (`行政处罚法 §42`) stands as written.
    pub fn cite(&self, article: &str) -> String {
        if is_national(article) {
            article.to_string()
        } else {
            format!("{} {}", self.id(), article)
        }
    }

    /// The Chinese title of a role id, or the id itself when the profile does not define it.
    pub fn role_label<'a>(&'a self, role: &'a str) -> &'a str {
        self.roles.get(role).map(String::as_str).unwrap_or(role)
    }
}

/// The numbers a profile may mark as the agency's choice, by table: the ones a regulation can
/// leave open.
pub const AGENCY_CHOICE: [(&str, &[&str]); 8] = [
    ("annual_review", &["by"]),
    ("officers", &["min_per_activity"]),
    (
        "pre_use",
        &["clock_tolerance_s", "min_battery_pct", "min_free_gb"],
    ),
    ("coverage", &["start_tolerance_s", "end_tolerance_s"]),
    ("segments", &["split_tolerance_s"]),
    (
        "offload",
        &["base", "hours", "after_return_hours", "link_grace_hours"],
    ),
    (
        "retention",
        &[
            "minimum_months",
            "case_years",
            "case_file_join_days",
            "long_term_years",
            "disc_copies",
            "disc_check_months",
        ],
    ),
    ("sampling", &["ratio", "weights"]),
];

/// A citation of national law (`行政处罚法 §42`) rather than of the profile's own regulation
/// (`§13`, `§7 附件第1项`).
fn is_national(article: &str) -> bool {
    !article.starts_with('§')
}

/// A value given by a person (on the command line, in a form) that the profile or the engine does
/// not know, with the accepted choices. `Display` is the Chinese sentence shown to them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{given}”不是{what}，可选：{}", .choices.iter().map(|(id, label)| format!("{id}（{label}）")).collect::<Vec<_>>().join("、"))]
pub struct NotInProfile {
    /// What was expected, e.g. "zhejiang-rf §9 允许的不记录情形".
    pub what: String,
    /// The value given (trimmed).
    pub given: String,
    /// The accepted (id, label) pairs, in the profile's order.
    pub choices: Vec<(String, String)>,
}

impl Profile {
    /// A reason allowed for not recording an activity (R10), by id (surrounding spaces ignored).
    pub fn norecord_reason(&self, id: &str) -> Result<&Reason, NotInProfile> {
        let id = id.trim();
        self.norecord
            .reasons
            .iter()
            .find(|r| r.id.get_ref() == id)
            .ok_or_else(|| NotInProfile {
                what: format!("{} 允许的不记录情形", self.cite(&self.norecord.article)),
                given: id.to_string(),
                choices: reason_choices(&self.norecord.reasons),
            })
    }

    /// A reason allowed for interrupting a recording (R11), by id (surrounding spaces ignored).
    pub fn interruption_reason(&self, id: &str) -> Result<&Reason, NotInProfile> {
        let id = id.trim();
        self.interruption
            .reasons
            .iter()
            .find(|r| r.id.get_ref() == id)
            .ok_or_else(|| NotInProfile {
                what: format!("{} 允许的中断原因", self.cite(&self.interruption.article)),
                given: id.to_string(),
                choices: reason_choices(&self.interruption.reasons),
            })
    }

    /// The checklist row of an activity kind (R6, R7), by id (surrounding spaces ignored); an
    /// activity of a kind the profile does not list cannot be registered.
    pub fn activity_kind(&self, id: &str) -> Result<&ChecklistRow, NotInProfile> {
        let id = id.trim();
        self.kind(id).ok_or_else(|| NotInProfile {
            what: format!("配置 {} 中的活动类型", self.id()),
            given: id.to_string(),
            choices: self
                .checklist
                .iter()
                .map(|r| (r.kind.get_ref().clone(), r.situation.clone()))
                .collect(),
        })
    }

    /// The title of a role the profile defines, by id (surrounding spaces ignored); officers can
    /// only be given roles that approval chains can name.
    pub fn check_role(&self, id: &str) -> Result<&str, NotInProfile> {
        let id = id.trim();
        self.roles
            .get(id)
            .map(String::as_str)
            .ok_or_else(|| NotInProfile {
                what: format!("配置 {} 中的角色", self.id()),
                given: id.to_string(),
                choices: self
                    .roles
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            })
    }

    /// [`OffloadRule::describe`] with the extension's approvers named by their titles in this
    /// profile, e.g. "…；经本处室负责人批准可延长至 2 个工作日（…的除外）".
    pub fn describe_offload(&self) -> String {
        self.offload.describe_with(Some(self))
    }
}

fn reason_choices(reasons: &[Reason]) -> Vec<(String, String)> {
    reasons
        .iter()
        .map(|r| (r.id.get_ref().clone(), r.label.clone()))
        .collect()
}

/// The label of an activity flag the engine knows ([`FLAGS`]), by id (surrounding spaces
/// ignored); activities can only carry flags that rules can refer to.
pub fn check_flag(flag: &str) -> Result<&'static str, NotInProfile> {
    let flag = flag.trim();
    FLAGS
        .iter()
        .find(|(id, _)| *id == flag)
        .map(|(_, l)| *l)
        .ok_or_else(|| NotInProfile {
            what: "已知的活动标记".into(),
            given: flag.to_string(),
            choices: FLAGS
                .iter()
                .map(|(id, l)| (id.to_string(), l.to_string()))
                .collect(),
        })
}

/// The TOML parser's messages are English; the common ones get a Chinese lead.
fn translate_toml(message: &str) -> String {
    let lead = if message.starts_with("unknown field") {
        "未知字段"
    } else if message.starts_with("missing field") {
        "缺少必填字段"
    } else if message.starts_with("invalid type") {
        "类型错误"
    } else if message.starts_with("unknown variant") {
        "取值不在允许范围内"
    } else if message.contains("duplicate key") {
        "键重复"
    } else {
        "无法解析"
    };
    format!("{lead}（{message}）")
}
