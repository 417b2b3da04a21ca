-- name: context_size
-- description: Prompt size per machine and model (input + cache writes + cache reads per response): median, 95th percentile, maximum, and how many responses went above 200k tokens, where long-context prices apply.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC', threshold UInt64 200000 (tokens)
SELECT
    machine_name,
    if(speed = 'fast', concat(model, '-fast'), toString(model)) AS model_name,
    count() AS messages,
    round(avg(context)) AS avg_context_tokens,
    quantileExact(0.5)(context) AS median_context_tokens,
    quantileExact(0.95)(context) AS p95_context_tokens,
    max(context) AS max_context_tokens,
    countIf(context > {threshold:UInt64}) AS messages_above_threshold,
    round(100 * messages_above_threshold / messages, 2) AS above_threshold_pct
FROM
(
    SELECT
        machine_name, model, speed,
        input_tokens + cache_creation_input_tokens + cache_read_input_tokens AS context
    FROM usage_events FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
      AND model NOT IN ('', '<synthetic>')
)
GROUP BY machine_name, model_name
ORDER BY machine_name, messages DESC, model_name
