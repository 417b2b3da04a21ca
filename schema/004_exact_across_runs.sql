-- 004: exact across runs. Applied once by `ccsync schema apply` (DDL rights); nothing is re-read.
--
-- usage_events: the stored row of a response is always the one a fresh sync of the same files
-- would store, under that line's own key, in that line's partition. When a later run finds a
-- better line of a response stored earlier under another key (a sidechain copy, a line without
-- requestId) or at another time (a response streamed across midnight or a month boundary), the
-- agent writes the new row under its own key and a tombstone (`is_deleted = 1`, a higher
-- `version`) over the old one, in the old one's partition: `FINAL` is exact with and without
-- merging across partitions. `version` ranks lines like ccusage (non-sidechain, token total,
-- `speed` field present) above 6 revision bits, so a later rewrite of the same row (a tombstone,
-- a re-priced cost, a new column filled in) is a newer version of it.
-- `source` names the agent that wrote the transcript as ccusage does ('claude', 'codex', …).
--
-- The engine cannot be altered, so the table is rebuilt: a copy (with the version re-encoded),
-- a check that the copy holds every row, then an atomic EXCHANGE. Each step of the rebuild runs
-- only while `usage_events` lacks `is_deleted` (the `-- if:` lines, evaluated by the runner;
-- the copy and its check only if there are rows, not on a new database), so running the
-- migration again after an interruption resumes it; the copy is idempotent (same keys, same
-- versions).

-- if: SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'usage_events' AND name = 'is_deleted'
CREATE TABLE IF NOT EXISTS usage_events_v4
(
    machine_name LowCardinality(String),
    source LowCardinality(String) DEFAULT 'claude',
    message_id String,
    -- The line's requestId; `~<session>@<ms>` for a line without one (ccusage merges those by
    -- message.id, session and time); `~l:<hash>[.n]` for a line without message.id (its bytes
    -- and its file's inode: a moved file keeps it, a copy does not; n counts verbatim repeats).
    request_id String,
    timestamp DateTime64(3, 'UTC'),
    session_id String,
    project String,
    cwd String,
    git_branch String,
    claude_version LowCardinality(String),
    model LowCardinality(String),
    speed LowCardinality(String),
    service_tier LowCardinality(String),
    is_sidechain Bool,
    is_api_error Bool,
    agent_id String,
    input_tokens UInt64,
    output_tokens UInt64,
    cache_creation_input_tokens UInt64,
    cache_creation_5m_input_tokens UInt64,
    cache_creation_1h_input_tokens UInt64,
    cache_read_input_tokens UInt64,
    web_search_requests UInt32,
    cost_usd Float64,
    reported_cost_usd Nullable(Float64),
    cost_mode LowCardinality(String),
    unknown_model Bool,
    source_file String,
    source_line UInt64,
    -- bit 63: not a sidechain; bits 62..7: token total (capped); bit 6: the line has `speed`;
    -- bits 5..0: revision of the row (a tombstone or a rewrite of the same key).
    version UInt64,
    is_deleted UInt8 DEFAULT 0,
    ingested_at DateTime64(3, 'UTC'),
    agent_version LowCardinality(String)
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (machine_name, source, message_id, request_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- Version 3 stored bit 56 = not a sidechain, bits 55..0 = token total.
-- if: SELECT (SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'usage_events' AND name = 'is_deleted') AND (SELECT count() > 0 FROM usage_events)
INSERT INTO usage_events_v4
    (machine_name, source, message_id, request_id, timestamp, session_id, project, cwd,
     git_branch, claude_version, model, speed, service_tier, is_sidechain, is_api_error, agent_id,
     input_tokens, output_tokens, cache_creation_input_tokens, cache_creation_5m_input_tokens,
     cache_creation_1h_input_tokens, cache_read_input_tokens, web_search_requests, cost_usd,
     reported_cost_usd, cost_mode, unknown_model, source_file, source_line, version, is_deleted,
     ingested_at, agent_version)
SELECT
    machine_name, 'claude', message_id, request_id, timestamp, session_id, project, cwd,
    git_branch, claude_version, model, speed, service_tier, is_sidechain, is_api_error, agent_id,
    input_tokens, output_tokens, cache_creation_input_tokens, cache_creation_5m_input_tokens,
    cache_creation_1h_input_tokens, cache_read_input_tokens, web_search_requests, cost_usd,
    reported_cost_usd, cost_mode, unknown_model, source_file, source_line,
    bitShiftLeft(bitShiftRight(version, 56), 63)
        + bitShiftLeft(bitAnd(version, 72057594037927935), 7)
        + bitShiftLeft(toUInt64(speed != ''), 6),
    0, ingested_at, agent_version
FROM usage_events FINAL;

-- if: SELECT (SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'usage_events' AND name = 'is_deleted') AND (SELECT count() > 0 FROM usage_events)
SELECT throwIf(
    (SELECT count() FROM usage_events FINAL) != (SELECT count() FROM usage_events_v4 FINAL),
    'the copy of usage_events is incomplete (nothing was changed): run `ccsync schema apply` again');

-- if: SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'usage_events' AND name = 'is_deleted'
EXCHANGE TABLES usage_events AND usage_events_v4;

-- The table of version 3, now under this name.
DROP TABLE IF EXISTS usage_events_v4;

-- usage_rollup is derived data: rebuilt with `source` in its key and `bucket` as a DateTime64
-- (DateTime ends in 1970 and 2106; a response dated outside kept its day in usage_events but not
-- here). The rollup's columns are documented in 003_usage_rollup.sql; its refresh is
-- maintenance/rollup_refresh.sql.
-- if: SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'usage_rollup' AND name = 'source'
CREATE TABLE IF NOT EXISTS usage_rollup_v4
(
    machine_name LowCardinality(String),
    source LowCardinality(String) DEFAULT 'claude',
    -- The 15-minute UTC bucket: toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND),
    -- which (unlike toStartOfFifteenMinutes) keeps DateTime64's range and floors before 1970.
    bucket DateTime64(3, 'UTC'),
    project String,
    session_id String,
    git_branch String,
    claude_version LowCardinality(String),
    model LowCardinality(String),
    is_fast Bool,
    unknown_model Bool,
    cwd String,
    agent_ids Array(String),
    contexts Array(UInt64),
    messages UInt64,
    sidechain_messages UInt64,
    api_error_messages UInt64,
    input_tokens UInt64,
    output_tokens UInt64,
    cache_creation_input_tokens UInt64,
    cache_creation_5m_input_tokens UInt64,
    cache_creation_1h_input_tokens UInt64,
    cache_read_input_tokens UInt64,
    web_search_requests UInt64,
    sidechain_tokens UInt64,
    cost_usd Float64,
    sidechain_cost_usd Float64,
    cost_without_cache_usd Float64,
    input_cost_usd Float64,
    output_cost_usd Float64,
    cache_write_cost_usd Float64,
    cache_read_cost_usd Float64,
    min_ts DateTime64(3, 'UTC'),
    max_ts DateTime64(3, 'UTC'),
    -- Set by the server when a refresh runs (maintenance/rollup_version.sql), never by an
    -- agent's clock: a later refresh of a group always has a higher version.
    version UInt64,
    is_deleted UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
PARTITION BY toYYYYMM(bucket)
ORDER BY (machine_name, source, bucket, project, session_id, git_branch, claude_version, model, is_fast, unknown_model);

-- Backfill from the rebuilt usage_events, version 0 (any refresh wins over it); the same
-- aggregation as maintenance/rollup_refresh.sql.
-- if: SELECT (SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'usage_rollup' AND name = 'source') AND (SELECT count() > 0 FROM usage_events)
INSERT INTO usage_rollup_v4
    (machine_name, source, bucket, project, session_id, git_branch, claude_version, model,
     is_fast, unknown_model, cwd, agent_ids, contexts, messages, sidechain_messages,
     api_error_messages, input_tokens, output_tokens, cache_creation_input_tokens,
     cache_creation_5m_input_tokens, cache_creation_1h_input_tokens, cache_read_input_tokens,
     web_search_requests, sidechain_tokens, cost_usd, sidechain_cost_usd, cost_without_cache_usd,
     input_cost_usd, output_cost_usd, cache_write_cost_usd, cache_read_cost_usd, min_ts, max_ts,
     version, is_deleted)
SELECT
    machine_name, source,
    b AS bucket, p AS project, s AS session_id, g AS git_branch, cv AS claude_version,
    m AS model, f AS is_fast, u AS unknown_model,
    arraySort(x -> (length(x), x), groupUniqArray(c))[1] AS cwd,
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
        machine_name, source,
        toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND) AS b,
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
GROUP BY machine_name, source, b, p, s, g, cv, m, f, u;

-- if: SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'usage_rollup' AND name = 'source'
EXCHANGE TABLES usage_rollup AND usage_rollup_v4;

DROP TABLE IF EXISTS usage_rollup_v4;

-- sync_runs: the source each run read, and how many rollup buckets it left to the next run
-- (the rollup is late, never wrong: `ccsync status` and `freshness` show it).
ALTER TABLE sync_runs
    ADD COLUMN IF NOT EXISTS source LowCardinality(String) DEFAULT 'claude' AFTER machine_name,
    ADD COLUMN IF NOT EXISTS rollup_pending UInt32 DEFAULT 0;
