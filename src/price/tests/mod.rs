//! Tests of the data and the rules: Claude responses (`claude.rs` and `modes.rs`, the former
//! hand-written table's tests, same numbers), OpenAI usage (`openai.rs`), price files and the
//! pricing file (`file.rs`). Every expected cost was printed by ccusage 20.0.24 (`--offline`)
//! for the same tokens. `tests/it/parity_prices.rs` checks every key against the binary.

mod claude;
mod file;
mod modes;
mod openai;

use crate::price::TokenCounts;

/// Claude token counts: input, output, 5-minute and 1-hour cache writes, cache reads.
pub(super) fn tokens(input: u64, output: u64, c5m: u64, c1h: u64, read: u64) -> TokenCounts {
    TokenCounts {
        input,
        output,
        cache_creation_5m: c5m,
        cache_creation_1h: c1h,
        cache_read: read,
    }
}

/// Costs equal to 1e-12 (relative above $1): the sums are ccusage's, their order may differ.
#[track_caller]
pub(super) fn assert_usd(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0),
        "got {actual}, expected {expected}"
    );
}
