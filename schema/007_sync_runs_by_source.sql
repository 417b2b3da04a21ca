-- 007: sync_runs sorted by source. Applied once by `ccsync schema apply` (DDL rights); nothing is
-- re-read, no row or column changes.
--
-- Schema 4 gave sync_runs its `source` column (ALTER TABLE … ADD COLUMN) but left the sorting key
-- at (machine_name, started_at, run_id); usage_events and usage_rollup have `source` in theirs
-- right after machine_name. Now sync_runs too: runs of one machine's Claude Code and Codex CLI
-- are told apart by the key (a ReplacingMergeTree keeps one row per key), and the queries that
-- read one source's runs (status, freshness, sync_history, sync_health) read only its granules.
--
-- The key cannot be altered, so the table is rebuilt as 004 rebuilt usage_rollup: a copy of every
-- row as stored (merged or not), a check that the copy holds every row, then an atomic EXCHANGE.
-- Each step runs only while the key of sync_runs lacks `source` (the `-- if:` lines, evaluated by
-- the runner), so running the migration again after an interruption resumes it: an unfinished
-- copy is emptied and made again. Agents (which hold no DDL rights) may record runs meanwhile: a
-- run recorded during the copy fails the check (nothing changed: run `ccsync schema apply`
-- again); one recorded between the check and the swap landed in the old table and is carried
-- over before that table is dropped.

-- if: SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'sync_runs' AND sorting_key NOT LIKE '%source%'
CREATE TABLE IF NOT EXISTS sync_runs_v7
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

-- A copy left by an interrupted run: made again from the start.
-- if: SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'sync_runs' AND sorting_key NOT LIKE '%source%'
TRUNCATE TABLE sync_runs_v7;

-- if: SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'sync_runs' AND sorting_key NOT LIKE '%source%'
INSERT INTO sync_runs_v7
    (run_id, machine_name, source, started_at, finished_at, status, error, agent_version,
     files_scanned, files_changed, bytes_read, lines_read, messages_new, rows_inserted,
     lines_skipped, skipped_by_reason, unknown_models, duration_ms, rollup_pending)
SELECT
    run_id, machine_name, source, started_at, finished_at, status, error, agent_version,
    files_scanned, files_changed, bytes_read, lines_read, messages_new, rows_inserted,
    lines_skipped, skipped_by_reason, unknown_models, duration_ms, rollup_pending
FROM sync_runs;

-- if: SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'sync_runs' AND sorting_key NOT LIKE '%source%'
SELECT throwIf(
    (SELECT count() FROM sync_runs) != (SELECT count() FROM sync_runs_v7),
    'the copy of sync_runs is incomplete (nothing was changed): run `ccsync schema apply` again');

-- if: SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'sync_runs' AND sorting_key NOT LIKE '%source%'
EXCHANGE TABLES sync_runs AND sync_runs_v7;

-- The table of version 6, now under this name (also after an interruption past the swap): the
-- runs recorded into it after the copy, if any, are carried over.
-- if: SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'sync_runs_v7'
INSERT INTO sync_runs
    (run_id, machine_name, source, started_at, finished_at, status, error, agent_version,
     files_scanned, files_changed, bytes_read, lines_read, messages_new, rows_inserted,
     lines_skipped, skipped_by_reason, unknown_models, duration_ms, rollup_pending)
SELECT
    run_id, machine_name, source, started_at, finished_at, status, error, agent_version,
    files_scanned, files_changed, bytes_read, lines_read, messages_new, rows_inserted,
    lines_skipped, skipped_by_reason, unknown_models, duration_ms, rollup_pending
FROM sync_runs_v7
WHERE (machine_name, source, started_at, run_id) NOT IN
    (SELECT machine_name, source, started_at, run_id FROM sync_runs);

DROP TABLE IF EXISTS sync_runs_v7;
