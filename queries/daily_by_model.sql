-- name: daily_by_model
-- description: Tokens and cost per day and model (fast mode reported as <model>-fast, like ccusage); failed calls (<synthetic>) and model-less lines are left out, as in ccusage's breakdowns.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    toDate32(bucket, {tz:String}) AS day,
    if(is_fast, concat(model, '-fast'), toString(model)) AS model_name,
    uniqExact(machine_name) AS machines,
    sum(r.messages) AS messages,
    sum(r.input_tokens) AS input_tokens,
    sum(r.output_tokens) AS output_tokens,
    sum(r.cache_creation_input_tokens) AS cache_creation_tokens,
    sum(r.cache_read_input_tokens) AS cache_read_tokens,
    input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens AS total_tokens,
    round(sum(r.cost_usd), 4) AS cost_usd
FROM usage_rollup AS r FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND day BETWEEN {since:Date32} AND {until:Date32}
  AND model NOT IN ('', '<synthetic>')
GROUP BY day, model_name
ORDER BY day, cost_usd DESC, model_name
