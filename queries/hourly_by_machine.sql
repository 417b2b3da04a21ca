-- name: hourly_by_machine
-- description: Messages, tokens and cost per hour (in tz) and machine: the fine-grained timeline.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    toStartOfHour(toTimeZone(bucket, {tz:String})) AS hour,
    machine_name,
    sum(r.messages) AS messages,
    sum(r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens) AS total_tokens,
    round(sum(r.cost_usd), 4) AS cost_usd
FROM usage_rollup AS r FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND toDate(bucket, {tz:String}) BETWEEN {since:Date} AND {until:Date}
GROUP BY hour, machine_name
ORDER BY hour, machine_name
