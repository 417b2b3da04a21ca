-- name: projects_across_machines
-- description: Projects worked on from two or more machines, one row per project and machine: messages, sessions, tokens, cost, first/last day and the machine's share of the project's cost.
-- params: source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
-- params: by_name Bool false (true: match projects by folder name, so ~/src/app on one machine and /Users/me/app on another are one project)
--
-- A project is Claude Code's encoded launch directory (`project`, e.g. -home-me-app); its
-- folder is the shortest `cwd` seen in it (Claude Code launched there, then maybe cd'ed deeper).
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    project_key AS project,
    machines,
    machine_name,
    roots AS cwd,
    messages,
    sessions,
    total_tokens,
    round(cost, 4) AS cost_usd,
    round(100 * cost / nullIf(project_cost, 0), 2) AS share_of_project_cost_pct,
    first_day,
    last_day
FROM
(
    SELECT
        *,
        count() OVER (PARTITION BY project_key) AS machines,
        sum(cost) OVER (PARTITION BY project_key) AS project_cost
    FROM
    (
        SELECT
            if({by_name:Bool}, arrayLast(x -> x != '', splitByChar('/', replaceAll(root, '\\', '/'))), project) AS project_key,
            machine_name,
            arrayStringConcat(arraySort(groupUniqArray(root)), ', ') AS roots,
            sum(messages) AS messages,
            sum(sessions) AS sessions,
            sum(tokens) AS total_tokens,
            sum(cost) AS cost,
            min(first_day) AS first_day,
            max(last_day) AS last_day
        FROM
        (
            SELECT
                project,
                machine_name,
                -- Each rollup row keeps its shortest cwd; the shortest of those (ties: smallest string).
                if(argMin(r.cwd, (length(r.cwd), r.cwd)) != '', argMin(r.cwd, (length(r.cwd), r.cwd)), project) AS root,
                sum(r.messages) AS messages,
                uniqExact(session_id) AS sessions,
                sum(r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens) AS tokens,
                sum(r.cost_usd) AS cost,
                min(toDate32(bucket, {tz:String})) AS first_day,
                max(toDate32(bucket, {tz:String})) AS last_day
            FROM usage_rollup AS r FINAL
            WHERE toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
              AND ({source:String} = '' OR source = {source:String})
            GROUP BY project, machine_name
        )
        GROUP BY project_key, machine_name
    )
)
WHERE machines >= 2
ORDER BY project_cost DESC, project, cost DESC, machine_name
