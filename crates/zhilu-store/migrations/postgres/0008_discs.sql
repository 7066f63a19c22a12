-- Catalog v8: the disc register (R21, issue 13). Keep in step with the other backend's 0008.
--
-- A preservation disc is one image (its files and both hashes of each, so a copy is checked
-- against the register, never only against the manifests it carries); each physical copy burned
-- from it has its own row: where it is kept, who holds it, its last check.
CREATE TABLE discs (
    id            TEXT PRIMARY KEY,
    group_key     TEXT NOT NULL,
    title         TEXT NOT NULL,
    part          BIGINT NOT NULL,
    parts         BIGINT NOT NULL,
    items         TEXT NOT NULL,
    files         TEXT NOT NULL,
    image_sha256  TEXT NOT NULL,
    image_size    BIGINT NOT NULL,
    copies        BIGINT NOT NULL,
    made_at       BIGINT NOT NULL,
    made_by       TEXT NOT NULL REFERENCES officers(id),
    ledger_seq    BIGINT NOT NULL
);

CREATE TABLE disc_copies (
    id            TEXT PRIMARY KEY,
    disc          TEXT NOT NULL REFERENCES discs(id),
    copy_no       BIGINT NOT NULL,
    location      TEXT NOT NULL,
    holder        TEXT NOT NULL,
    placed_at     BIGINT NOT NULL,
    checked_at    BIGINT,
    check_ok      BIGINT,
    check_note    TEXT,
    ledger_seq    BIGINT NOT NULL
);
CREATE INDEX disc_copies_disc ON disc_copies (disc);
