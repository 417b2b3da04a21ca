-- name: cross_machine_duplicates
-- description: Responses stored under two or more machines (the same transcripts synced from several machines), per set of machines: responses, extra copies, the cost per-machine totals count twice, projects and days.
-- params: source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Same identity as global_daily: message_id + request_id, within a source (lines without
-- message.id never match).
-- A response stored under two machines has every copy in a "dirty" (machine, 15-minute bucket):
-- only those are read from usage_events FINAL (nothing when no message_id is on two machines).
-- Tombstones and bounds as in global_daily.sql.
WITH
    -- Hashes of the message_ids stored under two or more machines (scalar subqueries run once).
    (
        SELECT groupArray(h) FROM
        (
            SELECT cityHash64(message_id) AS h, min(cityHash64(machine_name)) AS lo, max(cityHash64(machine_name)) AS hi
            FROM usage_events
            WHERE message_id != ''
              AND ({source:String} = '' OR source = {source:String})
            GROUP BY h
        )
        WHERE lo != hi
    ) AS dirty_messages,
    -- (machine, bucket) pairs holding one of them; with none (the usual case) nothing is read.
    (
        SELECT groupUniqArray((toString(machine_name), toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND)))
        FROM usage_events
        WHERE notEmpty(dirty_messages) AND message_id != ''
          AND ({source:String} = '' OR source = {source:String})
          AND cityHash64(message_id) IN (SELECT arrayJoin(dirty_messages))
    ) AS dirty
SELECT
    arrayStringConcat(on_machines, ', ') AS machines,
    count() AS responses,
    sum(copies - 1) AS extra_copies,
    round(sum(cost * (copies - 1)), 4) AS double_counted_cost_usd,
    arraySort(groupUniqArray(project)) AS projects,
    min(day) AS first_day,
    max(day) AS last_day
FROM
(
    SELECT
        arraySort(groupUniqArray(toString(machine_name))) AS on_machines,
        count() AS copies,
        argMax(cost_usd, version) AS cost,
        min(project) AS project,
        min(toDate32(timestamp, {tz:String})) AS day
    FROM usage_events FINAL
    WHERE machine_name IN (SELECT arrayJoin(dirty).1)
      -- and the partitions / parts of their time range only
      AND timestamp >= arrayMin(arrayMap(x -> x.2, dirty))
      AND timestamp < arrayMax(arrayMap(x -> x.2, dirty)) + INTERVAL 15 MINUTE
      AND (toString(machine_name), toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND)) IN (SELECT arrayJoin(dirty))
      AND message_id != ''
      AND toDate32(timestamp, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
      AND ({source:String} = '' OR source = {source:String})
    GROUP BY source, cityHash64(message_id, request_id)
    HAVING length(on_machines) > 1
)
GROUP BY on_machines
ORDER BY responses DESC, machines
