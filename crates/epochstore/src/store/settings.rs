//! How the stores are set up: the record layout and expiry both keep, and the
//! DynamoDB client's endpoint, trust roots, timeouts and retries.

use std::time::Duration;

use super::tls::TlsSettings;
use crate::domain::Record;

/// How records are laid out and kept, shared by both implementations.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreSettings {
    /// Number of partition keys records are spread over (see `DynamoStore`).
    pub write_shards: u16,
    /// When set, records expire this long after they were stored.
    pub retention: Option<Duration>,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: Duration,
    /// Listing and health reads are strongly consistent: on a multi-region
    /// strongly consistent table they then see every acknowledged write of
    /// every region (at twice the read units), and the probe fails in a
    /// region cut off from the others.
    pub consistent_reads: bool,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            write_shards: 1,
            retention: None,
            idempotency_ttl: Duration::from_secs(86_400),
            consistent_reads: false,
        }
    }
}

impl StoreSettings {
    /// The most `WRITE_SHARDS` a process accepts, and so the highest shard
    /// mark a listing believes.
    pub const MAX_WRITE_SHARDS: u16 = 64;

    /// Expiry of a record stored at `record`'s time, in Unix seconds.
    pub(crate) fn record_expiry(&self, record: &Record) -> Option<i64> {
        self.retention
            .map(|r| record.epoch_seconds() + r.as_secs() as i64)
    }

    pub(crate) fn idempotency_expiry(&self, record: &Record) -> i64 {
        record.epoch_seconds() + self.idempotency_ttl.as_secs() as i64
    }
}

/// Timeouts and retries of the DynamoDB client: at most 3 attempts of at
/// most 2 s each by default (set in `config`), and 5 s for a whole store
/// operation (every call of a put or a listing, back-off included), which
/// Terraform derives from the Lambda timeout (a second less, at most 5 s).
#[derive(Clone, Debug, PartialEq)]
pub struct SdkSettings {
    pub connect_timeout: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
    pub max_attempts: u32,
    /// Bound of the health probe's single read (no retries).
    pub probe_timeout: Duration,
    /// `AWS_ENDPOINT_URL_DYNAMODB`: a local endpoint (moto, DynamoDB Local).
    pub endpoint_url: Option<String>,
    pub tls: TlsSettings,
}
