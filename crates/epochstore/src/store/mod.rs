//! The store behind the handlers: a trait with a DynamoDB implementation for
//! the deployment and an in-memory one for tests and local runs. Both keep the
//! same semantics: newest first, pagination by "records older than the
//! cursor", conditional writes and idempotent retries.

mod dynamodb;
mod memory;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use dynamodb::{create_table_if_missing, sdk_config, DynamoStore, KEY_SCHEMA};
pub use memory::MemoryStore;

use crate::domain::{IdempotencyKey, PageLimit, Record, RecordId};

/// Boxed so `dyn Store` works: the local emulation picks its store at run time.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

pub trait Store: Send + Sync {
    /// Stores `record` unless `key` was already used for a record that has not
    /// expired, in which case that first record is returned instead.
    fn put(&self, record: Record, key: Option<IdempotencyKey>) -> StoreFuture<'_, PutOutcome>;

    /// Lists up to `limit` records, newest first, strictly older than `before`.
    fn list(&self, limit: PageLimit, before: Option<RecordId>) -> StoreFuture<'_, Page>;

    /// A cheap read that shows the store answers (the health check).
    fn probe(&self) -> StoreFuture<'_, ()>;
}

#[derive(Debug, PartialEq, Eq)]
pub enum PutOutcome {
    Created(Record),
    /// The idempotency key was seen before: this is the first record.
    Replayed(Record),
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<Record>,
    /// Set when older records exist: the id the next page starts below.
    pub next: Option<RecordId>,
}

impl Page {
    /// Builds a page from up to `limit + 1` newest-first records: the extra
    /// one only tells that another page exists.
    pub(crate) fn from_overfetch(mut items: Vec<Record>, limit: PageLimit) -> Self {
        let more = items.len() > limit.get();
        items.truncate(limit.get());
        let next = if more {
            items.last().map(|r| r.id)
        } else {
            None
        };
        Self { items, next }
    }
}

/// Why the store could not answer. Only `Internal` is a bug; the others are
/// conditions a client should retry after a pause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    Throttled,
    Unavailable(String),
    Timeout,
    Internal(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Throttled => f.write_str("store throttled the request"),
            Self::Unavailable(detail) => write!(f, "store unavailable: {detail}"),
            Self::Timeout => f.write_str("store did not answer in time"),
            Self::Internal(detail) => write!(f, "store error: {detail}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// A new record's id is taken: with 74 random bits per UUIDv7 this is a
    /// bug, not bad luck, hence `Internal`.
    pub(crate) fn id_taken(id: RecordId) -> Self {
        Self::Internal(format!("record id {id} already exists"))
    }
}

/// How records are laid out and kept, shared by both implementations.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreSettings {
    /// Number of partition keys records are spread over (see `DynamoStore`).
    pub write_shards: u16,
    /// When set, records expire this long after they were stored.
    pub retention: Option<Duration>,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: Duration,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            write_shards: 1,
            retention: None,
            idempotency_ttl: Duration::from_secs(86_400),
        }
    }
}

impl StoreSettings {
    /// Expiry of a record stored at `record`'s time, in Unix seconds.
    pub(crate) fn record_expiry(&self, record: &Record) -> Option<i64> {
        self.retention
            .map(|r| record.epoch_seconds() + r.as_secs() as i64)
    }

    pub(crate) fn idempotency_expiry(&self, record: &Record) -> i64 {
        record.epoch_seconds() + self.idempotency_ttl.as_secs() as i64
    }
}
