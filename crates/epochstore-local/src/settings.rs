//! The emulation's own settings, from environment variables. Everything the
//! handlers read (`WRITE_SHARDS`, `RETENTION_DAYS`, `CORS_ALLOW_ORIGIN`, the
//! SDK timeouts, ...) is passed through to the library's `Config`.

use std::fmt;
use std::time::Duration;

use epochstore::env::{Choice, Env, EnvError};

/// The Terraform default of `var.regions` (`terraform/variables.tf`); a test
/// keeps the two lists equal.
pub const DEFAULT_REGIONS: &[&str] = &["eu-central-1", "eu-west-3"];

pub const DEFAULT_PORT: u16 = 3000;
pub const DEFAULT_TABLE_NAME: &str = "epochstore";
/// Route53 probes every 10 s (or 30 s); locally a second keeps the drill short.
pub const DEFAULT_PROBE_INTERVAL_MS: u64 = 1_000;
/// Route53's default failure threshold.
pub const DEFAULT_FAILURE_THRESHOLD: u32 = 3;

/// When a write is acknowledged, relative to its replication to the other
/// regions' replicas (`CONSISTENCY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consistency {
    /// At once; the other replicas follow after `REPLICATION_LAG_MS`, as with
    /// a default (multi-region eventually consistent) global table.
    Eventual,
    /// Only once every replica has it, as with a multi-region strongly
    /// consistent table: a failover loses no acknowledged write.
    Strong,
}

impl Choice for Consistency {
    const ALL: &'static [Self] = &[Self::Eventual, Self::Strong];

    fn name(self) -> &'static str {
        match self {
            Self::Eventual => "eventual",
            Self::Strong => "strong",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Front door port; region `i` (0-based) listens on `port + 1 + i`.
    pub port: u16,
    pub regions: Vec<String>,
    pub table_name: String,
    /// `AWS_ENDPOINT_URL_DYNAMODB`: DynamoDB instead of the in-memory store.
    pub dynamodb_endpoint: Option<String>,
    /// In-memory mode only: each region has its own replica, updated this
    /// long after a write was accepted elsewhere.
    pub replication_lag: Option<Duration>,
    pub consistency: Consistency,
    pub probe_interval: Duration,
    pub failure_threshold: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub struct SettingsError(pub String);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "epochstore-local: {}", self.0)
    }
}

impl std::error::Error for SettingsError {}

impl From<EnvError> for SettingsError {
    fn from(err: EnvError) -> Self {
        Self(err.0)
    }
}

impl Settings {
    pub fn from_vars(env: &Env) -> Result<Self, SettingsError> {
        let regions: Vec<String> = match env.optional("REGIONS")? {
            None => DEFAULT_REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            Some(text) => text
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        if regions.is_empty() {
            return Err(SettingsError(
                "REGIONS must name at least one region, e.g. eu-central-1,eu-west-3".into(),
            ));
        }
        for (i, region) in regions.iter().enumerate() {
            let valid = region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err(SettingsError(format!(
                    "REGIONS: {region:?} is not a region name (a-z 0-9 -)"
                )));
            }
            if regions[..i].contains(region) {
                return Err(SettingsError(format!("REGIONS names {region} twice")));
            }
        }
        let max_port = u64::from(u16::MAX) - regions.len() as u64;
        let port = env.number("PORT", u64::from(DEFAULT_PORT), 1..=max_port)? as u16;
        let dynamodb_endpoint = env
            .optional("AWS_ENDPOINT_URL_DYNAMODB")?
            .map(str::to_owned);
        let replication_lag = match env.optional("REPLICATION_LAG_MS")? {
            None => None,
            Some(_) => Some(env.millis("REPLICATION_LAG_MS", 0, 0..=600_000)?),
        };
        if replication_lag.is_some() && dynamodb_endpoint.is_some() {
            return Err(SettingsError(
                "REPLICATION_LAG_MS works only with the in-memory store; unset it or unset \
                 AWS_ENDPOINT_URL_DYNAMODB (a DynamoDB endpoint is one table that every local \
                 region shares)"
                    .into(),
            ));
        }
        let consistency = env.choice("CONSISTENCY", Consistency::Eventual)?;
        Ok(Self {
            port,
            regions,
            table_name: env
                .optional("TABLE_NAME")?
                .unwrap_or(DEFAULT_TABLE_NAME)
                .to_owned(),
            dynamodb_endpoint,
            replication_lag,
            consistency,
            probe_interval: env.millis(
                "PROBE_INTERVAL_MS",
                DEFAULT_PROBE_INTERVAL_MS,
                10..=600_000,
            )?,
            failure_threshold: env.number(
                "FAILURE_THRESHOLD",
                u64::from(DEFAULT_FAILURE_THRESHOLD),
                1..=10,
            )? as u32,
        })
    }

    /// The port region `index` (0-based, in `regions` order) listens on.
    pub fn region_port(&self, index: usize) -> u16 {
        self.port + 1 + index as u16
    }

    /// How the store is set up, for the banner and `GET /_local/regions`.
    pub fn store_mode(&self) -> String {
        match (&self.dynamodb_endpoint, self.replication_lag) {
            (Some(endpoint), _) => format!(
                "DynamoDB at {endpoint}, table {} shared by every region",
                self.table_name
            ),
            (None, Some(lag)) => match self.consistency {
                Consistency::Eventual => format!(
                    "in-memory, one replica per region, asynchronous replication after {} ms",
                    lag.as_millis()
                ),
                Consistency::Strong => format!(
                    "in-memory, one replica per region, synchronous replication: a write is \
                     acknowledged once every replica has it ({} ms)",
                    lag.as_millis()
                ),
            },
            (None, None) => {
                "in-memory, one store shared by every region (strongly consistent)".to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let settings = Settings::from_vars(&Env::default()).unwrap();
        assert_eq!(settings.port, 3000);
        assert_eq!(settings.regions, ["eu-central-1", "eu-west-3"]);
        assert_eq!(settings.region_port(0), 3001);
        assert_eq!(settings.region_port(1), 3002);
        assert_eq!(settings.table_name, "epochstore");
        assert_eq!(settings.dynamodb_endpoint, None);
        assert_eq!(settings.replication_lag, None);
        assert_eq!(settings.consistency, Consistency::Eventual);
        assert_eq!(settings.probe_interval, Duration::from_secs(1));
        assert_eq!(settings.failure_threshold, 3);
    }

    #[test]
    fn values_are_read() {
        let settings = Settings::from_vars(&Env::from_pairs(&[
            ("PORT", "8080"),
            ("REGIONS", " us-east-1, eu-west-1 ,ap-south-1"),
            ("REPLICATION_LAG_MS", "250"),
            ("PROBE_INTERVAL_MS", "200"),
            ("FAILURE_THRESHOLD", "2"),
            ("TABLE_NAME", "t1"),
            ("CONSISTENCY", "strong"),
        ]))
        .unwrap();
        assert_eq!(settings.regions, ["us-east-1", "eu-west-1", "ap-south-1"]);
        assert_eq!(settings.region_port(2), 8083);
        assert_eq!(settings.replication_lag, Some(Duration::from_millis(250)));
        assert_eq!(settings.probe_interval, Duration::from_millis(200));
        assert_eq!(settings.failure_threshold, 2);
        assert_eq!(settings.table_name, "t1");
        assert_eq!(settings.consistency, Consistency::Strong);
        assert!(settings.store_mode().contains("synchronous replication"));
    }

    #[test]
    fn consistency_eventual_is_the_default_and_can_be_named() {
        for value in ["", "eventual", "Eventual"] {
            let settings =
                Settings::from_vars(&Env::from_pairs(&[("CONSISTENCY", value)])).unwrap();
            assert_eq!(settings.consistency, Consistency::Eventual);
        }
    }

    #[test]
    fn invalid_values_are_named() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("PORT", "x")], "PORT"),
            (&[("PORT", "65535")], "PORT"),
            (&[("REGIONS", " , ")], "REGIONS"),
            (&[("REGIONS", "a,a")], "twice"),
            (&[("REGIONS", "EU West")], "REGIONS"),
            (&[("FAILURE_THRESHOLD", "0")], "FAILURE_THRESHOLD"),
            (&[("PROBE_INTERVAL_MS", "1")], "PROBE_INTERVAL_MS"),
            (&[("REPLICATION_LAG_MS", "-1")], "REPLICATION_LAG_MS"),
            (
                &[("CONSISTENCY", "linearizable")],
                "CONSISTENCY must be eventual or strong, not \"linearizable\"",
            ),
            (
                &[
                    ("REPLICATION_LAG_MS", "100"),
                    ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:5000"),
                ],
                "only with the in-memory store",
            ),
        ];
        for (pairs, expected) in cases {
            match Settings::from_vars(&Env::from_pairs(pairs)) {
                Err(err) => assert!(err.to_string().contains(expected), "{err} lacks {expected}"),
                Ok(settings) => panic!("accepted {pairs:?}: {settings:?}"),
            }
        }
    }

    /// `make run` emulates the regions Terraform deploys by default.
    #[test]
    fn default_regions_equal_the_terraform_default() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../terraform/variables.tf");
        let text = std::fs::read_to_string(path).unwrap();
        let block = text
            .split("variable \"regions\"")
            .nth(1)
            .expect("terraform/variables.tf declares variable \"regions\"");
        let default = block
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with("default"))
            .expect("variable \"regions\" has a default");
        let quoted: Vec<String> = DEFAULT_REGIONS.iter().map(|r| format!("\"{r}\"")).collect();
        let expected = format!("default = [{}]", quoted.join(", "));
        let normalised = default.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(normalised, expected);
    }
}
