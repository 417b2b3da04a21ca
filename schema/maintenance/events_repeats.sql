-- How many repeats of some lines without message.id one machine and source stored: such a
-- line's key is `~l:<16 hex digits>` (its bytes and its file's inode) followed by `.<n>` for
-- the n-th repeat. A read from a checkpoint numbers the repeats it finds on from there, so a
-- verbatim copy of a line appended later counts again, as ccusage counts it.
-- Params: {machine:String}, {source:String}, {lines:Array(String)} (the `~l:<hex>` prefixes).
SELECT
    substring(request_id, 4, 16) AS line,
    toUInt32(uniqExact(request_id)) AS stored
FROM usage_events
WHERE machine_name = {machine:String} AND source = {source:String} AND message_id = ''
  AND substring(request_id, 1, 19) IN {lines:Array(String)}
GROUP BY line
