//! Users: registering people who act (an `officers` row + an `accounts` row), their roles and
//! clearances under 三员分立, passwords, disabling; and turning an id into an [`Actor`].

use chrono::NaiveDate;
use serde::Serialize;
use zhilu_model::*;
use zhilu_store::Change;

use super::passwords;
use crate::App;
use crate::actor::{Action, Actor, Target, Via};
use crate::error::{AppError, Field, Thing, id};
use crate::registry::text;

/// What registering a user asks for.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub id: String,
    pub name: String,
    pub unit: String,
    /// Role ids: fixed roles (`officer`, `custodian`…) and the profile's approvers.
    pub roles: Vec<String>,
    pub clearances: Vec<Secrecy>,
    pub certificate: Option<String>,
    pub certificate_from: Option<NaiveDate>,
    pub certificate_to: Option<NaiveDate>,
    /// The initial password; the user must change it at first login. None: no login until an
    /// administrator sets one (`reset_password`).
    pub password: Option<String>,
}

/// A user as lists and the API show them (never the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: OfficerId,
    pub name: String,
    pub unit: String,
    pub roles: Vec<String>,
    pub clearances: Vec<Secrecy>,
    pub certificate: Option<String>,
    pub certificate_from: Option<NaiveDate>,
    pub certificate_to: Option<NaiveDate>,
    pub disabled: bool,
    pub has_password: bool,
    pub must_change_password: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Checks role ids against the fixed roles and the profile's, sorted and without duplicates, and
/// refuses two administrator roles on one person (三员分立).
pub(crate) async fn check_roles(app: &App, roles: &[String]) -> Result<Vec<String>, AppError> {
    let profile = app.profile_opt().await?;
    let mut out = Vec::new();
    for r in roles {
        let r = r.trim();
        if r.is_empty() {
            continue;
        }
        if FixedRole::parse(r).is_err() {
            match &profile {
                Some(p) => {
                    p.check_role(r)?;
                }
                None => {
                    return Err(AppError::invalid(
                        Field::Role,
                        format!(
                            "“{r}”不是固定角色（{}），且尚未选择执法规范配置",
                            FixedRole::ALL
                                .iter()
                                .map(|f| format!("{}（{}）", f.as_str(), f.label()))
                                .collect::<Vec<_>>()
                                .join("、")
                        ),
                    ));
                }
            }
        }
        out.push(r.to_string());
    }
    out.sort();
    out.dedup();
    let admins: Vec<&str> = out
        .iter()
        .filter_map(|r| FixedRole::parse(r).ok())
        .filter(|f| f.is_admin())
        .map(|f| f.label())
        .collect();
    if admins.len() > 1 {
        return Err(AppError::SeparationOfDuties(format!(
            "一人不能同时担任{}",
            admins.join("和")
        )));
    }
    if admins.len() == 1 && out.len() > 1 {
        return Err(AppError::SeparationOfDuties(format!(
            "{}不能兼任业务角色",
            admins[0]
        )));
    }
    Ok(out)
}

fn has_admin_role(roles: &[String]) -> bool {
    roles
        .iter()
        .any(|r| FixedRole::parse(r.trim()).is_ok_and(FixedRole::is_admin))
}

fn sorted(mut c: Vec<Secrecy>) -> Vec<Secrecy> {
    c.sort();
    c.dedup();
    c
}

/// The rows one new user is: the unit (the first time it is named), the person, the account,
/// and the credential if a password was given. Shared by [`add_user`], the spreadsheet import
/// and `init`'s first administrators.
pub(crate) async fn user_changes(
    app: &App,
    req: NewUser,
    known_units: &mut Vec<String>,
) -> Result<(Vec<Change>, UserView), AppError> {
    let user_id = id(Field::User, OfficerId::parse, &req.id)?;
    let name = text(Field::Name, &req.name)?;
    let unit = text(Field::Unit, &req.unit)?;
    let roles = check_roles(app, &req.roles).await?;
    if roles.is_empty() {
        return Err(AppError::invalid(Field::Role, "至少要有一个角色"));
    }
    let certificate = match req.certificate.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => Some(text(Field::Certificate, c)?),
        _ => None,
    };
    if let (Some(from), Some(to)) = (req.certificate_from, req.certificate_to)
        && to < from
    {
        return Err(AppError::invalid(
            Field::Certificate,
            format!("有效期止 {to} 早于有效期起 {from}"),
        ));
    }
    if app.catalog.officer(&user_id).await?.is_some()
        || app.catalog.account(&user_id).await?.is_some()
    {
        return Err(AppError::AlreadyExists {
            what: Thing::User,
            id: user_id.to_string(),
        });
    }
    let now = app.now();
    let mut changes = Vec::new();
    if !known_units.contains(&unit) && app.catalog.unit(&unit).await?.is_none() {
        changes.push(Change::insert(Unit {
            id: unit.clone(),
            name: unit.clone(),
            created_at: now,
        }));
        known_units.push(unit.clone());
    }
    changes.push(Change::insert(Officer {
        id: user_id.clone(),
        name: name.clone(),
        unit: unit.clone(),
        role: roles[0].clone(),
        created_at: now,
    }));
    let account = Account {
        id: user_id.clone(),
        roles: roles.clone(),
        clearances: sorted(req.clearances),
        certificate: certificate.clone(),
        certificate_from: req.certificate_from,
        certificate_to: req.certificate_to,
        disabled: false,
        updated_at: now,
    };
    changes.push(Change::insert(account.clone()));
    let has_password = req.password.is_some();
    if let Some(pw) = req.password {
        passwords::check_strength(user_id.as_str(), &pw)?;
        changes.push(Change::insert(Credential {
            user: user_id.clone(),
            phc: passwords::hash(pw).await?,
            set_at: now,
            must_change: true,
        }));
    }
    Ok((
        changes,
        UserView {
            id: user_id,
            name,
            unit,
            roles,
            clearances: account.clearances,
            certificate,
            certificate_from: req.certificate_from,
            certificate_to: req.certificate_to,
            disabled: false,
            has_password,
            must_change_password: has_password,
            created_at: now,
        },
    ))
}

/// Registers a user (系统管理员). Administrator roles and clearances are the security
/// administrator's to give ([`set_roles`], [`set_clearances`]), so they are refused here.
pub async fn add_user(app: &App, actor: &Actor, req: NewUser) -> Result<UserView, AppError> {
    add_users(app, actor, vec![req])
        .await
        .map(|mut v| v.remove(0))
}

/// Registers several users in one commit: all or none (the spreadsheet import).
pub async fn add_users(
    app: &App,
    actor: &Actor,
    reqs: Vec<NewUser>,
) -> Result<Vec<UserView>, AppError> {
    actor.require(Action::ManageUsers, Target::default())?;
    let mut changes = Vec::new();
    let mut views = Vec::new();
    let mut units = Vec::new();
    let mut seen = Vec::new();
    for req in reqs {
        if !req.clearances.is_empty() {
            return Err(AppError::SeparationOfDuties(format!(
                "用户 {} 的密级授权只能由安全保密管理员设置",
                req.id.trim()
            )));
        }
        // (Each role is checked against the profile by `user_changes`.)
        if has_admin_role(&req.roles) {
            return Err(AppError::SeparationOfDuties(format!(
                "用户 {} 的管理员角色只能由安全保密管理员授予",
                req.id.trim()
            )));
        }
        if seen.contains(&req.id.trim().to_string()) {
            return Err(AppError::AlreadyExists {
                what: Thing::User,
                id: req.id.trim().to_string(),
            });
        }
        seen.push(req.id.trim().to_string());
        let (c, v) = user_changes(app, req, &mut units).await?;
        changes.extend(c);
        views.push(v);
    }
    app.record(actor, changes).await?;
    Ok(views)
}

/// Creates the three administrators of 三员分立 at `init`, each with a freshly generated
/// password they must change at first login. Only when no administrator exists yet: a second
/// `init` changes nothing. Returns (id, password) for the person installing to hand over.
pub async fn bootstrap_admins(app: &App, unit: &str) -> Result<Vec<(UserView, String)>, AppError> {
    let accounts = app.catalog.accounts().await?;
    if accounts.iter().any(|a| has_admin_role(&a.roles)) {
        return Ok(Vec::new());
    }
    let mut changes = Vec::new();
    let mut out = Vec::new();
    let mut units = Vec::new();
    for (id, name, role) in [
        ("sysadmin", "系统管理员", FixedRole::SystemAdmin),
        ("secadmin", "安全保密管理员", FixedRole::SecurityAdmin),
        ("auditadmin", "安全审计员", FixedRole::AuditAdmin),
    ] {
        if app
            .catalog
            .officer(
                &OfficerId::parse(id).map_err(|e| AppError::invalid(Field::User, e.to_string()))?,
            )
            .await?
            .is_some()
        {
            continue;
        }
        let password = passwords::generate();
        let (c, v) = user_changes(
            app,
            NewUser {
                id: id.into(),
                name: name.into(),
                unit: unit.into(),
                roles: vec![role.as_str().into()],
                password: Some(password.clone()),
                ..NewUser::default()
            },
            &mut units,
        )
        .await?;
        changes.extend(c);
        out.push((v, password));
    }
    if !changes.is_empty() {
        app.record(&Actor::system("init"), changes).await?;
    }
    Ok(out)
}

async fn view(app: &App, officer: Officer) -> Result<UserView, AppError> {
    let account = app.catalog.account(&officer.id).await?.map(|v| v.record);
    let credential = app.catalog.credential(&officer.id).await?.map(|v| v.record);
    Ok(match account {
        Some(a) => UserView {
            id: officer.id,
            name: officer.name,
            unit: officer.unit,
            roles: a.roles,
            clearances: a.clearances,
            certificate: a.certificate,
            certificate_from: a.certificate_from,
            certificate_to: a.certificate_to,
            disabled: a.disabled,
            has_password: credential.is_some(),
            must_change_password: credential.is_some_and(|c| c.must_change),
            created_at: officer.created_at,
        },
        // A person registered before accounts existed: their profile role, no login.
        None => UserView {
            id: officer.id,
            name: officer.name,
            unit: officer.unit,
            roles: vec![officer.role],
            clearances: Vec::new(),
            certificate: None,
            certificate_from: None,
            certificate_to: None,
            disabled: false,
            has_password: false,
            must_change_password: false,
            created_at: officer.created_at,
        },
    })
}

/// Every user, by id.
pub async fn list_users(app: &App, actor: &Actor) -> Result<Vec<UserView>, AppError> {
    actor.require(Action::ReadUsers, Target::default())?;
    actor.reads("users");
    let mut out = Vec::new();
    for o in app.catalog.officers().await? {
        out.push(view(app, o).await?);
    }
    Ok(out)
}

/// One user. Anyone may read their own.
pub async fn user(app: &App, actor: &Actor, user_id: &str) -> Result<UserView, AppError> {
    let uid = id(Field::User, OfficerId::parse, user_id)?;
    if actor.person_id() != Some(&uid) {
        actor.require(Action::ReadUsers, Target::default())?;
    }
    load_view(app, &uid).await
}

async fn load_view(app: &App, uid: &OfficerId) -> Result<UserView, AppError> {
    let officer = app
        .catalog
        .officer(uid)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::User,
            id: uid.to_string(),
        })?;
    view(app, officer).await
}

/// The account of `uid`, made for a person registered before accounts existed (`officer add`
/// of an earlier release) from their profile role.
async fn account_for_update(
    app: &App,
    uid: &OfficerId,
) -> Result<(Account, Option<zhilu_store::Version>), AppError> {
    if let Some(v) = app.catalog.account(uid).await? {
        return Ok((v.record, Some(v.version)));
    }
    let officer = app
        .catalog
        .officer(uid)
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: Thing::User,
            id: uid.to_string(),
        })?;
    Ok((
        Account {
            id: officer.id,
            roles: vec![officer.role],
            clearances: Vec::new(),
            certificate: None,
            certificate_from: None,
            certificate_to: None,
            disabled: false,
            updated_at: app.now(),
        },
        None,
    ))
}

fn account_change(a: Account, version: Option<zhilu_store::Version>) -> Change {
    match version {
        Some(v) => Change::update(a, v),
        None => Change::insert(a),
    }
}

fn not_self(actor: &Actor, uid: &OfficerId, what: &str) -> Result<(), AppError> {
    if actor.person_id() == Some(uid) {
        return Err(AppError::SeparationOfDuties(format!("不能给自己{what}")));
    }
    Ok(())
}

/// Gives a user exactly these roles (安全保密管理员; never to oneself; one administrator role at
/// most, and an administrator holds no other role). Their sessions end.
pub async fn set_roles(
    app: &App,
    actor: &Actor,
    user_id: &str,
    roles: &[String],
) -> Result<UserView, AppError> {
    actor.require(Action::AssignRoles, Target::default())?;
    let uid = id(Field::User, OfficerId::parse, user_id)?;
    not_self(actor, &uid, "授予角色")?;
    let roles = check_roles(app, roles).await?;
    if roles.is_empty() {
        return Err(AppError::invalid(Field::Role, "至少要有一个角色"));
    }
    change_account(app, actor, &uid, |a| a.roles = roles).await
}

/// Writes one change to an account and ends the user's sessions (what they may do changed).
async fn change_account(
    app: &App,
    actor: &Actor,
    uid: &OfficerId,
    change: impl FnOnce(&mut Account),
) -> Result<UserView, AppError> {
    let (mut account, version) = account_for_update(app, uid).await?;
    change(&mut account);
    account.updated_at = app.now();
    app.record(actor, vec![account_change(account, version)])
        .await?;
    app.catalog.delete_web_sessions_of(uid).await?;
    load_view(app, uid).await
}

/// Gives a user exactly these clearances (安全保密管理员; never to oneself). Their sessions end.
pub async fn set_clearances(
    app: &App,
    actor: &Actor,
    user_id: &str,
    clearances: Vec<Secrecy>,
) -> Result<UserView, AppError> {
    actor.require(Action::AssignRoles, Target::default())?;
    let uid = id(Field::User, OfficerId::parse, user_id)?;
    not_self(actor, &uid, "授予密级")?;
    change_account(app, actor, &uid, |a| a.clearances = sorted(clearances)).await
}

/// Records a user's enforcement certificate (执法证) — a new one, a renewal, or none — as the
/// system administrator keeps the register (行政处罚法 §42: the check judges penalty activities
/// against it). Not for oneself.
pub async fn set_certificate(
    app: &App,
    actor: &Actor,
    user_id: &str,
    number: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<UserView, AppError> {
    actor.require(Action::ManageUsers, Target::default())?;
    let uid = id(Field::User, OfficerId::parse, user_id)?;
    not_self(actor, &uid, "登记执法证")?;
    let number = match number.map(str::trim) {
        Some(c) if !c.is_empty() => Some(text(Field::Certificate, c)?),
        _ => None,
    };
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(AppError::invalid(
            Field::Certificate,
            format!("有效期止 {to} 早于有效期起 {from}"),
        ));
    }
    change_account(app, actor, &uid, |a| {
        a.certificate = number;
        a.certificate_from = from;
        a.certificate_to = to;
    })
    .await
}

/// Disables (or enables again) a user (系统管理员; not oneself). A disabled user cannot log in
/// or act; their sessions end at once.
pub async fn set_disabled(
    app: &App,
    actor: &Actor,
    user_id: &str,
    disabled: bool,
) -> Result<UserView, AppError> {
    actor.require(Action::ManageUsers, Target::default())?;
    let uid = id(Field::User, OfficerId::parse, user_id)?;
    not_self(
        actor,
        &uid,
        if disabled {
            "停用账号"
        } else {
            "启用账号"
        },
    )?;
    let view = change_account(app, actor, &uid, |a| a.disabled = disabled).await?;
    if !disabled {
        app.catalog.clear_login_failures(&uid).await?;
    }
    Ok(view)
}

/// Sets a new password for a user (系统管理员; not for oneself — use [`change_password`]); they
/// must change it at their next login. Ends their sessions and lifts a lockout.
pub async fn reset_password(
    app: &App,
    actor: &Actor,
    user_id: &str,
    password: &str,
) -> Result<(), AppError> {
    actor.require(Action::ManageUsers, Target::default())?;
    let uid = id(Field::User, OfficerId::parse, user_id)?;
    not_self(actor, &uid, "重置密码")?;
    let (account, version) = account_for_update(app, &uid).await?;
    passwords::check_strength(uid.as_str(), password)?;
    let mut changes = Vec::new();
    if version.is_none() {
        changes.push(account_change(account, None));
    }
    changes.push(credential_change(app, &uid, password, true).await?);
    app.record(actor, changes).await?;
    app.catalog.delete_web_sessions_of(&uid).await?;
    app.catalog.clear_login_failures(&uid).await?;
    Ok(())
}

async fn credential_change(
    app: &App,
    uid: &OfficerId,
    password: &str,
    must_change: bool,
) -> Result<Change, AppError> {
    let row = Credential {
        user: uid.clone(),
        phc: passwords::hash(password.to_string()).await?,
        set_at: app.now(),
        must_change,
    };
    Ok(match app.catalog.credential(uid).await? {
        Some(v) => Change::update(row, v.version),
        None => Change::insert(row),
    })
}

/// The user changes their own password, giving the current one.
pub async fn change_password(
    app: &App,
    actor: &Actor,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let uid = actor
        .person_id()
        .cloned()
        .ok_or(AppError::NotAuthenticated)?;
    let cred = app
        .catalog
        .credential(&uid)
        .await?
        .ok_or(AppError::LoginFailed)?;
    if !passwords::verify(current.to_string(), cred.record.phc.clone()).await {
        return Err(AppError::LoginFailed);
    }
    passwords::check_strength(uid.as_str(), new)?;
    if current == new {
        return Err(AppError::WeakPassword("新密码不能与当前密码相同".into()));
    }
    let change = credential_change(app, &uid, new, false).await?;
    app.record(actor, vec![change]).await?;
    Ok(())
}

/// The actor a user id names, as the app knows them: registered, enabled, with their roles and
/// clearances from the catalog.
pub(crate) async fn actor_for(app: &App, uid: &OfficerId, via: Via) -> Result<Actor, AppError> {
    let officer = app
        .catalog
        .officer(uid)
        .await?
        .ok_or_else(|| AppError::UnknownActor(uid.to_string()))?;
    let (roles, clearances) = match app.catalog.account(uid).await? {
        Some(a) if a.record.disabled => return Err(AppError::AccountDisabled(uid.to_string())),
        Some(a) => (a.record.roles, a.record.clearances),
        None => (vec![officer.role], Vec::new()),
    };
    Ok(Actor::user(
        uid.clone(),
        officer.unit,
        roles,
        clearances,
        via,
    ))
}

/// The actor for `--actor` at the shell: a registered, enabled user; the OS user is recorded
/// beside them in every entry they write.
pub async fn cli_actor(app: &App, actor: &str, os_user: &str) -> Result<Actor, AppError> {
    let uid = OfficerId::parse(actor).map_err(|_| AppError::UnknownActor(actor.to_string()))?;
    actor_for(
        app,
        &uid,
        Via::Cli {
            os_user: os_user.to_string(),
        },
    )
    .await
}
