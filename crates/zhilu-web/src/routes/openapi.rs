//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 document of the API, written by hand from one
//! table (paths, methods, summaries); request and response schemas are not described yet.

use axum::Json;
use serde_json::{Map, Value, json};

/// (method, path, summary) of every operation.
const OPERATIONS: &[(&str, &str, &str)] = &[
    ("post", "/api/v1/session", "登录（返回防伪令牌）"),
    ("get", "/api/v1/session", "当前用户"),
    ("delete", "/api/v1/session", "退出登录"),
    ("post", "/api/v1/session/password", "修改本人密码"),
    ("get", "/api/v1/users", "用户列表"),
    ("post", "/api/v1/users", "登记用户"),
    ("post", "/api/v1/users/{id}/disable", "停用用户"),
    ("post", "/api/v1/users/{id}/enable", "启用用户"),
    ("post", "/api/v1/users/{id}/password", "重置用户密码"),
    ("put", "/api/v1/users/{id}/roles", "设置角色"),
    ("put", "/api/v1/users/{id}/clearances", "设置密级授权"),
    ("post", "/api/v1/access-requests", "申请调阅音像记录"),
    ("get", "/api/v1/approvals/inbox", "待我审批的事项"),
    ("post", "/api/v1/approvals/{id}/approve", "审批通过"),
    ("post", "/api/v1/approvals/{id}/reject", "驳回"),
    ("get", "/api/v1/grants", "我的调阅授权"),
    ("post", "/api/v1/grants/{id}/revoke", "撤销调阅授权"),
    ("get", "/api/v1/register", "调阅登记簿"),
    ("put", "/api/v1/classifications", "设置或解除密级"),
    (
        "get",
        "/api/v1/recordings/{sha256}/content",
        "在线查看音像记录（支持 Range）",
    ),
    (
        "get",
        "/api/v1/recordings/{sha256}/download",
        "下载原件（须复制或对外提供授权）",
    ),
    ("get", "/api/v1/openapi.json", "本文档"),
    ("get", "/api/v1/devices", "设备列表"),
    ("get", "/api/v1/devices/{serial}", "设备信息"),
    ("get", "/api/v1/devices/{serial}/events", "设备履历"),
    ("post", "/api/v1/devices/{serial}/return", "归还设备"),
    ("get", "/api/v1/checkouts", "领用记录"),
    ("post", "/api/v1/checkouts", "领用设备（含使用前检查）"),
    ("get", "/api/v1/usage", "使用台账"),
    ("get", "/api/v1/officers", "人员名册"),
    ("get", "/api/v1/activities", "执法活动列表"),
    ("post", "/api/v1/activities", "登记执法活动"),
    ("get", "/api/v1/activities/{id}", "执法活动详情"),
    ("post", "/api/v1/links", "关联音像记录与执法活动"),
    ("post", "/api/v1/norecords", "登记未记录工作记录"),
    ("post", "/api/v1/interruptions", "登记中断说明"),
    ("post", "/api/v1/extensions", "申请延期导出"),
    (
        "get",
        "/api/v1/recordings",
        "音像记录列表（按设备、执法人员）",
    ),
    (
        "get",
        "/api/v1/findings",
        "检查发现的问题（按期间、单位、执法人员）",
    ),
    ("get", "/api/v1/subject", "当事人的全部记录"),
    ("get", "/api/v1/retention", "保存期限"),
    ("get", "/api/v1/approvals/pending", "全部待审批事项"),
];

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
    })
}

/// The document.
pub fn build() -> Value {
    let mut paths = Map::new();
    for (method, path, summary) in OPERATIONS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "summary": summary,
            "responses": {
                "200": {"description": "成功"},
                "default": {
                    "description": "错误",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            }
        });
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if *method != "get" && *path != "/api/v1/session" {
            op["security"] = json!([{"session": [], "csrf": []}]);
        }
        let entry = paths
            .entry((*path).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Zhilu 执法音像记录管理 API", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "schemas": {"Error": error_schema()},
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": crate::session::COOKIE},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
