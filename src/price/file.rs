//! Reading a price file in LiteLLM's `model_prices_and_context_window.json` shape: the
//! embedded `prices.json` and a `CCSYNC_PRICING_FILE` alike (fields: `prices.md`).
//!
//! Numbers are read from their text with Rust's correctly rounded parser (serde_json's default
//! one can be off by a unit in the last place), so a price written with all its digits is read
//! back as exactly the double that was written. Errors carry the byte offset of the value at
//! fault; [`super::table`] turns it into a line and column.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use super::rates::ModelPrice;

/// The top-level key holding ccusage's built-in aliases (`{"name": "key it prices as"}`).
pub(crate) const ALIASES_KEY: &str = "ccsync_aliases";
/// The top-level key holding the fallback table (ccusage's models.dev snapshot).
pub(crate) const FALLBACK_KEY: &str = "ccsync_fallback";
/// LiteLLM's own file documents its fields in an entry of this name: not a model.
const SAMPLE_SPEC: &str = "sample_spec";

/// Where an entry's prices come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// ccusage's LiteLLM snapshot.
    LiteLlm,
    /// ccusage's built-in entries (`"ccsync_source": "ccusage"`).
    Ccusage,
    /// ccusage's models.dev snapshot (the fallback table).
    ModelsDev,
    /// The user's `CCSYNC_PRICING_FILE`.
    PricingFile,
}

/// One model's entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub price: ModelPrice,
    /// Only a name spelling this key (`.`, `@` and `-` alike) may use it.
    pub exact_only: bool,
    pub max_input_tokens: Option<u64>,
    pub origin: Origin,
}

/// Everything a price file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Prices {
    pub primary: Vec<Entry>,
    pub fallback: Vec<Entry>,
    pub aliases: Vec<(String, String)>,
    /// Entries without an input or output price (LiteLLM's image and audio models): not
    /// priced, as ccusage skips them too.
    pub skipped: Vec<String>,
}

/// A value of the wrong kind: `offset` is where it starts in the file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invalid {
    pub offset: usize,
    pub path: String,
    pub message: String,
}

type Object<'a> = BTreeMap<String, &'a RawValue>;

/// Reads a whole price file; `origin` is what its top-level entries are.
pub(crate) fn parse(text: &str, origin: Origin) -> Result<Prices, Invalid> {
    let top: Object<'_> = serde_json::from_str(text).map_err(|e| Invalid {
        offset: offset_of_line(text, e.line(), e.column()),
        path: String::new(),
        message: match e.classify() {
            serde_json::error::Category::Data => {
                r#"expected an object of models: {"model-name": {"input_cost_per_token": …}}"#
                    .to_owned()
            }
            _ => {
                // The position is given apart, as a line and column.
                let text = e.to_string();
                let reason = text
                    .rsplit_once(" at line ")
                    .map_or(text.as_str(), |(r, _)| r);
                format!("invalid JSON: {reason}")
            }
        },
    })?;
    let mut prices = Prices::default();
    for (key, raw) in &top {
        let path = format!("[{key:?}]");
        match key.as_str() {
            ALIASES_KEY => prices.aliases = aliases(text, raw, &path)?,
            FALLBACK_KEY => {
                let fallback_origin = match origin {
                    Origin::PricingFile => Origin::PricingFile,
                    _ => Origin::ModelsDev,
                };
                for (name, raw) in &object(text, raw, &path)? {
                    let path = format!("{path}[{name:?}]");
                    match entry(text, name, raw, &path, fallback_origin)? {
                        Some(e) => prices.fallback.push(e),
                        None => prices.skipped.push(name.clone()),
                    }
                }
            }
            SAMPLE_SPEC => {}
            _ => match entry(text, key, raw, &path, origin)? {
                Some(e) => prices.primary.push(e),
                None => prices.skipped.push(key.clone()),
            },
        }
    }
    Ok(prices)
}

fn aliases(text: &str, raw: &RawValue, path: &str) -> Result<Vec<(String, String)>, Invalid> {
    object(text, raw, path)?
        .into_iter()
        .map(
            |(name, target)| match serde_json::from_str::<String>(target.get()) {
                Ok(target) => Ok((name, target)),
                Err(_) => Err(invalid(
                    text,
                    target,
                    &format!("{path}[{name:?}]"),
                    "expected the name of the model it prices as (a string)",
                )),
            },
        )
        .collect()
}

/// One model's entry, or `None` when it has no input or output price.
fn entry(
    text: &str,
    key: &str,
    raw: &RawValue,
    path: &str,
    origin: Origin,
) -> Result<Option<Entry>, Invalid> {
    let fields = object(text, raw, path)?;
    let rate = |name: &str| -> Result<Option<f64>, Invalid> {
        fields
            .get(name)
            .map(|raw| price(text, raw, &format!("{path}.{name}")))
            .transpose()
            .map(Option::flatten)
    };
    let (Some(input), Some(output)) = (
        rate("input_cost_per_token")?,
        rate("output_cost_per_token")?,
    ) else {
        return Ok(None);
    };
    let cache_read = rate("cache_read_input_token_cost")?;
    let price = ModelPrice {
        input,
        output,
        // ccusage's defaults, in its order of operations.
        cache_write: rate("cache_creation_input_token_cost")?.unwrap_or(input * 1.25),
        cache_read: cache_read.unwrap_or(input * 0.1),
        cache_read_listed: cache_read.is_some(),
        input_above_200k: rate("input_cost_per_token_above_200k_tokens")?,
        output_above_200k: rate("output_cost_per_token_above_200k_tokens")?,
        cache_write_above_200k: rate("cache_creation_input_token_cost_above_200k_tokens")?,
        cache_read_above_200k: rate("cache_read_input_token_cost_above_200k_tokens")?,
        whole_request_threshold: count(text, &fields, "ccsync_whole_request_above_tokens", path)?,
        fast_multiplier: fast(text, &fields, path)?.unwrap_or(1.0),
    };
    let exact_only = match fields.get("ccsync_exact_only") {
        None => false,
        Some(raw) => serde_json::from_str::<bool>(raw.get()).map_err(|_| {
            invalid(
                text,
                raw,
                &format!("{path}.ccsync_exact_only"),
                "expected true or false",
            )
        })?,
    };
    let origin = match fields.get("ccsync_source").map(|raw| raw.get()) {
        Some("\"ccusage\"") => Origin::Ccusage,
        _ => origin,
    };
    Ok(Some(Entry {
        key: key.to_owned(),
        price,
        exact_only,
        // Informational, and LiteLLM's own spec entry writes a sentence here: not checked.
        max_input_tokens: fields
            .get("max_input_tokens")
            .and_then(|raw| raw.get().parse().ok()),
        origin,
    }))
}

/// `provider_specific_entry.fast`: LiteLLM's field for the fast-mode multiplier.
fn fast(text: &str, fields: &Object<'_>, path: &str) -> Result<Option<f64>, Invalid> {
    let Some(raw) = fields.get("provider_specific_entry") else {
        return Ok(None);
    };
    let path = format!("{path}.provider_specific_entry");
    let inner = object(text, raw, &path)?;
    let Some(raw) = inner.get("fast") else {
        return Ok(None);
    };
    let value = number(text, raw, &format!("{path}.fast"))?;
    match value {
        Some(m) if m <= 0.0 => Err(invalid(
            text,
            raw,
            &format!("{path}.fast"),
            "expected a multiplier above 0 (e.g. 2.0)",
        )),
        other => Ok(other),
    }
}

/// A token count above 0.
fn count(text: &str, fields: &Object<'_>, name: &str, path: &str) -> Result<Option<u64>, Invalid> {
    let Some(raw) = fields.get(name) else {
        return Ok(None);
    };
    match raw.get().parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(invalid(
            text,
            raw,
            &format!("{path}.{name}"),
            "expected a whole number of tokens above 0 (e.g. 200000)",
        )),
    }
}

/// A price: USD per token, a finite number ≥ 0; `null` counts as absent (as in ccusage).
fn price(text: &str, raw: &RawValue, path: &str) -> Result<Option<f64>, Invalid> {
    match number(text, raw, path)? {
        Some(p) if p < 0.0 => Err(invalid(
            text,
            raw,
            path,
            "expected a price of 0 or more (USD per token, e.g. 3e-06)",
        )),
        other => Ok(other),
    }
}

fn number(text: &str, raw: &RawValue, path: &str) -> Result<Option<f64>, Invalid> {
    let literal = raw.get();
    if literal == "null" {
        return Ok(None);
    }
    // A JSON number is also Rust float syntax; strings, booleans and objects are not.
    let is_number = literal.starts_with(|c: char| c == '-' || c.is_ascii_digit());
    match literal.parse::<f64>() {
        Ok(value) if is_number && value.is_finite() => Ok(Some(value)),
        _ => Err(invalid(
            text,
            raw,
            path,
            &format!("expected a number (USD per token, e.g. 3e-06), got {literal}"),
        )),
    }
}

fn object<'a>(text: &str, raw: &'a RawValue, path: &str) -> Result<Object<'a>, Invalid> {
    if !raw.get().starts_with('{') {
        return Err(invalid(text, raw, path, "expected an object"));
    }
    serde_json::from_str(raw.get()).map_err(|e| invalid(text, raw, path, &e.to_string()))
}

fn invalid(text: &str, raw: &RawValue, path: &str, message: &str) -> Invalid {
    Invalid {
        // The value is a slice of `text`: its address gives its place in the file.
        offset: (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize),
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

/// The byte offset of a 1-based line and column (serde_json's error position).
fn offset_of_line(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    start + column.saturating_sub(1)
}

/// The 1-based line and column of a byte offset.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}
