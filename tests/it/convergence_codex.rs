//! The convergence property for Codex CLI: whatever sequence of syncs runs over a growing tree
//! of rollouts, the database equals one fresh sync of the tree as it is then, and
//! `ccusage codex daily` on it.
//!
//! A case is a list of steps drawn from what Codex writes: new sessions (a `session_meta`, a
//! `turn_context` naming the model, sometimes the fast tier), requests appended (their
//! `token_count` event sometimes written twice, as Codex does; the last line sometimes cut
//! mid-write and completed later), copies in `archived_sessions/`, forks replaying their
//! parent's first requests with the original timestamps, at times on bucket, day and month
//! edges; and "sync now". Compared as in `convergence.rs` (same tables, queries, settings), plus
//! the Codex days of ccusage at the end. `PROPTEST_CASES` and `PROPTEST_RNG_SEED` as there.
//!
//! Not drawn, by design: files that disappear (what was synced stays, so a fresh run differs),
//! and the same request twice in one file (its copies differ only in their line number).

use std::path::PathBuf;

use proptest::prelude::*;

use crate::common::*;
use crate::convergence::{Runs, check_property, describe_failure};
use crate::sync_codex::{EVENT_DAYS, ccusage_codex_days, codex_days, codex_days_diff};

const MODELS: [&str; 3] = ["gpt-5-codex", "gpt-5.3-codex", "gpt-5"];

/// Session start times: ordinary, the last millisecond of a bucket, before midnight and the end
/// of a month.
fn start_time(k: u8) -> i64 {
    let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    match k % 5 {
        0 => t("2026-01-05T10:00:00Z"),
        1 => t("2026-01-05T10:14:59.999Z"),
        2 => t("2026-01-05T23:59:59.500Z"),
        3 => t("2026-01-31T23:59:58Z"),
        _ => t("2026-02-14T08:00:00Z"),
    }
}

/// Gaps between requests: a millisecond, a second, twenty minutes.
fn gap(k: u8) -> i64 {
    [1, 1000, 1_200_000][usize::from(k % 3)]
}

#[derive(Debug, Clone)]
enum Step {
    NewSession {
        time: u8,
        model: u8,
        fast: bool,
        requests: u8,
        gap: u8,
    },
    Append {
        file: u8,
        requests: u8,
        gap: u8,
        doubled: bool,
        cut: Option<u8>,
    },
    Complete,
    ArchiveCopy {
        file: u8,
    },
    Fork {
        parent: u8,
        replayed: u8,
        requests: u8,
    },
    /// `settled`: nobody wrote the rollouts for a while (their mtimes are set an hour back), so
    /// undecided forks are decided; else they were just written.
    Sync {
        settled: bool,
    },
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (any::<u8>(), any::<u8>(), prop::bool::weighted(0.2), 1u8..4, any::<u8>())
            .prop_map(|(time, model, fast, requests, gap)| Step::NewSession { time, model, fast, requests, gap }),
        4 => (any::<u8>(), 1u8..4, any::<u8>(), any::<bool>(), prop::option::weighted(0.3, any::<u8>()))
            .prop_map(|(file, requests, gap, doubled, cut)| Step::Append { file, requests, gap, doubled, cut }),
        1 => Just(Step::Complete),
        1 => any::<u8>().prop_map(|file| Step::ArchiveCopy { file }),
        1 => (any::<u8>(), 0u8..4, 0u8..3).prop_map(|(parent, replayed, requests)| Step::Fork { parent, replayed, requests }),
        3 => any::<bool>().prop_map(|settled| Step::Sync { settled }),
    ]
}

/// One rollout as written so far.
struct Rollout {
    rel: String,
    id: String,
    /// Complete `token_count` lines (what a fork may replay), with their request's time.
    requests: Vec<(i64, String)>,
    /// The cumulative total after the last request.
    total: [u64; 5],
    last_ms: i64,
    /// The rest of a line cut mid-write.
    pending: Option<Vec<u8>>,
    /// Copies never grow (a later append goes to the original).
    copy: bool,
}

struct Tree {
    home: PathBuf,
    files: Vec<Rollout>,
    counter: u64,
    log: Vec<String>,
    changed: bool,
}

pub(crate) fn stamp(ms: i64) -> String {
    ccsync::time::format_timestamp_ms(ms)
}

/// A `token_count` event's usage object: input, cached input, output, reasoning, total.
pub(crate) fn usage(u: &[u64; 5]) -> String {
    format!(
        r#"{{"input_tokens":{},"cached_input_tokens":{},"output_tokens":{},"reasoning_output_tokens":{},"total_tokens":{}}}"#,
        u[0], u[1], u[2], u[3], u[4]
    )
}

impl Tree {
    fn new(home: PathBuf) -> Self {
        Tree {
            home,
            files: Vec::new(),
            counter: 0,
            log: Vec::new(),
            changed: false,
        }
    }

    fn write(&mut self, index: usize, bytes: &[u8]) {
        use std::io::Write as _;
        let path = self.home.join(&self.files[index].rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(bytes).unwrap();
        self.changed = true;
    }

    fn growing(&self, k: u8) -> Option<usize> {
        let open: Vec<usize> = (0..self.files.len())
            .filter(|&i| !self.files[i].copy)
            .collect();
        (!open.is_empty()).then(|| open[usize::from(k) % open.len()])
    }

    fn new_file(&mut self, start: i64, parent: Option<&str>) -> usize {
        self.counter += 1;
        let id = format!(
            "0000{:04x}-0000-4000-8000-{:012x}",
            self.counter, self.counter
        );
        let civil =
            jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::from_millisecond(start).unwrap());
        let rel = format!(
            "sessions/{}/rollout-{}-{id}.jsonl",
            civil.strftime("%Y/%m/%d"),
            civil.strftime("%Y-%m-%dT%H-%M-%S")
        );
        let fork = parent.map_or(String::new(), |p| format!(r#","forked_from_id":"{p}""#));
        let meta = format!(
            r#"{{"timestamp":"{}","type":"session_meta","payload":{{"id":"{id}","cwd":"/work/p{}","cli_version":"0.104.0","git":{{"branch":"main"}}{fork}}}}}"#,
            stamp(start),
            self.counter % 3
        );
        self.files.push(Rollout {
            rel,
            id,
            requests: Vec::new(),
            total: [0; 5],
            last_ms: start,
            pending: None,
            copy: false,
        });
        let index = self.files.len() - 1;
        self.write(index, format!("{meta}\n").as_bytes());
        index
    }

    /// One new request's `token_count` line in `index`, at `at`.
    fn request_line(&mut self, index: usize, at: i64) -> String {
        self.counter += 1;
        let c = self.counter;
        let input = 1000 + (c * 137) % 5000;
        let output = 40 + (c * 31) % 400;
        let last = [input, input / 3, output, output / 4, input + output];
        let f = &mut self.files[index];
        for (t, l) in f.total.iter_mut().zip(last) {
            *t += l;
        }
        f.last_ms = at;
        format!(
            r#"{{"timestamp":"{}","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{},"last_token_usage":{},"model_context_window":258400}}}}}}"#,
            stamp(at),
            usage(&f.total),
            usage(&last)
        )
    }

    fn append(&mut self, index: usize, requests: u8, gap_k: u8, doubled: bool, cut: Option<u8>) {
        self.complete_file(index);
        let mut text = Vec::new();
        for r in 0..requests {
            let at = self.files[index].last_ms + gap(gap_k.wrapping_add(r));
            let line = self.request_line(index, at);
            let copies = if doubled && r == 0 { 2 } else { 1 };
            for _ in 0..copies {
                text.extend_from_slice(line.as_bytes());
                text.push(b'\n');
            }
            self.files[index].requests.push((at, line));
        }
        if let Some(k) = cut {
            // Cut inside the last line's JSON (never at its end: a whole object would count).
            let last = text[..text.len() - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let len = text.len() - 1 - last;
            let at = last + 1 + usize::from(k) % (len - 2);
            self.files[index].pending = Some(text.split_off(at));
            self.files[index].requests.pop();
        }
        self.write(index, &text);
    }

    /// Writes the rest of `index`'s cut line, if any.
    fn complete_file(&mut self, index: usize) {
        if let Some(rest) = self.files[index].pending.take() {
            self.write(index, &rest);
            // The request of the cut line is whole now: it may be replayed.
            let text =
                String::from_utf8(std::fs::read(self.home.join(&self.files[index].rel)).unwrap())
                    .unwrap();
            let line = text.lines().last().unwrap().to_owned();
            let at = self.files[index].last_ms;
            self.files[index].requests.push((at, line));
        }
    }

    fn apply(&mut self, step: &Step) {
        match *step {
            Step::NewSession {
                time,
                model,
                fast,
                requests,
                gap,
            } => {
                let start = start_time(time) + self.counter as i64 * 7;
                let index = self.new_file(start, None);
                let mut head = format!(
                    r#"{{"timestamp":"{}","type":"turn_context","payload":{{"model":"{}"}}}}"#,
                    stamp(start),
                    MODELS[usize::from(model) % MODELS.len()]
                ) + "\n";
                if fast {
                    head += &format!(
                        r#"{{"timestamp":"{}","type":"event_msg","payload":{{"type":"thread_settings_applied","thread_settings":{{"service_tier":"fast"}}}}}}"#,
                        stamp(start)
                    );
                    head.push('\n');
                }
                self.write(index, head.as_bytes());
                self.append(index, requests, gap, false, None);
                self.log
                    .push(format!("new session {} ({step:?})", self.files[index].rel));
            }
            Step::Append {
                file,
                requests,
                gap,
                doubled,
                cut,
            } => {
                if let Some(i) = self.growing(file) {
                    self.append(i, requests, gap, doubled, cut);
                    self.log
                        .push(format!("append to {} ({step:?})", self.files[i].rel));
                }
            }
            Step::Complete => {
                for i in 0..self.files.len() {
                    self.complete_file(i);
                }
                self.log.push("complete every cut line".into());
            }
            Step::ArchiveCopy { file } => {
                if !self.files.is_empty() {
                    let i = usize::from(file) % self.files.len();
                    let from = self.home.join(&self.files[i].rel);
                    let name = from.file_name().unwrap().to_string_lossy().into_owned();
                    let rel = format!("archived_sessions/{name}");
                    if !self.files.iter().any(|f| f.rel == rel) {
                        let to = self.home.join(&rel);
                        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                        std::fs::copy(&from, &to).unwrap();
                        let copy = Rollout {
                            rel: rel.clone(),
                            id: self.files[i].id.clone(),
                            requests: Vec::new(),
                            total: [0; 5],
                            last_ms: 0,
                            pending: None,
                            copy: true,
                        };
                        self.files.push(copy);
                        self.changed = true;
                        self.log
                            .push(format!("copy {} to {rel}", self.files[i].rel));
                    }
                }
            }
            Step::Fork {
                parent,
                replayed,
                requests,
            } => {
                if let Some(p) = self.growing(parent) {
                    self.fork(p, replayed, requests);
                }
            }
            Step::Sync { .. } => {}
        }
    }

    /// Every rollout's mtime an hour back, as if last written then; what is written next is
    /// dated an hour later (the lines Codex writes carry the time they are written at).
    fn settle(&mut self) {
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for f in &mut self.files {
            f.last_ms += 3_600_000;
        }
        for f in &self.files {
            let path = self.home.join(&f.rel);
            let file = std::fs::File::options().append(true).open(path).unwrap();
            file.set_modified(past).unwrap();
        }
        self.changed = true;
    }

    /// A fork of `p`: replays its first `replayed` whole requests, then its own.
    fn fork(&mut self, p: usize, replayed: u8, requests: u8) {
        let at = self.files[p].last_ms + 1000;
        let parent_id = self.files[p].id.clone();
        let replay: Vec<(i64, String)> = self.files[p]
            .requests
            .iter()
            .take(usize::from(replayed))
            .cloned()
            .collect();
        let index = self.new_file(at, Some(&parent_id));
        let mut text = format!(
            r#"{{"timestamp":"{}","type":"turn_context","payload":{{"model":"gpt-5-codex"}}}}"#,
            stamp(at)
        ) + "\n";
        for (_, line) in &replay {
            text += line;
            text.push('\n');
        }
        self.write(index, text.as_bytes());
        // The fork's totals go on from the parent's at its last replayed request.
        if let Some((_, line)) = replay.last() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let t = &v["payload"]["info"]["total_token_usage"];
            let keys = [
                "input_tokens",
                "cached_input_tokens",
                "output_tokens",
                "reasoning_output_tokens",
                "total_tokens",
            ];
            for (slot, k) in self.files[index].total.iter_mut().zip(keys) {
                *slot = t[k].as_u64().unwrap();
            }
        }
        self.files[index].last_ms = at;
        self.append(index, requests, 1, false, None);
        self.log.push(format!(
            "fork {} of {} replaying {} request(s)",
            self.files[index].rel,
            self.files[p].rel,
            replay.len()
        ));
    }
}

struct Case {
    runs: Runs,
    tree: Tree,
}

impl Case {
    fn new() -> Self {
        let env = Env::new("conv_codex");
        let tree = Tree::new(env.codex_home());
        Case {
            runs: Runs::new(env),
            tree,
        }
    }

    async fn sync_and_compare(&mut self, settled: bool) -> Result<(), String> {
        if settled {
            self.tree.settle();
        }
        let note = if settled { " (files settled)" } else { "" };
        let tree = &mut self.tree;
        self.runs
            .sync_and_compare(&mut tree.log, &mut tree.changed, note)
            .await
    }

    async fn run(&mut self, steps: &[Step]) -> Result<(), String> {
        // A home with at least one session: the machine has Codex.
        self.tree.apply(&Step::NewSession {
            time: 0,
            model: 0,
            fast: false,
            requests: 1,
            gap: 0,
        });
        for step in steps {
            match step {
                Step::Sync { settled } => self.sync_and_compare(*settled).await?,
                other => self.tree.apply(other),
            }
        }
        // As the hourly timer finds the rollouts once the sessions ended.
        self.sync_and_compare(true).await?;
        let ours = codex_days(&self.runs.env.client(), EVENT_DAYS).await;
        let theirs = ccusage_codex_days(&[self.runs.env.codex_home()]);
        match codex_days_diff(&ours, &theirs) {
            None => Ok(()),
            Some(d) => Err(describe_failure(
                "at the end, usage_events FINAL differs from ccusage codex",
                &self.tree.log,
                &[d],
            )),
        }
    }
}

#[test]
fn codex_syncs_run_by_run_over_growing_rollouts_equal_a_fresh_run_and_ccusage() {
    check_property(
        proptest::collection::vec(step_strategy(), 1..=14),
        |steps| async move {
            let mut case = Case::new();
            let result = case.run(&steps).await;
            case.runs.clean_up().await;
            result
        },
    );
}
