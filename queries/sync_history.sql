-- name: sync_history
-- description: The latest sync runs (newest first): machine, source, start time (in tz), status, duration, files, bytes, rows inserted, skipped lines by reason, unknown models and error.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), tz String 'UTC', limit UInt32 50 (>= 1) (runs at most, newest first)
SELECT
    toTimeZone(started_at, {tz:String}) AS started,
    machine_name,
    source,
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
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
ORDER BY started_at DESC, machine_name, source
LIMIT {limit:UInt32}
