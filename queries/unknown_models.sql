-- name: unknown_models
-- description: Models missing from the agent's price table (their cost is counted as 0, so totals are understated): machines, messages, tokens, first and last seen.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
SELECT
    model,
    arraySort(groupUniqArray(toString(machine_name))) AS machines,
    count() AS messages,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_creation_input_tokens + cache_read_input_tokens) AS cache_tokens,
    toTimeZone(min(timestamp), {tz:String}) AS first_seen,
    toTimeZone(max(timestamp), {tz:String}) AS last_seen
FROM usage_events FINAL
WHERE unknown_model
  AND ({machine:String} = '' OR machine_name = {machine:String})
  AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
GROUP BY model
ORDER BY messages DESC, model
