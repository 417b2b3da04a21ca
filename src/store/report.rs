//! The rows of `ccsync report` from the database: `queries/report_rows.sql` (bound server-side
//! like every query of the pack) → neutral [`Rows`] for `crate::report`.

use crate::report::{DateRange, Row, Rows, Tokens, listed_model};

/// Which rows to read. `machines` empty: all.
#[derive(Debug, Clone, Default)]
pub(crate) struct RowFilter {
    pub source: Option<String>,
    pub machines: Vec<String>,
    pub project: Option<String>,
    /// One Claude account (as stored, or its e-mail).
    pub account: Option<String>,
    /// Every row whose day in any zone is in this range is read (the report keeps the right
    /// ones); `DateRange::default()` for all.
    pub range: DateRange,
    /// The zone (tz database name) whose days the engine sums responses by, per file, model,
    /// machine, account and subagent; `None`: one row per response (blocks need each one's
    /// time; a zone without a tz name is not left to the engine's reading of it).
    pub sum_by_day_in: Option<String>,
}

/// A row of `report_rows`, its columns in order: a group of responses (or one).
#[derive(Debug, clickhouse::Row, serde::Deserialize)]
struct DbRow {
    timestamp_ms: i64,
    last_ms: i64,
    model: String,
    fast: bool,
    session_id: String,
    project: String,
    source_file: String,
    machine: String,
    input_tokens: u64,
    output_tokens: u64,
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    cost_usd: f64,
    unknown_model: bool,
    account: String,
    agent_id: String,
    is_sidechain: bool,
    source: String,
    reasoning_tokens: u64,
}

/// The pack's `report_rows` with `filter`'s values, as `ccsync query report_rows -p …` would
/// bind them.
fn values(filter: &RowFilter) -> Result<Vec<(String, Option<String>)>, String> {
    let query = crate::store::query::find("report_rows").map_err(|e| e.0)?;
    let (since, until) = filter.range.utc_bounds();
    let mut given = vec![format!("machines={}", filter.machines.join("\n"))];
    let mut put = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            given.push(format!("{name}={v}"));
        }
    };
    put("source", filter.source.clone());
    put("project", filter.project.clone());
    put("account", filter.account.clone());
    put("since", since.map(|d| d.to_string()));
    put("until", until.map(|d| d.to_string()));
    match &filter.sum_by_day_in {
        Some(zone) => put("tz", Some(zone.clone())),
        None => put("responses", Some("1".into())),
    }
    crate::store::query::bind(query, &given).map_err(|e| e.0)
}

/// The rows `filter` selects, in ccusage's order.
pub(crate) async fn read_rows(
    sink: &crate::store::client::Sink,
    filter: &RowFilter,
) -> anyhow::Result<Rows> {
    let query = crate::store::query::find("report_rows").map_err(|e| anyhow::anyhow!(e.0))?;
    let values = values(filter).map_err(anyhow::Error::msg)?;
    let mut q = sink.client().query_raw(query.sql).with_setting(
        crate::store::query::FINAL_SETTING.0,
        crate::store::query::FINAL_SETTING.1,
    );
    for (name, value) in &values {
        q = match value {
            Some(v) => q.param(name, v.as_str()),
            None => q.param(name, None::<&str>),
        };
    }
    let fetched: Vec<DbRow> = sink.timed("report rows", q.fetch_all()).await?;
    Ok(to_rows(fetched))
}

fn to_rows(fetched: Vec<DbRow>) -> Rows {
    let mut rows = Rows::default();
    rows.reserve_exact(fetched.len());
    for r in fetched {
        let source = crate::source::Agent::from_source(&r.source);
        let model = match source {
            // ccusage lists Codex models by name, fast or not.
            crate::source::Agent::Codex => (!r.model.is_empty()).then(|| r.model.clone()),
            crate::source::Agent::Claude => listed_model(&r.model, r.fast),
        };
        let model = model.map(|m| rows.sym(&m));
        let agent = crate::report::rows::subagent_of(r.is_sidechain, &r.agent_id, &r.source_file);
        let (project, session) = crate::report::rows::ccusage_session(&r.source_file)
            .unwrap_or((r.project, r.session_id));
        let row = Row {
            timestamp_ms: r.timestamp_ms,
            last_ms: r.last_ms,
            model,
            session: rows.sym(&session),
            project: rows.sym(&project),
            machine: rows.sym(&r.machine),
            account: rows.sym(&r.account),
            agent: agent.map(|a| rows.sym(&a)),
            // Not stored: only the local read knows it (docs/ccusage-compat.md, §9c).
            agent_type: None,
            tokens: Tokens {
                input: r.input_tokens,
                output: r.output_tokens,
                cache_creation: r.cache_creation_tokens,
                cache_read: r.cache_read_tokens,
            },
            reasoning: r.reasoning_tokens,
            cost_usd: r.cost_usd,
            unpriced: r.unknown_model,
            source,
        };
        rows.push(row);
    }
    rows
}
