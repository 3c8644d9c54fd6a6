//! The DynamoDB store against a real DynamoDB API (`moto_server`, started on
//! a free loopback port by the test), through the store trait and through
//! the handlers.

// Helpers outside #[test] fns may panic too: that is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use epochstore::domain::{IdempotencyKey, PageLimit, Record, RecordId};
use epochstore::http::{App, Route};
use epochstore::store::{
    create_table_if_missing, DynamoStore, PutOutcome, Store, StoreError, KEY_SCHEMA,
};
use support::*;

/// Every `.tf` file under `terraform/`, concatenated.
fn terraform_sources() -> String {
    fn walk(dir: &std::path::Path, out: &mut String) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && !path.ends_with(".terraform") {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "tf") {
                out.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let mut out = String::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../terraform"),
        &mut out,
    );
    out
}

/// Every id the store lists, page by page, and the number of pages.
async fn walk_pages(store: &DynamoStore, limit: &str) -> (Vec<RecordId>, usize) {
    let limit = PageLimit::parse(limit).expect("limit");
    let (mut seen, mut before, mut pages) = (Vec::new(), None, 0);
    loop {
        let page = store.list(limit, before).await.expect("list");
        pages += 1;
        seen.extend(page.items.iter().map(|r| r.id));
        match page.next {
            Some(next) => before = Some(next),
            None => return (seen, pages),
        }
    }
}

struct Fixture {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

/// A client for `moto` and a fresh table created through the library.
async fn fixture(moto: &Moto, table: &str) -> Fixture {
    let config = config("eu-west-3", &[("TABLE_NAME", table)]);
    let client = dynamo_client(&config, &moto.endpoint()).await;
    create_table_if_missing(&client, table)
        .await
        .expect("create table");
    create_table_if_missing(&client, table)
        .await
        .expect("second call is a no-op");
    Fixture {
        client,
        table: table.to_owned(),
    }
}

impl Fixture {
    fn store(&self, extra: &[(&str, &str)]) -> DynamoStore {
        let config = config("eu-west-3", extra);
        DynamoStore::new(
            self.client.clone(),
            self.table.clone(),
            config.store_settings(),
            Duration::from_millis(500),
        )
    }

    /// A store like `store`'s whose client records every request it sends.
    fn recorded_store(&self, extra: &[(&str, &str)]) -> (DynamoStore, SentRequests) {
        self.intercepted_store(SentRequests::default(), extra)
    }

    /// A store like `store`'s whose client goes through `sent`.
    fn intercepted_store(
        &self,
        sent: SentRequests,
        extra: &[(&str, &str)],
    ) -> (DynamoStore, SentRequests) {
        let client = aws_sdk_dynamodb::Client::from_conf(
            self.client
                .config()
                .to_builder()
                .interceptor(sent.clone())
                .build(),
        );
        let config = config("eu-west-3", extra);
        let store = DynamoStore::new(
            client,
            self.table.clone(),
            config.store_settings(),
            Duration::from_millis(500),
        );
        (store, sent)
    }

    /// Every item of the table: what the store really wrote (a scan is fine
    /// in a test).
    async fn items(&self) -> Vec<std::collections::HashMap<String, AttributeValue>> {
        let out = self
            .client
            .scan()
            .table_name(&self.table)
            .send()
            .await
            .expect("scan");
        out.items().to_vec()
    }

    /// Puts `items` as they are, as replication does.
    async fn put_items(&self, items: &[std::collections::HashMap<String, AttributeValue>]) {
        for item in items {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .send()
                .await
                .expect("replicated put");
        }
    }

    /// The sort keys of the shard marks, in order.
    async fn shard_marks(&self) -> Vec<String> {
        let mut marks: Vec<String> = self
            .items()
            .await
            .iter()
            .filter(|i| {
                i.get("pk").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("meta#shards")
            })
            .filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()).cloned())
            .collect();
        marks.sort();
        marks
    }

    async fn item_count(&self) -> usize {
        self.items().await.len()
    }
}

#[tokio::test]
async fn table_has_the_key_schema_of_the_terraform() {
    let moto = Moto::start();
    let fx = fixture(&moto, "schema").await;
    let table = fx
        .client
        .describe_table()
        .table_name("schema")
        .send()
        .await
        .expect("describe");
    let table = table.table().expect("table");
    let keys: Vec<(String, String)> = table
        .key_schema()
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_owned(),
                k.key_type().as_str().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = KEY_SCHEMA
        .iter()
        .map(|(n, _, r)| ((*n).to_owned(), (*r).to_owned()))
        .collect();
    assert_eq!(keys, expected);
    for def in table.attribute_definitions() {
        assert_eq!(def.attribute_type().as_str(), "S");
    }
    let ttl = fx
        .client
        .describe_time_to_live()
        .table_name("schema")
        .send()
        .await
        .expect("ttl");
    assert_eq!(
        ttl.time_to_live_description()
            .and_then(|d| d.attribute_name()),
        Some("expiresAt")
    );

    // The same literals the Terraform declares (the contract between the two).
    let terraform = terraform_sources();
    let compact: String = terraform.chars().filter(|c| !c.is_whitespace()).collect();
    let [(hash, hash_type, _), (range, range_type, _)] = KEY_SCHEMA;
    assert!(
        compact.contains(&format!("hash_key=\"{hash}\"")),
        "terraform hash_key is not {hash}"
    );
    assert!(
        compact.contains(&format!("range_key=\"{range}\"")),
        "terraform range_key is not {range}"
    );
    for (name, kind) in [(hash, hash_type), (range, range_type)] {
        assert!(
            compact.contains(&format!("name=\"{name}\"type=\"{kind}\"")),
            "terraform lacks attribute {{ name = {name}, type = {kind} }}"
        );
    }
    assert!(
        compact.contains("attribute_name=\"expiresAt\""),
        "terraform TTL attribute"
    );
}

#[tokio::test]
async fn puts_are_conditional_and_lists_are_newest_first_across_pages() {
    let moto = Moto::start();
    let fx = fixture(&moto, "records").await;
    let store = fx.store(&[]);
    let written = fill(&store, 25, "eu-west-3").await;

    // Writing an existing id with other attributes is refused, never a
    // silent overwrite: a genuine collision.
    let mut collision = written[3].clone();
    collision.epoch_millis += 1;
    let again = store.put(collision, None).await;
    assert!(matches!(again, Err(StoreError::Internal(_))), "{again:?}");
    assert_eq!(fx.item_count().await, 25);

    let (seen, pages) = walk_pages(&store, "10").await;
    assert_eq!(pages, 3);
    let mut expected: Vec<_> = written.iter().map(|r| r.id).collect();
    expected.reverse();
    assert_eq!(seen, expected);
}

/// Records every request the client sends: its DynamoDB action
/// (`dynamodb:<X-Amz-Target operation>`) and its JSON body; fails, before
/// it is sent, any whose body contains `refused` when set.
#[derive(Clone, Debug, Default)]
struct SentRequests(
    Arc<std::sync::Mutex<Vec<(String, String)>>>,
    Option<&'static str>,
);

impl SentRequests {
    fn bodies(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| b.clone())
            .collect()
    }

    fn actions(&self) -> HashSet<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(a, _)| a.clone())
            .collect()
    }
}

impl aws_sdk_dynamodb::config::Intercept for SentRequests {
    fn name(&self) -> &'static str {
        "SentRequests"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let action = format!("dynamodb:{}", target.rsplit('.').next().unwrap_or(target));
        let body = String::from_utf8_lossy(request.body().bytes().unwrap_or_default()).into_owned();
        let refused = self.1.is_some_and(|text| body.contains(text));
        self.0.lock().unwrap().push((action, body));
        if refused {
            return Err("refused by the test".into());
        }
        Ok(())
    }
}

#[tokio::test]
async fn consistent_reads_make_listing_and_probe_strongly_consistent() {
    let moto = Moto::start();
    for (setting, expected) in [("false", false), ("true", true)] {
        let fixture = fixture(&moto, &format!("consistent-reads-{setting}")).await;
        let (store, sent) =
            fixture.recorded_store(&[("WRITE_SHARDS", "2"), ("CONSISTENT_READS", setting)]);
        let stored = fill(&store, 3, "eu-west-3").await;
        let page = store
            .list(PageLimit::parse("10").unwrap(), None)
            .await
            .unwrap();
        assert_eq!(page.items.len(), stored.len());
        store.probe().await.unwrap();

        let bodies = sent.bodies();
        let reads: Vec<serde_json::Value> = bodies
            .iter()
            .map(|b| serde_json::from_str(b).unwrap())
            .filter(|b: &serde_json::Value| {
                b.get("KeyConditionExpression").is_some() || b.get("ProjectionExpression").is_some()
            })
            .collect();
        assert_eq!(
            reads.len(),
            4,
            "a query per shard, the shard marks' query and the probe: {bodies:?}"
        );
        for read in reads {
            assert_eq!(
                read.get("ConsistentRead")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
                expected,
                "{read}"
            );
        }
    }
}

#[tokio::test]
async fn write_shards_are_merged_on_read_in_order() {
    let moto = Moto::start();
    let fx = fixture(&moto, "sharded").await;
    let store = fx.store(&[("WRITE_SHARDS", "4")]);
    let written = fill(&store, 40, "eu-west-3").await;
    let partitions: HashSet<String> = fx
        .client
        .scan()
        .table_name("sharded")
        .send()
        .await
        .expect("scan")
        .items()
        .iter()
        .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()).cloned())
        .collect();
    assert!(
        partitions.len() > 2,
        "records spread over shards: {partitions:?}"
    );
    assert!(partitions
        .iter()
        .all(|p| p.starts_with("rec#") || p == "meta#shards"));

    let (seen, _) = walk_pages(&store, "7").await;
    let mut expected: Vec<_> = written.iter().map(|r| r.id).collect();
    expected.reverse();
    assert_eq!(seen, expected);

    // Lowering WRITE_SHARDS (or a region still on a lower value during a
    // rollout) hides nothing: listings cover the table's high-water mark.
    for lower in ["2", "1"] {
        let (seen, _) = walk_pages(&fx.store(&[("WRITE_SHARDS", lower)]), "7").await;
        assert_eq!(seen, expected, "WRITE_SHARDS={lower}");
    }
    // A lower writer adds its own mark and removes none.
    fill(&fx.store(&[("WRITE_SHARDS", "2")]), 1, "eu-west-3").await;
    assert_eq!(fx.shard_marks().await, ["02", "04"]);

    // A mark no writer could set (above the 64 WRITE_SHARDS allows) is not
    // believed: listings still cover the highest real mark.
    fx.client
        .put_item()
        .table_name("sharded")
        .item("pk", AttributeValue::S("meta#shards".into()))
        .item("sk", AttributeValue::S("60000".into()))
        .send()
        .await
        .expect("forged mark");
    let (seen, _) = walk_pages(&fx.store(&[("WRITE_SHARDS", "1")]), "50").await;
    assert_eq!(seen.len(), expected.len() + 1);
}

/// Issue 15 ("Write shards"): two regions of an eventually consistent global
/// table record their shard counts at the same time during a rollout.
/// Replication resolves a conflict on an item last-writer-wins, in either
/// order (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html),
/// so a single mark item could end at the lower count while records sit on
/// the higher one's shards. Here each table is a region; replication copies
/// every item of both into both, the winner's last.
#[tokio::test]
async fn concurrent_shard_counts_in_two_regions_hide_no_record() {
    let moto = Moto::start();
    for (i, winner) in ["eight", "four"].into_iter().enumerate() {
        let eight = fixture(&moto, &format!("region-eight-{i}")).await;
        let four = fixture(&moto, &format!("region-four-{i}")).await;
        let wide = eight.store(&[("WRITE_SHARDS", "8")]);
        let mut written = fill(&wide, 40, "eu-west-3").await;
        written.extend(fill(&four.store(&[("WRITE_SHARDS", "4")]), 10, "eu-west-1").await);
        let (first, last) = if winner == "eight" {
            (four.items().await, eight.items().await)
        } else {
            (eight.items().await, four.items().await)
        };
        for region in [&eight, &four] {
            region.put_items(&first).await;
            region.put_items(&last).await;
        }
        // The process that wrote on 8 shards keeps writing on them.
        written.extend(fill(&wide, 5, "eu-west-3").await);
        four.put_items(&eight.items().await).await;

        let mut expected: Vec<_> = written.iter().map(|r| r.id).collect();
        expected.sort_unstable_by_key(|id| std::cmp::Reverse(*id));
        for region in [&eight, &four] {
            let (seen, _) = walk_pages(&region.store(&[("WRITE_SHARDS", "1")]), "9").await;
            assert_eq!(seen, expected, "{} wins, listing {}", winner, region.table);
        }
    }
}

/// A listing that cannot read the shard marks may miss shards: it fails
/// with the store's error rather than answering a page that looks complete.
#[tokio::test]
async fn a_listing_that_cannot_read_the_shard_marks_fails() {
    let moto = Moto::start();
    let fx = fixture(&moto, "unreadable-marks").await;
    fill(&fx.store(&[("WRITE_SHARDS", "4")]), 20, "eu-west-3").await;
    let (store, _) = fx.intercepted_store(
        SentRequests(Arc::default(), Some("meta#shards")),
        &[("WRITE_SHARDS", "1")],
    );
    let listed = store.list(PageLimit::parse("50").unwrap(), None).await;
    assert!(listed.is_err(), "a short page: {listed:?}");
}

#[tokio::test]
async fn an_idempotent_retry_returns_the_first_record_and_writes_nothing() {
    let moto = Moto::start();
    let fx = fixture(&moto, "idempotent").await;
    let store = fx.store(&[]);
    let key = IdempotencyKey::parse("payment-7").expect("key");
    let first = Record::new(chrono::Utc::now(), "eu-west-3");
    let created = store
        .put(first.clone(), Some(key.clone()))
        .await
        .expect("put");
    assert_eq!(created, PutOutcome::Created(first.clone()));
    let items_after_first = fx.item_count().await;
    assert_eq!(items_after_first, 2, "the record and its idempotency entry");

    let retry = Record::new(chrono::Utc::now(), "eu-west-3");
    let replayed = store.put(retry, Some(key)).await.expect("retry");
    assert_eq!(replayed, PutOutcome::Replayed(first));
    assert_eq!(fx.item_count().await, items_after_first);

    let page = store.list(PageLimit::DEFAULT, None).await.expect("list");
    assert_eq!(page.items.len(), 1, "idempotency entries are not listed");
}

#[tokio::test]
async fn a_retry_completes_a_first_attempt_that_stopped_after_claiming_its_key() {
    let moto = Moto::start();
    let fx = fixture(&moto, "repair").await;
    let store = fx.store(&[]);
    // What a crash between the two writes leaves: the entry, no record.
    let first = Record::new(chrono::Utc::now(), "eu-central-1");
    fx.client
        .put_item()
        .table_name("repair")
        .item("pk", AttributeValue::S("idem#crashed".into()))
        .item("sk", AttributeValue::S("idem".into()))
        .item("recordId", AttributeValue::S(first.id.to_string()))
        .item(
            "epochMillis",
            AttributeValue::N(first.epoch_millis.to_string()),
        )
        .item("region", AttributeValue::S(first.region.clone()))
        .item(
            "expiresAt",
            AttributeValue::N((first.epoch_seconds() + 3_600).to_string()),
        )
        .send()
        .await
        .expect("entry");
    assert!(store
        .list(PageLimit::DEFAULT, None)
        .await
        .expect("list")
        .items
        .is_empty());

    let key = IdempotencyKey::parse("crashed").expect("key");
    let retry = store
        .put(
            Record::new(chrono::Utc::now(), "eu-west-3"),
            Some(key.clone()),
        )
        .await;
    assert_eq!(retry, Ok(PutOutcome::Replayed(first.clone())));
    let listed = store
        .list(PageLimit::DEFAULT, None)
        .await
        .expect("list")
        .items;
    assert_eq!(
        listed,
        vec![first.clone()],
        "the retry stored the first record"
    );
    let again = store
        .put(Record::new(chrono::Utc::now(), "eu-west-3"), Some(key))
        .await;
    assert_eq!(again, Ok(PutOutcome::Replayed(first)));
    assert_eq!(fx.item_count().await, 2, "one entry and one record");
}

/// What the SDK's retry of a committed attempt whose answer was lost sends:
/// the same conditional put again. It fails its condition against its own
/// write, which the store recognises (ALL_OLD) as done.
#[tokio::test]
async fn a_repeated_put_of_the_same_write_is_its_own_success_not_a_collision() {
    let moto = Moto::start();
    let fx = fixture(&moto, "own-write").await;
    let store = fx.store(&[]);
    let record = Record::new(chrono::Utc::now(), "eu-west-3");
    for _ in 0..2 {
        let outcome = store.put(record.clone(), None).await;
        assert_eq!(outcome, Ok(PutOutcome::Created(record.clone())));
    }
    assert_eq!(fx.item_count().await, 1);

    let key = IdempotencyKey::parse("own-claim").expect("key");
    let keyed = Record::new(chrono::Utc::now(), "eu-west-3");
    for _ in 0..2 {
        let outcome = store.put(keyed.clone(), Some(key.clone())).await;
        assert_eq!(outcome, Ok(PutOutcome::Created(keyed.clone())), "own claim");
    }
    let other = Record::new(chrono::Utc::now(), "eu-west-3");
    let replay = store.put(other, Some(key)).await;
    assert_eq!(
        replay,
        Ok(PutOutcome::Replayed(keyed)),
        "another request's claim"
    );
    assert_eq!(fx.item_count().await, 3, "two records and one entry");
}

#[tokio::test]
async fn listings_never_show_a_record_past_its_retention() {
    let moto = Moto::start();
    let fx = fixture(&moto, "expired").await;
    let store = fx.store(&[("RETENTION_DAYS", "1")]);
    let now = chrono::Utc::now();
    // Expired a day ago; moto, like DynamoDB's TTL for days, still holds it.
    let mut expired = Vec::new();
    for i in 0..5 {
        let old = Record::new(
            now - chrono::Duration::days(2) + chrono::Duration::milliseconds(i),
            "eu-west-3",
        );
        store.put(old.clone(), None).await.expect("put");
        expired.push(old);
    }
    let fresh = fill(&store, 3, "eu-west-3").await;
    assert_eq!(fx.item_count().await, 8);
    // Newest first: the fresh records, then (hidden) the expired ones; a
    // page of 2 must read past the filter and still end.
    let (seen, _) = walk_pages(&store, "2").await;
    let mut expected: Vec<_> = fresh.iter().map(|r| r.id).collect();
    expected.reverse();
    assert_eq!(seen, expected);
    let before_fresh = store
        .list(PageLimit::DEFAULT, Some(fresh[0].id))
        .await
        .expect("list");
    assert_eq!(before_fresh.items, Vec::<Record>::new());
    assert_eq!(before_fresh.next, None);
}

#[tokio::test]
async fn an_expired_idempotency_key_can_be_used_again() {
    let moto = Moto::start();
    let fx = fixture(&moto, "expiry").await;
    let store = fx.store(&[]);
    let old = Record::new(
        chrono::Utc::now() - chrono::Duration::hours(25),
        "eu-west-3",
    );
    let key = IdempotencyKey::parse("old-key").expect("key");
    assert!(matches!(
        store.put(old, Some(key.clone())).await,
        Ok(PutOutcome::Created(_))
    ));
    let now = Record::new(chrono::Utc::now(), "eu-west-3");
    assert_eq!(
        store.put(now.clone(), Some(key)).await,
        Ok(PutOutcome::Created(now))
    );
}

#[tokio::test]
async fn records_carry_a_ttl_only_when_retention_is_configured() {
    let moto = Moto::start();
    let fx = fixture(&moto, "retention").await;
    let kept = fill(&fx.store(&[]), 1, "eu-west-3").await.remove(0);
    let expiring = fill(&fx.store(&[("RETENTION_DAYS", "7")]), 1, "eu-west-3")
        .await
        .remove(0);
    let ttl_of = |record: Record| {
        let client = fx.client.clone();
        async move {
            let items = client
                .scan()
                .table_name("retention")
                .send()
                .await
                .expect("scan");
            items
                .items()
                .iter()
                .find(|i| i.get("sk") == Some(&AttributeValue::S(record.id.to_string())))
                .and_then(|i| i.get("expiresAt").and_then(|v| v.as_n().ok()).cloned())
        }
    };
    assert_eq!(ttl_of(kept).await, None);
    let expected = expiring.epoch_seconds() + 7 * 86_400;
    assert_eq!(ttl_of(expiring).await, Some(expected.to_string()));
}

#[tokio::test]
async fn handlers_on_dynamodb_serve_the_contract() {
    let moto = Moto::start();
    let table = "handlers";
    let fx = fixture(&moto, table).await;
    let app = app_on(Arc::new(fx.store(&[])), "eu-west-3", &[]);
    let created = call(
        &app,
        event("POST", "/storeEpochTime").header("idempotency-key", "k-1"),
    )
    .await;
    assert_eq!(created.status, 201);
    let replayed = call(
        &app,
        event("POST", "/storeEpochTime").header("idempotency-key", "k-1"),
    )
    .await;
    assert_eq!(replayed.status, 200);
    assert_eq!(replayed.json()["id"], created.json()["id"]);
    for _ in 0..4 {
        assert_eq!(
            call(&app, event("POST", "/storeEpochTime")).await.status,
            201
        );
    }
    let page = call(&app, event("GET", "/getEpochStore?limit=2"))
        .await
        .json();
    assert_eq!(page["count"], 2);
    let cursor = page["nextCursor"].as_str().expect("cursor").to_owned();
    let rest = call(
        &app,
        event("GET", &format!("/getEpochStore?cursor={cursor}")),
    )
    .await
    .json();
    assert_eq!(rest["count"], 3);
    assert_eq!(
        rest["items"][2]["id"],
        created.json()["id"],
        "the oldest comes last"
    );
    assert_eq!(call(&app, event("GET", "/health")).await.status, 200);
}

#[tokio::test]
async fn health_turns_503_quickly_when_the_server_stops_and_recovers_when_it_returns() {
    let mut moto = Moto::start();
    let fx = fixture(&moto, "health").await;
    let app = app_on(Arc::new(fx.store(&[])), "eu-west-3", &[]);
    assert_eq!(call(&app, event("GET", "/health")).await.status, 200);

    moto.stop();
    let started = Instant::now();
    let answer = call(&app, event("GET", "/health")).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.json()["checks"]["store"], "unreachable");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the probe timeout"
    );
    let post = call(&app, event("POST", "/storeEpochTime")).await;
    assert_eq!(post.status, 503);
    assert_eq!(post.header("retry-after"), Some("1"));

    moto.restart();
    fixture(&moto, "health").await;
    assert_eq!(
        call(&app, event("GET", "/health")).await.status,
        200,
        "same process, no restart"
    );
    assert_eq!(
        call(&app, event("POST", "/storeEpochTime")).await.status,
        201
    );
}

#[tokio::test]
async fn a_missing_table_is_503_not_500() {
    let moto = Moto::start();
    let fx = fixture(&moto, "present").await;
    let store = DynamoStore::new(
        fx.client.clone(),
        "absent".into(),
        Default::default(),
        Duration::from_millis(500),
    );
    let app = app_on(Arc::new(store), "eu-west-3", &[]);
    let answer = call(&app, event("GET", "/getEpochStore")).await;
    assert_eq!(answer.status, 503);
    assert_eq!(call(&app, event("GET", "/health")).await.status, 503);
}

/// The DynamoDB actions the region module grants `function`'s role
/// (`locals.functions` in terraform/modules/region/main.tf).
fn granted_actions(function: &str) -> HashSet<String> {
    let main = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../terraform/modules/region/main.tf"),
    )
    .expect("region module");
    let block = main
        .split(&format!("\"{function}\" = {{"))
        .nth(1)
        .unwrap_or_else(|| panic!("{function} not in locals.functions"));
    let actions = block
        .split("actions = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("actions list");
    actions
        .split(',')
        .map(|a| a.trim().trim_matches('"').to_owned())
        .filter(|a| !a.is_empty())
        .collect()
}

/// IAM denies any action a role lacks (AccessDeniedException), and moto does
/// not check IAM: so every DynamoDB call each function makes on its paths
/// (writes with and without a key, a replay, a raised shard mark; a listing;
/// the probe) must be an action its Terraform role grants, and the role
/// grants nothing the function does not call. Actions:
/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
#[tokio::test]
async fn each_function_calls_exactly_the_dynamodb_actions_its_role_grants() {
    let moto = Moto::start();
    let fx = fixture(&moto, "iam-actions").await;
    let cases = [
        (
            "store-epoch-time",
            Route::StoreEpochTime,
            vec![
                event("POST", "/storeEpochTime"),
                event("POST", "/storeEpochTime").header("idempotency-key", "iam"),
                event("POST", "/storeEpochTime").header("idempotency-key", "iam"),
            ],
        ),
        (
            "get-epoch-store",
            Route::GetEpochStore,
            vec![event("GET", "/getEpochStore")],
        ),
        ("health-check", Route::Health, vec![event("GET", "/health")]),
    ];
    for (function, route, requests) in cases {
        let (store, sent) = fx.recorded_store(&[("WRITE_SHARDS", "2")]);
        let config = config("eu-west-3", &[("WRITE_SHARDS", "2")]);
        let app = App::new(&config, Arc::new(store), vec![route]);
        for request in requests {
            let answer = call(&app, request).await;
            assert!(answer.status < 300, "{function}: {}", answer.body);
        }
        assert_eq!(sent.actions(), granted_actions(function), "{function}");
    }
}

/// Lambda stops an invocation at its timeout whatever the code is doing, so
/// the store's bound for a request (`DYNAMODB_OPERATION_TIMEOUT_MS`, every
/// DynamoDB call included) must end first for a slow store to be the
/// function's JSON `503` rather than API Gateway's bare `500`. Terraform
/// derives it from `lambda_timeout` and sets the attempt timeout: for the
/// smallest `lambda_timeout` it accepts and above, the pair passes the cold
/// start (no attempt longer than the operation) and ends before Lambda does.
#[test]
fn the_timeouts_terraform_derives_pass_the_cold_start_and_end_before_lambda() {
    let terraform = terraform_sources();
    let number_after = |text: &str| -> u64 {
        terraform
            .split(text)
            .skip(1)
            .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
            .max()
            .unwrap_or_else(|| panic!("{text:?} in terraform/"))
    };
    let minimum = number_after("var.lambda_timeout >= ");
    let attempt = number_after("dynamodb_attempt_timeout_ms = ");
    assert!(terraform.contains(
        "DYNAMODB_OPERATION_TIMEOUT_MS = tostring(min(5000, var.lambda_timeout * 1000 - 1000))"
    ));
    assert!(terraform
        .contains("DYNAMODB_ATTEMPT_TIMEOUT_MS   = tostring(local.dynamodb_attempt_timeout_ms)"));
    for lambda_timeout in [minimum, minimum + 1, 10, 30] {
        let operation = (lambda_timeout * 1000 - 1000).min(5000);
        let config = config(
            "eu-west-3",
            &[
                ("DYNAMODB_ATTEMPT_TIMEOUT_MS", &attempt.to_string()),
                ("DYNAMODB_OPERATION_TIMEOUT_MS", &operation.to_string()),
            ],
        );
        assert!(config.sdk.operation_timeout < Duration::from_secs(lambda_timeout));
    }
}

/// The cold start refuses an idempotency TTL longer than the retention (a
/// replay would re-put an expired record). Terraform sets `RETENTION_DAYS`
/// (0, or 1 to 36,500 days) and leaves the TTL at its 24 h default, so no
/// retention it accepts makes a function fail its cold start.
#[test]
fn every_retention_terraform_accepts_passes_the_cold_start() {
    let terraform = terraform_sources();
    assert!(
        !terraform.contains("IDEMPOTENCY_TTL_HOURS"),
        "Terraform sets the idempotency TTL: validate it against retention_days there"
    );
    assert!(terraform.contains("var.retention_days >= 0 && var.retention_days <= 36500"));
    for days in ["0", "1", "36500"] {
        let config = config("eu-west-3", &[("RETENTION_DAYS", days)]);
        assert_eq!(config.idempotency_ttl, Duration::from_secs(86_400));
    }
}
