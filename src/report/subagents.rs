//! A session's usage split by the agent that made it (`ccsync report session --subagents`): the
//! main thread, then each subagent (its id, and its type where Claude Code recorded one), so
//! that the parts add up to the session. Beyond ccusage, which has no such breakdown.

use super::aggregate::{ModelSums, Totals, row_totals};
use super::rows::{Row, Rows, Sym};

/// What the main thread's part is listed under.
pub(crate) const MAIN: &str = "(main)";
/// What a subagent whose id is unknown (a sidechain line without `agentId`) is listed under.
pub(crate) const UNKNOWN: &str = "(unknown)";

/// One agent's part of a session.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AgentUsage {
    /// [`MAIN`] for the main thread, [`UNKNOWN`] for a subagent without an id.
    pub agent_id: String,
    /// The subagent's type (`Explore`, `general-purpose`, …), where known.
    pub agent_type: Option<String>,
    pub totals: Totals,
    /// Models in the order first used.
    pub models_used: Vec<String>,
}

/// The parts of one session being summed, in the order met.
#[derive(Default)]
pub(super) struct AgentSums(Vec<Part>);

struct Part {
    agent: Option<Sym>,
    agent_type: Option<Sym>,
    totals: Totals,
    models: ModelSums,
}

impl AgentSums {
    pub(super) fn add(&mut self, r: &Row) {
        let at = match self.0.iter().position(|p| p.agent == r.agent) {
            Some(at) => at,
            None => {
                self.0.push(Part {
                    agent: r.agent,
                    agent_type: None,
                    totals: Totals::default(),
                    models: ModelSums::default(),
                });
                self.0.len() - 1
            }
        };
        let p = &mut self.0[at];
        p.agent_type = p.agent_type.or(r.agent_type);
        p.totals.add(&r.tokens, r.cost_usd);
        if let Some(m) = r.model {
            let totals = row_totals(&r.tokens, r.cost_usd);
            p.models.add(m.index() as u32, &totals, r.unpriced);
        }
    }

    /// The main thread first, then the subagents costliest first (equal costs in the order
    /// met).
    pub(super) fn finish(self, rows: &Rows) -> Vec<AgentUsage> {
        let name = |m: u32| rows.name_at(m as usize).to_string();
        let mut parts: Vec<AgentUsage> = (self.0.into_iter())
            .map(|p| AgentUsage {
                agent_id: match p.agent.map(|a| rows.name(a)) {
                    None => MAIN.to_string(),
                    Some("") => UNKNOWN.to_string(),
                    Some(id) => id.to_string(),
                },
                agent_type: p.agent_type.map(|t| rows.name(t).to_string()),
                models_used: p.models.names(name),
                totals: p.totals,
            })
            .collect();
        parts.sort_by(|a, b| {
            let main = |u: &AgentUsage| u.agent_id != MAIN;
            main(a).cmp(&main(b)).then(
                (b.totals.total_cost)
                    .partial_cmp(&a.totals.total_cost)
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
        });
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::super::aggregate::Tokens;
    use super::*;

    fn row(rows: &mut Rows, agent: Option<&str>, kind: Option<&str>, output: u64) -> Row {
        let s = rows.sym("s");
        Row {
            timestamp_ms: 0,
            last_ms: 0,
            model: Some(rows.sym("claude-haiku-4-5")),
            session: s,
            project: s,
            machine: s,
            account: s,
            agent: agent.map(|a| rows.sym(a)),
            agent_type: kind.map(|k| rows.sym(k)),
            tokens: Tokens {
                output,
                ..Tokens::default()
            },
            cost_usd: output as f64 / 100.0,
            unpriced: false,
            reasoning: 0,
            source: crate::usage::Agent::Claude,
        }
    }

    #[test]
    fn the_main_thread_first_then_subagents_costliest_first() {
        let mut rows = Rows::default();
        let mut sums = AgentSums::default();
        for r in [
            row(&mut rows, Some("a1"), None, 10),
            row(&mut rows, None, None, 1),
            row(&mut rows, Some("b2"), Some("Explore"), 30),
            row(&mut rows, Some("a1"), Some("Plan"), 5),
            row(&mut rows, Some(""), None, 2),
        ] {
            sums.add(&r);
        }
        let parts = sums.finish(&rows);
        let ids: Vec<(&str, Option<&str>, u64)> = (parts.iter())
            .map(|p| {
                let kind = p.agent_type.as_deref();
                (p.agent_id.as_str(), kind, p.totals.output_tokens)
            })
            .collect();
        assert_eq!(
            ids,
            [
                (MAIN, None, 1),
                ("b2", Some("Explore"), 30),
                ("a1", Some("Plan"), 15),
                (UNKNOWN, None, 2)
            ]
        );
        assert_eq!(parts[1].models_used, ["claude-haiku-4-5"]);
    }
}
