-- The stored rows of some responses of one machine and source: for each key, its latest
-- version (tombstones included, which FINAL would hide). The agent seeds its de-duplication
-- (src/source/claude/dedup.rs, src/source/codex/dedup.rs) with them before it decides about new lines with these message ids, so a
-- line synced in one run and a better or sidechain copy in a later run resolve as in one run.
-- Params: {machine:String}, {source:String}, {message_ids:Array(String)}.
SELECT
    message_id,
    request_id,
    max(e.version) AS latest,
    argMax(e.is_deleted, e.version) AS deleted,
    argMax(toUnixTimestamp64Milli(e.timestamp), e.version) AS timestamp_ms,
    argMax(e.session_id, e.version) AS session,
    argMax(e.cost_usd, e.version) AS cost,
    argMax(e.source_file, e.version) AS file,
    argMax(e.source_line, e.version) AS line,
    -- The row's rank (dedup/rank.rs), from its own columns: its version can lie above its
    -- rank's by more than the revision bits (a line that won on cost over one with `speed`).
    argMax(e.is_sidechain, e.version) AS sidechain,
    argMax(toUInt64(least(toUInt128(e.input_tokens) + e.output_tokens
        + e.cache_creation_input_tokens + e.cache_read_input_tokens, 72057594037927935)),
        e.version) AS total,
    argMax(e.speed != '', e.version) AS has_speed
FROM usage_events AS e
WHERE machine_name = {machine:String} AND source = {source:String}
  AND message_id IN {message_ids:Array(String)}
GROUP BY message_id, request_id
