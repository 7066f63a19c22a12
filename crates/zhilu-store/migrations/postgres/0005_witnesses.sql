-- Catalog v5: witnesses' cosignatures (issue 10). Keep in step with the other backend's 0005.
--
-- A cosignature is a receipt from outside: a witness's signature over one of our signed
-- checkpoints, saying it has seen that tree and every earlier one it saw is a prefix of it. It is
-- not state of ours, so it is not a ledger entry (recording it would move the head it vouches
-- for); `verify` checks every row's signature with the witness's key from the ledger, so a row
-- forged here is named, and one deleted only makes the log look less witnessed than it was.
CREATE TABLE witness_cosignatures (
    witness TEXT NOT NULL,
    size BIGINT NOT NULL,
    cosignature TEXT NOT NULL,
    cosigned_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (witness, size)
);
