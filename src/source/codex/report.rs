//! Which aggregation each Codex report is, for every feed (the rollouts or the database):
//! rows → days ([`super::daily`]), days → months ([`super::monthly`]), rows → sessions
//! ([`super::session`]).

use super::daily::Daily;
use super::group::{CodexReport, Kind};
use super::rows::CodexRow;
use super::session::Sessions;
use crate::report::{DateRange, Zone};

/// A report being built from rows.
pub(crate) enum Report {
    /// Daily, or monthly from the days.
    Days(Daily, Kind),
    Sessions(Sessions),
}

impl Report {
    pub(crate) fn new(kind: Kind, zone: Zone, range: DateRange) -> Report {
        match kind {
            Kind::Daily | Kind::Monthly => Report::Days(Daily::new(zone, range), kind),
            Kind::Session => Report::Sessions(Sessions::new(zone, range)),
        }
    }

    /// Whether a request logged in several files counts once per session rather than once:
    /// ccusage's session report keys its copies by session too (a request in two sessions
    /// shows in both; its daily and monthly reports count it once).
    pub(crate) fn per_session(&self) -> bool {
        matches!(self, Report::Sessions(_))
    }

    pub(crate) fn add(&mut self, row: &CodexRow) {
        match self {
            Report::Days(days, _) => days.add(row),
            Report::Sessions(sessions) => sessions.add(row),
        }
    }

    pub(crate) fn finish(self) -> CodexReport {
        match self {
            Report::Days(days, Kind::Monthly) => super::monthly::monthly(days.finish()),
            Report::Days(days, _) => days.finish(),
            Report::Sessions(sessions) => sessions.finish(),
        }
    }
}
