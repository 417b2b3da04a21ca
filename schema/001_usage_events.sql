-- One row per Claude API response per machine. No conversation content is ever stored.
--
-- Idempotence: the sorting key is the de-duplication key (machine, message.id, requestId), and
-- `version` ranks the lines of one response the way ccusage does (non-sidechain first, then the
-- larger token total), so re-runs, crashes and duplicate transcripts collapse to one row.
-- Query with FINAL (or argMax by version) for exact totals at any time.
CREATE TABLE IF NOT EXISTS usage_events
(
    machine_name LowCardinality(String),
    message_id String,
    -- requestId of the row's key (for lines without message.id: a per-line synthetic key).
    request_id String,
    timestamp DateTime64(3, 'UTC'),
    session_id String,
    -- Claude Code's encoded working directory (the folder under projects/).
    project String,
    cwd String,
    git_branch String,
    claude_version LowCardinality(String),
    model LowCardinality(String),
    -- "fast" for fast mode (priced with the model's multiplier), usually "standard" or "".
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
    -- Cost in USD under `cost_mode` (auto: costUSD from the line when present, else calculated).
    cost_usd Float64,
    -- costUSD as written by old Claude Code versions, when present.
    reported_cost_usd Nullable(Float64),
    cost_mode LowCardinality(String),
    -- The model had no price in the agent's table: cost_usd is 0.
    unknown_model Bool,
    source_file String,
    source_line UInt64,
    version UInt64,
    ingested_at DateTime64(3, 'UTC'),
    agent_version LowCardinality(String)
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (machine_name, message_id, request_id)
-- Lets `insert_deduplication_token` drop a retried batch on non-replicated tables too.
SETTINGS non_replicated_deduplication_window = 10000;
