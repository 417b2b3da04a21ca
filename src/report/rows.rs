//! The neutral rows every report is computed from: one priced API response each (or, from the
//! database, the sum of a file's responses of one day, model and subagent), with what
//! the reports group by (its listed model, session, project and machine), whoever read it: the
//! local parse (`--local`, `ccsync scan`) or the database (`queries/report_rows.sql`).

use rustc_hash::FxHashMap;

use super::aggregate::Tokens;

/// A string of [`Rows`]' table (a model, session, project or machine name): its number + 1,
/// so that `Option<Sym>` takes 4 bytes like `Sym` (a row's listed model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Sym(std::num::NonZeroU32);

/// One priced response.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    /// When it was made (of a sum of responses from the database: the first one's time).
    pub timestamp_ms: i64,
    /// The last response's time, for a sum of responses of one day; else `timestamp_ms`.
    pub last_ms: i64,
    /// The name ccusage lists it under (`<model>-fast` in fast mode), `None` where it lists
    /// none (`<synthetic>`, no model: see [`super::listed_model`]).
    pub model: Option<Sym>,
    /// The transcript file's session (its stem, or `<session>` of `<session>/subagents/`), as
    /// ccusage's `session` report groups them, not the lines' `sessionId`.
    pub session: Sym,
    /// The encoded project folder (`-home-me-app`).
    pub project: Sym,
    /// The machine it was read on (the local machine's name for `--local`).
    pub machine: Sym,
    /// The Claude account it belongs to ('' unknown; this machine's for `--local`).
    pub account: Sym,
    /// The subagent that made it (see [`subagent_of`]); `None` for the main thread.
    pub agent: Option<Sym>,
    /// That subagent's type (`agentType` of its `agent-<id>.meta.json`), where known.
    pub agent_type: Option<Sym>,
    pub tokens: Tokens,
    /// Reasoning tokens, inside `tokens.output` (Codex logs them apart; Claude's are 0).
    pub reasoning: u64,
    pub cost_usd: f64,
    /// The cost had to be calculated and the model has no price.
    pub unpriced: bool,
    /// The agent that wrote it.
    pub source: crate::usage::Agent,
}

/// Rows in ccusage's order (each response where its first line is: files by bytewise path,
/// lines in order), which decides `modelsUsed`, the order of equal-cost breakdowns and of
/// sessions of equal cost, and the order costs are summed in; and their strings.
#[derive(Debug, Default, Clone)]
pub(crate) struct Rows {
    names: Vec<Box<str>>,
    index: FxHashMap<Box<str>, u32>,
    rows: Vec<Row>,
}

impl Rows {
    /// The symbol of `name`, added if new.
    pub(crate) fn sym(&mut self, name: &str) -> Sym {
        if let Some(&i) = self.index.get(name) {
            return Sym::at(i);
        }
        let i = u32::try_from(self.names.len()).expect("fewer than 2^32 - 1 distinct names");
        self.names.push(name.into());
        self.index.insert(name.into(), i);
        Sym::at(i)
    }

    pub(crate) fn name(&self, sym: Sym) -> &str {
        &self.names[sym.index()]
    }

    pub(crate) fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub(crate) fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Room for `n` more rows, exactly: a reader that knows how many it has.
    pub(crate) fn reserve_exact(&mut self, n: usize) {
        self.rows.reserve_exact(n);
    }
}

impl Sym {
    fn at(i: u32) -> Sym {
        Sym(std::num::NonZeroU32::new(i.wrapping_add(1)).expect("fewer than 2^32 - 1 names"))
    }

    /// Its place in the table (names are numbered from 0 in the order added).
    pub(crate) fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }
}

impl Rows {
    /// The name numbered `i` (see [`Sym::index`]).
    pub(crate) fn name_at(&self, i: usize) -> &str {
        &self.names[i]
    }
}

/// What `--by` splits rows by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SplitBy {
    Machine,
    Project,
    Model,
    Account,
}

impl Rows {
    /// The rows split into one set per machine, project, listed model or account (rows without a
    /// listed model under `(none)`), sorted by that value; each set in the original order.
    pub(crate) fn split_by(&self, by: SplitBy) -> Vec<(String, Rows)> {
        let mut groups: std::collections::BTreeMap<String, Rows> = Default::default();
        for r in &self.rows {
            let key = match by {
                SplitBy::Machine => self.name(r.machine),
                SplitBy::Project => self.name(r.project),
                SplitBy::Model => r.model.map_or("(none)", |m| self.name(m)),
                SplitBy::Account => match self.name(r.account) {
                    "" => "(unknown)",
                    name => name,
                },
            };
            let out = groups.entry(key.to_string()).or_default();
            let mut sym = |s: Sym| out.sym(self.name(s));
            let row = Row {
                model: r.model.map(&mut sym),
                session: sym(r.session),
                project: sym(r.project),
                machine: sym(r.machine),
                account: sym(r.account),
                agent: r.agent.map(&mut sym),
                agent_type: r.agent_type.map(&mut sym),
                ..*r
            };
            out.push(row);
        }
        groups.into_iter().collect()
    }
}

/// The project and session ccusage's `session` report files a transcript under, from its path
/// (the part after the last `/projects/`): `P/S.jsonl` → (P, S); `P…/S/subagents/F` → (P…, S);
/// deeper `P…/D/F.jsonl` → (P…, D); `F.jsonl` right in `projects/` → (`Unknown Project`,
/// `F.jsonl`). `None` for a path without `/projects/`.
pub(crate) fn ccusage_session(path: &str) -> Option<(String, String)> {
    let rel = &path[path.rfind("/projects/")? + "/projects/".len()..];
    let c: Vec<&str> = rel.split('/').collect();
    let n = c.len();
    let (project, session) = if n == 1 {
        (String::new(), c[0].to_string())
    } else if n >= 3 && c[n - 2] == "subagents" {
        (c[..n - 3].join("/"), c[n - 3].to_string())
    } else if n == 2 {
        let stem = c[1].strip_suffix(".jsonl").unwrap_or(c[1]);
        (c[0].to_string(), stem.to_string())
    } else {
        (c[..n - 2].join("/"), c[n - 2].to_string())
    };
    let project = if project.is_empty() {
        "Unknown Project".to_string()
    } else {
        project
    };
    Some((project, session))
}

/// The subagent a response belongs to, `None` for the main thread: a sidechain line's
/// `agentId` (a subagent's own file, or its response in the parent's progress line), else the
/// `<id>` of a transcript named `agent-<id>.jsonl` under `subagents/`; a sidechain line with
/// neither has an unknown id (`""`).
pub(crate) fn subagent_of(is_sidechain: bool, agent_id: &str, path: &str) -> Option<String> {
    if is_sidechain && !agent_id.is_empty() {
        return Some(agent_id.to_string());
    }
    if let Some(id) = subagent_file_id(path) {
        return Some(id.to_string());
    }
    is_sidechain.then(String::new)
}

/// `<id>` of a subagent's transcript `…/subagents/[…/]agent-<id>.jsonl`.
pub(crate) fn subagent_file_id(path: &str) -> Option<&str> {
    let (dir, name) = path.rsplit_once('/')?;
    let id = name.strip_prefix("agent-")?.strip_suffix(".jsonl")?;
    let under = dir.ends_with("/subagents") || dir.contains("/subagents/");
    (under && !id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::{Sym, ccusage_session, subagent_of};

    #[test]
    fn subagents_are_named_by_their_line_or_their_file() {
        let main = "/h/projects/-p/s.jsonl";
        let sub = "/h/projects/-p/s/subagents/agent-a1.jsonl";
        assert_eq!(subagent_of(false, "", main), None);
        assert_eq!(subagent_of(true, "a1", main).as_deref(), Some("a1"));
        assert_eq!(subagent_of(true, "", sub).as_deref(), Some("a1"));
        assert_eq!(subagent_of(false, "", sub).as_deref(), Some("a1"));
        assert_eq!(subagent_of(true, "", main).as_deref(), Some(""));
        // A main thread's agentId (not a sidechain) is not a subagent.
        assert_eq!(subagent_of(false, "x", main), None);
        let wf = "/h/projects/-p/s/subagents/workflows/wf_1/agent-b2.jsonl";
        assert_eq!(subagent_of(true, "", wf).as_deref(), Some("b2"));
        assert_eq!(
            subagent_of(true, "", "/h/projects/-p/agent-c.jsonl").as_deref(),
            Some("")
        );
    }

    #[test]
    fn a_listed_model_takes_no_more_room_than_a_name() {
        assert_eq!(size_of::<Option<Sym>>(), size_of::<Sym>());
    }

    #[test]
    fn sessions_are_filed_as_ccusage_files_them() {
        let s = |p: &str| ccusage_session(p).map(|(a, b)| format!("{a} {b}"));
        // Checked with `ccusage claude session --json` on these paths (docs/ccusage-compat.md).
        assert_eq!(s("/h/.claude/projects/-p/a.jsonl").unwrap(), "-p a");
        assert_eq!(
            s("/h/projects/-p/d1/d2/d3/deep.jsonl").unwrap(),
            "-p/d1/d2 d3"
        );
        assert_eq!(s("/h/projects/-q/d1/x.jsonl").unwrap(), "-q d1");
        assert_eq!(
            s("/h/projects/-r/s/subagents/agent-1.jsonl").unwrap(),
            "-r s"
        );
        assert_eq!(s("/h/projects/-t/u/s/subagents/a.jsonl").unwrap(), "-t/u s");
        assert_eq!(
            s("/h/projects/top.jsonl").unwrap(),
            "Unknown Project top.jsonl"
        );
        assert_eq!(s("/h/elsewhere/x.jsonl"), None);
    }
}
