//! A subagent's type, from the `agent-<id>.meta.json` Claude Code writes beside the subagent's
//! transcript (`<session>/subagents/agent-<id>.jsonl`; workflow agents one level down, in
//! `subagents/workflows/<run>/`). Only `agentType` is read (`Explore`, `general-purpose`, …):
//! the file also holds the task's `description` (and `toolUseId`, `spawnDepth`), words a user
//! typed or a model wrote, which are never kept. What the file holds: docs/ccusage-compat.md,
//! §9c.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

/// A meta file larger than this is not one Claude Code wrote: not read.
const MAX_META_BYTES: u64 = 64 << 10;
/// Longer types are not shown (a type is a short name).
const MAX_TYPE_CHARS: usize = 100;

/// The subagent types found so far, by meta file (each file read once).
#[derive(Debug, Default)]
pub(crate) struct AgentTypes(FxHashMap<PathBuf, Option<String>>);

impl AgentTypes {
    /// The type of subagent `agent_id` whose response was read from `transcript` (its own
    /// file, or its parent's progress line), if Claude Code recorded one.
    pub(crate) fn get(&mut self, transcript: &Path, agent_id: &str) -> Option<&str> {
        let path = meta_path(transcript, agent_id)?;
        self.0
            .entry(path)
            .or_insert_with_key(|p| read_type(p))
            .as_deref()
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
fn read_type(path: &Path) -> Option<String> {
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
    (!kind.is_empty() && kind.chars().count() <= MAX_TYPE_CHARS && printable).then_some(kind)
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
        assert_eq!(types.get(&t, "a"), Some("Explore"));
        for id in ["b", "c", "d", "missing"] {
            assert_eq!(types.get(&t, id), None, "{id}");
        }
        let kept = format!("{types:?}");
        assert!(!kept.contains("secret"), "{kept}");
    }
}
