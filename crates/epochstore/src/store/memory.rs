//! The in-memory store: the embedded default for local runs and the fast
//! store of handler tests, with the same contract as DynamoDB's (see `store`).

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

    /// Applies a write that another region accepted, unconditionally, as
    /// global-table replication does. Two regions that claimed the same
    /// idempotency key within the lag hold different entries for it; like a
    /// global table, each replica keeps the entry of the last writer (the
    /// later write time, then the greater record id: a total order every
    /// replica computes alike), so all converge on the same first record.
    /// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
    pub fn apply_replicated(&self, record: Record, key: Option<IdempotencyKey>) {
        let expiry = self.settings.idempotency_expiry(&record);
        let mut state = self.state();
        if let Some(key) = key {
            let newer = state
                .keys
                .get(&key)
                .is_none_or(|(held, _)| last_writer(held, &record) == &record);
            if newer {
                state.keys.insert(key, (record.clone(), expiry));
            }
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

    /// Like the DynamoDB store, a listing never shows a record past its
    /// retention (DynamoDB's TTL would delete it within days).
    fn list_now(&self, limit: PageLimit, before: Option<RecordId>, now: i64) -> Page {
        let state = self.state();
        let older = match before {
            Some(before) => state.records.range(..before),
            None => state.records.range(..),
        };
        let items = older
            .rev()
            .filter(|(_, r)| self.settings.record_expiry(r).is_none_or(|e| e >= now))
            .take(limit.get() + 1)
            .map(|(_, r)| r.clone())
            .collect();
        Page::from_overfetch(items, limit)
    }
}

/// Of two writes of the same item, the one a global table keeps: the later
/// write time, ties broken by the greater record id.
fn last_writer<'a>(a: &'a Record, b: &'a Record) -> &'a Record {
    if (b.epoch_millis, b.id) > (a.epoch_millis, a.id) {
        b
    } else {
        a
    }
}

impl Store for MemoryStore {
    fn put(&self, record: Record, key: Option<IdempotencyKey>) -> StoreFuture<'_, PutOutcome> {
        let outcome = self.put_now(record, key);
        Box::pin(async move { outcome })
    }

    fn list(&self, limit: PageLimit, before: Option<RecordId>) -> StoreFuture<'_, Page> {
        let page = self.list_now(limit, before, chrono::Utc::now().timestamp());
        Box::pin(async move { Ok(page) })
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn listings_never_show_a_record_past_its_retention() {
        let store = MemoryStore::new(StoreSettings {
            retention: Some(Duration::from_secs(86_400)),
            ..StoreSettings::default()
        });
        let now = chrono::Utc::now();
        let expired = Record::new(now - chrono::Duration::days(2), "r");
        let fresh = Record::new(now, "r");
        for record in [&expired, &fresh] {
            assert!(store.put(record.clone(), None).await.is_ok());
        }
        let limit = PageLimit::DEFAULT;
        let page = store.list(limit, None).await;
        assert_eq!(
            page,
            Ok(Page {
                items: vec![fresh.clone()],
                next: None
            })
        );
        let older = store.list(limit, Some(fresh.id)).await;
        assert_eq!(older, Ok(Page::default()));
        assert_eq!(
            store.len(),
            2,
            "kept, as TTL keeps it for a while, but not listed"
        );
    }

    #[test]
    fn a_replicated_entry_replaces_an_older_one_only() {
        let store = MemoryStore::default();
        let key = IdempotencyKey::parse("k");
        let now = chrono::Utc::now();
        let older = Record::new(now, "a");
        let newer = Record::new(now + chrono::Duration::milliseconds(1), "b");
        store.apply_replicated(newer.clone(), key.clone());
        store.apply_replicated(older, key.clone());
        let replay = store.put_now(Record::new(now, "c"), key);
        assert_eq!(replay, Ok(PutOutcome::Replayed(newer)));
    }
}
