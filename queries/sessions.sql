-- name: sessions
-- description: Per session (latest first): machine, source, project, first and last activity (in tz), duration, models, messages, subagent messages, tokens and cost.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), project String '' (empty = all projects), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC', limit UInt32 100 (>= 1) (rows at most, latest first)
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    session_id,
    machine_name,
    source,
    proj AS project,
    toTimeZone(first_ts, {tz:String}) AS first_activity,
    toTimeZone(last_ts, {tz:String}) AS last_activity,
    round(dateDiff('millisecond', first_ts, last_ts) / 60000, 1) AS duration_minutes,
    models,
    messages,
    subagent_messages,
    input_tokens,
    output_tokens,
    cache_creation_tokens,
    cache_read_tokens,
    input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens AS total_tokens,
    round(cost, 4) AS cost_usd
FROM
(
    SELECT
        session_id,
        machine_name,
        source,
        -- Where the session began (a session can span projects: a copy, a resumed session).
        argMin(project, (r.min_ts, project)) AS proj,
        min(r.min_ts) AS first_ts,
        max(r.max_ts) AS last_ts,
        arraySort(groupUniqArrayIf(if(is_fast, concat(model, '-fast'), toString(model)), model NOT IN ('', '<synthetic>'))) AS models,
        sum(r.messages) AS messages,
        sum(r.sidechain_messages) AS subagent_messages,
        sum(r.input_tokens) AS input_tokens,
        sum(r.output_tokens) AS output_tokens,
        sum(r.cache_creation_input_tokens) AS cache_creation_tokens,
        sum(r.cache_read_input_tokens) AS cache_read_tokens,
        sum(r.cost_usd) AS cost
    FROM usage_rollup AS r FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
      AND ({project:String} = '' OR project = {project:String})
      AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
    GROUP BY machine_name, source, session_id
)
ORDER BY last_ts DESC, machine_name, source, session_id
LIMIT {limit:UInt32}
