//! The permission matrix again over HTTP (R23, R25, R30): every fixed role, logged in over the
//! API, against the read endpoints of every action they map to, with the expected allow/deny
//! written out by hand; and own unit against another unit on the same endpoints.

mod common;

use common::{OFFICER, env};
use zhilu_app::Actor;
use zhilu_app::identity::{self, NewUser};

/// (role, endpoints it may read). Every other endpoint of `ENDPOINTS` must be 403.
const ALLOWED: &[(&str, &[&str])] = &[
    (
        "officer",
        &[
            "devices",
            "offload",
            "activities",
            "recordings",
            "findings",
            "usage",
        ],
    ),
    (
        "unit_head",
        &[
            "devices",
            "offload",
            "activities",
            "recordings",
            "findings",
            "usage",
            "retention",
            "pending",
        ],
    ),
    (
        "custodian",
        &[
            "devices",
            "offload",
            "activities",
            "recordings",
            "usage",
            "register",
            "retention",
            "pending",
        ],
    ),
    (
        "legal",
        &[
            "devices",
            "offload",
            "activities",
            "recordings",
            "findings",
            "usage",
            "register",
            "retention",
            "pending",
        ],
    ),
    (
        "leader",
        &[
            "devices",
            "offload",
            "activities",
            "recordings",
            "findings",
            "usage",
            "register",
            "retention",
            "pending",
        ],
    ),
    (
        "supervisor",
        &[
            "devices",
            "offload",
            "activities",
            "recordings",
            "findings",
            "usage",
            "register",
        ],
    ),
    ("system_admin", &["devices", "offload", "usage", "users"]),
    ("security_admin", &["users"]),
    ("audit_admin", &["users"]),
];

const ENDPOINTS: &[(&str, &str)] = &[
    ("devices", "/api/v1/devices"),
    ("offload", "/api/v1/offload-sessions"),
    ("activities", "/api/v1/activities"),
    ("recordings", "/api/v1/recordings"),
    ("findings", "/api/v1/findings"),
    ("usage", "/api/v1/usage"),
    ("register", "/api/v1/register"),
    ("retention", "/api/v1/retention"),
    ("pending", "/api/v1/approvals/pending"),
    ("users", "/api/v1/users"),
];

async fn add(env: &common::Env, id: &str, unit: &str, role: &str) {
    let setup = Actor::test("setup");
    let admin = role.ends_with("_admin");
    identity::add_user(
        env.app(),
        &setup,
        NewUser {
            id: id.into(),
            name: format!("矩阵{id}"),
            unit: unit.into(),
            roles: vec![if admin {
                "supervisor".into()
            } else {
                role.into()
            }],
            password: Some(common::INITIAL.into()),
            ..NewUser::default()
        },
    )
    .await
    .expect("user");
    if admin {
        identity::set_roles(env.app(), &setup, id, &[role.to_string()])
            .await
            .expect("roles");
    }
    common::own_password(env.app(), id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r23_permission_matrix_over_http_every_role_and_endpoint() {
    let env = env().await;
    let mut wrong = Vec::new();
    for (n, (role, allowed)) in ALLOWED.iter().enumerate() {
        let id = format!("MX{n:02}");
        add(&env, &id, "一大队", role).await;
        let mut c = env.login(&id).await;
        for (name, path) in ENDPOINTS {
            let r = c.get(path).await;
            let want = if allowed.contains(name) { 200 } else { 403 };
            if r.status != want {
                wrong.push(format!(
                    "{role} GET {path}: {} (want {want}) {}",
                    r.status,
                    r.text()
                ));
            } else if want == 403 && r.code() != "forbidden" {
                wrong.push(format!("{role} GET {path}: code {}", r.code()));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Own unit against another: the officer whose footage it is sees it, another officer of the
/// same unit does not; a unit head sees their unit's, not another unit's; the legal office sees
/// all (R30).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r30_own_and_other_unit_over_http() {
    let env = env().await;
    add(&env, "UH1", "一大队", "unit_head").await;
    add(&env, "UH2", "二大队", "unit_head").await;
    add(&env, "LG1", "法制科", "legal").await;
    add(&env, "OF2", "一大队", "officer").await;
    let count = |v: serde_json::Value| v.as_array().map(|a| a.len()).unwrap_or(usize::MAX);
    for (who, want) in [(OFFICER, 2), ("OF2", 0), ("UH1", 2), ("UH2", 0), ("LG1", 2)] {
        let mut c = env.login(who).await;
        let r = c.get("/api/v1/recordings").await;
        assert_eq!(r.status, 200, "{who}: {}", r.text());
        assert_eq!(count(r.json()), want, "{who} sees {want} recordings");
    }
}
