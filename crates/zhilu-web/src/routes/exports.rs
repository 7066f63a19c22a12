//! Evidence packages made on the server (R22): make one on a copy or provide grant, list mine,
//! download a disc image to burn.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use zhilu_app::export::server::{self, ExportAsk, Package};
use zhilu_app::export::{Facts, parse_disc_size};

use super::openapi;
use crate::content;
use crate::error::{ApiError, ApiJson};
use crate::session::CurrentActor;
use crate::state::AppState;

/// What to write in the package (制作人, 提取人, 事由, 案件, 接收单位) and on what size of disc.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    /// 调阅授权编号（复制或对外提供）。
    pub grant: String,
    /// 制作人。
    pub maker: String,
    /// 提取人。
    pub extractor: String,
    /// 事由。
    pub reason: String,
    /// 案件编号（空则写调阅授权编号）。
    #[serde(default)]
    pub case: String,
    /// 案件名称（空则写案件编号）。
    #[serde(default)]
    pub case_name: String,
    /// 接收单位。
    pub receiver: String,
    /// 一张光盘的容量：cd、dvd（默认）、dvd-dl、bd25，或 4.7G、25G、字节数。
    #[serde(default)]
    pub disc_size: Option<String>,
}

/// The facts and disc capacity of a request, as the page's form and the API give them; a disc
/// size that cannot be read is refused here with the reason.
pub fn ask_of(b: ExportBody) -> Result<ExportAsk, ApiError> {
    let disc_capacity = match b.disc_size.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(parse_disc_size(s).map_err(ApiError::bad_request)?),
    };
    Ok(ExportAsk {
        grant: b.grant.trim().to_string(),
        facts: Facts {
            maker: b.maker,
            extractor: b.extractor,
            reason: b.reason,
            case: b.case,
            case_name: b.case_name,
            receiver: b.receiver,
            agency: String::new(),
        },
        disc_capacity,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/exports",
    operation_id = "make_export",
    tag = "证据提取",
    summary = "制作证据包和光盘映像",
    description = "只能由被授权人本人在已批准、未过期、未撤销的复制或对外提供授权上制作（R22）。\
                   证据包（BagIt，含 SHA-256 与 SM3 清单、文字说明材料、审计日志包含证明、verify.py）写在服务器上，\
                   并写成 ISO 9660 + Joliet 光盘映像（放不下一张光盘时分成几张），记入审计日志（evidence.exported）。",
    request_body = ExportBody,
    responses((status = 201, description = "已制作，附每个文件的 SHA-256、SM3 和每张光盘映像的 SHA-256", body = Package), openapi::WriteErrors)
)]
pub async fn make(
    State(s): State<AppState>,
    me: CurrentActor,
    ApiJson(b): ApiJson<ExportBody>,
) -> Result<(StatusCode, Json<Package>), ApiError> {
    let p = server::make(&s.app, &me.actor, ask_of(b)?).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(
    get,
    path = "/api/v1/exports",
    operation_id = "list_exports",
    tag = "证据提取",
    summary = "我制作的证据包",
    responses((status = 200, description = "成功，新的在前", body = Vec<Package>), openapi::ReadErrors)
)]
pub async fn list(
    State(s): State<AppState>,
    me: CurrentActor,
) -> Result<Json<Vec<Package>>, ApiError> {
    Ok(Json(server::exports_of(&s.app, &me.actor).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/exports/{id}/images/{n}",
    operation_id = "export_image",
    tag = "证据提取",
    summary = "下载证据包的光盘映像（用于刻录）",
    description = "制作人本人，或保管人、法制机构可以下载；下载在第一个字节发出前记入审计日志（evidence.downloaded）。\
                   以附件下载，支持 Range；ETag 为映像的 SHA-256，与制作时返回的和审计日志中的一致，刻录后写在光盘标签上。",
    params(
        ("id" = String, Path, description = "证据包编号"),
        ("n" = u32, Path, description = "第几张光盘映像，从 1 起"),
        ("Range" = Option<String>, Header, description = "字节范围，如 bytes=0-"),
    ),
    responses(
        (status = 200, description = "光盘映像（Content-Disposition: attachment）", content(
            (openapi::Original = "application/x-iso9660-image")
        ), headers(("Content-Disposition" = String), ("ETag" = String))),
        (status = 206, description = "所请求的字节范围", content(
            (openapi::Original = "application/x-iso9660-image")
        ), headers(("Content-Range" = String))),
        (status = 416, description = "范围超出映像长度", headers(("Content-Range" = String))),
        openapi::LookupErrors,
    )
)]
pub async fn image(
    State(s): State<AppState>,
    me: CurrentActor,
    Path((id, n)): Path<(String, u32)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let img = server::open_image(&s.app, &me.actor, &id, n).await?;
    let servable = content::Servable {
        file: Arc::new(img.file),
        len: img.len,
        content_type: "application/x-iso9660-image",
        etag: img.sha256,
    };
    let range = content::parse_range(&headers, servable.len);
    let mut resp = content::respond(servable, range, |_| {});
    // The id and name are letters, digits, `-` and `.iso`: a valid header value.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", img.name)) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
