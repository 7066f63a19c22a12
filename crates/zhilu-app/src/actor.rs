//! Who is acting, as a value every use case takes, and what they may do (one permission table).
//!
//! An [`Actor`] for a person is made only by the app from a registered, enabled account: from a
//! login session ([`crate::identity::session_actor`]) or, at the shell, from `--actor`
//! ([`crate::identity::cli_actor`]). Its roles and clearances come from the catalog, never from
//! the edge. Every use case asks the actor before it reads or writes ([`Actor::require`]), so no
//! edge — CLI, API or page — can skip the check.

use zhilu_model::{FixedRole, OfficerId, Secrecy};

use crate::error::{AppError, Field};

/// How the actor reached the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A login session (API or web page): the person proved who they are.
    Session,
    /// The shell: `--actor` names a registered user; the OS user is recorded beside it. Only the
    /// account's owner can prove who they are, so approving and granting are refused here unless
    /// the data directory is a replay (tests, training).
    Cli { os_user: String },
    /// A part of the system acting on its own (automatic links, fixity).
    System,
    /// A networked collection station, by its registered bearer credential (R16): it may only
    /// upload device files (`station::uploads`), never read.
    Station,
    /// Test suites only (`testing` feature, never in a production build): every permission.
    #[cfg(feature = "testing")]
    Test,
}

/// Something a person may be allowed to do. Approving is not here: who approves is the profile's
/// chain, decided by `zhilu_policy::approval` from the actor's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Create, disable and reset the password of users; register units' people (系统管理员).
    ManageUsers,
    /// Register devices and stations, record their lifecycle (系统管理员).
    ManageDevices,
    /// Give roles and clearances (安全保密管理员); never to oneself.
    AssignRoles,
    /// Read the audit trail: the ledger, logins, verify (安全审计员).
    ReadAudit,
    /// Check devices out and in (R3, R4).
    Checkout,
    /// Offload a device at a station.
    Offload,
    /// Register activities, links and written records (non-recording, interruption, extension).
    WriteRecords,
    /// Place and release legal holds.
    Hold,
    /// Ask to view or copy recordings (R23).
    RequestAccess,
    /// Revoke a grant before it expires.
    RevokeGrant,
    /// Read the custodian's register of access (R23).
    ReadRegister,
    /// Read activities, recordings (metadata, not footage), written records.
    ReadRecords,
    /// Read findings of the compliance check.
    ReadFindings,
    /// Read devices, their history, checkouts and offloads (R30).
    ReadDevices,
    /// Set the confidentiality class of a recording or an activity (R25).
    Classify,
    /// Read retention dates and approvals waiting.
    ReadRetention,
    /// Read the list of users.
    ReadUsers,
    /// Ask to purge recordings past their retention date, and execute an approved purge (R20).
    Purge,
    /// Make preservation discs and keep their register: place, check (R21).
    Preserve,
    /// Download an evidence package's disc image another person made on their grant (R22): the
    /// maker always may; the custodian and the legal office check what left the vault.
    DownloadExports,
    /// Acknowledge a finding about oneself and report its rectification (整改).
    AnswerFindings,
    /// Close a rectified finding or reopen one (supervision).
    ManageFindings,
    /// Draw a sampling review's sample (R27).
    DrawSample,
    /// Score sampled activities (R27); never one's own.
    ReviewSample,
    /// Read samples, reviews, the quality assessment, violations, sanctions and annual reviews
    /// (R27–R30).
    ReadSupervision,
    /// Record violations, sanctions and annual reviews (R28, R29).
    RecordAccountability,
    /// Record devices' purchase and maintenance costs (R31).
    ManageCosts,
    /// Read devices' costs and the yearly cost report (R31).
    ReadCosts,
    /// Register and revoke networked collection stations' credentials (系统管理员; R16).
    ManageStations,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::ManageUsers,
        Action::ManageDevices,
        Action::AssignRoles,
        Action::ReadAudit,
        Action::Checkout,
        Action::Offload,
        Action::WriteRecords,
        Action::Hold,
        Action::RequestAccess,
        Action::RevokeGrant,
        Action::ReadRegister,
        Action::ReadRecords,
        Action::ReadFindings,
        Action::ReadDevices,
        Action::Classify,
        Action::ReadRetention,
        Action::ReadUsers,
        Action::Purge,
        Action::Preserve,
        Action::DownloadExports,
        Action::AnswerFindings,
        Action::ManageFindings,
        Action::DrawSample,
        Action::ReviewSample,
        Action::ReadSupervision,
        Action::RecordAccountability,
        Action::ManageCosts,
        Action::ReadCosts,
        Action::ManageStations,
    ];

    /// Whether the action only reads.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Action::ReadAudit
                | Action::ReadRegister
                | Action::ReadRecords
                | Action::ReadFindings
                | Action::ReadDevices
                | Action::ReadRetention
                | Action::ReadUsers
                | Action::ReadSupervision
                | Action::ReadCosts
        )
    }

    /// What it is called in a refusal.
    pub fn label(self) -> &'static str {
        match self {
            Action::ManageUsers => "管理用户",
            Action::ManageDevices => "管理设备",
            Action::AssignRoles => "授予角色和密级",
            Action::ReadAudit => "查看审计日志",
            Action::Checkout => "办理设备领用归还",
            Action::Offload => "导入音像记录",
            Action::WriteRecords => "登记执法活动和书面记录",
            Action::Hold => "设置或解除保全",
            Action::RequestAccess => "申请调阅",
            Action::RevokeGrant => "撤销调阅授权",
            Action::ReadRegister => "查看调阅登记簿",
            Action::ReadRecords => "查看执法记录",
            Action::ReadFindings => "查看检查发现的问题",
            Action::ReadDevices => "查看设备及其履历",
            Action::Classify => "设置密级",
            Action::ReadRetention => "查看保存期限和待审批事项",
            Action::ReadUsers => "查看用户",
            Action::Purge => "申请和执行清除到期音像记录",
            Action::Preserve => "制作长期保存光盘并登记核查",
            Action::DownloadExports => "下载他人制作的证据包",
            Action::AnswerFindings => "确认问题并报告整改",
            Action::ManageFindings => "关闭或重新打开问题",
            Action::DrawSample => "抽取抽查样本",
            Action::ReviewSample => "评查抽查样本",
            Action::ReadSupervision => "查看抽查评查、考评和责任追究",
            Action::RecordAccountability => "登记违规行为、处理措施和年度评查",
            Action::ManageCosts => "登记设备购置和维护费用",
            Action::ReadCosts => "查看设备费用",
            Action::ManageStations => "管理采集站凭据",
        }
    }
}

/// How far a permission reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// What the person is named on (their own activities, recordings, requests).
    Own,
    /// Everything of their unit.
    Unit,
    /// Everything.
    All,
}

use Action as A;
use FixedRole as R;
use Scope::*;

/// The permission table: which fixed role may do what, how far. Profile roles (the approvers of
/// a chain, e.g. 主管领导) read the records they approve ([`PROFILE_APPROVER`]). Administrators
/// never read evidence records: 三员分立 keeps them to users and devices, roles and clearances,
/// and the audit trail.
pub const PERMISSIONS: &[(FixedRole, Action, Scope)] = &[
    (R::Officer, A::Offload, Own),
    (R::Officer, A::WriteRecords, Own),
    (R::Officer, A::RequestAccess, All),
    (R::Officer, A::ReadRecords, Own),
    (R::Officer, A::ReadFindings, Own),
    (R::Officer, A::ReadDevices, Own),
    (R::Officer, A::AnswerFindings, Own),
    (R::Officer, A::ReadSupervision, Own),
    (R::UnitHead, A::Offload, Unit),
    (R::UnitHead, A::WriteRecords, Unit),
    (R::UnitHead, A::Checkout, Unit),
    (R::UnitHead, A::RequestAccess, All),
    (R::UnitHead, A::ReadRecords, Unit),
    (R::UnitHead, A::ReadFindings, Unit),
    (R::UnitHead, A::ReadDevices, Unit),
    (R::UnitHead, A::ReadRetention, Unit),
    (R::UnitHead, A::Classify, Unit),
    (R::UnitHead, A::AnswerFindings, Unit),
    (R::UnitHead, A::ReadSupervision, Unit),
    (R::UnitHead, A::ReadCosts, Unit),
    (R::Custodian, A::Checkout, All),
    (R::Custodian, A::Offload, All),
    (R::Custodian, A::WriteRecords, All),
    (R::Custodian, A::Hold, All),
    (R::Custodian, A::RequestAccess, All),
    (R::Custodian, A::RevokeGrant, All),
    (R::Custodian, A::ReadRegister, All),
    (R::Custodian, A::ReadRecords, All),
    (R::Custodian, A::ReadDevices, All),
    (R::Custodian, A::ReadRetention, All),
    (R::Custodian, A::Purge, All),
    (R::Custodian, A::Preserve, All),
    (R::Custodian, A::DownloadExports, All),
    (R::Custodian, A::ManageCosts, All),
    (R::Custodian, A::ReadCosts, All),
    (R::Legal, A::RequestAccess, All),
    (R::Legal, A::RevokeGrant, All),
    (R::Legal, A::ReadRegister, All),
    (R::Legal, A::ReadRecords, All),
    (R::Legal, A::ReadFindings, All),
    (R::Legal, A::ReadDevices, All),
    (R::Legal, A::ReadRetention, All),
    (R::Legal, A::Hold, All),
    (R::Legal, A::Classify, All),
    (R::Legal, A::DownloadExports, All),
    (R::Legal, A::ReadSupervision, All),
    (R::Legal, A::ReadCosts, All),
    (R::Leader, A::RequestAccess, All),
    (R::Leader, A::RevokeGrant, All),
    (R::Leader, A::ReadRegister, All),
    (R::Leader, A::ReadRecords, All),
    (R::Leader, A::ReadFindings, All),
    (R::Leader, A::ReadDevices, All),
    (R::Leader, A::ReadRetention, All),
    (R::Leader, A::ReadSupervision, All),
    (R::Leader, A::ReadCosts, All),
    (R::Supervisor, A::ReadRegister, All),
    (R::Supervisor, A::ReadRecords, All),
    (R::Supervisor, A::ReadFindings, All),
    (R::Supervisor, A::ReadDevices, All),
    (R::Supervisor, A::ManageFindings, All),
    (R::Supervisor, A::DrawSample, All),
    (R::Supervisor, A::ReviewSample, All),
    (R::Supervisor, A::ReadSupervision, All),
    (R::Supervisor, A::RecordAccountability, All),
    (R::Supervisor, A::ReadCosts, All),
    // 上级监督机关: a supervising body above several agencies, given an account in each; it
    // reads records, device history, findings and supervision, and writes nothing (not even an
    // access request: footage stays behind the agency's own approval chain).
    (R::SuperiorOversight, A::ReadRecords, All),
    (R::SuperiorOversight, A::ReadFindings, All),
    (R::SuperiorOversight, A::ReadDevices, All),
    (R::SuperiorOversight, A::ReadSupervision, All),
    (R::SuperiorOversight, A::ReadRegister, All),
    (R::SuperiorOversight, A::ReadRetention, All),
    (R::SuperiorOversight, A::ReadCosts, All),
    (R::SystemAdmin, A::ManageUsers, All),
    (R::SystemAdmin, A::ManageDevices, All),
    (R::SystemAdmin, A::ReadUsers, All),
    (R::SystemAdmin, A::ReadDevices, All),
    (R::SystemAdmin, A::ManageStations, All),
    (R::SecurityAdmin, A::AssignRoles, All),
    (R::SecurityAdmin, A::ReadUsers, All),
    (R::SecurityAdmin, A::Classify, All),
    (R::AuditAdmin, A::ReadAudit, All),
    (R::AuditAdmin, A::ReadUsers, All),
];

/// What a role of the profile that is not a fixed role (an approver such as 分管副局长) may do:
/// read the records and the register, to decide what they are asked to approve.
pub const PROFILE_APPROVER: &[(Action, Scope)] = &[
    (A::ReadRecords, All),
    (A::ReadRegister, All),
    (A::ReadRetention, All),
    (A::RequestAccess, All),
];

/// The person (or part of the system) on whose behalf a use case runs. Its name is what the
/// audit ledger records as `actor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    name: String,
    person: Option<OfficerId>,
    unit: Option<String>,
    roles: Vec<String>,
    clearances: Vec<Secrecy>,
    via: Via,
    /// Logged in with a password an administrator set: nothing is allowed but changing it.
    must_change_password: bool,
}

/// Whom a record concerns, for a scoped permission.
#[derive(Debug, Clone, Copy, Default)]
pub struct Target<'a> {
    /// The people it names (officers of an activity, the officer of a recording, a requester).
    pub people: &'a [OfficerId],
    /// Their units.
    pub units: &'a [String],
}

impl Actor {
    /// A registered user, as the app builds it from their account.
    pub(crate) fn user(
        id: OfficerId,
        unit: String,
        roles: Vec<String>,
        clearances: Vec<Secrecy>,
        via: Via,
    ) -> Actor {
        let name = match &via {
            Via::Cli { os_user } => format!("{id} (cli:{os_user})"),
            _ => id.to_string(),
        };
        Actor {
            name,
            person: Some(id),
            unit: Some(unit),
            roles,
            clearances,
            via,
            must_change_password: false,
        }
    }

    /// The operator at the shell reading the data directory (see
    /// [`crate::identity::shell::shell_reader`]): `shell:<os user>`, no person, the fixed roles
    /// 法制 and 监督 and every clearance.
    pub(crate) fn shell(os_user: &str) -> Actor {
        Actor {
            name: format!("shell:{os_user}"),
            person: None,
            unit: None,
            roles: vec![
                FixedRole::Legal.as_str().to_string(),
                FixedRole::Supervisor.as_str().to_string(),
            ],
            clearances: Secrecy::ALL.to_vec(),
            via: Via::Cli {
                os_user: os_user.to_string(),
            },
            must_change_password: false,
        }
    }

    /// A part of the system acting on its own (`system` for automatic links, `fixity`…). It holds
    /// no role: it may do only what a use case explicitly allows the system to do.
    pub fn system(component: &'static str) -> Actor {
        Actor {
            name: component.to_string(),
            person: None,
            unit: None,
            roles: Vec::new(),
            clearances: Vec::new(),
            via: Via::System,
            must_change_password: false,
        }
    }

    /// A networked collection station that presented a registered, unrevoked credential
    /// (`station:<id>` in the ledger). No person, no role: the permission table gives it
    /// nothing; only the upload use cases accept it ([`Actor::station_id`]).
    pub(crate) fn station(id: &zhilu_model::StationId) -> Actor {
        Actor {
            name: format!("station:{id}"),
            person: None,
            unit: None,
            roles: Vec::new(),
            clearances: Vec::new(),
            via: Via::Station,
            must_change_password: false,
        }
    }

    /// The station acting, when the actor is a station's credential.
    pub fn station_id(&self) -> Option<&str> {
        match self.via {
            Via::Station => self.name.strip_prefix("station:"),
            _ => None,
        }
    }

    /// Test suites: a person with every permission and every clearance, by id (`testing`
    /// feature; never in a production build). Suites that test permissions use real users.
    #[cfg(feature = "testing")]
    pub fn test(id: &str) -> Actor {
        let id = OfficerId::parse(id).expect("a valid test actor id");
        Actor {
            name: id.to_string(),
            person: Some(id),
            unit: None,
            roles: Vec::new(),
            clearances: Secrecy::ALL.to_vec(),
            via: Via::Test,
            must_change_password: false,
        }
    }

    /// The actor as the ledger records it: the user id, and for the shell the OS user
    /// (`000123 (cli:root)`).
    pub fn ledger_name(&self) -> &str {
        &self.name
    }

    /// The person acting, if a person is.
    pub fn person_id(&self) -> Option<&OfficerId> {
        self.person.as_ref()
    }

    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    pub fn clearances(&self) -> &[Secrecy] {
        &self.clearances
    }

    pub fn via(&self) -> &Via {
        &self.via
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    fn is_test(&self) -> bool {
        #[cfg(feature = "testing")]
        if self.via == Via::Test {
            return true;
        }
        false
    }

    /// This actor must change the password an administrator set before doing anything else.
    pub(crate) fn with_password_change_due(mut self, due: bool) -> Actor {
        self.must_change_password = due;
        self
    }

    /// Refuses a session whose password must be changed first.
    pub(crate) fn check_password_current(&self) -> Result<(), AppError> {
        if self.must_change_password {
            Err(AppError::PasswordChangeRequired)
        } else {
            Ok(())
        }
    }

    /// Whether the actor proved who they are (a login session), as approving and granting need.
    /// The shell may stand in only in a replay directory.
    pub(crate) fn authenticated(&self, replay: bool) -> bool {
        if self.must_change_password {
            return false;
        }
        match &self.via {
            Via::Session => true,
            Via::Cli { .. } => replay,
            Via::System | Via::Station => false,
            #[cfg(feature = "testing")]
            Via::Test => true,
        }
    }

    /// How far `action` reaches for this actor, if at all. `profile_roles` are the role ids of
    /// the profile in force that are not fixed roles.
    pub fn scope(&self, action: Action) -> Option<Scope> {
        if self.is_test() {
            return Some(All);
        }
        // The shell reader reads; it never writes as anybody.
        if self.person.is_none() && !action.is_read() {
            return None;
        }
        let mut best: Option<Scope> = None;
        for role in &self.roles {
            let granted: Vec<Scope> = match FixedRole::parse(role) {
                Ok(fixed) => PERMISSIONS
                    .iter()
                    .filter(|(r, a, _)| *r == fixed && *a == action)
                    .map(|(_, _, s)| *s)
                    .collect(),
                Err(_) => PROFILE_APPROVER
                    .iter()
                    .filter(|(a, _)| *a == action)
                    .map(|(_, s)| *s)
                    .collect(),
            };
            for s in granted {
                best = Some(best.map_or(s, |b| b.max(s)));
            }
        }
        best
    }

    /// Refuses unless the actor may do `action` on something that concerns `target`.
    pub fn require(&self, action: Action, target: Target<'_>) -> Result<(), AppError> {
        self.check_password_current()?;
        if self.allows(action, target) {
            Ok(())
        } else {
            tracing::info!(actor = %self.name, ?action, "refused");
            Err(AppError::Forbidden {
                actor: self.name.clone(),
                action: action.label(),
            })
        }
    }

    /// Whether the actor may do `action` on something that concerns `target`.
    pub fn allows(&self, action: Action, target: Target<'_>) -> bool {
        match self.scope(action) {
            None => false,
            Some(All) => true,
            Some(Unit) => {
                target.units.iter().any(|u| Some(u.as_str()) == self.unit())
                    || self.is_named(target)
            }
            Some(Own) => self.is_named(target),
        }
    }

    /// Refuses unless the actor may do `action` at all (a list filtered by scope after).
    pub fn require_any(&self, action: Action) -> Result<Scope, AppError> {
        self.check_password_current()?;
        self.scope(action).ok_or_else(|| AppError::Forbidden {
            actor: self.name.clone(),
            action: action.label(),
        })
    }

    fn is_named(&self, target: Target<'_>) -> bool {
        self.person
            .as_ref()
            .is_some_and(|p| target.people.iter().any(|t| t == p))
    }

    /// Whether the actor is cleared for `class` (R25); unclassified items are seen by all.
    pub fn cleared_for(&self, class: Option<Secrecy>) -> bool {
        match class {
            None => true,
            Some(c) => self.clearances.contains(&c),
        }
    }

    /// Notes a read for the operations log; the use case has checked the permission.
    pub(crate) fn reads(&self, what: &'static str) {
        tracing::debug!(actor = %self.name, what, "read");
    }

    /// A person named by text typed at an edge, checked as an id (for fields naming people,
    /// not for acting).
    pub fn parse_id(s: &str) -> Result<OfficerId, AppError> {
        OfficerId::parse(s).map_err(|e| AppError::invalid(Field::Actor, e.to_string()))
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}
