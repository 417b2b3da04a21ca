//! Whole sessions: their exchanges, resumed sessions, the huge line.

use std::io::{self, Write};

use super::corpus::*;
use super::*;

impl Gen<'_> {
    pub(super) fn session(
        &mut self,
        s: usize,
        previous: &mut Option<(Thread, Vec<Exchange>)>,
    ) -> io::Result<()> {
        let resumed = s % 4 == 3 && previous.is_some();
        let model = self.rng.pick(&MODELS);
        let th = Thread {
            cwd: match (&previous, resumed) {
                (Some((p, _)), true) => p.cwd,
                _ => self.rng.pick(&PROJECTS),
            },
            session: self.rng.uuid(),
            version: self.rng.pick(&VERSIONS),
            branch: self.rng.pick(&BRANCHES),
            agent: None,
            model,
            // Some sessions use a 1M context (above-200k prices on Sonnet 4.5).
            context: if self.rng.chance(0.1) {
                800_000
            } else {
                160_000
            },
        };
        let session_dir = self.dir.join("projects").join(encode_project(th.cwd));
        let mut w = self.create(&session_dir.join(format!("{}.jsonl", th.session)))?;
        let mut t = (self.opts.start_day + self.rng.below(self.opts.days.max(1) as u64) as i64)
            * 86_400_000
            + (7 + self.rng.below(14) as i64) * 3_600_000
            + self.rng.below(3_600_000) as i64;
        if let Some(last) = self.last_start() {
            t = t.min(last - self.rng.below(3 * 3_600_000) as i64);
        }
        if resumed {
            let (prev, exchanges) = previous.as_ref().expect("checked");
            self.line = format!(
                "{{\"type\":\"summary\",\"summary\":\"Work on the {} of {}\",\"leafUuid\":\"{}\"}}",
                self.rng.pick(&WORDS),
                prev.cwd,
                self.rng.uuid()
            );
            self.emit(&mut w)?;
            let n = self.rng.below(8) as usize;
            for e in exchanges.iter().take(n) {
                self.out.write(&mut w, &e.user)?;
                self.out.write(&mut w, &e.response)?;
            }
        }
        let mut exchanges: Vec<Exchange> = Vec::new();
        let mut parent = self.prompt(&mut w, &th, "", t)?;
        let mut pending_tool: Option<(String, &'static str)> = None;
        let mut cache_read = self.rng.range(10_000, 30_000);
        let n = self
            .rng
            .heavy_tailed(&SESSION_LENGTHS, self.opts.responses_per_session as f64)
            .round()
            .max(1.0) as usize;
        for _ in 0..n {
            if self.last_start().is_some_and(|last| t > last) {
                break;
            }
            t += 2_000 + self.rng.below(90_000) as i64;
            let mut user_line = None;
            match pending_tool.take() {
                Some((id, name)) if !self.rng.chance(0.05) => {
                    if name == "Bash" && self.rng.chance(0.2) {
                        self.bash_progress(&mut w, &th, &parent, &id, t)?;
                        t += 15_000;
                    }
                    parent = self.tool_result(
                        &mut w,
                        &th,
                        &parent,
                        (&id, name),
                        t,
                        self.opts.tool_result_bytes,
                    )?;
                    if exchanges.len() < 8 {
                        user_line = Some(self.line.clone());
                    }
                }
                _ => parent = self.prompt(&mut w, &th, &parent, t)?,
            }
            if cache_read > th.context {
                parent = self.compact(&mut w, &th, &parent, t, cache_read)?;
                cache_read = self.rng.range(10_000, 30_000);
            }
            if self.rng.chance(0.003) {
                parent = self.synthetic(&mut w, &th, &parent, t)?;
                continue;
            }
            let task = self.rng.chance(SUBAGENT_CHANCE).then_some("Task");
            let resp = self.response(&mut w, &th, &parent, &mut t, &mut cache_read, task)?;
            parent = resp.uuid;
            if let Some(user) = user_line {
                exchanges.push(Exchange {
                    user,
                    response: resp.last_line,
                });
            }
            if let Some((id, "Task")) = &resp.tool {
                self.subagent(&mut w, &th, &session_dir, id, &mut t)?;
            }
            pending_tool = resp.tool;
        }
        w.flush()?;
        *previous = Some((th, exchanges));
        Ok(())
    }

    /// The latest time an exchange may begin when the tree must end before `not_after_ms`: one
    /// exchange (a response, a tool call, a subagent's run) takes well under this margin.
    pub(super) fn last_start(&self) -> Option<i64> {
        const MARGIN_MS: i64 = 15 * 60_000;
        self.opts.not_after_ms.map(|end| end - MARGIN_MS)
    }

    /// A session whose one response writes a file of `mb` MiB: a single huge line with usage.
    pub(super) fn huge_session(&mut self, mb: usize) -> io::Result<()> {
        let th = Thread {
            cwd: "/home/dev/data/etl",
            session: self.rng.uuid(),
            version: "2.1.20",
            branch: "main",
            agent: None,
            model: "claude-sonnet-4-5-20250929",
            context: 160_000,
        };
        let session_dir = self.dir.join("projects").join(encode_project(th.cwd));
        let mut w = self.create(&session_dir.join(format!("{}.jsonl", th.session)))?;
        let t = self.opts.start_day * 86_400_000 + 12 * 3_600_000;
        let parent = self.prompt(&mut w, &th, "", t)?;
        let u = Usage {
            input: 12,
            cache_5m: 4_000,
            cache_1h: 0,
            cache_read: 30_000,
            output: 65_000,
            web_search: 0,
            fast: false,
        };
        let mut head = String::new();
        th.head(&mut head, &parent);
        head.push_str(&format!(
            ",\"message\":{{\"model\":\"{}\",\"id\":\"msg_01huge{:016x}\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{{\"type\":\"tool_use\",\"id\":\"toolu_01huge\",\"name\":\"Write\",\"input\":{{\"file_path\":\"{}/dump.sql\",\"content\":\"",
            th.model,
            self.rng.next_u64(),
            th.cwd
        ));
        let tail = format!(
            "\"}}}}],\"stop_reason\":\"tool_use\",\"stop_sequence\":null,\"usage\":{}}},\"requestId\":\"req_011Chuge{:016x}\",\"type\":\"assistant\",\"uuid\":\"{}\",\"timestamp\":\"{}\"}}\n",
            Self::usage_json(&u, u.output),
            self.rng.next_u64(),
            self.rng.uuid(),
            timestamp(t + 60_000)
        );
        w.write_all(head.as_bytes())?;
        let body = self.corpus.stream(&mut w, mb << 20)?;
        w.write_all(tail.as_bytes())?;
        self.out.bytes += head.len() as u64 + body + tail.len() as u64;
        self.out.lines += 1;
        self.messages += 1;
        w.flush()
    }
}
