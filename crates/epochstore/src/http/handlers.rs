//! The three handlers: plain async functions from a request (and what they
//! need of the application: the store, the region, the health switch) to a
//! response.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::html;
use super::page::PageBody;
use super::query::{prefers_html, PageQuery};
use super::response::{json, set_header, with_content_type, ApiError};
use crate::domain::{Cursor, IdempotencyKey, Record};
use crate::health_switch::HealthSwitch;
use crate::store::{PutOutcome, Store, StoreError};

/// `POST /storeEpochTime`: stores the server's current UTC time. `201` with
/// the new record, or `200` with the first record when the `Idempotency-Key`
/// was used before.
pub async fn store_epoch_time(
    store: &dyn Store,
    region: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let key = idempotency_key(request)?;
    let record = Record::new(Utc::now(), region);
    let response = match store.put(record, key).await? {
        PutOutcome::Created(record) => json(StatusCode::CREATED, &record),
        PutOutcome::Replayed(record) => {
            let mut response = json(StatusCode::OK, &record);
            set_header(&mut response, "idempotent-replayed", "true");
            response
        }
    };
    Ok(response)
}

fn idempotency_key(request: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = request.headers().get_all("idempotency-key").iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::InvalidIdempotencyKey);
    }
    value
        .to_str()
        .ok()
        .and_then(IdempotencyKey::parse)
        .map(Some)
        .ok_or(ApiError::InvalidIdempotencyKey)
}

/// `GET /getEpochStore`: newest records first, as JSON or, for a browser, an
/// HTML table.
pub async fn get_epoch_store(
    store: &dyn Store,
    region: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let query = PageQuery::parse(request.uri().query())?;
    let page = store
        .list(query.limit, query.cursor.map(Cursor::id))
        .await?;
    let body = PageBody {
        items: &page.items,
        count: page.items.len(),
        next_cursor: page.next.map(|id| Cursor::after(id).encode()),
        region,
    };
    let accept = request
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok());
    if prefers_html(accept) {
        let mut response = with_content_type(
            StatusCode::OK,
            Body::Text(html::page(&body, query.limit)),
            "text/html; charset=utf-8",
        );
        set_header(
            &mut response,
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
        );
        return Ok(response);
    }
    Ok(json(StatusCode::OK, &body))
}

#[derive(Serialize)]
struct HealthBody<'a> {
    status: &'static str,
    region: &'a str,
    checks: Checks,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Checks {
    store: &'static str,
}

/// `GET /health`, polled by Route53 every 10 seconds from many places: one
/// bounded read of a single key, skipped altogether when `STATUS=fail`.
pub async fn health(store: &dyn Store, region: &str, switch: HealthSwitch) -> Response<Body> {
    let failure = match switch {
        HealthSwitch::Fail => Some((
            "skipped",
            "status_fail",
            "STATUS=fail: this region is drained for a failover drill",
        )),
        HealthSwitch::Ok => match store.probe().await {
            Ok(()) => None,
            Err(StoreError::Timeout) => Some((
                "timeout",
                "store_timeout",
                "the store did not answer in time",
            )),
            Err(StoreError::Throttled) => Some((
                "throttled",
                "store_throttled",
                "the store is throttling requests",
            )),
            Err(err) => {
                tracing::warn!(error = %err, "health probe failed");
                Some((
                    "unreachable",
                    "store_unreachable",
                    "the store is unreachable",
                ))
            }
        },
    };
    let (status, store, error) = match failure {
        None => (StatusCode::OK, "ok", None),
        Some((store, code, message)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            store,
            Some(serde_json::json!({"code": code, "message": message})),
        ),
    };
    let body = HealthBody {
        status: if error.is_none() { "ok" } else { "fail" },
        region,
        checks: Checks { store },
        error,
    };
    let mut response = json(status, &body);
    if status != StatusCode::OK {
        set_header(&mut response, "retry-after", "10");
    }
    response
}
