-- name: sync_health
-- description: Sync reliability per machine and source over a date range: runs, failures, failure rate, duration, data read and inserted, skipped lines by reason and unknown models.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
SELECT
    machine_name,
    source,
    count() AS runs,
    countIf(status = 'ok') AS ok_runs,
    countIf(status = 'partial') AS partial_runs,
    countIf(status = 'failed') AS failed_runs,
    round(100 * failed_runs / runs, 2) AS failure_pct,
    round(avg(duration_ms) / 1000, 2) AS avg_duration_s,
    round(max(duration_ms) / 1000, 2) AS max_duration_s,
    sum(bytes_read) AS bytes_read,
    sum(rows_inserted) AS rows_inserted,
    sum(lines_skipped) AS lines_skipped,
    sumMap(skipped_by_reason) AS skipped_by_reason,
    arraySort(groupUniqArrayArray(unknown_models)) AS unknown_models
FROM sync_runs FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND ({source:String} = '' OR source = {source:String})
  AND toDate32(started_at, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
GROUP BY machine_name, source
ORDER BY machine_name, source
