//! `user`: accounts under 三员分立 — the system administrator adds, imports, disables and resets;
//! the security administrator gives roles and clearances.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Subcommand;
use zhilu_app::identity::{self, NewUser, UserView};
use zhilu_app::model::Secrecy;
use zhilu_app::{AppError, Field};

use super::{as_writer, read_password, read_sheet, sheet_error};
use crate::Ctx;
use crate::output::{pad, yes};

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// 登记用户（系统管理员）。管理员角色和密级授权只能由安全保密管理员设置（`zhilu user roles`、
    /// `zhilu user clearance`）。
    Add {
        /// 用户编号（工号）。
        #[arg(long, value_name = "编号")]
        id: String,
        #[arg(long, value_name = "姓名")]
        name: String,
        #[arg(long, value_name = "单位")]
        unit: String,
        /// 角色：固定角色（officer、custodian、legal 等）或执法规范配置中的审批角色；可重复给出。
        #[arg(long = "role", value_name = "角色", required = true)]
        roles: Vec<String>,
        /// 密级授权（工作秘密,商业秘密…）。只能由安全保密管理员用 `zhilu user clearance` 设置，此处给出会被拒绝。
        #[arg(long, value_name = "密级")]
        clearance: Option<String>,
        /// 执法证号。
        #[arg(long, value_name = "证号")]
        certificate: Option<String>,
        /// 执法证有效期起（YYYY-MM-DD）。
        #[arg(long, value_name = "日期")]
        certificate_from: Option<String>,
        /// 执法证有效期止（YYYY-MM-DD）。
        #[arg(long, value_name = "日期")]
        certificate_to: Option<String>,
        /// 初始密码所在的文件（- 为标准输入），首次登录后须修改。不给出则暂不能登录。
        #[arg(long, value_name = "文件")]
        password_file: Option<PathBuf>,
    },
    /// 从表格批量登记用户（xlsx 或 CSV，CSV 可为 UTF-8 或 GBK 编码）。第一行为列名：编号、姓名、单位、
    /// 角色（多个用逗号或顿号分隔）、执法证号、有效期起、有效期止（后三列可空）。先检查每一行，
    /// 任何一行有误即列出全部有误的行，一人也不登记。导入的用户没有密码，须另行重置。
    Import {
        #[arg(value_name = "文件")]
        file: PathBuf,
    },
    /// 列出用户（系统管理员、安全保密管理员、安全审计员）。
    List,
    /// 停用账号：不能再登录或操作。
    Disable {
        #[arg(long, value_name = "编号")]
        id: String,
    },
    /// 重新启用账号。
    Enable {
        #[arg(long, value_name = "编号")]
        id: String,
    },
    /// 重置用户的密码（系统管理员），用户下次登录后须修改。
    ResetPassword {
        #[arg(long, value_name = "编号")]
        id: String,
        /// 新密码所在的文件（- 为标准输入）。
        #[arg(long, value_name = "文件")]
        password_file: PathBuf,
    },
    /// 设定用户的全部角色（安全保密管理员；不能给自己）。
    Roles {
        #[arg(long, value_name = "编号")]
        id: String,
        #[arg(long = "role", value_name = "角色", required = true)]
        roles: Vec<String>,
    },
    /// 设定用户的全部密级授权（安全保密管理员；不能给自己）；给出 none 取消全部授权。
    Clearance {
        #[arg(long, value_name = "编号")]
        id: String,
        /// 工作秘密、商业秘密、个人隐私、国家秘密，多个用逗号分隔；none 为无。
        #[arg(long, value_name = "密级")]
        clearance: String,
    },
    /// 登记或换发用户的执法证（系统管理员）：证号和有效期；不给出证号即注销登记。检查按此判断
    /// 行政处罚活动的执法人员是否具有执法资格（行政处罚法第四十二条）。
    Certificate {
        #[arg(long, value_name = "编号")]
        id: String,
        /// 执法证号。
        #[arg(long, value_name = "证号")]
        number: Option<String>,
        /// 有效期起（YYYY-MM-DD）。
        #[arg(long, value_name = "日期")]
        from: Option<String>,
        /// 有效期止（YYYY-MM-DD）。
        #[arg(long, value_name = "日期")]
        to: Option<String>,
    },
}

fn date(field: Field, s: Option<String>) -> anyhow::Result<Option<NaiveDate>> {
    s.map(|s| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            AppError::Invalid {
                field,
                reason: format!("“{s}”不是日期（应为 YYYY-MM-DD）"),
            }
            .into()
        })
    })
    .transpose()
}

fn clearances(s: &str) -> anyhow::Result<Vec<Secrecy>> {
    if matches!(s.trim(), "none" | "无" | "") {
        return Ok(Vec::new());
    }
    Ok(Secrecy::parse_set(s).map_err(|e| AppError::Invalid {
        field: Field::Clearance,
        reason: e.to_string(),
    })?)
}

fn line(u: &UserView) -> String {
    let clear: Vec<&str> = u.clearances.iter().map(|c| c.label()).collect();
    format!(
        "{} {} {} 角色 {}{}{}{}",
        pad(u.id.as_str(), 12),
        pad(&u.name, 10),
        pad(&u.unit, 16),
        u.roles.join("、"),
        if clear.is_empty() {
            String::new()
        } else {
            format!("  密级 {}", clear.join("、"))
        },
        match (&u.certificate, u.certificate_to) {
            (Some(c), Some(to)) => format!("  执法证 {c}（有效期至 {to}）"),
            (Some(c), None) => format!("  执法证 {c}"),
            _ => String::new(),
        },
        if u.disabled { "  （已停用）" } else { "" }
    )
}

pub async fn user(ctx: &Ctx, cmd: UserCmd) -> anyhow::Result<bool> {
    match cmd {
        UserCmd::Add {
            id,
            name,
            unit,
            roles,
            clearance,
            certificate,
            certificate_from,
            certificate_to,
            password_file,
        } => {
            let req = NewUser {
                id,
                name,
                unit,
                roles,
                clearances: clearance
                    .as_deref()
                    .map(clearances)
                    .transpose()?
                    .unwrap_or_default(),
                certificate,
                certificate_from: date(Field::Certificate, certificate_from)?,
                certificate_to: date(Field::Certificate, certificate_to)?,
                password: password_file.as_deref().map(read_password).transpose()?,
            };
            let u = as_writer!(ctx, None, |app, actor| Ok(identity::add_user(
                app, &actor, req
            )
            .await?))?;
            ctx.out.show(&u, || {
                let mut s = format!("已登记用户：{}\n", line(&u));
                if !u.has_password {
                    s.push_str("尚未设置密码：用 `zhilu user reset-password` 设置后才能登录\n");
                }
                s
            })?;
        }
        UserCmd::Import { file } => {
            let bytes = read_sheet(&file)?;
            let list = as_writer!(ctx, None, |app, actor| zhilu_app::registry::import_users(
                app, &actor, &bytes
            )
            .await
            .map_err(sheet_error))?;
            ctx.out.show(&list, || {
                let mut s = format!("已登记用户 {} 人（均未设置密码）：\n", list.len());
                for u in &list {
                    s.push_str(&line(u));
                    s.push('\n');
                }
                s
            })?;
        }
        UserCmd::List => {
            // Reading the accounts is an administrator's: the shell reader holds no such role.
            let list = as_writer!(ctx, None, |app, actor| Ok(identity::list_users(
                app, &actor
            )
            .await?))?;
            ctx.out.show(&list, || {
                if list.is_empty() {
                    return "尚无用户。".into();
                }
                list.iter()
                    .map(|u| {
                        format!(
                            "{}  可登录 {}\n",
                            line(u),
                            yes(u.has_password && !u.disabled)
                        )
                    })
                    .collect()
            })?;
        }
        UserCmd::Disable { id } => set_disabled(ctx, &id, true).await?,
        UserCmd::Enable { id } => set_disabled(ctx, &id, false).await?,
        UserCmd::ResetPassword { id, password_file } => {
            let pw = read_password(&password_file)?;
            as_writer!(ctx, None, |app, actor| Ok(identity::reset_password(
                app, &actor, &id, &pw
            )
            .await?))?;
            ctx.out
                .show(&serde_json::json!({"id": id, "reset": true}), || {
                    format!("已重置用户 {id} 的密码，其下次登录后须修改")
                })?;
        }
        UserCmd::Roles { id, roles } => {
            let u = as_writer!(ctx, None, |app, actor| Ok(identity::set_roles(
                app, &actor, &id, &roles
            )
            .await?))?;
            ctx.out.show(&u, || format!("已设定角色：{}", line(&u)))?;
        }
        UserCmd::Certificate {
            id,
            number,
            from,
            to,
        } => {
            let from = date(Field::Certificate, from)?;
            let to = date(Field::Certificate, to)?;
            let u = as_writer!(ctx, None, |app, actor| Ok(identity::set_certificate(
                app,
                &actor,
                &id,
                number.as_deref(),
                from,
                to
            )
            .await?))?;
            ctx.out.show(&u, || format!("已登记执法证：{}", line(&u)))?;
        }
        UserCmd::Clearance { id, clearance } => {
            let c = clearances(&clearance)?;
            let u = as_writer!(ctx, None, |app, actor| Ok(identity::set_clearances(
                app, &actor, &id, c
            )
            .await?))?;
            ctx.out
                .show(&u, || format!("已设定密级授权：{}", line(&u)))?;
        }
    }
    Ok(true)
}

async fn set_disabled(ctx: &Ctx, id: &str, disabled: bool) -> anyhow::Result<()> {
    let u = as_writer!(ctx, None, |app, actor| Ok(identity::set_disabled(
        app, &actor, id, disabled
    )
    .await?))?;
    ctx.out.show(&u, || {
        format!(
            "{}用户：{}",
            if disabled { "已停用" } else { "已启用" },
            line(&u)
        )
    })
}
