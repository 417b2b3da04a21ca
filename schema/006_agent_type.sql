-- 006: the type of the subagent that made a response. Applied once by `ccsync schema apply`
-- (DDL rights); the column is added in place (no copy, nothing re-read).
--
-- agent_type: `agentType` of the `agent-<id>.meta.json` Claude Code writes beside a subagent's
-- transcript (`Explore`, `general-purpose`, a custom agent's name; a printable name of at most
-- 100 characters: never the task's description, never anything else of the file), read when
-- the row was synced, for rows of a subagent (its `agent_id`, or the `<id>` of a transcript
-- under `subagents/`: src/source/claude/agent_meta.rs); '' for the main thread, for a subagent
-- without a meta file, for other agents and for rows stored before this migration (and a meta
-- file that appears after its rows were synced does not rewrite them).
ALTER TABLE usage_events
    ADD COLUMN IF NOT EXISTS agent_type LowCardinality(String) DEFAULT '' AFTER agent_id;
