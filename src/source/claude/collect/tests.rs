use super::*;
use crate::source::claude::dedup::Rank;
use crate::source::claude::parse::Usage;

fn entry_with(model: &str, session: &str, message_id: Option<&str>) -> Entry {
    Entry {
        timestamp_ms: 1_767_225_600_123,
        message_id: message_id.map(Into::into),
        request_id: Some("req_1".into()),
        model: model.into(),
        session_id: session.into(),
        cwd: "/home/me/app".into(),
        claude_version: "2.1.20".into(),
        git_branch: "main".into(),
        agent_id: "a1".into(),
        service_tier: "standard".into(),
        speed: "fast".into(),
        is_sidechain: true,
        is_api_error: false,
        has_speed: true,
        usage: Usage {
            input: 1,
            output: 2,
            cache_creation: 7,
            cache_creation_5m: 3,
            cache_creation_1h: 4,
            cache_read: 5,
            web_search_requests: 6,
        },
        reported_cost_usd: Some(0.25),
    }
}

fn file() -> TranscriptFile {
    TranscriptFile {
        path: "/p/s1.jsonl".into(),
        source: "/p/s1.jsonl".into(),
        project: "-p".into(),
        session_id: "s1".into(),
        size: 0,
        mtime_ns: 0,
        dev: 0,
        ino: 0,
    }
}

#[test]
fn a_pending_row_is_compact_and_stores_what_the_entry_says() {
    // Two of these per batch row are held (one batch in flight): keep them from growing.
    assert!(std::mem::size_of::<Pending>() <= 168);
    let mut symbols = Symbols::default();
    let e = entry_with("claude-opus-4-6", "s1", Some("msg_1"));
    let p = Pending::new(&e, "req_1", &"Explore".into(), &mut symbols, 3);
    let files = vec![file(), file(), file(), file()];
    let strings = symbols.snapshot();
    let r = p.row(
        &files,
        &strings,
        "m",
        "acct",
        crate::price::CostMode::Auto,
        9,
    );
    assert_eq!(
        (r.message_id, r.request_id, r.timestamp),
        ("msg_1", "req_1", e.timestamp_ms)
    );
    assert_eq!(
        [r.model, r.session_id, r.cwd, r.claude_version],
        ["claude-opus-4-6", "s1", "/home/me/app", "2.1.20"]
    );
    assert_eq!(
        [r.git_branch, r.agent_id, r.service_tier, r.speed],
        ["main", "a1", "standard", "fast"]
    );
    assert_eq!(r.agent_type, "Explore");
    assert_eq!((r.is_sidechain, r.reported_cost_usd), (true, Some(0.25)));
    assert_eq!((r.account, r.cost_source), ("acct", "logged"));
    assert_eq!(
        [
            r.input_tokens,
            r.output_tokens,
            r.cache_creation_input_tokens
        ],
        [1, 2, 7]
    );
    assert_eq!(
        [
            r.cache_creation_5m_input_tokens,
            r.cache_creation_1h_input_tokens
        ],
        [3, 4]
    );
    assert_eq!((r.cache_read_input_tokens, r.web_search_requests), (5, 6));
    assert_eq!((r.version, r.is_deleted), (Rank::of(&e).version(), 0));
    assert!(p.is_fast);
    // No message.id: stored empty, the key intact. No logged cost: none stored.
    let mut e = entry_with("m", "s1", None);
    e.reported_cost_usd = None;
    let p = Pending::new(&e, "~l:1", &"".into(), &mut symbols, 0);
    assert_eq!((p.message_id(), p.request_id()), ("", "~l:1"));
    let strings = symbols.snapshot();
    let r = p.row(&files, &strings, "m", "", crate::price::CostMode::Auto, 9);
    assert_eq!((r.reported_cost_usd, r.cost_source), (None, "calculated"));
    assert_eq!(r.agent_type, "");
}

#[test]
fn each_kept_row_carries_its_subagents_type_from_the_meta_file_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("projects/-p");
    let subagents = project.join("s1/subagents");
    std::fs::create_dir_all(&subagents).unwrap();
    let meta = subagents.join("agent-a1.meta.json");
    std::fs::write(
        &meta,
        r#"{"agentType":"Explore","description":"never kept"}"#,
    )
    .unwrap();
    let file_at = |path: std::path::PathBuf| TranscriptFile {
        source: path.to_string_lossy().into(),
        path,
        ..file()
    };
    let files = [
        file_at(project.join("s1.jsonl")),
        file_at(subagents.join("agent-a1.jsonl")),
        file_at(subagents.join("agent-b2.jsonl")),
    ];
    let line = |msg: &str, sidechain: bool, agent: &str| {
        let mut e = entry_with("claude-opus-4-6", "s1", Some(msg));
        (e.is_sidechain, e.agent_id) = (sidechain, agent.into());
        e
    };
    let mut c = Collector::new(CostMode::Auto, Default::default());
    let main_file = vec![
        // The main thread, whatever agentId its line has.
        scanned(line("m1", false, "a1"), 1),
        // a1's response nested in the parent's progress line (data.agentId).
        scanned(line("m2", true, "a1"), 2),
        // A sidechain line naming no agent: an unknown subagent, no type.
        scanned(line("m3", true, ""), 3),
    ];
    c.absorb(0, &files[0], scan_of(main_file, true));
    // a1's own file, its line without agentId: the file names the agent. Then b2, without a
    // meta file.
    c.absorb(
        1,
        &files[1],
        scan_of(vec![scanned(line("m4", false, ""), 1)], true),
    );
    c.absorb(
        2,
        &files[2],
        scan_of(vec![scanned(line("m5", true, "b2"), 1)], true),
    );
    let types = |c: &mut Collector| -> Vec<(String, String)> {
        let batch = c.take_batch(8);
        (batch.rows.iter())
            .map(|p| {
                let r = p.row(&files, &batch.strings, "m", "", CostMode::Auto, 0);
                (r.message_id.to_string(), r.agent_type.to_string())
            })
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        (list.iter())
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        types(&mut c),
        pairs(&[
            ("m1", ""),
            ("m2", "Explore"),
            ("m3", ""),
            ("m4", "Explore"),
            ("m5", "")
        ])
    );
    // Read once per run: a changed meta file is not read again by this run.
    std::fs::write(&meta, r#"{"agentType":"Plan"}"#).unwrap();
    c.absorb(
        1,
        &files[1],
        scan_of(vec![scanned(line("m6", true, "a1"), 2)], true),
    );
    assert_eq!(types(&mut c), pairs(&[("m6", "Explore")]));
    // The next run reads it as it is then.
    let mut next = Collector::new(CostMode::Auto, Default::default());
    next.absorb(
        1,
        &files[1],
        scan_of(vec![scanned(line("m7", true, "a1"), 3)], true),
    );
    assert_eq!(types(&mut next), pairs(&[("m7", "Plan")]));
}

fn scanned(entry: Entry, line_no: u64) -> Scanned {
    Scanned {
        entry,
        line_no,
        unkeyed: None,
    }
}

fn scan_of(entries: Vec<Scanned>, from_start: bool) -> FileScan {
    FileScan {
        entries,
        stats: Stats::default(),
        read: FileRead {
            offset: 0,
            line_no: 0,
        },
        from_start,
    }
}

#[test]
fn a_better_line_in_a_later_batch_hides_the_stored_row_and_names_both_buckets() {
    let mut c = Collector::new(CostMode::Auto, Default::default());
    let mut side = entry_with("claude-opus-4-6", "s1", Some("msg_1"));
    side.request_id = Some("req_side".into());
    c.absorb(0, &file(), scan_of(vec![scanned(side.clone(), 1)], true));
    let first = c.take_batch(4);
    assert_eq!((first.rows.len(), first.hidden.len()), (1, 0));
    // The main copy, an hour later: another key, another bucket.
    let mut main = side.clone();
    main.request_id = Some("req_main".into());
    main.is_sidechain = false;
    main.timestamp_ms += 3_600_000;
    c.absorb(0, &file(), scan_of(vec![scanned(main.clone(), 2)], true));
    assert_eq!(c.superseded(), 1);
    let second = c.take_batch(4);
    assert_eq!(second.rows[0].request_id(), "req_main");
    let hidden = &second.hidden[0];
    assert_eq!(
        (&*hidden.message_id, &*hidden.tombstone.request_id),
        ("msg_1", "req_side")
    );
    assert_eq!(hidden.tombstone.version, first.rows[0].version() + 1);
    let tomb = hidden.row("m", 0);
    assert_eq!((tomb.is_deleted, tomb.timestamp), (1, side.timestamp_ms));
    assert_eq!(
        second.buckets.iter().copied().collect::<Vec<_>>(),
        vec![bucket_of(side.timestamp_ms), bucket_of(main.timestamp_ms)]
    );
}

#[test]
fn lines_without_request_id_or_message_id_get_keys_of_their_own() {
    let mut c = Collector::new(CostMode::Auto, Default::default());
    let mut no_request = entry_with("m", "s9", Some("msg_2"));
    no_request.request_id = None;
    let unkeyed = |repeat| Scanned {
        entry: entry_with("m", "s1", None),
        line_no: 3,
        unkeyed: Some(Unkeyed { base: 0xab, repeat }),
    };
    c.absorb(
        0,
        &file(),
        scan_of(vec![scanned(no_request, 1), unkeyed(0), unkeyed(1)], true),
    );
    let keys: Vec<String> = c
        .take_batch(4)
        .rows
        .iter()
        .map(|p| p.request_id().to_string())
        .collect();
    assert_eq!(
        keys,
        [
            "~s9@1767225600123",
            "~l:00000000000000ab",
            "~l:00000000000000ab.1"
        ]
    );
    // A read from a checkpoint counts on from the repeats already stored.
    let mut later = scan_of(vec![unkeyed(0)], false);
    let (mut ids, mut lines) = (Vec::new(), Vec::new());
    c.unknown(&later, &mut ids, &mut lines);
    assert_eq!((ids.len(), lines), (0, vec![0xab]));
    c.seed_repeats(0xab, 2);
    later.entries[0].line_no = 4;
    c.absorb(0, &file(), later);
    assert_eq!(
        c.take_batch(1).rows[0].request_id(),
        "~l:00000000000000ab.2"
    );
}
