//! Micro-benchmarks of the pricing step (`cargo bench --bench price`): the cost of one response
//! as the collector computes it (`price::message_cost`), for the common cases and the
//! expensive-looking ones (tiers above 200k, fast mode, a provider id that needs the fuzzy
//! match, an unknown model), and a realistic mix of responses.

use std::hint::black_box;

use ccsync::price::{self, CostMode, TokenCounts};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const TYPICAL: TokenCounts = TokenCounts {
    input: 4,
    output: 312,
    cache_creation_5m: 0,
    cache_creation_1h: 1_834,
    cache_read: 84_211,
};
const LONG_CONTEXT: TokenCounts = TokenCounts {
    input: 12,
    output: 900,
    cache_creation_5m: 30_000,
    cache_creation_1h: 0,
    cache_read: 420_000,
};

/// One priced response: (name, mode, costUSD, model, tokens, fast).
struct Case {
    name: &'static str,
    mode: CostMode,
    reported: Option<f64>,
    model: &'static str,
    tokens: TokenCounts,
    fast: bool,
}

const fn case(name: &'static str, model: &'static str, tokens: TokenCounts) -> Case {
    Case {
        name,
        mode: CostMode::Auto,
        reported: None,
        model,
        tokens,
        fast: false,
    }
}

fn single(c: &mut Criterion) {
    let cases = [
        case("opus_4_6", "claude-opus-4-6", TYPICAL),
        Case {
            fast: true,
            ..case("opus_4_6_fast", "claude-opus-4-6", TYPICAL)
        },
        Case {
            mode: CostMode::Calculate,
            ..case(
                "sonnet_4_5_above_200k",
                "claude-sonnet-4-5-20250929",
                LONG_CONTEXT,
            )
        },
        case(
            "bedrock_id",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            TYPICAL,
        ),
        case("alias_1m", "claude-opus-4-6[1m]", TYPICAL),
        Case {
            reported: Some(0.0123),
            ..case("reported_cost_usd", "claude-opus-4-6", TYPICAL)
        },
        case("unknown_model", "claude-opus-9-9", TYPICAL),
    ];
    let mut group = c.benchmark_group("message_cost");
    for k in &cases {
        // Known models must price above zero, the unknown one must be flagged.
        let cost = price::message_cost(k.mode, k.reported, k.model, &k.tokens, k.fast);
        assert_eq!(cost.unknown_model, k.name == "unknown_model", "{}", k.name);
        assert!(cost.usd > 0.0 || cost.unknown_model, "{}", k.name);
        group.bench_function(k.name, |b| {
            b.iter(|| {
                price::message_cost(
                    black_box(k.mode),
                    black_box(k.reported),
                    black_box(k.model),
                    black_box(&k.tokens),
                    black_box(k.fast),
                )
            })
        });
    }
    group.finish();
}

/// 1,000 responses in the proportions of a heavy user's month, priced one after the other.
fn mix(c: &mut Criterion) {
    const MODELS: [&str; 5] = [
        "claude-opus-4-6",
        "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5-20251001",
        "claude-sonnet-4-6",
        "claude-opus-4-1-20250805",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let responses: Vec<(&str, TokenCounts, bool)> = (0..1000)
        .map(|_| {
            let model = MODELS[next(MODELS.len() as u64) as usize];
            let context = if next(10) == 0 { 800_000 } else { 160_000 };
            let tokens = TokenCounts {
                input: 1 + next(60),
                output: 20 + next(2_500),
                cache_creation_5m: next(2) * next(20_000),
                cache_creation_1h: next(2) * next(20_000),
                cache_read: next(context),
            };
            (model, tokens, model == "claude-opus-4-6" && next(10) == 0)
        })
        .collect();
    let mut group = c.benchmark_group("message_cost_mix");
    group.throughput(Throughput::Elements(responses.len() as u64));
    group.bench_function("1000_responses", |b| {
        b.iter(|| {
            responses
                .iter()
                .map(|(model, tokens, fast)| {
                    price::message_cost(CostMode::Auto, None, black_box(model), tokens, *fast).usd
                })
                .sum::<f64>()
        })
    });
    group.bench_function("display_model", |b| {
        b.iter(|| {
            responses
                .iter()
                .map(|(model, _, fast)| price::display_model(black_box(model), *fast).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, single, mix);
criterion_main!(benches);
