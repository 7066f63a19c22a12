//! Formats for evidence that leaves the vault (R21, R22, X3), each checkable by a receiver with
//! common tools and no software of ours: a BagIt bag (`bag`), the written statement as PDF/A-2b
//! (`statement`), ISO 9660 + Joliet disc images (`iso`), and ledgers and registers as xlsx
//! workbooks (`sheet`). Every writer takes the bytes and facts it is given and a
//! `Write`/directory to put them in: which recordings, for whom, and whether that is allowed is
//! decided in `zhilu-app`.

pub mod bag;
pub mod iso;
pub mod sheet;
pub mod statement;
