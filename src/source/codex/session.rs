//! Rows → sessions, as `ccusage codex session` (20.0.24) makes them, checked against its
//! binary (docs/ccusage-compat.md, "Codex"):
//! - a session is one rollout's id (its path below `sessions/` without `.jsonl`); sessions are
//!   listed by id (byte order), whatever `--order` says;
//! - `--since`/`--until` keep the requests whose day (in the report's zone) is in the range,
//!   then sessions are made of those (a session's tokens are only its days in the range);
//! - the same request logged in two sessions counts in each (the scan's copies rule is per
//!   session, see `super::report::Report::per_session`);
//! - `lastActivity` is the greatest of the requests' timestamps *as written*, compared as text
//!   (a number shows as ccusage writes instants, `…SS.mmmZ`).

use std::collections::BTreeMap;

use super::group::{CodexReport, Group, Kind, Models};
use super::rows::CodexRow;
use crate::report::{DateRange, Zone};

pub(crate) struct Sessions {
    zone: Zone,
    range: DateRange,
    sessions: BTreeMap<String, (Models, Activity)>,
}

impl Sessions {
    pub(crate) fn new(zone: Zone, range: DateRange) -> Sessions {
        Sessions {
            zone,
            range,
            sessions: BTreeMap::new(),
        }
    }

    pub(crate) fn add(&mut self, row: &CodexRow) {
        if !self.range.contains(self.zone.day_of(row.timestamp_ms)) {
            return;
        }
        // Looked up by reference first: a session's rows are many, its id allocated once.
        if !self.sessions.contains_key(&row.session_id) {
            self.sessions
                .insert(row.session_id.clone(), Default::default());
        }
        let (models, activity) = (self.sessions.get_mut(&row.session_id)).expect("inserted");
        models.add(row);
        activity.add(row);
    }

    pub(crate) fn finish(self) -> CodexReport {
        let sessions = (self.sessions.into_iter())
            .map(|(id, (models, activity))| Group {
                last_activity: activity.text(),
                ..models.finish(id)
            })
            .collect();
        CodexReport::new(Kind::Session, self.zone.name().to_owned(), sessions)
    }
}

/// The greatest timestamp text of a session's requests. Texts in ccusage's own form compare
/// as their instants do (same width, most significant first), so only the latest instant of
/// those and the greatest other text are kept; the winner is chosen once, as text.
#[derive(Default)]
struct Activity {
    latest_ms: Option<i64>,
    greatest_written: Option<Box<str>>,
}

impl Activity {
    fn add(&mut self, row: &CodexRow) {
        match &row.written_time {
            None => self.latest_ms = self.latest_ms.max(Some(row.timestamp_ms)),
            Some(text) => {
                if self.greatest_written.as_ref().is_none_or(|g| text > g) {
                    self.greatest_written = Some(text.clone());
                }
            }
        }
    }

    fn text(&self) -> Option<String> {
        let own = self.latest_ms.map(crate::report::iso_ms);
        let written = self.greatest_written.as_deref().map(str::to_owned);
        own.max(written)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn row(session: &str, timestamp_ms: i64, written: Option<&str>) -> CodexRow {
        CodexRow {
            timestamp_ms,
            written_time: written.map(Into::into),
            session_id: session.into(),
            model: "gpt-5".into(),
            is_fallback_model: false,
            input: 100,
            cached_input: 0,
            cache_write: 0,
            output: 10,
            reasoning: 0,
            total: 110,
            fast: false,
            cost_usd: 0.0,
            unpriced: false,
            file: PathBuf::new(),
            line: 1,
        }
    }

    // 2026-01-07T22:00:00Z and 21:30Z.
    const T22: i64 = 1_767_823_200_000;
    const T2130: i64 = T22 - 1_800_000;

    #[test]
    fn sessions_by_id_with_the_greatest_timestamp_text() {
        let mut s = Sessions::new(Zone::utc(), DateRange::default());
        // ccusage 20.0.24: "…23:30:00+02:00" (21:30Z) beats "…22:00:00.000Z" as text.
        s.add(&row("x/b", T22, None));
        s.add(&row("x/b", T2130, Some("2026-01-07T23:30:00+02:00")));
        s.add(&row("x/a", T2130, None));
        s.add(&row("x/a", T22, None));
        let r = s.finish();
        let got: Vec<(&str, Option<&str>)> = (r.groups.iter())
            .map(|g| (g.label.as_str(), g.last_activity.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("x/a", Some("2026-01-07T22:00:00.000Z")),
                ("x/b", Some("2026-01-07T23:30:00+02:00")),
            ]
        );
        assert_eq!(r.totals.input, 400);
    }

    #[test]
    fn the_range_selects_requests_before_sessions_are_made() {
        let since = crate::report::parse_date("2026-01-08").unwrap();
        let range = DateRange::new(Some(since), None).unwrap();
        let mut s = Sessions::new(Zone::utc(), range);
        s.add(&row("x/a", T22, None));
        s.add(&row("x/a", T22 + 7_200_000, None));
        s.add(&row("x/b", T22, None));
        let r = s.finish();
        assert_eq!(r.groups.len(), 1);
        assert_eq!(r.groups[0].sums.input, 100);
        assert_eq!(
            r.groups[0].last_activity.as_deref(),
            Some("2026-01-08T00:00:00.000Z")
        );
    }
}
