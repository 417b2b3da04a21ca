-- name: machine_comparison
-- description: Machines side by side: activity per active day, tokens per message, cache hit rate, subagent and fast-mode shares, web searches, sessions, top model and top project by cost.
-- params: source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    machine_name,
    active_days,
    round(messages / active_days, 1) AS messages_per_active_day,
    round(cost / active_days, 4) AS cost_per_active_day_usd,
    round(tokens / messages) AS tokens_per_message,
    round(100 * cache_read / nullIf(input + cache_creation + cache_read, 0), 2) AS cache_hit_rate_pct,
    round(100 * sidechain_cost / nullIf(cost, 0), 2) AS subagent_cost_pct,
    round(100 * fast_cost / nullIf(cost, 0), 2) AS fast_mode_cost_pct,
    web_searches,
    sessions,
    round(cost / sessions, 4) AS cost_per_session_usd,
    arraySort((k, v) -> (-v, k), mapKeys(model_costs), mapValues(model_costs))[1] AS top_model,
    arraySort((k, v) -> (-v, k), mapKeys(project_costs), mapValues(project_costs))[1] AS top_project,
    round(cost, 4) AS cost_usd
FROM
(
    SELECT
        machine_name,
        uniqExact(toDate32(bucket, {tz:String})) AS active_days,
        sum(r.messages) AS messages,
        sum(r.cost_usd) AS cost,
        sum(r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens) AS tokens,
        sum(r.input_tokens) AS input,
        sum(r.cache_creation_input_tokens) AS cache_creation,
        sum(r.cache_read_input_tokens) AS cache_read,
        sum(r.sidechain_cost_usd) AS sidechain_cost,
        sumIf(r.cost_usd, r.is_fast) AS fast_cost,
        sum(r.web_search_requests) AS web_searches,
        uniqExact(session_id) AS sessions,
        sumMapIf(map(if(is_fast, concat(model, '-fast'), toString(model)), r.cost_usd), model NOT IN ('', '<synthetic>')) AS model_costs,
        sumMap(map(project, r.cost_usd)) AS project_costs
    FROM usage_rollup AS r FINAL
    WHERE toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
      AND ({source:String} = '' OR source = {source:String})
    GROUP BY machine_name
)
ORDER BY cost DESC, machine_name
