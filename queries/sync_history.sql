-- name: sync_history
-- description: The latest sync runs (newest first): machine, start time (in tz), status, duration, files, bytes, rows inserted, skipped lines by reason, unknown models and error.
-- params: machine String '' (empty = all machines), tz String 'UTC', limit UInt32 50
SELECT
    toTimeZone(started_at, {tz:String}) AS started,
    machine_name,
    status,
    round(duration_ms / 1000, 2) AS duration_s,
    files_scanned,
    files_changed,
    bytes_read,
    rows_inserted,
    lines_skipped,
    skipped_by_reason,
    unknown_models,
    agent_version,
    error
FROM sync_runs FINAL
WHERE {machine:String} = '' OR machine_name = {machine:String}
ORDER BY started_at DESC, machine_name
LIMIT {limit:UInt32}
