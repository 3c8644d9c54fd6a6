//! Warm handler latency, in process, on the in-memory store: the work one
//! warm Lambda invocation does between the runtime handing over the decoded
//! request and getting the response back (routing, validation, the store
//! call, JSON encoding, headers, the access-log line).
//!
//! `cargo bench -p epochstore --bench handlers` (release profile). A plain
//! harness (`harness = false`): a warm-up, then many iterations each timed
//! with `Instant`, percentiles over all of them. Each request is decoded
//! from a real API Gateway HTTP API v2 event before its timer starts. Two
//! logging set-ups: no subscriber, and the production JSON subscriber
//! writing to a sink (what a warm Lambda pays per request, less the pipe).
//! Prints one JSON object on stdout for `bench/bench.py`, a summary on stderr.
//!
//! Environment: `BENCH_ITERATIONS` (default 20000), `BENCH_WARMUP` (2000),
//! `BENCH_RECORDS` (records stored before the GETs, 1000).

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use epochstore::config::Config;
use epochstore::env::Env;
use epochstore::http::{App, Route};
use epochstore::store::MemoryStore;
use lambda_http::Request;
use serde_json::{json, Value};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The tests' event builder, so the bench decodes the same events.
#[path = "../tests/support/event.rs"]
mod api_gateway;

/// An API Gateway HTTP API event as a client behind a proxy sends it.
fn event(method: &'static str, path_and_query: &str, accept: &str) -> String {
    api_gateway::event(method, path_and_query)
        .header("accept", accept)
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-port", "443")
        .header("x-forwarded-proto", "https")
        .to_json()
        .to_string()
}

struct Case {
    name: &'static str,
    event: String,
    expect_status: u16,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    micros(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn measure(app: &App, case: &Case, warmup: usize, iterations: usize) -> Result<Value> {
    let mut times = Vec::with_capacity(iterations);
    let mut decode = Vec::with_capacity(iterations);
    for i in 0..warmup + iterations {
        let decode_start = Instant::now();
        let request: Request = lambda_http::request::from_str(&case.event)?;
        let decoded = decode_start.elapsed();
        let start = Instant::now();
        let response = app.handle(request).await;
        let elapsed = start.elapsed();
        if response.status().as_u16() != case.expect_status {
            return Err(format!("{}: status {}", case.name, response.status()).into());
        }
        drop(response);
        if i >= warmup {
            times.push(elapsed);
            decode.push(decoded);
        }
    }
    let mean = times.iter().map(|d| micros(*d)).sum::<f64>() / times.len().max(1) as f64;
    times.sort_unstable();
    decode.sort_unstable();
    Ok(json!({
        "iterations": iterations,
        "warmup": warmup,
        "p50_us": percentile(&times, 50.0),
        "p90_us": percentile(&times, 90.0),
        "p99_us": percentile(&times, 99.0),
        "p999_us": percentile(&times, 99.9),
        "max_us": percentile(&times, 100.0),
        "mean_us": mean,
        "event_decode_p50_us": percentile(&decode, 50.0),
    }))
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run_all(
    cases: &[Case],
    warmup: usize,
    iterations: usize,
    records: usize,
) -> Result<Value> {
    let config = Config::from_vars(&Env::from_pairs(&[
        ("TABLE_NAME", "epochstore-bench"),
        ("AWS_REGION", "eu-central-1"),
    ]))?;
    let store = Arc::new(MemoryStore::new(config.store_settings()));
    let app = App::new(&config, store.clone(), Route::ALL.to_vec());
    // Pre-fill through the handler, the way records arrive in production.
    let post = event("POST", "/storeEpochTime", "*/*");
    while store.len() < records {
        let response = app.handle(lambda_http::request::from_str(&post)?).await;
        if response.status().as_u16() != 201 {
            return Err(format!("pre-fill: status {}", response.status()).into());
        }
    }
    let mut results = serde_json::Map::new();
    for case in cases {
        let result = measure(&app, case, warmup, iterations).await?;
        results.insert(case.name.to_owned(), result);
    }
    results.insert("records_before".to_owned(), json!(records));
    results.insert("records_after".to_owned(), json!(store.len()));
    Ok(Value::Object(results))
}

fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; this harness takes no arguments.
    let iterations = env_usize("BENCH_ITERATIONS", 20_000);
    let warmup = env_usize("BENCH_WARMUP", 2_000);
    let records = env_usize("BENCH_RECORDS", 1_000);
    let cases = [
        Case {
            name: "POST /storeEpochTime",
            event: event("POST", "/storeEpochTime", "*/*"),
            expect_status: 201,
        },
        Case {
            name: "GET /getEpochStore?limit=100",
            event: event("GET", "/getEpochStore?limit=100", "*/*"),
            expect_status: 200,
        },
        Case {
            name: "GET /getEpochStore?limit=100 (HTML)",
            event: event(
                "GET",
                "/getEpochStore?limit=100",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
            expect_status: 200,
        },
        Case {
            name: "GET /health",
            event: event("GET", "/health", "*/*"),
            expect_status: 200,
        },
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let quiet = runtime.block_on(run_all(&cases, warmup, iterations, records))?;
    // The production log format, written to a sink.
    let subscriber = epochstore::telemetry::json_subscriber(
        tracing::level_filters::LevelFilter::INFO,
        std::io::sink,
    );
    let logged = tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(run_all(&cases, warmup, iterations, records))
    })?;
    for (label, results) in [("no log subscriber", &quiet), ("JSON log lines", &logged)] {
        for case in &cases {
            let r = &results[case.name];
            eprintln!(
                "{:<40} {:<18} p50 {:>8.2} µs  p99 {:>8.2} µs  max {:>9.2} µs",
                case.name,
                label,
                r["p50_us"].as_f64().unwrap_or(0.0),
                r["p99_us"].as_f64().unwrap_or(0.0),
                r["max_us"].as_f64().unwrap_or(0.0)
            );
        }
    }
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "{}",
        json!({"profile": profile, "no_subscriber": quiet, "json_logs": logged})
    );
    Ok(())
}
