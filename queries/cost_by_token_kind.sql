-- name: cost_by_token_kind
-- description: Where the money goes per machine: cost split into input, output, cache writes and cache reads (dollars and shares).
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Each response's cost is split with Anthropic's fixed price ratios to the input price
-- (output 5x, 5-minute write 1.25x, 1-hour write 2x, read 0.1x); see cache_efficiency.sql.
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    machine_name,
    round(input_cost, 4) AS input_usd,
    round(output_cost, 4) AS output_usd,
    round(write_cost, 4) AS cache_write_usd,
    round(read_cost, 4) AS cache_read_usd,
    round(cost, 4) AS cost_usd,
    round(100 * input_cost / nullIf(cost, 0), 2) AS input_pct,
    round(100 * output_cost / nullIf(cost, 0), 2) AS output_pct,
    round(100 * write_cost / nullIf(cost, 0), 2) AS cache_write_pct,
    round(100 * read_cost / nullIf(cost, 0), 2) AS cache_read_pct
FROM
(
    -- Each response's split, summed per rollup row (see schema/003_usage_rollup.sql).
    SELECT
        machine_name,
        sum(r.input_cost_usd) AS input_cost,
        sum(r.output_cost_usd) AS output_cost,
        sum(r.cache_write_cost_usd) AS write_cost,
        sum(r.cache_read_cost_usd) AS read_cost,
        sum(r.cost_usd) AS cost
    FROM usage_rollup AS r FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
    GROUP BY machine_name
)
ORDER BY cost DESC, machine_name
