-- Catalog v15: the ledger's tables laid out for appends (issue 15). Keep in step with the other
-- backend's 0015; the one difference allowed is the key type: an INTEGER key to SQLite (64-bit
-- there, and the row id itself: one b-tree, no separate key index), BIGINT to PostgreSQL.
--
-- A single-entry commit wrote about ten pages: the entry, its key index and two indexes, tree
-- nodes and their key index in two places, the head, the checkpoint and its key index. Now
-- the tree is one table keyed by each node's in-order position (`zhilu_ledger::NodeId::position`:
-- leaf n at 2n, a level-l node 2^l - 1 before its last leaf), where an append writes at the
-- end, and entries and checkpoints are keyed by their own number.

CREATE TABLE ledger_tree (
    pos  BIGINT PRIMARY KEY,
    hash TEXT NOT NULL
);
WITH RECURSIVE p (level, f) AS (
    SELECT CAST(0 AS BIGINT), CAST(1 AS BIGINT)
    UNION ALL
    SELECT level + 1, f * 2 FROM p WHERE level < 61
)
INSERT INTO ledger_tree (pos, hash)
SELECT n.idx * p.f * 2 + p.f - 1, n.hash FROM ledger_nodes n JOIN p ON p.level = n.level;
DROP TABLE ledger_nodes;

CREATE TABLE ledger_entries_v15 (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL,
    leaf_hash TEXT NOT NULL
);
INSERT INTO ledger_entries_v15 (seq, at, kind, subject, body, leaf_hash)
SELECT seq, at, kind, subject, body, leaf_hash FROM ledger_entries ORDER BY seq;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_v15 RENAME TO ledger_entries;
CREATE INDEX ledger_entries_subject ON ledger_entries(subject, seq);
CREATE INDEX ledger_entries_kind ON ledger_entries(kind, seq);

CREATE TABLE ledger_checkpoints_v15 (
    size BIGINT PRIMARY KEY,
    at   BIGINT NOT NULL,
    note TEXT NOT NULL
);
INSERT INTO ledger_checkpoints_v15 (size, at, note)
SELECT size, at, note FROM ledger_checkpoints ORDER BY size;
DROP TABLE ledger_checkpoints;
ALTER TABLE ledger_checkpoints_v15 RENAME TO ledger_checkpoints;
