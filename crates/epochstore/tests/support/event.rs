//! API Gateway HTTP API (payload format 2.0) events as API Gateway sends
//! them, for the tests (through `support`) and the bench (`#[path]`).
// Shared by targets that each use part of it; a panic is a failed assertion.
#![allow(dead_code, clippy::expect_used)]

use epochstore::http::Route;
use lambda_http::Request;
use serde_json::{json, Value};

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
