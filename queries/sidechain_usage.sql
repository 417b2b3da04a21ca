-- name: sidechain_usage
-- description: Main conversation versus subagents (sidechain responses) per machine: messages, tokens, cost, distinct subagents and the subagent share of cost.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
SELECT
    machine_name,
    countIf(NOT is_sidechain) AS main_messages,
    round(sumIf(cost_usd, NOT is_sidechain), 4) AS main_cost_usd,
    countIf(is_sidechain) AS subagent_messages,
    round(sumIf(cost_usd, is_sidechain), 4) AS subagent_cost_usd,
    sumIf(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens, is_sidechain) AS subagent_tokens,
    uniqExactIf(agent_id, is_sidechain AND agent_id != '') AS subagents,
    round(100 * sumIf(cost_usd, is_sidechain) / nullIf(sum(cost_usd), 0), 2) AS subagent_share_pct
FROM usage_events FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
GROUP BY machine_name
ORDER BY machine_name
