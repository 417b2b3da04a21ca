//! The session report: usage per transcript session, as `ccusage claude session` 20.0.24
//! computes it (docs/ccusage-compat.md, §9): a session is a project folder's session file (its
//! subagent files included), its rows those whose day in the zone is in the range; sessions
//! costliest first, equal costs in the order first met (files by path); `--order` does not
//! change it.

use rustc_hash::FxHashMap;

use super::aggregate::{ModelBreakdown, ModelSums, Totals, row_totals};
use super::period::{DateRange, Zone};
use super::rows::{Row, Rows, Sym};
use super::subagents::{AgentSums, AgentUsage};

/// One session of the report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Session {
    pub session_id: String,
    pub project_path: String,
    pub first_ms: i64,
    pub last_ms: i64,
    pub totals: Totals,
    pub models_used: Vec<String>,
    pub model_breakdowns: Vec<ModelBreakdown>,
    /// The machines its rows were read on, in the order met.
    pub machines: Vec<String>,
    /// Its main thread's and each subagent's part (`--subagents`; empty without).
    pub subagents: Vec<AgentUsage>,
    /// The agent that wrote it.
    pub source: crate::usage::Agent,
    /// Reasoning tokens (inside the output; Codex's).
    pub reasoning: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SessionReport {
    pub zone: String,
    pub sessions: Vec<Session>,
    pub totals: Totals,
    pub unpriced_models: Vec<String>,
    /// Sessions are split by agent (`--subagents`).
    pub by_agent: bool,
}

/// A session being summed.
struct Parts {
    project: Sym,
    session: Sym,
    first_ms: i64,
    last_ms: i64,
    totals: Totals,
    models: ModelSums,
    machines: Vec<Sym>,
    agents: Option<AgentSums>,
    source: crate::usage::Agent,
    reasoning: u64,
}

/// The sessions of `rows` (in ccusage's order), counting the rows whose day in `zone` is in
/// `range`; with `by_agent`, each split by the agent that made its responses.
pub(crate) fn sessions(
    rows: &Rows,
    zone: &Zone,
    range: DateRange,
    by_agent: bool,
) -> SessionReport {
    let counted = |r: &Row| range.contains(zone.day_of(r.timestamp_ms));
    sessions_of(rows, zone, counted, by_agent)
}

/// The sessions of the rows of `rows` that are `counted`.
pub(super) fn sessions_of(
    rows: &Rows,
    zone: &Zone,
    counted: impl Fn(&Row) -> bool,
    by_agent: bool,
) -> SessionReport {
    let mut index: FxHashMap<(Sym, Sym), usize> = FxHashMap::default();
    let mut parts: Vec<Parts> = Vec::new();
    for r in rows.rows() {
        if !counted(r) {
            continue;
        }
        let at = *index.entry((r.project, r.session)).or_insert_with(|| {
            parts.push(Parts {
                project: r.project,
                session: r.session,
                first_ms: r.timestamp_ms,
                last_ms: r.last_ms,
                totals: Totals::default(),
                models: ModelSums::default(),
                machines: Vec::new(),
                agents: by_agent.then(AgentSums::default),
                source: r.source,
                reasoning: 0,
            });
            parts.len() - 1
        });
        let p = &mut parts[at];
        p.first_ms = p.first_ms.min(r.timestamp_ms);
        p.last_ms = p.last_ms.max(r.last_ms);
        p.totals.add(&r.tokens, r.cost_usd);
        p.reasoning = p.reasoning.saturating_add(r.reasoning);
        if let Some(m) = r.model {
            p.models
                .add(sym_index(m), &row_totals(&r.tokens, r.cost_usd), r.unpriced);
        }
        if !p.machines.contains(&r.machine) {
            p.machines.push(r.machine);
        }
        if let Some(agents) = &mut p.agents {
            agents.add(r);
        }
    }
    finish(rows, zone, parts, by_agent)
}

fn sym_index(sym: Sym) -> u32 {
    sym.index() as u32
}

fn finish(rows: &Rows, zone: &Zone, parts: Vec<Parts>, by_agent: bool) -> SessionReport {
    let name = |m: u32| rows.name_at(m as usize).to_string();
    let mut sessions: Vec<Session> = parts
        .into_iter()
        .map(|p| Session {
            session_id: rows.name(p.session).to_string(),
            project_path: rows.name(p.project).to_string(),
            first_ms: p.first_ms,
            last_ms: p.last_ms,
            models_used: p.models.names(name),
            model_breakdowns: p.models.breakdowns(name),
            machines: p
                .machines
                .iter()
                .map(|m| rows.name(*m).to_string())
                .collect(),
            subagents: p.agents.map(|a| a.finish(rows)).unwrap_or_default(),
            totals: p.totals,
            source: p.source,
            reasoning: p.reasoning,
        })
        .collect();
    // Stable: equal costs stay in the order met.
    sessions.sort_by(|a, b| {
        (b.totals.total_cost)
            .partial_cmp(&a.totals.total_cost)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut totals = Totals::default();
    let mut unpriced = std::collections::BTreeSet::new();
    for s in &sessions {
        totals.merge(&s.totals);
        let missing = s.model_breakdowns.iter().filter(|b| b.missing_pricing);
        unpriced.extend(missing.map(|b| b.model_name.clone()));
    }
    SessionReport {
        zone: zone.name().to_string(),
        sessions,
        totals,
        unpriced_models: unpriced.into_iter().collect(),
        by_agent,
    }
}
