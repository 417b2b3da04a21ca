-- 005: what a second agent and accounts need. Applied once by `ccsync schema apply` (DDL rights); columns
-- are added in place (no copy, nothing re-read): rows stored before read them through their
-- DEFAULT.
--
-- reasoning_output_tokens: the output tokens a model spent reasoning (Codex's
-- `reasoning_output_tokens`), already inside output_tokens: never add the two. 0 for Claude
-- Code, which logs none.
ALTER TABLE usage_events
    ADD COLUMN IF NOT EXISTS reasoning_output_tokens UInt64 DEFAULT 0 AFTER output_tokens;

-- cost_source: where cost_usd came from. 'logged': the agent wrote it (Claude Code's costUSD,
-- in the auto or display cost mode); 'calculated': from the tokens and the price table (also
-- the 0 of an unpriced model); 'display': display mode with nothing logged (0 by ccusage's
-- rule). A later re-pricing rewrites calculated costs only. Rows stored before this migration
-- get it from what they recorded (the expression is the one `src/price/cost.rs` applies).
ALTER TABLE usage_events
    ADD COLUMN IF NOT EXISTS cost_source LowCardinality(String)
        DEFAULT multiIf(reported_cost_usd IS NOT NULL AND cost_mode IN ('auto', 'display'), 'logged',
                        cost_mode = 'display', 'display',
                        'calculated')
        AFTER cost_mode;

-- The rollup sums them per group (maintenance/rollup_refresh.sql); its rows of Claude Code
-- were 0 anyway, so no rebuild.
ALTER TABLE usage_rollup
    ADD COLUMN IF NOT EXISTS reasoning_output_tokens UInt64 DEFAULT 0 AFTER output_tokens;

-- account: the Claude account signed in on the machine when the row was synced
-- (`oauthAccount.accountUuid` of Claude Code's `.claude.json`, or CCSYNC_ACCOUNT; a keyed hash
-- under a privacy key); '' where unknown: rows stored before this migration, other agents.
-- Usage limits apply per account, across machines.
ALTER TABLE usage_events
    ADD COLUMN IF NOT EXISTS account String DEFAULT '' AFTER source;

-- Which account each machine had signed in, and since when: one row each time an agent finds
-- another account than the one it recorded last. Rows stored before this migration (account
-- '') belong to the first account recorded for their machine (queries/report_rows.sql).
-- `email`: `oauthAccount.emailAddress` (hashed like `account`), so people can name an account.
CREATE TABLE IF NOT EXISTS machine_accounts
(
    machine_name LowCardinality(String),
    source LowCardinality(String),
    account String,
    email String,
    recorded_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (machine_name, source, account, recorded_at);
