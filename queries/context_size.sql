-- name: context_size
-- description: Prompt size per machine and model (input + cache writes + cache reads per response): median, 95th percentile, maximum, and how many responses went above 200k tokens, where long-context prices apply.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC', threshold UInt64 200000 (tokens)
--
-- Reads usage_rollup, which keeps every response's prompt size (`contexts`), so the quantiles
-- stay exact without reading usage_events.
SELECT
    machine_name,
    if(is_fast, concat(model, '-fast'), toString(model)) AS model_name,
    sum(messages) AS messages,
    round(sum(arraySum(contexts)) / messages) AS avg_context_tokens,
    quantileExactArray(0.5)(contexts) AS median_context_tokens,
    quantileExactArray(0.95)(contexts) AS p95_context_tokens,
    maxArray(contexts) AS max_context_tokens,
    sum(arrayCount(c -> c > {threshold:UInt64}, contexts)) AS messages_above_threshold,
    round(100 * messages_above_threshold / messages, 2) AS above_threshold_pct
FROM usage_rollup FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
  AND model NOT IN ('', '<synthetic>')
GROUP BY machine_name, model_name
ORDER BY machine_name, messages DESC, model_name
