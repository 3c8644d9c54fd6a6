//! The local control endpoint on the front door (bound to 127.0.0.1 only):
//!
//! - `GET /_local/regions`: regions, ports, health, STATUS and the responses
//!   each region gave through the front door, with the detection settings
//!   (probe interval, failure threshold) and the store's consistency, as JSON.
//! - `POST /_local/regions/{region}/status` with body `fail` or `ok`: sets
//!   that region's STATUS (`204`; `404` for an unknown region). Its `/health`
//!   then answers `503` and the front door drains it once the health check
//!   has seen `FAILURE_THRESHOLD` failed probes.

use epochstore::env::Choice;
use epochstore::health_switch::HealthSwitch;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderValue;
use hyper::{Method, StatusCode};

use crate::deployment::Deployment;
use crate::responses::{error, json};
use crate::serve::HttpResponse;

const PREFIX: &str = "/_local/";

pub fn owns(path: &str) -> bool {
    path.starts_with(PREFIX) || path == "/_local"
}

pub async fn handle(deployment: &Deployment, request: hyper::Request<Incoming>) -> HttpResponse {
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["_local", "regions"] => {
            if request.method() == Method::GET || request.method() == Method::HEAD {
                regions(deployment)
            } else {
                method_not_allowed("GET")
            }
        }
        ["_local", "regions", name, "status"] => {
            if request.method() != Method::POST {
                return method_not_allowed("POST");
            }
            let Some(region) = deployment.regions.iter().find(|r| r.name == *name) else {
                let known: Vec<&str> = deployment.regions.iter().map(|r| r.name.as_str()).collect();
                return error(
                    StatusCode::NOT_FOUND,
                    "unknown_region",
                    &format!("no local region {name:?}; regions: {}", known.join(", ")),
                );
            };
            let body = match Limited::new(request.into_body(), 64).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => Bytes::new(),
            };
            let Ok(switch) = String::from_utf8_lossy(&body).parse::<HealthSwitch>() else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_status",
                    "the body must be fail or ok",
                );
            };
            region.set_health_switch(switch);
            let mut response = hyper::Response::new(http_body_util::Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "local control routes: GET /_local/regions, POST /_local/regions/{region}/status (body fail or ok)",
        ),
    }
}

fn regions(deployment: &Deployment) -> HttpResponse {
    let settings = &deployment.settings;
    let regions: Vec<serde_json::Value> = deployment
        .regions
        .iter()
        .zip(&deployment.health)
        .enumerate()
        .map(|(index, (region, health))| {
            let check = health.snapshot();
            serde_json::json!({
                "name": region.name,
                "port": region.port,
                "url": region.url(),
                "status": region.health_switch().as_str(),
                "healthy": check.healthy(),
                "consecutiveFailures": check.consecutive_failures(),
                "consecutiveSuccesses": check.consecutive_successes(),
                "responses": deployment.responses(index),
            })
        })
        .collect();
    json(
        StatusCode::OK,
        &serde_json::json!({
            "frontDoor": deployment.front_door_url(),
            "store": settings.store_mode(),
            "consistency": settings.consistency.name(),
            "probeIntervalMs": settings.probe_interval.as_millis() as u64,
            "failureThreshold": settings.failure_threshold,
            "regions": regions,
        }),
    )
}

fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut response = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        &format!("method not allowed here; allowed: {allow}"),
    );
    response
        .headers_mut()
        .insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
    response
}
