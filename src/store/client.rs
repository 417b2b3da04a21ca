//! The connection to ClickHouse and the one retry policy (jittered exponential backoff for
//! transient failures, none for permanent ones): every request of ccsync goes through
//! [`Sink::with_retry`] and [`Sink::timed`]. Inserts of usage rows are here; the rollup's and
//! the run records' requests live beside their row types (`rollup.rs`, `runs.rs`).

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use clickhouse::Client;

use crate::config::ClickHouseConfig;
use crate::error::{Error, Result, ServerErrorKind};
use crate::store::rows::batch_token_of;
use crate::usage::UsageRow;

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

    /// One synchronous INSERT, begun by `begin` (the crate's typed insert into one table), of
    /// the rows `rows()` yields, serialized as they are sent and made again on a retry
    /// (transient failures only).
    pub(super) async fn insert_rows<'r, T, B, I>(
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
}
