//! The renderer's rules, one test per rule; exact layouts where the layout is the point.

use super::*;
use serde_json::json;

fn cols(spec: &[(&str, Kind)]) -> Vec<(String, Kind)> {
    spec.iter().map(|(n, k)| (n.to_string(), *k)).collect()
}

/// The texts of one column of `values`, as [`render`] shows them.
fn shown(kind: Kind, values: &[Value]) -> Vec<String> {
    let rows: Vec<Vec<Value>> = values.iter().map(|v| vec![v.clone()]).collect();
    texts(&cols(&[("x", kind)]), &rows)
        .into_iter()
        .flatten()
        .collect()
}

#[test]
fn integers_have_thousands_separators_and_keep_every_digit() {
    let values = [
        json!(0),
        json!(999),
        json!(1000),
        json!(1_234_567),
        json!(-1234),
        json!(-999),
        json!(u64::MAX),
        json!(i64::MIN),
        // ClickHouse quotes 128-bit integers.
        json!("-170141183460469231731687303715884105728"),
    ];
    assert_eq!(
        shown(Kind::Integer, &values),
        [
            "0",
            "999",
            "1,000",
            "1,234,567",
            "-1,234",
            "-999",
            "18,446,744,073,709,551,615",
            "-9,223,372,036,854,775,808",
            "-170,141,183,460,469,231,731,687,303,715,884,105,728",
        ]
    );
    assert_eq!(grouped(-1_000_000), "-1,000,000");
}

#[test]
fn money_is_dollars_rounded_to_cents() {
    let values = [
        json!(1234.567),
        json!(0.005),
        json!(-0.1958),
        json!(-0.004),
        json!(0),
        json!(5),
        json!(1_000_000.1),
        json!(109.8281),
        // Exact ties round away from zero, as ccusage's `toFixed(2)`; 2.675 is just below one.
        json!(0.125),
        json!(-0.375),
        json!(2.675),
    ];
    assert_eq!(
        shown(Kind::Money, &values),
        [
            "$1,234.57",
            "$0.01",
            "-$0.20",
            "$0.00",
            "$0.00",
            "$5.00",
            "$1,000,000.10",
            "$109.83",
            "$0.13",
            "-$0.38",
            "$2.67",
        ]
    );
}

#[test]
fn floats_share_their_column_precision_of_at_most_two_decimals() {
    let shown_f = |kind, xs: &[f64]| shown(kind, &xs.iter().map(|&x| json!(x)).collect::<Vec<_>>());
    assert_eq!(
        shown_f(Kind::Decimal, &[1.5, 2.0, 93015.25, -1234.5]),
        ["1.50", "2.00", "93,015.25", "-1,234.50"]
    );
    // Whole values stay whole; float noise and long fractions stop at 2 decimals.
    assert_eq!(
        shown_f(Kind::Decimal, &[414_409.0, 12.0]),
        ["414,409", "12"]
    );
    assert_eq!(
        shown_f(Kind::Decimal, &[0.1 + 0.2, 0.307_881_944_444_444_4]),
        ["0.30", "0.31"]
    );
    assert_eq!(
        shown_f(Kind::Percent, &[100.0, 40.69, 0.0]),
        ["100.00%", "40.69%", "0.00%"]
    );
    assert_eq!(shown_f(Kind::Percent, &[57.5, -3.0]), ["57.5%", "-3.0%"]);
    assert_eq!(shown_f(Kind::Decimal, &[2.5, 1.0]), ["2.5", "1.0"]);
    assert_eq!(fixed(2.5, 0), "3");
    assert_eq!(fixed(-0.004, 2), "0.00");
}

#[test]
fn nulls_show_as_a_dash_and_composites_as_lists() {
    for kind in [
        Kind::Text,
        Kind::Integer,
        Kind::Decimal,
        Kind::Money,
        Kind::Percent,
    ] {
        assert_eq!(shown(kind, &[Value::Null]), ["—"], "{kind:?}");
    }
    assert_eq!(
        shown(
            Kind::Text,
            &[
                json!(""),
                json!(["a", "b"]),
                json!({"too_large": 12345, "bad_json": 2}),
                json!([]),
                json!(true),
            ]
        ),
        ["", "a, b", "bad_json: 2, too_large: 12,345", "", "true"]
    );
    // A value a number column cannot read is shown as it is.
    assert_eq!(shown(Kind::Money, &[json!("n/a")]), ["n/a"]);
}

#[test]
fn numbers_are_right_aligned_and_text_left_aligned() {
    let columns = cols(&[
        ("machine", Kind::Text),
        ("rows", Kind::Integer),
        ("cost_usd", Kind::Money),
    ]);
    let rows = vec![
        vec![json!("a"), json!(5), json!(0.5)],
        vec![json!("laptop-2"), json!(1_234_567), Value::Null],
    ];
    assert_eq!(
        render(&columns, &rows, None),
        "\
┌──────────┬───────────┬──────────┐
│ machine  ┆      rows ┆ cost_usd │
╞══════════╪═══════════╪══════════╡
│ a        ┆         5 ┆    $0.50 │
│ laptop-2 ┆ 1,234,567 ┆        — │
└──────────┴───────────┴──────────┘
"
    );
    // Exactly as wide as the table: still one table.
    assert_eq!(
        render(&columns, &rows, Some(36)),
        render(&columns, &rows, None)
    );
}

#[test]
fn figures_keep_their_digits_and_are_right_aligned() {
    let columns = cols(&[("model", Kind::Text), ("input", Kind::Figure)]);
    let rows = vec![
        vec![json!("gpt-5-nano"), json!("0.005")],
        vec![json!("opus"), json!("15")],
    ];
    assert_eq!(
        render(&columns, &rows, None),
        "\
┌────────────┬───────┐
│ model      ┆ input │
╞════════════╪═══════╡
│ gpt-5-nano ┆ 0.005 │
│ opus       ┆    15 │
└────────────┴───────┘
"
    );
}

#[test]
fn a_table_wider_than_the_width_becomes_one_block_per_row() {
    let columns = cols(&[
        ("period", Kind::Text),
        ("limit_usd", Kind::Money),
        ("elapsed_pct", Kind::Percent),
        ("messages", Kind::Integer),
    ]);
    let rows = vec![
        vec![json!("day"), json!(15), json!(57.48), json!(1_234_567)],
        vec![json!("week"), Value::Null, json!(8.2), json!(3)],
    ];
    // The table is 48 columns wide: one table at 48, blocks at 47.
    let table = render(&columns, &rows, None);
    assert_eq!(table.lines().map(|l| l.chars().count()).max(), Some(48));
    assert_eq!(render(&columns, &rows, Some(48)), table);
    assert!(render(&columns, &rows, Some(47)).starts_with("─[ row 1 of 2 ]"));
    assert_eq!(
        render(&columns, &rows, Some(40)),
        "\
─[ row 1 of 2 ]──────────
 period      ┆ day
 limit_usd   ┆    $15.00
 elapsed_pct ┆    57.48%
 messages    ┆ 1,234,567
─[ row 2 of 2 ]──────────
 period      ┆ week
 limit_usd   ┆         —
 elapsed_pct ┆     8.20%
 messages    ┆         3
"
    );
    // No width (piped, no COLUMNS): never reflowed.
    assert!(render(&columns, &rows, None).starts_with('┌'));
    assert_eq!(render(&columns, &[], Some(10)).lines().count(), 4);
}

#[test]
fn long_text_wraps_inside_its_block_and_numbers_do_not() {
    let columns = cols(&[("error", Kind::Text), ("rows", Kind::Integer)]);
    let rows = vec![vec![
        json!("connection refused by the server at http://localhost:8123"),
        json!(123_456_789),
    ]];
    let text = render(&columns, &rows, Some(30));
    assert!(text.lines().all(|l| l.chars().count() <= 30), "{text}");
    assert!(text.contains("rows  ┆ 123,456,789"), "{text}");
    assert!(text.lines().count() > 3, "{text}");
}

#[test]
fn the_width_is_the_terminal_s_or_columns_and_none_when_piped() {
    assert_eq!(width_for(true, Some(120), Some("80")), Some(120));
    assert_eq!(width_for(true, None, Some("80")), Some(80));
    assert_eq!(width_for(true, None, None), None);
    assert_eq!(width_for(false, None, Some(" 100 ")), Some(100));
    assert_eq!(width_for(false, None, None), None);
    assert_eq!(width_for(false, None, Some("wide")), None);
    assert_eq!(width_for(false, None, Some("0")), None);
}

#[test]
fn prose_listings_wrap_to_the_width() {
    let rows = vec![vec![
        "daily".to_string(),
        "word ".repeat(40),
        "machine since until tz".to_string(),
    ]];
    let text = wrapped(
        &["query", "description", "parameters"],
        rows,
        60,
        &[(2, 12)],
    );
    assert!(text.lines().all(|l| l.chars().count() <= 60), "{text}");
    assert!(text.contains("machine"), "{text}");
}
