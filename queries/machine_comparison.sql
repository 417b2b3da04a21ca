-- name: machine_comparison
-- description: Machines side by side: activity per active day, tokens per message, cache hit rate, subagent and fast-mode shares, web searches, sessions, top model and top project by cost.
-- params: since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
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
        uniqExact(toDate(timestamp, {tz:String})) AS active_days,
        count() AS messages,
        sum(cost_usd) AS cost,
        sum(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens) AS tokens,
        sum(input_tokens) AS input,
        sum(cache_creation_input_tokens) AS cache_creation,
        sum(cache_read_input_tokens) AS cache_read,
        sumIf(cost_usd, is_sidechain) AS sidechain_cost,
        sumIf(cost_usd, speed = 'fast') AS fast_cost,
        sum(web_search_requests) AS web_searches,
        uniqExact(session_id) AS sessions,
        -- One pass: per-model and per-project costs as maps, the top entry picked above.
        sumMapIf(map(if(speed = 'fast', concat(model, '-fast'), toString(model)), cost_usd),
                 model NOT IN ('', '<synthetic>')) AS model_costs,
        sumMap(map(project, cost_usd)) AS project_costs
    FROM usage_events FINAL
    WHERE toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
    GROUP BY machine_name
)
ORDER BY cost DESC, machine_name
