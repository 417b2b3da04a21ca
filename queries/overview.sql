-- name: overview
-- description: One row for a glance: cost today, this week (from Monday), this month and in total, messages, machines, projects and sessions; responses synced from two machines count once.
-- params: machine String '' (empty = all machines), tz String 'UTC', as_of Nullable(DateTime('UTC')) NULL (the moment "today" is taken from; NULL = now)
WITH
    toDate(ifNull({as_of:Nullable(DateTime('UTC'))}, now()), {tz:String}) AS today
SELECT
    today,
    round(sumIf(cost, day = today), 4) AS cost_today_usd,
    round(sumIf(cost, day >= toMonday(today)), 4) AS cost_this_week_usd,
    round(sumIf(cost, day >= toStartOfMonth(today)), 4) AS cost_this_month_usd,
    round(sum(cost), 4) AS cost_total_usd,
    countIf(day = today) AS messages_today,
    count() AS messages_total,
    sum(tokens) AS total_tokens,
    uniqExactArray(seen_on) AS machines,
    uniqExactArray(if(day > today - 7, seen_on, [])) AS machines_active_7d,
    uniqExact(proj) AS projects,
    uniqExact(session) AS sessions,
    min(ts) AS first_event,
    max(ts) AS last_event
FROM
(
    -- One row per response across machines, the best-ranked copy (see global_daily.sql).
    SELECT
        argMax(timestamp, rank) AS ts,
        toDate(ts, {tz:String}) AS day,
        argMax(cost_usd, rank) AS cost,
        argMax(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens, rank) AS tokens,
        argMax(project, rank) AS proj,
        argMax(session_id, rank) AS session,
        groupUniqArray(machine_name) AS seen_on
    FROM
    (
        SELECT *, toUInt128(version) * 4294967296 + cityHash64(machine_name) % 4294967296 AS rank
        FROM usage_events FINAL
        WHERE ({machine:String} = '' OR machine_name = {machine:String})
          AND toDate(timestamp, {tz:String}) <= today
    )
    GROUP BY cityHash64(message_id, request_id, if(message_id = '', machine_name, ''))
)
