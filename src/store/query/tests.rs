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
