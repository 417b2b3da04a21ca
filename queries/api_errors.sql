-- name: api_errors
-- description: Failed calls per day and machine: <synthetic> responses (Claude Code's stand-in for a failed API call, cost 0) and lines flagged isApiErrorMessage, against all messages.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
SELECT
    toDate(timestamp, {tz:String}) AS day,
    machine_name,
    count() AS messages,
    countIf(model = '<synthetic>') AS synthetic_messages,
    countIf(is_api_error) AS api_error_messages,
    countIf(model = '<synthetic>' OR is_api_error) AS failed_messages,
    round(100 * failed_messages / messages, 2) AS failed_pct
FROM usage_events FINAL
WHERE ({machine:String} = '' OR machine_name = {machine:String})
  AND day BETWEEN {since:Date} AND {until:Date}
GROUP BY day, machine_name
HAVING failed_messages > 0
ORDER BY day, machine_name
