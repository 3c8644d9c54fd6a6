//! What both stores promise: the trait, its results and its errors.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

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
