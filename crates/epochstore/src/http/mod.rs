//! The HTTP contract (API Gateway HTTP API, payload format 2.0), shared by the
//! three Lambda functions and the local emulation: exact routing, method
//! handling, body limit, security headers and one access-log line per request.

mod handlers;
mod html;
mod page;
mod query;
mod response;

use std::sync::Arc;
use std::time::Instant;

use lambda_http::http::{Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use tracing::Instrument;

pub use response::{ApiError, MAX_BODY_BYTES};

use crate::config::Config;
use crate::health_switch::HealthSwitch;
use crate::store::Store;
use crate::telemetry;

/// Response header naming the region that served the request.
pub const REGION_HEADER: &str = "x-epochstore-region";

/// The API's routes. Paths match exactly: no normalisation, no trailing slash,
/// no case folding, so `/getEpochStore/../health` is not the health check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    StoreEpochTime,
    GetEpochStore,
    Health,
}

impl Route {
    pub const ALL: [Route; 3] = [Route::StoreEpochTime, Route::GetEpochStore, Route::Health];

    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|route| route.path() == path)
    }

    pub fn path(self) -> &'static str {
        match self {
            Self::StoreEpochTime => "/storeEpochTime",
            Self::GetEpochStore => "/getEpochStore",
            Self::Health => "/health",
        }
    }

    /// The methods the route answers, for `Allow`.
    pub fn allow(self) -> &'static str {
        match self {
            Self::StoreEpochTime => "POST, OPTIONS",
            Self::GetEpochStore | Self::Health => "GET, HEAD, OPTIONS",
        }
    }

    fn accepts(self, method: &Method) -> bool {
        match self {
            Self::StoreEpochTime => method == Method::POST,
            Self::GetEpochStore | Self::Health => method == Method::GET || method == Method::HEAD,
        }
    }
}

/// What a handler needs: the store, the region it serves and the health
/// switch. `routes` are the routes this process owns (one per Lambda function,
/// all three in the local emulation); any other route is a `404`.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub region: String,
    pub health_switch: HealthSwitch,
    pub cors_allow_origin: Option<String>,
    pub routes: Vec<Route>,
}

impl App {
    pub fn new(config: &Config, store: Arc<dyn Store>, routes: Vec<Route>) -> Self {
        Self {
            store,
            region: config.region.clone(),
            health_switch: config.health_switch,
            cors_allow_origin: config.cors_allow_origin.clone(),
            routes,
        }
    }

    /// The answer to a request refused before it could be handed over (the
    /// local emulation's body limit, enforced while reading), with the
    /// headers every response of the API carries.
    pub fn refusal(&self, error: ApiError) -> Response<Body> {
        let mut response = error.into_response();
        self.finish(&mut response);
        response
    }

    /// Answers one request and logs it. Never fails: every outcome, including
    /// a store outage, is an HTTP response.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let started = Instant::now();
        let request_id = request_id(&request);
        let request_id = request_id.as_str();
        // Absent outside Lambda (the local emulation, tests).
        let trace_id = request
            .lambda_context_ref()
            .and_then(telemetry::trace_id)
            .map(str::to_owned);
        let trace_id = trace_id.as_deref();
        let method = request.method().clone();
        let route = self.route(&request);
        // Log lines inside the request (a store failure, say) carry its ids and region.
        let span = tracing::info_span!("request", request_id, trace_id, region = %self.region);
        let mut response = async {
            match route {
                Some(route) => self.dispatch(route, request).await,
                None => ApiError::NotFound.into_response(),
            }
        }
        .instrument(span)
        .await;
        self.finish(&mut response);
        let status = response.status().as_u16();
        let route_name = route.map_or("-", Route::path);
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        if response.status().is_server_error() {
            tracing::warn!(request_id, trace_id, region = %self.region, route = route_name, %method, status, latency_ms, "request");
        } else if route == Some(Route::Health) && response.status().is_success() {
            // Route53's checkers poll every 10 s from many places: passing
            // checks stay out of the logs (and the log bill) unless debugging.
            tracing::debug!(request_id, trace_id, region = %self.region, route = route_name, %method, status, latency_ms, "request");
        } else {
            tracing::info!(request_id, trace_id, region = %self.region, route = route_name, %method, status, latency_ms, "request");
        }
        response
    }

    fn route(&self, request: &Request) -> Option<Route> {
        Route::from_path(request.raw_http_path()).filter(|route| self.routes.contains(route))
    }

    async fn dispatch(&self, route: Route, request: Request) -> Response<Body> {
        let method = request.method();
        if method == Method::OPTIONS {
            return self.options(route);
        }
        if !route.accepts(method) {
            return ApiError::MethodNotAllowed(route.allow()).into_response();
        }
        if request.body().len() > MAX_BODY_BYTES {
            return ApiError::PayloadTooLarge.into_response();
        }
        let head = method == Method::HEAD;
        let result = match route {
            Route::StoreEpochTime => {
                handlers::store_epoch_time(self.store.as_ref(), &self.region, &request).await
            }
            Route::GetEpochStore => {
                handlers::get_epoch_store(self.store.as_ref(), &self.region, &request).await
            }
            Route::Health => {
                Ok(handlers::health(self.store.as_ref(), &self.region, self.health_switch).await)
            }
        };
        let mut response = result.unwrap_or_else(ApiError::into_response);
        if head {
            *response.body_mut() = Body::Empty;
        }
        response
    }

    fn options(&self, route: Route) -> Response<Body> {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        response::set_header(&mut response, "allow", route.allow());
        if self.cors_allow_origin.is_some() {
            response::set_header(&mut response, "access-control-allow-methods", route.allow());
            response::set_header(
                &mut response,
                "access-control-allow-headers",
                // authorization: the bearer token when writes need a JWT.
                "authorization, content-type, idempotency-key",
            );
            response::set_header(&mut response, "access-control-max-age", "600");
        }
        response
    }

    /// Headers every response carries.
    fn finish(&self, response: &mut Response<Body>) {
        response::set_header(response, REGION_HEADER, &self.region);
        response::set_header(response, "cache-control", "no-store");
        response::set_header(response, "x-content-type-options", "nosniff");
        if let Some(origin) = &self.cors_allow_origin {
            response::set_header(response, "access-control-allow-origin", origin);
            response::set_header(response, "access-control-expose-headers", REGION_HEADER);
        }
    }
}

/// The id that ties a log line to a request: Lambda's, else API Gateway's,
/// else the `x-request-id` header (the local front door sets it).
fn request_id(request: &Request) -> String {
    if let Some(context) = request.lambda_context_ref() {
        return context.request_id.clone();
    }
    if let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() {
        if let Some(id) = &context.request_id {
            return id.clone();
        }
    }
    request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}
