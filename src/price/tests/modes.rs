//! `message_cost` in each cost mode, with the source of its cost (a logged cost must survive a
//! re-pricing), `<synthetic>`, lines without a model and unknown models.

use super::{assert_usd, tokens};
use crate::price::*;

#[test]
fn cost_mode_names_round_trip() {
    for mode in [CostMode::Auto, CostMode::Calculate, CostMode::Display] {
        assert_eq!(mode.to_string().parse::<CostMode>(), Ok(mode));
    }
    assert_eq!("calculate".parse(), Ok(CostMode::Calculate));
    assert!("Auto".parse::<CostMode>().is_err());
    assert_eq!(CostMode::default(), CostMode::Auto);
}

#[test]
fn synthetic_and_unknown_models() {
    let t = tokens(1_000, 100, 0, 0, 0);
    assert_eq!(calculate_cost(SYNTHETIC_MODEL, &t, false), Some(0.0));
    let unknown = message_cost(CostMode::Calculate, None, "claude-opus-4-0", &t, false);
    assert_eq!(
        unknown,
        Cost {
            usd: 0.0,
            unknown_model: true,
            source: CostSource::Calculated,
        }
    );
    let empty = message_cost(
        CostMode::Auto,
        None,
        "claude-opus-4-0",
        &TokenCounts::default(),
        false,
    );
    assert_eq!(
        empty,
        Cost {
            usd: 0.0,
            unknown_model: false,
            source: CostSource::Calculated,
        }
    );
    let synthetic = message_cost(CostMode::Auto, None, SYNTHETIC_MODEL, &t, false);
    assert_eq!(
        synthetic,
        Cost {
            usd: 0.0,
            unknown_model: false,
            source: CostSource::Calculated,
        }
    );
    // A line without a model: tokens, no cost, no unknown model (as ccusage).
    assert!(lookup("").is_none());
    assert_eq!(
        message_cost(CostMode::Calculate, None, "", &t, false),
        Cost {
            usd: 0.0,
            unknown_model: false,
            source: CostSource::Calculated,
        }
    );
}

#[test]
fn cost_modes() {
    // Haiku 4.5, 100 in + 100 out = 0.0006 calculated; the line says 0.123.
    let t = tokens(100, 100, 0, 0, 0);
    let model = "claude-haiku-4-5-20251001";
    let usd = |mode, reported| message_cost(mode, reported, model, &t, false).usd;
    assert_usd(usd(CostMode::Auto, Some(0.123)), 0.123);
    assert_usd(usd(CostMode::Auto, None), 0.0006);
    assert_usd(usd(CostMode::Calculate, Some(0.123)), 0.0006);
    assert_usd(usd(CostMode::Display, Some(0.123)), 0.123);
    assert_usd(usd(CostMode::Display, None), 0.0);
    // costUSD is taken as is, even for fast or unknown models.
    let fast = message_cost(CostMode::Auto, Some(0.5), "claude-opus-4-7", &t, true);
    assert_eq!(
        fast,
        Cost {
            usd: 0.5,
            unknown_model: false,
            source: CostSource::Logged,
        }
    );
    let unknown = message_cost(CostMode::Display, None, "nope", &t, false);
    assert_eq!(
        unknown,
        Cost {
            usd: 0.0,
            unknown_model: false,
            source: CostSource::Display,
        }
    );
}

#[test]
fn day_totals_match_ccusage_in_every_mode() {
    // One crafted day; ccusage reports 13.0651904 / 13.5075904 / 0.623.
    let lines: [(&str, TokenCounts, bool, Option<f64>); 8] = [
        (
            "claude-opus-4-6",
            tokens(250_000, 1_000, 10_000, 300_000, 500_000),
            false,
            None,
        ),
        (
            "claude-sonnet-4-5-20250929",
            tokens(300_000, 250_000, 210_000, 220_000, 400_000),
            false,
            None,
        ),
        (
            "claude-opus-4-6",
            tokens(1_000, 2_000, 0, 3_000, 4_000),
            true,
            None,
        ),
        (
            "claude-haiku-4-5-20251001",
            tokens(100, 100, 0, 0, 0),
            false,
            Some(0.123),
        ),
        (
            "claude-3-5-haiku-20241022",
            tokens(10, 20, 5_000, 0, 30),
            false,
            None,
        ),
        (SYNTHETIC_MODEL, TokenCounts::default(), false, None),
        ("claude-opus-4-0", tokens(1_000, 0, 0, 0, 0), false, None),
        (
            "claude-opus-4-7",
            tokens(1_000, 1_000, 0, 0, 0),
            true,
            Some(0.5),
        ),
    ];
    let total = |mode| -> f64 {
        lines
            .iter()
            .map(|(model, t, fast, reported)| message_cost(mode, *reported, model, t, *fast).usd)
            .sum()
    };
    assert_usd(total(CostMode::Calculate), 13.0651904);
    assert_usd(total(CostMode::Auto), 13.5075904);
    assert_usd(total(CostMode::Display), 0.623);
}
