-- Pre-aggregated usage per machine, 15-minute UTC bucket and the dimensions the query pack
-- groups by: most queries read this (small) table instead of usage_events. The agent keeps it
-- exact: after each insert batch it recomputes its own machine's touched buckets from
-- usage_events FINAL (schema/maintenance/rollup_refresh.sql). This migration creates it and fills
-- it once from the existing rows.
-- usage_rollup: usage_events pre-aggregated per machine, 15-minute UTC bucket and the dimensions
-- the query pack groups or filters by. Kept exact by the agent (refresh below, after each insert
-- batch, for its own machine and the buckets the batch touched).
--
-- Why 15 minutes: every IANA offset in use (and every DST switch) is a multiple of 15 minutes, so
-- all timestamps of one bucket share their local day, hour, week and month in any `tz`
-- (Asia/Kolkata +5:30, America/St_Johns -3:30, Asia/Kathmandu +5:45 included).
--
-- Why these dimensions: each one is grouped by, filtered on, or counted distinct by some query.
-- Flags that are only counted or summed (is_sidechain, is_api_error) are folded into columns
-- instead of the key, which halves the rows; `speed` only matters as fast / not fast (model_name
-- and fast_mode_usage), so the key keeps is_fast. Distinct subagents (sidechain_usage) are kept as
-- a small sorted array per row, and `cwd` as the row's shortest cwd (project_costs and
-- projects_across_machines want the shortest cwd of a project), so neither splits rows.
-- Per-row non-linear values (cache_efficiency's cost without caching, cost_by_token_kind's split)
-- are summed per row here, with the same expressions as the queries, so their sums stay exact.
--
-- ReplacingMergeTree(version, is_deleted): a refresh rewrites the groups of its buckets with a
-- higher version and marks groups that disappeared (is_deleted = 1), so `FINAL` sees exactly the
-- current aggregation. The key holds bucket, so a group always lives in one monthly partition and
-- do_not_merge_across_partitions_select_final = 1 stays exact here too.
CREATE TABLE IF NOT EXISTS usage_rollup
(
    machine_name LowCardinality(String),
    bucket DateTime('UTC'),                       -- toStartOfFifteenMinutes(timestamp), UTC
    project String,
    session_id String,
    git_branch String,
    claude_version LowCardinality(String),
    model LowCardinality(String),
    is_fast Bool,                                 -- speed = 'fast'
    unknown_model Bool,
    -- Shortest cwd of the group (ties: the smallest string).
    cwd String,
    -- Distinct non-empty agent_id of the group's sidechain rows, sorted.
    agent_ids Array(String),
    -- Each response's prompt size (input + cache writes + reads): context_size's exact quantiles.
    contexts Array(UInt64),
    messages UInt64,
    sidechain_messages UInt64,
    api_error_messages UInt64,                    -- is_api_error
    input_tokens UInt64,
    output_tokens UInt64,
    cache_creation_input_tokens UInt64,
    cache_creation_5m_input_tokens UInt64,
    cache_creation_1h_input_tokens UInt64,
    cache_read_input_tokens UInt64,
    web_search_requests UInt64,
    sidechain_tokens UInt64,                      -- input + output + cache writes + reads, sidechain rows
    cost_usd Float64,
    sidechain_cost_usd Float64,
    -- cache_efficiency: sum of each row's cost without caching.
    cost_without_cache_usd Float64,
    -- cost_by_token_kind: each row's cost split with the fixed price ratios.
    input_cost_usd Float64,
    output_cost_usd Float64,
    cache_write_cost_usd Float64,
    cache_read_cost_usd Float64,
    min_ts DateTime64(3, 'UTC'),
    max_ts DateTime64(3, 'UTC'),
    version UInt64,
    is_deleted UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYYYYMM(bucket)
ORDER BY (machine_name, bucket, project, session_id, git_branch, claude_version, model, is_fast, unknown_model);

-- Backfill (schema migration, once): every machine, every bucket, version 0 so that any refresh
-- by an agent (version > 0) wins over it. Same aggregation as the refresh's `fresh`.
INSERT INTO usage_rollup
    (machine_name, bucket, project, session_id, git_branch, claude_version, model, is_fast,
     unknown_model, cwd, agent_ids, contexts, messages, sidechain_messages, api_error_messages,
     input_tokens, output_tokens, cache_creation_input_tokens, cache_creation_5m_input_tokens,
     cache_creation_1h_input_tokens, cache_read_input_tokens, web_search_requests,
     sidechain_tokens, cost_usd, sidechain_cost_usd, cost_without_cache_usd, input_cost_usd,
     output_cost_usd, cache_write_cost_usd, cache_read_cost_usd, min_ts, max_ts, version,
     is_deleted)
SELECT
    machine_name,
    b AS bucket, p AS project, s AS session_id, g AS git_branch, cv AS claude_version,
    m AS model, f AS is_fast, u AS unknown_model,
    argMin(c, (length(c), c)) AS cwd,
    arraySort(groupUniqArrayIf(a, a != '')) AS agent_ids,
    groupArray(t_in + t_cc + t_cr) AS contexts,
    count() AS messages,
    countIf(sc) AS sidechain_messages,
    countIf(ae) AS api_error_messages,
    sum(t_in) AS input_tokens,
    sum(t_out) AS output_tokens,
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
    max(ts) AS max_ts,
    toUInt64(0) AS version,
    toUInt8(0) AS is_deleted
FROM
(
    SELECT
        machine_name,
        toStartOfFifteenMinutes(toDateTime(timestamp, 'UTC')) AS b,
        project AS p, session_id AS s, git_branch AS g, claude_version AS cv, model AS m,
        speed = 'fast' AS f, unknown_model AS u, cwd AS c,
        if(is_sidechain, agent_id, '') AS a, is_sidechain AS sc, is_api_error AS ae,
        input_tokens AS t_in, output_tokens AS t_out, cache_creation_input_tokens AS t_cc,
        cache_creation_5m_input_tokens AS t_5m, cache_creation_1h_input_tokens AS t_1h,
        cache_read_input_tokens AS t_cr, web_search_requests AS ws, cost_usd AS cost,
        timestamp AS ts,
        cost_usd / greatest(input_tokens + 5 * output_tokens + 1.25 * cache_creation_5m_input_tokens
                            + 2 * cache_creation_1h_input_tokens + 0.1 * cache_read_input_tokens, 1e-9) AS price
    FROM usage_events FINAL
)
GROUP BY machine_name, b, p, s, g, cv, m, f, u;
