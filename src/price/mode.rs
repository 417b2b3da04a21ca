//! ccusage's `--mode`: where a response's cost comes from.

use std::fmt;
use std::str::FromStr;

/// How a message's cost is derived, as ccusage's `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CostMode {
    /// `costUSD` from the line when present, else calculated from tokens.
    #[default]
    Auto,
    /// Always calculated from tokens.
    Calculate,
    /// `costUSD` from the line, else 0.
    Display,
}

impl CostMode {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CostMode::Auto => "auto",
            CostMode::Calculate => "calculate",
            CostMode::Display => "display",
        }
    }
}

impl fmt::Display for CostMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a cost mode name other than `auto`, `calculate` or `display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCostModeError(String);

impl fmt::Display for ParseCostModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid cost mode {:?} (expected auto, calculate or display)",
            self.0
        )
    }
}

impl std::error::Error for ParseCostModeError {}

impl FromStr for CostMode {
    type Err = ParseCostModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(CostMode::Auto),
            "calculate" => Ok(CostMode::Calculate),
            "display" => Ok(CostMode::Display),
            other => Err(ParseCostModeError(other.to_owned())),
        }
    }
}
