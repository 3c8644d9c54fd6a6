//! Store faults through the real SDK client: an endpoint that throttles every
//! call and one that accepts connections but never answers. Clients must get
//! `503` with `Retry-After`, never `500`, within the configured SDK bounds.

// Helpers outside #[test] fns may panic too: that is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the fake DynamoDB endpoint misbehaves.
#[derive(Clone, Copy)]
enum Fault {
    /// Answers every call with the error DynamoDB sends when throttling.
    Throttle,
    /// Accepts connections and reads requests but never answers.
    Hang,
}

/// A loopback DynamoDB endpoint with a fault; counts the requests it received.
async fn fake_dynamodb(fault: Fault) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, fault, counter.clone()));
        }
    });
    (endpoint, requests)
}

/// One HTTP/1.1 message (headers, then Content-Length bytes of body) from
/// `stream`, read past what `buffer` already holds; `None` at its end.
async fn read_message(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let headers = String::from_utf8_lossy(&buffer[..header_end]).to_ascii_lowercase();
    let length: usize = headers
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    Some(buffer.drain(..header_end + length).collect())
}

async fn serve(mut stream: TcpStream, fault: Fault, requests: Arc<AtomicUsize>) {
    let mut buffer = Vec::new();
    loop {
        if read_message(&mut stream, &mut buffer).await.is_none() {
            return;
        }
        requests.fetch_add(1, Ordering::SeqCst);
        match fault {
            Fault::Hang => tokio::time::sleep(Duration::from_secs(3600)).await,
            Fault::Throttle => {
                let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#;
                let response = format!(
                    "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-requestid: fake\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                if stream.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A loopback endpoint in front of `upstream` (moto) that answers every
/// request `delay` late: a store that is slow but works.
async fn slow_dynamodb(upstream: String, delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let mut from_client = Vec::new();
                while let Some(request) = read_message(&mut client, &mut from_client).await {
                    let Some(response) = forward(&upstream, &request).await else {
                        return;
                    };
                    tokio::time::sleep(delay).await;
                    if client.write_all(&response).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    endpoint
}

/// `request` sent to `upstream` on a connection of its own (moto closes
/// every connection after its answer), and the answer.
async fn forward(upstream: &str, request: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream.trim_start_matches("http://"))
        .await
        .ok()?;
    server.write_all(request).await.ok()?;
    read_message(&mut server, &mut Vec::new()).await
}

async fn app_against(endpoint: &str, extra: &[(&str, &str)]) -> epochstore::http::App {
    let mut vars = vec![("TABLE_NAME", "faults")];
    vars.extend_from_slice(extra);
    let config = config("eu-west-3", &vars);
    let client = dynamo_client(&config, endpoint).await;
    let store = epochstore::store::DynamoStore::new(
        client,
        config.table_name.clone(),
        config.store_settings(),
        config.sdk.probe_timeout,
    );
    epochstore::http::App::new(
        &config,
        Arc::new(store),
        epochstore::http::Route::ALL.to_vec(),
    )
}

#[tokio::test]
async fn throttling_is_503_with_retry_after_after_the_sdk_retries() {
    let (endpoint, requests) = fake_dynamodb(Fault::Throttle).await;
    let app = app_against(&endpoint, &[("DYNAMODB_MAX_ATTEMPTS", "3")]).await;
    // The listing reads the shard marks and its shard at once, each Query
    // retried up to the limit: a listing that cannot read the marks fails.
    for (request, calls) in [
        (event("POST", "/storeEpochTime"), 3),
        (
            event("POST", "/storeEpochTime").header("idempotency-key", "k"),
            3,
        ),
        (event("GET", "/getEpochStore"), 3 + 3),
    ] {
        let before = requests.load(Ordering::SeqCst);
        let answer = call(&app, request).await;
        assert_eq!(answer.status, 503);
        assert_eq!(answer.error_code(), "throttled");
        assert_eq!(answer.header("retry-after"), Some("1"));
        assert_eq!(
            requests.load(Ordering::SeqCst) - before,
            calls,
            "the SDK retried up to its limit"
        );
    }
    // Throttling means the store answers: the region stays in service.
    let health = call(&app, event("GET", "/health")).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["checks"]["store"], "throttled");
}

#[tokio::test]
async fn a_store_that_never_answers_is_503_within_the_configured_timeouts() {
    let (endpoint, _requests) = fake_dynamodb(Fault::Hang).await;
    let app = app_against(
        &endpoint,
        &[
            ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "300"),
            ("DYNAMODB_OPERATION_TIMEOUT_MS", "800"),
            ("HEALTH_PROBE_TIMEOUT_MS", "300"),
        ],
    )
    .await;
    for request in [
        event("POST", "/storeEpochTime"),
        event("GET", "/getEpochStore"),
    ] {
        let started = Instant::now();
        let answer = call(&app, request).await;
        assert_eq!(answer.status, 503);
        assert_eq!(answer.error_code(), "store_unavailable");
        assert_eq!(answer.header("retry-after"), Some("1"));
        // The operation timeout bounds the whole call, retries included.
        assert!(
            started.elapsed() < Duration::from_millis(2_000),
            "{:?}",
            started.elapsed()
        );
    }
    let started = Instant::now();
    let health = call(&app, event("GET", "/health")).await;
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["checks"]["store"], "timeout");
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        started.elapsed()
    );
}

/// The SDK bounds each DynamoDB call by the operation timeout, but a write
/// makes up to three in a row (shard mark, idempotency entry, record): the
/// whole request must end within the bound Terraform derives from the Lambda
/// timeout, or Lambda kills it and the client gets API Gateway's bare 500.
#[tokio::test]
async fn a_slow_store_is_503_within_the_operation_timeout_for_the_whole_request() {
    let moto = Moto::start();
    let endpoint = slow_dynamodb(moto.endpoint(), Duration::from_millis(600)).await;
    let config = config("eu-west-3", &[("TABLE_NAME", "faults")]);
    let setup = dynamo_client(&config, &moto.endpoint()).await;
    epochstore::store::create_table_if_missing(&setup, "faults")
        .await
        .expect("table");
    let app = app_against(
        &endpoint,
        &[
            ("WRITE_SHARDS", "2"),
            ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "1000"),
            ("DYNAMODB_OPERATION_TIMEOUT_MS", "1000"),
        ],
    )
    .await;
    let started = Instant::now();
    let answer = call(
        &app,
        event("POST", "/storeEpochTime").header("idempotency-key", "slow"),
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.error_code(), "store_unavailable", "{}", answer.body);
    assert!(elapsed < Duration::from_millis(1_500), "{elapsed:?}");
}
