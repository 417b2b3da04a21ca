-- name: daily_by_machine
-- description: Tokens by kind, cost and messages per day and machine.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
SELECT
    toDate(timestamp, {tz:String}) AS day,
    machine_name,
    count() AS messages,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_creation_input_tokens) AS cache_creation_tokens,
    sum(cache_read_input_tokens) AS cache_read_tokens,
    round(sum(cost_usd), 4) AS cost_usd
FROM usage_events FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND day BETWEEN {since:Date} AND {until:Date}
GROUP BY day, machine_name
ORDER BY day, machine_name
