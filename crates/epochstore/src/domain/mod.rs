//! The domain: stored records, their ids, and the validated values that come
//! from untrusted input (page limit, cursor, idempotency key), each in the
//! file named after it.

mod cursor;
mod idempotency_key;
mod page_limit;
mod record;

pub use cursor::Cursor;
pub use idempotency_key::IdempotencyKey;
pub use page_limit::PageLimit;
pub use record::{Record, RecordId};
