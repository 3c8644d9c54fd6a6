//! The front door: what Route53 weighted records with health checks do for
//! the deployment, as a loopback proxy. Each request goes to one healthy
//! region (equal weights); the region's response comes back unchanged, so
//! its `x-epochstore-region` header and JSON `region` field say who served.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::StatusCode;

use crate::control;
use crate::deployment::Deployment;
use crate::request_id::{ensure_request_id, REQUEST_ID_HEADER};
use crate::responses::error;
use crate::routing;
use crate::serve::HttpResponse;
use crate::upstream::HttpClient;

/// API Gateway's payload limit; the region enforces the API's own, smaller one.
pub const MAX_PROXIED_BODY_BYTES: usize = 10 * 1024 * 1024;
/// API Gateway's integration timeout.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers that describe one connection, not the message: never forwarded.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
];

pub struct FrontDoor {
    deployment: Arc<Deployment>,
    client: HttpClient,
    turn: AtomicU64,
}

impl FrontDoor {
    pub fn new(deployment: Arc<Deployment>, client: HttpClient) -> Self {
        Self {
            deployment,
            client,
            turn: AtomicU64::new(0),
        }
    }

    pub async fn handle(self: Arc<Self>, request: hyper::Request<Incoming>) -> HttpResponse {
        if control::owns(request.uri().path()) {
            return control::handle(&self.deployment, request).await;
        }
        self.proxy(request).await
    }

    async fn proxy(&self, request: hyper::Request<Incoming>) -> HttpResponse {
        let (mut parts, body) = request.into_parts();
        // Buffered, so that a request that never reached a region can be
        // sent to another one.
        let body = match Limited::new(body, MAX_PROXIED_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => {
                let mut response = error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "request body too large for the API gateway (10 MiB)",
                );
                // The rest of the body is not read: do not reuse the connection.
                response
                    .headers_mut()
                    .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
                return response;
            }
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "the request body could not be read",
                );
            }
        };
        ensure_request_id(&mut parts.headers);
        let request_id = parts
            .headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        let healthy: Vec<bool> = self.deployment.health.iter().map(|h| h.healthy()).collect();
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        let order = routing::order(&healthy, turn);
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        // At most two attempts, and the second only when the first never
        // reached its region: a POST is never sent twice.
        let mut last_error = None;
        for (attempt, &index) in order.iter().take(2).enumerate() {
            let region = &self.deployment.regions[index];
            let mut forwarded = hyper::Request::new(Full::new(body.clone()));
            *forwarded.method_mut() = parts.method.clone();
            *forwarded.headers_mut() = forward_headers(&parts.headers);
            *forwarded.uri_mut() =
                match format!("http://127.0.0.1:{}{path_and_query}", region.port).parse() {
                    Ok(uri) => uri,
                    Err(_) => {
                        return error(
                            StatusCode::BAD_REQUEST,
                            "bad_request",
                            "invalid request target",
                        )
                    }
                };
            match tokio::time::timeout(UPSTREAM_TIMEOUT, self.exchange(forwarded)).await {
                Err(_) => {
                    tracing::warn!(request_id, region = %region.name, "region did not answer in time");
                    return error(
                        StatusCode::GATEWAY_TIMEOUT,
                        "gateway_timeout",
                        "the region did not answer in time",
                    );
                }
                Ok(Ok(response)) => {
                    self.deployment.count_response(index);
                    tracing::debug!(request_id, region = %region.name, method = %parts.method, path = parts.uri.path(), status = response.status().as_u16(), attempt, "proxied");
                    return response;
                }
                Ok(Err(Exchange::NotSent(err))) => {
                    tracing::warn!(request_id, region = %region.name, error = %err, attempt, "region unreachable; trying another region");
                    last_error = Some(err);
                }
                Ok(Err(Exchange::Failed(err))) => {
                    tracing::warn!(request_id, region = %region.name, error = %err, "region failed mid-request; not retried");
                    return error(
                        StatusCode::BAD_GATEWAY,
                        "bad_gateway",
                        "the region failed while answering",
                    );
                }
            }
        }
        tracing::error!(
            request_id,
            error = last_error.as_deref().unwrap_or("no region"),
            "no region reachable"
        );
        error(
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            "no region could be reached",
        )
    }

    async fn exchange(
        &self,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<HttpResponse, Exchange> {
        let response = self.client.request(request).await.map_err(|err| {
            if err.is_connect() {
                Exchange::NotSent(err.to_string())
            } else {
                Exchange::Failed(err.to_string())
            }
        })?;
        let (mut parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|err| Exchange::Failed(err.to_string()))?
            .to_bytes();
        strip_hop_by_hop(&mut parts.headers);
        Ok(hyper::Response::from_parts(parts, Full::new(body)))
    }
}

enum Exchange {
    /// The connection to the region failed: the request was not sent.
    NotSent(String),
    /// The request may have reached the region.
    Failed(String),
}

fn forward_headers(headers: &HeaderMap) -> HeaderMap {
    let mut forwarded = headers.clone();
    strip_hop_by_hop(&mut forwarded);
    // The client sets Host for the region it connects to.
    forwarded.remove(hyper::header::HOST);
    forwarded
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers named in Connection are hop-by-hop too.
    let named: Vec<String> = headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use epochstore::config::Config;
    use epochstore::env::Env;
    use epochstore::http::{App, Route, REGION_HEADER};
    use epochstore::store::MemoryStore;
    use tokio::net::TcpListener;
    use tokio::sync::watch;

    use super::*;
    use crate::health::RegionHealth;
    use crate::region::Region;
    use crate::serve::serve;
    use crate::settings::Settings;
    use crate::upstream::client;

    fn app(region: &str) -> App {
        let vars = Env::from_pairs(&[("TABLE_NAME", "epochstore"), ("AWS_REGION", region)]);
        let config = Config::from_vars(&vars).unwrap();
        App::new(
            &config,
            Arc::new(MemoryStore::default()),
            Route::ALL.to_vec(),
        )
    }

    /// A region that cannot be reached costs no client request: the request
    /// never left, so it goes to the other region.
    #[tokio::test]
    async fn a_request_that_cannot_reach_its_region_goes_to_another() {
        let (_stop, stopped) = watch::channel(false);
        let alive_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let alive_port = alive_listener.local_addr().unwrap().port();
        // A port nothing listens on.
        let dead_port = {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap().port()
        };
        let dead = Arc::new(Region::new(dead_port, app("dead-1")));
        let alive = Arc::new(Region::new(alive_port, app("alive-1")));
        let region = Arc::clone(&alive);
        tokio::spawn(serve(
            "alive".into(),
            alive_listener,
            move |request| crate::region_server::handle(Arc::clone(&region), request),
            stopped.clone(),
            Duration::from_secs(1),
        ));
        let front_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let front_port = front_listener.local_addr().unwrap().port();
        let health = vec![
            Arc::new(RegionHealth::new(3)),
            Arc::new(RegionHealth::new(3)),
        ];
        let deployment = Arc::new(Deployment::new(
            Settings::from_vars(&Env::default()).unwrap(),
            vec![dead, alive],
            health,
        ));
        let door = Arc::new(FrontDoor::new(Arc::clone(&deployment), client()));
        tokio::spawn(serve(
            "front door".into(),
            front_listener,
            move |request| Arc::clone(&door).handle(request),
            stopped,
            Duration::from_secs(1),
        ));
        let client = client();
        for _ in 0..6 {
            let request =
                hyper::Request::post(format!("http://127.0.0.1:{front_port}/storeEpochTime"))
                    .body(Full::new(Bytes::new()))
                    .unwrap();
            let response = client.request(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            assert_eq!(response.headers()[REGION_HEADER], "alive-1");
        }
        // Counted for the region that answered, not the one that was tried.
        assert_eq!((deployment.responses(0), deployment.responses(1)), (0, 6));
    }

    #[test]
    fn hop_by_hop_headers_are_not_forwarded() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-private"),
        );
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("host", HeaderValue::from_static("localhost:3000"));
        headers.insert("idempotency-key", HeaderValue::from_static("k1"));
        headers.insert("accept", HeaderValue::from_static("text/html"));
        let forwarded = forward_headers(&headers);
        let names: Vec<&str> = forwarded.keys().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(forwarded.contains_key("idempotency-key"));
        assert!(forwarded.contains_key("accept"));
    }
}
