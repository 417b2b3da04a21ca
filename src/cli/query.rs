//! `ccsync query`: a query of the pack (`queries/`), its parameters checked before any request,
//! printed as a table, JSON, CSV or TSV; `--list` shows the pack.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use serde_json::Value;

use crate::config::Config;
use crate::store::query::{Query, Table, bind, fetch_bytes, find, pack};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable table.
    Table,
    /// An array of objects, one per row.
    Json,
    /// With a header line.
    Csv,
    /// Tab-separated, with a header line.
    Tsv,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  ccsync query --list\n  \
    ccsync query daily_by_machine --param since=2026-01-01 --param tz=Europe/Paris\n  \
    ccsync query billing_blocks -p all_machines=true --format json")]
pub struct QueryArgs {
    /// The query to run (see --list).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// List the queries with their descriptions and parameters.
    #[arg(long, conflicts_with = "name")]
    pub list: bool,

    /// A parameter as NAME=VALUE (repeatable); the others take their defaults.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Print the query's SQL (header included) instead of running it, e.g. for clickhouse-client.
    #[arg(long)]
    pub sql: bool,
}

pub async fn run(cfg: &Config, args: QueryArgs) -> anyhow::Result<ExitCode> {
    let Some(name) = args.name.as_deref() else {
        print!("{}", list(args.format));
        return Ok(ExitCode::SUCCESS);
    };
    // Usage mistakes exit 2 (like clap's), before any connection.
    let (query, values) = match find(name).and_then(|q| Ok((q, bind(q, &args.params)?))) {
        Ok(found) => found,
        Err(e) => return Ok(super::usage_error(e)),
    };
    if args.sql {
        print!("{}", query.sql);
        return Ok(ExitCode::SUCCESS);
    }
    let sink = crate::store::client::Sink::new(&cfg.clickhouse)?;
    let context = format!("query {}", query.name);
    let client = sink.client();
    let out = match args.format {
        Format::Csv | Format::Tsv => {
            let format = if args.format == Format::Csv {
                "CSVWithNames"
            } else {
                "TSVWithNames"
            };
            sink.timed(&context, fetch_bytes(client, query, &values, format))
                .await?
        }
        Format::Table | Format::Json => {
            let body = sink
                .timed(&context, fetch_bytes(client, query, &values, "JSONCompact"))
                .await?;
            let table = Table::from_json_compact(&body).map_err(anyhow::Error::msg)?;
            if args.format == Format::Json {
                table.to_json().into_bytes()
            } else if table.rows.is_empty() {
                eprintln!("ccsync: {} returned no rows", query.name);
                Vec::new()
            } else {
                table.to_text(crate::table::output_width()).into_bytes()
            }
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `--list`: names, descriptions and parameters.
pub fn list(format: Format) -> String {
    let pack = pack();
    let param_names = |q: &Query| {
        q.params
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match format {
        Format::Json => {
            let v: Vec<Value> = pack
                .iter()
                .map(|q| {
                    serde_json::json!({
                        "name": q.name,
                        "description": q.description,
                        "params": q.params.iter().map(|p| serde_json::json!({
                            "name": p.name,
                            "type": p.type_name,
                            "default": p.default,
                            "range": p.range.as_ref().map(|r| r.to_string()),
                            "description": p.doc,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        Format::Csv | Format::Tsv => {
            let sep = if format == Format::Csv { ',' } else { '\t' };
            let field = |s: &str| {
                if format == Format::Csv && s.contains([',', '"', '\n']) {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s.replace(['\t', '\n'], " ")
                }
            };
            let mut out = format!("name{sep}description{sep}params\n");
            for q in pack {
                let _ = writeln!(
                    out,
                    "{}{sep}{}{sep}{}",
                    field(&q.name),
                    field(&q.description),
                    field(&param_names(q))
                );
            }
            out
        }
        Format::Table => {
            let rows = pack
                .iter()
                .map(|q| vec![q.name.clone(), q.description.clone(), param_names(q)])
                .collect();
            // Piped output has no terminal width to wrap to; keep the listing readable anyway.
            let width = crate::table::output_width().unwrap_or(120);
            let header = ["query", "description", "parameters"];
            format!(
                "{}Run one with `ccsync query NAME [--param NAME=VALUE ...] [--format table|json|csv|tsv]`;\n\
                 parameter types and defaults: `ccsync query --list --format json`.\n",
                crate::table::wrapped(&header, rows, width, &[(2, 30)])
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_shows_every_query() {
        let text = list(Format::Table);
        let json: Value = serde_json::from_str(&list(Format::Json)).unwrap();
        assert_eq!(json.as_array().unwrap().len(), pack().len());
        for q in pack() {
            assert!(text.contains(&q.name));
        }
        assert!(list(Format::Csv).starts_with("name,description,params\n"));
    }
}
