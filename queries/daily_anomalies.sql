-- name: daily_anomalies
-- description: Days on which a machine spent far more than its trailing baseline (average daily cost over the previous baseline_days calendar days, idle days counting as zero), once a machine has a week of history.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
-- params: baseline_days UInt32 14 (>= 1, <= 36500) (the calendar days before a day that its baseline averages), factor Float64 3 (> 0) (flag days costing at least factor x the baseline), min_cost Float64 1 (>= 0) (ignore days cheaper than this, USD)
--
-- No verdict without history: a day is judged only once the machine has been active for at
-- least a week before it (or baseline_days, if shorter), so a new machine's first days are not
-- all "anomalies". The baseline reads days before `since`, so the first days of a range are
-- judged on real history.
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    machine_name,
    day,
    round(cost, 4) AS cost_usd,
    round(baseline, 4) AS baseline_usd,
    if(baseline > 0, round(cost / baseline, 2), NULL) AS times_baseline,
    baseline_active_days,
    messages
FROM
(
    SELECT
        machine_name,
        day,
        cost,
        messages,
        sum(cost) OVER w / {baseline_days:UInt32} AS baseline,
        count() OVER w AS baseline_active_days,
        min(day) OVER (PARTITION BY machine_name) AS first_day
    FROM
    (
        SELECT
            machine_name,
            toDate32(bucket, {tz:String}) AS day,
            sum(r.cost_usd) AS cost,
            sum(r.messages) AS messages
        FROM usage_rollup AS r FINAL
        WHERE ({machine:String} = '' OR machine_name = {machine:String})
          AND ({source:String} = '' OR source = {source:String})
          AND toDate32(bucket, {tz:String}) <= {until:Date32}
        GROUP BY machine_name, day
    )
    WINDOW w AS (PARTITION BY machine_name ORDER BY day RANGE BETWEEN {baseline_days:UInt32} PRECEDING AND 1 PRECEDING)
)
WHERE day BETWEEN {since:Date32} AND {until:Date32}
  AND day >= first_day + least({baseline_days:UInt32}, 7)
  AND cost >= {min_cost:Float64}
  AND cost >= {factor:Float64} * baseline
ORDER BY day, machine_name
