//! The data file itself, and pricing files laid over it.

use std::io::Write as _;

use crate::price::file::{self, Origin};
use crate::price::table::embedded_prices;
use crate::price::*;

fn pricing_file(
    text: &str,
) -> (
    tempfile::NamedTempFile,
    Result<PricingFile, PricingFileError>,
) {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    let read = PricingFile::read(f.path());
    (f, read)
}

fn table_with(text: &str) -> PriceTable {
    let (_f, read) = pricing_file(text);
    let file = read.unwrap_or_else(|e| panic!("{e}"));
    PriceTable::new(embedded_prices(), Some(file.prices()))
}

fn price_of<'t>(table: &'t PriceTable, model: &str) -> Option<&'t ModelPrice> {
    table.resolve(model).map(|r| &r.entry.price)
}

#[test]
fn the_data_parses_and_holds_both_tables() {
    let prices = embedded_prices();
    assert!(prices.primary.len() > 500, "{}", prices.primary.len());
    assert!(prices.fallback.len() > 500, "{}", prices.fallback.len());
    assert!(prices.skipped.is_empty(), "{:?}", prices.skipped);
    let origin = |key: &str| {
        prices
            .primary
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.origin)
    };
    assert_eq!(origin("claude-sonnet-4-5"), Some(Origin::LiteLlm));
    assert_eq!(origin("claude-3-haiku"), Some(Origin::Ccusage));
    assert!(
        prices
            .fallback
            .iter()
            .all(|e| e.origin == Origin::ModelsDev)
    );
    // Every alias names a key.
    let table = PriceTable::new(prices.clone(), None);
    for (name, target) in &prices.aliases {
        assert!(
            table.primary.get(target).is_some() || table.fallback.get(target).is_some(),
            "{name} → {target}"
        );
    }
}

#[test]
fn numbers_are_read_to_the_last_bit() {
    // ccusage reads models.dev's 0.09999999999999999 as 0.1, then divides by a million; the
    // file holds the result with every digit, and must give back that very double.
    let haiku = embedded_prices()
        .fallback
        .into_iter()
        .find(|e| e.key == "claude-4.5-haiku")
        .unwrap();
    assert_eq!(haiku.price.cache_read.to_bits(), (0.1f64 / 1e6).to_bits());
    let text = r#"{"m": {"input_cost_per_token": 1.0000000000000001e-07, "output_cost_per_token": 2.9999999999999997e-06}}"#;
    let parsed = file::parse(text, Origin::PricingFile).unwrap();
    assert_eq!(
        parsed.primary[0].price.input.to_bits(),
        1.0000000000000001e-07f64.to_bits()
    );
    assert_eq!(
        parsed.primary[0].price.output.to_bits(),
        2.9999999999999997e-06f64.to_bits()
    );
}

#[test]
fn a_pricing_file_adds_and_replaces_models() {
    let table = table_with(
        r#"{
            "acme-coder-2": {"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06},
            "claude-sonnet-4-5": {"input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06,
                "cache_read_input_token_cost": 5e-08, "provider_specific_entry": {"fast": 3.0},
                "litellm_provider": "anthropic", "mode": "chat"},
            "ccsync_aliases": {"acme": "acme-coder-2"}
        }"#,
    );
    let t = TokenCounts {
        input: 1_000_000,
        output: 1_000_000,
        cache_creation_5m: 1_000_000,
        cache_creation_1h: 0,
        cache_read: 1_000_000,
    };
    // Added: missing cache prices default to 1.25 × and 0.1 × input.
    let acme = price_of(&table, "acme-coder-2").unwrap();
    assert_eq!(
        (acme.cache_write, acme.cache_read),
        (2e-06 * 1.25, 2e-06 * 0.1)
    );
    assert!(!acme.cache_read_listed);
    // ... and found like any key: inside a longer name, by an alias.
    assert_eq!(price_of(&table, "acme-coder-2[beta]"), Some(acme));
    assert_eq!(price_of(&table, "acme"), Some(acme));
    // Replaced as a whole (no above-200k rates any more), other keys untouched (the dated
    // one included: it is a key of its own).
    let sonnet = price_of(&table, "claude-sonnet-4-5[1m]").unwrap();
    assert_eq!(sonnet.input_above_200k, None);
    assert!((sonnet.cost(&t, true) - 3.0 * (1.0 + 5.0 + 1.25 + 0.05)).abs() < 1e-12);
    let sonnet_file = table.resolve("claude-sonnet-4-5").unwrap().entry;
    assert_eq!(sonnet_file.origin, Origin::PricingFile);
    let dated = price_of(&table, "claude-sonnet-4-5-20250929").unwrap();
    assert_eq!(Some(dated), lookup("claude-sonnet-4-5-20250929"));
    assert_eq!(dated.input_above_200k, Some(6e-06));
}

#[test]
fn litellm_files_load_as_they_are() {
    // LiteLLM's documentation entry, models without token prices, nulls: skipped quietly.
    let table = table_with(
        r#"{
            "sample_spec": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0,
                "max_input_tokens": "max input tokens, if the provider specifies it"},
            "dall-e-3": {"input_cost_per_pixel": 4e-08, "output_cost_per_token": 0.0},
            "half-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": null},
            "whole-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
                "cache_read_input_token_cost": null, "max_input_tokens": 128000}
        }"#,
    );
    assert!(table.primary.get("sample_spec").is_none());
    assert_eq!(table.skipped, ["dall-e-3", "half-model"]);
    let whole = table.primary.get("whole-model").unwrap();
    assert_eq!(whole.max_input_tokens, Some(128_000));
    assert!(!whole.price.cache_read_listed);
}

#[test]
fn a_malformed_pricing_file_says_where_and_what_to_do() {
    let cases = [
        (
            "{\n  \"m\": {\"input_cost_per_token\": 1e-06,,}\n}",
            "line 2, column 39:",
            "invalid JSON: key must be a string",
        ),
        (
            "{\n  \"m\": {\n    \"input_cost_per_token\": \"3e-6\",\n    \"output_cost_per_token\": 1e-05\n  }\n}",
            "line 3, column 29 (at [\"m\"].input_cost_per_token)",
            "expected a number (USD per token, e.g. 3e-06), got \"3e-6\"",
        ),
        (
            "{\"m\": {\"input_cost_per_token\": -1e-06, \"output_cost_per_token\": 1e-05}}",
            "line 1, column 32 (at [\"m\"].input_cost_per_token)",
            "expected a price of 0 or more",
        ),
        (
            "{\"m\": {\"input_cost_per_token\": 1e-06, \"output_cost_per_token\": 1e-05,\n \"provider_specific_entry\": {\"fast\": \"x2\"}}}",
            "line 2, column 38 (at [\"m\"].provider_specific_entry.fast)",
            "expected a number",
        ),
        (
            "[1, 2]",
            "line 1, column 1:",
            "expected an object of models",
        ),
        (
            "{\"ccsync_aliases\": {\"a\": 5}}",
            "line 1, column 26 (at [\"ccsync_aliases\"][\"a\"])",
            "expected the name of the model it prices as",
        ),
    ];
    for (text, place, message) in cases {
        let (f, read) = pricing_file(text);
        let error = read.expect_err(text).to_string();
        let path = f.path().display().to_string();
        assert!(
            error.contains(&format!("the pricing file {path}, ")),
            "{error}"
        );
        assert!(error.contains(place), "{error}");
        assert!(error.contains(message), "{error}");
        assert!(error.contains("fix: correct that value"), "{error}");
    }
    let missing = PricingFile::read(std::path::Path::new("/nonexistent/prices.json"));
    let error = missing.expect_err("missing").to_string();
    assert!(
        error.contains("cannot read the pricing file /nonexistent/prices.json"),
        "{error}"
    );
    assert!(
        error.contains("fix: correct the path in CCSYNC_PRICING_FILE"),
        "{error}"
    );
}

#[test]
fn a_pricing_file_can_change_the_fallback_and_exact_only_keys() {
    let table = table_with(
        r#"{"ccsync_fallback": {"claude-haiku-4-5-20251001": {"input_cost_per_token": 9e-06,
            "output_cost_per_token": 9e-06, "ccsync_exact_only": false}}}"#,
    );
    // The primary table still answers first.
    assert_eq!(
        price_of(&table, "claude-haiku-4-5-20251001").unwrap().input,
        1e-06
    );
    let entry = table.fallback.get("claude-haiku-4-5-20251001").unwrap();
    assert!(!entry.exact_only);
    assert_eq!(entry.origin, Origin::PricingFile);
}
