//! The Grafana dashboards: structure, and every panel's SQL, with its macros expanded the way
//! grafana-clickhouse-datasource does, run against the query-pack fixture.

use std::path::PathBuf;

use ccsync::store::query::Table;
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
    // The millisecond macros, as pkg/macros/macros.go of plugin 4.11.1 writes them.
    assert_eq!(
        expand(
            "WHERE $__timeFilter_ms(ts) GROUP BY $__timeInterval_ms(ts) HAVING t > $__fromTime_ms",
            &ctx
        ),
        "WHERE ts >= fromUnixTimestamp64Milli(1767225600000) AND ts <= \
         fromUnixTimestamp64Milli(1769904000500) GROUP BY toStartOfInterval(toDateTime64(ts, 3), \
         INTERVAL 3600000 millisecond) HAVING t > fromUnixTimestamp64Milli(1767225600000)"
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
fn dashboards_are_provisionable_and_use_the_datasource_machine_and_source_variables() {
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
    let (name, value) = ccsync::store::query::FINAL_SETTING;
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
        // The agent (ccusage's source name), as the machine: several or All.
        let source = var("source");
        assert_eq!(source["type"], "query", "{file}");
        assert_eq!(
            source["query"], "SELECT DISTINCT source FROM usage_rollup ORDER BY source",
            "{file}"
        );
        assert_eq!(source["multi"], true, "{file}");
        assert_eq!(source["includeAll"], true, "{file}");
        assert_eq!(source["current"]["value"][0], "$__all", "{file}");
        assert_eq!(source["datasource"]["uid"], "${datasource}", "{file}");
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
                // Every read of a table filters by $source, subqueries included.
                let reads = ["usage_events", "usage_rollup", "sync_runs"]
                    .iter()
                    .map(|t| sql.matches(&format!("FROM {t} ")).count())
                    .sum::<usize>();
                let filters = sql
                    .matches("$__conditionalAll(source IN (${source}), $source)")
                    .count();
                assert!(
                    reads > 0 && filters >= reads,
                    "{file}: {title}: {reads} reads, {filters} $source filters"
                );
                // Time-range panels use the plugin's millisecond macros (DateTime64 bounds, any
                // year); the calendar ones are taken at now64(3).
                assert!(
                    sql.contains("$__timeFilter_ms(") || sql.contains("now64(3)"),
                    "{file}: {title}"
                );
                assert_eq!(
                    ccsync::store::query::avoided_time_constructs(sql),
                    vec![],
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
        let source_query = vars.iter().find(|v| v["name"] == "source").unwrap()["query"]
            .as_str()
            .unwrap();
        let sources = run_sql(&env, source_query).await.unwrap();
        assert_eq!(sources.rows, [[Value::from("claude")]], "{file}");
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
        for (selection, source) in [
            (
                Var::Multi {
                    values: all_machines.clone(),
                    all: true,
                },
                Var::Multi {
                    values: vec!["claude".into()],
                    all: true,
                },
            ),
            (
                Var::Multi {
                    values: vec!["alpha".into(), "beta".into()],
                    all: false,
                },
                Var::Multi {
                    values: vec!["claude".into()],
                    all: false,
                },
            ),
        ] {
            let mut ctx_vars = text_vars.clone();
            ctx_vars.push(("machine".into(), selection.clone()));
            ctx_vars.push(("source".into(), source));
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
            (
                "source".into(),
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

/// A panel's query, with the text variables of its dashboard at their defaults.
struct Target {
    file: String,
    title: String,
    sql: String,
    text_vars: Vec<(String, Var)>,
}

/// Every panel target of every dashboard.
fn panel_targets() -> Vec<Target> {
    let mut out = Vec::new();
    for (file, b) in dashboards() {
        let text_vars: Vec<(String, Var)> = b["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["type"] == "textbox")
            .map(|v| {
                (
                    v["name"].as_str().unwrap().to_string(),
                    Var::Text(v["current"]["value"].as_str().unwrap().to_string()),
                )
            })
            .collect();
        for p in b["panels"].as_array().unwrap() {
            for t in p["targets"].as_array().unwrap() {
                out.push(Target {
                    file: file.clone(),
                    title: p["title"].as_str().unwrap().to_string(),
                    sql: t["rawSql"].as_str().unwrap().to_string(),
                    text_vars: text_vars.clone(),
                });
            }
        }
    }
    out
}

/// A context over [from_ms, to_ms] with every machine selected and `tz` set.
fn picker(from_ms: i64, to_ms: i64, tz: &str, text_vars: &[(String, Var)]) -> Context {
    let mut vars: Vec<(String, Var)> = text_vars
        .iter()
        .filter(|(n, _)| n != "tz")
        .cloned()
        .collect();
    vars.push(("tz".into(), Var::Text(tz.into())));
    vars.push((
        "machine".into(),
        Var::Multi {
            values: vec!["alpha".into(), "gamma".into()],
            all: true,
        },
    ));
    vars.push((
        "source".into(),
        Var::Multi {
            values: vec!["claude".into()],
            all: true,
        },
    ));
    Context {
        from_ms,
        to_ms,
        interval_ms: 3_600_000,
        vars,
    }
}

/// Issue 15, case 1 (see `queries::edge_fixture`): the time picker's range is inclusive to the
/// millisecond. A range ending exactly on the last row (2026-01-05 23:59:59.999) gives every
/// panel the same answer as a range an hour wider, where no other row lies.
#[tokio::test]
async fn panels_count_rows_up_to_the_last_millisecond_of_the_range() {
    use crate::queries::{E1_MS, E3_MS, edge_fixture};
    let env = edge_fixture("grafana_edges").await;
    let settings = datasource_settings();
    let hour = 3_600_000;
    let mut compared = 0;
    for Target {
        file,
        title,
        sql,
        text_vars,
    } in panel_targets()
    {
        let exact = expand(&sql, &picker(E1_MS, E3_MS, "UTC", &text_vars));
        let wide = expand(&sql, &picker(E1_MS - hour, E3_MS + hour, "UTC", &text_vars));
        let exact = run_sql_with(&env, &exact, &settings)
            .await
            .unwrap_or_else(|e| panic!("{file}: {title}: {e}\n{exact}"));
        let wide = run_sql_with(&env, &wide, &settings).await.unwrap();
        assert_eq!(
            sorted_rows(&exact),
            sorted_rows(&wide),
            "{file}: {title}: rows at the range's last millisecond are left out"
        );
        if title == "In the selected range" {
            // e1, e2, e3 on alpha and e3 on gamma: sessions sE1, sE2 and gamma's sE2.
            crate::queries::assert_same(
                &Value::Array(exact.rows[0].clone()),
                &serde_json::json!([11.0, 4, 2, 3]),
            );
        }
        compared += 1;
    }
    assert!(compared >= 25, "{compared}");
}

/// Issue 15, case 7 (see `queries::far_years_fixture`): over a range from year 1 to 9999, the
/// panels put rows of 1969 and 2200 on their own days, in any tz, whatever
/// `enable_extended_results_for_datetime_functions`; nothing is clamped to 1970 or 2106.
#[tokio::test]
async fn panels_put_rows_outside_1970_2106_on_their_days() {
    use crate::queries::far_years_fixture;
    let env = far_years_fixture("grafana_far").await;
    let settings = datasource_settings();
    let mut extended = settings.clone();
    extended.push((
        "enable_extended_results_for_datetime_functions".into(),
        "1".into(),
    ));
    let (from, to) = (-62_135_596_800_000, 253_402_300_799_999);
    let mut seen = std::collections::BTreeMap::new();
    for tz in ["UTC", "America/New_York"] {
        for Target {
            file,
            title,
            sql,
            text_vars,
        } in panel_targets()
        {
            let sql = expand(&sql, &picker(from, to, tz, &text_vars));
            let table = run_sql_with(&env, &sql, &settings)
                .await
                .unwrap_or_else(|e| panic!("{file}: {title}: {e}\n{sql}"));
            let ext = run_sql_with(&env, &sql, &extended).await.unwrap();
            assert_eq!(
                sorted_rows(&table),
                sorted_rows(&ext),
                "{file}: {title}: differs with extended results"
            );
            let text = format!("{:?}", table.rows);
            for clamp in [
                "1970-01-01",
                "2106-02-07",
                "2149-06-06",
                "1900-01-01",
                "2299-12-31",
            ] {
                assert!(!text.contains(clamp), "{file}: {title}: {clamp} in {text}");
            }
            seen.insert((tz, title), table);
        }
    }
    // Rows in a canonical order (ties of a panel's ORDER BY come back in any order), numbers
    // as floats.
    fn canonical(rows: Value) -> Value {
        fn floats(v: Value) -> Value {
            match v {
                Value::Number(n) => Value::from(n.as_f64().unwrap()),
                Value::Array(a) => Value::Array(a.into_iter().map(floats).collect()),
                other => other,
            }
        }
        let mut rows: Vec<Value> = floats(rows).as_array().unwrap().clone();
        rows.sort_by_key(|r| r.to_string());
        Value::Array(rows)
    }
    let check = |tz: &'static str, title: &str, expected: Value| {
        let actual = Value::Array(
            seen[&(tz, title.to_string())]
                .rows
                .iter()
                .map(|r| Value::Array(r.clone()))
                .collect(),
        );
        crate::queries::assert_same(&canonical(actual), &canonical(expected));
    };
    check(
        "UTC",
        "Daily cost by machine",
        serde_json::json!([
            ["0001-01-01 00:00:00", "alpha", 16.0],
            ["1969-07-20 00:00:00", "alpha", 3.0],
            ["2200-01-01 00:00:00", "alpha", 12.0],
            ["2200-01-01 00:00:00", "gamma", 12.0],
            ["9999-12-31 00:00:00", "alpha", 32.0],
        ]),
    );
    // y3 (2200-01-01 03:00 UTC) is on the 31st in New York; year 1 is year 0 there.
    check(
        "America/New_York",
        "Daily cost by machine",
        serde_json::json!([
            ["0000-12-31 00:00:00", "alpha", 16.0],
            ["1969-07-20 00:00:00", "alpha", 3.0],
            ["2199-12-31 00:00:00", "alpha", 4.0],
            ["2199-12-31 00:00:00", "gamma", 4.0],
            ["2200-01-01 00:00:00", "alpha", 8.0],
            ["2200-01-01 00:00:00", "gamma", 8.0],
            ["9999-12-31 00:00:00", "alpha", 32.0],
        ]),
    );
    check(
        "UTC",
        "In the selected range",
        serde_json::json!([[75.0, 8, 2, 4]]),
    );
    // Billing blocks end at now(): the blocks of year 1 and of 1969, on UTC hours.
    check(
        "UTC",
        "Blocks per machine",
        serde_json::json!([
            [
                "alpha",
                "claude",
                "1969-07-20 20:00:00.000",
                2,
                600,
                3.0,
                0,
                0.81,
                null
            ],
            [
                "alpha",
                "claude",
                "0001-01-01 00:00:00.000",
                1,
                300,
                16.0,
                0,
                null,
                null
            ],
        ]),
    );
}

/// The `source` variable over the two-source fixture (see `queries::two_sources`): with a
/// source selected, every panel answers what that source's rows alone answer (All, in a
/// database holding only them): the other source changes nothing, subqueries included.
#[tokio::test]
async fn panels_show_only_the_selected_source() {
    let db = crate::queries::two_sources("grafana_sources").await;
    let settings = datasource_settings();
    let (_, board) = &dashboards()[0];
    let source_query = board["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "source")
        .unwrap()["query"]
        .as_str()
        .unwrap();
    let sources = run_sql(&db.both, source_query).await.unwrap();
    assert_eq!(
        sources.rows,
        [[Value::from("claude")], [Value::from("codex")]]
    );
    let context = |source: &str, all: bool, text_vars: &[(String, Var)]| {
        let mut vars = text_vars.to_vec();
        vars.push((
            "machine".into(),
            Var::Multi {
                values: vec!["alpha".into(), "beta".into(), "gamma".into()],
                all: true,
            },
        ));
        vars.push((
            "source".into(),
            Var::Multi {
                values: vec![source.into()],
                all,
            },
        ));
        // January 2026, the fixture's month.
        Context {
            from_ms: 1_767_225_600_000,
            to_ms: 1_769_904_000_000,
            interval_ms: 3_600_000,
            vars,
        }
    };
    let mut compared = 0;
    let mut differ = 0;
    for Target {
        file,
        title,
        sql,
        text_vars,
    } in panel_targets()
    {
        let every = expand(&sql, &context("claude", true, &text_vars));
        let every = run_sql_with(&db.both, &every, &settings).await.unwrap();
        for (source, alone) in [("claude", &db.claude), ("codex", &db.codex)] {
            let selected = expand(&sql, &context(source, false, &text_vars));
            let selected = run_sql_with(&db.both, &selected, &settings)
                .await
                .unwrap_or_else(|e| panic!("{file}: {title}: {e}\n{selected}"));
            let reference = expand(&sql, &context(source, true, &text_vars));
            let reference = run_sql_with(alone, &reference, &settings).await.unwrap();
            if let Some(d) = table_diff(&selected, "selected", &reference, "alone") {
                panic!("{file}: {title}: source {source}:\n{d}");
            }
            if table_diff(&selected, "selected", &every, "every").is_some() {
                differ += 1;
            }
            compared += 1;
        }
    }
    assert!(compared >= 2 * 25, "{compared}");
    // Most panels see both sources: selecting one changes their answer.
    assert!(differ >= 25, "{differ} of {compared}");
}
