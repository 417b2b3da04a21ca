-- name: monthly_by_machine
-- description: Tokens by kind, cost and messages per calendar month (in tz) and machine.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
SELECT
    toStartOfMonth(toDate(timestamp, {tz:String})) AS month,
    machine_name,
    uniqExact(toDate(timestamp, {tz:String})) AS active_days,
    count() AS messages,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_creation_input_tokens) AS cache_creation_tokens,
    sum(cache_read_input_tokens) AS cache_read_tokens,
    input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens AS total_tokens,
    round(sum(cost_usd), 4) AS cost_usd
FROM usage_events FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
GROUP BY month, machine_name
ORDER BY month, machine_name
