-- name: budget_status
-- description: Spend today, this week (from Monday) and this month against limits given as parameters, with a linear projection to the end of each period; responses synced from two machines count once.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), tz String 'UTC', as_of Nullable(DateTime64(3, 'UTC')) NULL (the moment the periods are taken at; NULL = now)
-- params: daily_limit Float64 0 (>= 0) (USD; 0 = none), weekly_limit Float64 0 (>= 0) (USD; 0 = none), monthly_limit Float64 0 (>= 0) (USD; 0 = none)
--
-- limit_usd is NULL where no limit was given (0; a negative one is refused before the query), and
-- so are remaining_usd and used_pct.
-- elapsed_pct: how much of the period has gone by, from local midnight of its first day to local
-- midnight after it (0-100). projected = spent / elapsed share of the period: the pace so far,
-- kept to the period's end.
-- status: over (spent above the limit), projected over (on pace to exceed it), ok, no limit.
-- Days are Date32 and period starts are computed (toMonday() and toStartOfMonth() return a Date,
-- 1970-2149, unless enable_extended_results_for_datetime_functions is set): any year.
WITH
    toDateTime64(ifNull({as_of:Nullable(DateTime64(3, 'UTC'))}, now64(3)), 3, 'UTC') AS at,
    toDate32(at, {tz:String}) AS today,
    subtractDays(today, toDayOfWeek(today) - 1) AS week_start,
    subtractDays(today, toDayOfMonth(today) - 1) AS month_start,
    -- The elapsed share of the period (0-1), used below; not a column of the result.
    dateDiff('millisecond', toDateTime64(p.2, 3, {tz:String}), at)
        / dateDiff('millisecond', toDateTime64(p.2, 3, {tz:String}), toDateTime64(p.3, 3, {tz:String})) AS elapsed
SELECT
    p.1 AS period,
    p.2 AS period_start,
    p.3 AS period_end,
    if(p.4 > 0, p.4, NULL) AS limit_usd,
    round(p.5, 4) AS spent_usd,
    if(p.4 > 0, round(p.4 - p.5, 4), NULL) AS remaining_usd,
    if(p.4 > 0, round(100 * p.5 / p.4, 2), NULL) AS used_pct,
    round(100 * elapsed, 2) AS elapsed_pct,
    round(p.5 / greatest(elapsed, 1e-9), 4) AS projected_usd,
    multiIf(p.4 <= 0, 'no limit', p.5 > p.4, 'over', projected_usd > p.4, 'projected over', 'ok') AS status
FROM
(
    SELECT
        sumIf(cost, day = today) AS day_spent,
        sumIf(cost, day >= week_start) AS week_spent,
        sumIf(cost, day >= month_start) AS month_spent
    FROM
    (
        -- One row per response across machines, the best-ranked copy (see global_daily.sql).
        SELECT
            toDate32(argMax(timestamp, rank), {tz:String}) AS day,
            argMax(cost_usd, rank) AS cost
        FROM
        (
            SELECT *, toUInt128(version) * 4294967296 + cityHash64(machine_name) % 4294967296 AS rank
            FROM usage_events FINAL
            WHERE ({machine:String} = '' OR machine_name = {machine:String})
              AND ({source:String} = '' OR source = {source:String})
              AND toDate32(timestamp, {tz:String}) BETWEEN least(week_start, month_start) AND today
              AND timestamp <= at
        )
        GROUP BY source, cityHash64(message_id, request_id, if(message_id = '', machine_name, ''))
    )
)
ARRAY JOIN [
    ('day', today, today + 1, {daily_limit:Float64}, day_spent),
    ('week', week_start, week_start + 7, {weekly_limit:Float64}, week_spent),
    ('month', month_start, addMonths(month_start, 1), {monthly_limit:Float64}, month_spent)
] AS p
