//! What each Lambda binary runs: read the configuration, build one DynamoDB
//! client, then serve invocations until Lambda stops the process.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use lambda_http::lambda_runtime::{LambdaInvocation, Runtime};
use lambda_http::request::LambdaRequest;
use lambda_http::tower::Layer;
use lambda_http::{service_fn, Adapter, LambdaEvent, Request, Service};
use lambda_runtime_api_client::{body::Body, build_request, PooledClient};
use tracing::instrument::{Instrument, Instrumented};

use crate::config::Config;
use crate::http::{App, Route};
use crate::store::{sdk_config, DynamoStore, TlsError};
use crate::telemetry;

/// Runs the function that owns `routes`. Invalid configuration (trust roots
/// included) is reported to Lambda's `/init/error` and ends the cold start;
/// init never calls DynamoDB (the first request does).
pub async fn run(routes: &[Route]) -> Result<(), lambda_http::Error> {
    telemetry::init();
    let app = match init(routes).await {
        Ok(app) => Arc::new(app),
        Err(err) => {
            tracing::error!(error = %err, "cold start failed");
            report_init_error(&err.to_string()).await;
            return Err(err);
        }
    };
    let mut adapter = Adapter::from(service_fn(move |request: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Infallible>(app.handle(request).await) }
    }));
    let handler = service_fn(move |mut event: LambdaEvent<LambdaRequest>| {
        if let LambdaRequest::ApiGatewayV2(request) = &mut event.payload {
            encode_raw_query(&mut request.raw_query_string);
        }
        adapter.call(event)
    });
    // What `lambda_runtime::run` does, with our invocation span in place of its own.
    Runtime::new(handler).layer(InvocationSpan).run().await
}

/// Wraps every invocation in a span with its `request_id` and X-Ray
/// `trace_id`, the names the application's lines use, so the runtime's own
/// lines (an event that is not an API request, say) carry them too.
/// lambda_runtime's default span names them `requestId` and `xrayTraceId`
/// (the whole trace header).
struct InvocationSpan;

impl<S> Layer<S> for InvocationSpan {
    type Service = WithInvocationSpan<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithInvocationSpan(inner)
    }
}

struct WithInvocationSpan<S>(S);

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for WithInvocationSpan<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = Instrumented<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        let context = &invocation.context;
        let span = tracing::info_span!(
            "invocation",
            request_id = %context.request_id,
            trace_id = telemetry::trace_id(context),
        );
        // Entered while the handler builds its future, so spans it opens nest.
        let future = span.in_scope(|| self.0.call(invocation));
        future.instrument(span)
    }
}

/// API Gateway passes the query string as the client sent it, and lambda_http
/// panics building a URI from a raw space, `"`, `<` or `>`. Percent-encoding
/// what a URI cannot hold turns such a request into an ordinary bad query
/// (a `400`, or ignored for unknown parameters) instead of a crashed invocation.
fn encode_raw_query(raw: &mut Option<String>) {
    let needs_encoding = |b: u8| b <= b' ' || b >= 0x7f || matches!(b, b'"' | b'<' | b'>');
    if let Some(query) = raw.as_mut().filter(|q| q.bytes().any(needs_encoding)) {
        let mut encoded = String::with_capacity(query.len() * 3);
        for b in query.bytes() {
            if needs_encoding(b) {
                encoded.push_str(&format!("%{b:02X}"));
            } else {
                encoded.push(char::from(b));
            }
        }
        *query = encoded;
    }
}

/// The init phase: configuration from the environment, then the application.
async fn init(routes: &[Route]) -> Result<App, lambda_http::Error> {
    let config = Config::from_env()?;
    Ok(app(&config, routes.to_vec()).await?)
}

/// The application on DynamoDB for `config`: the one SDK client of this
/// process is built here, in the init phase.
pub async fn app(config: &Config, routes: Vec<Route>) -> Result<App, TlsError> {
    let (_, store) = dynamo_store(config).await?;
    Ok(App::new(config, Arc::new(store), routes))
}

/// The DynamoDB client for `config` and the store on it (the client too, for
/// callers that manage the table, such as the local emulation).
pub async fn dynamo_store(
    config: &Config,
) -> Result<(aws_sdk_dynamodb::Client, DynamoStore), TlsError> {
    let sdk = sdk_config(&config.region, &config.sdk).await?;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let store = DynamoStore::new(
        client.clone(),
        config.table_name.clone(),
        config.store_settings(),
        config.sdk.probe_timeout,
    );
    Ok((client, store))
}

async fn report_init_error(message: &str) {
    let body = serde_json::json!({"errorType": "Runtime.InitError", "errorMessage": message});
    let request = build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", "Runtime.InitError")
        .body(Body::from(body.to_string()));
    let Ok(request) = request else {
        return;
    };
    if let Err(err) = PooledClient::builder().build().call(request).await {
        tracing::error!(error = %err, "could not report the init error to the Runtime API");
    }
}

#[cfg(test)]
mod tests {
    use lambda_http::request::LambdaRequest;

    use super::encode_raw_query;

    /// An HTTP API event whose raw query holds a space, as API Gateway
    /// passes it on when a client sends one.
    fn event_with_a_raw_space() -> LambdaRequest {
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": "GET /getEpochStore",
            "rawPath": "/getEpochStore",
            "rawQueryString": "limit=5&x=a b",
            "headers": {"host": "abc123.execute-api.eu-central-1.amazonaws.com"},
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc123",
                "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
                "http": {"method": "GET", "path": "/getEpochStore", "protocol": "HTTP/1.1",
                         "sourceIp": "203.0.113.9", "userAgent": "curl/8.5.0"},
                "requestId": "id",
                "routeKey": "GET /getEpochStore",
                "stage": "$default",
                "time": "23/Nov/2026:19:46:07 +0000",
                "timeEpoch": 1795463167000_i64
            },
            "isBase64Encoded": false
        });
        serde_json::from_value(event).expect("an HTTP API event")
    }

    /// Why `encode_raw_query` exists: lambda_http's own conversion panics on
    /// such an event. When this test fails, an upgrade of lambda_http has
    /// fixed it: delete `encode_raw_query`, its call in `run` and this test.
    #[test]
    fn lambda_http_still_panics_on_a_raw_space_in_the_query() {
        let event = event_with_a_raw_space();
        let converted = std::panic::catch_unwind(move || lambda_http::Request::from(event));
        assert!(
            converted.is_err(),
            "lambda_http now converts a raw query with a space: encode_raw_query can go"
        );
    }

    #[test]
    fn the_encoded_query_converts_and_keeps_its_parameters() {
        let mut event = event_with_a_raw_space();
        if let LambdaRequest::ApiGatewayV2(request) = &mut event {
            encode_raw_query(&mut request.raw_query_string);
        }
        let request = lambda_http::Request::from(event);
        assert_eq!(request.uri().query(), Some("limit=5&x=a%20b"));
    }

    #[test]
    fn raw_queries_are_made_valid_uri_text() {
        let mut query = Some("limit=5&x=\"<a b>\"&y=é".to_owned());
        encode_raw_query(&mut query);
        assert_eq!(
            query.as_deref(),
            Some("limit=5&x=%22%3Ca%20b%3E%22&y=%C3%A9")
        );
        let mut plain = Some("limit=5&cursor=0a".to_owned());
        encode_raw_query(&mut plain);
        assert_eq!(plain.as_deref(), Some("limit=5&cursor=0a"));
        let mut none = None;
        encode_raw_query(&mut none);
        assert_eq!(none, None);
    }
}
