//! Integration tests against a real ClickHouse engine (see `common::server`).

mod cli;
mod common;
mod parity;
mod queries;
mod sync;
