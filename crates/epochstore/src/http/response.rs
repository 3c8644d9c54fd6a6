//! Response building: JSON bodies, the error contract and header helpers.

use lambda_http::http::header::{HeaderName, HeaderValue};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::domain::{IdempotencyKey, PageLimit};
use crate::store::StoreError;

/// Requests with a larger body are refused with `413`; bodies are otherwise ignored.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Seconds a client should wait before retrying a `503`.
const RETRY_AFTER_SECONDS: &str = "1";

/// Every failure a client can see. Each becomes
/// `{"error": {"code": ..., "message": ...}}` with its status; messages say
/// what is allowed and never carry internals.
#[derive(Debug, PartialEq)]
pub enum ApiError {
    InvalidLimit,
    InvalidCursor,
    InvalidQuery(&'static str),
    InvalidIdempotencyKey,
    NotFound,
    MethodNotAllowed(&'static str),
    PayloadTooLarge,
    Store(StoreError),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::InvalidLimit
            | Self::InvalidCursor
            | Self::InvalidQuery(_)
            | Self::InvalidIdempotencyKey => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Store(StoreError::Internal(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::InvalidLimit => "invalid_limit",
            Self::InvalidCursor => "invalid_cursor",
            Self::InvalidQuery(_) => "invalid_query",
            Self::InvalidIdempotencyKey => "invalid_idempotency_key",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Store(StoreError::Throttled) => "throttled",
            Self::Store(StoreError::Internal(_)) => "internal_error",
            Self::Store(_) => "store_unavailable",
        }
    }

    fn message(&self) -> String {
        match self {
            Self::InvalidLimit => format!(
                "limit must be a whole number from {} to {} (default {})",
                PageLimit::MIN,
                PageLimit::MAX,
                PageLimit::DEFAULT.get()
            ),
            Self::InvalidCursor => {
                "cursor must be the nextCursor value of a previous page, unchanged".into()
            }
            Self::InvalidQuery(what) => (*what).into(),
            Self::InvalidIdempotencyKey => format!(
                "Idempotency-Key must be 1 to {} characters of A-Z a-z 0-9 . _ : -",
                IdempotencyKey::MAX_LEN
            ),
            Self::NotFound => {
                "no such route: this API serves POST /storeEpochTime, GET /getEpochStore and GET /health"
                    .into()
            }
            Self::MethodNotAllowed(allow) => format!("method not allowed here; allowed: {allow}"),
            Self::PayloadTooLarge => format!(
                "request body too large: at most {} bytes (the body is ignored)",
                MAX_BODY_BYTES
            ),
            Self::Store(StoreError::Throttled) => {
                "the store is busy; retry after the Retry-After delay".into()
            }
            Self::Store(StoreError::Internal(_)) => "internal error".into(),
            Self::Store(_) => "the store is unavailable; retry after the Retry-After delay".into(),
        }
    }

    pub fn into_response(self) -> Response<Body> {
        // The detail goes to the log, never to the client. Throttles,
        // timeouts and outages are operating conditions the client retries
        // (`warn`); only a fault that needs a human is an `error`.
        match &self {
            Self::Store(err @ StoreError::Internal(_)) => {
                tracing::error!(error = %err, "store failure");
            }
            Self::Store(err) => tracing::warn!(error = %err, "store failure"),
            _ => {}
        }
        let body = serde_json::json!({"error": {"code": self.code(), "message": self.message()}});
        let mut response = json(self.status(), &body);
        match &self {
            Self::MethodNotAllowed(allow) => set_header(&mut response, "allow", allow),
            Self::Store(StoreError::Internal(_)) => {}
            Self::Store(_) => set_header(&mut response, "retry-after", RETRY_AFTER_SECONDS),
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

/// A JSON response. Serialising the crate's own types cannot fail; if it
/// ever did, the client gets a plain `500` rather than a panic.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(text) => with_content_type(status, Body::Text(text), "application/json"),
        Err(err) => {
            tracing::error!(error = %err, "response serialisation failed");
            with_content_type(
                StatusCode::INTERNAL_SERVER_ERROR,
                Body::Text(
                    r#"{"error":{"code":"internal_error","message":"internal error"}}"#.into(),
                ),
                "application/json",
            )
        }
    }
}

pub fn with_content_type(status: StatusCode, body: Body, content_type: &str) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    set_header(&mut response, "content-type", content_type);
    response
}

/// Sets a header from trusted text (names and values this crate chose, or a
/// configured origin); a value that is not a valid header is left out.
pub fn set_header(response: &mut Response<Body>, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
}
