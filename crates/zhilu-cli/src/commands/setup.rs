//! `init`, `profile`, `calendar`.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;
use zhilu_app::setup::{self, ProfileSource};
use zhilu_app::{App, InitOptions, identity};
use zhilu_ledger::{HashAlg, SignatureKind};

use super::{as_writer, read_text, with_app};
use crate::Ctx;
use crate::output::pad;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// 证据存储位置（至少两个，放在相互独立的磁盘上；可重复给出）。默认 vault/primary、vault/replica。
    #[arg(long = "vault-root", value_name = "目录")]
    vault_roots: Vec<PathBuf>,
    /// 审计日志的树哈希：sha256 或 sm3（初始化后不可更改）。
    #[arg(long, value_name = "算法")]
    ledger_hash: Option<String>,
    /// 检查点签名：ed25519 或 sm2（初始化后不可更改）。
    #[arg(long, value_name = "算法")]
    signature: Option<String>,
    /// 本机关的执法规范配置：预置配置编号（dalian-ftz、zhejiang-rf、luohe-xm、lushan-sj、jinpu-wj）或配置文件。
    #[arg(long, value_name = "配置")]
    profile: Option<String>,
    /// 创建重放目录（演示、测试、培训用）：此后可用 --now 指定“现在”。给出 --now 时自动如此；
    /// 创建后不可更改，每个检查点都注明“重放”。
    #[arg(long)]
    replay: bool,
    /// 三名管理员（系统管理员、安全保密管理员、安全审计员）所在的单位，只在首次初始化时使用。
    #[arg(long, value_name = "单位", default_value = "本单位")]
    unit: String,
}

#[derive(Subcommand, Debug)]
pub enum ProfileCmd {
    /// 查看当前启用的执法规范配置，逐条列出依据。
    Show,
    /// 校验配置文件而不启用。
    Validate {
        #[arg(value_name = "文件")]
        file: PathBuf,
    },
    /// 校验并启用配置文件或预置配置（全部通过才生效，记入审计日志）。
    Apply {
        #[arg(value_name = "配置")]
        profile: String,
    },
    /// 列出随软件提供的预置配置。
    List,
}

#[derive(Subcommand, Debug)]
pub enum CalendarCmd {
    /// 导入更多年份的节假日安排（TOML，格式同内置日历）。
    Load {
        #[arg(value_name = "文件")]
        file: PathBuf,
    },
    /// 查看工作日历覆盖的年份。
    Show,
}

/// A preset id, or the path of a profile file.
fn profile_source(s: &str) -> anyhow::Result<ProfileSource> {
    if setup::preset_text(s).is_ok() {
        return Ok(ProfileSource::Preset(s.trim().to_string()));
    }
    let path = std::path::Path::new(s);
    if path.is_file() {
        return Ok(ProfileSource::Text {
            name: path.display().to_string(),
            text: read_text(path)?,
        });
    }
    // Neither: the use case names the presets.
    Ok(ProfileSource::Preset(s.trim().to_string()))
}

fn parse_alg<T>(
    v: Option<String>,
    what: &str,
    parse: fn(&str) -> Option<T>,
) -> anyhow::Result<Option<T>> {
    v.map(|s| parse(&s).ok_or_else(|| anyhow::anyhow!("{what}“{s}”无效")))
        .transpose()
}

pub async fn init(ctx: &Ctx, a: InitArgs) -> anyhow::Result<bool> {
    let opts = InitOptions {
        vault_roots: a.vault_roots,
        database_url: ctx.database_url(),
        ledger_hash: parse_alg(a.ledger_hash, "树哈希算法（sha256 或 sm3）", HashAlg::parse)?,
        signature: parse_alg(
            a.signature,
            "签名算法（ed25519 或 sm2）",
            SignatureKind::parse,
        )?,
        profile: a.profile.as_deref().map(profile_source).transpose()?,
        replay: a.replay,
    };
    let app = App::init(ctx.dir(), opts, ctx.clock.clone()).await?;
    // The first init creates the three administrators of 三员分立; a later one creates nobody.
    let admins = match identity::bootstrap_admins(&app, &a.unit).await {
        Ok(a) => a,
        Err(e) => {
            app.close().await;
            return Err(e.into());
        }
    };
    let (size, root) = zhilu_app::integrity::head(&app, &ctx.reader()).await?;
    let profile = app.profile_opt().await?;
    let dir = app.data_dir().root.display().to_string();
    let replay = app.is_replay();
    let shared = setup::shared_filesystems(&app);
    app.close().await;
    ctx.out.show(
        &json!({
            "data_dir": dir,
            "entries": size,
            "root": root,
            "profile": profile.as_ref().map(|p| p.id()),
            "replay": replay,
            "shared_filesystems": shared,
            "administrators": admins
                .iter()
                .map(|(u, password)| json!({
                    "id": u.id,
                    "name": u.name,
                    "roles": u.roles,
                    "password": password,
                }))
                .collect::<Vec<_>>(),
        }),
        || {
            let mut s = format!("数据目录已就绪：{dir}\n审计日志：{size} 条记录\n");
            if replay {
                s.push_str("这是重放目录（演示、测试、培训用）：业务时间可用 --now 指定，审计日志同时记录真实时间\n");
            }
            match &profile {
                Some(p) => {
                    let _ = writeln!(s, "执法规范配置：{}（{}《{}》）", p.id(), p.agency, p.regulation);
                }
                None => s.push_str(
                    "尚未选择执法规范配置：运行 `zhilu profile list` 查看预置配置，再运行 `zhilu profile apply <配置>`\n",
                ),
            }
            for g in &shared {
                let _ = writeln!(s, "警告：{}", super::integrity::shared_warning(g));
            }
            if !admins.is_empty() {
                s.push_str("已创建三名管理员（三员分立）：\n");
                for (u, password) in &admins {
                    let _ = writeln!(
                        s,
                        "  {} {} 初始密码 {password}",
                        pad(u.id.as_str(), 10),
                        pad(&u.name, 14)
                    );
                }
                s.push_str("警告：初始密码只显示这一次，首次登录后须修改。请当面分别交给三名管理员，不要保存在本机。\n");
            }
            s
        },
    )?;
    Ok(true)
}

pub async fn profile(ctx: &Ctx, cmd: ProfileCmd) -> anyhow::Result<bool> {
    match cmd {
        ProfileCmd::List => {
            let list: Vec<_> = setup::presets()
                .into_iter()
                .map(|(id, agency, regulation)| json!({"id": id, "agency": agency, "regulation": regulation}))
                .collect();
            ctx.out.show(&list, || {
                setup::presets()
                    .into_iter()
                    .map(|(id, a, r)| format!("{id:<12} {a}《{r}》\n"))
                    .collect()
            })?;
        }
        ProfileCmd::Validate { file } => {
            let p = setup::validate_profile(&file.display().to_string(), &read_text(&file)?)?;
            ctx.out.show(
                &json!({"valid": true, "id": p.id(), "checklist_rows": p.checklist.len()}),
                || {
                    format!(
                        "配置 {} 有效：{}《{}》，音像记录清单 {} 项",
                        file.display(),
                        p.agency,
                        p.regulation,
                        p.checklist.len()
                    )
                },
            )?;
        }
        ProfileCmd::Apply { profile } => {
            let source = profile_source(&profile)?;
            let p = as_writer!(ctx, None, |app, actor| Ok(setup::apply_profile(
                app, &actor, &source
            )
            .await?))?;
            ctx.out.show(&json!({"applied": p.id()}), || {
                format!(
                    "已启用执法规范配置 {}：{}《{}》",
                    p.id(),
                    p.agency,
                    p.regulation
                )
            })?;
        }
        ProfileCmd::Show => {
            let p = with_app!(ctx, |app| Ok(app.profile().await?))?;
            ctx.out.show(&*p, || describe(&p))?;
        }
    }
    Ok(true)
}

/// The profile in words, article by article.
fn describe(p: &zhilu_app::zhilu_policy::profile::Profile) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "执法规范配置：{}  {}《{}》",
        p.id(),
        p.agency,
        p.regulation
    );
    let _ = writeln!(
        s,
        "执法人员：每项活动至少 {} 名（{}）",
        p.officers.min_per_activity.get_ref(),
        p.cite(&p.officers.article)
    );
    let _ = writeln!(
        s,
        "导出期限：{}（{}）",
        p.describe_offload(),
        p.cite(&p.offload.article)
    );
    let _ = writeln!(
        s,
        "最少保存：{} 个月（{}）",
        p.retention.minimum_months.get_ref(),
        p.cite(&p.retention.minimum_article)
    );
    let chain = |roles: &[zhilu_app::zhilu_policy::profile::Spanned<String>]| {
        roles
            .iter()
            .map(|r| p.role_label(r.get_ref()))
            .collect::<Vec<_>>()
            .join(" → ")
    };
    let _ = writeln!(
        s,
        "未记录审批：{}（{}）",
        chain(&p.norecord.approvers),
        p.cite(&p.norecord.article)
    );
    let _ = writeln!(
        s,
        "调阅审批：{}（{}）",
        chain(&p.access.approvers),
        p.cite(&p.access.article)
    );
    let reasons = |list: &[zhilu_app::zhilu_policy::profile::Reason]| {
        list.iter()
            .map(|r| format!("{}（{}）", r.id.get_ref(), r.label))
            .collect::<Vec<_>>()
            .join("、")
    };
    let _ = writeln!(
        s,
        "未记录情形（norecord add --reason）：{}（{}）",
        reasons(&p.norecord.reasons),
        p.cite(&p.norecord.article)
    );
    let _ = writeln!(
        s,
        "中断原因（interruption add --reason）：{}（{}）",
        reasons(&p.interruption.reasons),
        p.cite(&p.interruption.article)
    );
    let roles: Vec<String> = p
        .roles
        .iter()
        .map(|(id, t)| format!("{t}（{id}）"))
        .collect();
    let _ = writeln!(s, "角色：{}", roles.join("、"));
    let _ = writeln!(s, "告知用语：{}", p.notification.phrase);
    let _ = writeln!(s, "音像记录清单：");
    for r in &p.checklist {
        let _ = writeln!(
            s,
            "  {} {}  [{}]（{}）",
            pad(r.kind.get_ref(), 26),
            r.situation,
            r.obligation.label(),
            p.cite(&r.article)
        );
    }
    s
}

pub async fn calendar(ctx: &Ctx, cmd: CalendarCmd) -> anyhow::Result<bool> {
    let (loaded, years) = with_app!(ctx, |app| match cmd {
        CalendarCmd::Load { file } => {
            let text = read_text(&file)?;
            let actor = ctx.writer(app, None).await?;
            Ok((true, setup::load_calendar(app, &actor, &text).await?))
        }
        CalendarCmd::Show => Ok((false, setup::calendar_years(app, &ctx.reader()).await?)),
    })?;
    let list: Vec<String> = years.iter().map(|y| y.to_string()).collect();
    if loaded {
        ctx.out.show(&json!({"loaded": years}), || {
            format!("已导入 {} 年的节假日安排", list.join("、"))
        })?;
    } else {
        ctx.out.show(&json!({"years": years}), || {
            format!("工作日历覆盖：{} 年", list.join("、"))
        })?;
    }
    Ok(true)
}
