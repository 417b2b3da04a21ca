-- name: hourly_by_machine
-- description: Messages, tokens and cost per hour (in tz) and machine: the fine-grained timeline.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
--
-- The local hour's start by arithmetic: toStartOfHour() returns a DateTime (1970-2106) unless
-- enable_extended_results_for_datetime_functions is set, dateTrunc() too on older servers. A
-- bucket is a whole second, so toMinute() and toSecond() of it are exact.
WITH toTimeZone(bucket, {tz:String}) AS local
SELECT
    toDateTime64(local - toIntervalSecond(toMinute(local) * 60 + toSecond(local)), 0) AS hour,
    machine_name,
    sum(r.messages) AS messages,
    sum(r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens) AS total_tokens,
    round(sum(r.cost_usd), 4) AS cost_usd
FROM usage_rollup AS r FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
GROUP BY hour, machine_name
ORDER BY hour, machine_name
