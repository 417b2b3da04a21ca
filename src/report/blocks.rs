//! 5-hour billing blocks as `ccusage claude blocks` 20.0.24 computes them
//! (docs/ccusage-compat.md, §9): rows in time order; a block starts at its first row's UTC
//! hour and takes rows until one comes more than the session length after the block's start
//! or after the previous row; a gap longer than the session length is a gap block of its own
//! (from the last row + the length to the next row). Blocks are listed by start. The active
//! block (its last row less than a session length ago, its end still ahead) gets a burn rate
//! and a projection to its end. `--since`/`--until` keep the blocks whose start is in range
//! (in the zone): blocks are built from every row first.

use super::aggregate::Tokens;
use super::period::{DateRange, Zone};
use super::rows::Rows;

const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: f64 = 60_000.0;

/// `--token-limit`: a number of tokens, or `max`: the most any finished block used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TokenLimit {
    Tokens(u64),
    Max,
}

/// What selects and shapes the blocks.
#[derive(Debug, Clone)]
pub(crate) struct BlockOptions {
    pub zone: Zone,
    pub range: DateRange,
    /// The block length (`--session-length`, hours), in milliseconds.
    pub length_ms: i64,
    /// The moment "now" is (the active block, its projection, `--recent`).
    pub now_ms: i64,
    pub active_only: bool,
    pub recent: bool,
    pub token_limit: Option<TokenLimit>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BurnRate {
    pub cost_per_hour: f64,
    pub tokens_per_minute: f64,
    /// Input and output tokens only.
    pub tokens_per_minute_for_indicator: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Projection {
    pub remaining_minutes: i64,
    /// Rounded to the cent.
    pub total_cost: f64,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LimitStatus {
    pub limit: u64,
    /// `None` for a limit of 0.
    pub percent_used: Option<f64>,
    pub projected_usage: u64,
    /// `ok`, `warning` (above 80%) or `exceeds` (above 100%).
    pub status: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    pub start_ms: i64,
    pub end_ms: i64,
    /// The first row's time (the start for a gap).
    pub first_ms: i64,
    /// The last row's time (`None` for a gap).
    pub actual_end_ms: Option<i64>,
    pub is_gap: bool,
    pub is_active: bool,
    pub entries: usize,
    pub tokens: Tokens,
    pub cost_usd: f64,
    /// Listed models in time order.
    pub models: Vec<String>,
    /// The machines its rows were read on, in time order.
    pub machines: Vec<String>,
    pub burn_rate: Option<BurnRate>,
    pub projection: Option<Projection>,
    pub limit: Option<LimitStatus>,
}

impl Block {
    pub(crate) fn total_tokens(&self) -> u64 {
        self.tokens.total()
    }

    fn gap(start_ms: i64, end_ms: i64) -> Block {
        Block {
            start_ms,
            end_ms,
            first_ms: start_ms,
            actual_end_ms: None,
            is_gap: true,
            is_active: false,
            entries: 0,
            tokens: Tokens::default(),
            cost_usd: 0.0,
            models: Vec::new(),
            machines: Vec::new(),
            burn_rate: None,
            projection: None,
            limit: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BlocksReport {
    pub zone: String,
    pub blocks: Vec<Block>,
}

/// The blocks of `rows`, selected by `opts`, in ascending order of start.
pub(crate) fn blocks(rows: &Rows, opts: &BlockOptions) -> BlocksReport {
    let mut all = build(rows, opts);
    let recent_from = opts.now_ms.saturating_sub(3 * 24 * HOUR_MS);
    all.retain(|b| {
        opts.range.contains(opts.zone.day_of(b.start_ms))
            && (!opts.recent || b.start_ms >= recent_from || b.is_active)
            && (!opts.active_only || b.is_active)
    });
    // `max`: the most a finished block of those listed used; none listed, no limit (as
    // ccusage: `--active -t max` shows no limit status).
    let limit = opts.token_limit.and_then(|l| match l {
        TokenLimit::Tokens(n) => Some(n),
        TokenLimit::Max => (all.iter())
            .filter(|b| !b.is_gap && !b.is_active)
            .map(Block::total_tokens)
            .max(),
    });
    for b in all.iter_mut().filter(|b| b.is_active) {
        activate(b, opts.now_ms, limit);
    }
    BlocksReport {
        zone: opts.zone.name().to_string(),
        blocks: all,
    }
}

/// Every block and gap, sorted by start (a gap before a block starting at the same time).
fn build(rows: &Rows, opts: &BlockOptions) -> Vec<Block> {
    let all = rows.rows();
    let mut order: Vec<u32> = (0..all.len() as u32).collect();
    // The index breaks ties as a stable sort would, without its scratch copy.
    order.sort_unstable_by_key(|&i| (all[i as usize].timestamp_ms, i));
    let len = opts.length_ms;
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for i in order {
        let r = &all[i as usize];
        let ts = r.timestamp_ms;
        if let Some(b) = current.take_if(|b| {
            let last = b.actual_end_ms.unwrap_or(b.start_ms);
            ts.saturating_sub(b.start_ms) > len || ts.saturating_sub(last) > len
        }) {
            let last = b.actual_end_ms.unwrap_or(b.start_ms);
            out.push(finish(b, opts.now_ms, len));
            if ts.saturating_sub(last) > len {
                out.push(Block::gap(last.saturating_add(len), ts));
            }
        }
        let b = current.get_or_insert_with(|| {
            let start = ts.div_euclid(HOUR_MS) * HOUR_MS;
            Block {
                end_ms: start.saturating_add(len),
                first_ms: ts,
                actual_end_ms: Some(ts),
                is_gap: false,
                ..Block::gap(start, start)
            }
        });
        b.entries += 1;
        b.actual_end_ms = Some(ts);
        add_tokens(&mut b.tokens, &r.tokens);
        b.cost_usd += r.cost_usd;
        let push_new = |list: &mut Vec<String>, name: &str| {
            if !list.iter().any(|m| m == name) {
                list.push(name.to_string());
            }
        };
        if let Some(m) = r.model {
            push_new(&mut b.models, rows.name(m));
        }
        push_new(&mut b.machines, rows.name(r.machine));
    }
    if let Some(b) = current {
        out.push(finish(b, opts.now_ms, len));
    }
    // Stable: a gap pushed before the block that follows it stays first on a tie.
    out.sort_by_key(|b| b.start_ms);
    out
}

fn add_tokens(sum: &mut Tokens, t: &Tokens) {
    sum.input = sum.input.saturating_add(t.input);
    sum.output = sum.output.saturating_add(t.output);
    sum.cache_creation = sum.cache_creation.saturating_add(t.cache_creation);
    sum.cache_read = sum.cache_read.saturating_add(t.cache_read);
}

/// A block whose rows are all in: whether it is active, and its burn rate if so.
fn finish(mut b: Block, now_ms: i64, len: i64) -> Block {
    let last_ms = b.actual_end_ms.unwrap_or(b.start_ms);
    b.is_active = now_ms.saturating_sub(last_ms) < len && now_ms < b.end_ms;
    if b.is_active {
        b.burn_rate = burn_rate(&b, b.first_ms, last_ms);
    }
    b
}

fn burn_rate(b: &Block, first_ms: i64, last_ms: i64) -> Option<BurnRate> {
    let minutes = (last_ms - first_ms) as f64 / MINUTE_MS;
    if minutes <= 0.0 {
        return None;
    }
    let io = b.tokens.input.saturating_add(b.tokens.output);
    Some(BurnRate {
        cost_per_hour: b.cost_usd / minutes * 60.0,
        tokens_per_minute: b.total_tokens() as f64 / minutes,
        tokens_per_minute_for_indicator: io as f64 / minutes,
    })
}

/// The active block's projection to its end (from the remaining minutes, rounded first, as
/// ccusage does) and its use of the token limit.
fn activate(b: &mut Block, now_ms: i64, limit: Option<u64>) {
    if let Some(rate) = &b.burn_rate {
        let remaining = ((b.end_ms - now_ms) as f64 / MINUTE_MS).round().max(0.0);
        let tokens = b.total_tokens() as f64 + rate.tokens_per_minute * remaining;
        let cost = b.cost_usd + rate.cost_per_hour / 60.0 * remaining;
        b.projection = Some(Projection {
            remaining_minutes: remaining as i64,
            total_cost: (cost * 100.0).round() / 100.0,
            total_tokens: tokens.round() as u64,
        });
    }
    if let Some(limit) = limit {
        let projected = b
            .projection
            .as_ref()
            .map_or(b.total_tokens(), |p| p.total_tokens);
        let percent = projected as f64 / limit as f64 * 100.0;
        b.limit = Some(LimitStatus {
            limit,
            percent_used: percent.is_finite().then_some(percent),
            projected_usage: projected,
            status: if percent > 100.0 {
                "exceeds"
            } else if percent > 80.0 {
                "warning"
            } else {
                "ok"
            },
        });
    }
}
