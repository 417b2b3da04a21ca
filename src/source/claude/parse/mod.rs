//! Turns one transcript line into a usage entry, or says why not.
//!
//! Only the fields we store are deserialized; message content is skipped by the JSON parser
//! without being copied, and lines that cannot carry usage are rejected before any parsing.

use std::borrow::Cow;
use std::sync::Arc;

use memchr::memmem;
use serde::Deserialize;
use serde_json::value::RawValue;

mod fast;

/// Token counts of one API response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    /// As reported (`cache_creation_input_tokens`); the split below prices it.
    pub cache_creation: u64,
    pub cache_creation_5m: u64,
    pub cache_creation_1h: u64,
    pub cache_read: u64,
    pub web_search_requests: u32,
}

impl Usage {
    /// The total ccusage compares when two lines of one response collide.
    pub fn total(&self) -> u64 {
        self.input
            .saturating_add(self.output)
            .saturating_add(self.cache_creation)
            .saturating_add(self.cache_read)
    }
}

/// One usage-bearing line, with the metadata we keep. No message content.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub timestamp_ms: i64,
    pub message_id: Option<Box<str>>,
    pub request_id: Option<Box<str>>,
    pub model: Arc<str>,
    pub session_id: Arc<str>,
    pub cwd: Arc<str>,
    pub claude_version: Arc<str>,
    pub git_branch: Arc<str>,
    pub agent_id: Arc<str>,
    pub service_tier: Arc<str>,
    pub speed: Arc<str>,
    pub is_sidechain: bool,
    pub is_api_error: bool,
    /// The line had a `usage.speed` field (ccusage prefers such a line on a tie).
    pub has_speed: bool,
    pub usage: Usage,
    pub reported_cost_usd: Option<f64>,
}

impl Entry {
    pub fn is_fast(&self) -> bool {
        &*self.speed == "fast"
    }
}

/// Why a line was not used. `Ignored` lines are normal (user turns, summaries...); the others
/// are counted in the run summary and in `sync_runs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    InvalidUtf8,
    InvalidJson,
    /// Valid JSON whose usage fields have the wrong type or range (e.g. negative tokens).
    InvalidFields,
    MissingTimestamp,
    InvalidTimestamp,
    /// Longer than the memory bound even after dropping long strings.
    TooLarge,
}

impl SkipReason {
    pub const ALL: [SkipReason; 6] = [
        SkipReason::InvalidUtf8,
        SkipReason::InvalidJson,
        SkipReason::InvalidFields,
        SkipReason::MissingTimestamp,
        SkipReason::InvalidTimestamp,
        SkipReason::TooLarge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::InvalidUtf8 => "invalid_utf8",
            SkipReason::InvalidJson => "invalid_json",
            SkipReason::InvalidFields => "invalid_fields",
            SkipReason::MissingTimestamp => "missing_timestamp",
            SkipReason::InvalidTimestamp => "invalid_timestamp",
            SkipReason::TooLarge => "too_large",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::InvalidUtf8 => "not valid UTF-8",
            SkipReason::InvalidJson => "not a JSON object",
            SkipReason::InvalidFields => {
                "fields of the wrong type or out of range (e.g. negative tokens)"
            }
            SkipReason::MissingTimestamp => "usage without a timestamp",
            SkipReason::InvalidTimestamp => "timestamp is not RFC 3339",
            SkipReason::TooLarge => "line too large to parse within the memory bound",
        }
    }
}

#[derive(Debug, PartialEq)]
// Returned by value for each line: boxing the large variant would allocate per line again.
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    /// Usually one (kept inline: no allocation per line); advisor iterations add more.
    Entries(smallvec::SmallVec<[Entry; 1]>),
    Ignored,
    Skipped(SkipReason),
}

#[derive(Deserialize, Debug)]
struct RawLine<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "sessionId")]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    cwd: Lenient<'a>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "gitBranch")]
    git_branch: Lenient<'a>,
    #[serde(borrow, default, rename = "agentId")]
    agent_id: Lenient<'a>,
    #[serde(borrow, rename = "requestId")]
    request_id: Option<Cow<'a, str>>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
    #[serde(rename = "isApiErrorMessage")]
    is_api_error: Option<bool>,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
    #[serde(borrow)]
    message: Option<RawMessage<'a>>,
    /// Claude Code 2.1 progress lines carry a subagent's response here. Parsed only when the
    /// line has no top-level usage: ccusage ignores it otherwise, whatever it holds.
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawData<'a> {
    #[serde(borrow)]
    message: Option<RawNested<'a>>,
}

/// The subagent a progress line's response belongs to: `data.agentId` (parsed on its own, so
/// that nothing about it can drop the response).
#[derive(Deserialize)]
struct RawDataAgent<'a> {
    #[serde(borrow, default, rename = "agentId")]
    agent_id: Lenient<'a>,
}

/// The response nested in a progress line: `data.message`.
#[derive(Deserialize, Debug)]
struct RawNested<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "requestId")]
    request_id: Option<Cow<'a, str>>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
    #[serde(borrow)]
    message: Option<RawMessage<'a>>,
}

#[derive(Deserialize, Debug)]
struct RawMessage<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    usage: Option<RawUsage<'a>>,
}

#[derive(Deserialize, Debug)]
struct RawUsage<'a> {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation: Option<RawCacheCreation>,
    #[serde(default)]
    server_tool_use: ToolUse,
    #[serde(borrow, default)]
    service_tier: Lenient<'a>,
    speed: Option<Speed>,
    /// Parsed on its own: a malformed list drops the advisor entries, not the line (ccusage).
    #[serde(borrow, default)]
    iterations: Option<&'a RawValue>,
}

/// A string we only store, never decide on. ccusage does not read these fields, so a value of
/// another type must not cost the line its tokens: it is kept as absent.
#[derive(Default, Debug)]
struct Lenient<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyValue(|v: Scalar<'de>| match v {
            Scalar::Str(s) => Lenient(Some(s)),
            _ => Lenient(None),
        }))
    }
}

/// `usage.server_tool_use`: only `web_search_requests` is kept, and only when it is a u32.
#[derive(Default, Debug)]
struct ToolUse(u32);

impl<'de> Deserialize<'de> for ToolUse {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ToolUse;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ToolUse, A::Error> {
                let mut searches = 0;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "web_search_requests" {
                        let n = map.next_value_seed(AnyValue(|v: Scalar<'de>| match v {
                            Scalar::U64(n) => u32::try_from(n).unwrap_or(0),
                            _ => 0,
                        }))?;
                        searches = n;
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(ToolUse(searches))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ToolUse, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(ToolUse(0))
            }
            fn visit_bool<E>(self, _: bool) -> Result<ToolUse, E> {
                Ok(ToolUse(0))
            }
            fn visit_i64<E>(self, _: i64) -> Result<ToolUse, E> {
                Ok(ToolUse(0))
            }
            fn visit_u64<E>(self, _: u64) -> Result<ToolUse, E> {
                Ok(ToolUse(0))
            }
            fn visit_f64<E>(self, _: f64) -> Result<ToolUse, E> {
                Ok(ToolUse(0))
            }
            fn visit_str<E>(self, _: &str) -> Result<ToolUse, E> {
                Ok(ToolUse(0))
            }
            fn visit_unit<E>(self) -> Result<ToolUse, E> {
                Ok(ToolUse(0))
            }
        }
        d.deserialize_any(V)
    }
}

/// Walks a whole JSON value like `serde_json::Value` would (depth limit, number range, string
/// escapes), without building it.
struct Whole;

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Whole)
    }
}

impl<'de> serde::de::Visitor<'de> for Whole {
    type Value = Whole;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Whole, E> {
        Ok(Whole)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Whole, E> {
        Ok(Whole)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Whole, E> {
        Ok(Whole)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Whole, E> {
        Ok(Whole)
    }
    fn visit_str<E>(self, _: &str) -> Result<Whole, E> {
        Ok(Whole)
    }
    fn visit_unit<E>(self) -> Result<Whole, E> {
        Ok(Whole)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Whole, A::Error> {
        while seq.next_element::<Whole>()?.is_some() {}
        Ok(Whole)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Whole, A::Error> {
        while map.next_entry::<Whole, Whole>()?.is_some() {}
        Ok(Whole)
    }
}

/// A JSON scalar as seen by [`AnyValue`]; arrays and objects are skipped and seen as `Other`.
enum Scalar<'de> {
    Str(Cow<'de, str>),
    U64(u64),
    Other,
}

/// Accepts any JSON value and maps it with `F`: fields whose type must not reject a line.
struct AnyValue<F>(F);

impl<'de, T, F: FnOnce(Scalar<'de>) -> T> serde::de::DeserializeSeed<'de> for AnyValue<F> {
    type Value = T;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T, F: FnOnce(Scalar<'de>) -> T> serde::de::Visitor<'de> for AnyValue<F> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<T, E> {
        Ok((self.0)(Scalar::Str(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<T, E> {
        Ok((self.0)(Scalar::Str(Cow::Owned(v.to_owned()))))
    }
    fn visit_u64<E>(self, v: u64) -> Result<T, E> {
        Ok((self.0)(Scalar::U64(v)))
    }
    fn visit_i64<E>(self, _: i64) -> Result<T, E> {
        Ok((self.0)(Scalar::Other))
    }
    fn visit_f64<E>(self, _: f64) -> Result<T, E> {
        Ok((self.0)(Scalar::Other))
    }
    fn visit_bool<E>(self, _: bool) -> Result<T, E> {
        Ok((self.0)(Scalar::Other))
    }
    fn visit_unit<E>(self) -> Result<T, E> {
        Ok((self.0)(Scalar::Other))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok((self.0)(Scalar::Other))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok((self.0)(Scalar::Other))
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq, Debug)]
#[serde(rename_all = "lowercase")]
enum Speed {
    Standard,
    Fast,
}

/// Advisor calls made inside one response are billed as responses of their own. Every item
/// needs a type and both token counts, or ccusage ignores the whole list.
#[derive(Deserialize)]
struct RawIteration<'a> {
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    input_tokens: u64,
    output_tokens: u64,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation: Option<RawCacheCreation>,
}

#[derive(Deserialize, Debug)]
struct RawCacheCreation {
    ephemeral_5m_input_tokens: Option<u64>,
    ephemeral_1h_input_tokens: Option<u64>,
}

/// Per-file parser state: interns the strings that repeat on every line of a file, so a large
/// backfill holds one copy of each cwd, branch, version and model.
#[derive(Default)]
pub struct LineParser {
    interned: rustc_hash::FxHashMap<Box<str>, Arc<str>>,
}

/// ccusage only looks at lines containing exactly these bytes; so do we.
const USAGE_KEY: &[u8] = b"\"usage\":{";

/// Built once: the searcher for USAGE_KEY runs over every line of every transcript.
static USAGE_FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(USAGE_KEY));

/// Keys whose literal `null` anywhere in a line makes ccusage reject the whole line. We follow it
/// so totals match; such lines are counted as `invalid_fields`.
const NULL_REJECTING_KEYS: [&[u8]; 11] = [
    b"id",
    b"cwd",
    b"model",
    b"speed",
    b"costUSD",
    b"version",
    b"sessionId",
    b"requestId",
    b"isApiErrorMessage",
    b"cache_read_input_tokens",
    b"cache_creation_input_tokens",
];

static NULL_FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(b"\":null"));

/// `model_exempt`: the byte range of `usage.iterations`, where `"model":null` is allowed.
fn has_rejected_null(line: &[u8], model_exempt: Option<std::ops::Range<usize>>) -> bool {
    NULL_FINDER.find_iter(line).any(|at| {
        rejected_null_key(line, at).is_some_and(|key| {
            !(key == b"model" && model_exempt.as_ref().is_some_and(|r| r.contains(&at)))
        })
    })
}

/// The key `"<key>":null` at `at` (the key's closing quote) rejects the line, if any.
fn rejected_null_key(line: &[u8], at: usize) -> Option<&'static [u8]> {
    NULL_REJECTING_KEYS
        .iter()
        .copied()
        .find(|key| at > key.len() && line[..at].ends_with(key) && line[at - key.len() - 1] == b'"')
}

/// Where `part`, borrowed from `line`, lies in it.
fn span_in(line: &[u8], part: Option<&RawValue>) -> Option<std::ops::Range<usize>> {
    let part = part?.get().as_bytes();
    let start = (part.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    (start + part.len() <= line.len()).then(|| start..start + part.len())
}

/// Whether a full `serde_json` walk of `line` could fail where the typed parse (which skips
/// unknown values without building them) succeeds: nesting near serde_json's depth limit, a
/// number with an exponent or hundreds of digits (f64 range), a surrogate escape (a lone one is
/// an error). Conservative: `false` only when the walk cannot fail on valid JSON. One pass
/// outside strings; strings are skipped with SIMD search.
fn may_fail_whole_walk(line: &[u8]) -> bool {
    let mut depth = 0u32;
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b'"' => {
                i += 1;
                loop {
                    let Some(k) = memchr::memchr2(b'"', b'\\', &line[i..]) else {
                        return true; // unterminated: let the parsers decide
                    };
                    i += k;
                    if line[i] == b'"' {
                        i += 1;
                        break;
                    }
                    // `\uD800`-`\uDFFF`: half of a surrogate pair, or a lone one.
                    if line.get(i + 1) == Some(&b'u')
                        && matches!(line.get(i + 2), Some(b'd' | b'D'))
                        && matches!(
                            line.get(i + 3),
                            Some(b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
                        )
                    {
                        return true;
                    }
                    i += 2;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth >= 100 {
                    return true;
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while let Some(&c) = line.get(i) {
                    match c {
                        b'0'..=b'9' | b'.' | b'+' | b'-' => i += 1,
                        b'e' | b'E' => return true,
                        _ => break,
                    }
                }
                if i - start >= 300 {
                    return true;
                }
            }
            _ => i += 1,
        }
    }
    false
}

/// `version` must look like `1.2.3...` when present (ccusage's schema).
fn plausible_version(v: &str) -> bool {
    let b = v.as_bytes();
    let digits = |from: usize| {
        b[from.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let major = digits(0);
    if major == 0 || b.get(major) != Some(&b'.') {
        return false;
    }
    let minor = digits(major + 1);
    minor > 0 && b.get(major + 1 + minor) == Some(&b'.') && digits(major + 2 + minor) > 0
}

fn cache_split(total: u64, split: Option<&RawCacheCreation>) -> (u64, u64, u64) {
    match split {
        // With the split present, it is what counts (and what is billed).
        Some(c) => {
            let (m5, h1) = (
                c.ephemeral_5m_input_tokens.unwrap_or(0),
                c.ephemeral_1h_input_tokens.unwrap_or(0),
            );
            (m5.saturating_add(h1), m5, h1)
        }
        // Before the 5m/1h split existed, every cache write was a 5-minute one.
        None => (total, total, 0),
    }
}

impl LineParser {
    pub fn new() -> Self {
        Self::default()
    }

    fn intern(&mut self, s: Option<&str>) -> Arc<str> {
        let s = s.unwrap_or("");
        if let Some(a) = self.interned.get(s) {
            return a.clone();
        }
        // Bounded: a pathological file with endless distinct values just stops interning.
        let a: Arc<str> = Arc::from(s);
        if self.interned.len() < 4096 {
            self.interned.insert(s.into(), a.clone());
        }
        a
    }

    pub fn parse(&mut self, line: &[u8]) -> Parsed {
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            return Parsed::Ignored;
        }
        // Cheap shape check for every line; everything else only where usage can be. Most bytes
        // are tool output in lines without usage: they are never validated or parsed.
        if trimmed[0] != b'{' || trimmed[trimmed.len() - 1] != b'}' {
            return Parsed::Skipped(SkipReason::InvalidJson);
        }
        if USAGE_FINDER.find(trimmed).is_none() {
            return Parsed::Ignored;
        }
        // SIMD validation once; the parser then reads a `&str` and skips its own UTF-8 checks.
        let Ok(text) = simdutf8::basic::from_utf8(trimmed) else {
            return Parsed::Skipped(SkipReason::InvalidUtf8);
        };
        // The fast path sees every `"key":null` as it goes; otherwise the line is searched.
        let mut null_checked = None;
        let picked = match fast::pick(text) {
            Some(fast::Fast::Usage(p, rejected)) => {
                null_checked = Some(rejected);
                p
            }
            Some(fast::Fast::NoUsage) => return Parsed::Ignored,
            None => match pick(text) {
                Ok(p) => p,
                Err(Some(reason)) => return Parsed::Skipped(reason),
                Err(None) => return Parsed::Ignored,
            },
        };
        let Picked {
            line: raw,
            message,
            timestamp,
            request_id,
            is_sidechain,
            cost_usd,
        } = picked;
        let usage = message.usage.expect("checked");
        let (Some(input), Some(output)) = (usage.input_tokens, usage.output_tokens) else {
            return Parsed::Skipped(SkipReason::InvalidFields);
        };
        let Some(timestamp) = timestamp else {
            return Parsed::Skipped(SkipReason::MissingTimestamp);
        };
        let Some(timestamp_ms) = crate::time::parse_timestamp_ms(&timestamp) else {
            return Parsed::Skipped(SkipReason::InvalidTimestamp);
        };
        let empty = |v: &Option<Cow<str>>| v.as_deref() == Some("");
        if empty(&request_id)
            || empty(&message.id)
            || empty(&message.model)
            || empty(&raw.session_id)
            || raw
                .version
                .as_deref()
                .is_some_and(|v| !plausible_version(v))
            || null_checked
                .unwrap_or_else(|| has_rejected_null(trimmed, span_in(trimmed, usage.iterations)))
        {
            return Parsed::Skipped(SkipReason::InvalidFields);
        }
        let (cache_creation, cache_creation_5m, cache_creation_1h) = cache_split(
            usage.cache_creation_input_tokens.unwrap_or(0),
            usage.cache_creation.as_ref(),
        );
        let entry = Entry {
            timestamp_ms,
            message_id: message.id.as_deref().map(Into::into),
            request_id: request_id.map(|s| s.into()),
            model: self.intern(message.model.as_deref()),
            session_id: self.intern(raw.session_id.as_deref()),
            cwd: self.intern(raw.cwd.0.as_deref()),
            claude_version: self.intern(raw.version.as_deref()),
            git_branch: self.intern(raw.git_branch.0.as_deref()),
            agent_id: self.intern(raw.agent_id.0.as_deref()),
            service_tier: self.intern(usage.service_tier.0.as_deref()),
            speed: self.intern(Some(match usage.speed {
                Some(Speed::Fast) => "fast",
                Some(Speed::Standard) => "standard",
                None => "",
            })),
            is_sidechain: is_sidechain.unwrap_or(false),
            is_api_error: raw.is_api_error.unwrap_or(false),
            has_speed: usage.speed.is_some(),
            usage: Usage {
                input,
                output,
                cache_creation,
                cache_creation_5m,
                cache_creation_1h,
                cache_read: usage.cache_read_input_tokens.unwrap_or(0),
                web_search_requests: usage.server_tool_use.0,
            },
            reported_cost_usd: cost_usd.filter(|c| c.is_finite()),
        };
        let mut entries = smallvec::SmallVec::<[Entry; 1]>::new();
        entries.push(entry);
        let iterations: Vec<RawIteration> = usage
            .iterations
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default();
        for (i, it) in iterations.iter().enumerate() {
            let model = it.model.as_deref().unwrap_or("");
            if it.kind != "advisor_message" || model.is_empty() {
                continue;
            }
            let (cache_creation, cache_creation_5m, cache_creation_1h) = cache_split(
                it.cache_creation_input_tokens.unwrap_or(0),
                it.cache_creation.as_ref(),
            );
            entries.push(Entry {
                message_id: message
                    .id
                    .as_deref()
                    .map(|m| format!("{m}:advisor:{i}").into()),
                model: self.intern(Some(model)),
                usage: Usage {
                    input: it.input_tokens,
                    output: it.output_tokens,
                    cache_creation,
                    cache_creation_5m,
                    cache_creation_1h,
                    cache_read: it.cache_read_input_tokens.unwrap_or(0),
                    web_search_requests: 0,
                },
                reported_cost_usd: None,
                ..entries[0].clone()
            });
        }
        Parsed::Entries(entries)
    }
}

/// What a usage line holds, picked out of the JSON; the rest of [`LineParser::parse`] works on it.
/// `line` keeps the top-level fields; the response (`message` and its siblings) comes from the top
/// level or, in a progress line, from `data.message`.
#[derive(Debug)]
struct Picked<'a> {
    line: RawLine<'a>,
    message: RawMessage<'a>,
    timestamp: Option<Cow<'a, str>>,
    request_id: Option<Cow<'a, str>>,
    is_sidechain: Option<bool>,
    cost_usd: Option<f64>,
}

/// The reference path, with serde: any line [`fast::pick`] gives up on. `Err` for a line that
/// yields no entry: why it is skipped, or `None` if it is ignored.
fn pick(text: &str) -> Result<Picked<'_>, Option<SkipReason>> {
    // ccusage parses each usage line whole: one it cannot (nested deeper than 128, a number
    // out of f64 range, a lone surrogate, even in content) is skipped there, so here too.
    // The full walk costs as much as the parse; a cheap scan proves most lines need none.
    let whole_fails = || serde_json::from_str::<Whole>(text).is_err();
    if may_fail_whole_walk(text.as_bytes()) && whole_fails() {
        return Err(Some(SkipReason::InvalidJson));
    }
    let mut raw: RawLine = match serde_json::from_str(text) {
        Ok(raw) => raw,
        // Broken JSON outranks a mistyped field, whichever the parser met first.
        Err(e) if e.is_data() && !whole_fails() => {
            return Err(Some(SkipReason::InvalidFields));
        }
        Err(_) => return Err(Some(SkipReason::InvalidJson)),
    };
    // The response: top-level, else nested in a progress line. `line` keeps neither.
    let data = raw.data.take();
    if let Some(m) = raw.message.take().filter(|m| m.usage.is_some()) {
        return Ok(Picked {
            message: m,
            timestamp: raw.timestamp.take(),
            request_id: raw.request_id.take(),
            is_sidechain: raw.is_sidechain.take(),
            cost_usd: raw.cost_usd.take(),
            line: raw,
        });
    }
    match data
        .and_then(|d| serde_json::from_str::<RawData>(d.get()).ok())
        .and_then(|d| d.message)
    {
        Some(n) if n.message.as_ref().is_some_and(|m| m.usage.is_some()) => {
            let agent = data.and_then(|d| serde_json::from_str::<RawDataAgent>(d.get()).ok());
            if let Some(agent) = agent.filter(|a| a.agent_id.0.is_some()) {
                raw.agent_id = agent.agent_id;
            }
            Ok(Picked {
                message: n.message.expect("checked"),
                timestamp: n.timestamp,
                request_id: n.request_id,
                is_sidechain: n.is_sidechain,
                cost_usd: n.cost_usd,
                line: raw,
            })
        }
        _ => Err(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_timestamp_ms;

    const ASSISTANT: &str = r#"{"parentUuid":"p","isSidechain":false,"userType":"external","cwd":"/home/me/app","sessionId":"s-1","version":"2.1.20","gitBranch":"main","type":"assistant","uuid":"u","timestamp":"2026-01-05T10:00:00.123Z","requestId":"req_1","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-4-6","content":[{"type":"text","text":"secret words \"usage\""}],"usage":{"input_tokens":6,"cache_creation_input_tokens":11352,"cache_read_input_tokens":22076,"output_tokens":384,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":11352},"server_tool_use":{"web_search_requests":2},"service_tier":"standard","speed":"fast"}}}"#;

    /// `line` after proptest's random edits: (where, byte, replace / insert / truncate).
    pub(super) fn edited(line: &str, edits: &[(proptest::sample::Index, u8, u8)]) -> Vec<u8> {
        let mut line = line.as_bytes().to_vec();
        for &(ref at, byte, op) in edits {
            let i = at.index(line.len().max(1));
            match op {
                0 if i < line.len() => line[i] = byte,
                1 => line.insert(i.min(line.len()), byte),
                _ => line.truncate(i),
            }
        }
        line
    }

    fn entry(line: &str) -> Entry {
        match LineParser::new().parse(line.as_bytes()) {
            Parsed::Entries(mut e) => e.remove(0),
            other => panic!("expected an entry, got {other:?}"),
        }
    }

    #[test]
    fn assistant_line_yields_all_kept_fields() {
        let e = entry(ASSISTANT);
        assert_eq!(e.timestamp_ms, 1_767_607_200_123);
        assert_eq!(e.message_id.as_deref(), Some("msg_1"));
        assert_eq!(e.request_id.as_deref(), Some("req_1"));
        assert_eq!(&*e.model, "claude-opus-4-6");
        assert_eq!(&*e.session_id, "s-1");
        assert_eq!(&*e.cwd, "/home/me/app");
        assert_eq!(&*e.claude_version, "2.1.20");
        assert_eq!(&*e.git_branch, "main");
        assert!(e.is_fast());
        assert_eq!(
            e.usage,
            Usage {
                input: 6,
                output: 384,
                cache_creation: 11352,
                cache_creation_5m: 0,
                cache_creation_1h: 11352,
                cache_read: 22076,
                web_search_requests: 2
            }
        );
        assert_eq!(e.usage.total(), 6 + 384 + 11352 + 22076);
    }

    #[test]
    fn old_lines_without_split_count_cache_writes_as_5m() {
        let line = r#"{"timestamp":"2025-06-01T00:00:00.000Z","costUSD":0.5,"message":{"id":"m","model":"claude-sonnet-4-20250514","usage":{"input_tokens":1,"output_tokens":2,"cache_creation_input_tokens":30}}}"#;
        let e = entry(line);
        assert_eq!(
            (e.usage.cache_creation_5m, e.usage.cache_creation_1h),
            (30, 0)
        );
        assert_eq!(e.reported_cost_usd, Some(0.5));
        assert_eq!(e.request_id, None);
    }

    #[test]
    fn lines_without_usage_are_ignored_not_skipped() {
        let mut p = LineParser::new();
        assert_eq!(
            p.parse(br#"{"type":"user","message":{"content":"hi"}}"#),
            Parsed::Ignored
        );
        assert_eq!(p.parse(b"   "), Parsed::Ignored);
        // Mentions usage only inside content: parsed, then ignored.
        assert_eq!(
            p.parse(br#"{"type":"user","message":{"content":"\"usage\": 3"}}"#),
            Parsed::Ignored
        );
    }

    #[test]
    fn malformed_lines_are_skipped_with_a_reason() {
        let mut p = LineParser::new();
        let skip = |p: &mut LineParser, l: &[u8]| match p.parse(l) {
            Parsed::Skipped(r) => r,
            other => panic!(
                "expected skip for {:?}, got {other:?}",
                String::from_utf8_lossy(l)
            ),
        };
        assert_eq!(
            skip(
                &mut p,
                b"{\"message\":{\"usage\":{\"input_tokens\":1}},\"x\":\"\xff\"}"
            ),
            SkipReason::InvalidUtf8
        );
        assert_eq!(skip(&mut p, b"not json"), SkipReason::InvalidJson);
        // The cheap gate sends exactly the risky shapes to the full walk.
        for risky in [
            r#"{"a":[1e400]}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\uDFFF"}"#,
            &format!(r#"{{"a":{}1{}}}"#, "[".repeat(100), "]".repeat(100)),
            &format!(r#"{{"a":{}}}"#, "9".repeat(300)),
        ] {
            assert!(may_fail_whole_walk(risky.as_bytes()), "{risky}");
        }
        for plain in [
            r#"{"a":[1,-2.5,{"b":"\"[[[e9\\"}],"c":"\u00e9\n"}"#,
            r#"{"a":"text with 1e400 and [[[[ inside a string"}"#,
        ] {
            assert!(!may_fail_whole_walk(plain.as_bytes()), "{plain}");
        }
        assert_eq!(
            skip(&mut p, br#"{"message":{"usage":{"input_tokens":1,}}}"#),
            SkipReason::InvalidJson
        );
        assert_eq!(
            skip(&mut p, br#"{"timestamp":"2026-01-01T00:00:00.000Z","message":{"usage":{"input_tokens":-1,"output_tokens":1}}}"#),
            SkipReason::InvalidFields
        );
        assert_eq!(
            skip(
                &mut p,
                br#"{"message":{"usage":{"input_tokens":1,"output_tokens":1}}}"#
            ),
            SkipReason::MissingTimestamp
        );
        assert_eq!(
            skip(&mut p, br#"{"timestamp":"yesterday","message":{"usage":{"input_tokens":1,"output_tokens":1}}}"#),
            SkipReason::InvalidTimestamp
        );
    }

    #[test]
    fn timestamps_parse_fast_and_slow_paths_alike() {
        assert_eq!(parse_timestamp_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(
            parse_timestamp_ms("2024-02-29T23:59:59.999Z"),
            Some(1_709_251_199_999)
        );
        assert_eq!(
            parse_timestamp_ms("2024-03-01T01:59:59.999+02:00"),
            Some(1_709_251_199_999)
        );
        assert_eq!(
            parse_timestamp_ms("2024-02-29T23:59:59Z"),
            Some(1_709_251_199_000)
        );
        assert_eq!(
            parse_timestamp_ms("2024-02-29T21:59:59.999-02:00"),
            Some(1_709_251_199_999)
        );
        assert_eq!(parse_timestamp_ms("2023-02-29T00:00:00.000Z"), None);
        assert_eq!(parse_timestamp_ms("2024-13-01T00:00:00.000Z"), None);
        // ccusage rejects these; so do we.
        for bad in [
            "2024-01-01T00:00:00.1Z",
            "2024-01-01T00:00:00.123456Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.000z",
            "2024-01-01T00:00:00+0200",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:60Z",
            " 2024-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_timestamp_ms(bad), None, "{bad}");
        }
    }

    /// Property tests of the line parser, with a fixed case count so CI time stays bounded.
    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn config() -> ProptestConfig {
            ProptestConfig {
                cases: 1500,
                failure_persistence: None,
                ..ProptestConfig::default()
            }
        }

        /// What an entry holds cannot exceed what the line held (no unbounded allocation), and
        /// a line yields one entry plus at most one per advisor item.
        fn bounded(line: &[u8], parsed: &Parsed) -> Result<(), TestCaseError> {
            if let Parsed::Entries(entries) = parsed {
                let advisors = memmem::find_iter(line, b"advisor_message").count();
                prop_assert!(!entries.is_empty() && entries.len() <= 1 + advisors);
                for e in entries {
                    let held = e.model.len()
                        + e.session_id.len()
                        + e.cwd.len()
                        + e.claude_version.len()
                        + e.git_branch.len()
                        + e.agent_id.len()
                        + e.service_tier.len()
                        + e.request_id.as_deref().map_or(0, str::len);
                    prop_assert!(
                        held <= line.len(),
                        "{held} bytes from a {}-byte line",
                        line.len()
                    );
                }
            }
            Ok(())
        }

        fn rfc3339(ms: i64) -> String {
            crate::time::format_timestamp_ms(ms)
        }

        const VALID: &str = r#"{"type":"assistant","timestamp":"2026-01-05T10:00:00.000Z","sessionId":"s","requestId":"r","message":{"id":"m","model":"claude-sonnet-4-6","content":[{"type":"text","text":"x"}],"usage":{"input_tokens":1,"output_tokens":2,"iterations":[{"type":"advisor_message","model":"claude-opus-4-6","input_tokens":3,"output_tokens":4}]}}}"#;

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                // With the usage key, so the bytes reach the JSON parser.
                let mut line = b"{\"usage\":{".to_vec();
                line.extend(&bytes);
                line.push(b'}');
                for l in [&bytes[..], &line[..]] {
                    let parsed = LineParser::new().parse(l);
                    bounded(l, &parsed)?;
                }
            }

            /// Skipping the full walk never changes a verdict: wherever the gate lets a line
            /// through and the typed parse accepts it, the full walk accepts it too.
            #[test]
            fn the_whole_walk_gate_is_conservative(
                pieces in proptest::collection::vec(prop_oneof![
                    Just("[".to_string()), Just("]".to_string()), Just("{\"k\":".to_string()),
                    Just("}".to_string()), Just(",".to_string()), Just("1e400".to_string()),
                    Just("-2.5E-3".to_string()), Just("\"\\ud800\"".to_string()),
                    Just("\"\\uD83D\\uDE00\"".to_string()), Just("\"\\\"]\"".to_string()),
                    "[0-9]{1,400}", "\"[a-z\\\\{}\\[\\]]{0,8}\"",
                    (1usize..140).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n))),
                ], 0..24),
            ) {
                let content = pieces.concat();
                let line = VALID.replace("[{\"type\":\"text\",\"text\":\"x\"}]", &content);
                let gated = !may_fail_whole_walk(line.as_bytes());
                if gated && serde_json::from_str::<RawLine>(&line).is_ok() {
                    prop_assert!(serde_json::from_str::<Whole>(&line).is_ok(), "{line}");
                }
            }

            #[test]
            fn mutated_valid_lines_never_panic(
                edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
            ) {
                let line = edited(VALID, &edits);
                let parsed = LineParser::new().parse(&line);
                bounded(&line, &parsed)?;
            }

            #[test]
            fn valid_lines_round_trip(
                input in any::<u64>(),
                output in any::<u64>(),
                cache_5m in any::<u32>(),
                cache_1h in any::<u32>(),
                cache_read in any::<u64>(),
                ms in 0i64..253_402_300_800_000,
                id in "[A-Za-z0-9_]{1,30}",
                request in "[A-Za-z0-9_]{1,30}",
                model in "claude-[a-z0-9.-]{1,20}",
                cwd in "\\PC{0,40}",
                sidechain in any::<bool>(),
                searches in any::<u32>(),
            ) {
                let v = serde_json::json!({
                    "type": "assistant", "timestamp": rfc3339(ms), "sessionId": "s",
                    "requestId": request, "isSidechain": sidechain, "cwd": cwd,
                    "message": {"id": id, "model": model, "content": [{"type": "text", "text": cwd}],
                        "usage": {"input_tokens": input, "output_tokens": output,
                            "cache_creation_input_tokens": u64::from(cache_5m) + u64::from(cache_1h),
                            "cache_read_input_tokens": cache_read,
                            "cache_creation": {"ephemeral_5m_input_tokens": cache_5m,
                                "ephemeral_1h_input_tokens": cache_1h},
                            "server_tool_use": {"web_search_requests": searches}}}
                });
                let line = serde_json::to_string(&v).unwrap();
                let Parsed::Entries(entries) = LineParser::new().parse(line.as_bytes()) else {
                    return Err(TestCaseError::fail(format!("not parsed: {line}")));
                };
                prop_assert_eq!(entries.len(), 1);
                let e = &entries[0];
                prop_assert_eq!(e.timestamp_ms, ms);
                prop_assert_eq!(e.message_id.as_deref(), Some(id.as_str()));
                prop_assert_eq!(e.request_id.as_deref(), Some(request.as_str()));
                prop_assert_eq!(&*e.model, model.as_str());
                prop_assert_eq!(&*e.cwd, cwd.as_str());
                prop_assert_eq!(e.is_sidechain, sidechain);
                prop_assert_eq!(
                    e.usage,
                    Usage {
                        input,
                        output,
                        cache_creation: u64::from(cache_5m) + u64::from(cache_1h),
                        cache_creation_5m: u64::from(cache_5m),
                        cache_creation_1h: u64::from(cache_1h),
                        cache_read,
                        web_search_requests: searches,
                    }
                );
            }
        }
    }
}
