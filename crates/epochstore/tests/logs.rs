//! The log lines a request writes, captured in the production JSON format:
//! every line carries the request id and, under Lambda, the X-Ray trace id.

// Helpers outside #[test] fns may panic too: that is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io;
use std::sync::{Arc, Mutex};

use epochstore::store::StoreError;
use lambda_http::{Context, Request, RequestExt};
use serde_json::Value;
use support::*;
use tracing::level_filters::LevelFilter;

const TRACE_HEADER: &str =
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
const TRACE_ID: &str = "1-5759e988-bd862e3fe1be46a994272793";

/// Where the subscriber writes: a buffer shared with the test.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl io::Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn json(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("lock").clone();
        String::from_utf8(bytes)
            .expect("UTF-8 log output")
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }
}

/// Handles `request` on a store that fails every call (so the request logs a
/// line of its own before the access line) and returns the JSON lines written.
async fn logged_lines(request: Request) -> Vec<Value> {
    logged_lines_on(
        request,
        StoreError::Unavailable("connection refused".into()),
        503,
    )
    .await
}

/// Handles `request` on a store that fails every call with `fault`.
async fn logged_lines_on(request: Request, fault: StoreError, status: u16) -> Vec<Value> {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber =
        epochstore::telemetry::json_subscriber(LevelFilter::INFO, move || writer.clone());
    let app = app_on(Arc::new(FaultStore::failing(fault)), REGION, &[]);
    let _guard = tracing::subscriber::set_default(subscriber);
    let response = app.handle(request).await;
    assert_eq!(response.status(), status);
    lines.json()
}

fn invocation(request_id: &str, trace_header: Option<&str>) -> Request {
    let mut context = Context::default();
    context.request_id = request_id.to_owned();
    context.xray_trace_id = trace_header.map(str::to_owned);
    event("POST", "/storeEpochTime")
        .request()
        .with_lambda_context(context)
}

/// The store-failure line (inside the request's span) and the access line.
fn store_failure_and_access(lines: &[Value]) -> (&Value, &Value) {
    let find = |message: &str| {
        lines
            .iter()
            .find(|line| line["message"] == message)
            .unwrap_or_else(|| panic!("no {message:?} line in {lines:?}"))
    };
    (find("store failure"), find("request"))
}

#[tokio::test]
async fn under_lambda_every_line_carries_the_root_trace_id_beside_the_request_id() {
    let lines = logged_lines(invocation("req-1", Some(TRACE_HEADER))).await;
    let (inner, access) = store_failure_and_access(&lines);

    assert_eq!(inner["span"]["request_id"], "req-1");
    assert_eq!(inner["span"]["trace_id"], TRACE_ID);
    assert_eq!(inner["span"]["region"], REGION);
    assert_eq!(access["request_id"], "req-1");
    assert_eq!(access["trace_id"], TRACE_ID);
    assert_eq!(access["status"], 503);
}

#[tokio::test]
async fn without_a_trace_id_the_field_is_absent_not_invented() {
    let lambda_without_tracing = logged_lines(invocation("req-2", None)).await;
    let trace_header_without_root = logged_lines(invocation("req-3", Some("Sampled=0"))).await;
    let outside_lambda = logged_lines(event("POST", "/storeEpochTime").request()).await;

    for (lines, request_id) in [
        (lambda_without_tracing, "req-2"),
        (trace_header_without_root, "req-3"),
        (outside_lambda, "JKJaXmPLvHcESHA="),
    ] {
        let (inner, access) = store_failure_and_access(&lines);
        assert_eq!(inner["span"]["request_id"], request_id);
        assert_eq!(access["request_id"], request_id);
        for line in &lines {
            assert!(line.get("trace_id").is_none(), "{line}");
            assert!(line["span"].get("trace_id").is_none(), "{line}");
        }
    }
}

#[tokio::test]
async fn retryable_store_conditions_log_at_warn_and_only_internal_faults_at_error() {
    let cases = [
        (StoreError::Throttled, 503, "WARN"),
        (StoreError::Timeout, 503, "WARN"),
        (
            StoreError::Unavailable("connection reset".into()),
            503,
            "WARN",
        ),
        (
            StoreError::Internal("ValidationException".into()),
            500,
            "ERROR",
        ),
    ];
    for (fault, status, level) in cases {
        let lines =
            logged_lines_on(event("POST", "/storeEpochTime").request(), fault, status).await;
        let (inner, _access) = store_failure_and_access(&lines);
        assert_eq!(inner["level"], level, "{inner}");
    }
    // A throttled health probe keeps the region in service and says why at warn.
    let lines = logged_lines_on(
        event("GET", "/health").request(),
        StoreError::Throttled,
        200,
    )
    .await;
    let probe = lines
        .iter()
        .find(|line| line["message"] == "health probe throttled; the region stays in service")
        .unwrap_or_else(|| panic!("no probe line in {lines:?}"));
    assert_eq!(probe["level"], "WARN");
}
