-- name: cost_by_token_kind
-- description: Where the money goes per machine: cost split into input, output, cache writes and cache reads (dollars and shares).
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
--
-- Each response's cost is split with Anthropic's fixed price ratios to the input price
-- (output 5x, 5-minute write 1.25x, 1-hour write 2x, read 0.1x); see cache_efficiency.sql.
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
    SELECT
        machine_name,
        sum(price * input_tokens) AS input_cost,
        sum(price * 5 * output_tokens) AS output_cost,
        sum(price * (1.25 * cache_creation_5m_input_tokens + 2 * cache_creation_1h_input_tokens)) AS write_cost,
        sum(price * 0.1 * cache_read_input_tokens) AS read_cost,
        sum(cost_usd) AS cost
    FROM
    (
        SELECT
            machine_name, input_tokens, output_tokens, cache_creation_5m_input_tokens,
            cache_creation_1h_input_tokens, cache_read_input_tokens, cost_usd,
            cost_usd / greatest(input_tokens + 5 * output_tokens + 1.25 * cache_creation_5m_input_tokens
                                + 2 * cache_creation_1h_input_tokens + 0.1 * cache_read_input_tokens, 1e-9) AS price
        FROM usage_events FINAL
        WHERE ({machine:String} = '' OR machine_name = {machine:String})
          AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
    )
    GROUP BY machine_name
)
ORDER BY cost DESC, machine_name
