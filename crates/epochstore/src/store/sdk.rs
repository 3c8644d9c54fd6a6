//! The DynamoDB client's SDK configuration: HTTP client and TLS, region,
//! credentials, endpoint, timeouts and retries.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls;

use super::settings::SdkSettings;
use super::tls::{tls_context, TlsError};

/// Loads the SDK configuration once per cold start: region from the
/// configuration (Lambda's `AWS_REGION`), credentials from the environment,
/// the endpoint override (`AWS_ENDPOINT_URL_DYNAMODB`) and trust roots of
/// `sdk`, explicit timeouts and retries. Makes no network call; fails only
/// when the trust roots cannot be set up.
pub async fn sdk_config(region: &str, sdk: &SdkSettings) -> Result<SdkConfig, TlsError> {
    // One TLS stack: rustls with ring (no aws-lc C build, fast to start).
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(tls_context(&sdk.tls)?)
        .build_https();
    // Built directly rather than through `aws_config::defaults(..).load()`:
    // Lambda hands the function its region and credentials in the
    // environment, so the default provider chains (profile files, SSO, web
    // identity, ECS, IMDS) and the other profile-or-environment lookups of
    // the loader are init work with nothing to find.
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(http_client)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(sdk.connect_timeout)
                .operation_attempt_timeout(sdk.attempt_timeout)
                .operation_timeout(sdk.operation_timeout)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(sdk.max_attempts));
    if let Some(url) = &sdk.endpoint_url {
        config = config.endpoint_url(url);
    }
    Ok(config.build())
}
