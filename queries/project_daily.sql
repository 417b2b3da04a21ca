-- name: project_daily
-- description: Cost, messages and tokens per day (in tz) and project.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), project String '' (empty = all projects; else the encoded name, e.g. -home-me-app), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    toDate32(bucket, {tz:String}) AS day,
    project,
    uniqExact(machine_name) AS machines,
    sum(r.messages) AS messages,
    sum(r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens) AS total_tokens,
    round(sum(r.cost_usd), 4) AS cost_usd
FROM usage_rollup AS r FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND ({project:String} = '' OR project = {project:String})
  AND day BETWEEN {since:Date32} AND {until:Date32}
GROUP BY day, project
ORDER BY day, cost_usd DESC, project
