//! What API Gateway does in front of a Lambda function, for one local
//! region: turns an HTTP request into the `lambda_http::Request` the
//! library's `App` handles, and its response back into HTTP.

use std::sync::Arc;

use epochstore::http::{ApiError, App, MAX_BODY_BYTES};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderValue;
use lambda_http::{Body, RequestExt};

use crate::region::Region;
use crate::request_id::ensure_request_id;
use crate::responses;
use crate::serve::HttpResponse;

/// Handles one request on `region`.
pub async fn handle(region: Arc<Region>, request: hyper::Request<Incoming>) -> HttpResponse {
    let (mut parts, body) = request.into_parts();
    // The limit applies while reading: a huge body is never buffered.
    let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => {
            tracing::info!(region = %region.name, method = %parts.method, path = parts.uri.path(), status = 413, "request body over the limit");
            return payload_too_large(&region.app());
        }
        Err(err) => {
            // The client went away mid-body: nobody reads this answer.
            tracing::debug!(region = %region.name, error = %err, "request body unreadable");
            return responses::error(
                hyper::StatusCode::BAD_REQUEST,
                "bad_request",
                "the request body could not be read",
            );
        }
    };
    ensure_request_id(&mut parts.headers);
    let path = parts.uri.path().to_owned();
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        Body::Binary(bytes.to_vec())
    };
    let request = lambda_http::Request::from_parts(parts, body).with_raw_http_path(path);
    let app = region.app();
    to_hyper(app.handle(request).await)
}

/// The library's `413`, with the headers the App puts on every response.
fn payload_too_large(app: &App) -> HttpResponse {
    let mut response = to_hyper(app.refusal(ApiError::PayloadTooLarge));
    // The rest of the body is not read: do not reuse the connection.
    response
        .headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn to_hyper(response: lambda_http::Response<Body>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        other => Bytes::copy_from_slice(other.as_ref()),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use epochstore::config::Config;
    use epochstore::env::Env;
    use epochstore::http::Route;
    use epochstore::store::MemoryStore;
    use lambda_http::RequestExt;

    use super::*;

    /// The emulation's 413 (the body is refused while it is read) carries
    /// what the App's own 413 carries, CORS headers included.
    #[tokio::test]
    async fn the_local_413_has_the_headers_of_the_apps_413() {
        let config = Config::from_vars(&Env::from_pairs(&[
            ("TABLE_NAME", "t-413"),
            ("AWS_REGION", "eu-west-3"),
            ("CORS_ALLOW_ORIGIN", "https://app.example"),
        ]))
        .unwrap();
        let app = App::new(
            &config,
            Arc::new(MemoryStore::default()),
            Route::ALL.to_vec(),
        );
        let oversized = lambda_http::Request::new(Body::Binary(vec![b'x'; MAX_BODY_BYTES + 1]));
        let mut oversized = oversized.with_raw_http_path("/storeEpochTime");
        *oversized.method_mut() = lambda_http::http::Method::POST;
        let from_app = to_hyper(app.handle(oversized).await);
        let mut local = payload_too_large(&app);
        assert_eq!(local.status(), 413);
        assert_eq!(
            local.headers_mut().remove(hyper::header::CONNECTION),
            Some(HeaderValue::from_static("close"))
        );
        assert_eq!(local.headers(), from_app.headers());
        assert_eq!(
            local.headers().get("access-control-allow-origin"),
            Some(&HeaderValue::from_static("https://app.example"))
        );
    }
}
