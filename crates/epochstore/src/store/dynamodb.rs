//! The DynamoDB store.
//!
//! Key schema (the same literals as `terraform/modules/…`, the contract
//! between code and infrastructure):
//!
//! | item        | `pk` (S, partition)   | `sk` (S, sort)           | other attributes                         |
//! |-------------|-----------------------|--------------------------|------------------------------------------|
//! | record      | `rec#<shard>`         | record id (UUIDv7 text)  | `epochMillis` N, `region` S, `expiresAt` N? |
//! | idempotency | `idem#<key>[#<sub>]`  | `idem`                   | `recordId`, `epochMillis`, `region`, `expiresAt` |
//! | shard mark  | `meta#shards`         | a shard count, `02`–`64` | none: one item per `WRITE_SHARDS` any writer used |
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
//! N × (limit + 1) items. Listings read every shard ever written (the
//! highest shard mark, one `Query`), so lowering `WRITE_SHARDS` hides
//! nothing; a listing that cannot read the marks fails.
//!
//! Writes are conditional (`attribute_not_exists(pk)`): a record is never
//! silently overwritten. A write with an idempotency key first claims the key
//! with a conditional put of its entry, then puts the record, so a retry
//! within the region finds the entry and returns the first record: exactly
//! once, also when an answer is lost and the SDK's retry meets the write it
//! repeats (see `existing_item`). A global table with multi-region eventual consistency does not
//! serialise those conditions between regions: a retry that reaches the
//! other region within the replication lag (typically under a second) can
//! store a second record; see the README.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use super::contract::{Page, PutOutcome, Store, StoreError, StoreFuture};
use super::settings::StoreSettings;
use super::shard_mark::ShardMark;
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
/// The partition of the shard marks: one item per shard count ever written
/// with, its sort key the count (see `shard_mark_sk`).
const SHARD_MARK_PK: &str = "meta#shards";

/// Attribute name, type and role of the table's key: the same literals as the
/// Terraform `aws_dynamodb_table` (a test keeps them equal).
pub const KEY_SCHEMA: [(&str, &str, &str); 2] = [(PK, "S", "HASH"), (SK, "S", "RANGE")];

pub struct DynamoStore {
    client: Client,
    table: String,
    settings: StoreSettings,
    probe_timeout: Duration,
    shard_mark: ShardMark,
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
            shard_mark: ShardMark::default(),
        }
    }

    /// Records this process's `WRITE_SHARDS` in the table before its first
    /// write, so that no listing, whatever its own `WRITE_SHARDS`, misses a
    /// shard records went to. Each shard count has an item of its own,
    /// written by a plain `PutItem`: writers with different counts never
    /// touch the same item, so neither a condition nor a global table's
    /// last-writer-wins between regions can lose one. Until it succeeds
    /// nothing is written.
    async fn record_shard_mark(&self) -> Result<(), StoreError> {
        if self.settings.write_shards <= 1 || self.shard_mark.is_raised() {
            return Ok(());
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(SHARD_MARK_PK.to_owned()))
            .item(SK, s(shard_mark_sk(self.settings.write_shards)))
            .send()
            .await
            .map_err(classify)?;
        self.shard_mark.set_raised();
        Ok(())
    }

    /// How many shards a listing reads: `WRITE_SHARDS`, or the highest count
    /// any writer recorded when higher (read at most once per
    /// `MARK_REFRESH`). A failed read fails the listing: a page that may
    /// miss shards must not look complete.
    async fn listed_shards(&self) -> Result<u16, StoreError> {
        let now = std::time::Instant::now();
        let mark = match self.shard_mark.fresh(now) {
            Some(mark) => mark,
            None => {
                let mark = self.read_shard_mark().await?;
                self.shard_mark.remember(mark, now);
                mark
            }
        };
        Ok(mark.max(self.settings.write_shards).max(1))
    }

    /// The highest shard count recorded: one `Query` of the marks (at most
    /// one item per count, 64 tiny items).
    async fn read_shard_mark(&self) -> Result<u16, StoreError> {
        let mut highest = 0;
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(SHARD_MARK_PK.to_owned()))
                .projection_expression(SK)
                .consistent_read(self.settings.consistent_reads)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(classify)?;
            highest = output
                .items()
                .iter()
                .filter_map(|item| get_s(item, SK).and_then(parse_shard_mark_sk))
                .fold(highest, u16::max);
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(highest);
            }
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

    /// Puts `record` unless an item with its key exists; `AlreadyThere` with
    /// that item's record when one does.
    async fn put_record_if_absent(&self, record: &Record) -> Result<Written, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.record_item(record)))
            .condition_expression(NOT_EXISTS)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Written::Stored),
            Err(err) => match existing_item(err)? {
                Some(item) => Ok(Written::AlreadyThere(item_to_record(&item)?)),
                None => Err(missing_old_item()),
            },
        }
    }

    /// A record id is fresh, so an item already at its key is this write's
    /// own first attempt whose answer was lost (see `existing_item`): same id,
    /// same attributes. Anything else is a genuine collision.
    async fn put_record(&self, record: Record) -> Result<PutOutcome, StoreError> {
        match self.put_record_if_absent(&record).await? {
            Written::Stored => Ok(PutOutcome::Created(record)),
            Written::AlreadyThere(existing) if existing == record => {
                Ok(PutOutcome::Created(record))
            }
            Written::AlreadyThere(_) => Err(StoreError::id_taken(record.id)),
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
    ///
    /// The failed condition returns the entry that holds the key
    /// (`ALL_OLD`), so no second read is needed: an entry naming this
    /// request's record id is this request's own claim, committed by an
    /// attempt whose answer was lost, and the write is still `Created`.
    async fn put_idempotent(
        &self,
        record: Record,
        key: IdempotencyKey,
    ) -> Result<PutOutcome, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(format!("idem#{}", key.as_str())))
            .item(SK, s(IDEMPOTENCY_SK.to_owned()))
            .item("recordId", s(record.id.to_string()))
            .item("epochMillis", n(record.epoch_millis))
            .item("region", s(record.region.clone()))
            .item(TTL, n(self.settings.idempotency_expiry(&record)))
            // An expired entry that TTL has not deleted yet no longer counts.
            .condition_expression("attribute_not_exists(pk) OR expiresAt < :now")
            .expression_attribute_values(":now", n(record.epoch_seconds()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let outcome = match result {
            Ok(_) => PutOutcome::Created(record),
            Err(err) => {
                let entry = existing_item(err)?.ok_or_else(missing_old_item)?;
                let first = entry_to_record(&entry)?;
                if first == record {
                    PutOutcome::Created(record)
                } else {
                    PutOutcome::Replayed(first)
                }
            }
        };
        let (PutOutcome::Created(record) | PutOutcome::Replayed(record)) = &outcome;
        // Present already when this is a replay of a completed write, a lost
        // answer's first attempt, or a concurrent retry got there first: the
        // same record in every case.
        self.put_record_if_absent(record).await?;
        Ok(outcome)
    }

    async fn list_records(
        &self,
        limit: PageLimit,
        before: Option<RecordId>,
    ) -> Result<Page, StoreError> {
        let want = limit.get() + 1;
        let now = chrono::Utc::now().timestamp();
        let own = self.settings.write_shards.max(1);
        // The marks (when not cached) are read while this process's own
        // shards are queried, so they cost no round trip unless higher. Both
        // run to the end (no cancelling), so a failure's retries are bounded
        // the same way whichever failed first.
        let (listed, known) = tokio::join!(
            self.listed_shards(),
            self.query_shards(0..own, want, before, now)
        );
        let (listed, mut items) = (listed?, known?);
        if listed > own {
            items.extend(self.query_shards(own..listed, want, before, now).await?);
        }
        items.sort_unstable_by_key(|record| std::cmp::Reverse(record.id));
        Ok(Page::from_overfetch(items, limit))
    }

    /// The newest `want` records (unsorted across shards) of each shard in
    /// `shards`, queried in parallel.
    async fn query_shards(
        &self,
        shards: std::ops::Range<u16>,
        want: usize,
        before: Option<RecordId>,
        now: i64,
    ) -> Result<Vec<Record>, StoreError> {
        let query = |shard| {
            query_shard(
                self.client.clone(),
                self.table.clone(),
                shard_pk(shard),
                want,
                before,
                self.settings.consistent_reads,
                now,
            )
        };
        if shards.len() == 1 {
            return query(shards.start).await;
        }
        let mut queries = tokio::task::JoinSet::new();
        for shard in shards {
            queries.spawn(query(shard));
        }
        let mut items = Vec::new();
        while let Some(joined) = queries.join_next().await {
            items.extend(joined.map_err(|e| StoreError::Internal(e.to_string()))??);
        }
        Ok(items)
    }

    /// `operation`, ended with `Timeout` once the client's operation timeout
    /// has passed. The SDK bounds each call by it, but a put or a listing
    /// makes several one after the other (shard mark, idempotency entry,
    /// record; marks, then more shards or pages), and Terraform derives the
    /// bound from the Lambda timeout for the whole request.
    async fn within_operation_timeout<T>(
        &self,
        operation: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let bound = self
            .client
            .config()
            .timeout_config()
            .and_then(TimeoutConfig::operation_timeout);
        match bound {
            Some(bound) => tokio::time::timeout(bound, operation)
                .await
                .unwrap_or(Err(StoreError::Timeout)),
            None => operation.await,
        }
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
        Box::pin(self.within_operation_timeout(async move {
            self.record_shard_mark().await?;
            match key {
                Some(key) => self.put_idempotent(record, key).await,
                None => self.put_record(record).await,
            }
        }))
    }

    fn list(&self, limit: PageLimit, before: Option<RecordId>) -> StoreFuture<'_, Page> {
        Box::pin(self.within_operation_timeout(self.list_records(limit, before)))
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        Box::pin(self.probe_table())
    }
}

/// Newest-first records of one shard older than `before` and not expired at
/// `now` (Unix seconds), at most `want`.
async fn query_shard(
    client: Client,
    table: String,
    pk: String,
    want: usize,
    before: Option<RecordId>,
    consistent: bool,
    now: i64,
) -> Result<Vec<Record>, StoreError> {
    let mut records = Vec::with_capacity(want);
    let mut start = None;
    loop {
        let remaining = i32::try_from(want - records.len()).unwrap_or(i32::MAX);
        let mut query = client
            .query()
            .table_name(&table)
            .expression_attribute_values(":pk", s(pk.clone()))
            // TTL deletes an expired item within days, not at its expiry
            // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html):
            // a listing never shows one. `Limit` counts the items read before
            // this filter, so a short page with a `LastEvaluatedKey` only
            // means "read on" (the loop below).
            .filter_expression("attribute_not_exists(expiresAt) OR expiresAt >= :now")
            .expression_attribute_values(":now", n(now))
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

/// What a conditional put of a record found.
enum Written {
    Stored,
    /// An item already had the key: the record it holds.
    AlreadyThere(Record),
}

type Item = HashMap<String, AttributeValue>;

/// The item that failed a conditional put's condition, or the failure.
///
/// Why a put can fail its condition against its own write: the SDK's
/// standard retry repeats an attempt whose answer never arrived (connection
/// closed, attempt timeout) or was a 5xx, although DynamoDB may have
/// committed it ("Retry behavior", AWS SDKs and Tools Reference Guide:
/// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html;
/// "Error handling with DynamoDB":
/// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
/// `ReturnValuesOnConditionCheckFailure = ALL_OLD` makes the failure carry
/// the item that is there, at no read cost (PutItem API reference:
/// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure),
/// so the caller can recognise its own write.
fn existing_item(err: SdkError<PutItemError, HttpResponse>) -> Result<Option<Item>, StoreError> {
    if let SdkError::ServiceError(ctx) = &err {
        if let PutItemError::ConditionalCheckFailedException(failed) = ctx.err() {
            return Ok(failed.item.clone());
        }
    }
    Err(classify(err))
}

/// A condition on `attribute_not_exists(pk)` fails only when an item exists,
/// and `ALL_OLD` returns it: without it this is not the DynamoDB API.
fn missing_old_item() -> StoreError {
    StoreError::Internal("conditional check failed without the existing item".into())
}

/// The first record an idempotency entry holds.
fn entry_to_record(item: &Item) -> Result<Record, StoreError> {
    Ok(Record {
        id: get_s(item, "recordId")
            .and_then(RecordId::parse_canonical)
            .ok_or_else(malformed)?,
        epoch_millis: get_n(item, "epochMillis").ok_or_else(malformed)?,
        region: get_s(item, "region").ok_or_else(malformed)?.to_owned(),
    })
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

/// A shard mark's sort key: the count, zero-padded so that the marks sort
/// by count.
fn shard_mark_sk(shards: u16) -> String {
    format!("{shards:02}")
}

/// The count a mark's sort key records; `None` for one no writer could
/// have put (not a count `WRITE_SHARDS` allows), which hides nothing.
fn parse_shard_mark_sk(sk: &str) -> Option<u16> {
    sk.parse()
        .ok()
        .filter(|shards| (1..=StoreSettings::MAX_WRITE_SHARDS).contains(shards))
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
