//! Asynchronous replication between in-memory replicas (`REPLICATION_LAG_MS`):
//! a write accepted in one region reaches the others only after the lag, as
//! with a DynamoDB global table. A failover inside that window shows what a
//! client can miss (a record not yet visible) or duplicate (a retry with the
//! same idempotency key stored again in the other region).

use std::sync::Arc;
use std::time::Duration;

use epochstore::domain::{IdempotencyKey, PageLimit, Record, RecordId};
use epochstore::store::{MemoryStore, Page, PutOutcome, Store, StoreFuture};

/// One region's replica: reads and writes go to `local`; each newly created
/// record is applied to every peer `lag` later.
pub struct ReplicatingStore {
    region: String,
    local: Arc<MemoryStore>,
    peers: Vec<Arc<MemoryStore>>,
    lag: Duration,
}

impl ReplicatingStore {
    pub fn new(
        region: String,
        local: Arc<MemoryStore>,
        peers: Vec<Arc<MemoryStore>>,
        lag: Duration,
    ) -> Self {
        Self {
            region,
            local,
            peers,
            lag,
        }
    }

    fn replicate(&self, record: Record, key: Option<IdempotencyKey>) {
        if self.peers.is_empty() {
            return;
        }
        let peers = self.peers.clone();
        let lag = self.lag;
        let region = self.region.clone();
        tokio::spawn(async move {
            tokio::time::sleep(lag).await;
            let id = record.id;
            for peer in &peers {
                peer.apply_replicated(record.clone(), key.clone());
            }
            tracing::debug!(from = %region, record = %id, peers = peers.len(), "replicated");
        });
    }
}

/// Builds one replicating store per region, each with its own replica.
pub fn replicas(
    regions: &[String],
    build: impl Fn() -> MemoryStore,
    lag: Duration,
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
            ReplicatingStore::new(region.clone(), Arc::clone(&stores[i]), peers, lag)
        })
        .collect()
}

impl Store for ReplicatingStore {
    fn put(&self, record: Record, key: Option<IdempotencyKey>) -> StoreFuture<'_, PutOutcome> {
        Box::pin(async move {
            let outcome = self.local.put(record, key.clone()).await?;
            if let PutOutcome::Created(record) = &outcome {
                self.replicate(record.clone(), key);
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

    fn page() -> PageLimit {
        PageLimit::parse("10").unwrap()
    }

    #[tokio::test]
    async fn a_write_reaches_the_other_replicas_after_the_lag() {
        let regions = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let stores = replicas(&regions, MemoryStore::default, Duration::from_millis(100));
        let record = Record::new(chrono::Utc::now(), "a");
        let outcome = stores[0].put(record.clone(), None).await.unwrap();
        assert_eq!(outcome, PutOutcome::Created(record.clone()));
        assert_eq!(
            stores[0].list(page(), None).await.unwrap().items,
            std::slice::from_ref(&record)
        );
        assert!(stores[1].list(page(), None).await.unwrap().items.is_empty());
        tokio::time::sleep(Duration::from_millis(300)).await;
        for store in &stores {
            assert_eq!(
                store.list(page(), None).await.unwrap().items,
                std::slice::from_ref(&record)
            );
        }
    }

    #[tokio::test]
    async fn an_idempotent_retry_in_another_region_within_the_lag_duplicates() {
        let regions = ["a".to_owned(), "b".to_owned()];
        let stores = replicas(&regions, MemoryStore::default, Duration::from_millis(100));
        let key = IdempotencyKey::parse("retry-1");
        let first = Record::new(chrono::Utc::now(), "a");
        let retry = Record::new(chrono::Utc::now(), "b");
        let a = stores[0].put(first.clone(), key.clone()).await.unwrap();
        let b = stores[1].put(retry.clone(), key.clone()).await.unwrap();
        assert_eq!(a, PutOutcome::Created(first));
        assert_eq!(b, PutOutcome::Created(retry));
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Both records now exist everywhere: the window cost a duplicate.
        assert_eq!(stores[0].list(page(), None).await.unwrap().items.len(), 2);
        // After replication the key is known everywhere: a later retry replays.
        let late = Record::new(chrono::Utc::now(), "a");
        let replay = stores[0].put(late, key).await.unwrap();
        assert!(matches!(replay, PutOutcome::Replayed(_)));
    }
}
