//! A subagent's type, from the `agent-<id>.meta.json` Claude Code writes beside the subagent's
//! transcript (`<session>/subagents/agent-<id>.jsonl`; workflow agents one level down, in
//! `subagents/workflows/<run>/`). Only `agentType` is read (`Explore`, `general-purpose`, …):
//! the file also holds the task's `description` (and `toolUseId`, `spawnDepth`), words a user
//! typed or a model wrote, which are never kept. What the file holds: docs/ccusage-compat.md,
//! §9c.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;

/// A meta file larger than this is not one Claude Code wrote: not read.
const MAX_META_BYTES: u64 = 64 << 10;
/// Longer types are not shown (a type is a short name).
const MAX_TYPE_CHARS: usize = 100;

/// The subagent types found so far, by meta file (each file read once).
#[derive(Debug, Default)]
pub(crate) struct AgentTypes(FxHashMap<PathBuf, Option<Arc<str>>>);

/// The subagent a response belongs to, as [`AgentTypes::subagent`] decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subagent {
    /// Its agent id (`""`: a sidechain line that names none).
    pub(crate) id: String,
    /// `agentType` of its meta file, where Claude Code recorded one.
    pub(crate) kind: Option<Arc<str>>,
}

impl AgentTypes {
    /// The type of subagent `agent_id` whose response was read from `transcript` (its own
    /// file, or its parent's progress line), if Claude Code recorded one.
    pub(crate) fn get(&mut self, transcript: &Path, agent_id: &str) -> Option<&Arc<str>> {
        let path = meta_path(transcript, agent_id)?;
        self.0
            .entry(path)
            .or_insert_with_key(|p| read_type(p))
            .as_ref()
    }

    /// Which subagent made a response read from `transcript` (with its line's `isSidechain`
    /// and `agentId`: a progress line's `data.agentId`), and its type: the one rule for the
    /// rows a sync stores (`usage_events.agent_type`) and the rows of a `--local` report, both
    /// made by the collector. The id is [`crate::report::rows::subagent_of`]'s (the database's
    /// reports apply it to the stored columns); the type is that id's meta file seen from
    /// `transcript`, as it is when the line is read. `None`: the main thread.
    pub(crate) fn subagent(
        &mut self,
        is_sidechain: bool,
        agent_id: &str,
        transcript: &Path,
    ) -> Option<Subagent> {
        let id = crate::report::rows::subagent_of(
            is_sidechain,
            agent_id,
            &transcript.to_string_lossy(),
        )?;
        let kind = self.get(transcript, &id).cloned();
        Some(Subagent { id, kind })
    }
}

/// Where subagent `agent_id`'s meta file is, seen from `transcript`: beside it for a file
/// under `subagents/`, else under the session's folder (`<session>/subagents/`). `None` for
/// an id that is not a plain name (it becomes part of a path).
pub(crate) fn meta_path(transcript: &Path, agent_id: &str) -> Option<PathBuf> {
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if agent_id.is_empty() || agent_id.len() > 128 || !agent_id.chars().all(plain) {
        return None;
    }
    let name = format!("agent-{agent_id}.meta.json");
    let under_subagents = transcript
        .ancestors()
        .skip(1)
        .any(|d| d.file_name().is_some_and(|n| n == "subagents"));
    if under_subagents {
        return Some(transcript.with_file_name(name));
    }
    let session_dir = transcript.with_extension("");
    Some(session_dir.join("subagents").join(name))
}

/// `agentType` of the meta file at `path`; `None` if missing, unreadable, too large, or
/// without a plausible type.
fn read_type(path: &Path) -> Option<Arc<str>> {
    use std::io::Read as _;
    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(rename = "agentType")]
        agent_type: Option<serde_json::Value>,
    }
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_META_BYTES + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_META_BYTES {
        return None;
    }
    let meta: Meta = serde_json::from_slice(&bytes).ok()?;
    let kind = meta.agent_type?.as_str()?.trim().to_string();
    let printable = !kind.chars().any(char::is_control);
    (!kind.is_empty() && kind.chars().count() <= MAX_TYPE_CHARS && printable).then(|| kind.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meta_file_is_beside_the_subagents_transcript() {
        let sub = Path::new("/h/projects/-p/s/subagents/agent-a1.jsonl");
        let parent = Path::new("/h/projects/-p/s.jsonl");
        let wf = Path::new("/h/projects/-p/s/subagents/workflows/w/agent-b2.jsonl");
        let expect = Path::new("/h/projects/-p/s/subagents/agent-a1.meta.json");
        assert_eq!(meta_path(sub, "a1").unwrap(), expect);
        assert_eq!(meta_path(parent, "a1").unwrap(), expect);
        assert_eq!(
            meta_path(wf, "b2").unwrap(),
            Path::new("/h/projects/-p/s/subagents/workflows/w/agent-b2.meta.json")
        );
        assert_eq!(meta_path(parent, "../x"), None);
        assert_eq!(meta_path(parent, ""), None);
    }

    #[test]
    fn only_the_type_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("s.jsonl");
        let subagents = dir.path().join("s/subagents");
        std::fs::create_dir_all(&subagents).unwrap();
        let write = |id: &str, text: &str| {
            std::fs::write(subagents.join(format!("agent-{id}.meta.json")), text).unwrap()
        };
        write(
            "a",
            r#"{"agentType":"Explore","description":"secret words","toolUseId":"toolu_1","spawnDepth":1}"#,
        );
        write("b", r#"{"description":"no type"}"#);
        write("c", r#"{"agentType":7}"#);
        write("d", "not json");
        let mut types = AgentTypes::default();
        assert_eq!(types.get(&t, "a").map(|k| &**k), Some("Explore"));
        for id in ["b", "c", "d", "missing"] {
            assert_eq!(types.get(&t, id), None, "{id}");
        }
        let kept = format!("{types:?}");
        assert!(!kept.contains("secret"), "{kept}");
    }

    /// A session `s` with subagents `a1` (Explore), `b2` (no meta file) and workflow agent
    /// `w3` (one level down), and a file a main thread's line names as its agent.
    fn session_tree() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let subagents = dir.path().join("projects/-p/s/subagents");
        std::fs::create_dir_all(subagents.join("workflows/run1")).unwrap();
        let write = |rel: &str, text: &str| std::fs::write(subagents.join(rel), text).unwrap();
        write(
            "agent-a1.meta.json",
            r#"{"agentType":"Explore","description":"words"}"#,
        );
        write("agent-x.meta.json", r#"{"agentType":"Plan"}"#);
        write(
            "workflows/run1/agent-w3.meta.json",
            r#"{"agentType":"workflow-subagent"}"#,
        );
        let projects = dir.path().join("projects/-p");
        (dir, projects)
    }

    #[test]
    fn the_subagent_is_the_lines_or_the_files_and_its_type_the_meta_file_of_that_id() {
        let (_dir, p) = session_tree();
        let main = p.join("s.jsonl");
        let a1_file = p.join("s/subagents/agent-a1.jsonl");
        let b2_file = p.join("s/subagents/agent-b2.jsonl");
        let w3_file = p.join("s/subagents/workflows/run1/agent-w3.jsonl");
        let mut types = AgentTypes::default();
        let mut of = |sidechain: bool, id: &str, file: &Path| {
            types
                .subagent(sidechain, id, file)
                .map(|s| (s.id, s.kind.map(|k| k.to_string())))
        };
        let typed = |id: &str, kind: Option<&str>| Some((id.to_string(), kind.map(String::from)));
        // The main thread: no subagent, whatever its line's agentId (`x` has a meta file).
        assert_eq!(of(false, "", &main), None);
        assert_eq!(of(false, "x", &main), None);
        // A progress line of the parent (inner isSidechain, data.agentId): the meta file under
        // the session's folder.
        assert_eq!(of(true, "a1", &main), typed("a1", Some("Explore")));
        // The subagent's own file, with or without the line's id.
        assert_eq!(of(true, "a1", &a1_file), typed("a1", Some("Explore")));
        assert_eq!(of(false, "", &a1_file), typed("a1", Some("Explore")));
        assert_eq!(of(true, "", &a1_file), typed("a1", Some("Explore")));
        // A sidechain line's own id wins over its file's name.
        assert_eq!(of(true, "x", &a1_file), typed("x", Some("Plan")));
        // No meta file: the id, no type; a workflow agent's meta file is beside its file.
        assert_eq!(of(true, "b2", &b2_file), typed("b2", None));
        assert_eq!(of(true, "b2", &main), typed("b2", None));
        assert_eq!(
            of(true, "", &w3_file),
            typed("w3", Some("workflow-subagent"))
        );
        // A sidechain line naming no agent, in the parent: an unknown subagent.
        assert_eq!(of(true, "", &main), typed("", None));
        // An id that is not a plain name is never made into a path.
        assert_eq!(of(true, "../../x", &main), typed("../../x", None));
    }

    #[test]
    fn a_meta_file_is_read_once_per_run() {
        let (_dir, p) = session_tree();
        let meta = p.join("s/subagents/agent-a1.meta.json");
        let (main, a1_file) = (p.join("s.jsonl"), p.join("s/subagents/agent-a1.jsonl"));
        let mut run = AgentTypes::default();
        let kind = |t: &mut AgentTypes, f: &Path| t.subagent(true, "a1", f).unwrap().kind;
        assert_eq!(kind(&mut run, &main).as_deref(), Some("Explore"));
        // Changed or removed during the run: the run keeps what it read (one type per agent).
        std::fs::write(&meta, r#"{"agentType":"general-purpose"}"#).unwrap();
        assert_eq!(kind(&mut run, &a1_file).as_deref(), Some("Explore"));
        std::fs::remove_file(&meta).unwrap();
        assert_eq!(kind(&mut run, &main).as_deref(), Some("Explore"));
        assert_eq!(run.0.len(), 1, "{run:?}");
        // The next run reads it again.
        assert_eq!(kind(&mut AgentTypes::default(), &main), None);
    }

    #[test]
    fn a_type_is_a_short_printable_name() {
        let (_dir, p) = session_tree();
        let subagents = p.join("s/subagents");
        let main = p.join("s.jsonl");
        let cases = [
            (
                "t1",
                format!(r#"{{"agentType":"{}"}}"#, "x".repeat(100)),
                true,
            ),
            (
                "t2",
                format!(r#"{{"agentType":"{}"}}"#, "x".repeat(101)),
                false,
            ),
            // A JSON escape of a line break: a control character once read.
            ("t3", r#"{"agentType":"a\nb"}"#.to_string(), false),
            ("t7", r#"{"agentType":"tab\there"}"#.to_string(), false),
            ("t4", r#"{"agentType":"  "}"#.to_string(), false),
            ("t5", r#"{"agentType":" code-reviewer "}"#.to_string(), true),
            (
                "t6",
                format!(
                    r#"{{"agentType":"Explore","pad":"{}"}}"#,
                    "x".repeat(64 << 10)
                ),
                false,
            ),
        ];
        let mut types = AgentTypes::default();
        for (id, text, shown) in cases {
            std::fs::write(subagents.join(format!("agent-{id}.meta.json")), &text).unwrap();
            let kind = types.subagent(true, id, &main).unwrap().kind;
            assert_eq!(kind.is_some(), shown, "{id}: {kind:?}");
        }
        let kind = types.subagent(true, "t5", &main).unwrap().kind;
        assert_eq!(kind.as_deref(), Some("code-reviewer"));
    }
}
