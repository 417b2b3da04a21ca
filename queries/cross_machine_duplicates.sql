-- name: cross_machine_duplicates
-- description: Responses stored under two or more machines (the same transcripts synced from several machines), per set of machines: responses, extra copies, the cost per-machine totals count twice, projects and days.
-- params: since Date '1970-01-01', until Date '2100-01-01', tz String 'UTC'
--
-- Same identity as global_daily: message_id + request_id (lines without message.id never match).
SELECT
    arrayStringConcat(on_machines, ', ') AS machines,
    count() AS responses,
    sum(copies - 1) AS extra_copies,
    round(sum(cost * (copies - 1)), 4) AS double_counted_cost_usd,
    arraySort(groupUniqArray(project)) AS projects,
    min(day) AS first_day,
    max(day) AS last_day
FROM
(
    SELECT
        arraySort(groupUniqArray(toString(machine_name))) AS on_machines,
        count() AS copies,
        argMax(cost_usd, version) AS cost,
        any(project) AS project,
        min(toDate(timestamp, {tz:String})) AS day
    FROM usage_events FINAL
    WHERE message_id != ''
      AND toDate(timestamp, {tz:String}) BETWEEN {since:Date} AND {until:Date}
    GROUP BY cityHash64(message_id, request_id)
    HAVING length(on_machines) > 1
)
GROUP BY on_machines
ORDER BY responses DESC, machines
