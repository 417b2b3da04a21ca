//! The run's shared strings (model, session, folder...), stored once.

use std::sync::Arc;

/// A string many rows share, stored once per run in [`Symbols`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sym(u32);

/// A pending row holds 4-byte [`Sym`]s instead of 16-byte `Arc`s: at a batch of 40,000 rows
/// (plus one in flight) that is ~10 MB less.
#[derive(Debug, Default)]
pub struct Symbols {
    index: rustc_hash::FxHashMap<Arc<str>, u32>,
    strings: Vec<Arc<str>>,
    /// The string last interned for each field: the rows of one file share their strings'
    /// allocations, so most lookups are a pointer comparison (the clone keeps it unique).
    last: [Option<(Arc<str>, Sym)>; STRING_FIELDS],
}

/// Fields interned per row: model, session_id, cwd, claude_version, git_branch, agent_id,
/// service_tier, speed (the line's), agent_type (its subagent's, see `agent_meta`).
pub const STRING_FIELDS: usize = 9;

/// The field of a row's `agentId` among [`STRING_FIELDS`].
pub const AGENT_ID: usize = 5;
/// The field of its subagent's type.
pub const AGENT_TYPE: usize = 8;

impl Symbols {
    pub fn intern(&mut self, field: usize, s: &Arc<str>) -> Sym {
        if let Some((last, sym)) = &self.last[field]
            && Arc::ptr_eq(last, s)
        {
            return *sym;
        }
        let sym = match self.index.get(s) {
            Some(&i) => Sym(i),
            None => {
                let i = u32::try_from(self.strings.len()).expect("fewer than 2^32 strings");
                self.strings.push(s.clone());
                self.index.insert(s.clone(), i);
                Sym(i)
            }
        };
        self.last[field] = Some((s.clone(), sym));
        sym
    }

    /// The strings interned so far, for rows handed to an insert while more are interned.
    pub fn snapshot(&self) -> Arc<[Arc<str>]> {
        self.strings.as_slice().into()
    }

    pub fn get(&self, sym: Sym) -> &str {
        &self.strings[sym.0 as usize]
    }
}

/// The text of `sym` in a [`Symbols::snapshot`] taken after it was interned.
pub fn resolve(strings: &[Arc<str>], sym: Sym) -> &str {
    &strings[sym.0 as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_per_content_not_per_allocation() {
        let mut symbols = Symbols::default();
        let a1: Arc<str> = "opus".into();
        let a = symbols.intern(0, &a1);
        // Same content, another allocation (another file's parser): the same symbol.
        assert_eq!(symbols.intern(0, &Arc::from("opus")), a);
        let b = symbols.intern(0, &Arc::from("sonnet"));
        assert_ne!(a, b);
        assert_eq!((symbols.get(a), symbols.get(b)), ("opus", "sonnet"));
        // The per-field shortcut compares allocations it keeps alive, never a reused address.
        drop(a1);
        for i in 0..100 {
            // Same length: a freed allocation is likely reused for the next one.
            let text = if i % 2 == 0 { "haiku" } else { "opus!" };
            let s: Arc<str> = text.into();
            let sym = symbols.intern(0, &s);
            drop(s);
            assert_eq!(symbols.get(sym), text);
        }
        let sym = symbols.intern(1, &Arc::from("opus"));
        assert_eq!(sym, a);
    }
}
