-- name: model_usage
-- description: Per model (fast mode as <model>-fast) across machines: machines using it, messages, tokens, cost, share of cost, cost per message; <synthetic> failed calls left out.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    model_name,
    machines,
    messages,
    total_tokens,
    round(avg_output_tokens, 1) AS avg_output_tokens,
    round(cost, 4) AS cost_usd,
    round(100 * cost / nullIf(sum(cost) OVER (), 0), 2) AS share_of_cost_pct,
    round(cost / messages, 6) AS cost_per_message_usd,
    first_seen,
    last_seen
FROM
(
    SELECT
        if(is_fast, concat(model, '-fast'), toString(model)) AS model_name,
        arraySort(groupUniqArray(toString(machine_name))) AS machines,
        sum(r.messages) AS messages,
        sum(r.input_tokens + r.output_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens) AS total_tokens,
        sum(r.output_tokens) / messages AS avg_output_tokens,
        sum(r.cost_usd) AS cost,
        min(toDate32(bucket, {tz:String})) AS first_seen,
        max(toDate32(bucket, {tz:String})) AS last_seen
    FROM usage_rollup AS r FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
      AND model NOT IN ('', '<synthetic>')
    GROUP BY model_name
)
ORDER BY cost DESC, model_name
