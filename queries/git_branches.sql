-- name: git_branches
-- description: Cost per project and git branch: machines, sessions, messages, first and last day.
-- params: machine String '' (empty = all machines), project String '' (empty = all projects), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC', limit UInt32 100
SELECT
    project,
    git_branch,
    arraySort(groupUniqArray(toString(machine_name))) AS machines,
    uniqExact(machine_name, session_id) AS sessions,
    count() AS messages,
    round(sum(cost_usd), 4) AS cost_usd,
    min(toDate(timestamp, {tz:String})) AS first_day,
    max(toDate(timestamp, {tz:String})) AS last_day
FROM usage_events FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({project:String} = '' OR project = {project:String})
  AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
GROUP BY project, git_branch
ORDER BY cost_usd DESC, project, git_branch
LIMIT {limit:UInt32}
