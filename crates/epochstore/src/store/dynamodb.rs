//! The DynamoDB store.
//!
//! Key schema (the same literals as `terraform/modules/…`, the contract
//! between code and infrastructure):
//!
//! | item        | `pk` (S, partition)   | `sk` (S, sort)           | other attributes                         |
//! |-------------|-----------------------|--------------------------|------------------------------------------|
//! | record      | `rec#<shard>`         | record id (UUIDv7 text)  | `epochMillis` N, `region` S, `expiresAt` N? |
//! | idempotency | `idem#<key>`          | `idem`                   | `recordId`, `epochMillis`, `region`, `expiresAt` |
//!
//! A page is one `Query` per shard on `pk = rec#<n> AND sk < :cursor`,
//! newest first (`ScanIndexForward = false`) with `Limit = limit + 1`; the
//! shards' results are merged by id. The cost of a page is therefore
//! `shards × (limit + 1)` small items whatever the size of the table; nothing
//! ever scans it.
//!
//! Write ceiling: DynamoDB serves at most 1,000 write units per second per
//! partition key, so with one shard (the default) the design accepts about
//! 1,000 records per second per region (idempotency entries spread over
//! their own keys). An operator raises it by setting `WRITE_SHARDS`
//! (Terraform `write_shards`) to N: records spread over N partition keys by
//! their random id bits, the ceiling becomes N times higher and a page reads
//! N × (limit + 1) items.
//!
//! Writes are conditional (`attribute_not_exists(pk)`): a record is never
//! silently overwritten. A write with an idempotency key first claims the key
//! with a conditional put of its entry, then puts the record, so a retry
//! within the region finds the entry and returns the first record: exactly
//! once. A global table with multi-region eventual consistency does not
//! serialise those conditions between regions: a retry that reaches the
//! other region within the replication lag (typically under a second) can
//! store a second record; see the README.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use super::contract::{Page, PutOutcome, Store, StoreError, StoreFuture};
use super::settings::StoreSettings;
use crate::domain::{IdempotencyKey, PageLimit, Record, RecordId};

const PK: &str = "pk";
const SK: &str = "sk";
const TTL: &str = "expiresAt";
const IDEMPOTENCY_SK: &str = "idem";
/// Writes never overwrite: the condition every record write carries.
const NOT_EXISTS: &str = "attribute_not_exists(pk)";
/// The item the health probe reads; it need not exist (a miss costs the same
/// half read unit and still proves the table answers).
const PROBE_PK: &str = "health#probe";

/// Attribute name, type and role of the table's key: the same literals as the
/// Terraform `aws_dynamodb_table` (a test keeps them equal).
pub const KEY_SCHEMA: [(&str, &str, &str); 2] = [(PK, "S", "HASH"), (SK, "S", "RANGE")];

pub struct DynamoStore {
    client: Client,
    table: String,
    settings: StoreSettings,
    probe_timeout: Duration,
}

impl DynamoStore {
    pub fn new(
        client: Client,
        table: String,
        settings: StoreSettings,
        probe_timeout: Duration,
    ) -> Self {
        Self {
            client,
            table,
            settings,
            probe_timeout,
        }
    }

    fn record_pk(&self, id: RecordId) -> String {
        shard_pk((id.spread() % u64::from(self.settings.write_shards.max(1))) as u16)
    }

    fn record_item(&self, record: &Record) -> HashMap<String, AttributeValue> {
        let mut item = HashMap::from([
            (PK.to_owned(), s(self.record_pk(record.id))),
            (SK.to_owned(), s(record.id.to_string())),
            ("epochMillis".to_owned(), n(record.epoch_millis)),
            ("region".to_owned(), s(record.region.clone())),
        ]);
        if let Some(expiry) = self.settings.record_expiry(record) {
            item.insert(TTL.to_owned(), n(expiry));
        }
        item
    }

    /// Puts `record` unless an item with its key exists. `Ok(false)` when it does.
    async fn put_record_if_absent(&self, record: &Record) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.record_item(record)))
            .condition_expression(NOT_EXISTS)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if err.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(err) => Err(classify(err)),
        }
    }

    async fn put_record(&self, record: Record) -> Result<PutOutcome, StoreError> {
        if self.put_record_if_absent(&record).await? {
            Ok(PutOutcome::Created(record))
        } else {
            Err(StoreError::id_taken(record.id))
        }
    }

    /// Two single-item conditional writes, no transaction: first the
    /// idempotency entry (which holds everything needed to rebuild the
    /// record), then the record. A retry whose entry exists re-puts the
    /// record from the entry, a no-op when it exists, which also completes a
    /// first attempt that stopped between the two writes. Two write units in
    /// all (a transaction would cost four), and only single-item conditions,
    /// which a multi-region strongly consistent table serialises across
    /// regions.
    async fn put_idempotent(
        &self,
        record: Record,
        key: IdempotencyKey,
    ) -> Result<PutOutcome, StoreError> {
        let entry_pk = format!("idem#{}", key.as_str());
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(entry_pk.clone()))
            .item(SK, s(IDEMPOTENCY_SK.to_owned()))
            .item("recordId", s(record.id.to_string()))
            .item("epochMillis", n(record.epoch_millis))
            .item("region", s(record.region.clone()))
            .item(TTL, n(self.settings.idempotency_expiry(&record)))
            // An expired entry that TTL has not deleted yet no longer counts.
            .condition_expression("attribute_not_exists(pk) OR expiresAt < :now")
            .expression_attribute_values(":now", n(record.epoch_seconds()))
            .send()
            .await;
        let outcome = match result {
            Ok(_) => PutOutcome::Created(record),
            Err(err) if err.code() == Some("ConditionalCheckFailedException") => {
                let first = self
                    .read_idempotency_entry(&entry_pk)
                    .await?
                    .ok_or_else(|| {
                        // Expired and deleted between the two calls: the client may retry.
                        StoreError::Unavailable("idempotency entry expired while being read".into())
                    })?;
                PutOutcome::Replayed(first)
            }
            Err(err) => return Err(classify(err)),
        };
        let (PutOutcome::Created(record) | PutOutcome::Replayed(record)) = &outcome;
        // Present already when this is a replay of a completed write, or a
        // concurrent retry got there first: the same record either way.
        self.put_record_if_absent(record).await?;
        Ok(outcome)
    }

    async fn read_idempotency_entry(&self, entry_pk: &str) -> Result<Option<Record>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(entry_pk.to_owned()))
            .key(SK, s(IDEMPOTENCY_SK.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let record = Record {
            id: get_s(&item, "recordId")
                .and_then(RecordId::parse_canonical)
                .ok_or_else(malformed)?,
            epoch_millis: get_n(&item, "epochMillis").ok_or_else(malformed)?,
            region: get_s(&item, "region").ok_or_else(malformed)?.to_owned(),
        };
        Ok(Some(record))
    }

    async fn list_records(
        &self,
        limit: PageLimit,
        before: Option<RecordId>,
    ) -> Result<Page, StoreError> {
        let want = limit.get() + 1;
        let mut items = Vec::with_capacity(want);
        if self.settings.write_shards <= 1 {
            items = query_shard(
                self.client.clone(),
                self.table.clone(),
                shard_pk(0),
                want,
                before,
                self.settings.consistent_reads,
            )
            .await?;
        } else {
            let mut shards = tokio::task::JoinSet::new();
            for shard in 0..self.settings.write_shards {
                shards.spawn(query_shard(
                    self.client.clone(),
                    self.table.clone(),
                    shard_pk(shard),
                    want,
                    before,
                    self.settings.consistent_reads,
                ));
            }
            while let Some(joined) = shards.join_next().await {
                let records = joined.map_err(|e| StoreError::Internal(e.to_string()))??;
                items.extend(records);
            }
            items.sort_unstable_by_key(|record| std::cmp::Reverse(record.id));
        }
        Ok(Page::from_overfetch(items, limit))
    }

    async fn probe_table(&self) -> Result<(), StoreError> {
        // Its own short bound and no retries: a dead store must turn the
        // health check red within about a second.
        let overrides = aws_sdk_dynamodb::config::Builder::default()
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(self.probe_timeout)
                    .operation_attempt_timeout(self.probe_timeout)
                    .connect_timeout(self.probe_timeout)
                    .build(),
            )
            .retry_config(RetryConfig::disabled());
        self.client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(PROBE_PK.to_owned()))
            .key(SK, s(PROBE_PK.to_owned()))
            .projection_expression(PK)
            .consistent_read(self.settings.consistent_reads)
            .customize()
            .config_override(overrides)
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

impl Store for DynamoStore {
    fn put(&self, record: Record, key: Option<IdempotencyKey>) -> StoreFuture<'_, PutOutcome> {
        Box::pin(async move {
            match key {
                Some(key) => self.put_idempotent(record, key).await,
                None => self.put_record(record).await,
            }
        })
    }

    fn list(&self, limit: PageLimit, before: Option<RecordId>) -> StoreFuture<'_, Page> {
        Box::pin(self.list_records(limit, before))
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        Box::pin(self.probe_table())
    }
}

/// Newest-first records of one shard older than `before`, at most `want`.
async fn query_shard(
    client: Client,
    table: String,
    pk: String,
    want: usize,
    before: Option<RecordId>,
    consistent: bool,
) -> Result<Vec<Record>, StoreError> {
    let mut records = Vec::with_capacity(want);
    let mut start = None;
    loop {
        let remaining = i32::try_from(want - records.len()).unwrap_or(i32::MAX);
        let mut query = client
            .query()
            .table_name(&table)
            .expression_attribute_values(":pk", s(pk.clone()))
            .scan_index_forward(false)
            .consistent_read(consistent)
            .limit(remaining)
            .set_exclusive_start_key(start);
        query = match before {
            Some(before) => query
                .key_condition_expression("pk = :pk AND sk < :before")
                .expression_attribute_values(":before", s(before.to_string())),
            None => query.key_condition_expression("pk = :pk"),
        };
        let output = query.send().await.map_err(classify)?;
        for item in output.items() {
            records.push(item_to_record(item)?);
        }
        // DynamoDB stops at 1 MB per response; only then is there more to read
        // for this page. The start key comes from DynamoDB, never from a client.
        start = output.last_evaluated_key;
        if start.is_none() || records.len() >= want {
            return Ok(records);
        }
    }
}

fn item_to_record(item: &HashMap<String, AttributeValue>) -> Result<Record, StoreError> {
    Ok(Record {
        id: get_s(item, SK)
            .and_then(RecordId::parse_canonical)
            .ok_or_else(malformed)?,
        epoch_millis: get_n(item, "epochMillis").ok_or_else(malformed)?,
        region: get_s(item, "region").ok_or_else(malformed)?.to_owned(),
    })
}

fn malformed() -> StoreError {
    StoreError::Internal("malformed item in table".into())
}

fn shard_pk(shard: u16) -> String {
    format!("rec#{shard}")
}

fn s(value: String) -> AttributeValue {
    AttributeValue::S(value)
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn get_s<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

fn get_n(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// Maps an SDK failure to what the client is told: throttling and outages are
/// retryable (`503`), anything else is a bug in this code (`500`).
fn classify<E>(err: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &err {
        SdkError::TimeoutError(_) => StoreError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => StoreError::Timeout,
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(DisplayErrorContext(&err).to_string())
        }
        SdkError::ServiceError(ctx) => match ctx.err().code() {
            Some(
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded",
            ) => StoreError::Throttled,
            Some("ResourceNotFoundException" | "InternalServerError" | "ServiceUnavailable")
            | Some("ReplicatedWriteConflictException") => {
                StoreError::Unavailable(DisplayErrorContext(&err).to_string())
            }
            _ if ctx.raw().status().is_server_error() => {
                StoreError::Unavailable(DisplayErrorContext(&err).to_string())
            }
            _ => StoreError::Internal(DisplayErrorContext(&err).to_string()),
        },
        _ => StoreError::Internal(DisplayErrorContext(&err).to_string()),
    }
}

/// Creates the table with the deployment's key schema and TTL attribute when
/// it does not exist: for local endpoints (moto, DynamoDB Local) in tests and
/// `make run`. The deployment's table is Terraform's.
pub async fn create_table_if_missing(client: &Client, table: &str) -> Result<(), StoreError> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => return Ok(()),
        Err(err) if err.code() == Some("ResourceNotFoundException") => {}
        Err(err) => return Err(classify(err)),
    }
    let mut create = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest);
    for (name, _, role) in KEY_SCHEMA {
        let key_type = if role == "HASH" {
            KeyType::Hash
        } else {
            KeyType::Range
        };
        let element = KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build();
        let definition = AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build();
        create = create
            .key_schema(element.map_err(|e| StoreError::Internal(e.to_string()))?)
            .attribute_definitions(definition.map_err(|e| StoreError::Internal(e.to_string()))?);
    }
    match create.send().await {
        Ok(_) => {}
        // Another process created it first.
        Err(err) if err.code() == Some("ResourceInUseException") => return Ok(()),
        Err(err) => return Err(classify(err)),
    }
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(TTL)
        .enabled(true)
        .build()
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}
