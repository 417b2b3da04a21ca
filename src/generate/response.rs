//! Responses (streamed over several lines, with their usage), compactions, API errors and
//! subagents.

use std::io::{self, Write};

use super::corpus::*;
use super::*;

impl Gen<'_> {
    /// One API response, streamed as one line per content block.
    pub(super) fn response(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        t: &mut i64,
        cache_read: &mut u64,
        force_tool: Option<&'static str>,
    ) -> io::Result<Response> {
        let msg = format!(
            "msg_01{:016x}{:06x}",
            self.rng.next_u64(),
            self.rng.below(1 << 24)
        );
        let req = format!(
            "req_011C{:016x}{:04x}",
            self.rng.next_u64(),
            self.rng.below(1 << 16)
        );
        let fresh = self.rng.range(500, 20_000);
        let (cache_5m, cache_1h) = if self.rng.chance(0.5) {
            (fresh, 0)
        } else {
            (0, fresh)
        };
        *cache_read += self.rng.range(1_000, 12_000);
        let u = Usage {
            input: self.rng.range(1, 60),
            cache_5m,
            cache_1h,
            cache_read: *cache_read,
            output: self.rng.range(20, 2_500),
            web_search: if self.rng.chance(0.01) { 1 } else { 0 },
            fast: th.model == "claude-opus-4-6" && self.rng.chance(0.1),
        };
        // Content blocks: [thinking] [text] [tool_use]; at least one.
        let thinking = self.rng.chance(0.3);
        let tool = match force_tool {
            Some(name) => Some(name),
            None if self.rng.chance(0.85) => Some(self.rng.pick(&TOOLS)),
            None => None,
        };
        let text = tool.is_none() || self.rng.chance(0.5);
        let blocks: Vec<u8> = [(thinking, 0u8), (text, 1), (tool.is_some(), 2)]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, b)| *b)
            .collect();
        let tool_id = format!(
            "toolu_01{:016x}{:06x}",
            self.rng.next_u64(),
            self.rng.below(1 << 24)
        );
        let mut parent = parent.to_string();
        let mut last_line = String::new();
        let mut message = String::new();
        for (k, block) in blocks.iter().enumerate() {
            *t += 50 + self.rng.below(1500) as i64;
            let parts = blocks.len() as u64;
            let output = if k as u64 + 1 == parts {
                u.output
            } else {
                1 + u.output * k as u64 / parts
            };
            let uuid = self.rng.uuid();
            message.clear();
            message.push_str(&format!(
                "{{\"model\":\"{}\",\"id\":\"{msg}\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[",
                th.model
            ));
            match block {
                0 => {
                    message.push_str("{\"type\":\"thinking\",\"thinking\":\"");
                    let n = self.rng.range(100, 1500) as usize;
                    self.corpus.fill(&mut self.rng, &mut message, n);
                    message.push_str("\",\"signature\":\"");
                    self.corpus.signature(&mut self.rng, &mut message);
                    message.push_str("\"}");
                }
                1 => {
                    message.push_str("{\"type\":\"text\",\"text\":\"");
                    let n = self.rng.range(50, 1000) as usize;
                    self.corpus.fill(&mut self.rng, &mut message, n);
                    message.push_str("\"}");
                }
                _ => {
                    let name = tool.unwrap_or("Bash");
                    message.push_str(&format!(
                        "{{\"type\":\"tool_use\",\"id\":\"{tool_id}\",\"name\":\"{name}\",\"input\":{{"
                    ));
                    match name {
                        "Write" => {
                            message.push_str(&format!(
                                "\"file_path\":\"{}/src/{}.rs\",\"content\":\"",
                                th.cwd,
                                self.rng.pick(&WORDS)
                            ));
                            let n = self.rng.range(1_000, 20_000) as usize;
                            self.corpus.fill(&mut self.rng, &mut message, n);
                            message.push('"');
                        }
                        "Edit" => {
                            message.push_str(&format!(
                                "\"file_path\":\"{}/src/{}.rs\",\"old_string\":\"",
                                th.cwd,
                                self.rng.pick(&WORDS)
                            ));
                            let n = self.rng.range(50, 1_500) as usize;
                            self.corpus.fill(&mut self.rng, &mut message, n);
                            message.push_str("\",\"new_string\":\"");
                            self.corpus.fill(&mut self.rng, &mut message, n);
                            message.push('"');
                        }
                        "Task" => {
                            message.push_str(&format!(
                                "\"description\":\"Investigate the {}\",\"prompt\":\"",
                                self.rng.pick(&WORDS)
                            ));
                            let n = self.rng.range(200, 2_000) as usize;
                            self.corpus.fill(&mut self.rng, &mut message, n);
                            message.push_str("\",\"subagent_type\":\"general-purpose\"");
                        }
                        _ => message.push_str(&format!(
                            "\"command\":\"cargo test -p {} -- --nocapture\",\"description\":\"Run the {} tests\"",
                            self.rng.pick(&WORDS),
                            self.rng.pick(&WORDS)
                        )),
                    }
                    message.push_str("}}");
                }
            }
            message.push_str(&format!(
                "],\"stop_reason\":{},\"stop_sequence\":null,\"usage\":{}}}",
                if k + 1 == blocks.len() {
                    if tool.is_some() {
                        "\"tool_use\""
                    } else {
                        "\"end_turn\""
                    }
                } else {
                    "null"
                },
                Self::usage_json(&u, output)
            ));
            self.line.clear();
            th.head(&mut self.line, &parent);
            self.line.push_str(&format!(
                ",\"message\":{message},\"requestId\":\"{req}\",\"type\":\"assistant\",\"uuid\":\"{uuid}\",\"timestamp\":\"{}\"}}",
                timestamp(*t)
            ));
            self.emit(w)?;
            parent = uuid;
            if k + 1 == blocks.len() {
                last_line = std::mem::take(&mut self.line);
            }
        }
        self.messages += 1;
        Ok(Response {
            uuid: parent,
            tool: tool.map(|name| (tool_id, name)),
            last_line,
            request_id: req,
            message,
        })
    }

    /// A compaction boundary: the context starts over.
    pub(super) fn compact(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        t: i64,
        pre: u64,
    ) -> io::Result<String> {
        let uuid = self.rng.uuid();
        self.line.clear();
        th.head(&mut self.line, parent);
        self.line.push_str(&format!(
            ",\"type\":\"system\",\"subtype\":\"compact_boundary\",\"content\":\"Conversation compacted\",\"isMeta\":false,\"timestamp\":\"{}\",\"uuid\":\"{uuid}\",\"level\":\"info\",\"compactMetadata\":{{\"trigger\":\"auto\",\"preTokens\":{pre}}}}}",
            timestamp(t)
        ));
        self.emit(w)?;
        Ok(uuid)
    }

    /// An API error placeholder: model `<synthetic>`, zero usage, no requestId.
    pub(super) fn synthetic(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        t: i64,
    ) -> io::Result<String> {
        let uuid = self.rng.uuid();
        let id = self.rng.uuid();
        self.line.clear();
        th.head(&mut self.line, parent);
        self.line.push_str(&format!(
            ",\"type\":\"assistant\",\"uuid\":\"{uuid}\",\"timestamp\":\"{}\",\"message\":{{\"id\":\"{id}\",\"model\":\"<synthetic>\",\"role\":\"assistant\",\"stop_reason\":\"stop_sequence\",\"stop_sequence\":\"\",\"type\":\"message\",\"usage\":{{\"input_tokens\":0,\"output_tokens\":0,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}},\"content\":[{{\"type\":\"text\",\"text\":\"API Error: 529 {{\\\"type\\\":\\\"error\\\",\\\"error\\\":{{\\\"type\\\":\\\"overloaded_error\\\",\\\"message\\\":\\\"Overloaded\\\"}}}}\"}}]}},\"isApiErrorMessage\":true}}",
            timestamp(t)
        ));
        self.emit(w)?;
        self.messages += 1;
        Ok(uuid)
    }

    /// A subagent run by the Task tool call `task_id`: its own file, each response also
    /// mirrored into the parent as an `agent_progress` line.
    pub(super) fn subagent(
        &mut self,
        parent_w: &mut dyn Write,
        th: &Thread,
        session_dir: &Path,
        task_id: &str,
        t: &mut i64,
    ) -> io::Result<()> {
        let agent = format!("{:08x}", self.rng.next_u64() as u32);
        let sub = Thread {
            agent: Some(agent.clone()),
            model: self.rng.pick(&SUBAGENT_MODELS),
            ..th.clone()
        };
        let path = session_dir
            .join(&th.session)
            .join("subagents")
            .join(format!("agent-{agent}.jsonl"));
        let mut w = self.create(&path)?;
        let mut parent = self.prompt(&mut w, &sub, "", *t)?;
        let mut cache_read = self.rng.range(5_000, 15_000);
        for r in 0..self.rng.range(3, 20) {
            *t += 1_000 + self.rng.below(20_000) as i64;
            if r > 0 {
                let tool = (format!("toolu_01{:016x}", self.rng.next_u64()), "Read");
                parent = self.tool_result(
                    &mut w,
                    &sub,
                    &parent,
                    (&tool.0, tool.1),
                    *t,
                    self.opts.tool_result_bytes / 2,
                )?;
            }
            let resp = self.response(&mut w, &sub, &parent, t, &mut cache_read, None)?;
            parent = resp.uuid;
            // The parent's copy of this response (ccusage and ccsync count it once).
            let (req, message) = (resp.request_id, resp.message);
            let inner_uuid = self.rng.uuid();
            let outer_uuid = self.rng.uuid();
            self.line.clear();
            th.head(&mut self.line, task_id);
            self.line.push_str(&format!(
                ",\"type\":\"progress\",\"data\":{{\"message\":{{\"type\":\"assistant\",\"timestamp\":\"{}\",\"requestId\":\"{req}\",\"isSidechain\":true,\"message\":{message},\"uuid\":\"{inner_uuid}\"}},\"normalizedMessages\":[],\"type\":\"agent_progress\",\"prompt\":\"\",\"agentId\":\"{agent}\"}},\"toolUseID\":\"agent_msg_{:016x}\",\"parentToolUseID\":\"{task_id}\",\"uuid\":\"{outer_uuid}\",\"timestamp\":\"{}\"}}",
                timestamp(*t),
                self.rng.next_u64(),
                timestamp(*t + 5)
            ));
            self.out.write(parent_w, &self.line)?;
        }
        w.flush()
    }
}
