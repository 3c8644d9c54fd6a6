//! The store behind the handlers: a trait with a DynamoDB implementation for
//! the deployment and an in-memory one for tests and local runs. Both keep the
//! same contract: newest first, pagination by "records older than the
//! cursor", conditional writes, idempotent retries, and no record past its
//! retention in a listing. Lost answers and write shards concern DynamoDB only.

mod contract;
mod dynamodb;
mod memory;
mod settings;
mod shard_mark;

pub use contract::{Page, PutOutcome, Store, StoreError, StoreFuture};
pub use dynamodb::{create_table_if_missing, sdk_config, DynamoStore, KEY_SCHEMA};
pub use memory::MemoryStore;
pub use settings::{SdkSettings, StoreSettings};
