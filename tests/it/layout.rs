//! The tree reads as the data path: between src/'s top-level modules (each folder or file directly
//! under src/ is one), non-test code has no import cycle.
//!
//! A small scanner, no compiler: it walks the module tree from src/lib.rs along `mod` declarations,
//! skips every item under `#[cfg(test)]` (so test modules and their files are never read), drops
//! comments and literals, and records each path into another top-level module: `crate::m`,
//! `crate::{m, ...}`, `super::...` reaching the crate root, and the root's re-exports
//! (`crate::Error` is `error`'s). A failure prints every cycle with `file:line` evidence per edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::repo;

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = Graph::scan(&repo().join("src"));
    // The scanner sees the tree: every top-level module was read, and the data path is there.
    let declared = graph.modules.clone();
    for m in ["cli", "source", "store", "sync", "report", "time"] {
        assert!(declared.contains(m), "src/lib.rs declares no `{m}`");
    }
    for m in &declared {
        assert!(graph.read.contains(m), "module `{m}` was not read");
    }
    for (from, to) in [("cli", "sync"), ("sync", "store"), ("sync", "source")] {
        assert!(
            graph.edges.contains_key(&(from.into(), to.into())),
            "the scanner missed {from} → {to}:\n{}",
            graph.render()
        );
    }
    // The map (seen with --nocapture): one line per module, what it imports.
    println!("{}", graph.render());
    let cycles = graph.cycles();
    assert!(
        cycles.is_empty(),
        "import cycles between top-level modules of src/:\n{}\nthe whole graph:\n{}",
        cycles.join("\n"),
        graph.render()
    );
}

/// The detector itself: a cycle through `super::` and a `crate::{..}` group is found, a
/// `#[cfg(test)]` item and comments are not edges.
#[test]
fn the_scanner_finds_a_cycle_and_ignores_test_code() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |path: &str, text: &str| {
        let path = src.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "lib.rs",
        "pub mod a;\nmod b;\npub mod c;\npub use c::Thing;\n",
    );
    write("a/mod.rs", "mod inner;\n// crate::c is only a comment\n");
    write(
        "a/inner.rs",
        "fn f() -> super::super::b::B { todo!() }\n#[cfg(test)]\nuse crate::c::X;\n\
         #[cfg(test)]\n#[path = \"inner_tests.rs\"]\nmod tests;\n",
    );
    write("a/inner_tests.rs", "use crate::c::Y;\n");
    write(
        "b.rs",
        "use crate::{c::Z, time};\nconst S: &str = \"crate::a\";\n",
    );
    write(
        "c.rs",
        "pub struct Thing;\nfn g() { let _ = crate::a::f; }\n",
    );
    let graph = Graph::scan(src);
    let edges: BTreeSet<_> = graph.edges.keys().cloned().collect();
    let want: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(x, y)| (x.into(), y.into()))
        .collect();
    assert_eq!(edges, want, "{}", graph.render());
    let cycles = graph.cycles();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert!(cycles[0].contains("a/inner.rs:1"), "{}", cycles[0]);
    // Without c → a, no cycle; `crate::Thing` is c's (a root re-export).
    write("c.rs", "pub struct Thing;\n");
    write("b.rs", "use crate::Thing;\n");
    let graph = Graph::scan(src);
    assert!(graph.edges.contains_key(&("b".into(), "c".into())));
    assert!(graph.cycles().is_empty(), "{}", graph.render());
}

#[derive(Default)]
struct Graph {
    src: PathBuf,
    /// Top-level modules declared in lib.rs.
    modules: BTreeSet<String>,
    /// Top-level modules whose files were read.
    read: BTreeSet<String>,
    /// Root re-exports: name → the top-level module it comes from.
    aliases: BTreeMap<String, String>,
    /// (from, to) → where (`file:line`), in the order found.
    edges: BTreeMap<(String, String), Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    /// `::`
    Path,
    Punct(char),
}

impl Graph {
    fn scan(src: &Path) -> Graph {
        let mut graph = Graph {
            src: src.to_path_buf(),
            ..Graph::default()
        };
        let lib = src.join("lib.rs");
        let toks = tokens(&std::fs::read_to_string(&lib).unwrap());
        let toks = without_test_items(toks);
        // The root: its modules and re-exports (`pub use m::{A, B};`, `pub use m::A;`).
        let mut i = 0;
        while i < toks.len() {
            match (&toks[i].1, toks.get(i + 1).map(|t| &t.1)) {
                (Tok::Ident(k), Some(Tok::Ident(name))) if k == "mod" => {
                    graph.modules.insert(name.clone());
                }
                (Tok::Ident(k), Some(Tok::Ident(m))) if k == "use" => {
                    let mut j = i + 2;
                    while j < toks.len() && toks[j].1 != Tok::Punct(';') {
                        if let Tok::Ident(name) = &toks[j].1
                            && name != "self"
                            && name != "as"
                        {
                            graph.aliases.insert(name.clone(), m.clone());
                        }
                        j += 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        for m in graph.modules.clone() {
            let file = module_file(src, &m).unwrap_or_else(|| panic!("no file for module {m}"));
            graph.read.insert(m.clone());
            graph.visit(&file, vec![m.clone()], true);
        }
        graph
    }

    /// Reads `file`, the module at `path` (from the root); `mod_rs`: its children live in its own
    /// folder (mod.rs), else in a folder named after it.
    fn visit(&mut self, file: &Path, path: Vec<String>, mod_rs: bool) {
        let text = std::fs::read_to_string(file).unwrap();
        let toks = without_test_items(tokens(&text));
        let shown = file
            .strip_prefix(&self.src)
            .unwrap_or(file)
            .display()
            .to_string();
        let dir = file.parent().unwrap().to_path_buf();
        let children_dir = if mod_rs {
            dir.clone()
        } else {
            dir.join(file.file_stem().unwrap())
        };
        // Inline modules: (name, brace depth inside them).
        let mut inline: Vec<(String, usize)> = Vec::new();
        let mut depth = 0usize;
        let mut path_attr: Option<String> = None;
        let mut i = 0;
        while i < toks.len() {
            let (line, tok) = &toks[i];
            match tok {
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    if inline.last().is_some_and(|(_, d)| *d == depth) {
                        inline.pop();
                    }
                    depth = depth.saturating_sub(1);
                }
                Tok::Ident(k) if k == "path" => {
                    if let (Some(Tok::Punct('=')), Some(Tok::Str(p))) =
                        (toks.get(i + 1).map(|t| &t.1), toks.get(i + 2).map(|t| &t.1))
                    {
                        path_attr = Some(p.clone());
                    }
                }
                Tok::Ident(k) if k == "mod" => {
                    if let Some(Tok::Ident(name)) = toks.get(i + 1).map(|t| &t.1) {
                        match toks.get(i + 2).map(|t| &t.1) {
                            Some(Tok::Punct(';')) if inline.is_empty() => {
                                let mut child = path.clone();
                                child.push(name.clone());
                                let (file, mod_rs) = match path_attr.take() {
                                    Some(p) => (dir.join(p), false),
                                    None => child_file(&children_dir, name).unwrap_or_else(|| {
                                        panic!("{shown}: no file for mod {name}")
                                    }),
                                };
                                self.visit(&file, child, mod_rs);
                            }
                            Some(Tok::Punct('{')) => {
                                inline.push((name.clone(), depth + 1));
                            }
                            _ => {}
                        }
                    }
                }
                Tok::Ident(k) if k == "crate" || k == "super" => {
                    let mut here: Vec<String> = path.clone();
                    here.extend(inline.iter().map(|(n, _)| n.clone()));
                    let mut j = i;
                    let mut at_root = false;
                    while let Some(Tok::Ident(k)) = toks.get(j).map(|t| &t.1) {
                        if k == "crate" && j == i {
                            at_root = true;
                        } else if k == "super" && !at_root {
                            here.pop();
                            at_root = here.is_empty();
                        } else {
                            break;
                        }
                        if toks.get(j + 1).map(|t| &t.1) != Some(&Tok::Path) {
                            break;
                        }
                        j += 2;
                    }
                    if at_root {
                        for target in first_segments(&toks, j) {
                            self.edge(&path[0], &target, format!("{shown}:{line}"));
                        }
                    }
                    i = j.max(i + 1);
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn edge(&mut self, from: &str, name: &str, at: String) {
        let to = if self.modules.contains(name) {
            name.to_string()
        } else if let Some(m) = self.aliases.get(name) {
            m.clone()
        } else {
            return; // an item of the root itself
        };
        if to != from {
            self.edges
                .entry((from.to_string(), to))
                .or_default()
                .push(at);
        }
    }

    fn targets(&self, from: &str) -> impl Iterator<Item = &String> {
        self.edges
            .keys()
            .filter(move |(f, _)| f == from)
            .map(|(_, t)| t)
    }

    /// One line per cycle (per strongly connected component with more than one module): a cycle
    /// through it, each edge with where it is made.
    fn cycles(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for start in &self.modules {
            if seen.contains(start) {
                continue;
            }
            // The component of `start`: reachable from it and reaching it.
            let from = self.reach(start, false);
            let to = self.reach(start, true);
            let comp: BTreeSet<String> = from.intersection(&to).cloned().collect();
            seen.extend(comp.iter().cloned());
            if comp.len() < 2 {
                continue;
            }
            // A shortest path start → … → start inside the component (breadth first).
            let mut prev: BTreeMap<String, String> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start.clone()]);
            let mut last = None;
            'bfs: while let Some(m) = queue.pop_front() {
                for t in self.targets(&m) {
                    if t == start {
                        last = Some(m.clone());
                        break 'bfs;
                    }
                    if comp.contains(t) && !prev.contains_key(t) {
                        prev.insert(t.clone(), m.clone());
                        queue.push_back(t.clone());
                    }
                }
            }
            let mut chain = Vec::new();
            let mut m = last.unwrap();
            while &m != start {
                chain.push(m.clone());
                m = prev[&m].clone();
            }
            chain.reverse();
            let mut ring = vec![start.clone()];
            ring.extend(chain);
            ring.push(start.clone());
            let mut text = format!(
                "cycle among {{{}}}: {}",
                comp.iter().cloned().collect::<Vec<_>>().join(", "),
                ring.join(" → ")
            );
            for w in ring.windows(2) {
                let at = &self.edges[&(w[0].clone(), w[1].clone())];
                text += &format!("\n  {} → {}: {}", w[0], w[1], evidence(at));
            }
            text += "\n  every edge inside:";
            for ((f, t), at) in &self.edges {
                if comp.contains(f) && comp.contains(t) {
                    text += &format!("\n    {f} → {t}: {}", evidence(at));
                }
            }
            out.push(text);
        }
        out
    }

    fn reach(&self, start: &str, backwards: bool) -> BTreeSet<String> {
        let mut seen = BTreeSet::from([start.to_string()]);
        let mut stack = vec![start.to_string()];
        while let Some(m) = stack.pop() {
            for (f, t) in self.edges.keys() {
                let (a, b) = if backwards { (t, f) } else { (f, t) };
                if *a == m && seen.insert(b.clone()) {
                    stack.push(b.clone());
                }
            }
        }
        seen
    }

    /// One line per module: what it imports, each with its first evidence.
    fn render(&self) -> String {
        let mut out = String::new();
        for m in &self.modules {
            let deps: Vec<String> = self
                .targets(m)
                .map(|t| format!("{t} ({})", self.edges[&(m.clone(), t.clone())][0]))
                .collect();
            out += &format!("  {m} → {}\n", deps.join(", "));
        }
        out
    }
}

fn evidence(at: &[String]) -> String {
    let shown: Vec<&str> = at.iter().take(6).map(String::as_str).collect();
    let more = at.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} (+{more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn module_file(src: &Path, name: &str) -> Option<PathBuf> {
    child_file(src, name).map(|(f, _)| f)
}

/// `dir/name.rs` (not mod-rs) or `dir/name/mod.rs`.
fn child_file(dir: &Path, name: &str) -> Option<(PathBuf, bool)> {
    let file = dir.join(format!("{name}.rs"));
    if file.is_file() {
        return Some((file, false));
    }
    let file = dir.join(name).join("mod.rs");
    file.is_file().then_some((file, true))
}

/// The top-level names a path names right after its root prefix: `m` in `crate::m::x`, each
/// group member's first segment in `crate::{m::x, n}`.
fn first_segments(toks: &[(usize, Tok)], at: usize) -> Vec<String> {
    match toks.get(at).map(|t| &t.1) {
        Some(Tok::Ident(name)) => vec![name.clone()],
        Some(Tok::Punct('{')) => {
            let mut out = Vec::new();
            let mut depth = 0;
            let mut expect = true;
            for (_, tok) in &toks[at..] {
                match tok {
                    Tok::Punct('{') => {
                        depth += 1;
                        expect = depth == 1;
                    }
                    Tok::Punct('}') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Tok::Punct(',') if depth == 1 => expect = true,
                    Tok::Ident(name) if expect && depth == 1 => {
                        out.push(name.clone());
                        expect = false;
                    }
                    _ => expect = false,
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Drops every item (or statement, field, arm) under `#[cfg(test)]`: the tokens up to its `;`
/// or the end of its first `{…}` block, at its own nesting.
fn without_test_items(toks: Vec<(usize, Tok)>) -> Vec<(usize, Tok)> {
    let cfg_test = [
        Tok::Punct('#'),
        Tok::Punct('['),
        Tok::Ident("cfg".into()),
        Tok::Punct('('),
        Tok::Ident("test".into()),
        Tok::Punct(')'),
        Tok::Punct(']'),
    ];
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let window = toks[i..].iter().take(cfg_test.len()).map(|t| &t.1);
        if window.eq(cfg_test.iter()) {
            i += cfg_test.len();
            let mut depth = 0i32;
            while i < toks.len() {
                match &toks[i].1 {
                    Tok::Punct('(' | '[' | '{') => depth += 1,
                    Tok::Punct(')' | ']') => depth -= 1,
                    Tok::Punct('}') => {
                        depth -= 1;
                        if depth <= 0 {
                            break;
                        }
                    }
                    Tok::Punct(';') if depth == 0 => break,
                    _ => {}
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        out.push(toks[i].clone());
        i += 1;
    }
    out
}

/// Rust source as (line, token): identifiers, string literals (their text, for `#[path]`), `::`
/// and single punctuation; comments, chars, lifetimes and numbers dropped.
fn tokens(text: &str) -> Vec<(usize, Tok)> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let lines = |s: &[char]| s.iter().filter(|&&ch| ch == '\n').count();
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            let start = i;
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            line += lines(&c[start..i]);
        } else if ch == '"'
            || ((ch == 'r' || ch == 'b' || ch == 'c')
                && matches!(
                    (c.get(i + 1), c.get(i + 2)),
                    (Some('"'), _) | (Some('#'), Some('"' | '#')) | (Some('r'), Some('"' | '#'))
                ))
        {
            // "…", b"…", c"…", r"…", r#"…"#, br#"…"#.
            let start = i;
            let mut raw = false;
            while c[i] != '"' && c[i] != '#' {
                raw |= c[i] == 'r';
                i += 1;
            }
            let mut hashes = 0;
            while c[i] == '#' {
                hashes += 1;
                i += 1;
            }
            raw |= hashes > 0;
            i += 1; // the opening quote
            let body = i;
            loop {
                if i >= c.len() {
                    break;
                }
                if !raw && c[i] == '\\' {
                    i += 2;
                    continue;
                }
                if c[i] == '"'
                    && c[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&h| h == '#')
                        .count()
                        == hashes
                {
                    break;
                }
                i += 1;
            }
            out.push((line, Tok::Str(c[body..i.min(c.len())].iter().collect())));
            i += 1 + hashes;
            line += lines(&c[start..i.min(c.len())]);
        } else if ch == '\'' {
            // A char ('x', '\n', '\u{..}') or a lifetime ('a).
            if c.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push((line, Tok::Ident(c[start..i].iter().collect())));
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '.') {
                if c[i] == '.' && c.get(i + 1) == Some(&'.') {
                    break;
                }
                i += 1;
            }
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push((line, Tok::Path));
            i += 2;
        } else {
            out.push((line, Tok::Punct(ch)));
            i += 1;
        }
    }
    out
}
