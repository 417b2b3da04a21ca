-- name: billing_blocks
-- description: 5-hour billing windows computed like ccusage blocks (Claude's; each source gets its own, as each agent's provider has its own windows), per machine or across all machines: start, end, activity, tokens, cost, burn rate, and for the active block the projected tokens and cost at its end.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC' (for since/until and the times shown)
-- params: all_machines Bool false (true: one sequence of blocks over every machine, each response counted once, as the 5-hour limit applies to the account), as_of Nullable(DateTime64(3, 'UTC')) NULL (evaluate at this moment: later messages are ignored, the block active then is projected to its end; NULL = now)
--
-- ccusage's rule: a block starts at its first message's time floored to the UTC hour and lasts
-- 5 hours; a message more than 5 hours after the block's start (or after the previous message,
-- which is implied) starts a new block. A block is active while `as_of` is before its end and
-- within 5 hours of its last message. Burn rate = tokens (or cost) over the time between the
-- block's first and last message, as in ccusage; the projection extends it to the block's end.
--
-- Only the first message of each hour matters for where blocks start (a message in the hour
-- after the current block's end opens the next block, which covers the rest of that hour), so
-- the sequential rule runs with arrayFold over at most two points per active hour (a message
-- exactly on the hour belongs to the block ending then); every message is then assigned to the
-- last block whose first message is not after it (ASOF JOIN). Blocks are computed from the day
-- before `since`: a chain of activity without a 5-hour gap reaching further back may start
-- its first block at a different hour than over the full history.
-- Blocks are per source (agent): one provider's usage window never opens or extends another's,
-- so a source's blocks are the same whether the other sources are selected or not.
--
-- Rollup version: a 15-minute bucket lies in one UTC hour, and block boundaries are whole hours
-- where only a message exactly on the hour can sit on the old side, so a rollup group without
-- such a message (min_ts != its hour) lies in one block, found from its min_ts. Read row by row
-- from usage_events FINAL instead: (machine, bucket)s with a message exactly on the hour, the
-- bucket containing `as_of` (up to `as_of`), and with all_machines the buckets holding a copy of a
-- response also stored under another machine (see overview.sql), so copies are de-duplicated.
-- Tombstones and bounds as in global_daily.sql. UTC hours are toStartOfInterval in milliseconds,
-- right in any year (toStartOfHour() returns a DateTime, 1970-2106, and dateTrunc() moves a time
-- with milliseconds before 1970 into the next hour).
WITH
    toDateTime64(ifNull({as_of:Nullable(DateTime64(3, 'UTC'))}, now64(3)), 3, 'UTC') AS at,
    toStartOfInterval(at, INTERVAL 900000 MILLISECOND) AS at_bucket,
    toIntervalHour(5) AS block,
    -- Hashes of the message_ids stored under two or more machines (scalar subqueries run once).
    (
        SELECT groupArray(h) FROM
        (
            SELECT cityHash64(message_id) AS h, min(cityHash64(machine_name)) AS lo, max(cityHash64(machine_name)) AS hi
            FROM usage_events
            WHERE {all_machines:Bool} AND message_id != ''
              AND ({machine:String} = '' OR machine_name = {machine:String})
              AND ({source:String} = '' OR source = {source:String})
            GROUP BY h
        )
        WHERE lo != hi
    ) AS dirty_messages,
    -- (machine, bucket) pairs holding one of them; with none (the usual case) nothing is read.
    (
        SELECT groupUniqArray((toString(machine_name), toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND)))
        FROM usage_events
        WHERE notEmpty(dirty_messages) AND {all_machines:Bool} AND message_id != ''
          AND ({machine:String} = '' OR machine_name = {machine:String})
          AND ({source:String} = '' OR source = {source:String})
          AND cityHash64(message_id) IN (SELECT arrayJoin(dirty_messages))
    ) AS dirty,
    -- (machine, bucket)s read row by row (before the as_of bucket; that one is read anyway).
    (
        SELECT arrayFilter(x -> x.2 < at_bucket, arrayDistinct(arrayConcat(groupUniqArray((toString(machine_name), bucket)), dirty)))
        FROM usage_rollup FINAL
        WHERE min_ts = toStartOfInterval(min_ts, INTERVAL 3600000 MILLISECOND)
          AND ({machine:String} = '' OR machine_name = {machine:String})
          AND ({source:String} = '' OR source = {source:String})
    ) AS split,
    rows AS
    (
        SELECT machine_name, source, timestamp, input_tokens, output_tokens, cache_creation_input_tokens,
               cache_read_input_tokens, cost_usd, model, speed, version, message_id, request_id
        FROM usage_events FINAL
        WHERE machine_name IN (SELECT arrayJoin(split).1)
          -- and the partitions / parts of their time range only
          AND timestamp >= arrayMin(arrayMap(x -> x.2, split))
          AND timestamp < arrayMax(arrayMap(x -> x.2, split)) + INTERVAL 15 MINUTE
          AND (toString(machine_name), toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND)) IN (SELECT arrayJoin(split))
          AND ({machine:String} = '' OR machine_name = {machine:String})
          AND ({source:String} = '' OR source = {source:String})
          AND addDays(toDate32(timestamp, {tz:String}), 1) >= {since:Date32}
          AND toDate32(timestamp, {tz:String}) <= {until:Date32}
        UNION ALL
        SELECT machine_name, source, timestamp, input_tokens, output_tokens, cache_creation_input_tokens,
               cache_read_input_tokens, cost_usd, model, speed, version, message_id, request_id
        FROM usage_events FINAL
        WHERE timestamp >= at_bucket AND timestamp <= at
          AND ({machine:String} = '' OR machine_name = {machine:String})
          AND ({source:String} = '' OR source = {source:String})
          AND addDays(toDate32(timestamp, {tz:String}), 1) >= {since:Date32}
          AND toDate32(timestamp, {tz:String}) <= {until:Date32}
    ),
    events AS
    (
        -- Rollup groups of the other buckets before the as_of bucket: all in one block.
        SELECT
            if({all_machines:Bool}, '(all machines)', toString(machine_name)) AS scope,
            source,
            min_ts AS ts,
            min_ts AS first_ts,
            max_ts AS last_ts,
            messages AS n,
            input_tokens AS input,
            output_tokens AS output,
            cache_creation_input_tokens AS cache_creation,
            cache_read_input_tokens AS cache_read,
            cost_usd AS cost,
            if(model IN ('', '<synthetic>'), '', if(is_fast, concat(model, '-fast'), toString(model))) AS model_name,
            [toString(machine_name)] AS seen_on
        FROM usage_rollup FINAL
        WHERE bucket < at_bucket
          AND (toString(machine_name), bucket) NOT IN (SELECT arrayJoin(split))
          AND ({machine:String} = '' OR machine_name = {machine:String})
          AND ({source:String} = '' OR source = {source:String})
          AND addDays(toDate32(bucket, {tz:String}), 1) >= {since:Date32}
          AND toDate32(bucket, {tz:String}) <= {until:Date32}
        UNION ALL
        SELECT
            toString(machine_name) AS scope,
            source,
            timestamp AS ts,
            ts AS first_ts,
            ts AS last_ts,
            toUInt64(1) AS n,
            input_tokens AS input,
            output_tokens AS output,
            cache_creation_input_tokens AS cache_creation,
            cache_read_input_tokens AS cache_read,
            cost_usd AS cost,
            if(model IN ('', '<synthetic>'), '', if(speed = 'fast', concat(model, '-fast'), toString(model))) AS model_name,
            [toString(machine_name)] AS seen_on
        FROM rows
        WHERE NOT {all_machines:Bool}
        UNION ALL
        -- One row per response across machines, the best-ranked copy (see global_daily.sql).
        SELECT
            '(all machines)' AS scope,
            source,
            argMax(timestamp, rank) AS ts,
            ts AS first_ts,
            ts AS last_ts,
            toUInt64(1) AS n,
            argMax(input_tokens, rank) AS input,
            argMax(output_tokens, rank) AS output,
            argMax(cache_creation_input_tokens, rank) AS cache_creation,
            argMax(cache_read_input_tokens, rank) AS cache_read,
            argMax(cost_usd, rank) AS cost,
            argMax(if(model IN ('', '<synthetic>'), '', if(speed = 'fast', concat(model, '-fast'), toString(model))), rank) AS model_name,
            arrayMap(m -> toString(m), groupUniqArray(machine_name)) AS seen_on
        FROM
        (
            SELECT *, toUInt128(version) * 4294967296 + cityHash64(machine_name) % 4294967296 AS rank
            FROM rows
            WHERE {all_machines:Bool}
        )
        GROUP BY source, cityHash64(message_id, request_id, if(message_id = '', machine_name, ''))
    ),
    -- Block starts: the first message of each (hour, exactly on the hour or not), all copies.
    -- A point more than 5 hours after the previous one always opens a block (the current block
    -- started at or before the previous point), so the sequential rule runs per chain of points
    -- without such a gap: same result, much shorter arrays for arrayFold.
    starts AS
    (
        SELECT scope, source, arrayJoin(firsts) AS first_ts
        FROM
        (
            SELECT
                scope,
                source,
                -- acc = (current block's start, first points of the blocks so far); the chain's
                -- first point opens a block whatever its year.
                arrayFold(
                    (acc, t) -> if(empty(acc.2) OR t > acc.1 + block,
                                   (toStartOfInterval(t, INTERVAL 3600000 MILLISECOND), arrayPushBack(acc.2, t)),
                                   acc),
                    arraySort(groupArray(first)),
                    (toDateTime64(0, 3, 'UTC'), CAST([], 'Array(DateTime64(3, \'UTC\'))'))
                ).2 AS firsts
            FROM
            (
                SELECT scope, source, first,
                       sum(gap) OVER (PARTITION BY scope, source ORDER BY first ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS chain
                FROM
                (
                -- (The first point's gap, against the default, only numbers its chain.)
                SELECT scope, source, first,
                       first > (lagInFrame(first, 1, toDateTime64(0, 3, 'UTC'))
                                    OVER (PARTITION BY scope, source ORDER BY first ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)) + block AS gap
                FROM
                (
                    SELECT scope, source, min(t) AS first
                    FROM
                    (
                        SELECT
                            if({all_machines:Bool}, '(all machines)', toString(machine_name)) AS scope,
                            source,
                            min_ts AS t
                        FROM usage_rollup FINAL
                        WHERE bucket < at_bucket
                          AND (toString(machine_name), bucket) NOT IN (SELECT arrayJoin(split))
                          AND ({machine:String} = '' OR machine_name = {machine:String})
                          AND ({source:String} = '' OR source = {source:String})
                          AND addDays(toDate32(bucket, {tz:String}), 1) >= {since:Date32}
                          AND toDate32(bucket, {tz:String}) <= {until:Date32}
                        UNION ALL
                        SELECT if({all_machines:Bool}, '(all machines)', toString(machine_name)) AS scope, source, timestamp AS t
                        FROM rows
                    )
                    GROUP BY scope, source, toStartOfInterval(t, INTERVAL 3600000 MILLISECOND) AS hour, t = hour
                )
                )
            )
            GROUP BY scope, source, chain
        )
    )
SELECT
    scope AS machine_name,
    source,
    toTimeZone(start, {tz:String}) AS block_start,
    toTimeZone(start + block, {tz:String}) AS block_end,
    toTimeZone(first_activity, {tz:String}) AS first_activity,
    toTimeZone(last_activity, {tz:String}) AS last_activity,
    machines,
    models,
    messages,
    input_tokens,
    output_tokens,
    cache_creation_tokens,
    cache_read_tokens,
    total_tokens,
    round(cost, 4) AS cost_usd,
    at < start + block AND dateDiff('millisecond', last_activity, at) < 5 * 3600 * 1000 AS is_active,
    round(dateDiff('millisecond', first_activity, last_activity) / 60000, 2) AS active_minutes,
    if(active_minutes > 0, round(total_tokens / active_minutes, 1), NULL) AS tokens_per_minute,
    if(active_minutes > 0, round(cost / active_minutes * 60, 4), NULL) AS cost_per_hour_usd,
    if(is_active, greatest(0, dateDiff('millisecond', at, start + block) / 60000), NULL) AS remaining_minutes,
    if(is_active AND active_minutes > 0, round(total_tokens + total_tokens / active_minutes * remaining_minutes), NULL) AS projected_tokens,
    if(is_active AND active_minutes > 0, round(cost + cost / active_minutes * remaining_minutes, 4), NULL) AS projected_cost_usd
FROM
(
    SELECT
        e.scope AS scope,
        e.source AS source,
        toStartOfInterval(s.first_ts, INTERVAL 3600000 MILLISECOND) AS start,
        min(e.first_ts) AS first_activity,
        max(e.last_ts) AS last_activity,
        arraySort(groupUniqArrayArray(e.seen_on)) AS machines,
        arraySort(groupUniqArrayIf(e.model_name, e.model_name != '')) AS models,
        sum(e.n) AS messages,
        sum(e.input) AS input_tokens,
        sum(e.output) AS output_tokens,
        sum(e.cache_creation) AS cache_creation_tokens,
        sum(e.cache_read) AS cache_read_tokens,
        input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens AS total_tokens,
        sum(e.cost) AS cost
    FROM events AS e
    ASOF INNER JOIN starts AS s ON e.scope = s.scope AND e.source = s.source AND e.ts >= s.first_ts
    GROUP BY scope, source, start
)
WHERE toDate32(start, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
ORDER BY machine_name, block_start, source
