-- name: hourly_heatmap
-- description: When the work happens: messages, tokens and cost per weekday (1 = Monday) and hour of day, in tz.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    toDayOfWeek(local) AS weekday,
    dateName('weekday', local) AS weekday_name,
    toHour(local) AS hour,
    sum(r.messages) AS messages,
    sum(r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens) AS total_tokens,
    round(sum(r.cost_usd), 4) AS cost_usd
FROM
(
    SELECT toTimeZone(bucket, {tz:String}) AS local, *
    FROM usage_rollup FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
) AS r
GROUP BY weekday, weekday_name, hour
ORDER BY weekday, hour
