-- name: api_errors
-- description: Failed calls per day and machine: <synthetic> responses (Claude Code's stand-in for a failed API call, cost 0) and lines flagged isApiErrorMessage, against all messages.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    toDate32(bucket, {tz:String}) AS day,
    machine_name,
    sum(r.messages) AS messages,
    sumIf(r.messages, r.model = '<synthetic>') AS synthetic_messages,
    sum(r.api_error_messages) AS api_error_messages,
    sum(if(r.model = '<synthetic>', r.messages, r.api_error_messages)) AS failed_messages,
    round(100 * failed_messages / messages, 2) AS failed_pct
FROM usage_rollup AS r FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND day BETWEEN {since:Date32} AND {until:Date32}
GROUP BY day, machine_name
HAVING failed_messages > 0
ORDER BY day, machine_name
