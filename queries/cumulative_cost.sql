-- name: cumulative_cost
-- description: Running total of cost per machine, day by day (in tz), from `since`.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    day,
    machine_name,
    round(cost, 4) AS cost_usd,
    round(sum(cost) OVER (PARTITION BY machine_name ORDER BY day ROWS UNBOUNDED PRECEDING), 4) AS cumulative_cost_usd
FROM
(
    SELECT
        toDate32(bucket, {tz:String}) AS day,
        machine_name,
        sum(r.cost_usd) AS cost
    FROM usage_rollup AS r FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
      AND day BETWEEN {since:Date32} AND {until:Date32}
    GROUP BY day, machine_name
)
ORDER BY day, machine_name
