-- name: overview
-- description: One row for a glance: cost today, this week (from Monday), this month and in total, messages, machines, projects and sessions; responses synced from two machines count once.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), tz String 'UTC', as_of Nullable(DateTime64(3, 'UTC')) NULL (the moment "today" is taken from; NULL = now)
--
-- Only the 15-minute buckets (per machine) holding a copy of a response also stored under another
-- machine ("dirty" buckets) need the per-response de-duplication of global_daily.sql; they are read
-- from usage_events FINAL, every other bucket from usage_rollup (there each row is one response).
-- Detection: message_ids (non-empty) stored under two or more machines (within the machine
-- filter: the original de-duplicates after filtering), in any version; tombstones and bounds as
-- in global_daily.sql. Week and month starts by arithmetic on the Date32 day: toMonday() and
-- toStartOfMonth() return a Date (1970-2149) unless enable_extended_results_for_datetime_functions
-- is set.
WITH
    toDate32(ifNull({as_of:Nullable(DateTime64(3, 'UTC'))}, now64(3)), {tz:String}) AS today,
    -- Hashes of the message_ids stored under two or more machines (scalar subqueries run once).
    (
        SELECT groupArray(h) FROM
        (
            SELECT cityHash64(message_id) AS h, min(cityHash64(machine_name)) AS lo, max(cityHash64(machine_name)) AS hi
            FROM usage_events
            WHERE message_id != ''
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
        WHERE notEmpty(dirty_messages) AND message_id != ''
          AND ({machine:String} = '' OR machine_name = {machine:String})
          AND ({source:String} = '' OR source = {source:String})
          AND cityHash64(message_id) IN (SELECT arrayJoin(dirty_messages))
    ) AS dirty
SELECT
    today,
    round(sumIf(cost, day = today), 4) AS cost_today_usd,
    round(sumIf(cost, day >= subtractDays(today, toDayOfWeek(today) - 1)), 4) AS cost_this_week_usd,
    round(sumIf(cost, day >= subtractDays(today, toDayOfMonth(today) - 1)), 4) AS cost_this_month_usd,
    round(sum(cost), 4) AS cost_total_usd,
    sumIf(n, day = today) AS messages_today,
    sum(n) AS messages_total,
    sum(tokens) AS total_tokens,
    uniqExactArray(seen_on) AS machines,
    uniqExactArray(if(day > today - 7, seen_on, [])) AS machines_active_7d,
    uniqExact(proj) AS projects,
    uniqExact(session) AS sessions,
    min(first_ts) AS first_event,
    max(last_ts) AS last_event
FROM
(
    -- Clean buckets: rollup groups (15-minute buckets share their local day in every tz).
    SELECT
        toDate32(bucket, {tz:String}) AS day,
        cost_usd AS cost,
        messages AS n,
        input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens AS tokens,
        project AS proj,
        session_id AS session,
        [machine_name] AS seen_on,
        min_ts AS first_ts,
        max_ts AS last_ts
    FROM usage_rollup FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
      AND toDate32(bucket, {tz:String}) <= today
      AND (toString(machine_name), bucket) NOT IN (SELECT arrayJoin(dirty))
    UNION ALL
    -- Dirty buckets: one row per response across machines, the best-ranked copy (see global_daily.sql).
    SELECT day, cost, toUInt64(1) AS n, tokens, proj, session, seen_on, ts AS first_ts, ts AS last_ts
    FROM
    (
        SELECT
            argMax(timestamp, rank) AS ts,
            toDate32(ts, {tz:String}) AS day,
            argMax(cost_usd, rank) AS cost,
            argMax(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens, rank) AS tokens,
            argMax(project, rank) AS proj,
            argMax(session_id, rank) AS session,
            groupUniqArray(machine_name) AS seen_on
        FROM
        (
            SELECT *, toUInt128(version) * 4294967296 + cityHash64(machine_name) % 4294967296 AS rank
            FROM usage_events FINAL
            -- machine_name IN (...) uses the primary key: nothing is read when no bucket is dirty.
            WHERE machine_name IN (SELECT arrayJoin(dirty).1)
              -- and the partitions / parts of their time range only
              AND timestamp >= arrayMin(arrayMap(x -> x.2, dirty))
              AND timestamp < arrayMax(arrayMap(x -> x.2, dirty)) + INTERVAL 15 MINUTE
              AND (toString(machine_name), toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND)) IN (SELECT arrayJoin(dirty))
              AND ({machine:String} = '' OR machine_name = {machine:String})
              AND ({source:String} = '' OR source = {source:String})
              AND toDate32(timestamp, {tz:String}) <= today
        )
        GROUP BY source, cityHash64(message_id, request_id, if(message_id = '', machine_name, ''))
    )
)
