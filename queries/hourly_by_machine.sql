-- name: hourly_by_machine
-- description: Messages, tokens and cost per hour (in tz) and machine: the fine-grained timeline.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
SELECT
    toStartOfHour(toTimeZone(timestamp, {tz:String})) AS hour,
    machine_name,
    count() AS messages,
    sum(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens) AS total_tokens,
    round(sum(cost_usd), 4) AS cost_usd
FROM usage_events FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
GROUP BY hour, machine_name
ORDER BY hour, machine_name
