use super::*;

fn tc(line: &str) -> Record {
    parse(line.as_bytes()).expect("parses")
}

#[test]
fn token_counts_read_both_counters_leniently() {
    let r = tc(
        r#"{"timestamp":"2026-01-05T10:00:02Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":"1000","cached_input_tokens":100,"output_tokens":50,"reasoning_output_tokens":10,"total_tokens":1050},"last_token_usage":{"prompt_tokens":7,"cached_tokens":1.5,"completion_tokens":-3},"model":"gpt-5.2"}}}"#,
    );
    let Record::TokenCount {
        stamp,
        total,
        last,
        model,
    } = r
    else {
        panic!("{r:?}")
    };
    assert_eq!(stamp.unwrap().ms, Some(1_767_607_202_000));
    let total = total.unwrap();
    assert_eq!(
        (total.input, total.cached, total.output, total.total),
        (1000, 100, 50, 1050)
    );
    // Aliases count; a float or a negative number is 0; no total: input + output.
    assert_eq!(
        last,
        Some(RawUsage {
            input: 7,
            total: 7,
            ..RawUsage::default()
        })
    );
    assert_eq!(model.as_deref(), Some("gpt-5.2"));
}

#[test]
fn a_null_info_or_a_non_object_counter_counts_nothing() {
    let r = tc(
        r#"{"timestamp":"2026-01-05T10:00:02Z","type":"event_msg","payload":{"type":"token_count","info":null,"rate_limits":{}}}"#,
    );
    assert!(
        matches!(
            r,
            Record::TokenCount {
                total: None,
                last: None,
                ..
            }
        ),
        "{r:?}"
    );
    let r = tc(
        r#"{"timestamp":"2026-01-05T10:00:02Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":"x"}}}"#,
    );
    assert!(matches!(r, Record::TokenCount { last: None, .. }), "{r:?}");
}

#[test]
fn timestamps_as_ccusage_reads_them() {
    let stamp = |ts: &str| match tc(&format!(
        r#"{{"timestamp":{ts},"type":"event_msg","payload":{{"type":"token_count"}}}}"#
    )) {
        Record::TokenCount { stamp, .. } => stamp,
        other => panic!("{other:?}"),
    };
    assert_eq!(stamp("1767607201").unwrap().ms, Some(1_767_607_201_000));
    assert_eq!(stamp("1767607201000").unwrap().ms, Some(1_767_607_201_000));
    assert_eq!(
        stamp(r#"" 2026-01-05T10:00:01.000Z ""#).unwrap().ms,
        Some(1_767_607_201_000)
    );
    // Present but rejected: ccusage stops its report there; ccsync reports the line.
    let micro = stamp(r#""2026-01-05T10:00:01.123456Z""#).unwrap();
    assert_eq!(
        (micro.ms, micro.written_date.as_deref()),
        (None, Some("2026-01-05"))
    );
    assert_eq!(stamp(r#""""#), None);
    assert!(parse(br#"{"timestamp":true,"type":"event_msg"}"#).is_none());
}

#[test]
fn models_and_tiers_come_from_their_own_lines() {
    let ctx = |p: &str| tc(&format!(r#"{{"type":"turn_context","payload":{p}}}"#));
    assert_eq!(
        ctx(r#"{"model":" gpt-5.2 "}"#),
        Record::TurnContext {
            model: Some("gpt-5.2".into())
        }
    );
    assert_eq!(
        ctx(r#"{"model":"","model_name":"x"}"#),
        Record::TurnContext {
            model: Some("x".into())
        }
    );
    assert_eq!(
        ctx(r#"{"metadata":{"model":"m"}}"#),
        Record::TurnContext {
            model: Some("m".into())
        }
    );
    // A model that is not a string: ccusage cannot read the line.
    assert!(parse(br#"{"type":"turn_context","payload":{"model":5}}"#).is_none());
    let tier = |v: &str| {
        tc(&format!(
            r#"{{"type":"event_msg","payload":{{"type":"thread_settings_applied","thread_settings":{{"service_tier":{v}}}}}}}"#
        ))
    };
    assert_eq!(tier(r#""priority""#), Record::Settings(TierChange::Fast));
    assert_eq!(tier(r#""default""#), Record::Settings(TierChange::Standard));
    assert_eq!(tier(r#""flex""#), Record::Settings(TierChange::Unrecorded));
    assert_eq!(tier("null"), Record::Settings(TierChange::Keep));
}

#[test]
fn conversation_lines_are_nothing_and_keep_nothing() {
    let r = tc(
        r#"{"timestamp":"2026-01-05T10:00:02Z","type":"response_item","payload":{"type":"message","content":[{"type":"input_text","text":"token_count turn_context secret"}]}}"#,
    );
    assert_eq!(r, Record::Other);
    assert!(!may_matter(
        br#"{"type":"response_item","payload":{"text":"hello"}}"#
    ));
    assert!(parse(b"{\"type\":\"event_msg\",\"payload\":{\"type\":\"token_count\"").is_none());
}
