-- name: git_branches
-- description: Cost per project and git branch: machines, sessions, messages, first and last day.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), project String '' (empty = all projects), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC', limit UInt32 100 (>= 1) (rows at most, most expensive first)
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    project,
    git_branch,
    arraySort(groupUniqArray(toString(machine_name))) AS machines,
    uniqExact(machine_name, session_id) AS sessions,
    sum(r.messages) AS messages,
    round(sum(r.cost_usd), 4) AS cost_usd,
    min(toDate32(bucket, {tz:String})) AS first_day,
    max(toDate32(bucket, {tz:String})) AS last_day
FROM usage_rollup AS r FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND ({project:String} = '' OR project = {project:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
GROUP BY project, git_branch
ORDER BY cost_usd DESC, project, git_branch
LIMIT {limit:UInt32}
