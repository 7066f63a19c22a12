-- Catalog v16: one ledger row per entry, holding everything an append writes (issue 15). Keep in
-- step with the other backend's 0016; the one difference allowed is the key type (INTEGER, the
-- row id, to SQLite; BIGINT to PostgreSQL).
--
-- v15 wrote six pages per single-entry commit: the entry, its two indexes, a tree node, the head
-- and the checkpoint. A durable commit's cost is mostly the pages it writes and syncs, so now:
-- - an entry's row holds the perfect-subtree hashes it completes (`nodes`: levels 1, 2, …, hex,
--   joined; level 0 is `leaf_hash`), so node (level l, index i) is read from entry (i+1)·2^l − 1;
-- - the last entry of a commit holds the commit's signed checkpoint (`note`, for size seq + 1);
--   the head is the last row;
-- - the subject and kind lookups read `ledger_keys`, which a commit brings up to date only once
--   the entries after its last row number 128 or more; readers scan that short tail themselves.
-- `ledger_meta` keeps the one thing the head row held that no entry does: the hash algorithm.

CREATE TABLE ledger_entries_v16 (
    seq       INTEGER PRIMARY KEY,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL,
    leaf_hash TEXT NOT NULL,
    nodes     TEXT NOT NULL,
    note      TEXT
);
WITH RECURSIVE p (level, f) AS (
    SELECT CAST(1 AS BIGINT), CAST(2 AS BIGINT)
    UNION ALL
    SELECT level + 1, f * 2 FROM p WHERE level < 61
)
INSERT INTO ledger_entries_v16 (seq, at, kind, subject, body, leaf_hash, nodes, note)
SELECT e.seq, e.at, e.kind, e.subject, e.body, e.leaf_hash,
       COALESCE((SELECT string_agg(t.hash, '' ORDER BY p.level)
                 FROM p JOIN ledger_tree t ON t.pos = 2 * e.seq + 1 - p.f
                 WHERE p.f <= e.seq + 1 AND (e.seq + 1) % p.f = 0), ''),
       c.note
FROM ledger_entries e LEFT JOIN ledger_checkpoints c ON c.size = e.seq + 1
ORDER BY e.seq;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_v16 RENAME TO ledger_entries;

CREATE TABLE ledger_keys (
    seq     INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL,
    subject TEXT NOT NULL
);
INSERT INTO ledger_keys (seq, kind, subject) SELECT seq, kind, subject FROM ledger_entries ORDER BY seq;
CREATE INDEX ledger_keys_subject ON ledger_keys(subject, seq);
CREATE INDEX ledger_keys_kind ON ledger_keys(kind, seq);

CREATE TABLE ledger_meta (
    id  BIGINT PRIMARY KEY,
    alg TEXT NOT NULL
);
INSERT INTO ledger_meta (id, alg) SELECT id, alg FROM ledger_head;
DROP TABLE ledger_head;
DROP TABLE ledger_tree;
DROP TABLE ledger_checkpoints;
