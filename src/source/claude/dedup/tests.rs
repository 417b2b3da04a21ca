use super::*;
use crate::source::claude::parse::Usage;

fn entry(msg: Option<&str>, req: Option<&str>, sidechain: bool, output: u64) -> Entry {
    Entry {
        has_speed: false,
        timestamp_ms: 0,
        message_id: msg.map(Into::into),
        request_id: req.map(Into::into),
        model: "m".into(),
        session_id: "s1".into(),
        cwd: "".into(),
        claude_version: "".into(),
        git_branch: "".into(),
        agent_id: "".into(),
        service_tier: "".into(),
        speed: "".into(),
        is_sidechain: sidechain,
        is_api_error: false,
        usage: Usage {
            output,
            ..Usage::default()
        },
        reported_cost_usd: None,
    }
}

fn at(line: u64) -> Pos {
    Pos { file: 5, line }
}

/// What the tests price a line at: lines of equal totals cost the same unless a test says so.
fn cost(e: &Entry) -> f64 {
    e.reported_cost_usd.unwrap_or(e.usage.total() as f64 * 1e-6)
}

/// Offers `e` as the next line; returns the decision and the slot it concerns.
fn offer(d: &mut Deduper, e: &Entry, line: u64, next: usize) -> Decision {
    d.offer(e, cost(e), at(line), next)
}

fn slot_of(decision: Decision) -> SlotRef {
    match decision {
        Decision::New(s) | Decision::Supersede(s) => s,
        other => panic!("no slot in {other:?}"),
    }
}

#[test]
fn a_response_costs_one_small_slot() {
    // The dominant memory of a backfill: keep it from growing unnoticed.
    assert!(std::mem::size_of::<SmallVec<[Slot; 1]>>() <= 64);
}

#[test]
fn keys_come_back_from_the_arena() {
    let mut arena = String::new();
    let a = RequestKey::store(&mut arena, "req_a");
    let empty = RequestKey::store(&mut arena, "");
    let b = RequestKey::store(&mut arena, "req_ü");
    assert_eq!(a.get(&arena), "req_a");
    assert_eq!(empty.get(&arena), "");
    assert_eq!(b.get(&arena), "req_ü");
}

#[test]
fn streamed_lines_of_one_response_converge_to_the_largest() {
    let mut d = Deduper::new();
    let first = offer(&mut d, &entry(Some("m1"), Some("r1"), false, 1), 1, 0);
    assert!(matches!(first, Decision::New(_)));
    let bigger = entry(Some("m1"), Some("r1"), false, 50);
    assert_eq!(offer(&mut d, &bigger, 2, 1), Decision::Replace { index: 0 });
    assert_eq!(
        offer(&mut d, &bigger, 3, 1),
        Decision::Drop,
        "a tie keeps the first"
    );
    let smaller = entry(Some("m1"), Some("r1"), false, 10);
    assert_eq!(offer(&mut d, &smaller, 4, 1), Decision::Drop);
    assert_eq!(d.messages(), 1);
}

#[test]
fn different_request_ids_are_different_messages_unless_a_sidechain_is_involved() {
    let mut d = Deduper::new();
    let a = offer(&mut d, &entry(Some("m1"), Some("r1"), false, 5), 1, 0);
    let b = offer(&mut d, &entry(Some("m1"), Some("r2"), false, 5), 2, 1);
    assert!(matches!((a, b), (Decision::New(_), Decision::New(_))));
    let mut d = Deduper::new();
    offer(&mut d, &entry(Some("m1"), Some("r1"), true, 99), 1, 0);
    // The non-sidechain copy wins even with fewer tokens.
    let main = entry(Some("m1"), Some("r2"), false, 1);
    assert_eq!(offer(&mut d, &main, 2, 1), Decision::Replace { index: 0 });
    // And a sidechain copy never beats it back.
    let side = entry(Some("m1"), Some("r3"), true, 500);
    assert_eq!(offer(&mut d, &side, 3, 1), Decision::Drop);
}

#[test]
fn sidechain_rule_applies_within_a_session_only() {
    let mut d = Deduper::new();
    let mut other = entry(Some("m1"), Some("r2"), false, 1);
    other.session_id = "s2".into();
    offer(&mut d, &entry(Some("m1"), Some("r1"), true, 9), 1, 0);
    assert!(matches!(offer(&mut d, &other, 2, 1), Decision::New(_)));
}

fn in_session(mut e: Entry, session: &str) -> Entry {
    e.session_id = session.into();
    e
}

#[test]
fn the_sidechain_rule_holds_in_every_session_the_response_was_seen_in() {
    // ccusage 20.0.24: A (session a) kept, B (session b, same key) ties and loses, C (sidechain,
    // another requestId, session b) merges: b saw the response.
    let mut d = Deduper::new();
    let a = in_session(entry(Some("m"), Some("r"), false, 100), "a");
    let slot = slot_of(offer(&mut d, &a, 1, 0));
    let b = in_session(entry(Some("m"), Some("r"), false, 100), "b");
    assert_eq!(offer(&mut d, &b, 2, 1), Decision::Drop);
    let c = in_session(entry(Some("m"), Some("r_side"), true, 500), "b");
    assert_eq!(
        offer(&mut d, &c, 3, 1),
        Decision::Drop,
        "merged, and loses to the main line"
    );
    let other = in_session(entry(Some("m"), Some("r_x"), true, 500), "z");
    assert!(
        matches!(offer(&mut d, &other, 4, 1), Decision::New(_)),
        "z never saw it"
    );
    let seen: Vec<(String, String)> = d
        .take_seen()
        .into_iter()
        .map(|s| (s.message_id.to_string(), s.key.to_string()))
        .collect();
    // b, and a, where the response began (with its first line's place).
    assert_eq!(
        seen,
        [
            ("m".to_string(), "~seen:a".to_string()),
            ("m".to_string(), "~seen:b".to_string())
        ]
    );
    let _ = slot;
}

#[test]
fn a_line_matches_its_key_before_the_sidechain_rule() {
    // A (r1, s1, sidechain) and B (r2, s2, sidechain) are two responses; C (r2, s1, sidechain)
    // is B's by its key, although s1 saw A.
    let mut d = Deduper::new();
    offer(
        &mut d,
        &in_session(entry(Some("m"), Some("r1"), true, 100), "s1"),
        1,
        0,
    );
    offer(
        &mut d,
        &in_session(entry(Some("m"), Some("r2"), true, 300), "s2"),
        2,
        1,
    );
    let c = in_session(entry(Some("m"), Some("r2"), true, 200), "s1");
    assert_eq!(
        offer(&mut d, &c, 3, 2),
        Decision::Drop,
        "loses to B, not beating A"
    );
}

#[test]
fn every_new_session_a_response_is_seen_in_becomes_one_marker() {
    let mut d = Deduper::new();
    let a = in_session(entry(Some("m"), Some("r"), false, 100), "a");
    let slot = slot_of(offer(&mut d, &a, 1, 0));
    d.settle(slot, "r", 0);
    assert!(
        d.take_seen().is_empty(),
        "the kept line's own session needs none"
    );
    // A resumed session copies the response: it loses, and b is remembered.
    let copy = in_session(entry(Some("m"), Some("r"), false, 100), "b");
    assert_eq!(offer(&mut d, &copy, 2, 0), Decision::Drop);
    assert_eq!(offer(&mut d, &copy, 3, 0), Decision::Drop);
    let seen = d.take_seen();
    assert_eq!(seen.len(), 2, "once per session: b, and a where it began");
    assert_eq!((&*seen[0].session_id, &*seen[0].key), ("a", "~seen:a"));
    assert_eq!(seen[0].pos, at(1), "its first line");
    assert_eq!((&*seen[1].session_id, &*seen[1].key), ("b", "~seen:b"));
    assert_eq!(seen[1].pos, at(2), "where b joined");
    // A better line from session c wins: a was seen too, now that c's line is kept.
    let better = in_session(entry(Some("m"), Some("r"), false, 300), "c");
    assert_eq!(offer(&mut d, &better, 4, 0), Decision::Supersede(slot));
    let seen: Vec<String> = d.take_seen().iter().map(|s| s.key.to_string()).collect();
    assert_eq!(seen, ["~seen:a"]);
}

#[test]
fn markers_keep_the_sidechain_rule_across_runs() {
    let mut d = Deduper::new();
    let main = entry(Some("m"), Some("r"), false, 100);
    // Markers may come before the row they describe.
    d.seed(
        "m",
        &[marker("b", 0, None), stored("r", &main, 0, Some(at(1)))],
    );
    let replay = in_session(entry(Some("m"), Some("r_btw"), true, 900), "b");
    assert_eq!(offer(&mut d, &replay, 9, 0), Decision::Drop);
    assert!(d.take_seen().is_empty(), "already stored");
}

#[test]
fn lines_without_request_id_need_the_same_session_and_timestamp() {
    let mut d = Deduper::new();
    let none = entry(Some("m1"), None, false, 1);
    assert!(matches!(offer(&mut d, &none, 1, 0), Decision::New(_)));
    assert_eq!(offer(&mut d, &none, 2, 1), Decision::Drop);
    let mut later = entry(Some("m1"), None, false, 1);
    later.timestamp_ms = 300_000;
    assert!(matches!(offer(&mut d, &later, 3, 1), Decision::New(_)));
    let with_request = entry(Some("m1"), Some("r"), false, 1);
    assert!(matches!(
        offer(&mut d, &with_request, 4, 2),
        Decision::New(_)
    ));
}

#[test]
fn on_equal_totals_the_higher_cost_wins_before_the_speed_field() {
    // ccusage 20.0.24: a fast-mode copy (6 × the cost) later in path order, or a line of a
    // dearer model without a `speed` field, beats the first line of equal tokens.
    let mut d = Deduper::new();
    let mut cheap = entry(Some("m1"), Some("r"), false, 5);
    cheap.has_speed = true;
    cheap.reported_cost_usd = Some(0.1);
    offer(&mut d, &cheap, 1, 0);
    let mut dear = entry(Some("m1"), Some("r"), false, 5);
    dear.reported_cost_usd = Some(0.6);
    assert_eq!(offer(&mut d, &dear, 2, 1), Decision::Replace { index: 0 });
    assert_eq!(offer(&mut d, &cheap, 3, 1), Decision::Drop);
    // Against a stored row, with its stored cost.
    let mut d = Deduper::new();
    d.seed("m1", &[stored("r", &cheap, 0, Some(at(1)))]);
    assert!(matches!(offer(&mut d, &dear, 2, 0), Decision::Supersede(_)));
}

#[test]
fn a_tie_goes_to_the_line_with_a_speed_field() {
    let mut d = Deduper::new();
    offer(&mut d, &entry(Some("m1"), Some("r"), false, 5), 1, 0);
    let mut with_speed = entry(Some("m1"), Some("r"), false, 5);
    with_speed.has_speed = true;
    assert_eq!(
        offer(&mut d, &with_speed, 2, 1),
        Decision::Replace { index: 0 }
    );
    assert_eq!(offer(&mut d, &with_speed, 3, 1), Decision::Drop);
}

#[test]
fn lines_without_message_id_are_never_merged() {
    let mut d = Deduper::new();
    let e = entry(None, Some("r"), false, 5);
    assert_eq!(offer(&mut d, &e, 1, 0), Decision::Unkeyed);
    assert_eq!(offer(&mut d, &e, 2, 1), Decision::Unkeyed);
    assert_eq!(d.messages(), 0);
}

#[test]
fn a_stored_row_beaten_under_its_own_key_and_time_gets_no_tombstone() {
    let mut d = Deduper::new();
    let e = entry(Some("m1"), Some("r1"), false, 5);
    let slot = slot_of(offer(&mut d, &e, 1, 0));
    let first = d.settle(slot, "r1", 0);
    assert_eq!(first.version, Rank::of(&e).version());
    assert_eq!(first.tombstone, None);
    let better = entry(Some("m1"), Some("r1"), false, 7);
    assert_eq!(offer(&mut d, &better, 2, 0), Decision::Supersede(slot));
    let again = d.settle(slot, "r1", 0);
    assert_eq!(
        (again.version, again.tombstone),
        (Rank::of(&better).version(), None)
    );
}

#[test]
fn a_stored_row_beaten_under_another_key_or_time_is_tombstoned_below_its_successor() {
    let mut d = Deduper::new();
    let side = entry(Some("m1"), Some("r_side"), true, 500);
    let slot = slot_of(offer(&mut d, &side, 1, 0));
    let stored = d.settle(slot, "r_side", 0);
    // The main copy (another requestId, same session) wins and is stored under its own key.
    let main = entry(Some("m1"), Some("r_main"), false, 1);
    assert_eq!(offer(&mut d, &main, 2, 0), Decision::Supersede(slot));
    let s = d.settle(slot, "r_main", 0);
    assert_eq!(s.version, Rank::of(&main).version());
    assert_eq!(
        s.tombstone,
        Some(Tombstone {
            request_id: "r_side".into(),
            timestamp_ms: 0,
            version: stored.version + 1
        })
    );
    // A streamed response completed in another month: same key, another partition.
    let mut late = entry(Some("m1"), Some("r_main"), false, 9);
    late.timestamp_ms = 2_678_400_000;
    assert_eq!(offer(&mut d, &late, 3, 0), Decision::Supersede(slot));
    let moved = d.settle(slot, "r_main", late.timestamp_ms);
    let tomb = moved.tombstone.expect("the old time's row is hidden");
    assert_eq!((&*tomb.request_id, tomb.timestamp_ms), ("r_main", 0));
    assert!(
        moved.version > tomb.version,
        "FINAL across partitions keeps the new row"
    );
}

#[test]
fn a_key_written_again_after_its_tombstone_gets_a_newer_revision() {
    let mut d = Deduper::new();
    let a = entry(Some("m1"), Some("r_a"), true, 5);
    let slot = slot_of(offer(&mut d, &a, 1, 0));
    d.settle(slot, "r_a", 0);
    let b = entry(Some("m1"), Some("r_b"), true, 9);
    offer(&mut d, &b, 2, 0);
    let tomb = d.settle(slot, "r_b", 0).tombstone.unwrap();
    // Equal rank at r_a again, earlier in path order than nothing: only a seeded row can be
    // beaten by position, so take the key back with more tokens than r_b.
    let c = entry(Some("m1"), Some("r_a"), true, 9);
    assert_eq!(
        offer(&mut d, &c, 3, 0),
        Decision::Drop,
        "a tie with r_b keeps r_b"
    );
    let d_line = entry(Some("m1"), Some("r_a"), true, 11);
    offer(&mut d, &d_line, 4, 0);
    let s = d.settle(slot, "r_a", 0);
    assert!(s.version > tomb.version);
}

/// A marker row: the response was seen in `session`, first by a line of rank `version`.
fn marker(session: &'static str, version: u64, pos: Option<Pos>) -> StoredRow<'static> {
    let key: &'static str = Box::leak(format!("{SEEN_KEY_PREFIX}{session}").into_boxed_str());
    StoredRow {
        request_id: key,
        version,
        rank: Rank::of_version(version),
        is_deleted: true,
        timestamp_ms: 0,
        session_id: session,
        cost_usd: 0.0,
        pos,
    }
}

fn stored<'a>(key: &'a str, e: &Entry, rev: u64, pos: Option<Pos>) -> StoredRow<'a> {
    StoredRow {
        request_id: key,
        version: Rank::of(e).version() + rev,
        rank: Rank::of(e),
        is_deleted: false,
        timestamp_ms: e.timestamp_ms,
        session_id: "s1",
        cost_usd: cost(e),
        pos,
    }
}

#[test]
fn a_sidechain_copy_in_a_later_run_merges_with_the_stored_main_line() {
    let mut d = Deduper::new();
    let main = entry(Some("m1"), Some("r1"), false, 100);
    d.seed("m1", &[stored("r1", &main, 0, Some(at(1)))]);
    assert!(d.knows("m1"));
    let side = entry(Some("m1"), Some("r2"), true, 900);
    assert_eq!(offer(&mut d, &side, 9, 0), Decision::Drop);
    // And a line without requestId (a progress line) of the same response too.
    let progress = entry(Some("m1"), None, true, 900);
    assert_eq!(offer(&mut d, &progress, 10, 0), Decision::Drop);
}

#[test]
fn a_tie_with_a_stored_row_goes_to_the_first_in_path_order() {
    let e = entry(Some("m1"), Some("r1"), false, 5);
    // Stored from a file that sorts after the one read now: the new line is first.
    let mut d = Deduper::new();
    d.seed("m1", &[stored("r1", &e, 0, Some(Pos { file: 9, line: 1 }))]);
    let now = Pos { file: 2, line: 7 };
    let slot = slot_of(d.offer(&e, cost(&e), now, 0));
    // Storing the line replaces the stored row under its key: that row takes part first, loses
    // the tie, and the line is stored above it and its tombstone.
    d.before_settle(slot, "r1");
    assert!(d.take_cancelled().is_empty());
    let tombstone = d
        .take_repairs()
        .pop()
        .expect("the stored row's tombstone")
        .1;
    let s = d.settle(slot, "r1", 0);
    assert!(s.version > tombstone.version, "newer than the stored row");
    // Stored from an earlier file, or from a file that is gone: the stored row stays.
    for pos in [Some(Pos { file: 1, line: 1 }), None] {
        let mut d = Deduper::new();
        d.seed("m1", &[stored("r1", &e, 0, pos)]);
        assert_eq!(d.offer(&e, cost(&e), now, 0), Decision::Drop, "{pos:?}");
    }
}

#[test]
fn seeded_tombstones_raise_the_floor_of_their_key() {
    let mut d = Deduper::new();
    let e = entry(Some("m1"), Some("r1"), false, 5);
    let dead = StoredRow {
        is_deleted: true,
        ..stored("r1", &e, 3, Some(at(1)))
    };
    d.seed("m1", std::slice::from_ref(&dead));
    let slot = slot_of(offer(&mut d, &e, 2, 0));
    assert_eq!(d.settle(slot, "r1", 0).version, dead.version + 1);
}

#[test]
fn version_orders_like_rank() {
    let rank = |non_sidechain, total, has_speed| Rank {
        non_sidechain,
        total,
        has_speed,
    };
    let a = rank(false, u64::MAX, true).version();
    let b = rank(true, 0, false).version();
    let c = rank(true, 10, false).version();
    let d = rank(true, 10, true).version();
    assert!(a < b && b < c && c < d);
    assert_eq!(d & ((1 << REVISION_BITS) - 1), 0, "revision 0");
    for r in [rank(false, 5, true), rank(true, (1 << 56) - 1, false)] {
        assert_eq!(Rank::of_version(r.version() + 3), r);
    }
}

#[test]
fn stored_rows_one_run_would_have_merged_are_merged_when_seeded() {
    // An older release stored a sidechain copy (another requestId, same session) of a main line
    // as a response of its own: seeding keeps the main line and hides the copy.
    let mut d = Deduper::new();
    let main = entry(Some("m"), Some("r"), false, 100);
    let side = entry(Some("m"), Some("r_side"), true, 900);
    d.seed(
        "m",
        &[
            stored("r_side", &side, 0, Some(Pos { file: 2, line: 1 })),
            stored("r", &main, 0, Some(Pos { file: 1, line: 4 })),
        ],
    );
    d.finish();
    assert_eq!(d.messages(), 1);
    let repairs = d.take_repairs();
    assert_eq!(repairs.len(), 1);
    let (message_id, tomb) = &repairs[0];
    assert_eq!((&**message_id, &*tomb.request_id), ("m", "r_side"));
    assert_eq!(tomb.version, Rank::of(&side).version() + 1);
    // The main line read again changes nothing.
    assert_eq!(
        d.offer(&main, cost(&main), Pos { file: 1, line: 4 }, 0),
        Decision::Drop
    );
}

#[test]
fn a_stored_line_read_again_at_another_time_is_stored_anew() {
    // An older release kept a streamed response's first time; its kept line, read again at
    // the same place, carries the right one.
    let mut d = Deduper::new();
    let mut line = entry(Some("m"), Some("r"), false, 480);
    let pinned = StoredRow {
        timestamp_ms: 1_000,
        ..stored("r", &line, 0, Some(at(7)))
    };
    d.seed("m", &[pinned]);
    line.timestamp_ms = 2_000;
    let slot = slot_of(offer(&mut d, &line, 7, 0));
    let s = d.settle(slot, "r", 2_000);
    assert_eq!(s.tombstone.map(|t| t.timestamp_ms), Some(1_000));
    // The same line again at the same time: nothing to do.
    let mut d = Deduper::new();
    d.seed("m", &[stored("r", &line, 0, Some(at(7)))]);
    assert_eq!(offer(&mut d, &line, 7, 0), Decision::Drop);
}

#[test]
fn a_stored_row_later_in_path_order_that_ranks_higher_cancels_the_line_read_first() {
    let mut d = Deduper::new();
    let stored_line = entry(Some("m"), Some("r"), false, 900);
    d.seed(
        "m",
        &[stored("r", &stored_line, 0, Some(Pos { file: 9, line: 1 }))],
    );
    // A partial copy of the response in a file that sorts first: kept until the stored row's
    // place, as in one run over all the files.
    let partial = entry(Some("m"), Some("r"), false, 100);
    let slot = slot_of(d.offer(&partial, cost(&partial), Pos { file: 2, line: 1 }, 0));
    d.before_settle(slot, "r");
    assert_eq!(d.take_cancelled(), [0], "the stored row stays");
    assert!(d.take_repairs().is_empty());
}

#[test]
fn a_marker_records_where_the_response_began_and_the_rank_of_the_line_that_lost() {
    let mut d = Deduper::new();
    let first = in_session(entry(Some("m"), Some("r"), false, 60), "a");
    let better = in_session(entry(Some("m"), Some("r"), false, 110), "b");
    d.offer(&first, cost(&first), Pos { file: 1, line: 3 }, 0);
    d.offer(&better, cost(&better), Pos { file: 4, line: 8 }, 1);
    let seen = d.take_seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (&*seen[0].key, seen[0].pos),
        ("~seen:a", Pos { file: 1, line: 3 })
    );
    assert_eq!(seen[0].version, Rank::of(&first).version());
}

/// The stored row of a response whose first line was in another session (a marker says
/// where) takes part from there: a sidechain copy in that session read later merges into it.
#[test]
fn a_stored_row_takes_part_from_where_its_markers_say_the_response_began() {
    let mut d = Deduper::new();
    let kept = in_session(entry(Some("m"), Some("r"), false, 110), "b");
    let lost = entry(Some("m"), Some("r"), false, 60);
    let marker = marker(
        "a",
        Rank::of(&lost).version(),
        Some(Pos { file: 1, line: 3 }),
    );
    let mut row = stored("r", &kept, 0, Some(Pos { file: 4, line: 8 }));
    row.session_id = "b";
    d.seed("m", &[row, marker]);
    let copy = in_session(entry(Some("m"), Some("r_side"), true, 55), "a");
    assert_eq!(
        d.offer(&copy, cost(&copy), Pos { file: 1, line: 4 }, 0),
        Decision::Drop
    );
}

/// A line of the marker's session that came before the response began: in one run the line
/// the marker stands for matched it and beat it, then lost to the stored row.
#[test]
fn a_stored_row_joins_an_earlier_line_its_marker_line_beat() {
    let mut d = Deduper::new();
    let kept = in_session(entry(Some("m"), Some("r"), false, 110), "b");
    let ghost = entry(Some("m"), Some("r"), true, 60);
    let marker = |version| marker("a", version, Some(Pos { file: 1, line: 3 }));
    let mut row = stored("r", &kept, 0, Some(Pos { file: 4, line: 8 }));
    row.session_id = "b";
    let progress = in_session(entry(Some("m"), None, true, 20), "a");
    let rows = [row.clone(), marker(Rank::of(&ghost).version())];
    d.seed("m", &rows);
    d.offer(&progress, cost(&progress), Pos { file: 0, line: 1 }, 0);
    d.finish();
    assert_eq!(
        d.take_cancelled(),
        [0],
        "joined and beaten by the stored row"
    );

    // A marker line that would have lost to the earlier line leaves it on its own.
    let mut d = Deduper::new();
    let weak = entry(Some("m"), Some("r"), true, 10);
    d.seed("m", &[row, marker(Rank::of(&weak).version())]);
    d.offer(&progress, cost(&progress), Pos { file: 0, line: 1 }, 0);
    d.finish();
    assert!(d.take_cancelled().is_empty());
}

#[test]
fn a_line_that_won_on_cost_keeps_its_own_rank_in_a_later_run() {
    // Run 1 keeps a cheap line with `speed`; run 2's costlier line without `speed` (same
    // total, a month later) beats it, so its version must lie above that of the line with
    // `speed`: beyond its own rank's revision bits.
    let mut cheap = entry(Some("m1"), Some("r1"), false, 100);
    cheap.has_speed = true;
    cheap.reported_cost_usd = Some(0.001);
    let mut costly = entry(Some("m1"), Some("r1"), false, 100);
    costly.reported_cost_usd = Some(0.002);
    costly.timestamp_ms = 2_678_400_000;
    let mut d = Deduper::new();
    d.seed("m1", &[stored("r1", &cheap, 0, None)]);
    let slot = slot_of(offer(&mut d, &costly, 1, 0));
    let won = d.settle(slot, "r1", costly.timestamp_ms);
    assert!(won.version > Rank::of(&cheap).version());
    assert!(revision(won.version, Rank::of(&costly)) >= 1 << REVISION_BITS);
    // Run 3: an equal-cost line with `speed` beats the stored one (ccusage's rule 4), which
    // a rank read back from the version (claiming `speed`) would keep.
    let mut fast = costly.clone();
    fast.has_speed = true;
    fast.timestamp_ms = 2 * 2_678_400_000;
    let mut d = Deduper::new();
    let row = StoredRow {
        version: won.version,
        timestamp_ms: costly.timestamp_ms,
        ..stored("r1", &costly, 0, None)
    };
    d.seed("m1", &[row]);
    let slot = slot_of(offer(&mut d, &fast, 1, 0));
    let s = d.settle(slot, "r1", fast.timestamp_ms);
    assert!(s.version > won.version, "FINAL keeps the new row");
    assert_eq!(
        s.tombstone.map(|t| t.timestamp_ms),
        Some(costly.timestamp_ms)
    );
}
