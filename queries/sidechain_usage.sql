-- name: sidechain_usage
-- description: Main conversation versus subagents (sidechain responses) per machine: messages, tokens, cost, distinct subagents and the subagent share of cost.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    machine_name,
    toUInt64(sum(r.messages) - sum(r.sidechain_messages)) AS main_messages,
    round(sum(r.cost_usd - r.sidechain_cost_usd), 4) AS main_cost_usd,
    sum(r.sidechain_messages) AS subagent_messages,
    round(sum(r.sidechain_cost_usd), 4) AS subagent_cost_usd,
    sum(r.sidechain_tokens) AS subagent_tokens,
    uniqExactArray(r.agent_ids) AS subagents,
    round(100 * sum(r.sidechain_cost_usd) / nullIf(sum(r.cost_usd), 0), 2) AS subagent_share_pct
FROM usage_rollup AS r FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
GROUP BY machine_name
ORDER BY machine_name
