use super::*;

fn u(input: u64) -> RawUsage {
    RawUsage {
        input,
        total: input,
        ..RawUsage::default()
    }
}

#[test]
fn forks_are_named_by_their_first_line() {
    let fork = SessionMeta::of_first_line(
        br#"{"timestamp":"2026-01-06T09:00:00.000Z","type":"session_meta","payload":{"id":"c","forked_from_id":"p"}}"#,
    );
    assert_eq!(fork.id.as_deref(), Some("c"));
    assert_eq!(fork.parent_id.as_deref(), Some("p"));
    assert_eq!(fork.forked_at_ms, Some(1_767_690_000_000));
    let sub = SessionMeta::of_first_line(
        br#"{"type":"session_meta","payload":{"id":"s","source":{"subagent":{"thread_spawn":{"parent_thread_id":"p"}}}}}"#,
    );
    assert_eq!(sub.parent_id.as_deref(), Some("p"));
    let empty =
        SessionMeta::of_first_line(br#"{"type":"session_meta","payload":{"forked_from_id":""}}"#);
    assert_eq!(empty.parent_id, None);
    let not_meta =
        SessionMeta::of_first_line(br#"{"type":"turn_context","payload":{"forked_from_id":"p"}}"#);
    assert_eq!(not_meta, SessionMeta::default());
}

#[test]
fn the_parents_requests_are_skipped_in_order_then_all_count() {
    let prefix = [u(1), u(2)];
    let mut r = Replay::Matching { index: 0 };
    let never = || -> Burst { panic!("no burst probe once the parent matched") };
    assert_eq!(r.judge(&u(1), Some(0), &prefix, never), Verdict::Skip);
    assert_eq!(r.judge(&u(2), Some(0), &prefix, never), Verdict::Skip);
    assert_eq!(r.judge(&u(3), Some(0), &prefix, never), Verdict::Count);
    assert_eq!(r, Replay::Done);
    // A mismatch after the first match ends the replay without a burst.
    let mut r = Replay::Matching { index: 0 };
    r.judge(&u(1), Some(0), &prefix, never);
    assert_eq!(r.judge(&u(9), Some(0), &prefix, never), Verdict::Count);
}

#[test]
fn without_the_parent_the_leading_burst_is_skipped() {
    let mut r = Replay::Matching { index: 0 };
    let burst = || Burst::StartsAt(1000);
    assert_eq!(r.judge(&u(1), Some(1000), &[], burst), Verdict::Skip);
    // Within 1 s of the previous skipped request: still the copy.
    assert_eq!(r.judge(&u(2), Some(1900), &[], burst), Verdict::Skip);
    assert_eq!(r.judge(&u(3), Some(2901), &[], burst), Verdict::Count);
    assert_eq!(r.judge(&u(4), Some(2902), &[], burst), Verdict::Count);
    let mut r = Replay::Matching { index: 0 };
    assert_eq!(r.judge(&u(1), Some(0), &[], || Burst::None), Verdict::Count);
    let mut r = Replay::Matching { index: 0 };
    assert_eq!(
        r.judge(&u(1), Some(0), &[], || Burst::NotYet),
        Verdict::Undecided
    );
    assert_eq!(r, Replay::Matching { index: 0 });
}

#[test]
fn a_burst_is_two_token_counts_at_most_a_second_apart() {
    let line = |ts: &str| {
        format!(
            r#"{{"timestamp":"{ts}","type":"event_msg","payload":{{"type":"token_count","info":{{"last_token_usage":{{"input_tokens":1}}}}}}}}"#
        )
    };
    let null = r#"{"timestamp":"2026-01-06T09:00:00.000Z","type":"event_msg","payload":{"type":"token_count","info":null}}"#;
    let (a, b, c) = (
        line("2026-01-06T09:00:00.900Z"),
        line("2026-01-06T09:00:01.900Z"),
        line("2026-01-06T09:00:01.901Z"),
    );
    let probe = |ls: &[&str], complete| burst_in(ls.iter().map(|l| l.as_bytes()), complete);
    assert_eq!(
        probe(&[null, &a, &b], true),
        Burst::StartsAt(1_767_690_000_900)
    );
    assert_eq!(probe(&[&a, &c], true), Burst::None);
    assert_eq!(probe(&[&a], true), Burst::None);
    assert_eq!(probe(&[&a], false), Burst::NotYet);
}
