-- One row per sync run, success or failure: freshness and health per machine.
CREATE TABLE IF NOT EXISTS sync_runs
(
    run_id String,
    machine_name LowCardinality(String),
    started_at DateTime64(3, 'UTC'),
    finished_at DateTime64(3, 'UTC'),
    -- ok | failed
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
    duration_ms UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (machine_name, started_at, run_id);
