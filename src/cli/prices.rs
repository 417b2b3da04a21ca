//! `ccsync prices [MODEL]`: the price table in use (built in, with `CCSYNC_PRICING_FILE`
//! over it), or which entry prices one model name and why. `--json` prints the table in the
//! data file's shape (so it can serve as a pricing file) or the resolution as an object.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Map, Value, json};

use crate::cli::PricingFileArgs;
use crate::price::{self, Entry, How, ModelPrice, Origin, Resolution};
use crate::table::Kind;

#[derive(Debug, Args)]
pub struct PricesArgs {
    /// A model name as a transcript writes it: which entry prices it, why, and its rates.
    #[arg(value_name = "MODEL")]
    pub model: Option<String>,
    /// Print JSON: the table in prices.json's shape, or MODEL's resolution.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub file: PricingFileArgs,
}

/// Exit 1 when MODEL has no price (ccusage would report it as missing pricing).
pub fn run(args: &PricesArgs) -> anyhow::Result<ExitCode> {
    let table = price::table();
    let Some(model) = &args.model else {
        print!(
            "{}",
            if args.json {
                table_json(table)
            } else {
                table_text(table)
            }
        );
        return Ok(ExitCode::SUCCESS);
    };
    let resolution = table.resolve(model);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&resolution_json(model, resolution))?
        );
    } else {
        print!("{}", resolution_text(model, resolution));
    }
    let unpriced = resolution.is_none() && !model.is_empty() && model != price::SYNTHETIC_MODEL;
    Ok(if unpriced {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Where an entry comes from, for reading.
fn label(e: &Entry, fallback: bool) -> String {
    let name = match e.origin {
        Origin::LiteLlm => "LiteLLM",
        Origin::Ccusage => "ccusage built-in",
        Origin::ModelsDev => "models.dev",
        Origin::PricingFile => "pricing file",
    };
    if fallback && e.origin != Origin::ModelsDev {
        format!("{name} (fallback)")
    } else {
        name.to_owned()
    }
}

fn source(origin: Origin) -> &'static str {
    match origin {
        Origin::LiteLlm => "litellm",
        Origin::Ccusage => "ccusage",
        Origin::ModelsDev => "models.dev",
        Origin::PricingFile => "pricing-file",
    }
}

/// USD per million tokens, without float noise (`6.250000000000001` → `6.25`).
fn per_million(rate: f64) -> String {
    let text = format!("{:.6}", rate * 1e6);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The tier in a few words: `bucket > 200k` or `request > 272,000`.
fn tier(p: &ModelPrice) -> String {
    let above = [
        p.input_above_200k,
        p.output_above_200k,
        p.cache_write_above_200k,
        p.cache_read_above_200k,
    ];
    match p.whole_request_threshold {
        _ if above.iter().all(Option::is_none) => String::new(),
        Some(n) => format!("request > {}", crate::table::grouped(n.into())),
        None => format!(
            "bucket > {}",
            crate::table::grouped(price::TIER_THRESHOLD.into())
        ),
    }
}

fn table_text(table: &price::PriceTable) -> String {
    let names = [
        "model",
        "source",
        "input",
        "output",
        "cache write",
        "cache read",
        "tier",
        "fast",
    ];
    // Prices keep all their digits (0.005 is not 0.01): right-aligned as written.
    let columns: Vec<(String, Kind)> = (names.iter().enumerate())
        .map(|(i, n)| {
            (
                n.to_string(),
                if (2..6).contains(&i) {
                    Kind::Figure
                } else {
                    Kind::Text
                },
            )
        })
        .collect();
    let rows: Vec<Vec<Value>> = entries(table)
        .map(|(e, fallback)| {
            let p = &e.price;

            let fast = if p.fast_multiplier == 1.0 {
                String::new()
            } else {
                format!("× {}", p.fast_multiplier)
            };
            [
                e.key.clone(),
                label(e, fallback),
                per_million(p.input),
                per_million(p.output),
            ]
            .into_iter()
            .chain([
                per_million(p.cache_write),
                per_million(p.cache_read),
                tier(p),
                fast,
            ])
            .map(Value::String)
            .collect()
        })
        .collect();
    let mut out = String::from(
        "USD per million tokens. The models.dev entries (the fallback) price only names no other \
         entry matches.\n",
    );
    out += &crate::table::render(&columns, &rows, crate::table::output_width());
    if !table.skipped.is_empty() {
        out += &format!(
            "not priced (no input or output price): {}\n",
            table.skipped.join(", ")
        );
    }
    out
}

/// Every entry, primary first, each table by key; `true` for the fallback's.
fn entries(table: &price::PriceTable) -> impl Iterator<Item = (&Entry, bool)> {
    let primary = by_key(&table.primary.entries)
        .into_iter()
        .map(|e| (e, false));
    primary.chain(
        by_key(&table.fallback.entries)
            .into_iter()
            .map(|e| (e, true)),
    )
}

fn by_key(entries: &[Entry]) -> Vec<&Entry> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    sorted
}

/// An entry in the data file's fields (USD per token).
fn entry_json(e: &Entry) -> Value {
    let p = &e.price;
    let mut o = Map::new();
    let mut put = |k: &str, v: Value| {
        o.insert(k.to_owned(), v);
    };
    put("input_cost_per_token", json!(p.input));
    put("output_cost_per_token", json!(p.output));
    put("cache_creation_input_token_cost", json!(p.cache_write));
    if p.cache_read_listed {
        put("cache_read_input_token_cost", json!(p.cache_read));
    }
    let above = [
        ("input_cost_per_token_above_200k_tokens", p.input_above_200k),
        (
            "output_cost_per_token_above_200k_tokens",
            p.output_above_200k,
        ),
        (
            "cache_creation_input_token_cost_above_200k_tokens",
            p.cache_write_above_200k,
        ),
        (
            "cache_read_input_token_cost_above_200k_tokens",
            p.cache_read_above_200k,
        ),
    ];
    for (k, v) in above {
        if let Some(v) = v {
            put(k, json!(v));
        }
    }
    if let Some(n) = p.whole_request_threshold {
        put("ccsync_whole_request_above_tokens", json!(n));
    }
    if let Some(n) = e.max_input_tokens {
        put("max_input_tokens", json!(n));
    }
    if p.fast_multiplier != 1.0 {
        put(
            "provider_specific_entry",
            json!({"fast": p.fast_multiplier}),
        );
    }
    if e.exact_only {
        put("ccsync_exact_only", json!(true));
    }
    put("ccsync_source", json!(source(e.origin)));
    Value::Object(o)
}

fn table_json(table: &price::PriceTable) -> String {
    let mut top = Map::new();
    let mut fallback = Map::new();
    for (e, in_fallback) in entries(table) {
        let target = if in_fallback { &mut fallback } else { &mut top };
        target.insert(e.key.clone(), entry_json(e));
    }
    let aliases: std::collections::BTreeMap<_, _> = table.aliases.iter().collect();
    top.insert("ccsync_aliases".into(), json!(aliases));
    top.insert("ccsync_fallback".into(), Value::Object(fallback));
    serde_json::to_string_pretty(&Value::Object(top)).unwrap_or_default() + "\n"
}

/// Why `model` resolves as it does, in a sentence.
fn reason(model: &str, r: Option<Resolution<'_>>) -> String {
    let Some(r) = r else {
        return match model {
            "" => "no model: a line without one costs 0 and is not called unpriced".into(),
            price::SYNTHETIC_MODEL => "an API-error placeholder: costs 0".into(),
            _ => "no key matches it in either table: it costs 0 and is reported as missing \
                  pricing (add it with CCSYNC_PRICING_FILE)"
                .into(),
        };
    };
    let name = r.alias.unwrap_or(model);
    let key = &r.entry.key;
    let mut why = match r.how {
        How::Exact => format!("`{key}` is a key"),
        How::Spelling => {
            format!("`{name}` spells the exact-only key `{key}` (`.`, `@` and `-` alike)")
        }
        How::KeyInName { normalized } => {
            let prefix = name
                .strip_suffix(key.as_str())
                .filter(|p| p.ends_with(['/', '.']));
            let found = format!("`{key}` is the longest key found in the name at word boundaries");
            let found = match prefix {
                Some(prefix) if !normalized => {
                    format!("provider prefix `{prefix}` stripped: {found}")
                }
                _ => found,
            };
            found
                + if normalized {
                    " (`.` and `@` read as `-`)"
                } else {
                    ""
                }
        }
        How::NameInKey { normalized } => format!(
            "the name is found in `{key}`, the longest key containing it at word boundaries{}",
            if normalized {
                " (`.` and `@` read as `-`)"
            } else {
                ""
            }
        ),
    };
    if let Some(target) = r.alias {
        why = format!("`{model}` is an alias of `{target}`; {why}");
    }
    if r.fallback {
        why = format!("no match among the other entries, so the models.dev fallback: {why}");
    }
    why
}

fn resolution_json(model: &str, r: Option<Resolution<'_>>) -> Value {
    let mut out = json!({"model": model, "priced": r.is_some(), "reason": reason(model, r)});
    if let Some(r) = r {
        let (how, normalized) = match r.how {
            How::Exact => ("exact", false),
            How::Spelling => ("exact-only-spelling", true),
            How::KeyInName { normalized } => ("key-in-name", normalized),
            How::NameInKey { normalized } => ("name-in-key", normalized),
        };
        out["key"] = json!(r.entry.key);
        out["table"] = json!(if r.fallback { "fallback" } else { "primary" });
        out["match"] = json!(how);
        out["normalized"] = json!(normalized);
        out["alias"] = json!(r.alias);
        out["price"] = entry_json(r.entry);
        out["codex_long_context_threshold"] = json!(price::codex_long_context_threshold(model));
    }
    out
}

fn resolution_text(model: &str, r: Option<Resolution<'_>>) -> String {
    let Some(r) = r else {
        return format!("{model}: not priced\n  why: {}\n", reason(model, r));
    };
    let p = &r.entry.price;
    let m = per_million;
    let mut out = format!(
        "{model} → {} ({})\n",
        r.entry.key,
        label(r.entry, r.fallback)
    );
    out += &format!("  why: {}\n", reason(model, Some(r)));
    out += &format!(
        "  USD per million tokens: input {}, output {}, cache write {} (1-hour: {}), cache read {}{}\n",
        m(p.input),
        m(p.output),
        m(p.cache_write),
        m(p.input * 2.0),
        m(p.cache_read),
        if p.cache_read_listed {
            ""
        } else {
            " (0.1 × input; Codex bills cached input at the input rate)"
        },
    );
    let above = |rate: Option<f64>| rate.map_or("base".to_owned(), m);
    let rates = format!(
        "input {}, output {}, cache write {}, cache read {}",
        above(p.input_above_200k),
        above(p.output_above_200k),
        above(p.cache_write_above_200k),
        above(p.cache_read_above_200k)
    );
    out += &match (tier(p).is_empty(), p.whole_request_threshold) {
        (true, _) => "  no higher tier\n".to_owned(),
        (false, Some(n)) => format!(
            "  every token of a request whose input and cache exceed {}: {rates}\n",
            crate::table::grouped(n.into())
        ),
        (false, None) => format!("  tokens past 200,000 in a bucket: {rates}\n"),
    };
    if p.fast_multiplier != 1.0 {
        out += &format!("  fast mode / priority tier: × {}\n", p.fast_multiplier);
    }
    // Only OpenAI's models are Codex's: a Claude model's resolution leaves the line out.
    if !model.to_ascii_lowercase().contains("claude") {
        let threshold = price::codex_long_context_threshold(model);
        out += &format!(
            "  Codex: long-context requests above {} input tokens\n",
            crate::table::grouped(threshold.into())
        );
    }
    out
}
