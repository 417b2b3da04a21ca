-- name: project_costs
-- description: Cost per project across the selected machines: machines, sessions, messages, tokens, share of total cost, first and last day.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC', limit UInt32 100 (>= 1) (rows at most, most expensive first)
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
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
        -- Each rollup row keeps its shortest cwd; the shortest of those (ties: smallest string).
        argMin(r.cwd, (length(r.cwd), r.cwd)) AS cwd,
        arraySort(groupUniqArray(toString(machine_name))) AS machines,
        uniqExact(machine_name, session_id) AS sessions,
        sum(r.messages) AS messages,
        sum(r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens) AS total_tokens,
        sum(r.cost_usd) AS cost,
        min(toDate32(bucket, {tz:String})) AS first_day,
        max(toDate32(bucket, {tz:String})) AS last_day
    FROM usage_rollup AS r FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
    GROUP BY project
)
ORDER BY cost DESC, project
LIMIT {limit:UInt32}
