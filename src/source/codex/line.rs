//! One rollout line → the few fields the usage rules read, parsed as leniently or strictly as
//! ccusage 20.0.24 parses them. Nothing else of a line is kept: no message, no instruction, no
//! tool output (unknown fields are skipped by serde without being copied).

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// Token counts of one `*_token_usage` object. `input` includes `cached` and `cache_write`;
/// `output` includes `reasoning`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RawUsage {
    pub input: u64,
    pub cached: u64,
    pub cache_write: u64,
    pub output: u64,
    pub reasoning: u64,
    pub total: u64,
}

/// A timestamp as written: a string (trimmed, not empty) or a number (seconds, or milliseconds
/// above 10^10). `ms` is `None` when the string is not one ccusage accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub ms: Option<i64>,
    /// `YYYY-MM-DD` as written (numbers: the UTC date): what `codex-auto-review` is dated by.
    pub written_date: Option<String>,
    /// The text as written when it is not ccusage's own form of `ms` (`…SS.mmmZ`, what Codex
    /// writes): ccusage's session report shows the text (`lastActivity`).
    pub written: Option<Box<str>>,
}

/// `thread_settings_applied`'s `service_tier`: what it does to the session's tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TierChange {
    Fast,
    Standard,
    /// Another string (`flex`, `FAST`): back to "not recorded" (config.toml decides).
    Unrecorded,
    /// `null` or absent: no change.
    Keep,
}

/// What a line is, for the usage rules.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    TurnContext {
        model: Option<String>,
    },
    TokenCount {
        stamp: Option<Stamp>,
        total: Option<RawUsage>,
        last: Option<RawUsage>,
        model: Option<String>,
    },
    Settings(TierChange),
    /// Anything else, including lines ccusage cannot read.
    Other,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Option<RawStamp<'a>>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawStamp<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Number(u64),
}

#[derive(Deserialize, Default)]
struct Payload<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lossy_object")]
    info: Option<Info<'a>>,
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lossy_object")]
    metadata: Option<Metadata<'a>>,
    #[serde(borrow, default, deserialize_with = "lossy_object")]
    thread_settings: Option<ThreadSettings<'a>>,
}

/// `model`, else `model_name`, else `metadata.model` (ccusage's order).
#[derive(Deserialize, Default)]
struct Named<'a> {
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lossy_object")]
    metadata: Option<Metadata<'a>>,
}

#[derive(Deserialize, Default)]
struct Metadata<'a> {
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct Info<'a> {
    #[serde(default, deserialize_with = "lossy_usage")]
    total_token_usage: Option<RawUsage>,
    #[serde(default, deserialize_with = "lossy_usage")]
    last_token_usage: Option<RawUsage>,
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lossy_object")]
    metadata: Option<Metadata<'a>>,
}

#[derive(Deserialize, Default)]
struct ThreadSettings<'a> {
    #[serde(borrow, default)]
    service_tier: Option<Cow<'a, str>>,
}

/// Cheap pre-filter: only lines naming one of these types can matter (a conversation line
/// that merely mentions them is parsed and found to be something else).
pub(crate) fn may_matter(line: &[u8]) -> bool {
    const MARKERS: [&[u8]; 4] = [
        b"token_count",
        b"turn_context",
        b"thread_settings_applied",
        b"session_meta",
    ];
    MARKERS
        .iter()
        .any(|m| memchr::memmem::find(line, m).is_some())
}

/// The record of one line (without its newline). `None`: not valid JSON of the envelope's
/// shape (a bad line).
pub(crate) fn parse(line: &[u8]) -> Option<Record> {
    let env: Envelope<'_> = serde_json::from_slice(line).ok()?;
    let payload = || -> Option<Payload<'_>> {
        let raw = env.payload?;
        raw.get()
            .starts_with('{')
            .then(|| serde_json::from_str(raw.get()))?
            .ok()
    };
    Some(match env.kind.as_deref() {
        Some("turn_context") => match env.payload {
            // An unreadable payload (a model that is not a string) is no turn_context at all.
            Some(raw) if raw.get().starts_with('{') => {
                match serde_json::from_str::<Named>(raw.get()) {
                    Ok(named) => Record::TurnContext {
                        model: name(&named.model, &named.model_name, &named.metadata),
                    },
                    Err(_) => return None,
                }
            }
            _ => Record::TurnContext { model: None },
        },
        Some("event_msg") => match payload() {
            Some(p) if p.kind.as_deref() == Some("token_count") => token_count(env.timestamp, p),
            Some(p) if p.kind.as_deref() == Some("thread_settings_applied") => {
                Record::Settings(tier_change(p.thread_settings))
            }
            _ => Record::Other,
        },
        _ => Record::Other,
    })
}

fn token_count(stamp: Option<RawStamp<'_>>, p: Payload<'_>) -> Record {
    let info = p.info.unwrap_or_default();
    Record::TokenCount {
        stamp: stamp.and_then(stamp_of),
        total: info.total_token_usage,
        last: info.last_token_usage,
        model: name(&p.model, &p.model_name, &p.metadata)
            .or_else(|| name(&info.model, &info.model_name, &info.metadata)),
    }
}

fn tier_change(settings: Option<ThreadSettings<'_>>) -> TierChange {
    match settings.and_then(|s| s.service_tier).as_deref() {
        None => TierChange::Keep,
        Some("fast" | "priority") => TierChange::Fast,
        Some("standard" | "default") => TierChange::Standard,
        Some(_) => TierChange::Unrecorded,
    }
}

fn name(
    model: &Option<Cow<'_, str>>,
    model_name: &Option<Cow<'_, str>>,
    metadata: &Option<Metadata<'_>>,
) -> Option<String> {
    let trimmed = |s: &Option<Cow<'_, str>>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    trimmed(model)
        .or_else(|| trimmed(model_name))
        .or_else(|| metadata.as_ref().and_then(|m| trimmed(&m.model)))
}

fn stamp_of(raw: RawStamp<'_>) -> Option<Stamp> {
    match raw {
        RawStamp::Text(text) => {
            let text = text.trim();
            (!text.is_empty()).then(|| Stamp {
                ms: crate::time::parse_timestamp_ms(text),
                written_date: text.get(..10).map(str::to_owned),
                written: (!is_canonical(text)).then(|| text.into()),
            })
        }
        RawStamp::Number(n) => {
            let ms = if n > 10_000_000_000 {
                n
            } else {
                n.checked_mul(1000)?
            };
            let ms = i64::try_from(ms).ok()?;
            let date = jiff::Timestamp::from_millisecond(ms).ok()?;
            Some(Stamp {
                ms: Some(ms),
                written_date: Some(jiff::tz::TimeZone::UTC.to_datetime(date).date().to_string()),
                // ccusage shows a number as its instant in its own form.
                written: None,
            })
        }
    }
}

/// Whether `text`, a timestamp, has the form ccusage writes instants in
/// (`YYYY-MM-DDTHH:MM:SS.mmmZ`): then that form of its instant is the text itself, as the
/// strict parser accepts no other spelling of it.
fn is_canonical(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 24 && b[19] == b'.' && b[23] == b'Z' && b[..4].iter().all(u8::is_ascii_digit)
}

/// An object field that is anything else (a string, a number, `null`) counts as absent.
fn lossy_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let raw: Option<&'de RawValue> = Option::deserialize(d)?;
    Ok(raw
        .filter(|r| r.get().starts_with('{'))
        .and_then(|r| serde_json::from_str(r.get()).ok()))
}

/// A usage object; its counts are unsigned integers or strings of one, anything else is 0.
fn lossy_usage<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RawUsage>, D::Error> {
    let value: Option<Value> = lossy_object(d)?;
    Ok(value.as_ref().and_then(Value::as_object).map(usage_of))
}

fn usage_of(map: &serde_json::Map<String, Value>) -> RawUsage {
    let n = |key: &str| match map.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    let input = n("input_tokens")
        .or(n("prompt_tokens"))
        .or(n("input"))
        .unwrap_or(0);
    let output = n("output_tokens")
        .or(n("completion_tokens"))
        .or(n("output"))
        .unwrap_or(0);
    let reasoning = n("reasoning_output_tokens")
        .or(n("reasoning_tokens"))
        .unwrap_or(0);
    let parts = input.saturating_add(output);
    RawUsage {
        input,
        cached: (n("cached_input_tokens").or(n("cache_read_input_tokens")))
            .or(n("cached_tokens"))
            .unwrap_or(0),
        cache_write: n("cache_write_input_tokens").unwrap_or(0),
        output,
        reasoning,
        // Missing or 0 beside other counts: input + output (reasoning is inside output).
        total: n("total_tokens")
            .filter(|&t| t > 0 || parts.saturating_add(reasoning) == 0)
            .unwrap_or(parts),
    }
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
