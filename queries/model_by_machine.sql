-- name: model_by_machine
-- description: Per machine and model (fast mode as <model>-fast): messages, tokens by kind, cost and the model's share of the machine's cost; <synthetic> failed calls left out.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
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
        if(is_fast, concat(model, '-fast'), toString(model)) AS model_name,
        sum(r.messages) AS messages,
        sum(r.input_tokens) AS input_tokens,
        sum(r.output_tokens) AS output_tokens,
        sum(r.cache_creation_input_tokens) AS cache_creation_tokens,
        sum(r.cache_read_input_tokens) AS cache_read_tokens,
        sum(r.cost_usd) AS cost
    FROM usage_rollup AS r FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
      AND model NOT IN ('', '<synthetic>')
    GROUP BY machine_name, model_name
)
ORDER BY machine_name, cost DESC, model_name
