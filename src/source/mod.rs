//! Usage sources: one module per coding agent whose local logs ccsync reads.

pub mod codex;
