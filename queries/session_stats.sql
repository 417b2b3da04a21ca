-- name: session_stats
-- description: Session habits per machine: sessions, median and 90th-percentile duration and cost, messages per session, the longest and the most expensive session.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    machine_name,
    count() AS sessions,
    round(quantileExact(0.5)(minutes), 1) AS median_minutes,
    round(quantileExact(0.9)(minutes), 1) AS p90_minutes,
    round(avg(messages), 1) AS avg_messages,
    round(quantileExact(0.5)(cost), 4) AS median_cost_usd,
    round(quantileExact(0.9)(cost), 4) AS p90_cost_usd,
    round(max(minutes), 1) AS longest_minutes,
    round(max(cost), 4) AS max_cost_usd,
    argMax(session_id, cost) AS most_expensive_session,
    round(sum(cost), 4) AS cost_usd
FROM
(
    SELECT
        machine_name,
        session_id,
        dateDiff('millisecond', min(r.min_ts), max(r.max_ts)) / 60000 AS minutes,
        sum(r.messages) AS messages,
        sum(r.cost_usd) AS cost
    FROM usage_rollup AS r FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
    GROUP BY machine_name, session_id
)
GROUP BY machine_name
ORDER BY machine_name
