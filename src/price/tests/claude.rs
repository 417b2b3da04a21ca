//! The hand-written table's tests, now tests of the data: the same expected numbers.

use super::{assert_usd, tokens};
use crate::price::resolve::contains_key;
use crate::price::*;

// Every expected value below is worked out by hand from the per-million
// prices in `prices.md` and was checked against ccusage 20.0.24
// (`claude daily|session --json --offline --mode calculate`).

fn cost(model: &str, t: TokenCounts, fast: bool) -> f64 {
    calculate_cost(model, &t, fast).unwrap_or_else(|| panic!("{model} should be priced"))
}

#[test]
fn every_bucket_at_its_own_rate() {
    // Opus 4.6 (5 / 25 / 6.25 / 0.50, no tier): 250k×5 + 1k×25 + 10k×6.25
    // + 300k×(2×5) + 500k×0.5 = 4,587,500 µ$.
    assert_usd(
        cost(
            "claude-opus-4-6",
            tokens(250_000, 1_000, 10_000, 300_000, 500_000),
            false,
        ),
        4.5875,
    );
    // Claude 3.5 Haiku (0.80 / 4 / 1 / 0.08): 10×0.8 + 20×4 + 5000×1 + 30×0.08.
    assert_usd(
        cost(
            "claude-3-5-haiku-20241022",
            tokens(10, 20, 5_000, 0, 30),
            false,
        ),
        0.0050904,
    );
    // Haiku 4.5: 1 + 5 + 1.25 + 2×1 + 0.1 per million each.
    let million = 1_000_000;
    assert_usd(
        cost(
            "claude-haiku-4-5",
            tokens(million, million, million, million, million),
            false,
        ),
        9.35,
    );
}

#[test]
fn one_hour_cache_writes_cost_twice_the_input_rate() {
    // Sonnet 4.6: 1M × 2 × 3.
    assert_usd(
        cost("claude-sonnet-4-6", tokens(0, 0, 0, 1_000_000, 0), false),
        6.0,
    );
    // Sonnet 4 tiers the 1h bucket too: 200k × 2×3 + 100k × 2×6.
    assert_usd(
        cost(
            "claude-sonnet-4-20250514",
            tokens(0, 0, 0, 300_000, 0),
            false,
        ),
        2.4,
    );
}

#[test]
fn above_200k_is_per_bucket() {
    // Sonnet 4.5: input 200k×3 + 100k×6; output 200k×15 + 50k×22.5;
    // 5m 200k×3.75 + 10k×7.5; 1h 200k×6 + 20k×12; read 200k×0.3 + 200k×0.6.
    assert_usd(
        cost(
            "claude-sonnet-4-5-20250929",
            tokens(300_000, 250_000, 210_000, 220_000, 400_000),
            false,
        ),
        7.77,
    );
    // The boundary: exactly 200k stays at base, one more token is at 6.
    let s45 = "claude-sonnet-4-5-20250929";
    assert_usd(cost(s45, tokens(200_000, 0, 0, 0, 0), false), 0.6);
    assert_usd(cost(s45, tokens(200_001, 0, 0, 0, 0), false), 0.600006);
    // Buckets are not summed: 150k input + 150k read stay at base.
    assert_usd(cost(s45, tokens(150_000, 0, 0, 0, 150_000), false), 0.495);
    // Models without a tier never switch.
    assert_usd(
        cost("claude-sonnet-4-6", tokens(300_000, 0, 0, 0, 0), false),
        0.9,
    );
    assert_usd(
        cost(
            "claude-3-5-sonnet-20241022",
            tokens(300_000, 0, 0, 0, 0),
            false,
        ),
        0.9,
    );
    assert_usd(
        cost(
            "claude-3-7-sonnet-20250219",
            tokens(300_000, 0, 0, 0, 0),
            false,
        ),
        0.9,
    );
}

#[test]
fn whole_request_tier_for_models_dev_spellings() {
    // `claude-opus-4-6@default` (models.dev): 5 / 25 / 6.25 / 0.5, and
    // 10 / 37.5 / 12.5 / 1 for all tokens once input + cache > 200k.
    let model = "claude-opus-4-6@default";
    assert_usd(
        cost(model, tokens(100_000, 1_000, 0, 0, 100_000), false),
        0.575,
    );
    assert_usd(
        cost(model, tokens(100_000, 1_000, 0, 0, 100_001), false),
        1.137501,
    );
}

#[test]
fn fast_multiplies_the_whole_cost() {
    // Opus 4.6: (1k×5 + 2k×25 + 3k×10 + 4k×0.5) × 6.
    assert_usd(
        cost(
            "claude-opus-4-6",
            tokens(1_000, 2_000, 0, 3_000, 4_000),
            true,
        ),
        0.522,
    );
    // 1k in + 1k out = 0.03 at 5/25; 0.09 at 15/75.
    assert_usd(
        cost("claude-opus-4-7", tokens(1_000, 1_000, 0, 0, 0), true),
        0.18,
    );
    assert_usd(
        cost("claude-opus-4-8", tokens(1_000, 1_000, 0, 0, 0), true),
        0.06,
    );
    assert_usd(
        cost("claude-opus-5", tokens(1_000, 1_000, 0, 0, 0), true),
        0.06,
    );
    assert_usd(
        cost(
            "claude-opus-4-5-20251101",
            tokens(1_000, 1_000, 0, 0, 0),
            true,
        ),
        0.03,
    );
    assert_usd(
        cost(
            "claude-opus-4-1-20250805",
            tokens(1_000, 1_000, 0, 0, 0),
            true,
        ),
        0.09,
    );
    assert_usd(
        cost("claude-sonnet-4-5", tokens(1_000, 100, 0, 0, 0), true),
        0.0045,
    );
    assert_usd(
        cost("claude-opus-4-6", tokens(1_000, 1_000, 0, 0, 0), false),
        0.03,
    );
}

#[test]
fn name_forms() {
    let t = tokens(1_000, 1_000, 0, 0, 0);
    // Dated and undated names share prices.
    assert_usd(cost("claude-opus-4-20250514", t, false), 0.09);
    assert_usd(cost("claude-3-opus-20240229", t, false), 0.09);
    assert_usd(
        cost(
            "claude-sonnet-4-20250514",
            tokens(1_000_000, 0, 0, 0, 0),
            false,
        ),
        5.4,
    );
    // Suffixes and prefixes resolve to the model they contain.
    assert_usd(cost("claude-opus-4-6[1m]", t, true), 0.18);
    assert_usd(cost("anthropic/claude-opus-4-6", t, true), 0.18);
    assert_usd(cost("claude-opus-4.6", t, false), 0.03);
    // Bedrock regional ids have their own prices: 200k×3.3 + 800k×6.6.
    assert_usd(
        cost(
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            tokens(1_000_000, 0, 0, 0, 0),
            false,
        ),
        5.94,
    );
    // Claude 3 Haiku: 0.25 + 1.25 + 0.30 + 0.03.
    let m = 1_000_000;
    assert_usd(
        cost("claude-3-haiku-20240307", tokens(m, m, m, 0, m), false),
        1.83,
    );
    assert_usd(cost("claude-sonnet-5", tokens(m, 0, 0, 0, 0), false), 2.0);
    assert_usd(cost("claude-fable-5", tokens(m, m, 0, 0, 0), false), 60.0);
    assert_usd(cost("claude-fable-5-1", tokens(0, 0, 0, 0, m), false), 0.25);
    // A different version number is a different (unknown) model; so is case.
    assert_eq!(calculate_cost("claude-opus-4-0", &t, false), None);
    assert_eq!(calculate_cost("claude-sonnet-4-0", &t, false), None);
    assert_eq!(calculate_cost("CLAUDE-OPUS-4-6", &t, false), None);
    // Not a Claude model, but priced since the data holds OpenAI's (the hand-written table
    // had only Claude keys and called it unknown); ccusage: 0.09000000000000001.
    assert_usd(cost("gpt-4", t, false), 0.09);
}

#[test]
fn lookup_returns_table_prices() {
    let p = lookup("claude-sonnet-4-5-20250929").expect("known");
    assert_eq!(
        (p.input, p.output, p.cache_write, p.cache_read),
        (3e-6, 15e-6, 3.75e-6, 0.3e-6)
    );
    assert_eq!(p.input_above_200k, Some(6e-6));
    assert_eq!(p.whole_request_threshold, None);
    assert_eq!(
        lookup("claude-opus-4-6").map(|p| p.fast_multiplier),
        Some(6.0)
    );
    assert!(lookup(SYNTHETIC_MODEL).is_none());
    // Cached answers are the same.
    assert_eq!(lookup("claude-opus-4-6[1m]"), lookup("claude-opus-4-6[1m]"));
}

#[test]
fn total_counts_every_bucket() {
    assert_eq!(tokens(1, 2, 3, 4, 5).total(), 15);
    assert_eq!(tokens(u64::MAX, 1, 0, 0, 0).total(), u64::MAX);
}

#[test]
fn display_names() {
    assert_eq!(
        display_model("claude-opus-4-6", true),
        "claude-opus-4-6-fast"
    );
    assert_eq!(display_model("claude-opus-4-6", false), "claude-opus-4-6");
    // ccusage appends blindly.
    assert_eq!(
        display_model("claude-opus-4-6-fast", true),
        "claude-opus-4-6-fast-fast"
    );
}

#[test]
fn version_boundaries() {
    assert!(contains_key("claude-opus-4-6[1m]", "claude-opus-4-6"));
    assert!(contains_key("claude-opus-4-6-20260205", "claude-opus-4-6"));
    assert!(!contains_key("claude-opus-4-60", "claude-opus-4-6"));
    assert!(!contains_key("claude-opus-4-6-1", "claude-opus-4-6"));
    assert!(!contains_key("xclaude-opus-4-6", "claude-opus-4-6"));
    assert!(contains_key("claude-opus-4-6-v1", "claude-opus-4-6"));
}
