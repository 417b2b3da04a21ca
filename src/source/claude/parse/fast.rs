//! The fast path for usage lines: one strict pass that validates the JSON and picks the same
//! fields as the serde path ([`super::pick`]), several times faster. Most of a usage line is
//! message content, skipped here with a SIMD search for the bytes that end or escape a string.
//!
//! It answers only for lines it fully understands and gives up (`None`) on anything unusual:
//! duplicate or escaped keys we read, fields of an unexpected type, exponents, very long
//! numbers, surrogate escapes, deep nesting, advisor iterations, invalid JSON. The serde path
//! then decides, so this one needs to be right only where it answers; a property test checks
//! that it answers exactly as the serde path does.

use std::borrow::Cow;

use super::{Lenient, Picked, RawCacheCreation, RawLine, RawMessage, RawUsage, Speed, ToolUse};

/// What the fast path saw in a line that holds `"usage":{` somewhere.
#[derive(Debug)]
// Returned by value once per usage line: boxing would allocate per line.
#[allow(clippy::large_enum_variant)]
pub(super) enum Fast<'a> {
    /// With whether a `"<key>":null` rejects the line (what `has_rejected_null` would say).
    Usage(Picked<'a>, bool),
    /// Valid, but no response with usage (e.g. usage inside a tool result): ignored.
    NoUsage,
}

/// Nesting at which the full walk may fail (serde_json's limit is 128): the serde path decides.
const MAX_DEPTH: u32 = 100;
/// Numbers this long may be out of f64 range for the full walk: the serde path decides.
const MAX_NUMBER: usize = 300;

pub(super) fn pick(text: &str) -> Option<Fast<'_>> {
    let mut c = Cursor {
        text,
        b: text.as_bytes(),
        i: 0,
        rejected_null: false,
    };
    let mut line = RawLine {
        timestamp: None,
        session_id: None,
        cwd: Lenient(None),
        version: None,
        git_branch: Lenient(None),
        agent_id: Lenient(None),
        request_id: None,
        is_sidechain: None,
        is_api_error: None,
        cost_usd: None,
        message: None,
        data: None,
    };
    let mut message = None;
    let mut nested = None;
    let mut seen = Seen(0);
    c.open(b'{')?;
    c.object(1, |c, key, depth| {
        match key? {
            "timestamp" => (seen.once(0)?, line.timestamp = c.opt_str()?),
            "sessionId" => (seen.once(1)?, line.session_id = c.opt_str()?),
            "cwd" => (seen.once(2)?, line.cwd = c.lenient(depth)?),
            "version" => (seen.once(3)?, line.version = c.opt_str()?),
            "gitBranch" => (seen.once(4)?, line.git_branch = c.lenient(depth)?),
            "agentId" => (seen.once(5)?, line.agent_id = c.lenient(depth)?),
            "requestId" => (seen.once(6)?, line.request_id = c.opt_str()?),
            "isSidechain" => (seen.once(7)?, line.is_sidechain = c.opt_bool()?),
            "isApiErrorMessage" => (seen.once(8)?, line.is_api_error = c.opt_bool()?),
            "costUSD" => (seen.once(9)?, line.cost_usd = c.opt_f64()?),
            "message" => (seen.once(10)?, message = c.opt_message(depth)?),
            "data" => (seen.once(11)?, nested = Some(c.data(depth)?)),
            _ => ((), c.skip_value(depth)?),
        };
        Some(())
    })?;
    c.ws();
    if c.i != c.b.len() {
        return None;
    }
    // Picked as the serde path picks: the top-level response, else the one in `data.message`.
    if let Some(m) = message.filter(|m: &RawMessage| m.usage.is_some()) {
        return Some(Fast::Usage(
            Picked {
                message: m,
                timestamp: line.timestamp.take(),
                request_id: line.request_id.take(),
                is_sidechain: line.is_sidechain.take(),
                cost_usd: line.cost_usd.take(),
                line,
            },
            c.rejected_null,
        ));
    }
    match nested {
        Some((Some(n), agent)) if n.message.as_ref().is_some_and(|m| m.usage.is_some()) => {
            // A subagent's response in its parent's progress line: the agent is `data.agentId`.
            if agent.0.is_some() {
                line.agent_id = agent;
            }
            Some(Fast::Usage(
                Picked {
                    message: n.message.expect("checked"),
                    timestamp: n.timestamp,
                    request_id: n.request_id,
                    is_sidechain: n.is_sidechain,
                    cost_usd: n.cost_usd,
                    line,
                },
                c.rejected_null,
            ))
        }
        _ => Some(Fast::NoUsage),
    }
}

/// Fields read once per object: serde rejects a duplicate, so the serde path decides.
struct Seen(u32);

impl Seen {
    fn once(&mut self, bit: u32) -> Option<()> {
        let bit = 1 << bit;
        if self.0 & bit != 0 {
            return None;
        }
        self.0 |= bit;
        Some(())
    }
}

/// `data.message` of a progress line, as `super::RawNested` holds it.
struct Nested<'a> {
    timestamp: Option<Cow<'a, str>>,
    request_id: Option<Cow<'a, str>>,
    is_sidechain: Option<bool>,
    cost_usd: Option<f64>,
    message: Option<RawMessage<'a>>,
}

struct Cursor<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// A `"<key>":null` that makes ccusage reject the line was seen (at any depth).
    rejected_null: bool,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// The first byte of the next value, after whitespace.
    fn value_start(&mut self) -> Option<u8> {
        self.ws();
        self.peek()
    }

    fn open(&mut self, bracket: u8) -> Option<()> {
        (self.value_start()? == bracket).then_some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.b[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// At an opening quote: the string's raw text and whether it holds escapes. Invalid
    /// escapes, control characters and surrogate escapes (a lone one fails the full walk) give up.
    fn raw_string(&mut self) -> Option<(&'a str, bool)> {
        let b = self.b;
        let start = self.i + 1;
        // Everything before `i` is checked string content.
        let mut i = start;
        let mut escaped = false;
        loop {
            // The special bytes of the next 32 (escapes do not restart the search).
            let (block, mut mask, seen) = if i + 32 <= b.len() {
                (i, special_mask32(&b[i..]), 32)
            } else {
                let k = find_special(&b[i..])?;
                (i + k, 1, 1)
            };
            let end = block + seen;
            while mask != 0 {
                let at = block + mask.trailing_zeros() as usize;
                mask &= mask - 1;
                if at < i {
                    continue; // inside the escape just read
                }
                match b[at] {
                    b'"' => {
                        self.i = at + 1;
                        return Some((self.text.get(start..at)?, escaped));
                    }
                    b'\\' => {
                        escaped = true;
                        i = at + escape_len(&b[at..])?;
                    }
                    _ => return None,
                }
            }
            i = i.max(end);
        }
    }

    /// A string we keep: borrowed, or unescaped by serde_json exactly as the serde path does.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let quote = self.i;
        let (raw, escaped) = self.raw_string()?;
        if !escaped {
            return Some(Cow::Borrowed(raw));
        }
        serde_json::from_str::<String>(self.text.get(quote..self.i)?)
            .ok()
            .map(Cow::Owned)
    }

    /// A JSON number: its text, and whether it is a plain non-negative integer.
    fn number(&mut self) -> Option<(&'a str, bool)> {
        let b = self.b;
        let start = self.i;
        let mut i = start;
        let digits = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => i = digits(i + 1),
            _ => return None,
        }
        let mut plain = b[start] != b'-';
        if b.get(i) == Some(&b'.') {
            plain = false;
            let fraction = i + 1;
            i = digits(fraction);
            if i == fraction {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) || i - start >= MAX_NUMBER {
            return None;
        }
        self.i = i;
        Some((self.text.get(start..i)?, plain))
    }

    /// Any value, validated and skipped.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        match self.value_start()? {
            b'"' => self.raw_string().map(drop),
            b'{' => self.object(depth + 1, |c, _, depth| c.skip_value(depth)),
            b'[' => self.array(depth + 1),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number().map(drop),
            _ => None,
        }
    }

    /// At `{`: each member's value is read by `member`, given the key (`None` if it holds
    /// escapes: serde would compare it unescaped) and this object's depth.
    fn object(
        &mut self,
        depth: u32,
        mut member: impl FnMut(&mut Self, Option<&'a str>, u32) -> Option<()>,
    ) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.i += 1;
        if self.value_start()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            if self.value_start()? != b'"' {
                return None;
            }
            let (key, escaped) = self.raw_string()?;
            // Only a key's closing quote can be followed by `:null` in valid JSON: this sees
            // every match of the serde path's text search.
            if self.b[self.i..].starts_with(b":null") {
                self.rejected_null |= super::rejected_null_key(self.b, self.i - 1).is_some();
            }
            if self.value_start()? != b':' {
                return None;
            }
            self.i += 1;
            member(self, (!escaped).then_some(key), depth)?;
            match self.value_start()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: u32) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.i += 1;
        if self.value_start()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.skip_value(depth)?;
            match self.value_start()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `Option<Cow<str>>`: a string or null.
    fn opt_str(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.value_start()? {
            b'"' => self.string().map(Some),
            b'n' => self.literal(b"null").map(|()| None),
            _ => None,
        }
    }

    /// [`Lenient`]: a string, or any other value kept as absent.
    fn lenient(&mut self, depth: u32) -> Option<Lenient<'a>> {
        if self.value_start()? == b'"' {
            return self.string().map(|s| Lenient(Some(s)));
        }
        self.skip_value(depth).map(|()| Lenient(None))
    }

    fn opt_bool(&mut self) -> Option<Option<bool>> {
        match self.value_start()? {
            b't' => self.literal(b"true").map(|()| Some(true)),
            b'f' => self.literal(b"false").map(|()| Some(false)),
            b'n' => self.literal(b"null").map(|()| None),
            _ => None,
        }
    }

    /// Token counts: plain integers that fit a u64 (serde rejects the rest as mistyped).
    fn opt_u64(&mut self) -> Option<Option<u64>> {
        match self.value_start()? {
            b'n' => self.literal(b"null").map(|()| None),
            b'0'..=b'9' => match self.number()? {
                (text, true) => text.parse().ok().map(Some),
                _ => None,
            },
            _ => None,
        }
    }

    /// `costUSD`: converted by serde_json itself, so the value is bit-identical.
    fn opt_f64(&mut self) -> Option<Option<f64>> {
        match self.value_start()? {
            b'n' => self.literal(b"null").map(|()| None),
            b'-' | b'0'..=b'9' => {
                let (text, _) = self.number()?;
                serde_json::from_str::<f64>(text).ok().map(Some)
            }
            _ => None,
        }
    }

    /// An object or null, read by `member` (see [`Self::object`]); anything else gives up (serde
    /// would also accept an array as a struct, which is never worth a fast path).
    fn opt_struct(
        &mut self,
        depth: u32,
        member: impl FnMut(&mut Self, Option<&'a str>, u32) -> Option<()>,
    ) -> Option<bool> {
        match self.value_start()? {
            b'{' => self.object(depth + 1, member).map(|()| true),
            b'n' => self.literal(b"null").map(|()| false),
            _ => None,
        }
    }

    fn opt_message(&mut self, depth: u32) -> Option<Option<RawMessage<'a>>> {
        let mut m = RawMessage {
            id: None,
            model: None,
            usage: None,
        };
        let mut seen = Seen(0);
        let present = self.opt_struct(depth, |c, key, depth| {
            match key? {
                "id" => (seen.once(0)?, m.id = c.opt_str()?),
                "model" => (seen.once(1)?, m.model = c.opt_str()?),
                "usage" => (seen.once(2)?, m.usage = c.opt_usage(depth)?),
                _ => ((), c.skip_value(depth)?),
            };
            Some(())
        })?;
        Some(present.then_some(m))
    }

    fn opt_usage(&mut self, depth: u32) -> Option<Option<RawUsage<'a>>> {
        let mut u = RawUsage {
            input_tokens: None,
            output_tokens: None,
            cache_creation_input_tokens: None,
            cache_read_input_tokens: None,
            cache_creation: None,
            server_tool_use: ToolUse(0),
            service_tier: Lenient(None),
            speed: None,
            iterations: None,
        };
        let mut seen = Seen(0);
        let present = self.opt_struct(depth, |c, key, depth| {
            match key? {
                "input_tokens" => (seen.once(0)?, u.input_tokens = c.opt_u64()?),
                "output_tokens" => (seen.once(1)?, u.output_tokens = c.opt_u64()?),
                "cache_creation_input_tokens" => {
                    (seen.once(2)?, u.cache_creation_input_tokens = c.opt_u64()?)
                }
                "cache_read_input_tokens" => {
                    (seen.once(3)?, u.cache_read_input_tokens = c.opt_u64()?)
                }
                "cache_creation" => (seen.once(4)?, u.cache_creation = c.cache_split(depth)?),
                "server_tool_use" => (seen.once(5)?, u.server_tool_use = c.tool_use(depth)?),
                "service_tier" => (seen.once(6)?, u.service_tier = c.lenient(depth)?),
                "speed" => (seen.once(7)?, u.speed = c.speed()?),
                // Advisor iterations are rare: the serde path reads them.
                "iterations" => return None,
                _ => ((), c.skip_value(depth)?),
            };
            Some(())
        })?;
        Some(present.then_some(u))
    }

    fn cache_split(&mut self, depth: u32) -> Option<Option<RawCacheCreation>> {
        let mut split = RawCacheCreation {
            ephemeral_5m_input_tokens: None,
            ephemeral_1h_input_tokens: None,
        };
        let mut seen = Seen(0);
        let present = self.opt_struct(depth, |c, key, depth| {
            match key? {
                "ephemeral_5m_input_tokens" => (
                    seen.once(0)?,
                    split.ephemeral_5m_input_tokens = c.opt_u64()?,
                ),
                "ephemeral_1h_input_tokens" => (
                    seen.once(1)?,
                    split.ephemeral_1h_input_tokens = c.opt_u64()?,
                ),
                _ => ((), c.skip_value(depth)?),
            };
            Some(())
        })?;
        Some(present.then_some(split))
    }

    /// [`ToolUse`]: any value; in an object, the last `web_search_requests` that is a u32 counts.
    fn tool_use(&mut self, depth: u32) -> Option<ToolUse> {
        if self.value_start()? != b'{' {
            return self.skip_value(depth).map(|()| ToolUse(0));
        }
        let mut searches = 0;
        self.object(depth + 1, |c, key, depth| {
            if key? != "web_search_requests" {
                return c.skip_value(depth);
            }
            searches = match c.value_start()? {
                b'0'..=b'9' => match c.number()? {
                    (text, true) => text
                        .parse::<u64>()
                        .map_or(0, |n| u32::try_from(n).unwrap_or(0)),
                    _ => return None,
                },
                b'-' => return None,
                _ => c.skip_value(depth).map(|()| 0)?,
            };
            Some(())
        })?;
        Some(ToolUse(searches))
    }

    fn speed(&mut self) -> Option<Option<Speed>> {
        match self.opt_str()? {
            None => Some(None),
            Some(Cow::Borrowed("standard")) => Some(Some(Speed::Standard)),
            Some(Cow::Borrowed("fast")) => Some(Some(Speed::Fast)),
            Some(_) => None,
        }
    }

    /// `data` of a progress line: `data.message` and the subagent's `data.agentId`.
    fn data(&mut self, depth: u32) -> Option<(Option<Nested<'a>>, Lenient<'a>)> {
        let mut nested = None;
        let mut agent = Lenient(None);
        let mut seen = Seen(0);
        self.opt_struct(depth, |c, key, depth| {
            match key? {
                "message" => (seen.once(0)?, nested = c.nested(depth)?),
                "agentId" => (seen.once(1)?, agent = c.lenient(depth)?),
                _ => ((), c.skip_value(depth)?),
            };
            Some(())
        })?;
        Some((nested, agent))
    }

    fn nested(&mut self, depth: u32) -> Option<Option<Nested<'a>>> {
        let mut n = Nested {
            timestamp: None,
            request_id: None,
            is_sidechain: None,
            cost_usd: None,
            message: None,
        };
        let mut seen = Seen(0);
        let present = self.opt_struct(depth, |c, key, depth| {
            match key? {
                "timestamp" => (seen.once(0)?, n.timestamp = c.opt_str()?),
                "requestId" => (seen.once(1)?, n.request_id = c.opt_str()?),
                "isSidechain" => (seen.once(2)?, n.is_sidechain = c.opt_bool()?),
                "costUSD" => (seen.once(3)?, n.cost_usd = c.opt_f64()?),
                "message" => (seen.once(4)?, n.message = c.opt_message(depth)?),
                _ => ((), c.skip_value(depth)?),
            };
            Some(())
        })?;
        Some(present.then_some(n))
    }
}

/// Length of the escape at `b[0] == '\\'`; `None` if invalid or a surrogate (`\uD800`-`\uDFFF`).
fn escape_len(b: &[u8]) -> Option<usize> {
    match b.get(1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(2),
        b'u' => {
            let hex = b.get(2..6)?;
            let surrogate =
                hex[0] | 0x20 == b'd' && matches!(hex[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F');
            (hex.iter().all(u8::is_ascii_hexdigit) && !surrogate).then_some(6)
        }
        _ => None,
    }
}

/// Bit k set where `s[k]` (k < 32) is `"`, `\` or a control character (< 0x20): where a string
/// ends, escapes, or is invalid. `s` holds at least 32 bytes.
#[inline]
fn special_mask32(s: &[u8]) -> u32 {
    assert!(s.len() >= 32);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: both loads read 16 bytes inside `s` (asserted above); SSE2 is part of x86_64.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let backslash = _mm_set1_epi8(b'\\' as i8);
            let control = _mm_set1_epi8(0x1f);
            let special = |at: usize| {
                let v = _mm_loadu_si128(s.as_ptr().add(at).cast::<__m128i>());
                let hits = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                    // v <= 0x1f, unsigned
                    _mm_cmpeq_epi8(_mm_min_epu8(v, control), v),
                );
                _mm_movemask_epi8(hits) as u32
            };
            special(0) | special(16) << 16
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        s[..32]
            .iter()
            .enumerate()
            .fold(0, |m, (k, &b)| m | u32::from(is_special(b)) << k)
    }
}

fn is_special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// Index of the first special byte (see [`special_mask32`]).
fn find_special(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 32 <= s.len() {
        let mask = special_mask32(&s[i..]);
        if mask != 0 {
            return Some(i + mask.trailing_zeros() as usize);
        }
        i += 32;
    }
    s[i..].iter().position(|&b| is_special(b)).map(|k| i + k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenOptions, generate_tree};
    use proptest::prelude::*;

    /// Whether the fast path, where it answers, answers as the serde path does.
    fn agrees(line: &str) -> Result<bool, String> {
        let Some(fast) = pick(line) else {
            return Ok(false);
        };
        let slow = super::super::pick(line);
        let same = match (&fast, &slow) {
            (Fast::Usage(f, rejected), Ok(s)) => {
                format!("{f:?}") == format!("{s:?}")
                    && *rejected == super::super::has_rejected_null(line.as_bytes(), None)
            }
            (Fast::NoUsage, Err(None)) => true,
            _ => false,
        };
        if same {
            Ok(true)
        } else {
            Err(format!("{line}\nfast: {fast:?}\nserde: {slow:?}"))
        }
    }

    const LINE: &str = r#"{"parentUuid":"p","isSidechain":false,"userType":"external","cwd":"/home/me/app","sessionId":"s-1","version":"2.1.20","gitBranch":"main","message":{"model":"claude-opus-4-6","id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"a \"quoted\" line\n\ttab \u00e9 ✓"}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":6,"cache_creation_input_tokens":11352,"cache_read_input_tokens":22076,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":11352},"output_tokens":384,"server_tool_use":{"web_search_requests":2},"service_tier":"standard","speed":"fast"}},"requestId":"req_1","type":"assistant","uuid":"u","timestamp":"2026-01-05T10:00:00.123Z"}"#;

    #[test]
    fn typical_lines_take_the_fast_path() {
        assert!(agrees(LINE).unwrap(), "no answer for {LINE}");
        let progress = r#"{"type":"progress","cwd":"/w","sessionId":"s","version":"2.1.31","data":{"message":{"type":"assistant","timestamp":"2026-01-05T10:00:05.000Z","requestId":"r","isSidechain":true,"message":{"model":"claude-haiku-4-5","id":"m","content":[],"usage":{"input_tokens":1,"output_tokens":2}}},"type":"agent_progress","agentId":"a1"},"timestamp":"2026-01-05T10:00:05.005Z"}"#;
        assert!(agrees(progress).unwrap());
        // The subagent's id is `data.agentId`, on either path.
        let Some(Fast::Usage(fast, _)) = pick(progress) else {
            panic!("no fast answer")
        };
        assert_eq!(fast.line.agent_id.0.as_deref(), Some("a1"));
        let slow = super::super::pick(progress).unwrap();
        assert_eq!(slow.line.agent_id.0.as_deref(), Some("a1"));
        let tool_result = r#"{"type":"user","message":{"role":"user","content":"x"},"toolUseResult":{"usage":{"input_tokens":1}},"timestamp":"2026-01-05T10:00:05.005Z"}"#;
        assert!(matches!(pick(tool_result), Some(Fast::NoUsage)));
    }

    /// The fast path must not give up on what Claude Code writes: on a generated tree it answers
    /// for nearly every usage line, and as the serde path does.
    #[test]
    fn generated_transcripts_take_the_fast_path() {
        let dir = tempfile::tempdir().unwrap();
        let opts = GenOptions {
            target_bytes: Some(3 << 20),
            malformed_every: 50,
            seed: 11,
            ..GenOptions::default()
        };
        generate_tree(dir.path(), &opts).unwrap();
        let (mut usage_lines, mut answered) = (0, 0);
        let mut stack = vec![dir.path().to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                for line in bytes.split(|&b| b == b'\n') {
                    let Ok(line) = std::str::from_utf8(line) else {
                        continue;
                    };
                    if line.contains("\"usage\":{") {
                        usage_lines += 1;
                        answered += usize::from(agrees(line).unwrap());
                    }
                }
            }
        }
        assert!(usage_lines > 500, "{usage_lines}");
        assert!(
            answered * 100 >= usage_lines * 99,
            "{answered} of {usage_lines}"
        );
    }

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(r#""timestamp":"2026-01-05T11:00:00Z""#.to_string()),
            Just(r#""timestamp":null"#.to_string()),
            Just(r#""timestamp":5"#.to_string()),
            Just(r#""time\u0073tamp":"2026-01-05T11:00:00Z""#.to_string()),
            Just(r#""cwd":"C:\\Users\\me""#.to_string()),
            Just(r#""cwd":["x"]"#.to_string()),
            Just(r#""gitBranch":{"a":1}"#.to_string()),
            Just(r#""agentId":"a\"b""#.to_string()),
            Just(r#""sessionId":"s\u00e9""#.to_string()),
            Just(r#""requestId":null"#.to_string()),
            Just(r#""isSidechain":"yes""#.to_string()),
            Just(r#""isApiErrorMessage":true"#.to_string()),
            Just(r#""costUSD":0.125"#.to_string()),
            Just(r#""costUSD":-3"#.to_string()),
            Just(r#""costUSD":"1""#.to_string()),
            Just(r#""message":null"#.to_string()),
            Just(r#""message":{"id":"m2","usage":null}"#.to_string()),
            Just(r#""message":["m"]"#.to_string()),
            Just(r#""data":{"message":{"timestamp":"2026-01-05T12:00:00Z","requestId":"r2","message":{"id":"n","model":"claude-haiku-4-5","usage":{"input_tokens":3,"output_tokens":4}}}}"#.to_string()),
            Just(r#""data":"text""#.to_string()),
            Just(r#""data":{"agentId":"a9","message":{"timestamp":"2026-01-05T12:00:00Z","requestId":"r3","isSidechain":true,"message":{"id":"n3","model":"claude-haiku-4-5","usage":{"input_tokens":3,"output_tokens":4}}}}"#.to_string()),
            Just(r#""data":{"agentId":7,"message":{"timestamp":"2026-01-05T12:00:00Z","message":{"id":"n4","usage":{"input_tokens":3,"output_tokens":4}}}}"#.to_string()),
            Just(r#""data":[{"message":null}]"#.to_string()),
            Just(r#""data":{"message":{"message":{"usage":{"input_tokens":-1}}}}"#.to_string()),
            Just(r#""input_tokens":7"#.to_string()),
            Just(r#""input_tokens":7.0"#.to_string()),
            Just(r#""input_tokens":-0"#.to_string()),
            Just(r#""input_tokens":18446744073709551616"#.to_string()),
            Just(r#""output_tokens":1e3"#.to_string()),
            Just(r#""output_tokens":null"#.to_string()),
            Just(r#""cache_creation":{"ephemeral_5m_input_tokens":9}"#.to_string()),
            Just(r#""cache_creation":[1,2]"#.to_string()),
            Just(r#""server_tool_use":{"web_search_requests":4294967296}"#.to_string()),
            Just(r#""server_tool_use":{"web_search_requests":"3","web_search_requests":1}"#.to_string()),
            Just(r#""server_tool_use":[1]"#.to_string()),
            Just(r#""server_tool_use":null"#.to_string()),
            Just(r#""service_tier":7"#.to_string()),
            Just(r#""speed":"turbo""#.to_string()),
            Just(r#""speed":"standard""#.to_string()),
            Just(r#""speed":null"#.to_string()),
            Just(r#""iterations":[]"#.to_string()),
            Just(r#""model":null"#.to_string()),
            Just(r#""id":"x""#.to_string()),
            Just(r#""usage":{"input_tokens":1,"output_tokens":1}"#.to_string()),
            Just(r#""k":"\ud83d\ude00""#.to_string()),
            Just(r#""k":"\ud800""#.to_string()),
            Just(r#""k":"\q""#.to_string()),
            Just("\"k\":\"tab\tinside\"".to_string()),
            Just(r#""k": [ 1 , -2.5 , true , false , null , { } , [ ] ]"#.to_string()),
            Just(r#""k":{"input":{"id":null,"x":[{"cwd":null}]}}"#.to_string()),
            Just(r#""k":{"a"id":null,"speed" : null,"isApiErrorMessage":null}"#.to_string()),
            Just(r#""k":{"xmodel":null,"sessionIdx":null,"requestId":null}"#.to_string()),
            Just(r#""k":"":null "id":null""#.to_string()),
            Just(r#""k":012"#.to_string()),
            Just(r#""k":1."#.to_string()),
            Just(r#""k":tru"#.to_string()),
            Just(r#""k":[1,]"#.to_string()),
            Just(r#""k":{"a":1,}"#.to_string()),
            Just(r#""k":"unterminated"#.to_string()),
            "[0-9]{1,330}".prop_map(|d| format!(r#""k":{d}"#)),
            (1usize..130).prop_map(|n| format!(r#""k":{}{}"#, "[".repeat(n), "]".repeat(n))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 4000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Pieces (duplicates, nulls, mistyped, escaped, invalid) spliced into the top level,
        /// the message and the usage of a valid line.
        #[test]
        fn the_fast_path_answers_as_the_serde_path(
            top in proptest::collection::vec(piece(), 0..3),
            message in proptest::collection::vec(piece(), 0..3),
            usage in proptest::collection::vec(piece(), 0..3),
            spaces in any::<bool>(),
        ) {
            let splice = |at: &str, pieces: &[String], line: String| {
                pieces.iter().fold(line, |l, p| l.replacen(at, &format!("{at}{p},"), 1))
            };
            let mut line = splice("{\"parentUuid\":\"p\",", &top, LINE.to_string());
            line = line.replacen("{\"parentUuid\":\"p\",", "{", 1);
            line = format!("{{\"parentUuid\":\"p\",{}", &line[1..]);
            line = splice("\"message\":{", &message, line);
            line = splice("\"usage\":{", &usage, line);
            if spaces {
                line = line.replace("\":", "\" : ").replace(",\"", ", \"");
            }
            agrees(&line).map_err(TestCaseError::fail)?;
        }

        /// Strings end where they end, wherever their escapes fall relative to the 32-byte
        /// blocks the search works in.
        #[test]
        fn strings_end_where_json_says(
            s in "[a-z\"\\\\\n\t\u{1}\u{e9}\u{1f600}]{0,90}",
            pad in 0usize..40,
            tail in "[,}a-z\"]{0,40}",
        ) {
            let json = serde_json::to_string(&s).unwrap();
            let text = format!("{}{json}{tail}", " ".repeat(pad));
            let mut c = Cursor { text: &text, b: text.as_bytes(), i: pad, rejected_null: false };
            let (raw, escaped) = c.raw_string().ok_or_else(|| TestCaseError::fail(text.clone()))?;
            prop_assert_eq!(raw, &json[1..json.len() - 1]);
            prop_assert_eq!(c.i, pad + json.len());
            prop_assert_eq!(escaped, json.contains('\\'));
        }

        /// Random edits of a valid line: wherever the fast path still answers, it agrees.
        #[test]
        fn mutated_lines_agree_or_fall_back(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
        ) {
            let line = super::super::tests::edited(LINE, &edits);
            if let Ok(line) = std::str::from_utf8(&line) {
                agrees(line).map_err(TestCaseError::fail)?;
            }
        }
    }

    #[test]
    fn special_bytes_are_found_at_every_position() {
        for len in 0..80 {
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut s = vec![b'a'; len];
                    s[at] = special;
                    if at + 1 < len {
                        s[at + 1] = b'"';
                    }
                    assert_eq!(find_special(&s), Some(at), "len {len} at {at}");
                }
            }
            let plain: Vec<u8> = (0..len).map(|i| 0x20 + (i % 0x60) as u8).collect();
            let plain: Vec<u8> = plain
                .into_iter()
                .map(|b| if b == b'"' || b == b'\\' { b'x' } else { b })
                .chain(std::iter::repeat_n(0xC3, len % 3))
                .collect();
            assert_eq!(find_special(&plain), None, "len {len}");
        }
    }
}
