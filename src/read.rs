//! Incremental, bounded-memory line reading.
//!
//! Only complete lines (terminated by `\n`) are returned, so a line Claude Code is still writing is
//! left for the next run. Lines longer than `max_line` are never held whole: they are streamed
//! through [`Skeleton`], which keeps the JSON structure and short strings (ids, model, usage) and
//! drops long string values (tool output, file contents), so their usage still counts.

use std::io::{self, Read};

use memchr::memchr;

/// Initial buffer (it grows for longer lines). A partial line is moved to the front before
/// each refill; at 256 KiB those moves and the extra reads cost ~10% of the scan's CPU on the
/// benchmark tree (long tool-output lines), at 512 KiB and 1 MiB about the same and less.
const CHUNK: usize = 512 * 1024;

/// Reads land on this alignment: on some CPUs (AMD EPYC here) the kernel copies into a
/// misaligned destination several times slower (`read` of a 2 GB tree: 0.3 s vs 1.0 s).
const ALIGN: usize = 64;

/// One complete line. `bytes` excludes the terminator (`\n` or `\r\n`).
#[derive(Debug)]
pub struct Line<'a> {
    pub bytes: &'a [u8],
    /// Byte offset of the line's first byte in the file.
    pub offset: u64,
    /// 1-based line number in the file.
    pub line_no: u64,
    /// The line exceeded the in-memory limit and `bytes` is its skeleton (long strings emptied).
    pub skeleton: bool,
    /// The skeleton itself exceeded the limit: the line cannot be parsed within bounded memory.
    pub too_large: bool,
}

pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Where the newline search resumes, so a growing line is scanned once.
    scanned: usize,
    /// First `ALIGN`-aligned index of `buf`: a partial line is kept so that it ends on an
    /// aligned index, where the next read starts.
    base: usize,
    /// File offset of `buf[start]`: everything before it is consumed.
    offset: u64,
    line_no: u64,
    max_line: usize,
    eof: bool,
    skeleton: Skeleton,
}

fn aligned_start(buf: &[u8]) -> usize {
    buf.as_ptr().align_offset(ALIGN).min(buf.len())
}

impl<R: Read> LineReader<R> {
    /// `inner` must be positioned at `offset`, the start of a line.
    pub fn new(inner: R, offset: u64, line_no: u64, max_line: usize) -> Self {
        Self::with_buffer(inner, offset, line_no, max_line, Vec::new())
    }

    /// [`Self::new`] reusing `buf` (from [`Self::into_buffer`]): a scan of thousands of files
    /// then allocates, and the kernel zeroes, one buffer per thread instead of one per file.
    pub fn with_buffer(
        inner: R,
        offset: u64,
        line_no: u64,
        max_line: usize,
        mut buf: Vec<u8>,
    ) -> Self {
        let size = CHUNK.min(max_line.max(1024)) + ALIGN;
        if buf.len() != size {
            // A buffer grown for a long line goes back to the usual size.
            buf.truncate(size);
            buf.shrink_to(size);
            buf.resize(size, 0);
        }
        let base = aligned_start(&buf);
        LineReader {
            inner,
            buf,
            start: base,
            end: base,
            scanned: base,
            base,
            offset,
            line_no,
            max_line: max_line.max(1024),
            eof: false,
            skeleton: Skeleton::new(max_line.max(1024)),
        }
    }

    /// The buffer, for the next file's reader.
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// Offset just past the last complete line returned: the safe checkpoint.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            if let Some(i) = memchr(b'\n', &self.buf[self.scanned..self.end]) {
                let nl = self.scanned + i;
                let (start, len) = (self.start, nl - self.start);
                self.start = nl + 1;
                self.scanned = self.start;
                let offset = self.offset;
                self.offset += len as u64 + 1;
                self.line_no += 1;
                return Ok(Some(Line {
                    bytes: trim_cr(&self.buf[start..nl]),
                    offset,
                    line_no: self.line_no,
                    skeleton: false,
                    too_large: false,
                }));
            }
            self.scanned = self.end;
            if self.eof {
                return Ok(None);
            }
            if self.end - self.start >= self.max_line {
                return self.oversized_line();
            }
            self.fill()?;
        }
    }

    /// At end of file, consumes bytes after the last newline as a final line if `complete` says
    /// they are one (Claude Code writes whole lines, so a last line that is a complete JSON
    /// document is finished even without its newline; a prefix of one never is).
    pub fn take_final_line(&mut self, complete: impl Fn(&[u8]) -> bool) -> Option<Line<'_>> {
        if !self.eof || self.start == self.end || !complete(&self.buf[self.start..self.end]) {
            return None;
        }
        let (start, end) = (self.start, self.end);
        let offset = self.offset;
        self.offset += (end - start) as u64;
        self.start = end;
        self.scanned = end;
        self.line_no += 1;
        Some(Line {
            bytes: trim_cr(&self.buf[start..end]),
            offset,
            line_no: self.line_no,
            skeleton: false,
            too_large: false,
        })
    }

    /// Makes room and reads one chunk; sets `eof` when the file has no more bytes.
    fn fill(&mut self) -> io::Result<()> {
        if self.end == self.buf.len() {
            // Move the partial line to the front, ending on an aligned index.
            let len = self.end - self.start;
            let dest = self.base + (ALIGN - len % ALIGN) % ALIGN;
            if dest != self.start && dest + len < self.buf.len() {
                self.buf.copy_within(self.start..self.end, dest);
                self.scanned = dest + (self.scanned - self.start);
                self.start = dest;
                self.end = dest + len;
            }
        }
        if self.end == self.buf.len() {
            let grown = (self.buf.len() * 2).min(self.max_line + CHUNK + ALIGN);
            self.buf.resize(grown, 0);
            // The allocation may have moved.
            self.base = aligned_start(&self.buf);
        }
        let n = read_retrying(&mut self.inner, &mut self.buf[self.end..])?;
        if n == 0 {
            self.eof = true;
        }
        self.end += n;
        Ok(())
    }

    /// Streams a line that does not fit in memory through the skeleton filter.
    fn oversized_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.skeleton.reset();
        let line_start = self.offset;
        let mut consumed = 0u64;
        // Data already buffered: the first max_line bytes of the line, no newline among them.
        self.skeleton.feed(&self.buf[self.start..self.end]);
        consumed += (self.end - self.start) as u64;
        self.start = 0;
        self.end = 0;
        self.scanned = 0;
        loop {
            let n = read_retrying(&mut self.inner, &mut self.buf[..])?;
            if n == 0 {
                // Incomplete oversized line: not consumed, re-read once it is complete. The
                // buffered bytes are gone, so seeking back is the caller's job (it reopens at
                // `offset()`, which still points at this line).
                self.eof = true;
                return Ok(None);
            }
            match memchr(b'\n', &self.buf[..n]) {
                Some(i) => {
                    self.skeleton.feed(&self.buf[..i]);
                    consumed += i as u64 + 1;
                    self.start = i + 1;
                    self.end = n;
                    self.scanned = self.start;
                    self.offset = line_start + consumed;
                    self.line_no += 1;
                    let too_large = self.skeleton.overflowed();
                    return Ok(Some(Line {
                        bytes: trim_cr(self.skeleton.output()),
                        offset: line_start,
                        line_no: self.line_no,
                        skeleton: true,
                        too_large,
                    }));
                }
                None => {
                    self.skeleton.feed(&self.buf[..n]);
                    consumed += n as u64;
                }
            }
        }
    }
}

fn read_retrying<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Longest string value a skeleton keeps; longer ones become `""`. Ids, models, timestamps and
/// paths are far shorter; message text and tool output are what gets dropped.
const KEEP_STRING: usize = 4096;

/// Streaming JSON filter that empties long string values. It tracks only string/escape state, so
/// it works on arbitrary chunk boundaries; it does not validate, the JSON parser does that later.
pub struct Skeleton {
    out: Vec<u8>,
    string: Vec<u8>,
    in_string: bool,
    escaped: bool,
    dropping: bool,
    limit: usize,
    overflowed: bool,
}

impl Skeleton {
    pub fn new(limit: usize) -> Self {
        Skeleton {
            out: Vec::new(),
            string: Vec::new(),
            in_string: false,
            escaped: false,
            dropping: false,
            limit,
            overflowed: false,
        }
    }

    pub fn reset(&mut self) {
        self.out.clear();
        self.string.clear();
        self.in_string = false;
        self.escaped = false;
        self.dropping = false;
        self.overflowed = false;
    }

    pub fn output(&self) -> &[u8] {
        &self.out
    }

    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.in_string {
                if self.dropping && !self.escaped {
                    // Fast skip to the next quote or backslash.
                    match memchr::memchr2(b'"', b'\\', data) {
                        Some(i) => data = &data[i..],
                        None => return,
                    }
                }
                let b = data[0];
                data = &data[1..];
                if self.escaped {
                    self.escaped = false;
                    self.keep_string_byte(b);
                } else if b == b'\\' {
                    self.escaped = true;
                    self.keep_string_byte(b);
                } else if b == b'"' {
                    self.in_string = false;
                    self.push(b'"');
                    if !self.dropping {
                        let s = std::mem::take(&mut self.string);
                        self.extend(&s);
                        self.string = s;
                    }
                    self.push(b'"');
                    self.string.clear();
                    self.dropping = false;
                } else {
                    self.keep_string_byte(b);
                }
            } else {
                // Copy structure up to the next string.
                let n = memchr(b'"', data).unwrap_or(data.len());
                let (structure, rest) = data.split_at(n);
                self.extend(structure);
                data = rest;
                if !data.is_empty() {
                    data = &data[1..];
                    self.in_string = true;
                }
            }
        }
    }

    fn keep_string_byte(&mut self, b: u8) {
        if self.dropping {
            return;
        }
        self.string.push(b);
        if self.string.len() > KEEP_STRING {
            self.dropping = true;
            self.string.clear();
        }
    }

    fn push(&mut self, b: u8) {
        self.extend(&[b]);
    }

    fn extend(&mut self, bytes: &[u8]) {
        if self.out.len() + bytes.len() > self.limit {
            self.overflowed = true;
            return;
        }
        self.out.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &[u8], max_line: usize) -> (Vec<(String, u64, bool)>, u64) {
        let mut r = LineReader::new(data, 0, 0, max_line);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push((
                String::from_utf8_lossy(l.bytes).into_owned(),
                l.offset,
                l.skeleton,
            ));
        }
        (out, r.offset())
    }

    /// A `Read` that records where each read lands, like a file (reads fill what they can).
    struct Recording<'a> {
        data: &'a [u8],
        misaligned: usize,
        reads: usize,
    }

    impl Read for Recording<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.data.len());
            if n > 0 {
                self.reads += 1;
                self.misaligned += usize::from(!(buf.as_ptr() as usize).is_multiple_of(ALIGN));
            }
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn reads_land_aligned_across_partial_lines() {
        let mut data = Vec::new();
        let mut expected = Vec::new();
        // Several buffers' worth, so partial lines are carried over many times.
        for i in 0.. {
            if data.len() > 16 * CHUNK {
                break;
            }
            let line = format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i * 7 % 1999));
            data.extend_from_slice(line.as_bytes());
            data.push(b'\n');
            expected.push(line);
        }
        let mut source = Recording {
            data: &data,
            misaligned: 0,
            reads: 0,
        };
        let mut r = LineReader::new(&mut source, 0, 0, 1 << 20);
        let mut got = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            got.push(String::from_utf8(l.bytes.to_vec()).unwrap());
        }
        assert_eq!(got, expected);
        assert_eq!(r.offset(), data.len() as u64);
        drop(r);
        assert!(source.reads > 10, "{} reads", source.reads);
        assert_eq!(source.misaligned, 0, "of {} reads", source.reads);
    }

    #[test]
    fn partial_last_line_is_not_consumed() {
        let (got, offset) = lines(b"{\"a\":1}\r\n{\"b\":2}\n{\"c\":", 1 << 20);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "{\"a\":1}");
        assert_eq!(got[1], ("{\"b\":2}".into(), 9, false));
        assert_eq!(offset, 17);
    }

    #[test]
    fn a_complete_final_line_without_newline_can_be_taken() {
        let mut r = LineReader::new(&b"{\"a\":1}\n{\"b\":2}"[..], 0, 0, 1 << 20);
        assert!(r.next_line().unwrap().is_some());
        assert!(r.next_line().unwrap().is_none());
        assert!(r.take_final_line(|_| false).is_none());
        assert_eq!(r.offset(), 8);
        let l = r.take_final_line(|b| b.ends_with(b"}")).unwrap();
        assert_eq!((l.bytes, l.offset, l.line_no), (&b"{\"b\":2}"[..], 8, 2));
        assert_eq!(r.offset(), 15);
    }

    #[test]
    fn resumes_from_an_offset_with_line_numbers() {
        let data = b"{\"b\":2}\n{\"c\":3}\n";
        let mut r = LineReader::new(&data[..], 100, 7, 1 << 20);
        let l = r.next_line().unwrap().unwrap();
        assert_eq!((l.offset, l.line_no), (100, 8));
        let l = r.next_line().unwrap().unwrap();
        assert_eq!((l.offset, l.line_no), (108, 9));
        assert!(r.next_line().unwrap().is_none());
        assert_eq!(r.offset(), 116);
    }

    #[test]
    fn lines_spanning_many_chunks_are_joined() {
        let big = "x".repeat(3 * CHUNK);
        let data = format!("{{\"t\":\"{big}\"}}\n{{\"n\":1}}\n");
        let (got, offset) = lines(data.as_bytes(), 8 * CHUNK);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0.len(), big.len() + 8);
        assert!(!got[0].2);
        assert_eq!(offset, data.len() as u64);
    }

    #[test]
    fn oversized_lines_become_skeletons_that_keep_usage() {
        let big = "y\\\"".repeat(500_000);
        let line = format!(
            "{{\"message\":{{\"id\":\"msg_1\",\"content\":[{{\"text\":\"{big}\"}}],\"usage\":{{\"input_tokens\":5}}}}}}"
        );
        let data = format!("{line}\n{{\"n\":1}}\n");
        let (got, offset) = lines(data.as_bytes(), 64 * 1024);
        assert_eq!(got.len(), 2);
        assert!(got[0].2, "first line should be a skeleton");
        assert_eq!(
            got[0].0,
            "{\"message\":{\"id\":\"msg_1\",\"content\":[{\"text\":\"\"}],\"usage\":{\"input_tokens\":5}}}"
        );
        assert_eq!(got[1].0, "{\"n\":1}");
        assert_eq!(got[1].1, line.len() as u64 + 1);
        assert_eq!(offset, data.len() as u64);
    }

    #[test]
    fn incomplete_oversized_line_is_left_for_later() {
        let data = format!("{{\"n\":1}}\n{{\"t\":\"{}", "z".repeat(300_000));
        let (got, offset) = lines(data.as_bytes(), 64 * 1024);
        assert_eq!(got.len(), 1);
        assert_eq!(offset, 8);
    }

    #[test]
    fn skeleton_handles_escapes_across_chunk_boundaries() {
        let mut s = Skeleton::new(1 << 20);
        for b in br#"{"a":"q\"x","b":"\\","c":[1,2]}"# {
            s.feed(&[*b]);
        }
        assert_eq!(s.output(), br#"{"a":"q\"x","b":"\\","c":[1,2]}"#);
        assert!(!s.overflowed());
    }

    #[test]
    fn skeleton_of_pathological_structure_is_bounded() {
        let mut s = Skeleton::new(1000);
        s.feed(&b"[1,".repeat(10_000));
        assert!(s.overflowed());
        assert!(s.output().len() <= 1000);
    }
}
