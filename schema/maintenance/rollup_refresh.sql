-- Refresh: params {machine:String}, {source:String}, {buckets:Array(Int64)} (the 15-minute
-- UTC bucket starts, in Unix ms, that the run's rows and tombstones fall in) and
-- {version:UInt64} (from rollup_version.sql: the server's clock, above every earlier version of
-- the machine). Recomputes those buckets of that machine and source from usage_events FINAL;
-- rollup_tombstones.sql, run right after with the same params, then marks the groups that are
-- no longer there as deleted. Idempotent: running both again (same or higher version) writes
-- the same rows and deletes nothing new.
-- Bounds are DateTime64, like the column: in ClickHouse 26.9 a DateTime bound against a
-- DateTime64 column prunes parts wrongly (see rollup_version.sql's note).
-- A machine's first backfill builds these same rows in the agent instead (src/store/rollup.rs, each
-- column mirrored there); the integration suite checks that both give the same groups.
INSERT INTO usage_rollup
    (machine_name, source, bucket, project, session_id, git_branch, claude_version, model, is_fast,
     unknown_model, cwd, agent_ids, contexts, messages, sidechain_messages, api_error_messages,
     input_tokens, output_tokens, reasoning_output_tokens, cache_creation_input_tokens, cache_creation_5m_input_tokens,
     cache_creation_1h_input_tokens, cache_read_input_tokens, web_search_requests,
     sidechain_tokens, cost_usd, sidechain_cost_usd, cost_without_cache_usd, input_cost_usd,
     output_cost_usd, cache_write_cost_usd, cache_read_cost_usd, min_ts, max_ts, version,
     is_deleted)
WITH fresh AS
(
    SELECT
        machine_name, source,
        b AS bucket, p AS project, s AS session_id, g AS git_branch, cv AS claude_version,
        m AS model, f AS is_fast, u AS unknown_model,
        -- The shortest cwd, ties to the smallest: sorting the group's few distinct values is
        -- cheaper than comparing a (length, string) tuple per row.
        arraySort(x -> (length(x), x), groupUniqArray(c))[1] AS cwd,
        arraySort(groupUniqArrayIf(a, a != '')) AS agent_ids,
        groupArray(t_in + t_cc + t_cr) AS contexts,
        count() AS messages,
        countIf(sc) AS sidechain_messages,
        countIf(ae) AS api_error_messages,
        sum(t_in) AS input_tokens,
        sum(t_out) AS output_tokens,
        sum(t_rs) AS reasoning_output_tokens,
        sum(t_cc) AS cache_creation_input_tokens,
        sum(t_5m) AS cache_creation_5m_input_tokens,
        sum(t_1h) AS cache_creation_1h_input_tokens,
        sum(t_cr) AS cache_read_input_tokens,
        sum(ws) AS web_search_requests,
        sumIf(t_in + t_out + t_cc + t_cr, sc) AS sidechain_tokens,
        sum(cost) AS cost_usd,
        sumIf(cost, sc) AS sidechain_cost_usd,
        -- Same per-row expressions as cache_efficiency.sql and cost_by_token_kind.sql.
        sum(cost * (t_in + 5 * t_out + t_5m + t_1h + t_cr)
            / greatest(t_in + 5 * t_out + 1.25 * t_5m + 2 * t_1h + 0.1 * t_cr, 1e-9)) AS cost_without_cache_usd,
        sum(price * t_in) AS input_cost_usd,
        sum(price * 5 * t_out) AS output_cost_usd,
        sum(price * (1.25 * t_5m + 2 * t_1h)) AS cache_write_cost_usd,
        sum(price * 0.1 * t_cr) AS cache_read_cost_usd,
        min(ts) AS min_ts,
        max(ts) AS max_ts
    FROM
    (
        SELECT
            machine_name, source,
            toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND) AS b,
            project AS p, session_id AS s, git_branch AS g, claude_version AS cv, model AS m,
            speed = 'fast' AS f, unknown_model AS u, cwd AS c,
            if(is_sidechain, agent_id, '') AS a, is_sidechain AS sc, is_api_error AS ae,
            input_tokens AS t_in, output_tokens AS t_out, reasoning_output_tokens AS t_rs, cache_creation_input_tokens AS t_cc,
            cache_creation_5m_input_tokens AS t_5m, cache_creation_1h_input_tokens AS t_1h,
            cache_read_input_tokens AS t_cr, web_search_requests AS ws, cost_usd AS cost,
            timestamp AS ts,
            cost_usd / greatest(input_tokens + 5 * output_tokens + 1.25 * cache_creation_5m_input_tokens
                                + 2 * cache_creation_1h_input_tokens + 0.1 * cache_read_input_tokens, 1e-9) AS price
        FROM usage_events FINAL
        WHERE machine_name = {machine:String} AND source = {source:String}
          -- The range prunes partitions; has() keeps exactly the listed buckets.
          AND timestamp >= fromUnixTimestamp64Milli(arrayMin({buckets:Array(Int64)}), 'UTC')
          AND timestamp < fromUnixTimestamp64Milli(arrayMax({buckets:Array(Int64)}) + 900000, 'UTC')
          AND has({buckets:Array(Int64)}, toUnixTimestamp64Milli(toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND)))
    )
    GROUP BY machine_name, source, b, p, s, g, cv, m, f, u
)
SELECT *, {version:UInt64} AS version, toUInt8(0) AS is_deleted
FROM fresh
