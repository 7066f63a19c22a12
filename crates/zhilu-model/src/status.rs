//! The closed sets: device kinds and statuses, lifecycle events, offload and approval statuses.
//!
//! Each value has the string the catalog stores (`as_str`, which is also its JSON form) and a
//! Chinese label for people (`label`). Parsing a stored string that is not in the set is an error,
//! never a silent default.

use std::fmt;

use serde::{Serialize, Serializer};

/// A stored string outside a closed set: the catalog was edited behind the program, or a newer
/// release wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{value}”不是有效的{what}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

macro_rules! closed_set {
    ($(#[$m:meta])* $name:ident, $what:literal {
        $($(#[$vm:meta])* $variant:ident = $stored:literal, $label:literal;)+
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vm])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored (and JSON) form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $stored,)+
                }
            }

            /// The Chinese name people read.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// What a person typed: the Chinese name or the stored code (any case).
            pub fn parse_label_or_code(s: &str) -> Result<Self, UnknownValue> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.label() == s || v.as_str().eq_ignore_ascii_case(s))
                    .ok_or_else(|| UnknownValue { what: $what, value: s.to_string() })
            }

            /// The value stored as `s`.
            pub fn parse(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($stored => Ok($name::$variant),)+
                    _ => Err(UnknownValue { what: $what, value: s.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::openapi::one_of($what, $name::ALL.iter().map(|v| v.as_str()))
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

closed_set!(
    /// The device kinds of R1, stored by their Chinese names.
    DeviceKind, "设备类型" {
        Camera = "照相机", "照相机";
        AudioRecorder = "录音机", "录音机";
        VideoCamera = "摄像机", "摄像机";
        BodyCamera = "执法记录仪", "执法记录仪";
        HandheldTerminal = "手持执法终端", "手持执法终端";
        Surveillance = "视频监控", "视频监控";
        CollectionStation = "采集站", "采集站";
    }
);

impl DeviceKind {
    /// English aliases accepted on input, in [`DeviceKind::ALL`] order.
    const ALIASES: [&'static str; 7] = [
        "camera",
        "audio-recorder",
        "video-camera",
        "body-camera",
        "handheld-terminal",
        "surveillance",
        "collection-station",
    ];

    /// Accepts the Chinese name or the English alias (`body-camera`).
    pub fn parse_input(s: &str) -> Result<Self, UnknownValue> {
        let s = s.trim();
        Self::ALL
            .iter()
            .zip(Self::ALIASES)
            .find(|(k, alias)| k.as_str() == s || alias.eq_ignore_ascii_case(s))
            .map(|(k, _)| *k)
            .ok_or_else(|| UnknownValue {
                what: "设备类型",
                value: s.to_string(),
            })
    }

    /// `照相机（camera）、…`: the choices, for a refusal.
    pub fn choices() -> String {
        Self::ALL
            .iter()
            .zip(Self::ALIASES)
            .map(|(k, a)| format!("{}（{a}）", k.as_str()))
            .collect::<Vec<_>>()
            .join("、")
    }
}

closed_set!(
    /// Where a device stands (R1).
    DeviceStatus, "设备状态" {
        InService = "在用", "在用";
        UnderRepair = "维修", "维修";
        Disabled = "停用", "停用";
        Scrapped = "报废", "报废";
        Lost = "遗失", "遗失";
    }
);

closed_set!(
    /// A lifecycle event of a device (R2).
    DeviceEventKind, "设备事件" {
        Registered = "登记", "登记";
        Issued = "发放", "发放";
        Transferred = "调拨", "调拨";
        Replaced = "更新", "更新";
        Repair = "维修", "维修";
        BackInService = "恢复使用", "恢复使用";
        Disabled = "停用", "停用";
        Scrapped = "报废", "报废";
        Lost = "遗失", "遗失";
    }
);

impl DeviceEventKind {
    /// The status the event leaves the device in; `None` leaves it unchanged.
    pub fn resulting_status(self) -> Option<DeviceStatus> {
        match self {
            DeviceEventKind::Issued | DeviceEventKind::BackInService => {
                Some(DeviceStatus::InService)
            }
            DeviceEventKind::Repair => Some(DeviceStatus::UnderRepair),
            DeviceEventKind::Disabled => Some(DeviceStatus::Disabled),
            DeviceEventKind::Scrapped => Some(DeviceStatus::Scrapped),
            DeviceEventKind::Lost => Some(DeviceStatus::Lost),
            DeviceEventKind::Registered
            | DeviceEventKind::Transferred
            | DeviceEventKind::Replaced => None,
        }
    }

    /// The events a person records by hand (登记 happens at registration).
    pub fn manual() -> impl Iterator<Item = DeviceEventKind> {
        Self::ALL
            .iter()
            .copied()
            .filter(|e| *e != DeviceEventKind::Registered)
    }
}

closed_set!(
    /// How an offload session ended (R16).
    SessionStatus, "导入批次状态" {
        Running = "running", "进行中";
        Finished = "finished", "已完成";
        Failed = "failed", "失败";
        /// Found running by a later offload of the same device: its process had died.
        Interrupted = "interrupted", "中断";
    }
);

closed_set!(
    /// What kind of media a stored original is (by content, not by its name).
    MediaKind, "媒体类型" {
        Mp4 = "mp4", "视频（MP4）";
        Mov = "mov", "视频（MOV）";
        Avi = "avi", "视频（AVI）";
        Jpeg = "jpeg", "照片（JPEG）";
        Wav = "wav", "音频（WAV）";
        Mp3 = "mp3", "音频（MP3）";
        Unknown = "unknown", "未知";
    }
);

closed_set!(
    /// Where a recording's capture start came from.
    TimeSource, "时间来源" {
        Metadata = "metadata", "文件元数据";
        FileName = "file_name", "文件名";
        Unknown = "unknown", "未知";
    }
);

closed_set!(
    /// How a recording came to be linked to an activity.
    LinkMethod, "关联方式" {
        /// Officer, device and time matched (R3, R14).
        Auto = "auto", "自动";
        Manual = "manual", "人工";
    }
);

closed_set!(
    /// What an approval approves.
    ApprovalKind, "审批事项类型" {
        NoRecord = "norecord", "未记录工作记录";
        Interruption = "interruption", "中断说明";
        Extension = "extension", "延期导出申请";
        Access = "access", "调阅申请";
        Purge = "purge", "清除审批";
    }
);

closed_set!(
    /// Where an approval stands.
    ApprovalStatus, "审批状态" {
        Pending = "pending", "待审批";
        Approved = "approved", "已批准";
        Rejected = "rejected", "已驳回";
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r1_device_kinds_accept_chinese_names_and_english_aliases() {
        assert_eq!(
            DeviceKind::parse_input("body-camera"),
            Ok(DeviceKind::BodyCamera)
        );
        assert_eq!(
            DeviceKind::parse_input("执法记录仪"),
            Ok(DeviceKind::BodyCamera)
        );
        assert!(DeviceKind::parse_input("手机").is_err());
        assert!(DeviceKind::choices().contains("执法记录仪（body-camera）"));
    }

    #[test]
    fn r2_lifecycle_events_set_the_device_status() {
        assert_eq!(
            DeviceEventKind::parse("维修").unwrap().resulting_status(),
            Some(DeviceStatus::UnderRepair)
        );
        assert_eq!(DeviceEventKind::Transferred.resulting_status(), None);
        assert!(!DeviceEventKind::manual().any(|e| e == DeviceEventKind::Registered));
    }

    #[test]
    fn x1_a_stored_value_outside_the_set_is_an_error_not_a_default() {
        let e = SessionStatus::parse("done").unwrap_err();
        assert!(e.to_string().contains("done"));
        for s in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(s.as_str()), Ok(*s));
        }
        assert_eq!(
            serde_json::to_string(&ApprovalStatus::Approved).unwrap(),
            "\"approved\""
        );
    }
}

closed_set!(
    /// A confidentiality class (R25). Clearances are a *set* of these, not a level: being cleared
    /// for 商业秘密 says nothing about 个人隐私.
    Secrecy, "密级类别" {
        StateSecret = "state_secret", "国家秘密";
        WorkSecret = "work_secret", "工作秘密";
        CommercialSecret = "commercial_secret", "商业秘密";
        Privacy = "privacy", "个人隐私";
    }
);

impl Secrecy {
    /// Accepts the Chinese name (`工作秘密`) or the stored code (`work_secret`).
    pub fn parse_input(s: &str) -> Result<Self, UnknownValue> {
        Self::parse_label_or_code(s)
    }

    /// A comma list (`工作秘密,商业秘密`, `、` and `，` also separate) as a sorted set.
    pub fn parse_set(s: &str) -> Result<Vec<Self>, UnknownValue> {
        let mut out: Vec<Secrecy> = s
            .split([',', '，', '、'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(Self::parse_input)
            .collect::<Result<_, _>>()?;
        out.sort();
        out.dedup();
        Ok(out)
    }
}

closed_set!(
    /// What an access request asks for and a grant allows (R23, R24).
    AccessKind, "调阅方式" {
        View = "view", "查阅（在线观看，带水印）";
        Copy = "copy", "复制（下载原件）";
        Provide = "provide", "对外提供";
    }
);

impl AccessKind {
    /// Accepts the code (`view`), the Chinese name, or the short one (查阅、复制、对外提供).
    pub fn parse_input(s: &str) -> Result<Self, UnknownValue> {
        let short = match s.trim() {
            "查阅" => Some(AccessKind::View),
            "复制" => Some(AccessKind::Copy),
            "对外提供" => Some(AccessKind::Provide),
            _ => None,
        };
        short.map_or_else(|| Self::parse_label_or_code(s), Ok)
    }

    /// Whether a grant of this kind lets the holder download the original bytes (not only
    /// watch them in the browser).
    pub fn downloads(self) -> bool {
        matches!(self, AccessKind::Copy | AccessKind::Provide)
    }
}

closed_set!(
    /// The roles every agency has, whatever its profile says (the profile adds the approvers of
    /// its chains). The three administrators are 三员分立: nobody holds two of them.
    FixedRole, "角色" {
        Officer = "officer", "执法人员";
        UnitHead = "unit_head", "单位负责人";
        Custodian = "custodian", "保管人";
        Legal = "legal", "法制机构";
        Leader = "leader", "领导（审批人）";
        Supervisor = "supervisor", "监督人员";
        /// A supervising body above the agency (several agencies on one installation): reads,
        /// never writes.
        SuperiorOversight = "superior_oversight", "上级监督机关";
        SystemAdmin = "system_admin", "系统管理员";
        SecurityAdmin = "security_admin", "安全保密管理员";
        AuditAdmin = "audit_admin", "安全审计员";
    }
);

impl FixedRole {
    /// The three administrators of 三员分立.
    pub const ADMINS: [FixedRole; 3] = [
        FixedRole::SystemAdmin,
        FixedRole::SecurityAdmin,
        FixedRole::AuditAdmin,
    ];

    pub fn is_admin(self) -> bool {
        Self::ADMINS.contains(&self)
    }
}

closed_set!(
    /// What a device's cost paid for (R31, luohe-xm §23: 购置、维护经费).
    CostKind, "费用类别" {
        Purchase = "purchase", "购置";
        Maintenance = "maintenance", "维护";
        Repair = "repair", "维修";
        Other = "other", "其他";
    }
);

closed_set!(
    /// How a sampling review's population is stratified (R27): by the unit of each activity's
    /// first officer, by activity kind, or as one stratum.
    SampleBy, "抽样分层方式" {
        Unit = "unit", "按单位";
        Kind = "kind", "按活动类型";
        All = "all", "不分层";
    }
);

closed_set!(
    /// The result of one check item of a sampling review (R27).
    ReviewResult, "评查结果" {
        Pass = "pass", "符合";
        Partial = "partial", "基本符合";
        Fail = "fail", "不符合";
        NotApplicable = "na", "不适用";
    }
);

closed_set!(
    /// Where a finding kept as a work item stands (issue 14).
    FindingState, "问题状态" {
        Open = "open", "待确认";
        Acknowledged = "acknowledged", "已确认";
        Rectified = "rectified", "已整改";
        Closed = "closed", "已关闭";
    }
);
