//! Writing files and the lines that carry no usage: prompts, tool results, progress.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::corpus::*;
use super::*;

impl Gen<'_> {
    pub(super) fn create(&mut self, path: &Path) -> io::Result<BufWriter<File>> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        self.files += 1;
        Ok(BufWriter::with_capacity(256 * 1024, File::create(path)?))
    }

    pub(super) fn emit(&mut self, w: &mut dyn Write) -> io::Result<()> {
        self.out.write(w, &self.line)
    }

    pub(super) fn tool_output_len(&mut self, mean: usize) -> usize {
        self.rng
            .heavy_tailed(&TOOL_OUTPUT_SIZES, mean.max(1) as f64)
            .max(16.0) as usize
    }

    pub(super) fn prompt(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        t: i64,
    ) -> io::Result<String> {
        let uuid = self.rng.uuid();
        self.line.clear();
        th.head(&mut self.line, parent);
        self.line
            .push_str(",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"");
        let n = self.rng.range(40, 1500) as usize;
        self.corpus.fill(&mut self.rng, &mut self.line, n);
        self.line.push_str(&format!(
            "\"}},\"uuid\":\"{uuid}\",\"timestamp\":\"{}\"}}",
            timestamp(t)
        ));
        self.emit(w)?;
        if th.agent.is_none() {
            // Claude Code snapshots tracked files at each prompt.
            self.line.clear();
            self.line.push_str(&format!(
                "{{\"type\":\"file-history-snapshot\",\"messageId\":\"{uuid}\",\"snapshot\":{{\"messageId\":\"{uuid}\",\"trackedFileBackups\":{{"
            ));
            for i in 0..self.rng.below(6) {
                if i > 0 {
                    self.line.push(',');
                }
                let f = self.rng.pick(&WORDS);
                self.line.push_str(&format!(
                    "\"src/{f}.rs\":{{\"backupFileName\":\"{:016x}@v{}\",\"version\":{},\"backupTime\":\"{}\"}}",
                    self.rng.next_u64(),
                    i + 1,
                    i + 1,
                    timestamp(t)
                ));
            }
            self.line.push_str(&format!(
                "}},\"timestamp\":\"{}\"}},\"isSnapshotUpdate\":false}}",
                timestamp(t)
            ));
            self.emit(w)?;
        }
        Ok(uuid)
    }

    /// A user line carrying a tool's output (the bulk of a transcript's bytes).
    pub(super) fn tool_result(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        tool: (&str, &str),
        t: i64,
        mean: usize,
    ) -> io::Result<String> {
        let (tool_id, tool_name) = tool;
        let uuid = self.rng.uuid();
        let size = self.tool_output_len(mean);
        // Claude Code often stores the output twice: in the message and in toolUseResult.
        let twice = size > 2000 && self.rng.chance(0.5);
        let part = if twice { size / 2 } else { size };
        let is_error = self.rng.chance(0.03);
        self.line.clear();
        th.head(&mut self.line, parent);
        self.line.push_str(&format!(
            ",\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":[{{\"tool_use_id\":\"{tool_id}\",\"type\":\"tool_result\",\"content\":\""
        ));
        self.corpus.fill(&mut self.rng, &mut self.line, part);
        self.line.push_str(&format!(
            "\",\"is_error\":{is_error}}}]}},\"uuid\":\"{uuid}\",\"timestamp\":\"{}\"",
            timestamp(t)
        ));
        if twice {
            if tool_name == "Read" {
                self.line.push_str(&format!(
                    ",\"toolUseResult\":{{\"type\":\"text\",\"file\":{{\"filePath\":\"{}/src/{}.rs\",\"content\":\"",
                    th.cwd,
                    self.rng.pick(&WORDS)
                ));
                self.corpus.fill(&mut self.rng, &mut self.line, part);
                self.line.push_str(&format!(
                    "\",\"numLines\":{},\"startLine\":1,\"totalLines\":{}}}}}",
                    part / 40,
                    part / 40
                ));
            } else {
                self.line.push_str(",\"toolUseResult\":{\"stdout\":\"");
                self.corpus.fill(&mut self.rng, &mut self.line, part);
                self.line
                    .push_str("\",\"stderr\":\"\",\"interrupted\":false,\"isImage\":false}");
            }
        }
        self.line.push('}');
        self.emit(w)?;
        Ok(uuid)
    }

    /// Output a long-running Bash command streams while it runs: no usage in these lines.
    pub(super) fn bash_progress(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        tool_id: &str,
        t: i64,
    ) -> io::Result<()> {
        for i in 0..self.rng.range(1, 5) {
            self.line.clear();
            th.head(&mut self.line, parent);
            self.line.push_str(
                ",\"type\":\"progress\",\"data\":{\"type\":\"bash_progress\",\"output\":\"",
            );
            let n = self.rng.range(100, 4000) as usize;
            self.corpus.fill(&mut self.rng, &mut self.line, n);
            self.line.push_str(&format!(
                "\",\"elapsedTimeSeconds\":{},\"totalLines\":{}}},\"toolUseID\":\"bash-progress-{i}\",\"parentToolUseID\":\"{tool_id}\",\"uuid\":\"{}\",\"timestamp\":\"{}\"}}",
                i * 3 + 3,
                n / 60,
                self.rng.uuid(),
                timestamp(t + i as i64 * 3000)
            ));
            self.emit(w)?;
        }
        Ok(())
    }

    pub(super) fn usage_json(u: &Usage, output: u64) -> String {
        let mut s = format!(
            "{{\"input_tokens\":{},\"cache_creation_input_tokens\":{},\"cache_read_input_tokens\":{},\"cache_creation\":{{\"ephemeral_5m_input_tokens\":{},\"ephemeral_1h_input_tokens\":{}}},\"output_tokens\":{output},",
            u.input,
            u.cache_5m + u.cache_1h,
            u.cache_read,
            u.cache_5m,
            u.cache_1h
        );
        if u.web_search > 0 {
            s.push_str(&format!(
                "\"server_tool_use\":{{\"web_search_requests\":{},\"web_fetch_requests\":0}},",
                u.web_search
            ));
        }
        s.push_str(&format!(
            "\"service_tier\":\"standard\",\"speed\":\"{}\"}}",
            if u.fast { "fast" } else { "standard" }
        ));
        s
    }
}
