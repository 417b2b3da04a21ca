use std::io::Write;

use proptest::prelude::*;

use super::*;

/// A session with everything the rules carry across lines: doubled events, a null info, a
/// model switch, a tier change, a total-only event, a bad line.
fn session() -> String {
    let mut s = String::new();
    s += r#"{"timestamp":"2026-01-05T08:00:00.000Z","type":"session_meta","payload":{"id":"s1","cwd":"/w"}}"#;
    s += "\n";
    s += r#"{"timestamp":"2026-01-05T08:00:00.100Z","type":"turn_context","payload":{"model":"gpt-5.2"}}"#;
    s += "\n";
    let mut total = [0u64; 3];
    for k in 0..12u64 {
        let last = [1000 + k * 37, 100 * k, 20 + k];
        for i in 0..3 {
            total[i] += last[i];
        }
        let usage = |[i, c, o]: [u64; 3]| {
            format!(
                r#"{{"input_tokens":{i},"cached_input_tokens":{c},"output_tokens":{o},"reasoning_output_tokens":1,"total_tokens":{}}}"#,
                i + o
            )
        };
        let event = |sec: u64, with_last: bool| {
            let last = if with_last {
                format!(r#","last_token_usage":{}"#, usage(last))
            } else {
                String::new()
            };
            format!(
                r#"{{"timestamp":"2026-01-05T08:{:02}:{sec:02}.000Z","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{}{last}}}}}}}"#,
                k + 1,
                usage(total)
            )
        };
        s += &event(1, k != 5);
        s += "\n";
        s += &event(2, k != 5); // Codex's duplicate
        s += "\n";
        match k {
            3 => {
                s += r#"{"timestamp":"2026-01-05T08:04:03.000Z","type":"turn_context","payload":{"model":"gpt-5.4"}}"#
            }
            6 => {
                s += r#"{"type":"event_msg","payload":{"type":"thread_settings_applied","thread_settings":{"service_tier":"fast"}}}"#
            }
            8 => s += r#"{"type":"event_msg","payload":{"type":"token_count","info":nul"#,
            _ => {
                s += r#"{"timestamp":"2026-01-05T08:00:03.000Z","type":"event_msg","payload":{"type":"token_count","info":null}}"#
            }
        }
        s += "\n";
    }
    s
}

struct NoParents;
impl Parents for NoParents {
    fn prefix(&self, _: &Path, _: &SessionMeta) -> Vec<RawUsage> {
        Vec::new()
    }
}

fn events(batch: &Batch) -> Vec<(u64, Event)> {
    batch
        .counted
        .iter()
        .map(|c| (c.line, c.event.clone()))
        .collect()
}

/// One read of the whole file vs. resumable reads of it as it grows to each cut, then a last one.
fn pieces_equal_one_read(text: &str, cuts: &[usize]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    std::fs::write(&path, text).unwrap();
    let whole = read(&path, &Checkpoint::default(), Mode::Final, Some(&NoParents)).unwrap();
    let (mut cp, mut got, mut bad) = (Checkpoint::default(), Vec::new(), Vec::new());
    for &cut in cuts {
        std::fs::write(&path, &text.as_bytes()[..cut]).unwrap();
        // Through a serialised checkpoint, as a store would keep it.
        let stored = postcard::to_stdvec(&cp).unwrap();
        let batch = read(
            &path,
            &postcard::from_bytes(&stored).unwrap(),
            Mode::Resumable,
            Some(&NoParents),
        )
        .unwrap();
        assert!(batch.checkpoint.offset as usize <= cut);
        got.extend(events(&batch));
        bad.extend(batch.bad.iter().map(|b| b.line));
        cp = batch.checkpoint;
    }
    std::fs::write(&path, text).unwrap();
    let last = read(&path, &cp, Mode::Final, Some(&NoParents)).unwrap();
    got.extend(events(&last));
    bad.extend(last.bad.iter().map(|b| b.line));
    assert_eq!(got, events(&whole));
    assert_eq!(bad, whole.bad.iter().map(|b| b.line).collect::<Vec<_>>());
    assert_eq!(last.checkpoint, whole.checkpoint);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn reading_in_pieces_gives_the_rows_of_one_read(mut cuts in proptest::collection::vec(0usize..10_000, 0..6)) {
        let text = session();
        for c in &mut cuts {
            *c %= text.len() + 1;
        }
        cuts.sort_unstable();
        pieces_equal_one_read(&text, &cuts);
    }
}

#[test]
fn the_session_counts_what_ccusage_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    std::fs::write(&path, session()).unwrap();
    let batch = read(&path, &Checkpoint::default(), Mode::Final, Some(&NoParents)).unwrap();
    // 12 requests, each once (the total-only one by its growth).
    assert_eq!(batch.counted.len(), 12);
    assert_eq!(batch.counted[4].event.model, "gpt-5.4");
    assert_eq!(
        batch.counted[7].event.tier,
        Some(super::super::usage::Tier::Fast)
    );
    assert_eq!(batch.bad.len(), 1);
    assert_eq!(batch.bad[0].line, 2 + 8 * 3 + 3);
}

#[test]
fn an_unfinished_line_is_left_for_the_next_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let line = r#"{"timestamp":"2026-01-05T08:00:01.000Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":5}}}}"#;
    let mut f = std::fs::File::create(&path).unwrap();
    write!(f, "{line}").unwrap();
    let held = read(&path, &Checkpoint::default(), Mode::Resumable, None).unwrap();
    assert!(held.counted.is_empty() && held.held_back);
    assert_eq!(held.checkpoint.offset, 0);
    // A report of the file as it is reads it, as ccusage does.
    assert_eq!(
        read(&path, &Checkpoint::default(), Mode::Final, None)
            .unwrap()
            .counted
            .len(),
        1
    );
    writeln!(f).unwrap();
    let done = read(&path, &held.checkpoint, Mode::Resumable, None).unwrap();
    assert_eq!(done.counted.len(), 1);
    // A file replaced by a shorter one is read again from its start.
    std::fs::write(&path, "\n").unwrap();
    let again = read(&path, &done.checkpoint, Mode::Resumable, None).unwrap();
    assert_eq!(again.checkpoint.offset, 1);
}

#[test]
fn a_fork_waits_for_its_second_token_count_to_decide() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.jsonl");
    let meta = r#"{"timestamp":"2026-01-06T09:00:00.000Z","type":"session_meta","payload":{"id":"c","forked_from_id":"gone"}}"#;
    let at = |ms: u32, n: u32| {
        format!(
            r#"{{"timestamp":"2026-01-06T09:00:0{}.{:03}Z","type":"event_msg","payload":{{"type":"token_count","info":{{"last_token_usage":{{"input_tokens":{n}}}}}}}}}"#,
            ms / 1000,
            ms % 1000
        )
    };
    let text = format!("{meta}\n{}\n{}\n{}\n", at(10, 1), at(20, 2), at(5000, 3));
    let first_event_end = meta.len() + 1 + at(10, 1).len() + 1;
    pieces_equal_one_read(&text, &[first_event_end]);
    std::fs::write(&path, &text).unwrap();
    let all = read(&path, &Checkpoint::default(), Mode::Final, Some(&NoParents)).unwrap();
    let inputs: Vec<_> = all.counted.iter().map(|c| c.event.usage.input).collect();
    assert_eq!(inputs, [3], "the replayed burst is skipped");
}

#[test]
fn a_settled_fork_with_one_request_is_decided_with_what_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.jsonl");
    let meta = r#"{"timestamp":"2026-01-06T09:00:00.000Z","type":"session_meta","payload":{"id":"c","forked_from_id":"p"}}"#;
    let event = r#"{"timestamp":"2026-01-06T09:00:02.000Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":7}}}}"#;
    std::fs::write(&path, format!("{meta}\n{event}\n")).unwrap();
    let waiting = read(
        &path,
        &Checkpoint::default(),
        Mode::Resumable,
        Some(&NoParents),
    )
    .unwrap();
    assert!(waiting.counted.is_empty() && waiting.held_back);
    let settled = read(&path, &waiting.checkpoint, Mode::Settled, Some(&NoParents)).unwrap();
    let inputs: Vec<_> = settled
        .counted
        .iter()
        .map(|c| c.event.usage.input)
        .collect();
    assert_eq!(
        inputs,
        [7],
        "one request is no burst: counted, as ccusage counts it"
    );
    assert!(!settled.held_back);
    let final_read = read(&path, &Checkpoint::default(), Mode::Final, Some(&NoParents)).unwrap();
    assert_eq!(events(&settled), events(&final_read));
    // An unfinished line is still left for later.
    std::fs::write(&path, format!("{meta}\n{event}\n{{\"timestamp\":")).unwrap();
    let partial = read(&path, &settled.checkpoint, Mode::Settled, Some(&NoParents)).unwrap();
    assert!(partial.held_back && partial.checkpoint == settled.checkpoint);
}

#[test]
fn a_real_rollout_read_in_pieces_gives_the_rows_of_one_read() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "tests/data/codex/real/sessions/2026/02/23/rollout-2026-02-23T12-54-34-019c8a59-e9dd-71f0-9ae3-4079fe9726a9.jsonl",
    );
    let text = std::fs::read_to_string(path).unwrap();
    // Deterministic pseudo-random cut points (a 64-bit LCG), a few runs of a few reads.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..4 {
        let mut cuts: Vec<usize> = (0..5)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (x >> 33) as usize % (text.len() + 1)
            })
            .collect();
        cuts.sort_unstable();
        pieces_equal_one_read(&text, &cuts);
    }
}
