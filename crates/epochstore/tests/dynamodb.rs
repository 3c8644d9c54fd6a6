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

    async fn item_count(&self) -> usize {
        // A scan is fine in a test: it counts what the store really wrote.
        let out = self
            .client
            .scan()
            .table_name(&self.table)
            .send()
            .await
            .expect("scan");
        out.items().len()
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

    // Writing an existing id again is refused, never a silent overwrite.
    let again = store.put(written[3].clone(), None).await;
    assert!(matches!(again, Err(StoreError::Internal(_))), "{again:?}");
    assert_eq!(fx.item_count().await, 25);

    let (seen, pages) = walk_pages(&store, "10").await;
    assert_eq!(pages, 3);
    let mut expected: Vec<_> = written.iter().map(|r| r.id).collect();
    expected.reverse();
    assert_eq!(seen, expected);
}

/// Records the JSON body of every request the client sends.
#[derive(Clone, Debug, Default)]
struct RequestBodies(Arc<std::sync::Mutex<Vec<String>>>);

impl aws_sdk_dynamodb::config::Intercept for RequestBodies {
    fn name(&self) -> &'static str {
        "RequestBodies"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let body = context.request().body().bytes().unwrap_or_default();
        self.0
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(body).into_owned());
        Ok(())
    }
}

#[tokio::test]
async fn consistent_reads_make_listing_and_probe_strongly_consistent() {
    let moto = Moto::start();
    for (setting, expected) in [("false", false), ("true", true)] {
        let fixture = fixture(&moto, &format!("consistent-reads-{setting}")).await;
        let bodies = RequestBodies::default();
        let client = aws_sdk_dynamodb::Client::from_conf(
            fixture
                .client
                .config()
                .to_builder()
                .interceptor(bodies.clone())
                .build(),
        );
        let config = config(
            "eu-west-3",
            &[("WRITE_SHARDS", "2"), ("CONSISTENT_READS", setting)],
        );
        let store = DynamoStore::new(
            client,
            fixture.table.clone(),
            config.store_settings(),
            Duration::from_millis(500),
        );
        let stored = fill(&store, 3, "eu-west-3").await;
        let page = store
            .list(PageLimit::parse("10").unwrap(), None)
            .await
            .unwrap();
        assert_eq!(page.items.len(), stored.len());
        store.probe().await.unwrap();

        let bodies = bodies.0.lock().unwrap().clone();
        let reads: Vec<serde_json::Value> = bodies
            .iter()
            .map(|b| serde_json::from_str(b).unwrap())
            .filter(|b: &serde_json::Value| {
                b.get("KeyConditionExpression").is_some() || b.get("ProjectionExpression").is_some()
            })
            .collect();
        assert_eq!(
            reads.len(),
            3,
            "a query per shard and the probe: {bodies:?}"
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
        partitions.len() > 1,
        "records spread over shards: {partitions:?}"
    );
    assert!(partitions.iter().all(|p| p.starts_with("rec#")));

    let (seen, _) = walk_pages(&store, "7").await;
    let mut expected: Vec<_> = written.iter().map(|r| r.id).collect();
    expected.reverse();
    assert_eq!(seen, expected);
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
