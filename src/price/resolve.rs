//! Which entry prices a model name: ccusage 20.0.24's lookup, step by step.
//!
//! In the primary table, then (only if it has no match at all) in the fallback table:
//! 1. the name as a key;
//! 2. a built-in alias (`gpt-5.3-spark` → `gpt-5.3-codex-spark`), looked up by steps 1, 3–5;
//! 3. the one exact-only key the name spells with other separators (`.`, `@`, `-`);
//! 4. nothing, if the name is any spelling of an exact-only key (of this table, or for the
//!    primary table of either): a separately priced tier (`claude-opus-5-fast`) must not be
//!    billed as the base model a fuzzy match would find;
//! 5. the longest key (ties: the smallest) that occurs inside the name, or that the name occurs
//!    inside, at word boundaries (neighbours not letters or digits; a key ending in a digit
//!    never matches before `-N`/`.N` unless that is an 8-digit date), compared as written and
//!    with `.` and `@` read as `-`; exact-only keys take no part.
//!
//! So `claude-opus-4-6[1m]`, `anthropic/claude-opus-4-6` and `claude-opus-4.6` price as
//! `claude-opus-4-6`, `aide-gpt-5` as `gpt-5`, but `claude-opus-4-0` is unknown.

use std::borrow::Cow;

use super::cost::SYNTHETIC_MODEL;
use super::file::Entry;
use super::table::{PriceTable, Side};

/// How the name found its entry (step 1, 3 or 5 above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    Exact,
    /// An exact-only key spelled with other separators.
    Spelling,
    /// The key occurs inside the name (`normalized`: only with `.`/`@` read as `-`).
    KeyInName {
        normalized: bool,
    },
    /// The name occurs inside the key.
    NameInKey {
        normalized: bool,
    },
}

/// The entry that prices a name, and why.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolution<'t> {
    pub entry: &'t Entry,
    /// Found in the fallback table.
    pub fallback: bool,
    /// The alias target looked up instead of the name.
    pub alias: Option<&'t str>,
    pub how: How,
}

impl PriceTable {
    /// The entry pricing `model`, or `None` (`<synthetic>` and an empty name included).
    pub(crate) fn resolve(&self, model: &str) -> Option<Resolution<'_>> {
        if model.is_empty() || model == SYNTHETIC_MODEL {
            return None;
        }
        self.resolve_in(&self.primary, false, model)
            .or_else(|| self.resolve_in(&self.fallback, true, model))
    }

    fn resolve_in<'t>(
        &'t self,
        side: &'t Side,
        fallback: bool,
        model: &str,
    ) -> Option<Resolution<'t>> {
        let found = |alias, (entry, how)| Resolution {
            entry,
            fallback,
            alias,
            how,
        };
        if let Some(entry) = side.get(model) {
            return Some(found(None, (entry, How::Exact)));
        }
        if let Some(target) = self.aliases.get(model)
            && let Some(hit) = self.find(side, fallback, target)
        {
            return Some(found(Some(target.as_str()), hit));
        }
        self.find(side, fallback, model).map(|hit| found(None, hit))
    }

    fn find<'t>(&self, side: &'t Side, fallback: bool, name: &str) -> Option<(&'t Entry, How)> {
        if let Some(entry) = side.get(name) {
            return Some((entry, How::Exact));
        }
        if let Some(entry) = side.spelled_exact_only(name) {
            return Some((entry, How::Spelling));
        }
        // ccusage's primary table also respects the fallback's exact-only keys (it is the
        // table a fuzzy match would shadow them from); the fallback only its own.
        let gated = side.is_exact_only_spelling(name)
            || (!fallback && self.fallback.is_exact_only_spelling(name));
        if gated {
            return None;
        }
        fuzzy(side, name)
    }
}

fn fuzzy<'t>(side: &'t Side, name: &str) -> Option<(&'t Entry, How)> {
    let normal = normalized(name);
    side.entries
        .iter()
        .zip(&side.normalized)
        .filter(|(entry, _)| !entry.exact_only)
        .filter_map(|(entry, key)| Some((entry, matching(name, &normal, &entry.key, key)?)))
        .max_by(|(left, _), (right, _)| {
            let (left, right) = (&left.key, &right.key);
            left.len().cmp(&right.len()).then_with(|| right.cmp(left))
        })
}

fn matching(name: &str, normal_name: &str, key: &str, normal_key: &str) -> Option<How> {
    if contains_key(name, key) {
        Some(How::KeyInName { normalized: false })
    } else if contains_key(key, name) {
        Some(How::NameInKey { normalized: false })
    } else if contains_key(normal_name, normal_key) {
        Some(How::KeyInName { normalized: true })
    } else if contains_key(normal_key, normal_name) {
        Some(How::NameInKey { normalized: true })
    } else {
        None
    }
}

/// `.` and `@` are read as `-` when comparing spellings.
pub(crate) fn normalized(value: &str) -> Cow<'_, str> {
    if value.contains(['.', '@']) {
        Cow::Owned(value.replace(['.', '@'], "-"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Whether `key` occurs in `value` between non-alphanumeric boundaries, and
/// not directly followed by a `-N`/`.N` version (an 8-digit date is fine) when
/// it ends in a digit.
pub(crate) fn contains_key(value: &str, key: &str) -> bool {
    value.match_indices(key).any(|(index, _)| {
        let before_ok = index == 0 || !value.as_bytes()[index - 1].is_ascii_alphanumeric();
        before_ok && suffix_allows(key, &value[index + key.len()..])
    })
}

fn suffix_allows(key: &str, suffix: &str) -> bool {
    let Some(&separator) = suffix.as_bytes().first() else {
        return true;
    };
    if separator.is_ascii_alphanumeric() {
        return false;
    }
    if !key.as_bytes().last().is_some_and(u8::is_ascii_digit) || !matches!(separator, b'-' | b'.') {
        return true;
    }
    let rest = &suffix.as_bytes()[1..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    // A following version number means a different model; a date does not.
    digits == 0 || (digits == 8 && rest.get(8).is_none_or(|b| !b.is_ascii_alphanumeric()))
}
