-- name: daily_by_source
-- description: Tokens by kind (reasoning inside output), cost and messages per day and source (the agent that wrote the transcripts, as ccusage names it: claude, codex, ...), and on how many machines; a response synced from two machines counts on each, as in daily_by_machine.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Per-machine sums, as daily_by_machine: a response synced from two machines counts on each
-- (global_daily counts it once). `machines`: how many machines the source was used on that day.
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, source, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql, 004 and 005): every 15-minute bucket lies in one local
-- day in any tz.
SELECT
    toDate32(bucket, {tz:String}) AS day,
    source,
    uniqExact(machine_name) AS machines,
    sum(r.messages) AS messages,
    sum(r.input_tokens) AS input_tokens,
    sum(r.output_tokens) AS output_tokens,
    -- Inside output_tokens (Codex logs them; Claude Code does not): never add the two.
    sum(r.reasoning_output_tokens) AS reasoning_output_tokens,
    sum(r.cache_creation_input_tokens) AS cache_creation_tokens,
    sum(r.cache_read_input_tokens) AS cache_read_tokens,
    round(sum(r.cost_usd), 4) AS cost_usd
FROM usage_rollup AS r FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND day BETWEEN {since:Date32} AND {until:Date32}
GROUP BY day, source
ORDER BY day, source
