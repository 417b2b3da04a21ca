//! The price table: the embedded `prices.json`, with the user's `CCSYNC_PRICING_FILE` laid
//! over it, indexed for lookups. One per process ([`global`]), built on first use.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustc_hash::{FxHashMap, FxHashSet};

use super::file::{self, Entry, Origin, Prices};
use super::resolve::normalized;

/// The data, compiled in: parsed once, on the first lookup.
const EMBEDDED: &str = include_str!("prices.json");

/// One table (primary or fallback) with its indexes.
#[derive(Debug)]
pub(crate) struct Side {
    pub entries: Vec<Entry>,
    by_key: FxHashMap<String, usize>,
    /// Each entry's key with `.` and `@` read as `-`, for the fuzzy match.
    pub normalized: Vec<String>,
    /// Exact-only keys by their normalized spelling: the one entry it spells, or `None` when
    /// two entries share it (then the spelling names neither).
    exact_only: FxHashMap<String, Option<usize>>,
}

impl Side {
    fn new(entries: Vec<Entry>) -> Self {
        let by_key = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i))
            .collect();
        let normalized: Vec<String> = entries.iter().map(|e| normalized(&e.key).into()).collect();
        let mut exact_only: FxHashMap<String, Option<usize>> = FxHashMap::default();
        for (i, _) in entries.iter().enumerate().filter(|(_, e)| e.exact_only) {
            exact_only
                .entry(normalized[i].clone())
                .and_modify(|named| *named = None)
                .or_insert(Some(i));
        }
        Side {
            entries,
            by_key,
            normalized,
            exact_only,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.by_key.get(key).map(|&i| &self.entries[i])
    }

    /// The exact-only entry `name` spells with other separators, if exactly one.
    pub(crate) fn spelled_exact_only(&self, name: &str) -> Option<&Entry> {
        let index = (*self.exact_only.get(normalized(name).as_ref())?)?;
        Some(&self.entries[index])
    }

    /// Whether `name` is any spelling of an exact-only key: then no fuzzy match may answer
    /// for it, or the separately priced tier it names would be billed as another model.
    pub(crate) fn is_exact_only_spelling(&self, name: &str) -> bool {
        self.exact_only.contains_key(normalized(name).as_ref())
    }
}

/// The primary table (LiteLLM snapshot, ccusage's built-ins, the pricing file), the fallback
/// table consulted only when it has no match (the models.dev snapshot) and the aliases.
#[derive(Debug)]
pub(crate) struct PriceTable {
    pub primary: Side,
    pub fallback: Side,
    pub aliases: FxHashMap<String, String>,
    /// Entries of the pricing file without an input or output price.
    pub skipped: Vec<String>,
}

impl PriceTable {
    /// The embedded data with `file`'s entries added or replacing those of the same key.
    pub(crate) fn new(mut base: Prices, file: Option<&Prices>) -> Self {
        let mut skipped = Vec::new();
        if let Some(file) = file {
            replace(&mut base.primary, &file.primary);
            replace(&mut base.fallback, &file.fallback);
            base.aliases.extend(file.aliases.iter().cloned());
            skipped.clone_from(&file.skipped);
        }
        PriceTable {
            primary: Side::new(base.primary),
            fallback: Side::new(base.fallback),
            aliases: base.aliases.into_iter().collect(),
            skipped,
        }
    }
}

fn replace(entries: &mut Vec<Entry>, over: &[Entry]) {
    let replaced: FxHashSet<&str> = over.iter().map(|e| e.key.as_str()).collect();
    entries.retain(|e| !replaced.contains(e.key.as_str()));
    entries.extend(over.iter().cloned());
}

pub(crate) fn embedded_prices() -> Prices {
    file::parse(EMBEDDED, Origin::LiteLlm).unwrap_or_else(|e| {
        let (line, column) = file::line_and_column(EMBEDDED, e.offset);
        panic!(
            "src/price/prices.json:{line}:{column} {}: {}",
            e.path, e.message
        )
    })
}

/// A `CCSYNC_PRICING_FILE`, read and checked: models it adds or whose prices it replaces.
#[derive(Clone)]
pub struct PricingFile {
    path: PathBuf,
    prices: Arc<Prices>,
}

impl std::fmt::Debug for PricingFile {
    // Its path and size, not thousands of entries in a `Config`'s debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PricingFile")
            .field("path", &self.path)
            .field("models", &self.prices.primary.len())
            .finish()
    }
}

/// A pricing file that cannot be used: what is wrong, where, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum PricingFileError {
    #[error(
        "cannot read the pricing file {}: {source}\n  fix: correct the path in \
         CCSYNC_PRICING_FILE (or --pricing-file), or unset it to use the built-in prices",
        path.display()
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the pricing file {}, line {line}, column {column}{at}: {message}\n  fix: correct that \
         value (LiteLLM's model_prices_and_context_window.json shape, prices in USD per token; \
         see .env.example), or stop using the file (CCSYNC_PRICING_FILE, --pricing-file)",
        path.display()
    )]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        /// ` (at ["model"].field)`, or empty for a syntax error.
        at: String,
        message: String,
    },
}

impl PricingFile {
    /// Reads and checks the file (the path as given: relative to the working directory).
    pub fn read(path: &Path) -> Result<Self, PricingFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| PricingFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        let prices = file::parse(&text, Origin::PricingFile).map_err(|e| {
            let (line, column) = file::line_and_column(&text, e.offset);
            PricingFileError::Invalid {
                path: path.to_owned(),
                line,
                column,
                at: if e.path.is_empty() {
                    String::new()
                } else {
                    format!(" (at {})", e.path)
                },
                message: e.message,
            }
        })?;
        Ok(PricingFile {
            path: path.to_owned(),
            prices: Arc::new(prices),
        })
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn prices(&self) -> &Prices {
        &self.prices
    }
}

static FILE: OnceLock<PricingFile> = OnceLock::new();
static TABLE: OnceLock<PriceTable> = OnceLock::new();

/// Prices this process with `file` over the built-in data. Only before the first lookup (the
/// table is built once): returns `false`, changing nothing, if it comes too late or twice.
pub fn use_pricing_file(file: &PricingFile) -> bool {
    TABLE.get().is_none() && FILE.set(file.clone()).is_ok()
}

/// The process's table.
pub(crate) fn global() -> &'static PriceTable {
    TABLE.get_or_init(|| PriceTable::new(embedded_prices(), FILE.get().map(PricingFile::prices)))
}
