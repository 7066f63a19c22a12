-- The windowed compliance check asks for the activities and checkouts that overlap a window. An
-- overlap condition on two columns (end >= lo AND start <= hi) can use only one index and scans from
-- the start of time; with the longest span known, it becomes one range on the start column
-- (start BETWEEN lo - span AND hi). These indexes make the longest span an index lookup.
CREATE INDEX activities_span ON activities((end_at - start_at));
CREATE INDEX checkouts_span ON checkouts((returned_at - out_at));
