//! The store behind the handlers: a trait with a DynamoDB implementation for
//! the deployment and an in-memory one for tests and local runs. Both list
//! newest first, paginate by "records older than the cursor", never
//! overwrite a record and replay an idempotency key (the contract in
//! `contract.rs`). They differ in how and when expired items go (DynamoDB's
//! TTL deletes them within days of expiry) and in consistency between
//! regions, which only the local emulation's replicas imitate.

mod contract;
mod dynamodb;
mod memory;
mod sdk;
mod settings;
mod tls;

pub use contract::{Page, PutOutcome, Store, StoreError, StoreFuture};
pub use dynamodb::{create_table_if_missing, DynamoStore, KEY_SCHEMA};
pub use memory::MemoryStore;
pub use sdk::sdk_config;
pub use settings::{SdkSettings, StoreSettings};
pub use tls::{TlsError, TlsSettings, TrustRoots};
