-- name: model_by_machine
-- description: Per machine and model (fast mode as <model>-fast): messages, tokens by kind, cost and the model's share of the machine's cost; <synthetic> failed calls left out.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
SELECT
    machine_name,
    model_name,
    messages,
    input_tokens,
    output_tokens,
    cache_creation_tokens,
    cache_read_tokens,
    round(cost, 4) AS cost_usd,
    round(100 * cost / nullIf(sum(cost) OVER (PARTITION BY machine_name), 0), 2) AS share_of_machine_cost_pct
FROM
(
    SELECT
        machine_name,
        if(speed = 'fast', concat(model, '-fast'), toString(model)) AS model_name,
        count() AS messages,
        sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        sum(cache_creation_input_tokens) AS cache_creation_tokens,
        sum(cache_read_input_tokens) AS cache_read_tokens,
        sum(cost_usd) AS cost
    FROM usage_events FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
      AND model NOT IN ('', '<synthetic>')
    GROUP BY machine_name, model_name
)
ORDER BY machine_name, cost DESC, model_name
