//! Library error type. Each variant knows whether retrying can help, so the sink's retry loop and
//! the daemon can decide without string matching at the edges.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Config(String),

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("state file {path}: {message}")]
    State { path: PathBuf, message: String },

    #[error("ClickHouse {context}: {message}{hint}")]
    ClickHouse {
        context: String,
        message: String,
        kind: ServerErrorKind,
        hint: &'static str,
    },

    #[error("another ccsync ({holder}) is already syncing with state dir {}", state_dir.display())]
    Locked { state_dir: PathBuf, holder: String },

    #[error(
        "no Claude Code transcript folder found; tried: {tried}\n  hint: set CLAUDE_CONFIG_DIR to the directory holding Claude Code's projects/ folder (default ~/.claude and ~/.config/claude; several comma-separated); for Codex CLI, CODEX_HOME to the folder holding its sessions/ (default ~/.codex)"
    )]
    NoTranscriptFolders { tried: String },
}

/// How a failure talking to ClickHouse should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerErrorKind {
    /// Network trouble, overload, timeouts: worth another attempt.
    Transient,
    /// Nothing listens there (connection refused, unknown host): a quick retry or two covers a
    /// restarting server, longer ones only delay the answer.
    Unreachable,
    /// Bad credentials or permissions: retrying only locks the account.
    Auth,
    /// The server's TLS certificate is not trusted (or does not match the host).
    Tls,
    /// The server rejected the request itself (bad data, schema mismatch): retrying cannot help.
    Permanent,
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether nothing answered at the address (see [`ServerErrorKind::Unreachable`]).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Error::ClickHouse {
                kind: ServerErrorKind::Unreachable,
                ..
            }
        )
    }

    /// Whether the server said the table or the database does not exist (UNKNOWN_TABLE,
    /// UNKNOWN_DATABASE): not created yet, or dropped.
    pub fn is_missing_table(&self) -> bool {
        matches!(
            self,
            Error::ClickHouse { message, .. } if matches!(exception_code(message), Some(60 | 81))
        )
    }

    /// What went wrong, without the context, the server's address and the hint: for a retry's
    /// warning (the rest comes once, with the final error).
    pub fn brief(&self) -> String {
        match self {
            Error::ClickHouse { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::ClickHouse {
                kind: ServerErrorKind::Transient,
                ..
            }
        )
    }

    /// Wraps a client error with what we were doing and an actionable hint.
    pub fn clickhouse(context: impl Into<String>, err: &clickhouse::error::Error) -> Self {
        let message = redact_urls(&error_chain(err));
        let kind = classify(err);
        let hint = match kind {
            // A slow server needs a different fix than an absent one.
            ServerErrorKind::Transient if matches!(err, clickhouse::error::Error::TimedOut) => {
                "\n  hint: ClickHouse did not answer within the timeout (CCSYNC_TIMEOUT / --timeout): is it overloaded or the network slow?"
            }
            ServerErrorKind::Auth => {
                "\n  hint: check CLICKHOUSE_USER / CLICKHOUSE_PASSWORD (or CLICKHOUSE_PASSWORD_FILE) and the user's grants"
            }
            ServerErrorKind::Transient => {
                "\n  hint: is ClickHouse running and reachable at CLICKHOUSE_URL?"
            }
            ServerErrorKind::Unreachable => {
                "\n  hint: nothing answers at that address: start ClickHouse, or set CLICKHOUSE_URL to where it runs"
            }
            ServerErrorKind::Tls => {
                "\n  hint: the server's certificate is not trusted: set CLICKHOUSE_CA_FILE to the PEM of the CA that signed it (and check the host name in CLICKHOUSE_URL)"
            }
            ServerErrorKind::Permanent if matches!(exception_code(&message), Some(60 | 81)) => {
                "\n  hint: this database (CLICKHOUSE_DATABASE) has no ccsync tables: nothing has synced into it yet, or the name is misspelled; `ccsync --once` (or `ccsync schema apply`) creates them"
            }
            ServerErrorKind::Permanent => {
                "\n  hint: the server refused the request; run `ccsync schema apply` and check the server version (>= 24.x)"
            }
        };
        Error::ClickHouse {
            context: context.into(),
            message,
            kind,
            hint,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// ClickHouse error codes after which a retry cannot succeed.
const AUTH_CODES: &[u32] = &[192, 193, 194, 195, 497, 516];
const PERMANENT_CODES: &[u32] = &[
    16,  // NO_SUCH_COLUMN_IN_TABLE
    27,  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    36,  // BAD_ARGUMENTS
    47,  // UNKNOWN_IDENTIFIER
    53,  // TYPE_MISMATCH
    60,  // UNKNOWN_TABLE
    62,  // SYNTAX_ERROR
    81,  // UNKNOWN_DATABASE
    115, // UNKNOWN_SETTING
    117, // INCORRECT_DATA
    164, // READONLY
    349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
];

/// Pure classification of a client error, so the retry policy is unit-testable.
pub fn classify(err: &clickhouse::error::Error) -> ServerErrorKind {
    use clickhouse::error::Error as E;
    match err {
        E::Network(_) => classify_network(&error_chain(err)),
        E::TimedOut => ServerErrorKind::Transient,
        E::BadResponse(text) => classify_response(text),
        other => classify_response(&other.to_string()),
    }
}

/// A network failure, by the text of its causes.
fn classify_network(chain: &str) -> ServerErrorKind {
    let chain = chain.to_ascii_lowercase();
    let mentions = |needles: &[&str]| needles.iter().any(|n| chain.contains(n));
    // A certificate the client does not trust will not become trusted by retrying.
    if mentions(&[
        "invalid peer certificate",
        "unknownissuer",
        "certificate",
        "notvalidforname",
    ]) {
        ServerErrorKind::Tls
    // Connection refused or a name that does not resolve (hyper's and the OS's wording).
    } else if mentions(&[
        "connection refused",
        "dns error",
        "failed to lookup address",
    ]) {
        ServerErrorKind::Unreachable
    } else {
        ServerErrorKind::Transient
    }
}

/// An error and its causes, `: `-separated (the crate's network errors hide the cause, e.g. the
/// TLS failure, one or two levels down).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Classifies the text of a server exception (`Code: N. DB::Exception: ...`).
pub fn classify_response(text: &str) -> ServerErrorKind {
    match exception_code(text) {
        Some(code) if AUTH_CODES.contains(&code) => ServerErrorKind::Auth,
        Some(code) if PERMANENT_CODES.contains(&code) => ServerErrorKind::Permanent,
        Some(_) => ServerErrorKind::Transient,
        // No exception text: the crate reports the bare HTTP status ("401 Unauthorized").
        None => match text.get(..3).and_then(|s| s.parse::<u16>().ok()) {
            Some(401 | 403) => ServerErrorKind::Auth,
            Some(408 | 429) => ServerErrorKind::Transient,
            Some(400..=499) => ServerErrorKind::Permanent,
            _ => ServerErrorKind::Transient,
        },
    }
}

/// Extracts N from the first `Code: N` in a ClickHouse exception text.
pub fn exception_code(text: &str) -> Option<u32> {
    let at = text.find("Code: ")? + "Code: ".len();
    let digits: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// Drops `user:password@` from any URL in a message, so credentials never reach logs.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme) = rest.find("://") {
        let (head, tail) = rest.split_at(scheme + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace())
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("***@");
                rest = &tail[at + 1..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connections_and_unknown_hosts_are_unreachable() {
        let network = |text: &str| {
            classify(&clickhouse::error::Error::Network(Box::new(
                std::io::Error::other(text.to_string()),
            )))
        };
        let refused =
            "client error (Connect): tcp connect error: Connection refused (os error 111)";
        assert_eq!(network(refused), ServerErrorKind::Unreachable);
        let dns = "dns error: failed to lookup address information: Name or service not known";
        assert_eq!(network(dns), ServerErrorKind::Unreachable);
        let reset = "connection closed before message completed";
        assert_eq!(network(reset), ServerErrorKind::Transient);
    }

    #[test]
    fn codes_are_classified() {
        let t = |s: &str| classify_response(s);
        assert_eq!(
            t("Code: 516. DB::Exception: default: Authentication failed"),
            ServerErrorKind::Auth
        );
        assert_eq!(
            t("Code: 117. DB::Exception: Incorrect data"),
            ServerErrorKind::Permanent
        );
        assert_eq!(
            t("Code: 53. DB::Exception: Type mismatch"),
            ServerErrorKind::Permanent
        );
        assert_eq!(
            t("Code: 252. DB::Exception: Too many parts"),
            ServerErrorKind::Transient
        );
        assert_eq!(t("503 Service Unavailable"), ServerErrorKind::Transient);
        assert_eq!(t("401 Unauthorized"), ServerErrorKind::Auth);
        assert_eq!(t("400 Bad Request"), ServerErrorKind::Permanent);
        assert_eq!(t("429 Too Many Requests"), ServerErrorKind::Transient);
        assert_eq!(exception_code("x Code: 60. y"), Some(60));
        assert_eq!(exception_code("no code"), None);
    }

    #[test]
    fn network_errors_are_transient_and_retryable() {
        let e = Error::clickhouse("insert", &clickhouse::error::Error::TimedOut);
        assert!(e.is_retryable());
        let e = Error::clickhouse(
            "insert",
            &clickhouse::error::Error::BadResponse("Code: 516. DB::Exception: auth".into()),
        );
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("CLICKHOUSE_PASSWORD"));
    }

    #[test]
    fn credentials_in_urls_are_redacted() {
        assert_eq!(
            redact_urls("error sending to https://bob:s3cret@ch.example:8443/?x=1 failed"),
            "error sending to https://***@ch.example:8443/?x=1 failed"
        );
        assert_eq!(redact_urls("http://host:8123/"), "http://host:8123/");
    }
}
