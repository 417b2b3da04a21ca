//! Claude Code: transcripts under `projects/` of each Claude config dir, read as ccusage reads
//! them. The path of a line: [`discover`] (which files, under which config dirs) → the shared
//! incremental [`crate::read`] → [`parse`] (the fast, allocation-free line parser) → [`dedup`]
//! (ccusage's rules: one row per API response across files and runs) → [`collect`] (priced,
//! privacy-filtered pending rows, each with its subagent's type from [`agent_meta`], and their
//! checkpoints, for `sync`); [`scan`] feeds the same parse, de-duplication and types to the
//! report core without a server.

pub mod account;
pub(crate) mod agent_meta;
pub mod collect;
pub mod dedup;
pub mod discover;
pub mod parse;
pub mod scan;
