//! Integration tests against a real ClickHouse engine (see `common::server`).

mod common;
mod parity;
mod sync;
