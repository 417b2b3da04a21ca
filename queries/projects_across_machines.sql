-- name: projects_across_machines
-- description: Projects worked on from two or more machines, one row per project and machine: messages, sessions, tokens, cost, first/last day and the machine's share of the project's cost.
-- params: since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
-- params: by_name Bool false (true: match projects by folder name, so ~/src/app on one machine and /Users/me/app on another are one project)
--
-- A project is Claude Code's encoded launch directory (`project`, e.g. -home-me-app); its
-- folder is the shortest `cwd` seen in it (Claude Code launched there, then maybe cd'ed deeper).
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
                if(argMin(cwd, length(cwd)) != '', argMin(cwd, length(cwd)), project) AS root,
                count() AS messages,
                uniqExact(session_id) AS sessions,
                sum(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens) AS tokens,
                sum(cost_usd) AS cost,
                min(toDate(timestamp, {tz:String})) AS first_day,
                max(toDate(timestamp, {tz:String})) AS last_day
            FROM usage_events FINAL
            WHERE toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
            GROUP BY project, machine_name
        )
        GROUP BY project_key, machine_name
    )
)
WHERE machines >= 2
ORDER BY project_cost DESC, project, cost DESC, machine_name
