//! The three handlers: plain async functions from a request (and what they
//! need of the application: the store, the region, the health switch) to a
//! response.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
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
    let key = value
        .to_str()
        .ok()
        .and_then(IdempotencyKey::parse)
        .ok_or(ApiError::InvalidIdempotencyKey)?;
    Ok(Some(match jwt_subject(request) {
        Some(subject) => key.scoped_to(subject),
        None => key,
    }))
}

/// The validated token's subject when the route needs a JWT: API Gateway's
/// JWT authorizer passes the claims in `requestContext.authorizer.jwt.claims`
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html).
/// Keys are then per caller, so one caller cannot claim a key another will
/// use and be answered with its record.
fn jwt_subject(request: &Request) -> Option<&str> {
    let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() else {
        return None;
    };
    context
        .authorizer
        .as_ref()?
        .jwt
        .as_ref()?
        .claims
        .get("sub")
        .map(String::as_str)
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
    // The same URL answers JSON or HTML by `Accept`: caches must key on it.
    let mut response = if prefers_html(accept) {
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
        response
    } else {
        json(StatusCode::OK, &body)
    };
    set_header(&mut response, "vary", "accept");
    Ok(response)
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
        HealthSwitch::Fail => Err((
            "skipped",
            "status_fail",
            "STATUS=fail: this region is drained for a failover drill",
        )),
        HealthSwitch::Ok => match store.probe().await {
            Ok(()) => Ok("ok"),
            // A throttled store answers: the region stays in service, since
            // moving traffic to a replica that receives every write anyway
            // does not relieve it (README, the /health table).
            Err(StoreError::Throttled) => {
                tracing::warn!("health probe throttled; the region stays in service");
                Ok("throttled")
            }
            Err(StoreError::Timeout) => {
                tracing::warn!("health probe timed out");
                Err((
                    "timeout",
                    "store_timeout",
                    "the store did not answer in time",
                ))
            }
            Err(err) => {
                tracing::warn!(error = %err, "health probe failed");
                Err((
                    "unreachable",
                    "store_unreachable",
                    "the store is unreachable",
                ))
            }
        },
    };
    let (status, store, error) = match failure {
        Ok(store) => (StatusCode::OK, store, None),
        Err((store, code, message)) => (
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
