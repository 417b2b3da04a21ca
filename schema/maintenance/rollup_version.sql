-- The version of a machine's next rollup refresh: the server's clock in microseconds, or one
-- more than the machine's highest version when that clock is behind it (an NTP step, a restored
-- VM). Asked after the run's rows are acknowledged and before its refresh reads them: of two
-- refreshes of one bucket (two state dirs of one machine name, a retry), the one with the
-- higher version read at least every row the other read, so the rollup is never left older
-- than usage_events by a refresh that finished last. The agent's clock plays no part.
-- `rows` (only when {count_rows:Bool}): how many rows, of any version and tombstones
-- included, usage_events holds for the machine and source, in the same query. A first backfill
-- builds its rollup in the agent only if this is the number of rows it sent: nobody else wrote
-- rows of this machine meanwhile.
--
-- Why every time bound in schema/ and queries/ is a DateTime64: in ClickHouse 26.9 a DateTime
-- bound against a DateTime64 column prunes parts by the wrong second, e.g.
--   CREATE TABLE t (ts DateTime64(3, 'UTC')) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY ();
--   INSERT INTO t VALUES ('2026-01-05 10:14:59.500');
--   SELECT count() FROM t WHERE ts < toDateTime('2026-01-05 10:15:00', 'UTC');  -- 0, not 1
--   SELECT count() FROM t WHERE ts > toDateTime('2026-01-05 10:14:59', 'UTC');  -- 0, not 1
-- (the partition's min-max index compares `ts <= 10:14:59` in whole seconds), while the same
-- bounds as toDateTime64(…, 3, 'UTC') find the row.
SELECT
    greatest(
        toUInt64(toUnixTimestamp64Micro(now64(6))),
        ifNull((SELECT max(version) + 1 FROM usage_rollup
                WHERE machine_name = {machine:String} AND source = {source:String}), 0)
    ) AS version,
    ifNull((SELECT count() FROM usage_events
            WHERE {count_rows:Bool} AND machine_name = {machine:String} AND source = {source:String}), 0) AS rows
