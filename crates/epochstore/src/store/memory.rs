//! The in-memory store: the embedded default for local runs and the fast
//! store of handler tests. It keeps the store contract; where it differs
//! from DynamoDB is said in the `store` module.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::contract::{Page, PutOutcome, Store, StoreError, StoreFuture};
use super::settings::StoreSettings;
use crate::domain::{IdempotencyKey, PageLimit, Record, RecordId};

#[derive(Default)]
pub struct MemoryStore {
    settings: StoreSettings,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    records: BTreeMap<RecordId, Record>,
    /// Idempotency key → (first record, expiry in Unix seconds).
    keys: HashMap<IdempotencyKey, (Record, i64)>,
}

impl MemoryStore {
    pub fn new(settings: StoreSettings) -> Self {
        Self {
            settings,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // No code path panics while holding the lock, and the state stays
        // consistent even if one did: recover instead of propagating poison.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies a write that another region accepted, unconditionally and last
    /// writer wins, as global-table replication does.
    pub fn apply_replicated(&self, record: Record, key: Option<IdempotencyKey>) {
        let expiry = self.settings.idempotency_expiry(&record);
        let mut state = self.state();
        if let Some(key) = key {
            state.keys.insert(key, (record.clone(), expiry));
        }
        state.records.insert(record.id, record);
    }

    pub fn len(&self) -> usize {
        self.state().records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn put_now(
        &self,
        record: Record,
        key: Option<IdempotencyKey>,
    ) -> Result<PutOutcome, StoreError> {
        let mut state = self.state();
        if let Some(key) = &key {
            if let Some((first, expiry)) = state.keys.get(key) {
                if *expiry >= record.epoch_seconds() {
                    return Ok(PutOutcome::Replayed(first.clone()));
                }
            }
        }
        if state.records.contains_key(&record.id) {
            return Err(StoreError::id_taken(record.id));
        }
        if let Some(key) = key {
            let expiry = self.settings.idempotency_expiry(&record);
            state.keys.insert(key, (record.clone(), expiry));
        }
        state.records.insert(record.id, record.clone());
        Ok(PutOutcome::Created(record))
    }

    fn list_now(&self, limit: PageLimit, before: Option<RecordId>) -> Page {
        let state = self.state();
        let older = match before {
            Some(before) => state.records.range(..before),
            None => state.records.range(..),
        };
        let items = older
            .rev()
            .take(limit.get() + 1)
            .map(|(_, r)| r.clone())
            .collect();
        Page::from_overfetch(items, limit)
    }
}

impl Store for MemoryStore {
    fn put(&self, record: Record, key: Option<IdempotencyKey>) -> StoreFuture<'_, PutOutcome> {
        let outcome = self.put_now(record, key);
        Box::pin(async move { outcome })
    }

    fn list(&self, limit: PageLimit, before: Option<RecordId>) -> StoreFuture<'_, Page> {
        let page = self.list_now(limit, before);
        Box::pin(async move { Ok(page) })
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}
