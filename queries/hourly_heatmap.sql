-- name: hourly_heatmap
-- description: When the work happens: messages, tokens and cost per weekday (1 = Monday) and hour of day, in tz.
-- params: machine String '' (empty = all machines), since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
SELECT
    toDayOfWeek(local) AS weekday,
    dateName('weekday', local) AS weekday_name,
    toHour(local) AS hour,
    count() AS messages,
    sum(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens) AS total_tokens,
    round(sum(cost_usd), 4) AS cost_usd
FROM
(
    SELECT toTimeZone(timestamp, {tz:String}) AS local, *
    FROM usage_events FINAL
    WHERE ({machine:String} = '' OR machine_name = {machine:String})
      AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
)
GROUP BY weekday, weekday_name, hour
ORDER BY weekday, hour
