-- The stored rows of some responses of one machine and source: for each key, its latest
-- version (tombstones included, which FINAL would hide). The agent seeds its de-duplication
-- (src/dedup.rs) with them before it decides about new lines with these message ids, so a
-- line synced in one run and a better or sidechain copy in a later run resolve as in one run.
-- Params: {machine:String}, {source:String}, {message_ids:Array(String)}.
SELECT
    message_id,
    request_id,
    max(version) AS version,
    argMax(is_deleted, version) AS is_deleted,
    argMax(toUnixTimestamp64Milli(timestamp), version) AS timestamp_ms,
    argMax(session_id, version) AS session_id,
    argMax(source_file, version) AS source_file,
    argMax(source_line, version) AS source_line
FROM usage_events
WHERE machine_name = {machine:String} AND source = {source:String}
  AND message_id IN {message_ids:Array(String)}
GROUP BY message_id, request_id
