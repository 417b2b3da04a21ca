-- name: report_rows
-- description: One row per API response, as ccsync report (ccusage's daily, weekly, monthly, session and blocks reports) reads them: time, model, the transcript file's session, project, machine, account, agent, tokens by kind (reasoning apart), cost, subagent; a response synced from two machines once.
-- params: machines String '' (newline-separated machine names; empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), project String '' (empty = all projects), account String '' (empty = every account; else one as stored, or its e-mail), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC'
--
-- The report is computed by ccsync from these rows (src/report/), in ccusage's order: files by
-- path, lines in order (a response's kept line; ccusage lists a response where its first
-- line is, which may differ for a response streamed over two files).
-- ccsync files a row under the session and project ccusage's session report would, from
-- `source_file` (src/report/rows.rs, ccusage_session); `session_id` and `project` where the
-- path has no /projects/ in it.
-- `agent_id` and `is_sidechain` name the subagent of a row (`report session --subagents`;
-- src/report/rows.rs, subagent_of).
-- The account: the row's own (the one signed in when it was synced), else, for rows stored
-- before accounts were (schema 005), the first account recorded for its machine.
-- One response, several machines: the same identity as global_daily (source, message_id,
-- request_id; lines without message.id stay per machine), the copy with the highest version
-- kept (ties: the first machine by name).
SELECT
    toUnixTimestamp64Milli(timestamp) AS timestamp_ms,
    toString(model) AS model,
    speed = 'fast' AS fast,
    session_id,
    project,
    source_file,
    toString(e.machine_name) AS machine,
    input_tokens,
    output_tokens,
    cache_creation_input_tokens AS cache_creation_tokens,
    cache_read_input_tokens AS cache_read_tokens,
    cost_usd,
    unknown_model,
    if(e.account != '', e.account, ifNull(a.first_account, '')) AS account,
    agent_id,
    is_sidechain,
    toString(source) AS source,
    reasoning_output_tokens AS reasoning_tokens
FROM
(
    SELECT
        timestamp, model, speed, session_id, project, machine_name, source, account,
        input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens,
        cost_usd, unknown_model, source_file, source_line, message_id, request_id,
        agent_id, is_sidechain, reasoning_output_tokens
    FROM usage_events FINAL
    WHERE NOT is_deleted
      AND ({source:String} = '' OR source = {source:String})
      AND ({machines:String} = '' OR has(splitByChar('\n', {machines:String}), toString(machine_name)))
      AND ({project:String} = '' OR project = {project:String})
      AND toDate32(timestamp, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
    ORDER BY version DESC, machine_name
    LIMIT 1 BY source, message_id, request_id, if(message_id = '', toString(machine_name), '')
) AS e
LEFT JOIN
(
    SELECT machine_name, source, argMin(account, recorded_at) AS first_account
    FROM machine_accounts
    GROUP BY machine_name, source
) AS a ON a.machine_name = e.machine_name AND a.source = e.source
WHERE {account:String} = ''
   OR if(e.account != '', e.account, ifNull(a.first_account, '')) IN
      (SELECT {account:String} UNION ALL
       SELECT account FROM machine_accounts WHERE email = {account:String})
ORDER BY source_file, source_line, message_id, request_id, machine
