-- The whole schema at its latest version, for a database that has none yet: a new fleet's first
-- sync creates its tables in one step instead of replaying every migration (schema 4 rebuilds
-- tables 1 and 3 created, schema 7 rebuilds table 2). The runner then records every migration as
-- applied. A test (`migration::the_baseline_builds_what_the_migrations_build`) holds the tables
-- it makes equal to those the migrations make, column by column and key by key: a new migration
-- changes this file too.
-- Comments on the columns: schema/001_usage_events.sql, 003_usage_rollup.sql, 004, 005, 006, 007.

CREATE TABLE IF NOT EXISTS usage_events
(
    machine_name LowCardinality(String),
    source LowCardinality(String) DEFAULT 'claude',
    account String DEFAULT '',
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
    agent_type LowCardinality(String) DEFAULT '',
    input_tokens UInt64,
    output_tokens UInt64,
    reasoning_output_tokens UInt64 DEFAULT 0,
    cache_creation_input_tokens UInt64,
    cache_creation_5m_input_tokens UInt64,
    cache_creation_1h_input_tokens UInt64,
    cache_read_input_tokens UInt64,
    web_search_requests UInt32,
    cost_usd Float64,
    reported_cost_usd Nullable(Float64),
    cost_mode LowCardinality(String),
    cost_source LowCardinality(String)
        DEFAULT multiIf(reported_cost_usd IS NOT NULL AND cost_mode IN ('auto', 'display'), 'logged',
                        cost_mode = 'display', 'display',
                        'calculated'),
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

CREATE TABLE IF NOT EXISTS sync_runs
(
    run_id String,
    machine_name LowCardinality(String),
    -- The agent whose files the run read, as ccusage names it.
    source LowCardinality(String) DEFAULT 'claude',
    started_at DateTime64(3, 'UTC'),
    finished_at DateTime64(3, 'UTC'),
    -- ok | partial | failed
    status LowCardinality(String),
    error String,
    agent_version LowCardinality(String),
    files_scanned UInt32,
    files_changed UInt32,
    bytes_read UInt64,
    lines_read UInt64,
    messages_new UInt64,
    rows_inserted UInt64,
    lines_skipped UInt64,
    skipped_by_reason Map(String, UInt64),
    unknown_models Array(String),
    duration_ms UInt64,
    -- Rollup buckets the run left to the next one (reports lag there until then).
    rollup_pending UInt32 DEFAULT 0
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (machine_name, source, started_at, run_id);

CREATE TABLE IF NOT EXISTS usage_rollup
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
    reasoning_output_tokens UInt64 DEFAULT 0,
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

CREATE TABLE IF NOT EXISTS machine_accounts
(
    machine_name LowCardinality(String),
    source LowCardinality(String),
    account String,
    email String,
    recorded_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (machine_name, source, account, recorded_at);
