//! The Grafana dashboards: structure, and every panel's SQL, with its macros expanded the way
//! grafana-clickhouse-datasource does, run against the query-pack fixture.

use std::path::PathBuf;

use ccsync::query::Table;
use serde_json::Value;

use crate::common::*;
use crate::queries::fixture;

fn dashboards() -> Vec<(String, Value)> {
    let dir = repo().join("deploy/grafana/dashboards");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let v: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), v)
        })
        .collect()
}

/// A template variable's current selection.
#[derive(Clone, Debug)]
enum Var {
    /// Multi-value: the selected values, or every value when "All" is selected.
    Multi {
        values: Vec<String>,
        all: bool,
    },
    Text(String),
}

/// What a panel query sees: the time picker's range, the interval, the variables.
struct Context {
    from_ms: i64,
    to_ms: i64,
    interval_ms: i64,
    vars: Vec<(String, Var)>,
}

/// The arguments of the macro call whose `(` is at `open`, split at top-level commas, and the
/// index just past its `)` (like the plugin's getMacroArgs).
fn macro_args(sql: &str, open: usize) -> (Vec<String>, usize) {
    let (mut depth, mut start, mut args) = (0, open + 1, Vec::new());
    for (i, c) in sql[open..].char_indices() {
        let i = open + i;
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    args.push(sql[start..i].to_string());
                    return (args, i + 1);
                }
            }
            ',' if depth == 1 => {
                args.push(sql[start..i].to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    panic!("unclosed macro call in {sql}")
}

/// A backend macro with arguments, as a function of its arguments.
type Expansion<'a> = dyn Fn(&[String]) -> String + 'a;

/// Expands like the plugin: `$__conditionalAll` and template variables in the frontend
/// (multi-value variables as `'a','b'`), then the backend macros (pkg/macros/macros.go).
fn expand(sql: &str, ctx: &Context) -> String {
    let mut s = sql.to_string();
    // $__conditionalAll(condition, $var): the condition, or 1=1 when the variable is All.
    while let Some(at) = s.rfind("$__conditionalAll(") {
        let (args, end) = macro_args(&s, at + "$__conditionalAll".len());
        assert_eq!(args.len(), 2, "{s}");
        let var = args[1].trim().trim_start_matches('$');
        let var = var.trim_start_matches('{').trim_end_matches('}');
        let all = match ctx.vars.iter().find(|(n, _)| n == var) {
            Some((_, Var::Multi { all, .. })) => *all,
            other => panic!("$__conditionalAll on {var}: {other:?}"),
        };
        let phrase = if all {
            "1=1".to_string()
        } else {
            args[0].clone()
        };
        s.replace_range(at..end, &phrase);
    }
    // Template variables, longest names first so $machine does not eat $machines.
    let mut vars = ctx.vars.clone();
    vars.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    for (name, var) in &vars {
        let value = match var {
            Var::Multi { values, .. } => format!("'{}'", values.join("','")),
            Var::Text(t) => t.clone(),
        };
        s = s.replace(&format!("${{{name}}}"), &value);
        s = s.replace(&format!("${name}"), &value);
    }
    let (from_s, to_s) = (ctx.from_ms / 1000, ctx.to_ms / 1000);
    let interval_s = (ctx.interval_ms / 1000).max(1);
    let functions: [(&str, &Expansion); 5] = [
        ("$__timeFilter_ms(", &|a| {
            format!(
                "{c} >= fromUnixTimestamp64Milli({}) AND {c} <= fromUnixTimestamp64Milli({})",
                ctx.from_ms,
                ctx.to_ms,
                c = a[0]
            )
        }),
        ("$__timeFilter(", &|a| {
            format!(
                "{c} >= toDateTime({from_s}) AND {c} <= toDateTime({to_s})",
                c = a[0]
            )
        }),
        ("$__timeInterval_ms(", &|a| {
            format!(
                "toStartOfInterval(toDateTime64({}, 3), INTERVAL {} millisecond)",
                a[0],
                ctx.interval_ms.max(1)
            )
        }),
        ("$__timeInterval(", &|a| {
            format!(
                "toStartOfInterval(toDateTime({}), INTERVAL {interval_s} second)",
                a[0]
            )
        }),
        ("$__dateFilter(", &|a| {
            let day = |ms: i64| {
                let d = ms.div_euclid(86_400_000);
                format!("toDate({d})")
            };
            format!(
                "{c} >= {} AND {c} <= {}",
                day(ctx.from_ms),
                day(ctx.to_ms),
                c = a[0]
            )
        }),
    ];
    for (name, f) in functions {
        while let Some(at) = s.find(name) {
            let (args, end) = macro_args(&s, at + name.len() - 1);
            assert_eq!(args.len(), 1, "{name} takes one argument: {s}");
            let args: Vec<String> = args.iter().map(|a| a.trim().to_string()).collect();
            s.replace_range(at..end, &f(&args));
        }
    }
    for (name, value) in [
        (
            "$__fromTime_ms",
            format!("fromUnixTimestamp64Milli({})", ctx.from_ms),
        ),
        (
            "$__toTime_ms",
            format!("fromUnixTimestamp64Milli({})", ctx.to_ms),
        ),
        ("$__fromTime", format!("toDateTime({from_s})")),
        ("$__toTime", format!("toDateTime({to_s})")),
        ("$__interval_s", interval_s.to_string()),
    ] {
        s = s.replace(name, &value);
    }
    assert!(!s.contains('$'), "unexpanded macro or variable left:\n{s}");
    s
}

/// The provisioned datasource (deploy/grafana/provisioning).
fn datasource() -> serde_yaml_ng::Value {
    let ds = std::fs::read_to_string(
        repo().join("deploy/grafana/provisioning/datasources/clickhouse.yaml"),
    )
    .unwrap();
    let ds: serde_yaml_ng::Value = serde_yaml_ng::from_str(&ds).unwrap();
    ds["datasources"][0].clone()
}

/// The settings the plugin sends with every query (`jsonData.customSettings`).
fn datasource_settings() -> Vec<(String, String)> {
    datasource()["jsonData"]["customSettings"]
        .as_sequence()
        .map(|list| {
            list.iter()
                .map(|s| {
                    let field = |k: &str| s[k].as_str().unwrap().to_string();
                    (field("setting"), field("value"))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn run_sql(env: &Env, sql: &str) -> Result<Table, String> {
    run_sql_with(env, sql, &[]).await
}

async fn run_sql_with(
    env: &Env,
    sql: &str,
    settings: &[(String, String)],
) -> Result<Table, String> {
    let mut query = env.client().query_raw(sql);
    for (name, value) in settings {
        query = query.with_setting(name.as_str(), value.as_str());
    }
    let body = query
        .fetch_bytes("JSONCompact")
        .map_err(|e| e.to_string())?
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Table::from_json_compact(&body)
}

/// Rows in a canonical order: ties in a panel's ORDER BY may come back in any order.
fn sorted_rows(table: &Table) -> Vec<String> {
    let mut rows: Vec<String> = table.rows.iter().map(|r| format!("{r:?}")).collect();
    rows.sort();
    rows
}

#[test]
fn expander_matches_the_plugin_on_examples() {
    let ctx = Context {
        from_ms: 1_767_225_600_000,
        to_ms: 1_769_904_000_500,
        interval_ms: 3_600_000,
        vars: vec![
            (
                "machine".into(),
                Var::Multi {
                    values: vec!["a".into(), "b".into()],
                    all: false,
                },
            ),
            ("tz".into(), Var::Text("UTC".into())),
        ],
    };
    assert_eq!(
        expand(
            "WHERE $__timeFilter(timestamp) AND $__conditionalAll(m IN (${machine}), $machine) AND tz = '${tz}'",
            &ctx
        ),
        "WHERE timestamp >= toDateTime(1767225600) AND timestamp <= toDateTime(1769904000) \
         AND m IN ('a','b') AND tz = 'UTC'"
    );
    assert_eq!(
        expand(
            "$__timeInterval(ts) $__interval_s $__fromTime $__toTime_ms",
            &ctx
        ),
        "toStartOfInterval(toDateTime(ts), INTERVAL 3600 second) 3600 toDateTime(1767225600) \
         fromUnixTimestamp64Milli(1769904000500)"
    );
    let all = Context {
        vars: vec![(
            "machine".into(),
            Var::Multi {
                values: vec!["a".into()],
                all: true,
            },
        )],
        ..ctx
    };
    assert_eq!(
        expand("$__conditionalAll(f(x, y) IN (${machine}), $machine)", &all),
        "1=1"
    );
}

#[test]
fn dashboards_are_provisionable_and_use_the_datasource_and_machine_variables() {
    let boards = dashboards();
    let titles: Vec<&str> = boards
        .iter()
        .map(|(_, b)| b["title"].as_str().unwrap())
        .collect();
    for wanted in [
        "Overview",
        "Machines",
        "Projects & sessions",
        "Billing blocks",
        "Cache & models",
    ] {
        assert!(
            titles.iter().any(|t| t.ends_with(wanted)),
            "{wanted} in {titles:?}"
        );
    }
    let mut uids: Vec<&str> = boards
        .iter()
        .map(|(_, b)| b["uid"].as_str().unwrap())
        .collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), boards.len(), "unique uids");
    // The provisioned datasource these dashboards default to.
    let ds = datasource();
    assert_eq!(ds["type"].as_str(), Some("grafana-clickhouse-datasource"));
    // Panels read FINAL as `ccsync query` runs the pack.
    let (name, value) = ccsync::query::FINAL_SETTING;
    assert!(
        datasource_settings().contains(&(name.into(), value.into())),
        "{:?}",
        datasource_settings()
    );
    let ds_uid = ds["uid"].as_str().unwrap();
    for (file, b) in &boards {
        let vars = b["templating"]["list"].as_array().unwrap();
        let var = |name: &str| {
            vars.iter()
                .find(|v| v["name"] == name)
                .unwrap_or_else(|| panic!("{file}: no ${name} variable"))
        };
        let datasource = var("datasource");
        assert_eq!(datasource["type"], "datasource", "{file}");
        assert_eq!(
            datasource["query"], "grafana-clickhouse-datasource",
            "{file}"
        );
        assert_eq!(datasource["current"]["value"], ds_uid, "{file}");
        let machine = var("machine");
        assert_eq!(machine["type"], "query", "{file}");
        assert_eq!(machine["multi"], true, "{file}");
        assert_eq!(machine["includeAll"], true, "{file}");
        assert_eq!(machine["datasource"]["uid"], "${datasource}", "{file}");
        let panels = b["panels"].as_array().unwrap();
        assert!(panels.len() >= 4, "{file}");
        for p in panels {
            let title = p["title"].as_str().unwrap();
            assert_eq!(p["datasource"]["uid"], "${datasource}", "{file}: {title}");
            assert_eq!(
                p["datasource"]["type"], "grafana-clickhouse-datasource",
                "{file}: {title}"
            );
            for t in p["targets"].as_array().unwrap() {
                assert_eq!(t["datasource"]["uid"], "${datasource}", "{file}: {title}");
                assert_eq!(t["editorType"], "sql", "{file}: {title}");
                let sql = t["rawSql"].as_str().unwrap();
                assert!(
                    sql.contains("$__conditionalAll(machine_name IN (${machine}), $machine)"),
                    "{file}: {title} filters by $machine"
                );
                // Time-range panels use the plugin's macros; the calendar ones say why not.
                assert!(
                    sql.contains("$__timeFilter(") || sql.contains("now()"),
                    "{file}: {title}"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_panel_query_runs_against_the_fixture_and_returns_rows() {
    let env = fixture("grafana").await;
    let boards = dashboards();
    // The time picker over January 2026 (the fixture), hourly interval.
    let base = Context {
        from_ms: 1_767_225_600_000,
        to_ms: 1_769_904_000_000,
        interval_ms: 3_600_000,
        vars: vec![],
    };
    let settings = datasource_settings();
    let mut panels_run = 0;
    for (file, b) in &boards {
        let vars = b["templating"]["list"].as_array().unwrap();
        // Variable values as Grafana would get them: the machine query runs first.
        let machine_query = vars.iter().find(|v| v["name"] == "machine").unwrap()["query"]
            .as_str()
            .unwrap();
        let machines = run_sql(&env, machine_query).await.unwrap();
        let all_machines: Vec<String> = machines
            .rows
            .iter()
            .map(|r| r[0].as_str().unwrap().to_string())
            .collect();
        assert_eq!(all_machines, ["alpha", "beta", "delta", "gamma"], "{file}");
        let text_vars: Vec<(String, Var)> = vars
            .iter()
            .filter(|v| v["type"] == "textbox")
            .map(|v| {
                (
                    v["name"].as_str().unwrap().to_string(),
                    Var::Text(v["current"]["value"].as_str().unwrap().to_string()),
                )
            })
            .collect();
        for selection in [
            Var::Multi {
                values: all_machines.clone(),
                all: true,
            },
            Var::Multi {
                values: vec!["alpha".into(), "beta".into()],
                all: false,
            },
        ] {
            let mut ctx_vars = text_vars.clone();
            ctx_vars.push(("machine".into(), selection.clone()));
            ctx_vars.push(("datasource".into(), Var::Text("ccsync-clickhouse".into())));
            let ctx = Context {
                vars: ctx_vars,
                ..base
            };
            for p in b["panels"].as_array().unwrap() {
                for t in p["targets"].as_array().unwrap() {
                    let sql = expand(t["rawSql"].as_str().unwrap(), &ctx);
                    let table = run_sql_with(&env, &sql, &settings)
                        .await
                        .unwrap_or_else(|e| panic!("{file}: {}: {e}\n{sql}", p["title"]));
                    // The datasource's settings only make the panel faster.
                    let plain = run_sql(&env, &sql).await.unwrap();
                    assert_eq!(
                        sorted_rows(&table),
                        sorted_rows(&plain),
                        "{file}: {} differs with {settings:?}",
                        p["title"]
                    );
                    assert!(
                        !table.rows.is_empty(),
                        "{file}: {} returned no rows with {selection:?}",
                        p["title"]
                    );
                    if t["format"] == 0 {
                        // Time series need a time column first.
                        assert!(
                            table.columns[0].1.starts_with("DateTime"),
                            "{file}: {}: {:?}",
                            p["title"],
                            table.columns
                        );
                    }
                    panels_run += 1;
                }
            }
        }
    }
    assert!(panels_run >= 2 * 25, "{panels_run}");
}

#[tokio::test]
async fn freshness_panel_marks_machines_that_stopped_syncing_red() {
    let env = fixture("grafana_fresh").await;
    let boards = dashboards();
    let (_, machines) = boards.iter().find(|(f, _)| f == "machines.json").unwrap();
    let panel = machines["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "Sync freshness")
        .unwrap();
    let ctx = Context {
        from_ms: 0,
        to_ms: 0,
        interval_ms: 1000,
        vars: vec![
            (
                "machine".into(),
                Var::Multi {
                    values: vec![],
                    all: true,
                },
            ),
            ("stale_hours".into(), Var::Text("24".into())),
        ],
    };
    let table = run_sql(
        &env,
        &expand(panel["targets"][0]["rawSql"].as_str().unwrap(), &ctx),
    )
    .await
    .unwrap();
    // The fixture's last runs are in January 2026, long before now: all stale but delta,
    // which never synced.
    let status: Vec<(String, String)> = (0..table.rows.len())
        .map(|r| {
            (
                table.get(r, "machine_name").as_str().unwrap().to_string(),
                table.get(r, "status").as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            ("alpha".to_string(), "stale".to_string()),
            ("beta".into(), "stale".into()),
            ("delta".into(), "never synced".into()),
            ("gamma".into(), "stale".into()),
        ]
    );
    let mapping =
        panel["fieldConfig"]["overrides"][0]["properties"][0]["value"][0]["options"].clone();
    for state in ["stale", "never synced"] {
        assert_eq!(mapping[state]["color"], "red", "{state}");
    }
    assert_eq!(mapping["ok"]["color"], "green");
}
