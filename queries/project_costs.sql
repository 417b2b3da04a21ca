-- name: project_costs
-- description: Cost per project across the selected machines: machines, sessions, messages, tokens, share of total cost, first and last day.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC', limit UInt32 100 (most expensive first)
SELECT
    project,
    cwd,
    machines,
    sessions,
    messages,
    total_tokens,
    round(cost, 4) AS cost_usd,
    round(100 * cost / nullIf(sum(cost) OVER (), 0), 2) AS share_of_cost_pct,
    first_day,
    last_day
FROM
(
    SELECT
        project,
        argMin(cwd, length(cwd)) AS cwd,
        arraySort(groupUniqArray(toString(machine_name))) AS machines,
        uniqExact(machine_name, session_id) AS sessions,
        count() AS messages,
        sum(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens) AS total_tokens,
        sum(cost_usd) AS cost,
        min(toDate(timestamp, {tz:String})) AS first_day,
        max(toDate(timestamp, {tz:String})) AS last_day
    FROM usage_events FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
    GROUP BY project
)
ORDER BY cost DESC, project
LIMIT {limit:UInt32}
