//! OpenAI models: lookups and costs as ccusage's Codex report gives them. Each expected value
//! is the `costUSD` that `ccusage codex daily --json --offline` (20.0.24) printed for one
//! session of one request with these tokens (`--speed fast` for the fast ones).

use super::assert_usd;
use crate::price::*;

/// One request: `input` includes `cached`.
fn request(model: &str, input: u64, cached: u64, output: u64) -> CodexTokens {
    CodexTokens::request(
        input,
        cached,
        0,
        output,
        codex_long_context_threshold(model),
    )
}

fn standard(model: &str, input: u64, cached: u64, output: u64) -> Option<f64> {
    let t = request(model, input, cached, output);
    codex_cost(model, &t, &CodexTokens::default())
}

fn fast(model: &str, input: u64, cached: u64, output: u64) -> Option<f64> {
    let t = request(model, input, cached, output);
    codex_cost(model, &t, &t)
}

#[test]
fn gpt_5_family() {
    // 600k input × rate + 400k cached × cache read + 100k output × rate.
    for model in ["gpt-5", "gpt-5-codex", "gpt-5.1-codex", "gpt-5-2025-08-07"] {
        assert_usd(standard(model, 1_000_000, 400_000, 100_000).unwrap(), 1.8);
    }
    assert_usd(
        standard("gpt-5-mini", 1_000_000, 400_000, 100_000).unwrap(),
        0.36,
    );
    // Per-million input / cached / output, one bucket at a time (100k tokens).
    let rates = |model| {
        [
            standard(model, 100_000, 0, 0).map(|c| c * 10.0),
            standard(model, 100_000, 100_000, 0).map(|c| c * 10.0),
            standard(model, 0, 0, 100_000).map(|c| c * 10.0),
        ]
    };
    let expect = |model, [input, cached, output]: [f64; 3]| {
        let got = rates(model).map(|r| r.unwrap_or_else(|| panic!("{model} is priced")));
        for (got, expected) in got.into_iter().zip([input, cached, output]) {
            assert_usd(got, expected);
        }
    };
    expect("gpt-5.1-codex-max", [1.25, 0.125, 10.0]);
    expect("gpt-5.1-codex-mini", [0.25, 0.025, 2.0]);
    expect("gpt-5-nano", [0.05, 0.005, 0.4]);
    expect("gpt-5.2", [1.75, 0.175, 14.0]);
    expect("gpt-5.3-codex", [1.75, 0.175, 14.0]);
    expect("gpt-5.4", [2.5, 0.25, 15.0]);
    expect("gpt-5.5", [5.0, 0.5, 30.0]);
    expect("gpt-5.6", [4.0, 0.4, 20.0]);
    expect("gpt-4.1", [2.0, 0.5, 8.0]);
    expect("gpt-4.1-mini", [0.4, 0.1, 1.6]);
    expect("gpt-4o", [2.5, 1.25, 10.0]);
    // No cache-read price listed: cached input costs the input rate (not 0.1 ×).
    expect("gpt-oss-120b", [0.15, 0.15, 0.6]);
    expect("gpt-5-pro", [15.0, 15.0, 120.0]);
    // A Claude model read from a Codex log.
    expect("claude-sonnet-4-5", [3.0, 0.3, 15.0]);
}

#[test]
fn names_resolve_like_ccusage() {
    // Per million, from 100k tokens (below every long-context threshold).
    let input_rate = |model| standard(model, 100_000, 0, 0).map(|c| c * 10.0);
    // The longest key found in the name at word boundaries.
    assert_usd(input_rate("aide-gpt-5").unwrap(), 1.25);
    assert_usd(
        standard("aide-gpt-5", 1_000_000, 400_000, 100_000).unwrap(),
        1.8,
    );
    // The name inside a longer key: `o3` is `openrouter/openai/o3-mini:batch`, and
    // `openai/gpt-5` is `openrouter/openai/gpt-5-image-mini` (the longest, then the smallest).
    assert_usd(input_rate("o3").unwrap(), 0.55);
    assert_usd(standard("o3", 0, 0, 100_000).unwrap() * 10.0, 2.2);
    assert_usd(input_rate("openai/gpt-5").unwrap(), 2.5);
    assert_usd(standard("openai/gpt-5", 0, 0, 100_000).unwrap() * 10.0, 2.0);
    assert_usd(input_rate("azure/gpt-5").unwrap(), 1.25);
    // Aliases: to a fallback entry (exact-only there) and to a primary one.
    assert_usd(input_rate("gpt-5.3-spark").unwrap(), 1.75);
    assert_usd(input_rate("gpt-reserve").unwrap(), 0.2);
    // Unknown: no key matches (`codex-mini-latest` is not `…/codex-mini`), an alias is only
    // the whole name, another version number is another model.
    for model in [
        "codex-mini-latest",
        "gpt-9",
        "x-gpt-5.3-spark",
        "gpt-5.6-2026-01-01",
    ] {
        assert_eq!(input_rate(model), None, "{model}");
    }
}

#[test]
fn fast_and_priority_multipliers() {
    let t = (100_000, 0, 0);
    let ratio =
        |model| fast(model, t.0, t.1, t.2).unwrap() / standard(model, t.0, t.1, t.2).unwrap();
    for (model, multiplier) in [
        ("gpt-5", 1.0),
        ("gpt-5-codex", 1.0),
        ("gpt-5.3-codex", 2.0),
        ("gpt-5.3-codex-spark", 1.0),
        ("gpt-5.4", 2.0),
        ("gpt-5.5", 2.5),
        ("azure/gpt-5.5", 2.5),
        ("gpt-5.6", 2.0),
        ("gpt-reserve", 2.0),
        ("gpt-6-astra", 2.0),
        ("claude-opus-4-6", 6.0),
        ("claude-opus-4-8", 2.0),
    ] {
        assert_usd(ratio(model), multiplier);
    }
    assert_usd(fast("gpt-5.5", 100_000, 0, 0).unwrap(), 1.25);
}

#[test]
fn long_context_requests() {
    // 300k input (100k cached), 10k output: above GPT-5.4's 272k every token is at the long
    // rates (5 / 0.5 / 22.5); GPT-5 has no long rates.
    assert_usd(
        standard("gpt-5.4", 300_000, 100_000, 10_000).unwrap(),
        1.275,
    );
    assert_usd(standard("gpt-5.5", 300_000, 100_000, 10_000).unwrap(), 2.55);
    assert_usd(
        standard("gpt-5.6-sol", 300_000, 100_000, 10_000).unwrap(),
        1.98,
    );
    assert_usd(
        standard("gpt-6-astra", 300_000, 100_000, 10_000).unwrap(),
        4.95,
    );
    assert_usd(
        standard("azure/gpt-5.5", 300_000, 100_000, 10_000).unwrap(),
        2.55,
    );
    assert_usd(standard("gpt-5", 300_000, 100_000, 10_000).unwrap(), 0.3625);
    // No cache-read price at all: long cached input at the long input rate.
    assert_usd(
        standard("gpt-5.4-pro", 300_000, 100_000, 10_000).unwrap(),
        20.7,
    );
    // The boundary: more than 272,000 input tokens.
    assert_usd(
        standard("gpt-5.4", 272_000, 100_000, 10_000).unwrap(),
        0.605,
    );
    assert_usd(
        standard("gpt-5.4", 272_001, 100_000, 10_000).unwrap(),
        1.135005,
    );
    assert_eq!(codex_long_context_threshold("gpt-5.4-2026-03-05"), 272_000);
    assert_eq!(codex_long_context_threshold("gpt-5.6"), 272_000);
    assert_eq!(codex_long_context_threshold("gpt-5"), 200_000);
}

#[test]
fn openai_models_in_claude_code_transcripts() {
    // ccusage claude daily --mode calculate: the Claude rules with OpenAI prices. GPT-5.4's
    // models.dev tier is per request: 300k input, all at 5.
    let t = |input, c5m, read| TokenCounts {
        input,
        cache_creation_5m: c5m,
        cache_read: read,
        ..TokenCounts::default()
    };
    assert_usd(
        calculate_cost("gpt-5.4", &t(300_000, 0, 0), false).unwrap(),
        1.5,
    );
    assert_usd(
        calculate_cost("gpt-5.4", &t(150_000, 0, 150_000), false).unwrap(),
        0.825,
    );
    assert_usd(
        calculate_cost("gpt-5.4", &t(100_000, 0, 0), false).unwrap(),
        0.25,
    );
    // Cache writes: built-in entries list 1 × input; LiteLLM's omit it (1.25 ×).
    let write = |model| calculate_cost(model, &t(0, 1_000_000, 0), false).unwrap();
    assert_usd(write("gpt-5.1-codex"), 1.25);
    assert_usd(write("gpt-5.2"), 1.75);
    assert_usd(write("gpt-5"), 1.5625);
    assert_usd(write("gpt-5.3-codex"), 2.1875);
    // 1M cached tokens exceed GPT-5.6 Sol's 272k: the whole request at the long write rate.
    assert_usd(write("gpt-5.6-sol"), 10.0);
}
