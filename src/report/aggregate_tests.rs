use jiff::civil::date;

use super::*;
use crate::report::parse_date;

/// A row of `input` tokens at `ts` (RFC 3339).
fn row(ts: &str, model: Option<ModelId>, input: u64, cost_usd: f64) -> UsageRow {
    UsageRow {
        timestamp_ms: ts.parse::<jiff::Timestamp>().unwrap().as_millisecond(),
        model,
        tokens: Tokens {
            input,
            output: 1,
            cache_creation: 2,
            cache_read: 3,
        },
        cost_usd,
        unpriced: false,
    }
}

fn daily(zone: &str, since: Option<&str>, until: Option<&str>) -> Daily {
    let d = |s: Option<&str>| s.map(|s| parse_date(s).unwrap());
    let range = DateRange::new(d(since), d(until)).unwrap();
    Daily::new(Zone::parse(zone).unwrap(), range)
}

#[test]
fn models_are_listed_as_met_and_broken_down_costliest_first() {
    let mut d = daily("UTC", None, None);
    let (a, b, c) = (d.model("a"), d.model("b"), d.model("c"));
    for r in [
        row("2026-01-05T12:00:00Z", Some(b), 10, 0.5),
        row("2026-01-05T09:00:00Z", Some(a), 10, 2.0),
        row("2026-01-05T10:00:00Z", Some(c), 10, 0.0),
        row("2026-01-05T11:00:00Z", Some(b), 10, 1.0),
    ] {
        d.add(&r);
    }
    let day = &d.finish().daily[0];
    // The order rows came in, not their times.
    assert_eq!(day.models_used, ["b", "a", "c"]);
    let costs: Vec<(&str, f64)> = (day.model_breakdowns.iter())
        .map(|m| (m.model_name.as_str(), m.totals.total_cost))
        .collect();
    assert_eq!(costs, [("a", 2.0), ("b", 1.5), ("c", 0.0)]);
    assert_eq!(day.totals.total_cost, 3.5);
    assert_eq!(day.totals.total_tokens, 4 * 16);
}

#[test]
fn unlisted_rows_count_in_their_day_only() {
    let mut d = daily("UTC", None, None);
    let sonnet = d.model("claude-sonnet-4-6");
    d.add(&row("2026-01-05T10:00:00Z", Some(sonnet), 1000, 0.003));
    d.add(&UsageRow {
        unpriced: true, // whatever the price table said: not a model of the report
        ..row("2026-01-05T10:00:00Z", None, 5, 0.0)
    });
    d.add(&row("2026-01-06T10:00:00Z", None, 7, 1.5));
    let r = d.finish();
    assert_eq!(r.daily[0].totals.input_tokens, 1005);
    assert_eq!(r.daily[0].models_used, ["claude-sonnet-4-6"]);
    assert_eq!(r.daily[0].model_breakdowns.len(), 1);
    assert_eq!(r.daily[0].model_breakdowns[0].totals.input_tokens, 1000);
    assert!(r.daily[1].models_used.is_empty() && r.daily[1].model_breakdowns.is_empty());
    assert_eq!(r.daily[1].totals.total_cost, 1.5);
    assert!(r.unpriced_models.is_empty());
    assert_eq!(r.totals.input_tokens, 1012);
}

#[test]
fn listed_models_leave_out_synthetic_and_missing_ones_even_in_fast_mode() {
    assert_eq!(listed_model("<synthetic>", false), None);
    assert_eq!(listed_model("<synthetic>", true), None);
    assert_eq!(listed_model("", false), None);
    // A model literally named so is a model (ccusage lists it, unpriced).
    assert_eq!(
        listed_model("<synthetic>-fast", false).as_deref(),
        Some("<synthetic>-fast")
    );
    assert_eq!(
        listed_model("claude-opus-4-6", true).as_deref(),
        Some("claude-opus-4-6-fast")
    );
}

#[test]
fn unpriced_models_are_those_of_the_reported_days_sorted() {
    let mut d = daily("UTC", Some("20260106"), None);
    let (z, y, known) = (
        d.model("zz-unknown"),
        d.model("yy-unknown"),
        d.model("known"),
    );
    let unpriced = |ts, m| UsageRow {
        unpriced: true,
        ..row(ts, Some(m), 10, 0.0)
    };
    d.add(&unpriced("2026-01-05T10:00:00Z", y)); // before --since
    d.add(&unpriced("2026-01-06T10:00:00Z", z));
    d.add(&row("2026-01-06T11:00:00Z", Some(z), 10, 0.0)); // priced (costUSD) once
    d.add(&row("2026-01-07T10:00:00Z", Some(known), 10, 1.0));
    d.add(&unpriced("2026-01-07T11:00:00Z", y));
    let r = d.finish();
    assert_eq!(r.unpriced_models, ["yy-unknown", "zz-unknown"]);
    let missing = |day: usize| -> Vec<(String, bool)> {
        (r.daily[day].model_breakdowns.iter())
            .map(|m| (m.model_name.clone(), m.missing_pricing))
            .collect()
    };
    assert_eq!(missing(0), [("zz-unknown".to_string(), true)]);
    assert_eq!(
        missing(1),
        [
            ("known".to_string(), false),
            ("yy-unknown".to_string(), true)
        ]
    );
}

#[test]
fn days_are_those_of_the_zone_and_the_range_is_compared_there() {
    let rows = [
        "2026-01-05T07:30:00Z", // Los Angeles: 4 Jan, 23:30
        "2026-01-05T08:30:00Z", // 5 Jan, 00:30
        "2026-01-05T09:59:59.999Z",
        "2026-01-05T10:00:00Z", // Kiritimati: 6 Jan, 00:00
        "2026-01-06T00:00:00Z",
    ];
    let days = |zone, since, until| -> Vec<(String, u64)> {
        let mut d = daily(zone, since, until);
        for (i, ts) in rows.iter().enumerate() {
            d.add(&row(ts, None, 10u64.pow(i as u32), 0.0));
        }
        let r = d.finish();
        assert_eq!(r.zone, zone);
        let days: Vec<_> = (r.daily.iter())
            .map(|d| (d.date.clone(), d.totals.input_tokens))
            .collect();
        assert_eq!(r.totals.input_tokens, days.iter().map(|d| d.1).sum::<u64>());
        days
    };
    let d = |s: &str, n| (s.to_string(), n);
    assert_eq!(
        days("UTC", None, None),
        [d("2026-01-05", 1111), d("2026-01-06", 10000)]
    );
    assert_eq!(
        days("America/Los_Angeles", None, None),
        [d("2026-01-04", 1), d("2026-01-05", 11110)]
    );
    assert_eq!(
        days("Pacific/Kiritimati", None, None),
        [d("2026-01-05", 111), d("2026-01-06", 11000)]
    );
    assert_eq!(
        days("America/Los_Angeles", Some("2026-01-05"), None),
        [d("2026-01-05", 11110)]
    );
    assert_eq!(
        days("Pacific/Kiritimati", None, Some("20260105")),
        [d("2026-01-05", 111)]
    );
    assert_eq!(days("UTC", Some("20260107"), None), []);
}

#[test]
fn totals_are_the_reported_days_summed_in_order_saturating() {
    let mut d = daily("UTC", None, None);
    let big = UsageRow {
        tokens: Tokens {
            input: u64::MAX - 1,
            ..Tokens::default()
        },
        ..row("2026-01-05T10:00:00Z", None, 0, 0.1)
    };
    d.add(&big);
    d.add(&UsageRow {
        timestamp_ms: big.timestamp_ms + 86_400_000,
        ..big
    });
    d.add(&row("2026-01-07T10:00:00Z", None, 3, 0.2));
    let r = d.finish();
    assert_eq!(r.totals.input_tokens, u64::MAX);
    assert_eq!(r.totals.total_tokens, u64::MAX);
    assert_eq!(r.daily[2].totals.total_tokens, 3 + 1 + 2 + 3);
    assert_eq!(r.totals.total_cost, (0.1 + 0.1) + 0.2);
    assert_eq!(
        r.daily.iter().map(|d| d.date.as_str()).collect::<Vec<_>>(),
        ["2026-01-05", "2026-01-06", "2026-01-07"]
    );
    assert_eq!(date(2026, 1, 5).to_string(), r.daily[0].date);
}
