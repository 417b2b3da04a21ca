-- Bookkeeping for the versioned files in schema/. Applied on every run (idempotent).
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    checksum UInt64,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3),
    agent_version LowCardinality(String)
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version;
