use super::super::line::parse;
use super::*;

/// (input, cached, output, reasoning, total, model, fallback) of one counted request.
type Seen = (u64, u64, u64, u64, u64, String, bool);

/// The requests `lines` count.
fn counted(lines: &[&str]) -> Vec<Seen> {
    let mut c = Counters::default();
    lines
        .iter()
        .filter_map(|l| c.apply(parse(l.as_bytes()).unwrap()))
        .map(|e| {
            let u = e.usage;
            (
                u.input,
                u.cached,
                u.output,
                u.reasoning,
                u.total,
                e.model,
                e.is_fallback_model,
            )
        })
        .collect()
}

fn tc(second: u32, total: Option<[u64; 4]>, last: Option<[u64; 4]>) -> String {
    let u = |[i, c, o, r]: [u64; 4]| {
        format!(
            r#"{{"input_tokens":{i},"cached_input_tokens":{c},"output_tokens":{o},"reasoning_output_tokens":{r},"total_tokens":{}}}"#,
            i + o
        )
    };
    let mut info = Vec::new();
    if let Some(t) = total {
        info.push(format!(r#""total_token_usage":{}"#, u(t)));
    }
    if let Some(l) = last {
        info.push(format!(r#""last_token_usage":{}"#, u(l)));
    }
    format!(
        r#"{{"timestamp":"2026-01-05T10:00:{second:02}Z","type":"event_msg","payload":{{"type":"token_count","info":{{{}}}}}}}"#,
        info.join(",")
    )
}

const CTX: &str = r#"{"type":"turn_context","payload":{"model":"gpt-5"}}"#;

#[test]
fn doubled_events_count_once_and_last_wins_over_the_total() {
    // ccusage (docs/ccusage-compat.md, Codex): 3611 input, 601 cached, 92 output, 25 reasoning.
    let lines = [
        CTX.to_string(),
        r#"{"timestamp":"2026-01-05T10:00:01Z","type":"event_msg","payload":{"type":"token_count","info":null}}"#.into(),
        tc(2, Some([1000, 100, 50, 10]), Some([1000, 100, 50, 10])),
        tc(3, Some([1000, 100, 50, 10]), Some([1000, 100, 50, 10])),
        tc(4, Some([3000, 600, 80, 20]), Some([1500, 400, 20, 5])),
        tc(5, Some([3000, 600, 80, 20]), Some([7, 7, 7, 7])),
        tc(6, Some([4000, 700, 100, 30]), None),
        tc(7, None, Some([11, 1, 1, 0])),
        tc(9, Some([4100, 700, 101, 30]), Some([100, 0, 1, 0])),
    ];
    let got = counted(&lines.iter().map(String::as_str).collect::<Vec<_>>());
    let sum = |f: fn(&Seen) -> u64| got.iter().map(f).sum::<u64>();
    assert_eq!(got.len(), 5);
    assert_eq!(
        (sum(|e| e.0), sum(|e| e.1), sum(|e| e.2), sum(|e| e.3)),
        (3611, 601, 92, 25)
    );
    assert_eq!(sum(|e| e.4), 3703);
}

#[test]
fn totals_alone_count_their_growth_floored_at_zero() {
    let lines = [
        tc(1, Some([1000, 0, 100, 0]), None),
        tc(2, Some([500, 0, 150, 0]), None),
        tc(3, Some([600, 0, 150, 0]), None),
    ];
    let got = counted(&lines.iter().map(String::as_str).collect::<Vec<_>>());
    let inputs: Vec<_> = got.iter().map(|e| (e.0, e.2)).collect();
    assert_eq!(inputs, [(1000, 100), (0, 50), (100, 0)]);
}

#[test]
fn models_fall_back_to_gpt_5_and_follow_turn_contexts() {
    let switch = r#"{"type":"turn_context","payload":{"model":"gpt-5.2"}}"#;
    let own = r#"{"timestamp":"2026-01-05T10:00:08Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":3},"model":"gpt-5.4"}}}"#;
    let a = tc(1, None, Some([1, 0, 0, 0]));
    let b = tc(2, None, Some([2, 0, 0, 0]));
    let c = tc(9, None, Some([4, 0, 0, 0]));
    let got = counted(&[&a, switch, &b, own, &c]);
    let models: Vec<_> = got.iter().map(|e| (e.5.as_str(), e.6)).collect();
    assert_eq!(
        models,
        [
            ("gpt-5", true),
            ("gpt-5.2", false),
            ("gpt-5.4", false),
            ("gpt-5.4", false)
        ]
    );
}

#[test]
fn auto_review_is_dated_and_a_fallback() {
    let review = r#"{"type":"turn_context","payload":{"model":"codex-auto-review"}}"#;
    let at = |date: &str| {
        format!(
            r#"{{"timestamp":"{date}T10:00:00Z","type":"event_msg","payload":{{"type":"token_count","info":{{"last_token_usage":{{"input_tokens":1}}}}}}}}"#
        )
    };
    let (a, b, c) = (at("2026-03-04"), at("2026-03-05"), at("2025-01-01"));
    let got = counted(&[review, &a, &b, &c]);
    let models: Vec<_> = got.iter().map(|e| (e.5.as_str(), e.6)).collect();
    assert_eq!(
        models,
        [("gpt-5.3-codex", true), ("gpt-5.4", true), ("gpt-5", true)]
    );
}

#[test]
fn zero_requests_and_untimed_events_count_nothing() {
    let untimed = r#"{"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":5}}}}"#;
    let only_total = tc(2, None, Some([0, 0, 0, 0]));
    let after = tc(3, Some([5, 0, 0, 0]), None);
    // The untimed event did not move the total: the next one counts all 5.
    let got = counted(&[untimed, &only_total, &after]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, 5);
}

#[test]
fn the_tier_is_the_last_recorded_one() {
    let set = |v: &str| {
        format!(
            r#"{{"type":"event_msg","payload":{{"type":"thread_settings_applied","thread_settings":{{"service_tier":{v}}}}}}}"#
        )
    };
    let mut c = Counters::default();
    let mut tiers = Vec::new();
    for l in [
        set(r#""fast""#),
        tc(1, None, Some([1, 0, 0, 0])),
        set("null"),
        tc(2, None, Some([1, 0, 0, 0])),
        set(r#""flex""#),
        tc(3, None, Some([1, 0, 0, 0])),
        set(r#""standard""#),
        tc(4, None, Some([1, 0, 0, 0])),
    ] {
        if let Some(e) = c.apply(parse(l.as_bytes()).unwrap()) {
            tiers.push(e.tier);
        }
    }
    assert_eq!(
        tiers,
        [
            Some(Tier::Fast),
            Some(Tier::Fast),
            None,
            Some(Tier::Standard)
        ]
    );
}

#[test]
fn cached_tokens_never_exceed_input() {
    let got = counted(&[&tc(1, None, Some([100, 300, 10, 0]))]);
    assert_eq!((got[0].0, got[0].1), (100, 100));
}
