//! The HTTP contract, line by line, on the in-memory store with realistic
//! API Gateway HTTP API (payload 2.0) events.

// Helpers outside #[test] fns may panic too: that is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use epochstore::http::{App, Route, REGION_HEADER};
use epochstore::store::{MemoryStore, StoreError};
use support::*;

#[tokio::test]
async fn post_stores_the_server_time_and_answers_201_with_the_record() {
    let (app, store) = memory_app();
    let before = chrono::Utc::now().timestamp_millis();
    let answer = call(&app, event("POST", "/storeEpochTime")).await;
    let after = chrono::Utc::now().timestamp_millis();

    assert_eq!(answer.status, 201);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header(REGION_HEADER), Some(REGION));
    let record = answer.json();
    let millis = record["epochMillis"].as_i64().expect("epochMillis");
    assert!((before..=after).contains(&millis));
    assert_eq!(record["epoch"].as_i64(), Some(millis / 1000));
    assert_eq!(record["region"], REGION);
    let stored_at = record["storedAt"].as_str().expect("storedAt");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(stored_at).map(|t| t.timestamp_millis()),
        Ok(millis)
    );
    assert!(
        stored_at.ends_with('Z') && stored_at.len() == 24,
        "{stored_at}"
    );
    assert_eq!(store.len(), 1);

    let listed = call(&app, event("GET", "/getEpochStore")).await.json();
    assert_eq!(listed["items"][0], record);
}

#[tokio::test]
async fn bodies_are_ignored_up_to_the_limit_and_refused_beyond_it() {
    let (app, store) = memory_app();
    let binary: Vec<u8> = (0..60_000u32).map(|i| (i % 251) as u8).collect();
    let answer = call(&app, event("POST", "/storeEpochTime").binary_body(&binary)).await;
    assert_eq!(answer.status, 201);
    let answer = call(
        &app,
        event("POST", "/storeEpochTime").text_body("{\"epoch\": 1}"),
    )
    .await;
    assert_eq!(answer.status, 201);
    assert_eq!(store.len(), 2);

    let huge = vec![0u8; epochstore::http::MAX_BODY_BYTES + 1];
    let answer = call(&app, event("POST", "/storeEpochTime").binary_body(&huge)).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.error_code(), "payload_too_large");
    assert_eq!(store.len(), 2, "a refused request stores nothing");
}

#[tokio::test]
async fn an_idempotent_retry_returns_the_first_record_with_200_and_writes_nothing() {
    let (app, store) = memory_app();
    let first = call(
        &app,
        event("POST", "/storeEpochTime").header("idempotency-key", "order-42:try_1.a"),
    )
    .await;
    assert_eq!(first.status, 201);
    let retry = call(
        &app,
        event("POST", "/storeEpochTime").header("idempotency-key", "order-42:try_1.a"),
    )
    .await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json(), first.json());
    let other = call(
        &app,
        event("POST", "/storeEpochTime").header("idempotency-key", "order-43"),
    )
    .await;
    assert_eq!(other.status, 201);
    assert_ne!(other.json()["id"], first.json()["id"]);
    assert_eq!(store.len(), 2);
}

/// A write as API Gateway passes it behind its JWT authorizer: the validated
/// claims in `requestContext.authorizer.jwt.claims`.
fn post_with_claims(key: &str, subject: &str) -> lambda_http::Request {
    let mut json = event("POST", "/storeEpochTime")
        .header("idempotency-key", key)
        .to_json();
    json["requestContext"]["authorizer"] = serde_json::json!({
        "jwt": {"claims": {"sub": subject, "iss": "https://issuer.example"}, "scopes": null}
    });
    lambda_http::request::from_str(&json.to_string()).expect("valid HTTP API event")
}

#[tokio::test]
async fn behind_a_jwt_idempotency_keys_are_scoped_by_the_token_subject() {
    let (app, store) = memory_app();
    let alice = answer(app.handle(post_with_claims("order-1", "alice")).await);
    let bob = answer(app.handle(post_with_claims("order-1", "bob")).await);
    assert_eq!((alice.status, bob.status), (201, 201));
    assert_ne!(
        alice.json()["id"],
        bob.json()["id"],
        "two subjects, two records"
    );
    let alice_again = answer(app.handle(post_with_claims("order-1", "alice")).await);
    assert_eq!(alice_again.status, 200);
    assert_eq!(alice_again.json(), alice.json());
    // Without a token the key is not scoped: it meets neither subject's.
    let anonymous = call(
        &app,
        event("POST", "/storeEpochTime").header("idempotency-key", "order-1"),
    )
    .await;
    assert_eq!(anonymous.status, 201);
    assert_eq!(store.len(), 3);
}

#[tokio::test]
async fn invalid_idempotency_keys_are_400_and_store_nothing() {
    let (app, store) = memory_app();
    let too_long = "k".repeat(129);
    for key in [
        "",
        "with space",
        "slash/key",
        "ключ",
        "semi;colon",
        too_long.as_str(),
    ] {
        let answer = call(
            &app,
            event("POST", "/storeEpochTime").header("idempotency-key", key),
        )
        .await;
        assert_eq!(answer.status, 400, "{key:?}");
        assert_eq!(answer.error_code(), "invalid_idempotency_key");
        assert!(answer.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("1 to 128"));
    }
    let mut request = event("POST", "/storeEpochTime").request();
    request
        .headers_mut()
        .append("idempotency-key", "a".parse().expect("header"));
    request
        .headers_mut()
        .append("idempotency-key", "b".parse().expect("header"));
    assert_eq!(answer(app.handle(request).await).status, 400);
    assert!(store.is_empty());
}

#[tokio::test]
async fn pages_walk_the_whole_store_newest_first_without_gap_or_duplicate() {
    let (app, store) = memory_app();
    let mut written = fill(store.as_ref(), 250, REGION).await;
    written.reverse();
    let expected: Vec<String> = written.iter().map(|r| r.id.to_string()).collect();

    let mut seen = Vec::new();
    let mut path = "/getEpochStore?limit=7".to_owned();
    let mut pages = 0;
    loop {
        let page = call(&app, event("GET", &path)).await;
        assert_eq!(page.status, 200);
        let json = page.json();
        let items = json["items"].as_array().expect("items");
        assert_eq!(json["count"].as_u64(), Some(items.len() as u64));
        assert_eq!(json["region"], REGION);
        seen.extend(
            items
                .iter()
                .map(|i| i["id"].as_str().expect("id").to_owned()),
        );
        pages += 1;
        match json["nextCursor"].as_str() {
            Some(cursor) => {
                assert_eq!(items.len(), 7);
                path = format!("/getEpochStore?limit=7&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(pages, 36);
    assert_eq!(seen, expected, "newest first, every record once");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 250);
}

#[tokio::test]
async fn default_and_maximum_limits() {
    let (app, store) = memory_app();
    fill(store.as_ref(), 1_005, REGION).await;
    let default = call(&app, event("GET", "/getEpochStore")).await.json();
    assert_eq!(default["count"], 100);
    assert!(default["nextCursor"].is_string());
    let max = call(&app, event("GET", "/getEpochStore?limit=1000"))
        .await
        .json();
    assert_eq!(max["count"], 1000);
    let rest = call(
        &app,
        event(
            "GET",
            &format!(
                "/getEpochStore?limit=1000&cursor={}",
                max["nextCursor"].as_str().unwrap_or("")
            ),
        ),
    )
    .await
    .json();
    assert_eq!(rest["count"], 5);
    assert!(rest["nextCursor"].is_null());
}

#[tokio::test]
async fn bad_limits_are_400_saying_what_is_allowed() {
    let (app, _store) = memory_app();
    for limit in [
        "0",
        "-1",
        "1001",
        "99999999999999999999",
        "1.5",
        "abc",
        "",
        "+5",
        "%35",
        "1e2",
        "0x10",
        "%205",
    ] {
        let answer = call(&app, event("GET", &format!("/getEpochStore?limit={limit}"))).await;
        assert_eq!(answer.status, 400, "limit={limit:?}");
        assert_eq!(answer.error_code(), "invalid_limit");
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        assert!(message.contains("1 to 1000"), "{message}");
    }
    let twice = call(&app, event("GET", "/getEpochStore?limit=1&limit=2")).await;
    assert_eq!(twice.status, 400);
    assert_eq!(twice.error_code(), "invalid_query");
}

#[tokio::test]
async fn forged_or_tampered_cursors_are_400() {
    let (app, store) = memory_app();
    fill(store.as_ref(), 5, REGION).await;
    let genuine = call(&app, event("GET", "/getEpochStore?limit=2"))
        .await
        .json()["nextCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let mut flipped = genuine.clone().into_bytes();
    flipped[12] = b'4'; // the UUID version nibble
    let forged = [
        genuine[..31].to_owned(),
        format!("{genuine}0"),
        genuine.to_uppercase(),
        String::from_utf8(flipped).expect("ascii"),
        "0f8fad5bd9cb469fa165708677289c0e".to_owned(),
        "eyJwayI6InJlYyMwIiwic2siOiJ4In0".to_owned(),
        "%7B%22pk%22%3A%22idem%23x%22%7D".to_owned(),
        "not-a-cursor".to_owned(),
    ];
    for cursor in forged {
        let answer = call(
            &app,
            event("GET", &format!("/getEpochStore?cursor={cursor}")),
        )
        .await;
        assert_eq!(answer.status, 400, "cursor={cursor:?}");
        assert_eq!(answer.error_code(), "invalid_cursor");
    }
}

#[tokio::test]
async fn a_cursor_from_one_region_is_valid_in_another() {
    let store = Arc::new(MemoryStore::default());
    let paris = app_on(store.clone(), "eu-west-3", &[]);
    let frankfurt = app_on(store.clone(), "eu-central-1", &[]);
    fill(store.as_ref(), 6, "eu-west-3").await;
    let first = call(&paris, event("GET", "/getEpochStore?limit=3"))
        .await
        .json();
    let cursor = first["nextCursor"].as_str().expect("cursor");
    let second = call(
        &frankfurt,
        event("GET", &format!("/getEpochStore?limit=3&cursor={cursor}")),
    )
    .await;
    assert_eq!(second.status, 200);
    let second = second.json();
    assert_eq!(second["region"], "eu-central-1");
    assert_eq!(second["count"], 3);
    assert!(second["nextCursor"].is_null());
}

#[tokio::test]
async fn browsers_get_an_escaped_html_table_with_a_next_link() {
    let store = Arc::new(MemoryStore::default());
    let app = app_on(store.clone(), "<script>x</script>", &[]);
    fill(store.as_ref(), 3, "<b>eu</b>").await;
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let answer = call(
        &app,
        event("GET", "/getEpochStore?limit=2").header("accept", browser),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(answer.header("content-security-policy").is_some());
    assert_eq!(
        answer.header("vary"),
        Some("accept"),
        "caches key on Accept"
    );
    assert_eq!(answer.body.matches("<tr><td>").count(), 2);
    assert!(answer.body.contains("&lt;b&gt;eu&lt;/b&gt;"));
    assert!(answer.body.contains("&lt;script&gt;x&lt;/script&gt;"));
    assert!(!answer.body.contains("<script>"));
    assert!(answer.body.contains("id=\"next\""));
    assert!(answer.body.contains("href=\"?limit=2&amp;cursor="));

    for accept in [
        "*/*",
        "application/json",
        "image/png",
        "text/html;q=0.1, application/json",
        ";;,",
    ] {
        let answer = call(
            &app,
            event("GET", "/getEpochStore").header("accept", accept),
        )
        .await;
        assert_eq!(answer.status, 200, "{accept}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{accept}"
        );
        assert_eq!(answer.header("vary"), Some("accept"), "{accept}");
    }
}

#[tokio::test]
async fn health_is_200_when_ok_and_503_with_the_reason_otherwise() {
    let (app, _store) = memory_app();
    let answer = call(&app, event("GET", "/health")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        serde_json::json!({"status": "ok", "region": REGION, "checks": {"store": "ok"}})
    );

    // A throttled store answers: the region stays in service.
    let throttled = app_on(
        Arc::new(FaultStore::failing(StoreError::Throttled)),
        REGION,
        &[],
    );
    let answer = call(&throttled, event("GET", "/health")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        serde_json::json!({"status": "ok", "region": REGION, "checks": {"store": "throttled"}})
    );
    assert_eq!(answer.header("retry-after"), None);

    let drained = app_on(
        Arc::new(MemoryStore::default()),
        REGION,
        &[("STATUS", "fail")],
    );
    let answer = call(&drained, event("GET", "/health")).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.json()["status"], "fail");
    assert_eq!(answer.error_code(), "status_fail");
    assert!(answer.body.contains("STATUS=fail"));

    for (fault, check, code) in [
        (StoreError::Timeout, "timeout", "store_timeout"),
        (
            StoreError::Unavailable("connection refused".into()),
            "unreachable",
            "store_unreachable",
        ),
    ] {
        let app = app_on(Arc::new(FaultStore::failing(fault)), REGION, &[]);
        let answer = call(&app, event("GET", "/health")).await;
        assert_eq!(answer.status, 503);
        assert_eq!(answer.json()["checks"]["store"], check);
        assert_eq!(answer.error_code(), code);
        assert!(
            !answer.body.contains("connection refused"),
            "no internals: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn store_outages_and_throttling_are_503_with_retry_after_and_bugs_are_500() {
    for (fault, status, code) in [
        (StoreError::Throttled, 503, "throttled"),
        (StoreError::Timeout, 503, "store_unavailable"),
        (
            StoreError::Unavailable("dispatch failure: 127.0.0.1:1".into()),
            503,
            "store_unavailable",
        ),
        (
            StoreError::Internal("ValidationException: secret detail".into()),
            500,
            "internal_error",
        ),
    ] {
        let app = app_on(Arc::new(FaultStore::failing(fault)), REGION, &[]);
        for request in [
            event("POST", "/storeEpochTime"),
            event("GET", "/getEpochStore"),
        ] {
            let answer = call(&app, request).await;
            assert_eq!(answer.status, status);
            assert_eq!(answer.error_code(), code);
            assert_eq!(answer.header("retry-after").is_some(), status == 503);
            assert!(
                !answer.body.contains("127.0.0.1") && !answer.body.contains("secret"),
                "{}",
                answer.body
            );
        }
    }
}

#[tokio::test]
async fn routing_is_exact() {
    let (app, store) = memory_app();
    for path in [
        "/getEpochStore/../health",
        "/health/",
        "/HEALTH",
        "//health",
        "/storeEpochTime/",
        "/",
        "/getEpochStore%2F..%2Fhealth",
        "/unknown",
    ] {
        for method in ["GET", "POST"] {
            let answer = call(&app, event(method, path)).await;
            assert_eq!(answer.status, 404, "{method} {path}");
            assert_eq!(answer.error_code(), "not_found");
        }
    }
    assert!(store.is_empty());
}

#[tokio::test]
async fn a_function_answers_404_for_routes_it_does_not_own() {
    let config = config(REGION, &[]);
    let store_only = App::new(
        &config,
        Arc::new(MemoryStore::default()),
        vec![Route::StoreEpochTime],
    );
    assert_eq!(call(&store_only, event("GET", "/health")).await.status, 404);
    assert_eq!(
        call(&store_only, event("GET", "/getEpochStore"))
            .await
            .status,
        404
    );
    assert_eq!(
        call(&store_only, event("POST", "/storeEpochTime"))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow_head_has_no_body_and_options_is_204() {
    let (app, store) = memory_app();
    for (method, path, allow) in [
        ("GET", "/storeEpochTime", "POST, OPTIONS"),
        ("PUT", "/storeEpochTime", "POST, OPTIONS"),
        ("DELETE", "/getEpochStore", "GET, HEAD, OPTIONS"),
        ("POST", "/getEpochStore", "GET, HEAD, OPTIONS"),
        ("PATCH", "/health", "GET, HEAD, OPTIONS"),
    ] {
        let answer = call(&app, event(method, path)).await;
        assert_eq!(answer.status, 405, "{method} {path}");
        assert_eq!(answer.header("allow"), Some(allow));
        assert_eq!(answer.error_code(), "method_not_allowed");

        let options = call(&app, event("OPTIONS", path)).await;
        assert_eq!(options.status, 204);
        assert_eq!(options.header("allow"), Some(allow));
        assert!(options.body.is_empty());
        assert!(
            options.header("access-control-allow-origin").is_none(),
            "no CORS unless configured"
        );
    }
    assert!(store.is_empty());

    fill(store.as_ref(), 3, REGION).await;
    for path in ["/getEpochStore", "/health"] {
        let get = call(&app, event("GET", path)).await;
        let head = call(&app, event("HEAD", path)).await;
        assert_eq!(head.status, get.status);
        assert_eq!(head.header("content-type"), get.header("content-type"));
        assert!(head.body.is_empty());
    }
    let head_bad = call(&app, event("HEAD", "/getEpochStore?limit=0")).await;
    assert_eq!(head_bad.status, 400);
    assert!(head_bad.body.is_empty());
}

#[tokio::test]
async fn cors_headers_only_when_configured() {
    let app = app_on(
        Arc::new(MemoryStore::default()),
        REGION,
        &[("CORS_ALLOW_ORIGIN", "https://example.org")],
    );
    let answer = call(&app, event("OPTIONS", "/storeEpochTime")).await;
    assert_eq!(answer.status, 204);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert_eq!(
        answer.header("access-control-allow-methods"),
        Some("POST, OPTIONS")
    );
    assert_eq!(
        answer.header("access-control-allow-headers"),
        Some("authorization, content-type, idempotency-key")
    );
    let answer = call(&app, event("POST", "/storeEpochTime")).await;
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert_eq!(
        answer.header("access-control-expose-headers"),
        Some("x-epochstore-region, idempotent-replayed, retry-after")
    );
}

#[tokio::test]
async fn every_response_names_its_region_and_is_not_cached() {
    let (app, _store) = memory_app();
    for request in [
        event("POST", "/storeEpochTime"),
        event("GET", "/getEpochStore"),
        event("GET", "/health"),
        event("GET", "/nope"),
        event("DELETE", "/health"),
    ] {
        let answer = call(&app, request).await;
        assert_eq!(answer.header(REGION_HEADER), Some(REGION));
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    }
}
