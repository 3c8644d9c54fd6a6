//! Replication between in-memory replicas (`REPLICATION_LAG_MS`): a write
//! accepted in one region reaches the others only after the lag, as with a
//! DynamoDB global table. With eventual consistency the write is
//! acknowledged at once, so a failover inside that window shows what a
//! client can miss (a record not yet visible) or duplicate (a retry with the
//! same idempotency key stored again in the other region); the replicas
//! then converge on one entry for the key, last writer wins, as a global
//! table does. With strong consistency the acknowledgement waits for the
//! replication, and writes with the same idempotency key are serialised
//! across regions, as a multi-region strongly consistent table serialises
//! conditional writes: a same-key retry in another region replays.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use epochstore::domain::{IdempotencyKey, PageLimit, Record, RecordId};
use epochstore::store::{MemoryStore, Page, PutOutcome, Store, StoreError, StoreFuture};
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio::task::JoinHandle;

use crate::settings::Consistency;

/// One region's replica: reads and writes go to `local`; each newly created
/// record is applied to every peer `lag` later, before the write is
/// acknowledged with `Consistency::Strong`.
pub struct ReplicatingStore {
    region: String,
    local: Arc<MemoryStore>,
    peers: Vec<Arc<MemoryStore>>,
    lag: Duration,
    consistency: Consistency,
    keys: KeyLocks,
}

/// Locks shared by every region's replica, one per stripe of idempotency
/// keys: in strong mode a keyed write holds its key's lock until every
/// replica has its entry, so the next write with that key, in any region,
/// finds it.
#[derive(Clone)]
pub struct KeyLocks(Arc<[Arc<Mutex<()>>]>);

impl KeyLocks {
    const STRIPES: usize = 64;

    fn new() -> Self {
        Self((0..Self::STRIPES).map(|_| Arc::default()).collect())
    }

    async fn lock(&self, key: &IdempotencyKey) -> OwnedMutexGuard<()> {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let stripe = (hasher.finish() % Self::STRIPES as u64) as usize;
        Arc::clone(&self.0[stripe]).lock_owned().await
    }
}

impl ReplicatingStore {
    pub fn new(
        region: String,
        local: Arc<MemoryStore>,
        peers: Vec<Arc<MemoryStore>>,
        lag: Duration,
        consistency: Consistency,
        keys: KeyLocks,
    ) -> Self {
        Self {
            region,
            local,
            peers,
            lag,
            consistency,
            keys,
        }
    }

    /// A task of its own, so that the replication completes even when the
    /// request that wrote the record is abandoned; it releases the key's
    /// lock (`held`) once every peer has the entry.
    fn replicate(
        &self,
        record: Record,
        key: Option<IdempotencyKey>,
        held: Option<OwnedMutexGuard<()>>,
    ) -> Option<JoinHandle<()>> {
        if self.peers.is_empty() {
            return None;
        }
        let peers = self.peers.clone();
        let lag = self.lag;
        let region = self.region.clone();
        Some(tokio::spawn(async move {
            tokio::time::sleep(lag).await;
            let id = record.id;
            for peer in &peers {
                peer.apply_replicated(record.clone(), key.clone());
            }
            drop(held);
            tracing::debug!(from = %region, record = %id, peers = peers.len(), "replicated");
        }))
    }
}

/// Builds one replicating store per region, each with its own replica.
pub fn replicas(
    regions: &[String],
    build: impl Fn() -> MemoryStore,
    lag: Duration,
    consistency: Consistency,
) -> Vec<ReplicatingStore> {
    let stores: Vec<Arc<MemoryStore>> = regions.iter().map(|_| Arc::new(build())).collect();
    let keys = KeyLocks::new();
    regions
        .iter()
        .enumerate()
        .map(|(i, region)| {
            let peers = stores
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, s)| Arc::clone(s))
                .collect();
            ReplicatingStore::new(
                region.clone(),
                Arc::clone(&stores[i]),
                peers,
                lag,
                consistency,
                keys.clone(),
            )
        })
        .collect()
}

impl Store for ReplicatingStore {
    fn put(&self, record: Record, key: Option<IdempotencyKey>) -> StoreFuture<'_, PutOutcome> {
        Box::pin(async move {
            let held = match (&key, self.consistency) {
                (Some(key), Consistency::Strong) => Some(self.keys.lock(key).await),
                _ => None,
            };
            let outcome = self.local.put(record, key.clone()).await?;
            if let PutOutcome::Created(record) = &outcome {
                let replication = self.replicate(record.clone(), key, held);
                if let (Consistency::Strong, Some(replication)) = (self.consistency, replication) {
                    replication.await.map_err(|err| {
                        StoreError::Internal(format!("replication to the other regions: {err}"))
                    })?;
                }
            }
            Ok(outcome)
        })
    }

    fn list(&self, limit: PageLimit, before: Option<RecordId>) -> StoreFuture<'_, Page> {
        self.local.list(limit, before)
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        self.local.probe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAG: Duration = Duration::from_millis(100);

    fn page() -> PageLimit {
        PageLimit::parse("10").unwrap()
    }

    /// One replica per named region, `LAG` apart.
    fn stores(names: &[&str], consistency: Consistency) -> Vec<ReplicatingStore> {
        let regions: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        replicas(&regions, MemoryStore::default, LAG, consistency)
    }

    async fn listed(store: &ReplicatingStore) -> Vec<Record> {
        store.list(page(), None).await.unwrap().items
    }

    /// Once replication has settled, a retry with `key` in any region replays `expected`.
    async fn assert_every_region_replays(
        stores: &[ReplicatingStore],
        key: &Option<IdempotencyKey>,
        expected: &Record,
    ) {
        tokio::time::sleep(LAG * 3).await;
        for store in stores {
            let retry = Record::new(chrono::Utc::now(), "x");
            let replay = store.put(retry, key.clone()).await.unwrap();
            assert_eq!(replay, PutOutcome::Replayed(expected.clone()));
        }
    }

    #[tokio::test]
    async fn a_write_reaches_the_other_replicas_after_the_lag() {
        let stores = stores(&["a", "b", "c"], Consistency::Eventual);
        let record = Record::new(chrono::Utc::now(), "a");
        let outcome = stores[0].put(record.clone(), None).await.unwrap();
        assert_eq!(outcome, PutOutcome::Created(record.clone()));
        assert_eq!(listed(&stores[0]).await, std::slice::from_ref(&record));
        assert!(listed(&stores[1]).await.is_empty());
        tokio::time::sleep(LAG * 3).await;
        for store in &stores {
            assert_eq!(listed(store).await, std::slice::from_ref(&record));
        }
    }

    #[tokio::test]
    async fn an_idempotent_retry_in_another_region_within_the_lag_duplicates() {
        let stores = stores(&["a", "b"], Consistency::Eventual);
        let key = IdempotencyKey::parse("retry-1");
        let first = Record::new(chrono::Utc::now(), "a");
        let retry = Record::new(chrono::Utc::now(), "b");
        let a = stores[0].put(first.clone(), key.clone()).await.unwrap();
        let b = stores[1].put(retry.clone(), key.clone()).await.unwrap();
        assert_eq!(a, PutOutcome::Created(first));
        assert_eq!(b, PutOutcome::Created(retry));
        tokio::time::sleep(LAG * 3).await;
        // Both records now exist everywhere: the window cost a duplicate.
        assert_eq!(listed(&stores[0]).await.len(), 2);
        // After replication the key is known everywhere: a later retry replays.
        let late = Record::new(chrono::Utc::now(), "a");
        let replay = stores[0].put(late, key).await.unwrap();
        assert!(matches!(replay, PutOutcome::Replayed(_)));
    }

    #[tokio::test]
    async fn same_key_writes_in_two_regions_converge_on_the_last_writer() {
        let stores = stores(&["a", "b", "c"], Consistency::Eventual);
        let key = IdempotencyKey::parse("conflict-1");
        let now = chrono::Utc::now();
        let earlier = Record::new(now, "a");
        let later = Record::new(now + chrono::Duration::milliseconds(5), "b");
        // b's write is later, yet a's replicated entry reaches b after it.
        stores[1].put(later.clone(), key.clone()).await.unwrap();
        stores[0].put(earlier.clone(), key.clone()).await.unwrap();
        assert_every_region_replays(&stores, &key, &later).await;
    }

    #[tokio::test]
    async fn equal_write_times_converge_on_the_greater_record_id() {
        let stores = stores(&["a", "b"], Consistency::Eventual);
        let key = IdempotencyKey::parse("conflict-2");
        let now = chrono::Utc::now();
        let one = Record::new(now, "a");
        let two = Record::new(now, "b");
        let winner = if one.id > two.id { &one } else { &two };
        stores[0].put(one.clone(), key.clone()).await.unwrap();
        stores[1].put(two.clone(), key.clone()).await.unwrap();
        assert_every_region_replays(&stores, &key, winner).await;
    }

    #[tokio::test]
    async fn strong_mode_serialises_a_key_across_regions_within_the_lag() {
        let stores = stores(&["a", "b"], Consistency::Strong);
        let key = IdempotencyKey::parse("strong-2");
        let first = Record::new(chrono::Utc::now(), "a");
        let retry = Record::new(chrono::Utc::now(), "b");
        // Both writes start within the lag; the second waits for the first.
        let (a, b) = tokio::join!(stores[0].put(first.clone(), key.clone()), async {
            tokio::time::sleep(LAG / 4).await;
            stores[1].put(retry, key.clone()).await
        });
        assert_eq!(a.unwrap(), PutOutcome::Created(first.clone()));
        assert_eq!(b.unwrap(), PutOutcome::Replayed(first.clone()));
        for store in &stores {
            assert_eq!(listed(store).await, std::slice::from_ref(&first));
        }
    }

    #[tokio::test]
    async fn a_strong_write_is_in_every_replica_when_acknowledged() {
        let stores = stores(&["a", "b", "c"], Consistency::Strong);
        let record = Record::new(chrono::Utc::now(), "b");
        let outcome = stores[1].put(record.clone(), None).await.unwrap();
        assert_eq!(outcome, PutOutcome::Created(record.clone()));
        for store in &stores {
            assert_eq!(listed(store).await, std::slice::from_ref(&record));
        }
        // After the acknowledgement the key is known everywhere: a retry in
        // another region replays instead of storing a second record.
        let key = IdempotencyKey::parse("strong-1");
        let first = Record::new(chrono::Utc::now(), "a");
        stores[0].put(first.clone(), key.clone()).await.unwrap();
        let retry = Record::new(chrono::Utc::now(), "c");
        let replay = stores[2].put(retry, key).await.unwrap();
        assert_eq!(replay, PutOutcome::Replayed(first));
    }

    #[tokio::test]
    async fn a_strong_write_abandoned_by_its_caller_still_replicates() {
        let stores = stores(&["a", "b"], Consistency::Strong);
        let record = Record::new(chrono::Utc::now(), "a");
        let abandoned = tokio::time::timeout(
            Duration::from_millis(10),
            stores[0].put(record.clone(), None),
        )
        .await;
        assert!(abandoned.is_err(), "the acknowledgement waits for the lag");
        assert_eq!(listed(&stores[0]).await, std::slice::from_ref(&record));
        tokio::time::sleep(LAG * 3).await;
        assert_eq!(listed(&stores[1]).await, std::slice::from_ref(&record));
    }
}
