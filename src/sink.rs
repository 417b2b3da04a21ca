//! ClickHouse side: the client, the row types, batching with deterministic insert tokens, and
//! retries (jittered exponential backoff for transient failures, none for permanent ones).

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use clickhouse::Client;
use serde::Serialize;

use crate::config::ClickHouseConfig;
use crate::error::{Error, Result, ServerErrorKind};

/// A `usage_events` row, borrowing from the pipeline's pending entries.
#[derive(Debug, Clone, clickhouse::Row, Serialize)]
pub struct UsageRow<'a> {
    pub machine_name: &'a str,
    pub source: &'a str,
    pub message_id: &'a str,
    pub request_id: &'a str,
    pub timestamp: i64,
    pub session_id: &'a str,
    pub project: &'a str,
    pub cwd: &'a str,
    pub git_branch: &'a str,
    pub claude_version: &'a str,
    pub model: &'a str,
    pub speed: &'a str,
    pub service_tier: &'a str,
    pub is_sidechain: bool,
    pub is_api_error: bool,
    pub agent_id: &'a str,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_creation_5m_input_tokens: u64,
    pub cache_creation_1h_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub web_search_requests: u32,
    pub cost_usd: f64,
    pub reported_cost_usd: Option<f64>,
    pub cost_mode: &'a str,
    pub unknown_model: bool,
    pub source_file: &'a str,
    pub source_line: u64,
    pub version: u64,
    pub is_deleted: u8,
    pub ingested_at: i64,
    pub agent_version: &'a str,
}

/// A `sync_runs` row.
#[derive(Debug, Clone, clickhouse::Row, Serialize)]
pub struct SyncRunRow {
    pub run_id: String,
    pub machine_name: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub status: String,
    pub error: String,
    pub agent_version: String,
    pub files_scanned: u32,
    pub files_changed: u32,
    pub bytes_read: u64,
    pub lines_read: u64,
    pub messages_new: u64,
    pub rows_inserted: u64,
    pub lines_skipped: u64,
    pub skipped_by_reason: Vec<(String, u64)>,
    pub unknown_models: Vec<String>,
    pub duration_ms: u64,
    /// Rollup buckets the run left to the next one.
    pub rollup_pending: u32,
}

/// Deterministic `insert_deduplication_token` of a batch: the same rows give the same token, so
/// a retried insert that did reach the server is dropped by it instead of applied twice.
pub fn batch_token(rows: &[UsageRow<'_>]) -> String {
    batch_token_of(rows.iter().cloned())
}

fn batch_token_of<'r>(rows: impl Iterator<Item = UsageRow<'r>>) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut count = 0usize;
    for r in rows {
        count += 1;
        for part in [
            r.machine_name,
            r.source,
            r.message_id,
            r.request_id,
            r.source_file,
        ] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        h.update(&r.version.to_le_bytes());
        h.update(&[r.is_deleted]);
        h.update(&r.timestamp.to_le_bytes());
        h.update(&r.cost_usd.to_bits().to_le_bytes());
    }
    format!("ccsync-{:032x}-{count}", h.digest128())
}

/// A seed for the retry jitter that differs per process (and per retried request): without one,
/// backon (built without `std`) seeds every process alike, and a fleet that lost its server
/// would retry in lockstep when it comes back.
fn jitter_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // The standard library seeds each RandomState from the OS's randomness.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish()
}

/// Cheap to clone (the HTTP client is shared).
#[derive(Clone)]
pub struct Sink {
    client: Client,
    /// Same server, no default database: for CREATE DATABASE.
    admin: Client,
    database: String,
    timeout: Duration,
    retries: usize,
    /// For errors (config rejects URLs with credentials).
    url: std::sync::Arc<str>,
}

/// While nothing answers at the address, another try is started only this long after the
/// first: two quick retries (about 1–1.5 s in all) cover a restarting server, and a wrong URL
/// or a stopped server fails fast.
const UNREACHABLE_BUDGET: Duration = Duration::from_millis(600);

/// The crate's default HTTP(S) client (public roots, keep-alive, 2 s idle pool), plus
/// `TCP_NODELAY` and the CA certificates in `ca_file`, if any. Without NODELAY, a request
/// written in two parts (headers, then a small body) can wait for the server's delayed ACK of
/// the first (~40 ms on Linux) before the second goes out.
fn http_client(ca_file: Option<&std::path::Path>) -> Result<Client> {
    use rustls_pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(ca_file) = ca_file {
        let bad = |message: String| {
            Error::Config(format!(
                "CLICKHOUSE_CA_FILE {}: {message}",
                ca_file.display()
            ))
        };
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(ca_file).map_err(|e| bad(e.to_string()))? {
            let cert = cert.map_err(|e| bad(e.to_string()))?;
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(bad("no PEM certificate in the file".into()));
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Config(format!("TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_keepalive(Some(Duration::from_secs(60)));
    http.set_nodelay(true);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    // Like the crate's default client: ClickHouse closes idle connections after 3 s.
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(2))
        .build(https);
    Ok(Client::with_http_client(client))
}

impl Sink {
    /// Validates what needs no network (the CA file), then builds the clients.
    pub fn new(cfg: &ClickHouseConfig) -> Result<Self> {
        Ok(Self::with_client(http_client(cfg.ca_file.as_deref())?, cfg))
    }

    fn with_client(base: Client, cfg: &ClickHouseConfig) -> Self {
        let compression = if cfg.lz4 {
            clickhouse::Compression::Lz4
        } else {
            clickhouse::Compression::None
        };
        let admin = base
            .with_url(&cfg.url)
            .with_compression(compression)
            .with_user(&cfg.user)
            .with_password(cfg.password.expose())
            .with_product_info("ccsync", crate::AGENT_VERSION);
        let client = admin.clone().with_database(&cfg.database);
        Sink {
            client,
            admin,
            database: cfg.database.clone(),
            timeout: cfg.timeout,
            retries: cfg.retries,
            url: crate::error::redact_urls(&cfg.url).into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The client without a default database (server-level queries).
    pub fn admin(&self) -> &Client {
        &self.admin
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(250))
            .with_max_delay(Duration::from_secs(20))
            .with_max_times(self.retries)
            .with_jitter()
            .with_jitter_seed(jitter_seed())
    }

    /// Runs one request with the configured timeout, mapping errors to ours. No retry.
    pub async fn timed<T>(
        &self,
        context: &str,
        fut: impl Future<Output = clickhouse::error::Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.located(Error::clickhouse(context, &e))),
            Err(_) => Err(self.located(Error::clickhouse(
                context,
                &clickhouse::error::Error::TimedOut,
            ))),
        }
    }

    /// Retries `op` on transient errors with jittered exponential backoff; an address where
    /// nothing answers only for [`UNREACHABLE_BUDGET`].
    pub async fn with_retry<T, F, Fut>(&self, context: &str, op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let started = std::time::Instant::now();
        op.retry(self.backoff())
            .sleep(tokio::time::sleep)
            .when(|e| {
                e.is_retryable() || (e.is_unreachable() && started.elapsed() < UNREACHABLE_BUDGET)
            })
            .notify(|err, delay| {
                tracing::warn!("{context} failed, retrying in {delay:.1?}: {}", err.brief());
            })
            .await
    }

    /// Names the server in an error about reaching it (its URL never holds credentials).
    fn located(&self, err: Error) -> Error {
        match err {
            Error::ClickHouse {
                context,
                message,
                kind: kind @ (ServerErrorKind::Unreachable | ServerErrorKind::Transient),
                hint,
            } => Error::ClickHouse {
                context: format!("{context} at {}", self.url),
                message,
                kind,
                hint,
            },
            other => other,
        }
    }

    pub async fn ping(&self) -> Result<String> {
        self.with_retry("connect", || {
            self.timed(
                "connect",
                self.admin.query("SELECT version()").fetch_one::<String>(),
            )
        })
        .await
    }

    pub async fn create_database(&self) -> Result<()> {
        self.with_retry("create database", || {
            self.timed(
                "create database",
                self.admin
                    .query("CREATE DATABASE IF NOT EXISTS {db:Identifier}")
                    .param("db", &self.database)
                    .execute(),
            )
        })
        .await
    }

    /// Inserts one batch under its deterministic token, retrying transient failures.
    pub async fn insert_usage(&self, rows: &[UsageRow<'_>]) -> Result<()> {
        self.insert_usage_with(|| rows.iter().cloned()).await
    }

    /// One INSERT of the rows `rows()` yields, built as they are sent (and again on a retry), so
    /// a large batch is never held as rows in memory.
    pub async fn insert_usage_with<'r, I>(&self, rows: impl Fn() -> I) -> Result<()>
    where
        I: Iterator<Item = UsageRow<'r>>,
    {
        if rows().next().is_none() {
            return Ok(());
        }
        let token = batch_token_of(rows());
        self.insert_rows(
            "insert into usage_events",
            || self.client.insert::<UsageRow<'_>>("usage_events"),
            &[
                ("insert_deduplication_token", token.as_str()),
                // A batch holds each key once (de-duplicated here): the engine's replacing pass
                // over the block finds nothing and costs ~30% of the insert.
                ("optimize_on_insert", "0"),
            ],
            rows,
        )
        .await
    }

    /// Inserts rollup groups built by the agent (a first backfill), retrying transient
    /// failures: a retried insert that had landed writes the same rows under the same version.
    pub async fn insert_rollup<'r, I>(&self, rows: impl Fn() -> I) -> Result<()>
    where
        I: Iterator<Item = crate::rollup::RollupRow<'r>>,
    {
        if rows().next().is_none() {
            return Ok(());
        }
        // One row per group key: nothing to replace within the insert.
        self.insert_rows(
            "insert into usage_rollup",
            || {
                self.client
                    .insert::<crate::rollup::RollupRow<'_>>("usage_rollup")
            },
            &[("optimize_on_insert", "0")],
            rows,
        )
        .await
    }

    /// One synchronous INSERT, begun by `begin` (the crate's typed insert into one table), of
    /// the rows `rows()` yields, serialized as they are sent and made again on a retry
    /// (transient failures only).
    async fn insert_rows<'r, T, B, I>(
        &self,
        context: &str,
        begin: impl Fn() -> B,
        settings: &[(&str, &str)],
        rows: impl Fn() -> I,
    ) -> Result<()>
    where
        T: clickhouse::RowWrite,
        B: Future<Output = clickhouse::error::Result<clickhouse::insert::Insert<T>>>,
        I: Iterator<Item = T::Value<'r>>,
    {
        self.with_retry(context, || async {
            self.timed(context, async {
                let mut insert = begin().await?.with_setting("async_insert", "0");
                for &(name, value) in settings {
                    insert = insert.with_setting(name, value);
                }
                for row in rows() {
                    insert.write(&row).await?;
                }
                insert.end().await
            })
            .await
        })
        .await
    }

    /// The version of `machine`'s next rollup refresh, from the server (never this machine's
    /// clock), and with `count_rows` how many `usage_events` rows the machine has, of any
    /// version, read in the same query (`schema/maintenance/rollup_version.sql`).
    pub async fn rollup_version(&self, machine: &str, count_rows: bool) -> Result<(u64, u64)> {
        #[derive(clickhouse::Row, serde::Deserialize)]
        struct Answer {
            version: u64,
            rows: u64,
        }
        let answer = self
            .with_retry("read the rollup version", || {
                self.timed(
                    "read the rollup version",
                    self.client
                        .query(crate::schema::ROLLUP_VERSION)
                        .param("machine", machine)
                        .param("source", crate::CLAUDE_SOURCE)
                        .param("count_rows", count_rows)
                        .fetch_one::<Answer>(),
                )
            })
            .await?;
        Ok((answer.version, answer.rows))
    }

    /// Recomputes this machine's `usage_rollup` rows for the 15-minute `buckets` (Unix ms) from
    /// `usage_events FINAL` under `version`, then marks the groups of those buckets that no
    /// longer exist as deleted. Idempotent, so a retry or a re-run is harmless.
    pub async fn refresh_rollup(&self, machine: &str, buckets: &[i64], version: u64) -> Result<()> {
        if buckets.is_empty() {
            return Ok(());
        }
        // Both read with FINAL per partition: exact, since a response's superseded row is
        // deleted in its own partition, and a rollup group's bucket is in its key.
        let (name, value) = crate::query::FINAL_SETTING;
        let statements = [
            ("refresh usage_rollup", crate::schema::ROLLUP_REFRESH),
            (
                "mark deleted usage_rollup groups",
                crate::schema::ROLLUP_TOMBSTONES,
            ),
        ];
        for (what, sql) in statements {
            self.with_retry(what, || {
                self.timed(
                    what,
                    self.client
                        .query(sql)
                        .with_setting(name, value)
                        // One row per group key (GROUP BY): nothing to replace within the insert.
                        .with_setting("optimize_on_insert", "0")
                        .param("machine", machine)
                        .param("source", crate::CLAUDE_SOURCE)
                        .param("buckets", buckets)
                        .param("version", version)
                        .execute(),
                )
            })
            .await?;
        }
        Ok(())
    }

    /// One request (no schema round trip): the hourly run with nothing new stays cheap. Every
    /// value is a server-side parameter.
    pub async fn record_run(&self, run: &SyncRunRow) -> Result<()> {
        let (reasons, counts): (Vec<&str>, Vec<u64>) = run
            .skipped_by_reason
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .unzip();
        self.with_retry("insert into sync_runs", || {
            self.timed(
                "insert into sync_runs",
                self.client
                    .query(crate::schema::RECORD_RUN)
                    .param("run_id", &run.run_id)
                    .param("machine_name", &run.machine_name)
                    .param("source", crate::CLAUDE_SOURCE)
                    .param("started_at", run.started_at)
                    .param("finished_at", run.finished_at)
                    .param("status", &run.status)
                    .param("error", &run.error)
                    .param("agent_version", &run.agent_version)
                    .param("files_scanned", run.files_scanned)
                    .param("files_changed", run.files_changed)
                    .param("bytes_read", run.bytes_read)
                    .param("lines_read", run.lines_read)
                    .param("messages_new", run.messages_new)
                    .param("rows_inserted", run.rows_inserted)
                    .param("lines_skipped", run.lines_skipped)
                    .param("reasons", &reasons)
                    .param("counts", &counts)
                    .param("unknown_models", &run.unknown_models)
                    .param("duration_ms", run.duration_ms)
                    .param("rollup_pending", run.rollup_pending)
                    .with_setting("insert_deduplication_token", run.run_id.as_str())
                    .execute(),
            )
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(message_id: &'a str, version: u64) -> UsageRow<'a> {
        UsageRow {
            machine_name: "m",
            source: "claude",
            message_id,
            request_id: "r",
            timestamp: 1,
            session_id: "s",
            project: "p",
            cwd: "c",
            git_branch: "",
            claude_version: "",
            model: "x",
            speed: "",
            service_tier: "",
            is_sidechain: false,
            is_api_error: false,
            agent_id: "",
            input_tokens: 1,
            output_tokens: 1,
            cache_creation_input_tokens: 0,
            cache_creation_5m_input_tokens: 0,
            cache_creation_1h_input_tokens: 0,
            cache_read_input_tokens: 0,
            web_search_requests: 0,
            cost_usd: 0.5,
            reported_cost_usd: None,
            cost_mode: "auto",
            unknown_model: false,
            source_file: "/f",
            source_line: 1,
            version,
            is_deleted: 0,
            ingested_at: 123,
            agent_version: "0",
        }
    }

    #[test]
    fn batch_token_is_deterministic_and_content_sensitive() {
        let a = [row("m1", 1), row("m2", 1)];
        let mut b = a.clone();
        // Ingest time is not part of the identity of a batch.
        b[0].ingested_at = 999;
        assert_eq!(batch_token(&a), batch_token(&b));
        b[1].version = 2;
        assert_ne!(batch_token(&a), batch_token(&b));
        let swapped = [row("m2", 1), row("m1", 1)];
        assert_ne!(batch_token(&a), batch_token(&swapped));
    }
}
