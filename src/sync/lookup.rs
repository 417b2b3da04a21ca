//! Before the run decides about a message id it has not seen yet, the rows earlier runs stored
//! for it (`schema/maintenance/events_lookup.sql`) seed the de-duplication, so a line synced
//! in one run and its better or sidechain copy in a later one resolve as in one run. Skipped on
//! a machine's first backfill (it has no rows). Costs one request per few thousand new ids: an
//! hourly run makes one.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Result;
use crate::source::claude::collect::Collector;
use crate::source::claude::dedup::{Pos, Rank, StoredRow};
use crate::source::claude::discover::TranscriptFile;
use crate::store::client::Sink;

/// Ids per request: their text in the URL stays under ~48 KB.
const LOOKUP_BYTES: usize = 48 * 1024;

#[derive(clickhouse::Row, serde::Deserialize)]
struct Stored {
    message_id: String,
    request_id: String,
    latest: u64,
    deleted: u8,
    timestamp_ms: i64,
    session: String,
    cost: f64,
    file: String,
    line: u64,
    sidechain: bool,
    total: u64,
    has_speed: bool,
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Repeats {
    line: String,
    stored: u32,
}

pub(super) struct Lookup {
    files: Arc<Vec<TranscriptFile>>,
    /// Stored `source_file` → the file's index in this run's path order (made on first use).
    positions: Option<HashMap<Arc<str>, u32>>,
}

impl Lookup {
    pub(super) fn new(files: Arc<Vec<TranscriptFile>>) -> Self {
        Lookup {
            files,
            positions: None,
        }
    }

    /// Seeds `collector` with what `machine` stored for `message_ids`, and with the stored
    /// repeats of the lines without message.id identified by `lines`.
    pub(super) async fn seed(
        &mut self,
        sink: &Sink,
        machine: &str,
        collector: &mut Collector,
        mut message_ids: Vec<Box<str>>,
        mut lines: Vec<u64>,
    ) -> Result<()> {
        message_ids.sort_unstable();
        message_ids.dedup();
        for chunk in chunks(&message_ids) {
            let what = "look up stored responses";
            let sql = crate::store::schema::EVENTS_LOOKUP;
            let stored: Vec<Stored> = fetch(sink, what, sql, machine, "message_ids", chunk).await?;
            self.seed_messages(collector, chunk, &stored);
        }
        lines.sort_unstable();
        lines.dedup();
        let prefixes: Vec<Box<str>> = lines
            .iter()
            .map(|l| format!("~l:{l:016x}").into())
            .collect();
        for chunk in chunks(&prefixes) {
            let (what, sql) = ("look up stored lines", crate::store::schema::EVENTS_REPEATS);
            let found: Vec<Repeats> = fetch(sink, what, sql, machine, "lines", chunk).await?;
            for prefix in chunk {
                let base = u64::from_str_radix(&prefix[3..], 16).expect("hex we wrote");
                let stored = found
                    .iter()
                    .find(|r| r.line == prefix[3..])
                    .map_or(0, |r| r.stored);
                collector.seed_repeats(base, stored);
            }
        }
        Ok(())
    }

    fn seed_messages(&mut self, collector: &mut Collector, ids: &[Box<str>], stored: &[Stored]) {
        let files = &self.files;
        let positions = self.positions.get_or_insert_with(|| {
            files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.source.clone(), i as u32))
                .collect()
        });
        let mut by_id: HashMap<&str, Vec<&Stored>> = HashMap::new();
        for s in stored {
            by_id.entry(&s.message_id).or_default().push(s);
        }
        for id in ids {
            let rows: Vec<StoredRow<'_>> = by_id
                .get(&**id)
                .into_iter()
                .flatten()
                .map(|s| StoredRow {
                    request_id: &s.request_id,
                    version: s.latest,
                    rank: Rank {
                        non_sidechain: !s.sidechain,
                        total: s.total,
                        has_speed: s.has_speed,
                    },
                    is_deleted: s.deleted != 0,
                    timestamp_ms: s.timestamp_ms,
                    session_id: &s.session,
                    cost_usd: s.cost,
                    pos: positions
                        .get(s.file.as_str())
                        .map(|&file| Pos { file, line: s.line }),
                })
                .collect();
            // Also with no rows: the id is then known, and not asked for again.
            collector.seed(id, &rows);
        }
    }
}

/// `ids` in slices whose text stays under [`LOOKUP_BYTES`].
fn chunks(ids: &[Box<str>]) -> impl Iterator<Item = &[Box<str>]> {
    let mut rest = ids;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let n = rest
            .iter()
            .take_while(|id| {
                bytes += id.len() + 4;
                bytes <= LOOKUP_BYTES
            })
            .count()
            .max(1);
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        Some(chunk)
    })
}

/// Runs `sql` for `machine` with `values` bound as the array parameter `param`.
async fn fetch<T>(
    sink: &Sink,
    what: &str,
    sql: &str,
    machine: &str,
    param: &str,
    values: &[Box<str>],
) -> Result<Vec<T>>
where
    T: clickhouse::RowOwned + clickhouse::RowRead,
{
    let values: Vec<&str> = values.iter().map(|s| &**s).collect();
    sink.with_retry(what, || {
        sink.timed(
            what,
            sink.client()
                .query(sql)
                .param("machine", machine)
                .param("source", crate::CLAUDE_SOURCE)
                .param(param, &values)
                .fetch_all::<T>(),
        )
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_asked_in_bounded_slices_covering_all() {
        let ids: Vec<Box<str>> = (0..5000).map(|i| format!("msg_{i:026}").into()).collect();
        let slices: Vec<&[Box<str>]> = chunks(&ids).collect();
        assert!(slices.len() > 1);
        assert!(
            slices
                .iter()
                .all(|s| s.iter().map(|i| i.len() + 4).sum::<usize>() <= LOOKUP_BYTES)
        );
        assert_eq!(slices.iter().map(|s| s.len()).sum::<usize>(), ids.len());
        assert_eq!(chunks(&[]).count(), 0);
    }
}
