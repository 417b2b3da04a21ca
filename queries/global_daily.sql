-- name: global_daily
-- description: Daily totals across all machines, counting each API response once even when the same transcripts were synced from two machines.
-- params: source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Identity of a response: message.id + requestId, the key ccusage de-duplicates on. A transcript
-- directory synced from two machines (shared home, copied ~/.claude, a synced dotfiles folder)
-- yields the same (message_id, request_id) rows under two machine names: they are one response.
-- When the copies differ (one machine read a response mid-stream), the copy with the highest
-- `version` (ccusage's rank) wins. Lines without message.id carry a per-line synthetic key that
-- names their file, so they stay per machine, as ccusage never merges them either.
--
-- Only the 15-minute buckets (per machine) holding a copy of a response also stored under another
-- machine ("dirty" buckets) need this de-duplication; they are read from usage_events FINAL, every
-- other bucket from usage_rollup (one row per response there, copies = 1).
-- Detection: message_ids (non-empty) stored under two or more machines, in any version.
-- It reads usage_events without FINAL, tombstones included: a tombstone repeats the key
-- and time of the row it hides, so it adds no machine to a message_id and no (machine, bucket)
-- that row did not; at most a bucket stays dirty after a merge removed the row, and dirty
-- buckets are read with FINAL, which hides the tombstone. The bucket is the rollup's own
-- expression (toStartOfInterval in milliseconds: any year) and every bound on `timestamp` is a
-- DateTime64 (a DateTime bound skips parts in ClickHouse 26.9: see queries/README.md).
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
    day,
    uniqExactArray(seen_on) AS machines,
    sum(n) AS messages,
    sum(copies) - messages AS duplicates,
    sum(input) AS input_tokens,
    sum(output) AS output_tokens,
    sum(cache_creation) AS cache_creation_tokens,
    sum(cache_read) AS cache_read_tokens,
    input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens AS total_tokens,
    round(sum(cost), 4) AS cost_usd
FROM
(
    -- Clean buckets: rollup groups (15-minute buckets share their local day in every tz).
    SELECT
        toDate32(bucket, {tz:String}) AS day,
        input_tokens AS input,
        output_tokens AS output,
        cache_creation_input_tokens AS cache_creation,
        cache_read_input_tokens AS cache_read,
        cost_usd AS cost,
        messages AS n,
        messages AS copies,
        [machine_name] AS seen_on
    FROM usage_rollup FINAL
    WHERE toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
      AND ({source:String} = '' OR source = {source:String})
      AND (toString(machine_name), bucket) NOT IN (SELECT arrayJoin(dirty))
    UNION ALL
    SELECT
        toDate32(argMax(timestamp, rank), {tz:String}) AS day,
        argMax(input_tokens, rank) AS input,
        argMax(output_tokens, rank) AS output,
        argMax(cache_creation_input_tokens, rank) AS cache_creation,
        argMax(cache_read_input_tokens, rank) AS cache_read,
        argMax(cost_usd, rank) AS cost,
        toUInt64(1) AS n,
        count() AS copies,
        groupUniqArray(machine_name) AS seen_on
    FROM
    (
        -- rank: `version` (ccusage's rank of a response's copies), then a fixed machine order for ties;
        -- one UInt128 so each argMax compares a number, not a tuple.
        SELECT *, toUInt128(version) * 4294967296 + cityHash64(machine_name) % 4294967296 AS rank
        FROM usage_events FINAL
        -- machine_name IN (...) uses the primary key: nothing is read when no bucket is dirty.
        WHERE machine_name IN (SELECT arrayJoin(dirty).1)
          -- and the partitions / parts of their time range only
          AND timestamp >= arrayMin(arrayMap(x -> x.2, dirty))
          AND timestamp < arrayMax(arrayMap(x -> x.2, dirty)) + INTERVAL 15 MINUTE
          AND (toString(machine_name), toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND)) IN (SELECT arrayJoin(dirty))
          AND toDate32(timestamp, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
          AND ({source:String} = '' OR source = {source:String})
    )
    -- A 64-bit hash keeps the grouping key small; collisions are negligible (~1e-7 at 10M rows).
    -- Responses of two sources (agents) are never one, as in the tables' key.
    GROUP BY source, cityHash64(message_id, request_id, if(message_id = '', machine_name, ''))
)
GROUP BY day
ORDER BY day
