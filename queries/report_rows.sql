-- name: report_rows
-- description: The usage ccsync report (ccusage's daily, weekly, monthly, session and blocks reports) is computed from: per transcript file, day (in tz), model, machine, account (with its recorded e-mail), agent and subagent (id and type), its responses summed (tokens by kind, reasoning apart, cost, first and last time); with responses=1 one row per API response (blocks need each one's time). A response synced from two machines once.
-- params: machines String '' (newline-separated machine names; empty = all machines), source String '' (empty = every agent; else the agent as ccusage names it, e.g. claude, codex), project String '' (empty = all projects), account String '' (empty = every account; else one as stored, or its e-mail), since Date32 '0000-01-01', until Date32 '9999-12-31', tz String 'UTC', responses UInt8 0 (>= 0, <= 1) (1 = one row per response instead of sums)
--
-- The report is computed by ccsync from these rows (src/report/), in ccusage's order: files by
-- path, lines in order (a group where its first response's kept line is; ccusage lists a
-- response where its first line is, which may differ for a response streamed over two files).
-- Every report groups at least by day in its zone, model, file (sessions) and subagent, so
-- sums over these groups are what it would sum over the responses: the engine adds them up, and
-- a year of usage reaches ccsync as thousands of rows, not millions.
-- ccsync files a row under the session and project ccusage's session report would, from
-- `source_file` (src/report/rows.rs, ccusage_session); `session_id` and `project` where the
-- path has no /projects/ in it.
-- `agent_id` and `is_sidechain` name the subagent of a row (`report session --subagents`;
-- src/report/rows.rs, subagent_of); `agent_type` is its type as synced (schema 006: '' for the
-- main thread, a subagent without a meta file, and rows stored before).
-- The account: the row's own (the one signed in when it was synced), else, for rows stored
-- before accounts were (schema 005), the first account recorded for its machine.
-- One response, several machines: the same identity as global_daily (source, message_id,
-- request_id; lines without message.id stay per machine), the copy with the highest version
-- kept (ties: the first machine by name), among the machines and the account asked for: a
-- response synced by two accounts' machines (a shared ~/.claude) counts in each account's
-- report, once in a report of both.
WITH
    -- The accounts asked for: as stored, or by their e-mail.
    wanted AS (
        SELECT {account:String} AS account
        UNION ALL
        SELECT account FROM machine_accounts WHERE email = {account:String}
    ),
    -- Each machine's first recorded account, which rows stored without one belong to.
    firsts AS (
        SELECT machine_name, source, argMin(account, recorded_at) AS first_account
        FROM machine_accounts
        GROUP BY machine_name, source
    )
SELECT
    g.timestamp_ms AS timestamp_ms,
    g.last_ms AS last_ms,
    g.model AS model,
    g.fast AS fast,
    g.session_id AS session_id,
    g.project AS project,
    g.source_file AS source_file,
    g.machine AS machine,
    g.input_tokens AS input_tokens,
    g.output_tokens AS output_tokens,
    g.cache_creation_tokens AS cache_creation_tokens,
    g.cache_read_tokens AS cache_read_tokens,
    g.cost_usd AS cost_usd,
    g.unknown_model AS unknown_model,
    g.account AS account,
    g.agent_id AS agent_id,
    g.is_sidechain AS is_sidechain,
    g.source AS source,
    g.reasoning_tokens AS reasoning_tokens,
    g.agent_type AS agent_type,
    -- The account's e-mail where its machines recorded one (`report --by account` names it).
    m.email AS account_email
FROM
(
    SELECT
        min(toUnixTimestamp64Milli(timestamp)) AS timestamp_ms,
        max(toUnixTimestamp64Milli(timestamp)) AS last_ms,
        model,
        fast,
        min(session_id) AS session_id,
        min(project) AS project,
        source_file,
        machine,
        sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        sum(cache_creation_input_tokens) AS cache_creation_tokens,
        sum(cache_read_input_tokens) AS cache_read_tokens,
        sum(cost_usd) AS cost_usd,
        unknown_model,
        account,
        agent_id,
        is_sidechain,
        source,
        sum(reasoning_output_tokens) AS reasoning_tokens,
        agent_type,
        min(source_line) AS first_line
    FROM
    (
        SELECT
            e.timestamp AS timestamp,
            toString(e.model) AS model,
            e.speed = 'fast' AS fast,
            e.session_id AS session_id,
            e.project AS project,
            e.source_file AS source_file,
            e.source_line AS source_line,
            toString(e.machine_name) AS machine,
            toString(e.source) AS source,
            e.input_tokens AS input_tokens,
            e.output_tokens AS output_tokens,
            e.cache_creation_input_tokens AS cache_creation_input_tokens,
            e.cache_read_input_tokens AS cache_read_input_tokens,
            e.reasoning_output_tokens AS reasoning_output_tokens,
            e.cost_usd AS cost_usd,
            e.unknown_model AS unknown_model,
            e.agent_id AS agent_id,
            toString(e.agent_type) AS agent_type,
            e.is_sidechain AS is_sidechain,
            if(e.account != '', e.account, ifNull(a.first_account, '')) AS account,
            toDate32(e.timestamp, {tz:String}) AS day,
            -- One group per response when asked for (blocks), else none beyond the others.
            if({responses:UInt8} = 1, (e.message_id, e.request_id, e.source_line), ('', '', 0))
                AS response
        FROM
        (
            SELECT
                timestamp, model, speed, session_id, project, machine_name, source, account,
                input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens,
                cost_usd, unknown_model, source_file, source_line, message_id, request_id,
                agent_id, agent_type, is_sidechain, reasoning_output_tokens
            FROM usage_events FINAL
            WHERE NOT is_deleted
              AND ({source:String} = '' OR source = {source:String})
              AND ({machines:String} = '' OR has(splitByChar('\n', {machines:String}), toString(machine_name)))
              AND ({project:String} = '' OR project = {project:String})
              AND toDate32(timestamp, {tz:String}) BETWEEN {since:Date32} AND {until:Date32}
              -- The account as below (the row's, else its machine's first), without a join.
              AND ({account:String} = ''
                   OR if(account != '',
                         account IN wanted,
                         (machine_name, source) IN
                            (SELECT machine_name, source FROM firsts
                             WHERE first_account IN wanted)))
            ORDER BY version DESC, machine_name
            LIMIT 1 BY source, message_id, request_id, if(message_id = '', toString(machine_name), '')
        ) AS e
        LEFT JOIN firsts AS a ON a.machine_name = e.machine_name AND a.source = e.source
    )
    GROUP BY source, source_file, day, model, fast, unknown_model, machine, account, agent_id,
        agent_type, is_sidechain, response
) AS g
LEFT JOIN
(
    SELECT account, argMax(email, recorded_at) AS email
    FROM machine_accounts
    GROUP BY account
) AS m ON m.account = g.account
ORDER BY g.source_file, g.first_line, g.timestamp_ms, g.model, g.machine
