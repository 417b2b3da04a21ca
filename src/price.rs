// TEMPORARY STUB (to be replaced by the pricing module)
use std::str::FromStr;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CostMode {
    #[default]
    Auto,
    Calculate,
    Display,
}
impl FromStr for CostMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "calculate" => Ok(Self::Calculate),
            "display" => Ok(Self::Display),
            _ => Err(format!("unknown cost mode {s}")),
        }
    }
}
impl std::fmt::Display for CostMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Calculate => "calculate",
            Self::Display => "display",
        })
    }
}
pub struct TokenCounts {
    pub input: u64,
    pub output: u64,
    pub cache_creation_5m: u64,
    pub cache_creation_1h: u64,
    pub cache_read: u64,
}
pub struct Cost {
    pub usd: f64,
    pub unknown_model: bool,
}
pub fn message_cost(
    _m: CostMode,
    _r: Option<f64>,
    _model: &str,
    _t: &TokenCounts,
    _fast: bool,
) -> Cost {
    Cost {
        usd: 0.0,
        unknown_model: false,
    }
}
pub fn display_model(model: &str, fast: bool) -> String {
    if fast {
        format!("{model}-fast")
    } else {
        model.to_string()
    }
}
