//! `usage_rollup` groups built by the agent from the rows it inserts, for a machine's first
//! backfill (the machine had no row in either table as the run began, and no response was
//! inserted twice): then the rows sent are exactly the machine's rows, and aggregating them here
//! spares the engine re-reading them all with `FINAL` at the end of the run (the backfill's
//! longest step after the scan). Every other run refreshes the rollup in the engine
//! (`schema/maintenance/rollup_refresh.sql`), which stays the definition: each column below
//! mirrors its expression there, and the integration suite checks that both give the same rows.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::error::Result;
use crate::store::client::Sink;
use crate::time::bucket_of;
use crate::usage::UsageRow;

/// The run's distinct strings, so a group key is a few integers.
#[derive(Debug, Default)]
struct Strings {
    index: FxHashMap<Arc<str>, u32>,
    all: Vec<Arc<str>>,
}

impl Strings {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.index.get(s) {
            return id;
        }
        let id = u32::try_from(self.all.len()).expect("fewer than 4 billion distinct strings");
        let s: Arc<str> = Arc::from(s);
        self.all.push(s.clone());
        self.index.insert(s, id);
        id
    }

    fn get(&self, id: u32) -> &str {
        &self.all[id as usize]
    }
}

/// The rollup's sorting key (machine aside: one builder per run and machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    bucket: i64,
    project: u32,
    session_id: u32,
    git_branch: u32,
    claude_version: u32,
    model: u32,
    is_fast: bool,
    unknown_model: bool,
}

#[derive(Debug, Default)]
struct Group {
    cwd: Option<u32>,
    agent_ids: Vec<u32>,
    contexts: Vec<u64>,
    messages: u64,
    sidechain_messages: u64,
    api_error_messages: u64,
    input_tokens: u64,
    output_tokens: u64,
    reasoning_output_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_creation_5m_input_tokens: u64,
    cache_creation_1h_input_tokens: u64,
    cache_read_input_tokens: u64,
    web_search_requests: u64,
    sidechain_tokens: u64,
    cost_usd: f64,
    sidechain_cost_usd: f64,
    cost_without_cache_usd: f64,
    input_cost_usd: f64,
    output_cost_usd: f64,
    cache_write_cost_usd: f64,
    cache_read_cost_usd: f64,
    min_ts: i64,
    max_ts: i64,
}

/// A `usage_rollup` row.
#[derive(Debug, Clone, PartialEq, clickhouse::Row, Serialize)]
pub struct RollupRow<'a> {
    pub machine_name: &'a str,
    pub source: &'a str,
    pub bucket: i64,
    pub project: &'a str,
    pub session_id: &'a str,
    pub git_branch: &'a str,
    pub claude_version: &'a str,
    pub model: &'a str,
    pub is_fast: bool,
    pub unknown_model: bool,
    pub cwd: &'a str,
    pub agent_ids: Vec<&'a str>,
    pub contexts: &'a [u64],
    pub messages: u64,
    pub sidechain_messages: u64,
    pub api_error_messages: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_creation_5m_input_tokens: u64,
    pub cache_creation_1h_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub web_search_requests: u64,
    pub sidechain_tokens: u64,
    pub cost_usd: f64,
    pub sidechain_cost_usd: f64,
    pub cost_without_cache_usd: f64,
    pub input_cost_usd: f64,
    pub output_cost_usd: f64,
    pub cache_write_cost_usd: f64,
    pub cache_read_cost_usd: f64,
    pub min_ts: i64,
    pub max_ts: i64,
    pub version: u64,
    pub is_deleted: u8,
}

/// Folds `usage_events` rows into rollup groups, as `rollup_refresh.sql` aggregates them.
#[derive(Debug, Default)]
pub struct RollupBuilder {
    strings: Strings,
    /// Index into `groups`: a small map entry, and the groups in a vector that grows in place
    /// (a backfill of 2 GB has ~13,000 groups of ~220 bytes).
    index: FxHashMap<Key, u32>,
    groups: Vec<(Key, Group)>,
}

impl RollupBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of groups so far.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Adds one row, exactly as inserted into `usage_events`. Each response must be added once.
    pub fn add(&mut self, row: &UsageRow<'_>) {
        let s = &mut self.strings;
        let key = Key {
            bucket: bucket_of(row.timestamp),
            project: s.id(row.project),
            session_id: s.id(row.session_id),
            git_branch: s.id(row.git_branch),
            claude_version: s.id(row.claude_version),
            model: s.id(row.model),
            is_fast: row.speed == "fast",
            unknown_model: row.unknown_model,
        };
        let cwd = s.id(row.cwd);
        // `if(is_sidechain, agent_id, '')`, kept when not empty.
        let agent = (row.is_sidechain && !row.agent_id.is_empty()).then(|| s.id(row.agent_id));
        let groups = &mut self.groups;
        let at = *self.index.entry(key).or_insert_with(|| {
            groups.push((
                key,
                Group {
                    min_ts: row.timestamp,
                    max_ts: row.timestamp,
                    ..Group::default()
                },
            ));
            u32::try_from(groups.len() - 1).expect("fewer than 4 billion groups")
        });
        let g = &mut groups[at as usize].1;
        // The shortest cwd, ties to the smallest (argMin(c, (length(c), c)) in SQL).
        g.cwd = Some(match g.cwd {
            Some(old) if old == cwd => old,
            Some(old) => {
                let (a, b) = (s.get(old), s.get(cwd));
                if (b.len(), b) < (a.len(), a) {
                    cwd
                } else {
                    old
                }
            }
            None => cwd,
        });
        if let Some(agent) = agent
            && !g.agent_ids.contains(&agent)
        {
            g.agent_ids.push(agent);
        }
        // UInt64 arithmetic wraps in ClickHouse; so does it here.
        let (t_in, t_out, t_cc) = (
            row.input_tokens,
            row.output_tokens,
            row.cache_creation_input_tokens,
        );
        let (t_5m, t_1h, t_cr) = (
            row.cache_creation_5m_input_tokens,
            row.cache_creation_1h_input_tokens,
            row.cache_read_input_tokens,
        );
        let cost = row.cost_usd;
        g.contexts.push(t_in.wrapping_add(t_cc).wrapping_add(t_cr));
        g.messages += 1;
        g.input_tokens = g.input_tokens.wrapping_add(t_in);
        g.output_tokens = g.output_tokens.wrapping_add(t_out);
        g.reasoning_output_tokens = g
            .reasoning_output_tokens
            .wrapping_add(row.reasoning_output_tokens);
        g.cache_creation_input_tokens = g.cache_creation_input_tokens.wrapping_add(t_cc);
        g.cache_creation_5m_input_tokens = g.cache_creation_5m_input_tokens.wrapping_add(t_5m);
        g.cache_creation_1h_input_tokens = g.cache_creation_1h_input_tokens.wrapping_add(t_1h);
        g.cache_read_input_tokens = g.cache_read_input_tokens.wrapping_add(t_cr);
        g.web_search_requests = g
            .web_search_requests
            .wrapping_add(u64::from(row.web_search_requests));
        g.cost_usd += cost;
        if row.is_sidechain {
            g.sidechain_messages += 1;
            g.sidechain_tokens = g.sidechain_tokens.wrapping_add(
                t_in.wrapping_add(t_out)
                    .wrapping_add(t_cc)
                    .wrapping_add(t_cr),
            );
            g.sidechain_cost_usd += cost;
        }
        if row.is_api_error {
            g.api_error_messages += 1;
        }
        // The same evaluation order and types as the SQL: integer sums stay UInt64, a term
        // with a fractional factor turns the running sum into Float64.
        let weighted = (t_in.wrapping_add(t_out.wrapping_mul(5)) as f64 + 1.25 * t_5m as f64)
            + t_1h.wrapping_mul(2) as f64
            + 0.1 * t_cr as f64;
        let denominator = weighted.max(1e-9);
        let uncached = t_in
            .wrapping_add(t_out.wrapping_mul(5))
            .wrapping_add(t_5m)
            .wrapping_add(t_1h)
            .wrapping_add(t_cr);
        g.cost_without_cache_usd += cost * uncached as f64 / denominator;
        let price = cost / denominator;
        g.input_cost_usd += price * t_in as f64;
        g.output_cost_usd += price * 5.0 * t_out as f64;
        g.cache_write_cost_usd += price * (1.25 * t_5m as f64 + t_1h.wrapping_mul(2) as f64);
        g.cache_read_cost_usd += price * 0.1 * t_cr as f64;
        g.min_ts = g.min_ts.min(row.timestamp);
        g.max_ts = g.max_ts.max(row.timestamp);
    }

    /// The groups as rows of `machine` under `version` (in no particular order), made as they
    /// are sent: a backfill's groups are never all held as rows.
    pub fn rows<'a>(
        &'a self,
        machine: &'a str,
        version: u64,
    ) -> impl Iterator<Item = RollupRow<'a>> + 'a {
        let s = &self.strings;
        self.groups.iter().map(move |(k, g)| {
            let mut agent_ids: Vec<&str> = g.agent_ids.iter().map(|&a| s.get(a)).collect();
            agent_ids.sort_unstable();
            RollupRow {
                machine_name: machine,
                source: crate::CLAUDE_SOURCE,
                bucket: k.bucket,
                project: s.get(k.project),
                session_id: s.get(k.session_id),
                git_branch: s.get(k.git_branch),
                claude_version: s.get(k.claude_version),
                model: s.get(k.model),
                is_fast: k.is_fast,
                unknown_model: k.unknown_model,
                cwd: g.cwd.map_or("", |c| s.get(c)),
                agent_ids,
                contexts: &g.contexts,
                messages: g.messages,
                sidechain_messages: g.sidechain_messages,
                api_error_messages: g.api_error_messages,
                input_tokens: g.input_tokens,
                output_tokens: g.output_tokens,
                reasoning_output_tokens: g.reasoning_output_tokens,
                cache_creation_input_tokens: g.cache_creation_input_tokens,
                cache_creation_5m_input_tokens: g.cache_creation_5m_input_tokens,
                cache_creation_1h_input_tokens: g.cache_creation_1h_input_tokens,
                cache_read_input_tokens: g.cache_read_input_tokens,
                web_search_requests: g.web_search_requests,
                sidechain_tokens: g.sidechain_tokens,
                cost_usd: g.cost_usd,
                sidechain_cost_usd: g.sidechain_cost_usd,
                cost_without_cache_usd: g.cost_without_cache_usd,
                input_cost_usd: g.input_cost_usd,
                output_cost_usd: g.output_cost_usd,
                cache_write_cost_usd: g.cache_write_cost_usd,
                cache_read_cost_usd: g.cache_read_cost_usd,
                min_ts: g.min_ts,
                max_ts: g.max_ts,
                version,
                is_deleted: 0,
            }
        })
    }
}

impl Sink {
    /// Inserts rollup groups built by the agent (a first backfill), retrying transient
    /// failures: a retried insert that had landed writes the same rows under the same version.
    pub async fn insert_rollup<'r, I>(&self, rows: impl Fn() -> I) -> Result<()>
    where
        I: Iterator<Item = RollupRow<'r>>,
    {
        if rows().next().is_none() {
            return Ok(());
        }
        // One row per group key: nothing to replace within the insert.
        self.insert_rows(
            "insert into usage_rollup",
            || self.client().insert::<RollupRow<'_>>("usage_rollup"),
            &[("optimize_on_insert", "0")],
            rows,
        )
        .await
    }

    /// The version of `machine`'s (and `source`'s) next rollup refresh, from the server (never this machine's
    /// clock), and with `count_rows` how many `usage_events` rows the machine has, of any
    /// version, read in the same query (`schema/maintenance/rollup_version.sql`).
    pub async fn rollup_version(
        &self,
        machine: &str,
        source: &str,
        count_rows: bool,
    ) -> Result<(u64, u64)> {
        #[derive(clickhouse::Row, serde::Deserialize)]
        struct Answer {
            version: u64,
            rows: u64,
        }
        let answer = self
            .with_retry("read the rollup version", || {
                self.timed(
                    "read the rollup version",
                    self.client()
                        .query(crate::store::schema::ROLLUP_VERSION)
                        .param("machine", machine)
                        .param("source", source)
                        .param("count_rows", count_rows)
                        .fetch_one::<Answer>(),
                )
            })
            .await?;
        Ok((answer.version, answer.rows))
    }

    /// Recomputes this machine's (and `source`'s) `usage_rollup` rows for the 15-minute `buckets` (Unix ms) from
    /// `usage_events FINAL` under `version`, then marks the groups of those buckets that no
    /// longer exist as deleted. Idempotent, so a retry or a re-run is harmless.
    pub async fn refresh_rollup(
        &self,
        machine: &str,
        source: &str,
        buckets: &[i64],
        version: u64,
    ) -> Result<()> {
        if buckets.is_empty() {
            return Ok(());
        }
        // Both read with FINAL per partition: exact, since a response's superseded row is
        // deleted in its own partition, and a rollup group's bucket is in its key.
        let (name, value) = crate::store::query::FINAL_SETTING;
        let statements = [
            ("refresh usage_rollup", crate::store::schema::ROLLUP_REFRESH),
            (
                "mark deleted usage_rollup groups",
                crate::store::schema::ROLLUP_TOMBSTONES,
            ),
        ];
        for (what, sql) in statements {
            self.with_retry(what, || {
                self.timed(
                    what,
                    self.client()
                        .query(sql)
                        .with_setting(name, value)
                        // One row per group key (GROUP BY): nothing to replace within the insert.
                        .with_setting("optimize_on_insert", "0")
                        .param("machine", machine)
                        .param("source", source)
                        .param("buckets", buckets)
                        .param("version", version)
                        .execute(),
                )
            })
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_767_607_200_000; // 2026-01-05T10:00:00Z, a bucket start

    fn row(ts: i64) -> UsageRow<'static> {
        UsageRow {
            machine_name: "m",
            source: "claude",
            account: "",
            message_id: "msg",
            request_id: "req",
            timestamp: ts,
            session_id: "s1",
            project: "-p",
            cwd: "/p",
            git_branch: "main",
            claude_version: "2.0.0",
            model: "claude-sonnet-4-5",
            speed: "standard",
            service_tier: "standard",
            is_sidechain: false,
            is_api_error: false,
            agent_id: "",
            agent_type: "",
            input_tokens: 100,
            output_tokens: 10,
            reasoning_output_tokens: 0,
            cache_creation_input_tokens: 1000,
            cache_creation_5m_input_tokens: 1000,
            cache_creation_1h_input_tokens: 0,
            cache_read_input_tokens: 10_000,
            web_search_requests: 1,
            cost_usd: 0.01,
            reported_cost_usd: None,
            cost_mode: "auto",
            cost_source: "calculated",
            unknown_model: false,
            source_file: "/p/s1.jsonl",
            source_line: 1,
            version: 1,
            is_deleted: 0,
            ingested_at: 0,
            agent_version: "0",
        }
    }

    fn build(rows: &[UsageRow<'_>]) -> RollupBuilder {
        let mut b = RollupBuilder::new();
        for r in rows {
            b.add(r);
        }
        b
    }

    fn sorted(b: &RollupBuilder) -> Vec<RollupRow<'_>> {
        let mut out: Vec<RollupRow<'_>> = b.rows("m", 7).collect();
        out.sort_by_key(|r| (r.bucket, r.session_id, r.model, r.is_fast));
        out
    }

    #[test]
    fn one_group_per_bucket_and_dimensions() {
        let fast = UsageRow {
            speed: "fast",
            ..row(T + 60_000)
        };
        let other_session = UsageRow {
            session_id: "s2",
            ..row(T)
        };
        let b = build(&[
            row(T),
            row(T + 899_000),
            row(T + 900_000),
            fast,
            other_session,
        ]);
        let rows = sorted(&b);
        let shape: Vec<(i64, &str, bool, u64)> = rows
            .iter()
            .map(|r| ((r.bucket - T) / 1000, r.session_id, r.is_fast, r.messages))
            .collect();
        assert_eq!(
            shape,
            vec![
                (0, "s1", false, 2),
                (0, "s1", true, 1),
                (0, "s2", false, 1),
                (900, "s1", false, 1)
            ]
        );
        assert!(rows.iter().all(|r| r.version == 7 && r.is_deleted == 0));
        let first = &rows[0];
        assert_eq!((first.min_ts, first.max_ts), (T, T + 899_000));
        assert_eq!(first.contexts, &[11_100, 11_100]);
        assert_eq!(first.web_search_requests, 2);
    }

    #[test]
    fn cwd_is_the_shortest_then_the_smallest() {
        let b = build(&[
            UsageRow {
                cwd: "/b/long",
                ..row(T)
            },
            UsageRow {
                cwd: "/b/x",
                ..row(T)
            },
            UsageRow {
                cwd: "/a/x",
                ..row(T)
            },
            UsageRow {
                cwd: "/c/yy",
                ..row(T)
            },
        ]);
        let rows = sorted(&b);
        assert_eq!(rows[0].cwd, "/a/x");
    }

    #[test]
    fn agent_ids_are_the_sidechains_distinct_non_empty_ids_sorted() {
        let side = |agent: &'static str| UsageRow {
            is_sidechain: true,
            agent_id: agent,
            ..row(T)
        };
        let main_with_id = UsageRow {
            agent_id: "c",
            ..row(T)
        };
        let b = build(&[side("b"), side("a"), side("b"), side(""), main_with_id]);
        let rows = sorted(&b);
        assert_eq!(rows[0].agent_ids, vec!["a", "b"]);
        assert_eq!(rows[0].messages, 5);
        assert_eq!(rows[0].sidechain_messages, 4);
        assert_eq!(rows[0].sidechain_tokens, 4 * (100 + 10 + 1000 + 10_000));
        assert!((rows[0].sidechain_cost_usd - 0.04).abs() < 1e-15);
    }

    #[test]
    fn cost_columns_follow_the_refresh_expressions() {
        let error = UsageRow {
            is_api_error: true,
            cache_creation_1h_input_tokens: 500,
            cache_creation_input_tokens: 1500,
            ..row(T)
        };
        let b = build(&[error]);
        let rows = sorted(&b);
        let r = &rows[0];
        // input + 5 output + 1.25 5m + 2 1h + 0.1 read
        let weighted = 100.0 + 50.0 + 1250.0 + 1000.0 + 1000.0;
        let price = 0.01 / weighted;
        assert_eq!(r.api_error_messages, 1);
        assert_eq!(r.cost_without_cache_usd, 0.01 * 11_650.0 / weighted);
        assert_eq!(r.input_cost_usd, price * 100.0);
        assert_eq!(r.output_cost_usd, price * 5.0 * 10.0);
        assert_eq!(r.cache_write_cost_usd, price * (1250.0 + 1000.0));
        assert_eq!(r.cache_read_cost_usd, price * 0.1 * 10_000.0);
        // The split adds up to the cost.
        let split =
            r.input_cost_usd + r.output_cost_usd + r.cache_write_cost_usd + r.cache_read_cost_usd;
        assert!((split - r.cost_usd).abs() < 1e-15, "{split}");
        assert_eq!(r.contexts, &[100 + 1500 + 10_000]);
    }

    #[test]
    fn a_response_without_tokens_costs_nothing_in_every_column() {
        let empty = UsageRow {
            input_tokens: 0,
            output_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_creation_5m_input_tokens: 0,
            cache_read_input_tokens: 0,
            cost_usd: 0.0,
            ..row(T)
        };
        let b = build(&[empty]);
        let r = &sorted(&b)[0];
        assert_eq!(r.cost_without_cache_usd, 0.0);
        assert_eq!(r.input_cost_usd + r.cache_read_cost_usd, 0.0);
        assert_eq!(r.contexts, &[0]);
    }
}
