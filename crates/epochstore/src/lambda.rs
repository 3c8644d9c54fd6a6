//! What each Lambda binary runs: read the configuration, build one DynamoDB
//! client, then serve invocations until Lambda stops the process.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::{service_fn, Request};
use lambda_runtime_api_client::{body::Body, build_request, PooledClient};

use crate::config::Config;
use crate::http::{App, Route};
use crate::store::{sdk_config, DynamoStore};
use crate::telemetry;

/// Runs the function that owns `routes`. Invalid configuration is reported
/// to Lambda's `/init/error` and ends the cold start; init never calls
/// DynamoDB (the first request does).
pub async fn run(routes: &[Route]) -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            tracing::error!(error = %err, "cold start failed");
            report_init_error(&err.to_string()).await;
            return Err(err.into());
        }
    };
    let app = Arc::new(app(&config, routes.to_vec()).await);
    lambda_http::run(service_fn(move |request: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Infallible>(app.handle(request).await) }
    }))
    .await
}

/// The application on DynamoDB for `config`: the one SDK client of this
/// process is built here, in the init phase.
pub async fn app(config: &Config, routes: Vec<Route>) -> App {
    let sdk = sdk_config(&config.region, &config.sdk).await;
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        config.table_name.clone(),
        config.store_settings(),
        config.sdk.probe_timeout,
    );
    App::new(config, Arc::new(store), routes)
}

async fn report_init_error(message: &str) {
    let body = serde_json::json!({"errorType": "Runtime.InitError", "errorMessage": message});
    let request = build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", "Runtime.InitError")
        .body(Body::from(body.to_string()));
    let Ok(request) = request else {
        return;
    };
    if let Err(err) = PooledClient::builder().build().call(request).await {
        tracing::error!(error = %err, "could not report the init error to the Runtime API");
    }
}
