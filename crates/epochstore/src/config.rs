//! Configuration from the environment, read and validated once per cold start.
//! A missing or invalid value fails initialisation with one clear message
//! instead of failing the first request.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use crate::store::{SdkSettings, StoreSettings};

/// What the health function reports before probing the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Set by the failover drill: the region reports itself unhealthy.
    Fail,
}

/// Everything the handlers and the store need, from environment variables.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub table_name: String,
    pub region: String,
    pub status: Status,
    pub write_shards: u16,
    pub retention: Option<Duration>,
    pub idempotency_ttl: Duration,
    pub consistent_reads: bool,
    pub cors_allow_origin: Option<String>,
    pub sdk: SdkSettings,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub const DEFAULT_REGION_VAR: &'static str = "AWS_REGION";

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Reads configuration from a map of variables (the environment, or a test's).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let table_name = get("TABLE_NAME")
            .ok_or_else(|| ConfigError("TABLE_NAME is required".into()))?
            .to_owned();
        if !valid_table_name(&table_name) {
            return Err(ConfigError(format!(
                "TABLE_NAME {table_name:?} is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .)"
            )));
        }
        let region = get(Self::DEFAULT_REGION_VAR)
            .ok_or_else(|| ConfigError("AWS_REGION is required (Lambda sets it)".into()))?
            .to_owned();
        let status = match get("STATUS").map(str::to_ascii_lowercase).as_deref() {
            None | Some("ok") => Status::Ok,
            Some("fail") => Status::Fail,
            Some(other) => {
                return Err(ConfigError(format!(
                    "STATUS must be \"ok\" or \"fail\", not {other:?}"
                )))
            }
        };
        let number = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| {
            let Some(text) = get(name) else {
                return Ok(default);
            };
            text.parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "{name} must be a whole number from {} to {}, not {text:?}",
                        range.start(),
                        range.end()
                    ))
                })
        };
        let millis =
            |name: &str, default: u64| number(name, default, 1..=60_000).map(Duration::from_millis);
        let retention_days = number("RETENTION_DAYS", 0, 0..=36_500)?;
        let config = Self {
            table_name,
            region,
            status,
            write_shards: number(
                "WRITE_SHARDS",
                1,
                1..=u64::from(StoreSettings::MAX_WRITE_SHARDS),
            )? as u16,
            retention: (retention_days > 0).then(|| Duration::from_secs(retention_days * 86_400)),
            idempotency_ttl: Duration::from_secs(
                number("IDEMPOTENCY_TTL_HOURS", 24, 1..=720)? * 3_600,
            ),
            consistent_reads: match get("CONSISTENT_READS")
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None | Some("false") => false,
                Some("true") => true,
                Some(other) => {
                    return Err(ConfigError(format!(
                        "CONSISTENT_READS must be \"true\" or \"false\", not {other:?}"
                    )))
                }
            },
            cors_allow_origin: get("CORS_ALLOW_ORIGIN").map(str::to_owned),
            sdk: SdkSettings {
                connect_timeout: millis("DYNAMODB_CONNECT_TIMEOUT_MS", 1_000)?,
                attempt_timeout: millis("DYNAMODB_ATTEMPT_TIMEOUT_MS", 2_000)?,
                operation_timeout: millis("DYNAMODB_OPERATION_TIMEOUT_MS", 5_000)?,
                max_attempts: number("DYNAMODB_MAX_ATTEMPTS", 3, 1..=10)? as u32,
                probe_timeout: millis("HEALTH_PROBE_TIMEOUT_MS", 1_000)?,
            },
        };
        // A replay re-puts the first record from its idempotency entry: an
        // entry that outlived the record's retention would bring it back
        // already expired.
        if config
            .retention
            .is_some_and(|retention| config.idempotency_ttl > retention)
        {
            return Err(ConfigError(format!(
                "IDEMPOTENCY_TTL_HOURS ({} h) must not exceed RETENTION_DAYS ({} days): a replay would bring back an expired record",
                config.idempotency_ttl.as_secs() / 3_600,
                retention_days
            )));
        }
        Ok(config)
    }
}

impl Config {
    pub fn store_settings(&self) -> StoreSettings {
        StoreSettings {
            write_shards: self.write_shards,
            retention: self.retention,
            idempotency_ttl: self.idempotency_ttl,
            consistent_reads: self.consistent_reads,
        }
    }
}

fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_only_the_required_variables_are_set() {
        let config = Config::from_vars(&vars(&[
            ("TABLE_NAME", "epochstore"),
            ("AWS_REGION", "eu-west-3"),
        ]));
        let Ok(config) = config else {
            panic!("{config:?}");
        };
        assert_eq!(config.status, Status::Ok);
        assert_eq!(config.write_shards, 1);
        assert_eq!(config.retention, None);
        assert_eq!(config.idempotency_ttl, Duration::from_secs(86_400));
        assert!(!config.consistent_reads);
        assert_eq!(config.sdk.probe_timeout, Duration::from_secs(1));
        assert!(config.sdk.operation_timeout < Duration::from_secs(10));
    }

    #[test]
    fn missing_or_invalid_values_are_named_in_the_error() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("AWS_REGION", "eu-west-3")], "TABLE_NAME is required"),
            (&[("TABLE_NAME", "t!"), ("AWS_REGION", "r")], "TABLE_NAME"),
            (&[("TABLE_NAME", "tab")], "AWS_REGION is required"),
            (
                &[
                    ("TABLE_NAME", "tab"),
                    ("AWS_REGION", "r"),
                    ("STATUS", "down"),
                ],
                "STATUS",
            ),
            (
                &[
                    ("TABLE_NAME", "tab"),
                    ("AWS_REGION", "r"),
                    ("WRITE_SHARDS", "0"),
                ],
                "WRITE_SHARDS",
            ),
            (
                &[
                    ("TABLE_NAME", "tab"),
                    ("AWS_REGION", "r"),
                    ("RETENTION_DAYS", "x"),
                ],
                "RETENTION_DAYS",
            ),
            (
                &[
                    ("TABLE_NAME", "tab"),
                    ("AWS_REGION", "r"),
                    ("CONSISTENT_READS", "yes"),
                ],
                "CONSISTENT_READS",
            ),
            (
                &[
                    ("TABLE_NAME", "tab"),
                    ("AWS_REGION", "r"),
                    ("RETENTION_DAYS", "1"),
                    ("IDEMPOTENCY_TTL_HOURS", "25"),
                ],
                "must not exceed RETENTION_DAYS",
            ),
        ];
        for (pairs, expected) in cases {
            match Config::from_vars(&vars(pairs)) {
                Err(err) => assert!(err.to_string().contains(expected), "{err} lacks {expected}"),
                Ok(config) => panic!("accepted {pairs:?}: {config:?}"),
            }
        }
    }

    #[test]
    fn status_fail_and_retention_are_read() {
        let config = Config::from_vars(&vars(&[
            ("TABLE_NAME", "tab"),
            ("AWS_REGION", "r"),
            ("STATUS", "FAIL"),
            ("RETENTION_DAYS", "7"),
        ]));
        assert_eq!(config.as_ref().map(|c| c.status), Ok(Status::Fail));
        assert_eq!(
            config.map(|c| c.retention),
            Ok(Some(Duration::from_secs(7 * 86_400)))
        );
    }
}
