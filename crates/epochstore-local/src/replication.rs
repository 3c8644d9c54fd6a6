//! Replication between in-memory replicas (`REPLICATION_LAG_MS`): a write
//! accepted in one region reaches the others only after the lag, as with a
//! DynamoDB global table. With eventual consistency the write is
//! acknowledged at once, so a failover inside that window shows what a
//! client can miss (a record not yet visible) or duplicate (a retry with the
//! same idempotency key stored again in the other region). With strong
//! consistency the acknowledgement waits for the replication.

use std::sync::Arc;
use std::time::Duration;

use epochstore::domain::{IdempotencyKey, PageLimit, Record, RecordId};
use epochstore::store::{MemoryStore, Page, PutOutcome, Store, StoreError, StoreFuture};
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
}

impl ReplicatingStore {
    pub fn new(
        region: String,
        local: Arc<MemoryStore>,
        peers: Vec<Arc<MemoryStore>>,
        lag: Duration,
        consistency: Consistency,
    ) -> Self {
        Self {
            region,
            local,
            peers,
            lag,
            consistency,
        }
    }

    /// A task of its own, so that the replication completes even when the
    /// request that wrote the record is abandoned.
    fn replicate(&self, record: Record, key: Option<IdempotencyKey>) -> Option<JoinHandle<()>> {
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
            )
        })
        .collect()
}

impl Store for ReplicatingStore {
    fn put(&self, record: Record, key: Option<IdempotencyKey>) -> StoreFuture<'_, PutOutcome> {
        Box::pin(async move {
            let outcome = self.local.put(record, key.clone()).await?;
            if let PutOutcome::Created(record) = &outcome {
                let replication = self.replicate(record.clone(), key);
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
