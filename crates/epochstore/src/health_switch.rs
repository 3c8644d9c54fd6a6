//! `STATUS`: the switch the failover drill turns to make a region report
//! itself unhealthy. Spelled `ok` or `fail` in the environment, the local
//! control endpoint and their logs.

use std::fmt;
use std::str::FromStr;

use crate::env::Choice;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HealthSwitch {
    /// `/health` probes the store.
    #[default]
    Ok,
    /// `/health` answers `503` without probing: the region is drained.
    Fail,
}

impl HealthSwitch {
    pub const VAR: &'static str = "STATUS";

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Fail => "fail",
        }
    }
}

impl Choice for HealthSwitch {
    const ALL: &'static [Self] = &[Self::Ok, Self::Fail];

    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl FromStr for HealthSwitch {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_name(text.trim()).ok_or_else(|| format!("must be ok or fail, not {text:?}"))
    }
}

impl fmt::Display for HealthSwitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_prints_in_any_case() {
        for switch in [HealthSwitch::Ok, HealthSwitch::Fail] {
            assert_eq!(switch.to_string().parse(), Ok(switch));
            assert_eq!(switch.as_str().to_uppercase().parse(), Ok(switch));
        }
        assert!("down".parse::<HealthSwitch>().is_err());
    }
}
