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
    /// machine, account and subagent (id and type); `None`: one row per response (blocks need
    /// each one's time; a zone without a tz name is not left to the engine's reading of it).
    pub sum_by_day_in: Option<String>,
}

/// A row of `report_rows`, its columns in order: a group of responses (or one).
#[derive(Debug, clickhouse::Row, serde::Deserialize)]
pub(super) struct DbRow {
    pub timestamp_ms: i64,
    pub last_ms: i64,
    pub model: String,
    pub fast: bool,
    pub session_id: String,
    pub project: String,
    pub source_file: String,
    pub machine: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub cost_usd: f64,
    pub unknown_model: bool,
    pub account: String,
    pub agent_id: String,
    pub is_sidechain: bool,
    pub source: String,
    pub reasoning_tokens: u64,
    /// The subagent's type as synced ('' main thread, unknown, or stored before schema 006).
    pub agent_type: String,
    /// The account's e-mail, where its machines recorded one.
    pub account_email: String,
}

/// The pack's `report_rows` with `filter`'s values, as `ccsync query report_rows -p …` would
/// bind them.
fn values(
    query: &crate::store::query::Query,
    filter: &RowFilter,
) -> Result<Vec<(String, Option<String>)>, String> {
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
    Ok(to_rows(fetch(sink, filter).await?))
}

/// `report_rows` as stored, for the readers of each agent's rows.
pub(super) async fn fetch(
    sink: &crate::store::client::Sink,
    filter: &RowFilter,
) -> anyhow::Result<Vec<DbRow>> {
    let query = crate::store::query::find("report_rows").map_err(|e| anyhow::anyhow!(e.0))?;
    let values = values(query, filter).map_err(anyhow::Error::msg)?;
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
    Ok(sink.timed("report rows", q.fetch_all()).await?)
}

/// How `--by account` names an account: its e-mail where one was recorded, with the start of
/// the account as stored (one person may have a work and a personal account on one e-mail).
fn account_label(account: &str, email: &str) -> String {
    if email.is_empty() || email == account {
        return account.to_string();
    }
    let start: String = account.chars().take(8).collect();
    format!("{email} ({start})")
}

fn to_rows(fetched: Vec<DbRow>) -> Rows {
    let mut rows = Rows::default();
    rows.reserve_exact(fetched.len());
    for r in fetched {
        let source = crate::usage::Agent::from_source(&r.source);
        let model = match source {
            // ccusage lists Codex models by name, fast or not.
            crate::usage::Agent::Codex => (!r.model.is_empty()).then(|| r.model.clone()),
            crate::usage::Agent::Claude => listed_model(&r.model, r.fast),
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
            account: rows.sym(&account_label(&r.account, &r.account_email)),
            // Stored with the row when it was synced (a subagent's only: `AgentTypes::subagent`).
            agent_type: (agent.is_some() && !r.agent_type.is_empty())
                .then(|| rows.sym(&r.agent_type)),
            agent: agent.map(|a| rows.sym(&a)),
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

#[cfg(test)]
mod tests {
    use super::account_label;

    #[test]
    fn an_account_is_named_by_its_email_and_the_start_of_its_id() {
        assert_eq!(
            account_label("4f1c2a9e-0000-4000-8000-000000000001", "me@example.com"),
            "me@example.com (4f1c2a9e)"
        );
        // No e-mail recorded, or the account given as an e-mail (CCSYNC_ACCOUNT): as stored.
        assert_eq!(account_label("4f1c2a9e", ""), "4f1c2a9e");
        assert_eq!(
            account_label("me@example.com", "me@example.com"),
            "me@example.com"
        );
    }
}
