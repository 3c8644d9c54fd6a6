//! Shared test support: realistic API Gateway HTTP API (payload 2.0) events,
//! apps on the in-memory store, a store with injected faults, and a moto
//! server on a free loopback port.
// Test support: a panic here is a failed assertion, not a request-path panic.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use epochstore::config::Config;
use epochstore::domain::{IdempotencyKey, PageLimit, Record, RecordId};
use epochstore::http::{App, Route};
use epochstore::store::{MemoryStore, Page, PutOutcome, Store, StoreError, StoreFuture};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

pub const REGION: &str = "eu-central-1";

/// Builds the request API Gateway would hand the function, through the same
/// deserialiser as the Lambda runtime.
pub struct Event {
    method: &'static str,
    raw_path: String,
    raw_query: String,
    headers: Vec<(String, String)>,
    body: Option<(String, bool)>,
}

pub fn event(method: &'static str, path_and_query: &str) -> Event {
    let (raw_path, raw_query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    Event {
        method,
        raw_path: raw_path.to_owned(),
        raw_query: raw_query.to_owned(),
        headers: vec![
            ("user-agent".into(), "curl/8.5.0".into()),
            ("accept".into(), "*/*".into()),
        ],
        body: None,
    }
}

impl Event {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn text_body(mut self, body: &str) -> Self {
        self.body = Some((body.to_owned(), false));
        self
    }

    pub fn binary_body(mut self, bytes: &[u8]) -> Self {
        self.body = Some((base64(bytes), true));
        self
    }

    pub fn to_json(&self) -> Value {
        let mut headers = serde_json::Map::new();
        for (name, value) in &self.headers {
            // API Gateway joins repeated headers with commas.
            let joined = match headers.get(name) {
                Some(Value::String(prev)) => format!("{prev},{value}"),
                _ => value.clone(),
            };
            headers.insert(name.clone(), Value::String(joined));
        }
        headers.insert(
            "host".into(),
            json!("abc123.execute-api.eu-central-1.amazonaws.com"),
        );
        let route_key = Route::from_path(&self.raw_path).map_or("$default".to_owned(), |r| {
            format!("{} {}", self.method, r.path())
        });
        json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": self.raw_path,
            "rawQueryString": self.raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc123",
                "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
                "domainPrefix": "abc123",
                "http": {
                    "method": self.method,
                    "path": self.raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "203.0.113.9",
                    "userAgent": "curl/8.5.0"
                },
                "requestId": "JKJaXmPLvHcESHA=",
                "routeKey": route_key,
                "stage": "$default",
                "time": "23/Nov/2026:19:46:07 +0000",
                "timeEpoch": 1795463167000_i64
            },
            "body": self.body.as_ref().map(|(b, _)| b.clone()),
            "isBase64Encoded": self.body.as_ref().is_some_and(|(_, b64)| *b64),
        })
    }

    pub fn request(&self) -> Request {
        lambda_http::request::from_str(&self.to_json().to_string()).expect("valid HTTP API event")
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn config(region: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("TABLE_NAME".into(), "epochstore-test".into()),
        ("AWS_REGION".into(), region.into()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    Config::from_vars(&vars).expect("valid test configuration")
}

pub fn app_on(store: Arc<dyn Store>, region: &str, extra: &[(&str, &str)]) -> App {
    App::new(&config(region, extra), store, Route::ALL.to_vec())
}

pub fn memory_app() -> (App, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::default());
    (app_on(store.clone(), REGION, &[]), store)
}

pub struct Answer {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the documented error shape and returns the error code.
    pub fn error_code(&self) -> String {
        let json = self.json();
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{json}"
        );
        json["error"]["code"]
            .as_str()
            .expect("error code")
            .to_owned()
    }
}

pub async fn call(app: &App, event: Event) -> Answer {
    answer(app.handle(event.request()).await)
}

pub fn answer(response: Response<Body>) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = match response.into_body() {
        Body::Empty => String::new(),
        Body::Text(text) => text,
        Body::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => String::new(),
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// Fills a store with `n` records one millisecond apart, oldest first.
pub async fn fill(store: &dyn Store, n: usize, region: &str) -> Vec<Record> {
    let start = chrono::Utc::now() - chrono::Duration::milliseconds(n as i64 + 1_000);
    let mut records = Vec::new();
    for i in 0..n {
        let record = Record::new(start + chrono::Duration::milliseconds(i as i64), region);
        match store.put(record, None).await.expect("put") {
            PutOutcome::Created(r) => records.push(r),
            other => panic!("unexpected {other:?}"),
        }
    }
    records
}

/// A store that fails every call with a chosen error, or passes through to an
/// in-memory store when healthy; it counts the writes that reached it.
#[derive(Default)]
pub struct FaultStore {
    pub inner: MemoryStore,
    pub fault: Mutex<Option<StoreError>>,
}

impl FaultStore {
    pub fn failing(err: StoreError) -> Self {
        Self {
            inner: MemoryStore::default(),
            fault: Mutex::new(Some(err)),
        }
    }

    fn fault(&self) -> Option<StoreError> {
        self.fault.lock().expect("lock").clone()
    }
}

impl Store for FaultStore {
    fn put(&self, record: Record, key: Option<IdempotencyKey>) -> StoreFuture<'_, PutOutcome> {
        match self.fault() {
            Some(err) => Box::pin(async move { Err(err) }),
            None => self.inner.put(record, key),
        }
    }

    fn list(&self, limit: PageLimit, before: Option<RecordId>) -> StoreFuture<'_, Page> {
        match self.fault() {
            Some(err) => Box::pin(async move { Err(err) }),
            None => self.inner.list(limit, before),
        }
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        match self.fault() {
            Some(err) => Box::pin(async move { Err(err) }),
            None => self.inner.probe(),
        }
    }
}

/// A `moto_server` (a real DynamoDB API) on a free 127.0.0.1 port, stopped on drop.
pub struct Moto {
    child: Option<Child>,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Self {
        let port = free_port();
        let mut moto = Self { child: None, port };
        moto.restart();
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on the same port; the data starts empty.
    pub fn restart(&mut self) {
        let bin = moto_bin();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}); run `make venv` first",
                    bin.display()
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start on {addr}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn moto_bin() -> PathBuf {
    if let Ok(path) = std::env::var("MOTO_SERVER") {
        return path.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
