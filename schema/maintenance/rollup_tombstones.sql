-- Tombstones: params as rollup_refresh.sql's, run right after it. A group of these buckets that
-- the refresh did not rewrite (its latest version is older) is no longer in usage_events: it is
-- marked deleted (is_deleted = 1), which FINAL then hides. If this never runs (a crash), the
-- buckets stay pending and the next run's refresh, with a higher version, leaves them older too.
INSERT INTO usage_rollup
    (machine_name, source, bucket, project, session_id, git_branch, claude_version, model, is_fast,
     unknown_model, cwd, agent_ids, contexts, messages, sidechain_messages, api_error_messages,
     input_tokens, output_tokens, cache_creation_input_tokens, cache_creation_5m_input_tokens,
     cache_creation_1h_input_tokens, cache_read_input_tokens, web_search_requests,
     sidechain_tokens, cost_usd, sidechain_cost_usd, cost_without_cache_usd, input_cost_usd,
     output_cost_usd, cache_write_cost_usd, cache_read_cost_usd, min_ts, max_ts, version,
     is_deleted)
SELECT
    machine_name, source, bucket, project, session_id, git_branch, claude_version, model, is_fast,
    unknown_model, cwd, agent_ids, [], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    -- No aliases: `version` below must be the stored column (columns are matched by position).
    min_ts, max_ts, {version:UInt64}, toUInt8(1)
FROM usage_rollup FINAL
WHERE machine_name = {machine:String} AND source = {source:String}
  AND bucket >= fromUnixTimestamp64Milli(arrayMin({buckets:Array(Int64)}), 'UTC')
  AND bucket <= fromUnixTimestamp64Milli(arrayMax({buckets:Array(Int64)}), 'UTC')
  AND has({buckets:Array(Int64)}, toUnixTimestamp64Milli(bucket))
  AND version < {version:UInt64}
