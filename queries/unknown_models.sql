-- name: unknown_models
-- description: Models missing from the agent's price table (their cost is counted as 0, so totals are understated): machines, messages, tokens, first and last seen.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    model,
    arraySort(groupUniqArray(toString(machine_name))) AS machines,
    sum(r.messages) AS messages,
    sum(r.input_tokens) AS input_tokens,
    sum(r.output_tokens) AS output_tokens,
    sum(r.cache_creation_input_tokens + r.cache_read_input_tokens) AS cache_tokens,
    toTimeZone(min(r.min_ts), {tz:String}) AS first_seen,
    toTimeZone(max(r.max_ts), {tz:String}) AS last_seen
FROM usage_rollup AS r FINAL
WHERE unknown_model
  AND ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
GROUP BY model
ORDER BY messages DESC, model
