//! Settings from environment variables: one reader and one error wording for
//! the functions' [`crate::config::Config`] and the local emulation's
//! settings. Values are trimmed; an empty value counts as unset.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;

/// A set of environment variables: the process's, or a test's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    values: HashMap<String, String>,
    /// Variables whose value is not UTF-8: an error only when one is read,
    /// so an unrelated variable cannot break a cold start.
    not_unicode: BTreeSet<String>,
}

/// A variable is missing or invalid; the message names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvError(pub String);

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EnvError {}

/// A setting spelled as one of a few names, parsed and printed by the same
/// table (case-insensitive).
pub trait Choice: Copy + 'static {
    const ALL: &'static [Self];

    fn name(self) -> &'static str;

    fn from_name(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|choice| choice.name().eq_ignore_ascii_case(text))
    }
}

impl Env {
    /// The process environment. Never panics, unlike `std::env::vars`.
    pub fn from_process() -> Self {
        Self::from_os(std::env::vars_os())
    }

    pub fn from_os(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let mut env = Self::default();
        for (name, value) in vars {
            // A name that is not UTF-8 is not one this program reads.
            let Ok(name) = name.into_string() else {
                continue;
            };
            match value.into_string() {
                Ok(value) => {
                    env.values.insert(name, value);
                }
                Err(_) => {
                    env.not_unicode.insert(name);
                }
            }
        }
        env
    }

    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let mut env = Self::default();
        for (name, value) in pairs {
            env.set(name, value);
        }
        env
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.not_unicode.remove(name);
        self.values.insert(name.to_owned(), value.to_owned());
    }

    /// The trimmed value, `None` when unset or empty.
    pub fn optional(&self, name: &str) -> Result<Option<&str>, EnvError> {
        if self.not_unicode.contains(name) {
            return Err(EnvError(format!("{name} is not valid UTF-8")));
        }
        Ok(self
            .values
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty()))
    }

    /// The value; `why` completes "{name} is required" when it is missing.
    pub fn required(&self, name: &str, why: &str) -> Result<&str, EnvError> {
        self.optional(name)?
            .ok_or_else(|| EnvError(format!("{name} is required{why}")))
    }

    /// A whole number in `range`, `default` when unset.
    pub fn number(
        &self,
        name: &str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<u64, EnvError> {
        let Some(text) = self.optional(name)? else {
            return Ok(default);
        };
        text.parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                EnvError(format!(
                    "{name} must be a whole number from {} to {}, not {text:?}",
                    range.start(),
                    range.end()
                ))
            })
    }

    /// A duration in whole milliseconds in `range`.
    pub fn millis(
        &self,
        name: &str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<Duration, EnvError> {
        self.number(name, default, range).map(Duration::from_millis)
    }

    /// `true` or `false`.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, EnvError> {
        self.one_of(name, default, &[("false", false), ("true", true)])
    }

    /// One of `T`'s names.
    pub fn choice<T: Choice>(&self, name: &str, default: T) -> Result<T, EnvError> {
        let names: Vec<(&str, T)> = T::ALL.iter().map(|c| (c.name(), *c)).collect();
        self.one_of(name, default, &names)
    }

    fn one_of<T: Copy>(&self, name: &str, default: T, names: &[(&str, T)]) -> Result<T, EnvError> {
        let Some(text) = self.optional(name)? else {
            return Ok(default);
        };
        if let Some((_, value)) = names.iter().find(|(n, _)| n.eq_ignore_ascii_case(text)) {
            return Ok(*value);
        }
        let spelled: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
        Err(EnvError(format!(
            "{name} must be {}, not {text:?}",
            spelled.join(" or ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Colour {
        Red,
        Blue,
    }

    impl Choice for Colour {
        const ALL: &'static [Self] = &[Self::Red, Self::Blue];

        fn name(self) -> &'static str {
            match self {
                Self::Red => "red",
                Self::Blue => "blue",
            }
        }
    }

    #[test]
    fn values_are_trimmed_and_empty_means_unset() {
        let env = Env::from_pairs(&[("A", "  x "), ("B", "   ")]);
        assert_eq!(env.optional("A"), Ok(Some("x")));
        assert_eq!(env.optional("B"), Ok(None));
        assert_eq!(env.optional("C"), Ok(None));
        assert_eq!(
            env.required("B", " (say why)"),
            Err(EnvError("B is required (say why)".into()))
        );
    }

    #[test]
    fn numbers_are_whole_and_in_range() {
        let env = Env::from_pairs(&[("N", "7"), ("BIG", "70"), ("X", "-1")]);
        assert_eq!(env.number("N", 1, 1..=10), Ok(7));
        assert_eq!(env.number("UNSET", 3, 1..=10), Ok(3));
        assert_eq!(env.millis("N", 1, 1..=10), Ok(Duration::from_millis(7)));
        for name in ["BIG", "X"] {
            let err = env.number(name, 1, 1..=10).unwrap_err().0;
            assert!(err.starts_with(&format!("{name} must be a whole number from 1 to 10, not")));
        }
    }

    #[test]
    fn choices_and_bools_are_read_by_name_and_the_error_lists_them() {
        let env = Env::from_pairs(&[("C", "BLUE"), ("BAD", "green"), ("F", "True")]);
        assert_eq!(env.choice("C", Colour::Red), Ok(Colour::Blue));
        assert_eq!(env.choice("UNSET", Colour::Red), Ok(Colour::Red));
        assert_eq!(
            env.choice("BAD", Colour::Red),
            Err(EnvError("BAD must be red or blue, not \"green\"".into()))
        );
        assert_eq!(env.bool("F", false), Ok(true));
        assert_eq!(Colour::from_name("Red"), Some(Colour::Red));
        assert_eq!(Colour::from_name("green"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_non_utf8_value_is_an_error_only_when_read() {
        use std::os::unix::ffi::OsStringExt;
        let env = Env::from_os([
            ("OK".into(), "1".into()),
            ("BROKEN".into(), OsString::from_vec(vec![0xff, 0xfe])),
            (OsString::from_vec(vec![0xff]), "ignored".into()),
        ]);
        assert_eq!(env.number("OK", 0, 0..=9), Ok(1));
        assert_eq!(
            env.optional("BROKEN"),
            Err(EnvError("BROKEN is not valid UTF-8".into()))
        );
    }
}
