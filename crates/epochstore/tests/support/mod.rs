//! Shared test support: realistic API Gateway HTTP API (payload 2.0) events,
//! apps on the in-memory store, a store with injected faults, and a moto
//! server on a free loopback port.
// Test support: a panic here is a failed assertion, not a request-path panic.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod event;

pub use event::{event, Event};

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::Credentials;
use epochstore::config::Config;
use epochstore::domain::{IdempotencyKey, PageLimit, Record, RecordId};
use epochstore::env::Env;
use epochstore::http::{App, Route};
use epochstore::store::{
    sdk_config, MemoryStore, Page, PutOutcome, Store, StoreError, StoreFuture,
};
use lambda_http::{Body, Response};
use serde_json::Value;

pub const REGION: &str = "eu-central-1";

pub fn config(region: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars = Env::from_pairs(&[("TABLE_NAME", "epochstore-test"), ("AWS_REGION", region)]);
    for (name, value) in extra {
        vars.set(name, value);
    }
    Config::from_vars(&vars).expect("valid test configuration")
}

/// A DynamoDB client for `endpoint` with test credentials, built on the
/// library's SDK configuration for `config`. Both are set on this client's
/// builder, never with `std::env::set_var`: tests run on parallel threads
/// that read the environment.
pub async fn dynamo_client(config: &Config, endpoint: &str) -> aws_sdk_dynamodb::Client {
    let sdk = sdk_config(&config.region, &config.sdk)
        .await
        .expect("SDK configuration");
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .endpoint_url(endpoint)
            .build(),
    )
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
