//! Tests of the data and the rules: Claude responses (`claude.rs` and `modes.rs`, the former
//! hand-written table's tests, same numbers), OpenAI usage (`openai.rs`), price files and the
//! pricing file (`file.rs`). Every expected cost was printed by ccusage 20.0.24 (`--offline`)
//! for the same tokens. `tests/it/parity_prices.rs` checks every key against the binary.

mod claude;
mod file;
mod modes;
mod openai;
