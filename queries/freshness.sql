-- name: freshness
-- description: Per machine and source: last successful sync, last run and its error, last event, hours since each, skipped lines, and a status (ok, partial, failing, stale, never synced) that shows machines that stopped syncing.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), stale_hours Float64 24 (> 0) (no successful sync for longer than this: stale), as_of Nullable(DateTime64(3, 'UTC')) NULL (NULL = now)
--
-- status: never synced (no successful run), stale (last success older than stale_hours),
-- failing (the last run failed), partial (the last run skipped unreadable files), else ok.
-- A partial run still synced what it could, so it counts as a success for the lag.
-- One row per machine and source: each run reads one source (agent), so a source that stopped
-- syncing shows even when another one on the same machine still does.
WITH toDateTime64(ifNull({as_of:Nullable(DateTime64(3, 'UTC'))}, now64(3)), 3, 'UTC') AS at
SELECT
    machine_name,
    source,
    multiIf(
        last_sync IS NULL, 'never synced',
        dateDiff('second', last_sync, at) > {stale_hours:Float64} * 3600, 'stale',
        last_run_status = 'failed', 'failing',
        last_run_status = 'partial', 'partial',
        'ok') AS status,
    last_sync,
    round(dateDiff('second', last_sync, at) / 3600, 2) AS hours_since_sync,
    -- Outer join: a side without the machine reads as defaults (0, '', the epoch); whether it
    -- has runs or events is told by a count or flag, as a time may be the epoch itself.
    if(runs > 0, last_run, NULL) AS last_run_at,
    last_run_status,
    last_error,
    if(has_events, last_event, NULL) AS last_event_at,
    round(dateDiff('second', last_event_at, at) / 3600, 2) AS hours_since_event,
    skipped_lines_last_sync,
    skipped_lines_total,
    -- 15-minute periods of usage_rollup the last run left for the next one (reports lag there).
    rollup_pending,
    runs,
    failed_runs
FROM
(
    SELECT
        machine_name,
        source,
        maxIf(finished_at, status != 'failed') AS last_sync_at,
        if(countIf(status != 'failed') > 0, last_sync_at, NULL) AS last_sync,
        max(started_at) AS last_run,
        argMax(status, started_at) AS last_run_status,
        argMax(error, started_at) AS last_error,
        argMaxIf(lines_skipped, started_at, status != 'failed') AS skipped_lines_last_sync,
        sum(lines_skipped) AS skipped_lines_total,
        argMax(sync_runs.rollup_pending, started_at) AS rollup_pending,
        count() AS runs,
        countIf(status = 'failed') AS failed_runs
    FROM sync_runs FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
      AND started_at <= at
    GROUP BY machine_name, source
) AS r
FULL OUTER JOIN
(
    -- The last event at or before `at`: every rollup group of an earlier 15-minute bucket ends
    -- before `at`, so usage_rollup answers for them; only the bucket holding `at` may have groups
    -- with events on both sides of it, and its events are read from usage_events (one partition).
    SELECT machine_name, source, max(ts) AS last_event, toUInt8(1) AS has_events
    FROM
    (
        SELECT machine_name, source, max(max_ts) AS ts
        FROM usage_rollup FINAL
        WHERE ({machine:String} = '' OR machine_name = {machine:String})
          AND ({source:String} = '' OR source = {source:String})
          AND max_ts <= at
        GROUP BY machine_name, source
        UNION ALL
        SELECT machine_name, source, max(timestamp) AS ts
        FROM usage_events FINAL
        WHERE ({machine:String} = '' OR machine_name = {machine:String})
          AND ({source:String} = '' OR source = {source:String})
          AND timestamp >= toStartOfInterval(at, INTERVAL 900000 MILLISECOND)
          AND timestamp <= at
        GROUP BY machine_name, source
    )
    GROUP BY machine_name, source
) AS e USING (machine_name, source)
ORDER BY machine_name, source
