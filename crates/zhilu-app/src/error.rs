//! The application's error type: one matchable variant per way a use case can refuse or fail.
//!
//! Display strings are Chinese and name the thing concerned and what is wrong, but never a
//! command-line flag or a command: the edges (CLI, web) add their own hints, keyed by
//! [`AppError::code`].

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use zhilu_model::{DeviceSerial, DeviceStatus, IdError};
use zhilu_policy::approval::Refusal;
use zhilu_policy::profile::{NotInProfile, ProfileError};
use zhilu_store::StoreError;

use crate::time::beijing;

/// An input field, named the way people know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Actor,
    Serial,
    DeviceKind,
    Model,
    AssetNo,
    Unit,
    Keeper,
    Event,
    Detail,
    Device,
    Officer,
    Officers,
    Station,
    Name,
    Role,
    Battery,
    FreeGb,
    ActivityKind,
    SubjectName,
    SubjectCode,
    Place,
    Start,
    End,
    Case,
    Flag,
    Recording,
    Activity,
    Reason,
    Basis,
    Record,
    Hold,
    Profile,
    Calendar,
    Time,
    Source,
    VaultRoots,
    Key,
    Url,
    User,
    Password,
    Clearance,
    Certificate,
    AccessKind,
    Days,
    Grant,
    Item,
    Disc,
    Location,
    /// A finding's workflow state (issue 14).
    FindingState,
    /// A cost's amount in yuan (R31).
    Amount,
    CostKind,
    /// A calendar day typed as `YYYY-MM-DD`.
    Day,
    Year,
    /// A sampling draw's seed (R27).
    Seed,
    /// A period typed as `2026-Q4`, `2026-11`, `2026` or `from..to` (R27).
    Period,
    /// A sampling ratio (R27).
    Ratio,
    /// A check item of a sampling review (R27).
    ReviewItem,
    /// A reviewer's comment (R27).
    Comment,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Actor => "操作人",
            Field::Serial => "设备编号",
            Field::DeviceKind => "设备类型",
            Field::Model => "型号",
            Field::AssetNo => "资产编号",
            Field::Unit => "单位",
            Field::Keeper => "保管人",
            Field::Event => "设备事件",
            Field::Detail => "说明",
            Field::Device => "设备编号",
            Field::Officer => "执法人员编号",
            Field::Officers => "执法人员",
            Field::Station => "采集站编号",
            Field::Name => "姓名",
            Field::Role => "角色",
            Field::Battery => "电量",
            Field::FreeGb => "剩余空间",
            Field::ActivityKind => "活动类型",
            Field::SubjectName => "当事人名称",
            Field::SubjectCode => "当事人证件号码",
            Field::Place => "地点",
            Field::Start => "开始时间",
            Field::End => "结束时间",
            Field::Case => "案件编号",
            Field::Flag => "活动标记",
            Field::Recording => "音像记录",
            Field::Activity => "执法活动编号",
            Field::Reason => "原因",
            Field::Basis => "依据",
            Field::Record => "事项编号",
            Field::Hold => "保全编号",
            Field::Profile => "执法规范配置",
            Field::Calendar => "工作日历",
            Field::Time => "时间",
            Field::Source => "设备目录",
            Field::VaultRoots => "存储位置",
            Field::Key => "公钥",
            Field::Url => "地址",
            Field::User => "用户编号",
            Field::Password => "密码",
            Field::Clearance => "密级授权",
            Field::Certificate => "执法证",
            Field::AccessKind => "调阅方式",
            Field::Days => "期限（天）",
            Field::Grant => "授权编号",
            Field::Item => "对象",
            Field::Disc => "光盘编号",
            Field::Location => "存放位置",
            Field::FindingState => "问题状态",
            Field::Amount => "金额",
            Field::CostKind => "费用类别",
            Field::Day => "日期",
            Field::Year => "年度",
            Field::Seed => "种子",
            Field::Period => "期间",
            Field::Ratio => "抽查比例",
            Field::ReviewItem => "评查项目",
            Field::Comment => "评查意见",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A kind of thing that can be missing or already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thing {
    Device,
    Officer,
    Activity,
    Recording,
    Approval,
    Hold,
    AccessRequest,
    /// A purge request (R20).
    PurgeRequest,
    Station,
    /// An offload session (采集批次).
    OffloadSession,
    Witness,
    User,
    Grant,
    /// A preservation disc copy (R21).
    Disc,
    /// A sampling review's draw (R27).
    SampleDraw,
    /// A review of a sampled activity (R27).
    SampleReview,
    /// A finding kept as a work item (issue 14).
    Finding,
    /// A violation recorded against an officer (R29).
    Violation,
    /// A networked station's resumable upload (issue 15).
    Upload,
}

impl Thing {
    pub fn label(self) -> &'static str {
        match self {
            Thing::Device => "设备",
            Thing::OffloadSession => "采集批次",
            Thing::Officer => "执法人员",
            Thing::Activity => "执法活动",
            Thing::Recording => "音像记录",
            Thing::Approval => "待审批事项",
            Thing::Hold => "保全",
            Thing::AccessRequest => "调阅申请",
            Thing::PurgeRequest => "清除申请",
            Thing::Station => "采集站",
            Thing::Witness => "见证",
            Thing::User => "用户",
            Thing::Grant => "调阅授权",
            Thing::Disc => "长期保存光盘",
            Thing::SampleDraw => "抽查样本",
            Thing::SampleReview => "抽查评查记录",
            Thing::Finding => "问题",
            Thing::Violation => "违规记录",
            Thing::Upload => "上传",
        }
    }
}

impl Thing {
    /// How a missing one is described: a person or device is "not registered", a record "does
    /// not exist".
    fn missing(self) -> &'static str {
        match self {
            Thing::Device | Thing::Officer | Thing::Station | Thing::User => "未登记",
            _ => "不存在",
        }
    }
}

impl fmt::Display for Thing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("数据目录 {0} 尚未初始化")]
    NotInitialized(PathBuf),
    #[error("尚未选择执法规范配置")]
    NoProfile,
    #[error("编目库 {0} 不存在：数据目录不完整，不会新建一个空的编目库代替它")]
    CatalogMissing(PathBuf),
    #[error(
        "编目库的审计日志只有 {catalog} 条，而本数据目录签名的检查点记录了 {signed} 条：编目库被回滚，或打开的不是本数据目录的编目库；拒绝写入"
    )]
    CatalogBehind { catalog: u64, signed: u64 },
    #[error(
        "数据目录 {} 不是以重放模式创建的：指定“现在”的时间只能用于演示、测试、培训用的重放目录；正式目录的时间只取系统时钟",
        .0.display()
    )]
    ReplayNotAllowed(PathBuf),
    #[error("证据存储位置 {} 不存在：存储盘可能没有挂载，不会新建一个空目录代替它", .0.display())]
    VaultRootMissing(PathBuf),
    #[error("{field}无效：{reason}")]
    Invalid { field: Field, reason: String },
    #[error("{what} {id} {}", what.missing())]
    NotFound { what: Thing, id: String },
    #[error("{what} {id} 已登记，不能重复登记")]
    AlreadyExists { what: Thing, id: String },
    #[error("以 {prefix} 开头的音像记录不止一个（{count} 个以上），请多输入几位哈希值")]
    AmbiguousPrefix { prefix: String, count: usize },
    #[error("设备 {0} 未登记，拒绝导入，未导入任何文件")]
    DeviceNotRegistered(DeviceSerial),
    #[error("执法人员 {0} 未登记，拒绝导入，未导入任何文件：请先登记该执法人员")]
    OfficerNotRegistered(zhilu_model::OfficerId),
    #[error("设备 {serial} 状态为“{}”，不能领用", status.label())]
    DeviceNotInService {
        serial: DeviceSerial,
        status: DeviceStatus,
    },
    #[error(
        "设备 {serial} 已由 {officer} 于 {} 领用且尚未归还（领用单 {checkout}），不能重复领用",
        beijing(*since)
    )]
    DeviceAlreadyOut {
        serial: DeviceSerial,
        officer: String,
        since: DateTime<Utc>,
        checkout: String,
    },
    #[error("设备 {0} 当前没有未归还的领用记录")]
    NoOpenCheckout(DeviceSerial),
    #[error("设备 {0} 正在另一个导入过程中，请等它结束后再试")]
    OffloadInProgress(DeviceSerial),
    #[error("{0}")]
    NotInProfile(#[from] NotInProfile),
    #[error("{message}")]
    ApprovalRefused { refusal: Refusal, message: String },
    #[error("{actor} 不是已登记的执法人员，不能{action}")]
    ActorNotOfficer { actor: String, action: &'static str },
    #[error("配置 {profile} 的导出期限不允许延期（{article}）")]
    ExtensionNotAllowed { profile: String, article: String },
    #[error("保全 {0} 已解除")]
    HoldAlreadyReleased(String),
    #[error("无法读取设备目录 {path}：{reason}")]
    SourceUnreadable { path: PathBuf, reason: String },
    #[error(
        "设备目录 {} 与证据库的目录 {} 重叠（就是它、在它里面或包含它），拒绝导入，未作任何改动：请选择执法记录仪挂载的目录",
        path.display(),
        store.display()
    )]
    SourceIsEvidenceStore { path: PathBuf, store: PathBuf },
    #[error("设备目录 {0} 中没有任何文件：请确认设备已连接并已挂载，未导入任何内容")]
    EmptySource(PathBuf),
    #[error("数据目录已启用执法规范配置 {current}，初始化不会更换为 {requested}")]
    ProfileAlreadySet { current: String, requested: String },
    #[error("执法规范配置 {origin} 有误，未作任何改动：{error}")]
    Profile { origin: String, error: ProfileError },
    #[error("没有名为“{given}”的预置配置，可选：{choices}")]
    UnknownPreset { given: String, choices: String },
    #[error("工作日历有误，未作任何改动：{0}")]
    Calendar(String),
    #[error("配置文件 {path} 有误：{message}")]
    Config { path: PathBuf, message: String },
    #[error("{0} 已被他人同时修改，未作任何改动，请重试")]
    Conflict(String),
    #[error("{0}")]
    Store(StoreError),
    #[error("审计日志错误：{0}")]
    Ledger(#[from] zhilu_ledger::LedgerError),
    #[error("文件操作失败（{}）：{}", path.display(), zhilu_model::explain::io_error(source))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("导入中断：{0}")]
    OffloadFailed(String),
    #[error("{0}")]
    WitnessAnswer(String),
    #[error("{actor} 无权{action}")]
    Forbidden { actor: String, action: &'static str },
    #[error("用户名或密码错误")]
    LoginFailed,
    #[error("密码连续输错次数过多，账号已锁定至 {}，请稍后再试或联系系统管理员", beijing(*until))]
    LockedOut { until: DateTime<Utc> },
    #[error("账号 {0} 已停用")]
    AccountDisabled(String),
    #[error("密码强度不足：{0}")]
    WeakPassword(String),
    #[error("未登录或登录已过期，请重新登录")]
    NotAuthenticated,
    #[error("{action}须登录后在系统中办理（命令行只能在演示、测试、培训用的重放目录中{action}）")]
    SessionRequired { action: &'static str },
    #[error("三员分立：{0}")]
    SeparationOfDuties(String),
    #[error("没有可用的调阅授权：{0}")]
    NoGrant(String),
    /// The recording was purged after an approved request (R20): its bytes no longer exist.
    #[error("音像记录 {sha256} 已于 {} 经审批清除（清除申请 {request}），原始文件已不存在", beijing(*at))]
    Purged {
        sha256: String,
        at: DateTime<Utc>,
        request: String,
    },
    /// A purge request or its execution refused (R20): the message names the item and why.
    #[error("{0}")]
    PurgeRefused(String),
    /// A sampling draw or review refused (R27): the message says why.
    #[error("{0}")]
    SampleRefused(String),
    /// The officer is under a sanction that stops enforcement work (R29) on that day.
    #[error("执法人员 {officer} 在 {from} 至 {last} 停止执法（处理决定 {sanction}），不能领用设备")]
    Suspended {
        officer: String,
        from: chrono::NaiveDate,
        /// The last day of the suspension.
        last: chrono::NaiveDate,
        sanction: String,
    },
    #[error("{0} 是未登记的用户，不能操作：请用 --actor 指定已登记的用户编号")]
    UnknownActor(String),
    #[error("原始音像记录不能修改或删除（{0}）：此请求已拒绝并记入审计日志")]
    OriginalsImmutable(String),
    #[error("请求内容过大：{0}")]
    TooLarge(String),
    #[error("密码由管理员设置，须先修改为自己的密码才能继续操作")]
    PasswordChangeRequired,
    /// No viewing copy can be made for footage the browser cannot play (no ffmpeg, or it
    /// failed); the message says what to do instead.
    #[error("{0}")]
    ViewingCopy(String),
    #[error(
        "导出目录 {} 与证据库的目录 {} 重叠（就是它、在它里面或包含它），拒绝导出：请选择数据目录和存储位置之外的目录",
        path.display(),
        store.display()
    )]
    ExportIntoStore { path: PathBuf, store: PathBuf },
    #[error("导出目录 {} 已存在且不是空目录，拒绝导出：请指定一个不存在的或空的目录", .0.display())]
    ExportTargetNotEmpty(PathBuf),
    /// The bytes read for an export do not match the catalog; the partial output was removed.
    #[error("导出中止，已删除导出的内容：{0}")]
    ExportMismatch(String),
    /// An evidence package does not verify: the first problem, naming the file.
    #[error("证据包{0}")]
    ExportInvalid(String),
    /// The written statement cannot be made (no CJK font, a glyph missing): nothing was written.
    #[error("无法制作证据提取说明（statement.pdf），未导出任何内容：{0}")]
    ExportStatement(String),
    /// The disc image(s) of a package cannot be written; the package and images were removed.
    #[error("光盘映像无法写入，已删除导出的内容：{0}")]
    ExportDisc(String),
    /// A finding's workflow refuses the step in its current state (issue 14); the message names
    /// the finding and its state.
    #[error("{0}")]
    FindingRefused(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(s) => AppError::Conflict(s),
            e => AppError::Store(e),
        }
    }
}

impl AppError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AppError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(field: Field, reason: impl Into<String>) -> Self {
        AppError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// A stable machine code for the kind of error (JSON `code`, API responses, CLI hints).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotInitialized(_) => "not_initialized",
            AppError::NoProfile => "no_profile",
            AppError::CatalogMissing(_) => "catalog_missing",
            AppError::CatalogBehind { .. } => "catalog_behind",
            AppError::VaultRootMissing(_) => "vault_root_missing",
            AppError::ReplayNotAllowed(_) => "replay_not_allowed",
            AppError::Invalid { .. } => "invalid",
            AppError::NotFound { .. } => "not_found",
            AppError::AlreadyExists { .. } => "already_exists",
            AppError::AmbiguousPrefix { .. } => "ambiguous_prefix",
            AppError::DeviceNotRegistered(_) => "device_not_registered",
            AppError::OfficerNotRegistered(_) => "officer_not_registered",
            AppError::DeviceNotInService { .. } => "device_not_in_service",
            AppError::DeviceAlreadyOut { .. } => "device_already_out",
            AppError::NoOpenCheckout(_) => "no_open_checkout",
            AppError::OffloadInProgress(_) => "offload_in_progress",
            AppError::NotInProfile(_) => "not_in_profile",
            AppError::ApprovalRefused { .. } => "approval_refused",
            AppError::ActorNotOfficer { .. } => "actor_not_officer",
            AppError::ExtensionNotAllowed { .. } => "extension_not_allowed",
            AppError::HoldAlreadyReleased(_) => "hold_already_released",
            AppError::SourceUnreadable { .. } => "source_unreadable",
            AppError::SourceIsEvidenceStore { .. } => "source_is_evidence_store",
            AppError::EmptySource(_) => "empty_source",
            AppError::ProfileAlreadySet { .. } => "profile_already_set",
            AppError::Profile { .. } => "profile_invalid",
            AppError::UnknownPreset { .. } => "unknown_preset",
            AppError::Calendar(_) => "calendar_invalid",
            AppError::Config { .. } => "config_invalid",
            AppError::Conflict(_) => "conflict",
            AppError::Store(_) => "store",
            AppError::Ledger(_) => "ledger",
            AppError::Io { .. } => "io",
            AppError::OffloadFailed(_) => "offload_failed",
            AppError::WitnessAnswer(_) => "witness_answer",
            AppError::Forbidden { .. } => "forbidden",
            AppError::LoginFailed => "login_failed",
            AppError::LockedOut { .. } => "locked_out",
            AppError::AccountDisabled(_) => "account_disabled",
            AppError::WeakPassword(_) => "weak_password",
            AppError::NotAuthenticated => "not_authenticated",
            AppError::SessionRequired { .. } => "session_required",
            AppError::SeparationOfDuties(_) => "separation_of_duties",
            AppError::NoGrant(_) => "no_grant",
            AppError::Purged { .. } => "purged",
            AppError::PurgeRefused(_) => "purge_refused",
            AppError::SampleRefused(_) => "sample_refused",
            AppError::Suspended { .. } => "officer_suspended",
            AppError::UnknownActor(_) => "unknown_actor",
            AppError::OriginalsImmutable(_) => "originals_immutable",
            AppError::TooLarge(_) => "too_large",
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::ViewingCopy(_) => "viewing_copy_unavailable",
            AppError::ExportIntoStore { .. } => "export_into_store",
            AppError::ExportTargetNotEmpty(_) => "export_target_not_empty",
            AppError::ExportMismatch(_) => "export_mismatch",
            AppError::ExportInvalid(_) => "export_invalid",
            AppError::ExportStatement(_) => "export_statement",
            AppError::ExportDisc(_) => "export_disc",
            AppError::FindingRefused(_) => "finding_refused",
        }
    }
}

/// Checks an identifier typed by a person.
pub(crate) fn id<T>(
    field: Field,
    parse: fn(&str) -> Result<T, IdError>,
    s: &str,
) -> Result<T, AppError> {
    parse(s).map_err(|e| AppError::invalid(field, e.to_string()))
}
