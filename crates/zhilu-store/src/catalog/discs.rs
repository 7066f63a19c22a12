//! The disc register (R21): preservation discs and each physical copy of them.

use zhilu_model::*;

use super::entry::v1;
use super::table::table;
use super::{Catalog, Result, Versioned, text};

table!(
    PreservationDisc, table = "discs", noun = "disc",
    inserted = "disc.made", updated = "disc.updated",
    key = { id => "id" },
    subject = |r| format!("disc:{}", r.id),
    state = v1::PreservationDisc,
    columns = {
        id => "id", group => "group_key", title => "title", part => "part", parts => "parts",
        items => "items", files => "files", image_sha256 => "image_sha256",
        image_size => "image_size", copies => "copies", made_at => "made_at",
        made_by => "made_by",
    },
);

table!(
    DiscCopy, table = "disc_copies", noun = "disc-copy",
    inserted = "disc.copy_registered", updated = "disc.copy_updated",
    key = { id => "id" },
    subject = |r| format!("disc-copy:{}", r.id),
    state = v1::DiscCopy,
    columns = {
        id => "id", disc => "disc", copy_no => "copy_no", location => "location",
        holder => "holder", placed_at => "placed_at", checked_at => "checked_at",
        check_ok => "check_ok", check_note => "check_note",
    },
);

impl Catalog {
    /// Every preservation disc, in the order made.
    pub async fn discs(&self) -> Result<Vec<PreservationDisc>> {
        self.select("1 = 1", vec![], "made_at, id").await
    }

    pub async fn disc(&self, id: &RecordId) -> Result<Option<Versioned<PreservationDisc>>> {
        self.get(vec![text(id.as_str())]).await
    }

    /// Every physical copy in the register, by disc and copy number.
    pub async fn disc_copies(&self) -> Result<Vec<DiscCopy>> {
        self.select("1 = 1", vec![], "disc, copy_no").await
    }

    pub async fn disc_copy(&self, id: &RecordId) -> Result<Option<Versioned<DiscCopy>>> {
        self.get(vec![text(id.as_str())]).await
    }
}
