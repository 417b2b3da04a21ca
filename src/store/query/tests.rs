use std::collections::BTreeMap;

use serde_json::Value;

use super::*;
use crate::table::Kind;

/// The code of `sql` without its comments (no `--` occurs inside the pack's string
/// literals).
fn without_comments(sql: &str) -> String {
    sql.lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_query_file_is_embedded() {
    let files = crate::store::schema::sql_files_in("queries");
    let embedded: Vec<&str> = FILES.iter().map(|f| f.file).collect();
    assert_eq!(files, embedded);
}

#[test]
fn headers_parse_and_match_the_sql() {
    let pack = pack();
    assert!(pack.len() >= 30, "{} queries", pack.len());
    for q in pack {
        assert_eq!(format!("{}.sql", q.name), q.file);
        assert!(!q.description.is_empty(), "{}", q.name);
        // Every `{name:Type}` in the SQL is declared with that type, and every declared
        // parameter is used.
        let mut used = BTreeMap::new();
        let code = without_comments(q.sql);
        let mut rest = code.as_str();
        while let Some(start) = rest.find('{') {
            let after = &rest[start + 1..];
            let end = after.find('}').expect("unclosed {");
            if let Some((name, ty)) = after[..end].split_once(':') {
                let prev = used.insert(name.trim().to_string(), ty.trim().to_string());
                if let Some(prev) = prev {
                    assert_eq!(prev, ty.trim(), "{}: {name} used with two types", q.name);
                }
            }
            rest = &after[end..];
        }
        let declared: BTreeMap<String, String> = q
            .params
            .iter()
            .map(|p| (p.name.clone(), p.type_name.clone()))
            .collect();
        assert_eq!(used, declared, "{}", q.name);
        // One statement per file, so clickhouse-client --queries-file runs it as is.
        assert!(!code.contains(';'), "{}: no statement separators", q.name);
    }
    for required in [
        "daily_by_machine",
        "weekly_by_machine",
        "monthly_by_machine",
        "machine_ranking",
        "model_by_machine",
        "projects_across_machines",
        "project_costs",
        "sessions",
        "billing_blocks",
        "cache_efficiency",
        "hourly_heatmap",
        "freshness",
        "daily_anomalies",
        "budget_status",
        "global_daily",
    ] {
        assert!(find(required).is_ok(), "{required}");
    }
}

#[test]
fn no_query_uses_a_time_construct_that_clamps_or_bounds_by_the_second() {
    for q in pack() {
        assert_eq!(avoided_time_constructs(q.sql), vec![], "{}", q.name);
    }
    let found = avoided_time_constructs(
        "SELECT toDate(ts), toStartOfInterval(ts, INTERVAL 1 HOUR) -- toMonday(x)\n\
         WHERE $__timeFilter(ts) AND ts < $__toTime AND ts >= $__fromTime_ms",
    );
    let what: Vec<&str> = found.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(
        what,
        [
            "todate(",
            "$__timefilter(",
            "$__totime",
            "tostartofinterval(ts, interval 1 hour"
        ]
    );
}

#[test]
fn common_parameters_mean_the_same_everywhere() {
    for q in pack() {
        for p in &q.params {
            let expect = match p.name.as_str() {
                "machine" => Some(("String", Some(""))),
                "source" => Some(("String", Some(""))),
                // Every day a DateTime64 can hold; `as_of` to the millisecond, any year.
                "since" => Some(("Date32", Some("0000-01-01"))),
                "until" => Some(("Date32", Some("9999-12-31"))),
                "tz" => Some(("String", Some("UTC"))),
                "as_of" => Some(("Nullable(DateTime64(3, 'UTC'))", None)),
                _ => None,
            };
            if let Some((ty, default)) = expect {
                assert_eq!(
                    (p.type_name.as_str(), p.default.as_deref()),
                    (ty, default),
                    "{}.{}",
                    q.name,
                    p.name
                );
            }
        }
    }
}

/// Every query that reads the usage or run tables takes `source` (the agent, as ccusage names
/// it) and applies it at each read, subqueries included, so totals stay consistent.
#[test]
fn every_read_of_a_table_filters_by_source() {
    const FILTER: &str = "({source:String} = '' OR source = {source:String})";
    for q in pack() {
        let code = without_comments(q.sql);
        let words: Vec<&str> = code.split_whitespace().collect();
        let reads = words
            .windows(2)
            .filter(|w| {
                w[0] == "FROM"
                    && ["usage_events", "usage_rollup", "sync_runs"]
                        .iter()
                        .any(|t| {
                            w[1].strip_prefix(t).is_some_and(|rest| {
                                !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
                            })
                        })
            })
            .count();
        assert!(reads > 0, "{}: reads no table", q.name);
        assert!(
            q.params.iter().any(|p| p.name == "source"),
            "{}: no source parameter",
            q.name
        );
        assert!(
            code.matches(FILTER).count() >= reads,
            "{}: {reads} reads, {} source filters",
            q.name,
            code.matches(FILTER).count()
        );
    }
}

#[test]
fn param_lists_with_nested_types_quotes_and_notes() {
    let ps = parse_params(
        "machine String '' (empty = all machines, says (this)), as_of Nullable(DateTime('UTC')) NULL (NULL = now), \
         n UInt32 10, x Float64 1.5, b Bool false, q String 'it\\'s, ok'",
    )
    .unwrap();
    let shape: Vec<(&str, &str, Option<&str>, &str)> = ps
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.type_name.as_str(),
                p.default.as_deref(),
                p.doc.as_str(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            (
                "machine",
                "String",
                Some(""),
                "empty = all machines, says (this)"
            ),
            ("as_of", "Nullable(DateTime('UTC'))", None, "NULL = now"),
            ("n", "UInt32", Some("10"), ""),
            ("x", "Float64", Some("1.5"), ""),
            ("b", "Bool", Some("false"), ""),
            ("q", "String", Some("it's, ok"), ""),
        ]
    );
    assert!(
        parse_params("d Date 'soon'")
            .unwrap_err()
            .contains("bad default")
    );
    assert!(
        parse_params("d Decimal(9, 2) 1")
            .unwrap_err()
            .contains("unsupported")
    );
    assert!(parse_params("d Date NULL").is_err());
    assert!(parse_params("a String 'x' b String 'y'").is_err());
}

#[test]
fn values_are_checked_against_their_types() {
    let ok = |t: &str, v: &str| ParamType::parse(t).unwrap().check(v);
    assert_eq!(ok("Date", "2026-02-28"), Ok(Some("2026-02-28".into())));
    assert!(ok("Date", "2026-02-29").is_err());
    assert!(ok("Date", "2024-02-29").is_ok());
    assert!(ok("Date", "yesterday").unwrap_err().contains("YYYY-MM-DD"));
    assert_eq!(ok("UInt8", "255"), Ok(Some("255".into())));
    assert!(ok("UInt8", "256").is_err());
    assert!(ok("UInt32", "-1").is_err());
    assert!(ok("Int32", "-5").is_ok());
    assert!(ok("Float64", "1e3").is_ok());
    assert!(ok("Float64", "NaN").is_err());
    assert_eq!(ok("Bool", "TRUE"), Ok(Some("true".into())));
    assert!(ok("Bool", "yes").is_err());
    let dt = "Nullable(DateTime('UTC'))";
    assert_eq!(ok(dt, ""), Ok(None));
    assert_eq!(ok(dt, "null"), Ok(None));
    assert_eq!(
        ok(dt, "2026-01-05T10:00:00Z"),
        Ok(Some("2026-01-05 10:00:00".into()))
    );
    assert_eq!(ok(dt, "2026-01-05"), Ok(Some("2026-01-05 00:00:00".into())));
    assert!(
        ok(dt, "2026-01-05 25:00:00")
            .unwrap_err()
            .contains("or empty")
    );
    assert_eq!(ok("String", " spaced "), Ok(Some(" spaced ".into())));
    assert_eq!(ok("Date32", "0000-01-01"), Ok(Some("0000-01-01".into())));
    assert_eq!(ok("Date32", "9999-12-31"), Ok(Some("9999-12-31".into())));
    assert!(ok("Date32", "10000-01-01").is_err());
    let dt64 = "Nullable(DateTime64(3, 'UTC'))";
    assert_eq!(ok(dt64, ""), Ok(None));
    assert_eq!(
        ok(dt64, "1969-07-20T20:17:40.5Z"),
        Ok(Some("1969-07-20 20:17:40.5".into()))
    );
    assert_eq!(
        ok(dt64, "2200-01-01 10:14:59.999"),
        Ok(Some("2200-01-01 10:14:59.999".into()))
    );
    assert_eq!(
        ok(dt64, "0001-01-01"),
        Ok(Some("0001-01-01 00:00:00".into()))
    );
    for bad in [
        "2026-01-05 10:00:00.",
        "2026-01-05 10:00:00.1234",
        "2026-01-05 10:00:00.x",
    ] {
        assert!(ok(dt64, bad).is_err(), "{bad}");
    }
    // DateTime has no fraction.
    assert!(ok(dt, "2026-01-05 10:00:00.500").is_err());
}

#[test]
fn binding_fills_defaults_and_explains_mistakes() {
    let q = find("daily_by_machine").unwrap();
    let bound = bind(q, &["tz=Europe/Paris".into()]).unwrap();
    assert_eq!(
        bound,
        vec![
            ("machine".into(), Some("".into())),
            ("source".into(), Some("".into())),
            ("since".into(), Some("0000-01-01".into())),
            ("until".into(), Some("9999-12-31".into())),
            ("tz".into(), Some("Europe/Paris".into())),
        ]
    );
    let err = bind(q, &["mahcine=x".into()]).unwrap_err().0;
    assert!(err.contains("no parameter \"mahcine\""), "{err}");
    assert!(err.contains("since Date32 (default '0000-01-01')"), "{err}");
    let err = bind(q, &["since=2026-13-01".into()]).unwrap_err().0;
    assert!(err.contains("expected a date YYYY-MM-DD"), "{err}");
    assert!(
        bind(q, &["since".into()])
            .unwrap_err()
            .0
            .contains("NAME=VALUE")
    );
    assert!(
        bind(q, &["tz=UTC".into(), "tz=UTC".into()])
            .unwrap_err()
            .0
            .contains("twice")
    );
    let err = find("dayly_by_machine").unwrap_err().0;
    assert!(err.contains("Did you mean \"daily_by_machine\""), "{err}");
    assert!(err.contains("global_daily"), "{err}");
}

#[test]
fn results_render_as_json_and_text() {
    let body = br#"{"meta":[{"name":"day","type":"Date"},{"name":"n","type":"UInt64"},
        {"name":"cost","type":"Float64"},{"name":"models","type":"Array(LowCardinality(String))"},
        {"name":"by","type":"Map(String, UInt64)"},{"name":"x","type":"Nullable(Float64)"}],
        "data":[["2026-01-05","18446744073709551615",1.5,["a","b"],{"k":"2"},null]],"rows":1}"#;
    let t = Table::from_json_compact(body).unwrap();
    assert_eq!(t.get(0, "n"), &Value::from(u64::MAX));
    assert_eq!(t.get(0, "by")["k"], Value::from(2));
    assert_eq!(
        t.to_json(),
        "[\n  {\"day\": \"2026-01-05\", \"n\": 18446744073709551615, \"cost\": 1.5, \
         \"models\": [\"a\",\"b\"], \"by\": {\"k\":2}, \"x\": null}\n]\n"
    );
    let text = t.to_text(None);
    assert!(text.contains("a, b") && text.contains("k: 2"), "{text}");
    // Formatted by the column's type: separators, decimals, NULL.
    assert!(text.contains("18,446,744,073,709,551,615"), "{text}");
    assert!(text.contains("1.5 ") && text.contains("—"), "{text}");
    let empty = Table {
        columns: vec![("a".into(), "UInt8".into())],
        rows: vec![],
    };
    assert_eq!(empty.to_json(), "[]\n");
}

#[test]
fn kinds_follow_the_column_type_and_the_pack_naming() {
    for (name, ty, kind) in [
        ("cost_usd", "Float64", Kind::Money),
        ("limit_usd", "Nullable(Float64)", Kind::Money),
        ("cost_per_hour_usd", "Nullable(Float64)", Kind::Money),
        ("used_pct", "Nullable(Float64)", Kind::Percent),
        ("share_of_cost_pct", "Float64", Kind::Percent),
        ("hours_since_sync", "Nullable(Float64)", Kind::Decimal),
        ("amount", "Decimal(18, 4)", Kind::Decimal),
        ("messages", "UInt64", Kind::Integer),
        ("extra_copies", "Int64", Kind::Integer),
        ("weekday", "UInt8", Kind::Integer),
        ("odd_usd", "UInt64", Kind::Integer),
        ("machine_name", "LowCardinality(String)", Kind::Text),
        ("status", "LowCardinality(Nullable(String))", Kind::Text),
        ("day", "Date32", Kind::Text),
        ("first_seen", "DateTime64(3, 'UTC')", Kind::Text),
        ("models", "Array(String)", Kind::Text),
        ("skipped_by_reason", "Map(String, UInt64)", Kind::Text),
    ] {
        assert_eq!(table::column_kind(name, ty), kind, "{name} {ty}");
    }
}

#[test]
fn ranges_parse_from_headers_and_bound_values() {
    let ps = parse_params(
        "days UInt32 14 (>= 1, <= 36500) (days back), f Float64 3 (> 0) (a factor), \
         usd Float64 0 (>= 0), flag UInt8 0 (>= 0, <= 1), n Int32 0 (> -5, < 5), \
         note String '' (text, even with >= 1 inside)",
    )
    .unwrap();
    let by = |n: &str| ps.iter().find(|p| p.name == n).unwrap();
    assert_eq!(by("days").doc, "days back");
    assert_eq!(
        by("days").range.as_ref().unwrap().to_string(),
        ">= 1, <= 36500"
    );
    assert_eq!(by("f").doc, "a factor");
    assert_eq!(by("usd").doc, "");
    // A doc that does not start with a comparison stays a doc.
    assert_eq!(by("note").range, None);
    assert_eq!(by("note").doc, "text, even with >= 1 inside");
    assert_eq!(
        by("days").describe(),
        "days UInt32 (default 14; >= 1, <= 36500): days back"
    );

    // Whole numbers: the bounds, within the type's, in the message.
    let days = by("days");
    assert_eq!(days.check("1"), Ok(Some("1".into())));
    assert_eq!(days.check("36500"), Ok(Some("36500".into())));
    for bad in ["0", "36501", "-1", "x", "4294967296"] {
        let err = days.check(bad).unwrap_err();
        assert!(
            err.contains("a whole number from 1 to 36500"),
            "{bad}: {err}"
        );
        assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
    }
    assert!(by("flag").check("1").is_ok());
    assert!(by("flag").check("2").unwrap_err().contains("from 0 to 1"));
    // Exclusive bounds on an integer type become the nearest whole numbers inside.
    assert!(by("n").check("-4").is_ok() && by("n").check("4").is_ok());
    assert!(by("n").check("5").unwrap_err().contains("from -4 to 4"));

    // Numbers: finite, above (or at) the bound.
    let f = by("f");
    assert!(f.check("0.001").is_ok());
    for bad in ["0", "-3", "nan", "NaN", "inf", "-inf", "1e999"] {
        let err = f.check(bad).unwrap_err();
        assert!(err.contains("a finite number > 0"), "{bad}: {err}");
    }
    let usd = by("usd");
    assert!(usd.check("0").is_ok() && usd.check("12.5").is_ok());
    assert!(
        usd.check("-0.01")
            .unwrap_err()
            .contains("a finite number >= 0")
    );
    assert!(usd.check("nan").unwrap_err().contains(">= 0"));

    // Mistakes in a header.
    for (list, why) in [
        ("a UInt32 0 (>= 1)", "bad default"),
        ("a String 'x' (>= 1)", "numbers only"),
        ("a UInt32 1 (>= 1, > 0)", "two bounds"),
        ("a UInt32 1 (>= x)", "a number after >="),
        ("a UInt32 1 (>= 5, <= 1)", "no value"),
        ("a Float64 1 (> 1, < 1)", "no value"),
        ("a UInt32 1 (>= 1", "unclosed"),
    ] {
        let err = parse_params(list).unwrap_err();
        assert!(err.contains(why), "{list}: {err}");
    }
    // Nullable numbers take a range too; empty is still NULL.
    let ps = parse_params("x Nullable(Float64) NULL (> 0)").unwrap();
    assert_eq!(ps[0].check(""), Ok(None));
    assert!(ps[0].check("0").unwrap_err().contains("> 0, or empty"));
}

/// Every numeric parameter of the pack bounds what it can mean (issue: `baseline_days=0` met a
/// server exception, a negative limit meant none, `factor=0` flagged every day).
#[test]
fn the_pack_refuses_values_its_queries_cannot_mean() {
    let refused = |query: &str, given: &str| {
        let err = bind(find(query).unwrap(), &[given.to_string()])
            .unwrap_err()
            .0;
        let (name, value) = given.split_once('=').unwrap();
        assert!(
            err.contains(&format!("parameter {name} of query {query}"))
                && err.contains(&format!("{value:?}")),
            "{given}: {err}"
        );
        err
    };
    let err = refused("daily_anomalies", "baseline_days=0");
    assert!(err.contains("from 1 to 36500"), "{err}");
    refused("daily_anomalies", "baseline_days=36501");
    assert!(refused("daily_anomalies", "factor=0").contains("> 0"));
    assert!(refused("daily_anomalies", "min_cost=-1").contains(">= 0"));
    for limit in ["daily_limit", "weekly_limit", "monthly_limit"] {
        assert!(refused("budget_status", &format!("{limit}=-5")).contains(">= 0"));
        refused("budget_status", &format!("{limit}=nan"));
        refused("budget_status", &format!("{limit}=inf"));
    }
    assert!(refused("freshness", "stale_hours=0").contains("> 0"));
    for q in ["project_costs", "git_branches", "sessions", "sync_history"] {
        assert!(refused(q, "limit=0").contains("from 1 to"));
    }
    assert!(refused("report_rows", "responses=2").contains("from 0 to 1"));
    // Values at the edges pass.
    for (query, given) in [
        ("daily_anomalies", "baseline_days=1"),
        ("daily_anomalies", "factor=0.5"),
        ("daily_anomalies", "min_cost=0"),
        ("budget_status", "daily_limit=0"),
        ("freshness", "stale_hours=0.5"),
        ("sessions", "limit=1"),
        ("report_rows", "responses=1"),
    ] {
        assert!(
            bind(find(query).unwrap(), &[given.into()]).is_ok(),
            "{given}"
        );
    }
    // Each float parameter of the pack has a range (a finite number is the least it needs).
    for q in pack() {
        for p in &q.params {
            if p.ty == ParamType::Float {
                assert!(p.range.is_some(), "{}.{}: no range", q.name, p.name);
            }
        }
    }
}

#[test]
fn since_after_until_is_a_usage_error() {
    let q = find("daily_by_machine").unwrap();
    let err = bind(q, &["since=2026-12-01".into(), "until=2026-11-01".into()])
        .unwrap_err()
        .0;
    assert!(
        err.contains("since 2026-12-01 is later than until 2026-11-01"),
        "{err}"
    );
    assert!(err.contains("daily_by_machine"), "{err}");
    // One day, and either bound alone against the other's default, are fine.
    assert!(bind(q, &["since=2026-11-01".into(), "until=2026-11-01".into()]).is_ok());
    assert!(bind(q, &["since=9999-12-31".into()]).is_ok());
    assert!(bind(q, &["until=0000-01-01".into()]).is_ok());
    // Every query having both.
    for q in pack() {
        let has = |n: &str| q.params.iter().any(|p| p.name == n);
        if has("since") && has("until") {
            assert!(
                bind(q, &["since=2026-01-02".into(), "until=2026-01-01".into()]).is_err(),
                "{}",
                q.name
            );
        }
    }
}

#[test]
fn source_names_an_agent_or_is_empty() {
    for q in pack() {
        for ok in ["", "claude", "codex"] {
            assert!(
                bind(q, &[format!("source={ok}")]).is_ok(),
                "{}: {ok:?}",
                q.name
            );
        }
    }
    let q = find("model_usage").unwrap();
    let err = bind(q, &["source=claudee".into()]).unwrap_err().0;
    assert!(
        err.contains("parameter source of query model_usage"),
        "{err}"
    );
    assert!(err.contains("\"claudee\" is not a source"), "{err}");
    assert!(err.contains("did you mean \"claude\"?"), "{err}");
    assert!(err.contains("claude, codex"), "{err}");
    // Case and spaces matter: the column holds ccusage's names as they are.
    assert!(bind(q, &["source=Claude".into()]).is_err());
    assert!(bind(q, &["source= codex".into()]).is_err());
}

/// queries/README.md's table of ranges names every ranged parameter with its queries (the
/// headers stay the rule; this keeps the table from drifting).
#[test]
fn the_readme_lists_every_range() {
    let readme = include_str!("../../../queries/README.md");
    for q in pack() {
        for p in q.params.iter().filter(|p| p.range.is_some()) {
            let row = readme
                .lines()
                .find(|l| {
                    l.trim_start().starts_with("| `")
                        && l.split('|').nth(1).is_some_and(|c| {
                            c.split(',').any(|n| n.trim() == format!("`{}`", p.name))
                        })
                })
                .unwrap_or_else(|| panic!("{}: no row in queries/README.md", p.name));
            assert!(
                row.contains(&format!("`{}`", q.name)),
                "{}.{}: {row}",
                q.name,
                p.name
            );
        }
    }
}
