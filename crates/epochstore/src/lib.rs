//! epochstore: stores the current epoch time in DynamoDB and lists it back,
//! behind API Gateway HTTP API and three Lambda functions.
//!
//! - [`domain`]: records, ids, cursors, limits, idempotency keys.
//! - [`store`]: the [`store::Store`] trait with DynamoDB and in-memory implementations.
//! - [`http`]: the HTTP contract and the three handlers.
//! - [`config`], [`telemetry`], [`lambda`]: what the binaries wire together;
//!   [`env`] reads environment variables, [`health_switch`] is `STATUS`.

pub mod config;
pub mod domain;
pub mod env;
pub mod health_switch;
pub mod http;
pub mod lambda;
pub mod store;
pub mod telemetry;
