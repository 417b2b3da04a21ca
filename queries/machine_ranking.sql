-- name: machine_ranking
-- description: Machines ranked by cost: tokens, tokens per dollar, active days, average cost per active day and share of the total.
-- params: source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    row_number() OVER (ORDER BY cost DESC, machine_name) AS rank,
    machine_name,
    round(cost, 4) AS cost_usd,
    round(100 * cost / nullIf(sum(cost) OVER (), 0), 2) AS share_of_cost_pct,
    tokens AS total_tokens,
    round(tokens / nullIf(cost, 0)) AS tokens_per_dollar,
    messages,
    active_days,
    round(cost / active_days, 4) AS cost_per_active_day_usd,
    first_day,
    last_day
FROM
(
    SELECT
        machine_name,
        sum(r.cost_usd) AS cost,
        sum(r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens) AS tokens,
        sum(r.messages) AS messages,
        uniqExact(toDate32(bucket, {tz:String})) AS active_days,
        min(toDate32(bucket, {tz:String})) AS first_day,
        max(toDate32(bucket, {tz:String})) AS last_day
    FROM usage_rollup AS r FINAL
    WHERE toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
      AND ({source:String} = '' OR source = {source:String})
    GROUP BY machine_name
)
ORDER BY rank
