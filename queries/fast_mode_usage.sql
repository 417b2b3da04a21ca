-- name: fast_mode_usage
-- description: Fast mode per machine and model: fast and standard messages and cost, and the fast share of the model's cost (fast Opus 4.6 costs 6 times the standard price).
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    machine_name,
    model,
    sumIf(r.messages, r.is_fast) AS fast_messages,
    round(sumIf(r.cost_usd, r.is_fast), 4) AS fast_cost_usd,
    sumIf(r.messages, NOT r.is_fast) AS standard_messages,
    round(sumIf(r.cost_usd, NOT r.is_fast), 4) AS standard_cost_usd,
    round(100 * sumIf(r.cost_usd, r.is_fast) / nullIf(sum(r.cost_usd), 0), 2) AS fast_share_pct
FROM usage_rollup AS r FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
  AND model NOT IN ('', '<synthetic>')
GROUP BY machine_name, model
HAVING fast_messages > 0
ORDER BY machine_name, fast_cost_usd DESC, model
