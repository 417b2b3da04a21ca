-- 005: what a second agent needs. Applied once by `ccsync schema apply` (DDL rights); columns
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
