-- Catalog v4: several writers at once (issue 9). Keep in step with ../sqlite/0004_writers.sql.
--
-- Identifiers people read out (CO00012, A20261120-004) are drawn from one counter row per series
-- with a single atomic statement instead of counting rows, which collides once two processes
-- write. The counters start where the rows of earlier releases (numbered count + 1) left off.
CREATE TABLE id_counters (
    name TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);
INSERT INTO id_counters (name, last) SELECT 'CO', COUNT(*) FROM checkouts;
INSERT INTO id_counters (name, last) SELECT 'NR', COUNT(*) FROM norecords;
INSERT INTO id_counters (name, last) SELECT 'IR', COUNT(*) FROM interruptions;
INSERT INTO id_counters (name, last) SELECT 'EX', COUNT(*) FROM offload_extensions;
INSERT INTO id_counters (name, last) SELECT 'AR', COUNT(*) FROM access_requests;
INSERT INTO id_counters (name, last) SELECT 'H', COUNT(*) FROM holds;
INSERT INTO id_counters (name, last)
    SELECT substr(id, 1, 10), COUNT(*) FROM activities GROUP BY substr(id, 1, 10);

-- A device is out to at most one officer at a time: the database refuses a second open checkout
-- even when two writers check the same device out at the same moment.
CREATE UNIQUE INDEX checkouts_one_open ON checkouts(device_serial) WHERE returned_at IS NULL;

-- Offloads still running, per device (the next offload of that device marks a dead one interrupted).
CREATE INDEX offload_sessions_status ON offload_sessions(status, device_serial);

-- The recordings of one offload session (automatic linking after every offload).
CREATE INDEX recordings_session ON recordings(session_id);
