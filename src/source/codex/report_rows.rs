//! Codex requests as the neutral rows of `ccsync report` (`crate::report::Rows`), for the
//! all-agent reports read from this machine's files (`--local`): the columns a sync stores
//! (`crate::sync::codex`), so both feeds give the same report.

use std::path::PathBuf;

use super::scan::{ReadAll, read_all};
use crate::report::{Row, Rows, Tokens};

/// Appends every request of the rollouts of `homes` to `rows` (read on `machine`).
pub(crate) fn read_into(homes: &[PathBuf], machine: &str, rows: &mut Rows) -> ReadAll {
    let (machine, none) = (rows.sym(machine), rows.sym(""));
    read_all(homes, false, |r| {
        let row = Row {
            timestamp_ms: r.timestamp_ms,
            last_ms: r.timestamp_ms,
            // Listed by its name: ccusage adds no `-fast` to Codex models.
            model: (!r.model.is_empty()).then(|| rows.sym(&r.model)),
            session: rows.sym(&r.session_id),
            project: none,
            machine,
            account: none,
            agent: None,
            agent_type: None,
            tokens: Tokens {
                input: r.input,
                output: r.output,
                cache_creation: r.cache_write,
                cache_read: r.cached_input,
            },
            reasoning: r.reasoning,
            cost_usd: r.cost_usd,
            unpriced: r.unpriced,
            source: crate::usage::Agent::Codex,
        };
        rows.push(row);
    })
}
