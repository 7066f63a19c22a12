//! Device registry and lifecycle (R1, R2): only registered devices can be offloaded from.

use serde::Serialize;
use zhilu_store::{Change, DeviceEventRow, DeviceRow};

use crate::app::App;
use crate::error::AppError;
use crate::validate;

/// The device kinds of R1, stored by their Chinese names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeviceKind {
    Camera,
    AudioRecorder,
    VideoCamera,
    BodyCamera,
    HandheldTerminal,
    Surveillance,
    CollectionStation,
}

impl DeviceKind {
    const ALL: [(DeviceKind, &'static str, &'static str); 7] = [
        (DeviceKind::Camera, "照相机", "camera"),
        (DeviceKind::AudioRecorder, "录音机", "audio-recorder"),
        (DeviceKind::VideoCamera, "摄像机", "video-camera"),
        (DeviceKind::BodyCamera, "执法记录仪", "body-camera"),
        (
            DeviceKind::HandheldTerminal,
            "手持执法终端",
            "handheld-terminal",
        ),
        (DeviceKind::Surveillance, "视频监控", "surveillance"),
        (
            DeviceKind::CollectionStation,
            "采集站",
            "collection-station",
        ),
    ];

    /// Accepts the Chinese name or the English alias.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        let s = s.trim();
        Self::ALL
            .iter()
            .find(|(_, zh, en)| *zh == s || en.eq_ignore_ascii_case(s))
            .map(|(k, _, _)| *k)
            .ok_or_else(|| {
                let names: Vec<String> = Self::ALL
                    .iter()
                    .map(|(_, zh, en)| format!("{zh}（{en}）"))
                    .collect();
                AppError::invalid(
                    "--kind",
                    format!("未知的设备类型“{s}”，可选：{}", names.join("、")),
                )
            })
    }

    pub fn as_zh(&self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _, _)| k == self)
            .map(|(_, zh, _)| *zh)
            .unwrap_or("")
    }
}

/// What `zhilu device register` asks for.
#[derive(Debug, Clone)]
pub struct RegisterDevice {
    pub serial: String,
    pub kind: String,
    pub model: String,
    pub unit: String,
    pub keeper: String,
    pub asset_no: Option<String>,
}

/// Lifecycle events (R2) and the status each leaves the device in (`None` = unchanged).
const EVENTS: [(&str, Option<&str>); 8] = [
    ("发放", Some("在用")),
    ("调拨", None),
    ("更新", None),
    ("维修", Some("维修")),
    ("恢复使用", Some("在用")),
    ("停用", Some("停用")),
    ("报废", Some("报废")),
    ("遗失", Some("遗失")),
];

impl App {
    /// Registers a device (R1) and logs its 登记 event (R2).
    pub async fn register_device(
        &self,
        actor: &str,
        req: &RegisterDevice,
    ) -> Result<DeviceRow, AppError> {
        let serial = validate::ident("--serial", &req.serial)?;
        let kind = DeviceKind::parse(&req.kind)?;
        let model = validate::text("--model", &req.model)?;
        let unit = validate::text("--unit", &req.unit)?;
        let keeper = validate::text("--keeper", &req.keeper)?;
        let asset_no = req
            .asset_no
            .as_deref()
            .map(|a| validate::text("--asset-no", a))
            .transpose()?;
        if self.catalog.device(&serial).await?.is_some() {
            return Err(AppError::DeviceAlreadyRegistered(serial));
        }
        let now = self.now_micros();
        let row = DeviceRow {
            serial: serial.clone(),
            kind: kind.as_zh().to_string(),
            model,
            asset_no,
            unit,
            keeper,
            status: "在用".into(),
            registered_at: now,
            ledger_seq: 0,
        };
        let event = DeviceEventRow {
            id: uuid::Uuid::now_v7().to_string(),
            serial,
            event: "登记".into(),
            detail: format!("登记为{}，保管人 {}", row.kind, row.keeper),
            at: now,
            actor: actor.to_string(),
            ledger_seq: 0,
        };
        self.record(
            actor,
            vec![
                Change::RegisterDevice(row.clone()),
                Change::AddDeviceEvent(event),
            ],
        )
        .await?;
        Ok(row)
    }

    /// Records a lifecycle event (R2): 发放, 调拨, 更新, 维修, 恢复使用, 停用, 报废, 遗失 — with the
    /// device's new unit or keeper where the event changes them.
    pub async fn device_event(
        &self,
        actor: &str,
        serial: &str,
        event: &str,
        detail: &str,
        unit: Option<&str>,
        keeper: Option<&str>,
    ) -> Result<DeviceRow, AppError> {
        let serial = validate::ident("--serial", serial)?;
        let Some((event, status)) = EVENTS.iter().find(|(e, _)| *e == event.trim()) else {
            let names: Vec<&str> = EVENTS.iter().map(|(e, _)| *e).collect();
            return Err(AppError::invalid(
                "--event",
                format!("未知的设备事件“{event}”，可选：{}", names.join("、")),
            ));
        };
        let detail = validate::text("--detail", detail)?;
        let mut device = self
            .catalog
            .device(&serial)
            .await?
            .ok_or_else(|| AppError::invalid("--serial", format!("设备 {serial} 未登记")))?;
        if let Some(u) = unit {
            device.unit = validate::text("--unit", u)?;
        }
        if let Some(k) = keeper {
            device.keeper = validate::text("--keeper", k)?;
        }
        if let Some(s) = status {
            device.status = (*s).to_string();
        }
        let row = DeviceEventRow {
            id: uuid::Uuid::now_v7().to_string(),
            serial,
            event: (*event).to_string(),
            detail,
            at: self.now_micros(),
            actor: actor.to_string(),
            ledger_seq: 0,
        };
        self.record(
            actor,
            vec![
                Change::UpdateDevice(device.clone()),
                Change::AddDeviceEvent(row),
            ],
        )
        .await?;
        Ok(device)
    }
}
