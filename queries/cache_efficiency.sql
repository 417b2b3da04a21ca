-- name: cache_efficiency
-- description: Prompt caching per machine and model: cache hit rate, tokens written and read, cost, what the same work would have cost without caching, and the savings in dollars.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Without caching, every cache write and cache read would have been plain input. Anthropic's
-- prices keep fixed ratios to a model's input price (output 5x, 5-minute write 1.25x, 1-hour
-- write 2x, read 0.1x), so each response's input price is implied by its own cost:
--   price = cost / (input + 5 output + 1.25 write_5m + 2 write_1h + 0.1 read)
-- which carries fast mode, long-context and regional prices along, and needs no price table.
-- hit rate = cache reads / all prompt tokens (input + cache writes + cache reads).
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    machine_name,
    model_name,
    messages,
    input AS input_tokens,
    cache_write AS cache_write_tokens,
    cache_read AS cache_read_tokens,
    round(100 * cache_read / nullIf(input + cache_write + cache_read, 0), 2) AS cache_hit_rate_pct,
    round(cost, 4) AS cost_usd,
    round(cost_without_cache, 4) AS cost_without_cache_usd,
    round(cost_without_cache - cost, 4) AS savings_usd,
    round(100 * (cost_without_cache - cost) / nullIf(cost_without_cache, 0), 2) AS savings_pct
FROM
(
    SELECT
        machine_name,
        if(is_fast, concat(model, '-fast'), toString(model)) AS model_name,
        sum(r.messages) AS messages,
        sum(r.input_tokens) AS input,
        sum(r.cache_creation_input_tokens) AS cache_write,
        sum(r.cache_read_input_tokens) AS cache_read,
        sum(r.cost_usd) AS cost,
        -- Each response's cost without caching, summed per rollup row (see schema/003_usage_rollup.sql).
        sum(r.cost_without_cache_usd) AS cost_without_cache
    FROM usage_rollup AS r FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
      AND model NOT IN ('', '<synthetic>')
    GROUP BY machine_name, model_name
)
ORDER BY machine_name, cost_without_cache - cost DESC, model_name
