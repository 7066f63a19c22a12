//! The OpenAPI 3.1 document of the API (`GET /api/v1/openapi.json`) and Swagger UI
//! (`/api/v1/docs/`). The document is generated from the same table that builds the router
//! ([`super::table`]): each handler's `#[utoipa::path]` gives its method, path, summary, parameters,
//! body and answers, and the records' types give the schemas. Only footage (`footage.rs`) is
//! described here, by doc-only operations, because its handlers answer bytes, not JSON.
//!
//! Security is set by one rule, the CSRF middleware's: every operation needs the session cookie,
//! every state-changing one the `X-CSRF-Token` header too; logging in and this document need
//! neither.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoResponses, OpenApi, ToSchema};

use crate::error::ErrorBody;
use crate::state::AppState;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";
/// Where Swagger UI is served (its page is `…/docs/`).
pub const DOCS_PATH: &str = "/api/v1/docs";

/// The document's fixed parts: title, the schemes, the error schema, and the footage operations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Zhilu 执法音像记录管理 API",
        description = "执录：执法音像记录的设备、导入、执法记录、调阅审批与在线查看。\
                       登录（POST /api/v1/session）后凭会话 Cookie 访问；\
                       修改数据的请求须带登录时返回的防伪令牌（X-CSRF-Token）。\
                       错误一律以 {code, message} 回答，message 为中文。"
    ),
    paths(content, viewing, download, refuse_original, refuse_content),
    components(schemas(ErrorBody)),
    modifiers(&Security)
)]
pub struct ApiDoc;

/// The session cookie and the CSRF header as security schemes (which operation needs which is
/// [`secure`]'s rule).
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::session::COOKIE,
                "登录后服务器设置的会话 Cookie",
            ))),
        );
        components.add_security_scheme(
            "station",
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                    .bearer_format("zst_<采集站编号>_<密钥>")
                    .description(Some(
                        "系统管理员为采集站登记的凭据（zhilu station register）",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "登录时返回的防伪令牌（csrf_token），修改数据的请求必须携带",
            ))),
        );
    }
}

/// Sets each operation's security requirement by the CSRF middleware's rule (after every path is
/// in the document).
fn secure(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in operations(item) {
            let public = (method == HttpMethod::Post && path == super::LOGIN_PATH)
                || (method == HttpMethod::Get && path == DOCUMENT_PATH);
            // Networked stations' uploads take the station's bearer credential, nothing else.
            let station = path.starts_with(super::uploads::PATH_PREFIX);
            op.security = Some(if public {
                Vec::new()
            } else if station {
                vec![SecurityRequirement::new("station", Vec::<String>::new())]
            } else if method == HttpMethod::Get {
                vec![SecurityRequirement::new("session", Vec::<String>::new())]
            } else {
                vec![
                    SecurityRequirement::new("session", Vec::<String>::new())
                        .add("csrf", Vec::<String>::new()),
                ]
            });
        }
    }
}

/// Every operation of a path item with its method.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = (HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, item.get.as_mut()),
        (HttpMethod::Put, item.put.as_mut()),
        (HttpMethod::Post, item.post.as_mut()),
        (HttpMethod::Delete, item.delete.as_mut()),
        (HttpMethod::Patch, item.patch.as_mut()),
        (HttpMethod::Head, item.head.as_mut()),
        (HttpMethod::Options, item.options.as_mut()),
        (HttpMethod::Trace, item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
}

/// Makes operation ids unique: one doc-only function describes the refusal of several methods,
/// and OpenAPI wants an id per operation (`refuse_original_put`, …).
fn unique_ids(doc: &mut utoipa::openapi::OpenApi) {
    let mut seen = BTreeMap::<String, usize>::new();
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            if let Some(id) = &op.operation_id {
                *seen.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for item in doc.paths.paths.values_mut() {
        for (method, op) in operations(item) {
            if let Some(id) = op.operation_id.as_mut()
                && seen.get(id.as_str()).is_some_and(|n| *n > 1)
            {
                let method = serde_json::to_value(&method)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                *id = format!("{id}_{method}");
            }
        }
    }
}

/// The whole document, as the router's table describes it.
pub fn build() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = super::table().split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    secure(&mut doc);
    unique_ids(&mut doc);
    doc
}

/// The document as served (built once).
fn json() -> &'static [u8] {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_vec(&build()).expect("an OpenAPI document serialises"))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "文档",
    summary = "本文档",
    responses((status = 200, description = "OpenAPI 3.1 文档", content_type = "application/json", body = Object))
)]
pub async fn document() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json(),
    )
        .into_response()
}

/// Swagger UI over this document, from the assets built into the binary (no network).
pub fn swagger_ui() -> Router<AppState> {
    let config = utoipa_swagger_ui::Config::new([DOCUMENT_PATH])
        // No badge asking an outside validator.
        .validator_url("none")
        .try_it_out_enabled(false);
    utoipa_swagger_ui::SwaggerUi::new(DOCS_PATH)
        .config(config)
        .into()
}

/// The error answers an operation can give, as `responses(...)` items: each is an error body
/// with the statuses listed.
fn errors(statuses: &[(&str, &str)]) -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    statuses
        .iter()
        .map(|(status, description)| {
            (
                (*status).to_string(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description(*description)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("Error")))
                                .build(),
                        )
                        .build(),
                ),
            )
        })
        .collect()
}

const BAD: (&str, &str) = ("400", "请求无效（JSON、字段或编号不合规则）");
const UNAUTH: (&str, &str) = ("401", "未登录或登录已过期");
const FORBIDDEN: (&str, &str) = ("403", "无权操作、缺少防伪令牌或须先修改密码");
const FORBIDDEN_READ: (&str, &str) = ("403", "无权查看或须先修改密码");
const MISSING: (&str, &str) = ("404", "所指的记录不存在或未登记");
const CONFLICT: (&str, &str) = (
    "409",
    "与现有记录冲突（重复登记、已解除、被他人同时修改等）",
);
const TOO_LARGE: (&str, &str) = ("413", "请求内容超过 64 KiB");
const REFUSED: (&str, &str) = ("422", "审批规则或执法规范配置不允许");

/// Errors of a read: not logged in, not allowed.
pub struct ReadErrors;
impl IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[UNAUTH, FORBIDDEN_READ])
    }
}

/// Errors of a read with parameters: also an invalid parameter, a missing record.
pub struct LookupErrors;
impl IntoResponses for LookupErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[BAD, UNAUTH, FORBIDDEN_READ, MISSING])
    }
}

/// Errors of a write.
pub struct WriteErrors;
impl IntoResponses for WriteErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[BAD, UNAUTH, FORBIDDEN, MISSING, CONFLICT, TOO_LARGE])
    }
}

/// Errors of a write that a profile's rule can refuse (approvals, extensions).
pub struct RuledWriteErrors;
impl IntoResponses for RuledWriteErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[
            BAD, UNAUTH, FORBIDDEN, MISSING, CONFLICT, TOO_LARGE, REFUSED,
        ])
    }
}

/// Errors of a station's upload request (bearer credential; 409 for a wrong offset or hashes
/// that do not match; 413 past a chunk's limit or the declared size).
pub struct UploadErrors;
impl IntoResponses for UploadErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[
            BAD,
            ("401", "采集站凭据无效或已被吊销"),
            ("403", "不是采集站凭据"),
            MISSING,
            (
                "409",
                "起始位置不符（code 为 offset_mismatch，另含 offset：平台已收到的字节数）、上传已结束、哈希值与申报不符或与已入库文件冲突",
            ),
            ("413", "数据块超过 16 MiB 或超出申报的文件大小"),
        ])
    }
}

/// Errors of logging in.
pub struct LoginErrors;
impl IntoResponses for LoginErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[
            BAD,
            ("401", "用户名或密码错误"),
            ("403", "账号已停用，或请求不是 JSON / 来自其他网站"),
            TOO_LARGE,
            ("429", "密码连续输错次数过多，账号暂时锁定"),
        ])
    }
}

// Footage (`footage.rs`): the handlers answer the original's bytes, so they are described by
// these doc-only operations; the router serves `footage::content`, `viewing`, `download` and
// `refuse`.

/// Watched in the browser.
#[utoipa::path(
    get,
    path = "/api/v1/recordings/{sha256}/content",
    tag = "音像记录",
    summary = "在线查看音像记录（支持 Range）",
    description = "须有有效的调阅授权；查看在第一个字节发出前记入调阅登记簿，发出的字节范围随后记入。",
    params(
        ("sha256" = String, Path, description = "音像记录的 SHA-256（64 位十六进制）", pattern = "^[0-9a-fA-F]{64}$"),
        ("Range" = Option<String>, Header, description = "字节范围，如 bytes=0-1048575"),
    ),
    responses(
        (status = 200, description = "原件全部内容", content(
            (Original = "video/mp4"), (Original = "video/quicktime"), (Original = "video/x-msvideo"),
            (Original = "image/jpeg"), (Original = "audio/wav"), (Original = "audio/mpeg"),
            (Original = "application/octet-stream")
        ), headers(("ETag" = String), ("Accept-Ranges" = String))),
        (status = 206, description = "所请求的字节范围", content(
            (Original = "video/mp4"), (Original = "application/octet-stream")
        ), headers(("Content-Range" = String, description = "bytes start-end/len"))),
        (status = 416, description = "范围超出原件长度", headers(("Content-Range" = String, description = "bytes */len"))),
        BadSha, ReadErrorsWithGrant,
    )
)]
#[expect(dead_code, reason = "doc-only: `footage::content` serves this path")]
fn content() {}

/// Watched in the browser in a form it plays: the original, or its viewing copy.
#[utoipa::path(
    get,
    path = "/api/v1/recordings/{sha256}/viewing",
    tag = "音像记录",
    summary = "在线播放音像记录（浏览器不能播放的格式给播放用副本，支持 Range）",
    description = "须有有效的调阅授权。浏览器能直接播放的（H.264/AAC 的 MP4、WAV、MP3）与 content 相同，给原件；\
                   H.265、AVI/MJPEG 等给用 ffmpeg 生成的 H.264 播放用副本：首次请求时生成并缓存在证据库之外，\
                   以一条 viewing_copy.made 审计日志与原件的哈希相关联（响应头 X-Zhilu-Viewing-Copy-Of 为原件的 SHA-256，\
                   ETag 为副本的 SHA-256）。原件不被改动；下载原件请用 download。查看记入调阅登记簿，记在原件名下。",
    params(
        ("sha256" = String, Path, description = "音像记录（原件）的 SHA-256（64 位十六进制）", pattern = "^[0-9a-fA-F]{64}$"),
        ("Range" = Option<String>, Header, description = "字节范围，如 bytes=0-1048575"),
    ),
    responses(
        (status = 200, description = "原件或播放用副本的全部内容", content(
            (Original = "video/mp4"), (Original = "video/quicktime"), (Original = "image/jpeg"),
            (Original = "audio/wav"), (Original = "audio/mpeg"), (Original = "application/octet-stream")
        ), headers(("ETag" = String), ("Accept-Ranges" = String), ("X-Zhilu-Viewing-Copy-Of" = String))),
        (status = 206, description = "所请求的字节范围", content(
            (Original = "video/mp4"), (Original = "application/octet-stream")
        ), headers(("Content-Range" = String, description = "bytes start-end/len"))),
        (status = 416, description = "范围超出文件长度", headers(("Content-Range" = String, description = "bytes */len"))),
        (status = 503, description = "服务器未安装 ffmpeg 或无法生成播放用副本（code viewing_copy_unavailable）", body = ErrorBody),
        BadSha, ReadErrorsWithGrant,
    )
)]
#[expect(dead_code, reason = "doc-only: `footage::viewing` serves this path")]
fn viewing() {}

/// The original downloaded (a copy or provide grant).
#[utoipa::path(
    get,
    path = "/api/v1/recordings/{sha256}/download",
    tag = "音像记录",
    summary = "下载原件（须复制或对外提供授权）",
    description = "须有复制或对外提供的调阅授权；以附件下载，支持 Range。",
    params(
        ("sha256" = String, Path, description = "音像记录的 SHA-256（64 位十六进制）", pattern = "^[0-9a-fA-F]{64}$"),
        ("Range" = Option<String>, Header, description = "字节范围，如 bytes=0-"),
    ),
    responses(
        (status = 200, description = "原件（Content-Disposition: attachment）", content(
            (Original = "application/octet-stream")
        ), headers(("Content-Disposition" = String), ("ETag" = String))),
        (status = 206, description = "所请求的字节范围", content(
            (Original = "application/octet-stream")
        ), headers(("Content-Range" = String))),
        (status = 416, description = "范围超出原件长度", headers(("Content-Range" = String))),
        BadSha, ReadErrorsWithGrant,
    )
)]
#[expect(dead_code, reason = "doc-only: `footage::download` serves this path")]
fn download() {}

/// Any write to an original.
#[utoipa::path(
    method(put, post, delete, patch),
    path = "/api/v1/recordings/{sha256}",
    tag = "音像记录",
    summary = "修改或删除原件（一律拒绝）",
    description = "原始音像记录不能修改或删除：请求一律以 403 拒绝，并记入审计日志。",
    params(("sha256" = String, Path, description = "音像记录的 SHA-256（64 位十六进制）")),
    responses(
        (status = 403, description = "原件不能修改或删除（已记入审计日志）", body = ErrorBody),
        BadSha,
        (status = 401, description = "未登录或登录已过期", body = ErrorBody),
        (status = 404, description = "音像记录不存在", body = ErrorBody),
    )
)]
#[expect(dead_code, reason = "doc-only: `footage::refuse` serves this path")]
fn refuse_original() {}

/// Any write to an original's content.
#[utoipa::path(
    method(put, post, delete, patch),
    path = "/api/v1/recordings/{sha256}/content",
    tag = "音像记录",
    summary = "修改或删除原件内容（一律拒绝）",
    description = "原始音像记录不能修改或删除：请求一律以 403 拒绝，并记入审计日志。",
    params(("sha256" = String, Path, description = "音像记录的 SHA-256（64 位十六进制）")),
    responses(
        (status = 403, description = "原件不能修改或删除（已记入审计日志）", body = ErrorBody),
        BadSha,
        (status = 401, description = "未登录或登录已过期", body = ErrorBody),
        (status = 404, description = "音像记录不存在", body = ErrorBody),
    )
)]
#[expect(dead_code, reason = "doc-only: `footage::refuse` serves this path")]
fn refuse_content() {}

/// A malformed SHA-256 in the path.
pub struct BadSha;
impl IntoResponses for BadSha {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[("400", "音像记录编号不是 64 位十六进制的 SHA-256")])
    }
}

/// Errors of reading footage: not logged in, no grant, no such recording.
pub struct ReadErrorsWithGrant;
impl IntoResponses for ReadErrorsWithGrant {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[
            UNAUTH,
            ("403", "没有有效的调阅授权，或授权不含此用途"),
            ("404", "音像记录不存在"),
        ])
    }
}

/// An original's bytes, as stored.
pub struct Original;

impl utoipa::PartialSchema for Original {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Binary,
            )))
            .description(Some("原件的字节，与存储的完全一致"))
            .into()
    }
}

impl ToSchema for Original {}
