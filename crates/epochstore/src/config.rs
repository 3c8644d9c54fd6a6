//! Configuration from the environment, read and validated once per cold start.
//! A missing or invalid value fails initialisation with one clear message
//! instead of failing the first request.

use std::fmt;
use std::time::Duration;

use crate::env::{Env, EnvError};
use crate::health_switch::HealthSwitch;
use crate::store::{SdkSettings, StoreSettings, TlsSettings, TrustRoots};

/// Everything the handlers and the store need, from environment variables.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub table_name: String,
    pub region: String,
    pub health_switch: HealthSwitch,
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

impl From<EnvError> for ConfigError {
    fn from(err: EnvError) -> Self {
        Self(err.0)
    }
}

impl Config {
    pub const DEFAULT_REGION_VAR: &'static str = "AWS_REGION";

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&Env::from_process())
    }

    /// Reads configuration from a set of variables (the environment, or a test's).
    pub fn from_vars(env: &Env) -> Result<Self, ConfigError> {
        let table_name = env.required("TABLE_NAME", "")?.to_owned();
        if !valid_table_name(&table_name) {
            return Err(ConfigError(format!(
                "TABLE_NAME {table_name:?} is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .)"
            )));
        }
        let region = env
            .required(Self::DEFAULT_REGION_VAR, " (Lambda sets it)")?
            .to_owned();
        let retention_days = env.number("RETENTION_DAYS", 0, 0..=36_500)?;
        let config = Self {
            table_name,
            region,
            health_switch: env.choice(HealthSwitch::VAR, HealthSwitch::Ok)?,
            write_shards: env.number(
                "WRITE_SHARDS",
                1,
                1..=u64::from(StoreSettings::MAX_WRITE_SHARDS),
            )? as u16,
            retention: (retention_days > 0).then(|| Duration::from_secs(retention_days * 86_400)),
            idempotency_ttl: Duration::from_secs(
                env.number("IDEMPOTENCY_TTL_HOURS", 24, 1..=720)? * 3_600,
            ),
            consistent_reads: env.bool("CONSISTENT_READS", false)?,
            cors_allow_origin: env.optional("CORS_ALLOW_ORIGIN")?.map(str::to_owned),
            sdk: SdkSettings {
                connect_timeout: env.millis("DYNAMODB_CONNECT_TIMEOUT_MS", 1_000, 1..=60_000)?,
                attempt_timeout: env.millis("DYNAMODB_ATTEMPT_TIMEOUT_MS", 2_000, 1..=60_000)?,
                operation_timeout: env.millis(
                    "DYNAMODB_OPERATION_TIMEOUT_MS",
                    5_000,
                    1..=60_000,
                )?,
                max_attempts: env.number("DYNAMODB_MAX_ATTEMPTS", 3, 1..=10)? as u32,
                probe_timeout: env.millis("HEALTH_PROBE_TIMEOUT_MS", 1_000, 1..=60_000)?,
                endpoint_url: env
                    .optional("AWS_ENDPOINT_URL_DYNAMODB")?
                    .map(str::to_owned),
                tls: TlsSettings {
                    roots: env.choice(TrustRoots::VAR, TrustRoots::Amazon)?,
                    ca_bundle: env.optional(TlsSettings::CA_BUNDLE_VAR)?.map(Into::into),
                },
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
        // The operation bounds a whole request, retries included: an attempt
        // that may outlast it would be cut short whatever its own bound says.
        if config.sdk.attempt_timeout > config.sdk.operation_timeout {
            return Err(ConfigError(format!(
                "DYNAMODB_ATTEMPT_TIMEOUT_MS ({} ms) must not exceed DYNAMODB_OPERATION_TIMEOUT_MS ({} ms)",
                config.sdk.attempt_timeout.as_millis(),
                config.sdk.operation_timeout.as_millis()
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

    #[test]
    fn defaults_apply_when_only_the_required_variables_are_set() {
        let config = Config::from_vars(&Env::from_pairs(&[
            ("TABLE_NAME", "epochstore"),
            ("AWS_REGION", "eu-west-3"),
        ]));
        let Ok(config) = config else {
            panic!("{config:?}");
        };
        assert_eq!(config.health_switch, HealthSwitch::Ok);
        assert_eq!(config.sdk.endpoint_url, None);
        assert_eq!(config.sdk.tls, TlsSettings::default());
        assert_eq!(config.sdk.tls.roots, TrustRoots::Amazon);
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
                    ("DYNAMODB_TRUST_ROOTS", "system"),
                ],
                "DYNAMODB_TRUST_ROOTS must be amazon or platform, not \"system\"",
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
            (
                &[
                    ("TABLE_NAME", "tab"),
                    ("AWS_REGION", "r"),
                    ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "2001"),
                    ("DYNAMODB_OPERATION_TIMEOUT_MS", "2000"),
                ],
                "DYNAMODB_ATTEMPT_TIMEOUT_MS (2001 ms) must not exceed DYNAMODB_OPERATION_TIMEOUT_MS (2000 ms)",
            ),
            (
                &[
                    ("TABLE_NAME", "tab"),
                    ("AWS_REGION", "r"),
                    ("DYNAMODB_OPERATION_TIMEOUT_MS", "1000"),
                ],
                "DYNAMODB_ATTEMPT_TIMEOUT_MS (2000 ms) must not exceed",
            ),
        ];
        for (pairs, expected) in cases {
            match Config::from_vars(&Env::from_pairs(pairs)) {
                Err(err) => assert!(err.to_string().contains(expected), "{err} lacks {expected}"),
                Ok(config) => panic!("accepted {pairs:?}: {config:?}"),
            }
        }
    }

    #[test]
    fn status_fail_and_retention_are_read() {
        let config = Config::from_vars(&Env::from_pairs(&[
            ("TABLE_NAME", "tab"),
            ("AWS_REGION", "r"),
            ("STATUS", "FAIL"),
            ("RETENTION_DAYS", "7"),
        ]));
        assert_eq!(
            config.as_ref().map(|c| c.health_switch),
            Ok(HealthSwitch::Fail)
        );
        assert_eq!(
            config.map(|c| c.retention),
            Ok(Some(Duration::from_secs(7 * 86_400)))
        );
    }

    #[test]
    fn trust_roots_ca_bundle_and_endpoint_are_read() {
        let config = Config::from_vars(&Env::from_pairs(&[
            ("TABLE_NAME", "tab"),
            ("AWS_REGION", "r"),
            ("DYNAMODB_TRUST_ROOTS", "platform"),
            ("AWS_CA_BUNDLE", " /etc/ca/extra.pem "),
            ("AWS_ENDPOINT_URL_DYNAMODB", "https://localhost:4443"),
        ]))
        .unwrap();
        assert_eq!(
            config.sdk.tls,
            TlsSettings {
                roots: TrustRoots::Platform,
                ca_bundle: Some("/etc/ca/extra.pem".into()),
            }
        );
        assert_eq!(
            config.sdk.endpoint_url.as_deref(),
            Some("https://localhost:4443")
        );
    }

    /// A variable we read must be UTF-8; any other variable may be anything.
    #[cfg(unix)]
    #[test]
    fn a_non_utf8_variable_fails_only_when_it_is_one_we_read() {
        use std::ffi::OsString;
        use std::os::unix::ffi::OsStringExt;
        let env = |extra: (&str, Vec<u8>)| {
            Env::from_os([
                ("TABLE_NAME".into(), "tab".into()),
                ("AWS_REGION".into(), "r".into()),
                (extra.0.into(), OsString::from_vec(extra.1)),
            ])
        };
        assert!(Config::from_vars(&env(("UNRELATED", vec![0xff]))).is_ok());
        let err = Config::from_vars(&env(("AWS_CA_BUNDLE", vec![b'/', 0xff]))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration: AWS_CA_BUNDLE is not valid UTF-8"
        );
    }
}
