-- name: claude_versions
-- description: Claude Code versions (each source's agent version) per machine and source: messages, first and last seen, and whether it is the latest on that machine for that source, to spot machines running old releases.
-- params: machine String '' (empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- Reads usage_rollup (usage_events pre-aggregated per machine, 15-minute UTC bucket and
-- dimension; see schema/003_usage_rollup.sql): every 15-minute bucket lies in one local day and hour in any tz.
SELECT
    machine_name,
    source,
    claude_version,
    messages,
    toTimeZone(first_ts, {tz:String}) AS first_seen,
    toTimeZone(last_ts, {tz:String}) AS last_seen,
    last_ts = max(last_ts) OVER (PARTITION BY machine_name, source) AS is_latest
FROM
(
    SELECT
        machine_name,
        source,
        claude_version,
        sum(r.messages) AS messages,
        min(r.min_ts) AS first_ts,
        max(r.max_ts) AS last_ts
    FROM usage_rollup AS r FINAL
    WHERE claude_version != ''
      AND ({machine:String} = '' OR machine_name = {machine:String})
      AND ({source:String} = '' OR source = {source:String})
      AND toDate32(bucket, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
    GROUP BY machine_name, source, claude_version
)
ORDER BY machine_name, source, first_ts, claude_version
