-- name: project_daily
-- description: Cost, messages and tokens per day (in tz) and project.
-- params: machine String '' (empty = all machines), project String '' (empty = all projects; else the encoded name, e.g. -home-me-app), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
SELECT
    toDate(timestamp, {tz:String}) AS day,
    project,
    uniqExact(machine_name) AS machines,
    count() AS messages,
    sum(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens) AS total_tokens,
    round(sum(cost_usd), 4) AS cost_usd
FROM usage_events FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({project:String} = '' OR project = {project:String})
  AND day BETWEEN {since:Date} AND {until:Date}
GROUP BY day, project
ORDER BY day, cost_usd DESC, project
