//! Operating-system errors in Chinese. `std::io::Error`'s own text is English ("No such file or
//! directory (os error 2)"), and it reaches custodians and officers inside our messages.

use std::io::{Error, ErrorKind};

/// What went wrong, in Chinese, with the OS error number for support staff.
pub fn io_error(e: &Error) -> String {
    let what = match e.kind() {
        ErrorKind::NotFound => "不存在",
        ErrorKind::PermissionDenied => "没有访问权限",
        ErrorKind::AlreadyExists => "已存在",
        ErrorKind::IsADirectory => "是一个目录，不是文件",
        ErrorKind::NotADirectory => "不是目录",
        ErrorKind::DirectoryNotEmpty => "目录不为空",
        ErrorKind::ReadOnlyFilesystem => "所在文件系统是只读的",
        ErrorKind::StorageFull => "磁盘空间已满",
        ErrorKind::QuotaExceeded => "超出磁盘配额",
        ErrorKind::FileTooLarge => "文件过大",
        ErrorKind::InvalidData => "内容无效",
        ErrorKind::InvalidInput => "参数无效",
        ErrorKind::UnexpectedEof => "文件意外结束（可能被截断）",
        ErrorKind::Interrupted => "操作被中断",
        ErrorKind::TimedOut => "操作超时",
        ErrorKind::WouldBlock => "资源暂时不可用",
        ErrorKind::ResourceBusy => "资源正忙",
        ErrorKind::StaleNetworkFileHandle => "网络文件句柄已失效",
        ErrorKind::CrossesDevices => "不能跨设备操作",
        ErrorKind::TooManyLinks => "链接过多",
        ErrorKind::InvalidFilename => "文件名无效",
        ErrorKind::OutOfMemory => "内存不足",
        _ => "输入输出错误",
    };
    match e.raw_os_error() {
        Some(code) => format!("{what}（系统错误 {code}）"),
        None => {
            // Our own errors (`io::Error::new(kind, "…")`) carry a Chinese text: keep it.
            let inner = e.to_string();
            if inner.is_ascii() {
                what.to_string()
            } else {
                inner
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x4_operating_system_errors_are_explained_in_chinese() {
        let e = Error::from_raw_os_error(2);
        assert_eq!(io_error(&e), "不存在（系统错误 2）");
        let e = Error::from_raw_os_error(28);
        assert_eq!(io_error(&e), "磁盘空间已满（系统错误 28）");
        let ours = Error::other("写入后回读校验失败");
        assert_eq!(io_error(&ours), "写入后回读校验失败");
        assert_eq!(io_error(&Error::other("boom")), "输入输出错误");
        let ours = Error::new(ErrorKind::NotFound, "存储位置不存在或未初始化");
        assert_eq!(io_error(&ours), "存储位置不存在或未初始化");
    }
}
