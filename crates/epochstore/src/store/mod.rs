//! The store behind the handlers: a trait with a DynamoDB implementation for
//! the deployment and an in-memory one for tests and local runs. Both keep the
//! contract in `contract.rs`: newest first, pagination by "records older than
//! the cursor", no overwritten record, idempotent retries, and no record past
//! its retention in a listing. They differ in when expired items are deleted
//! (DynamoDB's TTL: within days of expiry) and in consistency between regions,
//! which only the local emulation's replicas imitate; lost answers and write
//! shards concern DynamoDB only.

mod contract;
mod dynamodb;
mod memory;
mod sdk;
mod settings;
mod shard_mark;
mod tls;

pub use contract::{Page, PutOutcome, Store, StoreError, StoreFuture};
pub use dynamodb::{create_table_if_missing, DynamoStore, KEY_SCHEMA};
pub use memory::MemoryStore;
pub use sdk::sdk_config;
pub use settings::{SdkSettings, StoreSettings};
pub use tls::{TlsError, TlsSettings, TrustRoots};
