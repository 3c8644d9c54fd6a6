//! `x-request-id`: set by the front door (or the region, for a request sent
//! to it directly) when the client did not, so that every log line of a
//! request carries the same id.

use hyper::header::{HeaderName, HeaderValue};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Sets `x-request-id` when the client (or the front door) did not.
pub fn ensure_request_id(headers: &mut hyper::HeaderMap) {
    if headers.contains_key(REQUEST_ID_HEADER) {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(&uuid::Uuid::now_v7().to_string()) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
}
