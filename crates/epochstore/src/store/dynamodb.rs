//! The DynamoDB store.
//!
//! Key schema (the same literals as `terraform/modules/…`, the contract
//! between code and infrastructure):
//!
//! | item        | `pk` (S, partition)   | `sk` (S, sort)           | other attributes                         |
//! |-------------|-----------------------|--------------------------|------------------------------------------|
//! | record      | `rec#<shard>`         | record id (UUIDv7 text)  | `epochMillis` N, `region` S, `expiresAt` N? |
//! | idempotency | `idem#<key>[#<sub>]`  | `idem`                   | `recordId`, `epochMillis`, `region`, `expiresAt` |
//! | shard mark  | `meta#shards`         | `meta#shards`            | `shards` N: the most shards any writer used |
//!
//! A page is one `Query` per shard on `pk = rec#<n> AND sk < :cursor`,
//! newest first (`ScanIndexForward = false`) with `Limit = limit + 1`; the
//! shards' results are merged by id. The cost of a page is therefore
//! `shards × (limit + 1)` small items whatever the size of the table; nothing
//! ever scans it.
//!
//! Write ceiling: DynamoDB serves at most 1,000 write units per second per
//! partition key, so with one shard (the default) the design accepts about
//! 1,000 records per second per region (idempotency entries spread over
//! their own keys). An operator raises it by setting `WRITE_SHARDS`
//! (Terraform `write_shards`) to N: records spread over N partition keys by
//! their random id bits, the ceiling becomes N times higher and a page reads
//! N × (limit + 1) items. Listings read every shard ever written (the
//! shard mark), so lowering `WRITE_SHARDS` hides nothing.
//!
//! Writes are conditional (`attribute_not_exists(pk)`): a record is never
//! silently overwritten. A write with an idempotency key first claims the key
//! with a conditional put of its entry, then puts the record, so a retry
//! within the region finds the entry and returns the first record: exactly
//! once, also when an answer is lost and the SDK's retry meets the write it
//! repeats (see `existing_item`). A global table with multi-region eventual consistency does not
//! serialise those conditions between regions: a retry that reaches the
//! other region within the replication lag (typically under a second) can
//! store a second record; see the README.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls;

use super::contract::{Page, PutOutcome, Store, StoreError, StoreFuture};
use super::settings::{SdkSettings, StoreSettings};
use super::shard_mark::ShardMark;
use crate::domain::{IdempotencyKey, PageLimit, Record, RecordId};

const PK: &str = "pk";
const SK: &str = "sk";
const TTL: &str = "expiresAt";
const IDEMPOTENCY_SK: &str = "idem";
/// Writes never overwrite: the condition every record write carries.
const NOT_EXISTS: &str = "attribute_not_exists(pk)";
/// The item the health probe reads; it need not exist (a miss costs the same
/// half read unit and still proves the table answers).
const PROBE_PK: &str = "health#probe";
/// The item holding the write-shard high-water mark (`shards` N).
const SHARD_MARK_PK: &str = "meta#shards";

/// Attribute name, type and role of the table's key: the same literals as the
/// Terraform `aws_dynamodb_table` (a test keeps them equal).
pub const KEY_SCHEMA: [(&str, &str, &str); 2] = [(PK, "S", "HASH"), (SK, "S", "RANGE")];

/// Loads the SDK configuration once per cold start: region from the
/// configuration (Lambda's `AWS_REGION`), credentials from the environment,
/// `AWS_ENDPOINT_URL_DYNAMODB` honoured for local endpoints, explicit
/// timeouts and retries. Makes no network call.
pub async fn sdk_config(region: &str, sdk: &SdkSettings) -> SdkConfig {
    // The roots DynamoDB's certificates chain to: Amazon Root CA 1-4 and the
    // Starfield Services G2 root that cross-signs them (Amazon Trust
    // Services, valid until 2037-2040). Trusting only these, instead of the
    // platform store, spares every cold start reading and parsing the ~150
    // system certificates (`make bench`: most of the init time above a
    // hello-world); a DynamoDB certificate from another CA would need a new
    // build.
    const AMAZON_TRUST_SERVICES_ROOTS: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIDQTCCAimgAwIBAgITBmyfz5m/jAo54vB4ikPmljZbyjANBgkqhkiG9w0BAQsF\n\
ADA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6\n\
b24gUm9vdCBDQSAxMB4XDTE1MDUyNjAwMDAwMFoXDTM4MDExNzAwMDAwMFowOTEL\n\
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJv\n\
b3QgQ0EgMTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBALJ4gHHKeNXj\n\
ca9HgFB0fW7Y14h29Jlo91ghYPl0hAEvrAIthtOgQ3pOsqTQNroBvo3bSMgHFzZM\n\
9O6II8c+6zf1tRn4SWiw3te5djgdYZ6k/oI2peVKVuRF4fn9tBb6dNqcmzU5L/qw\n\
IFAGbHrQgLKm+a/sRxmPUDgH3KKHOVj4utWp+UhnMJbulHheb4mjUcAwhmahRWa6\n\
VOujw5H5SNz/0egwLX0tdHA114gk957EWW67c4cX8jJGKLhD+rcdqsq08p8kDi1L\n\
93FcXmn/6pUCyziKrlA4b9v7LWIbxcceVOF34GfID5yHI9Y/QCB/IIDEgEw+OyQm\n\
jgSubJrIqg0CAwEAAaNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMC\n\
AYYwHQYDVR0OBBYEFIQYzIU07LwMlJQuCFmcx7IQTgoIMA0GCSqGSIb3DQEBCwUA\n\
A4IBAQCY8jdaQZChGsV2USggNiMOruYou6r4lK5IpDB/G/wkjUu0yKGX9rbxenDI\n\
U5PMCCjjmCXPI6T53iHTfIUJrU6adTrCC2qJeHZERxhlbI1Bjjt/msv0tadQ1wUs\n\
N+gDS63pYaACbvXy8MWy7Vu33PqUXHeeE6V/Uq2V8viTO96LXFvKWlJbYK8U90vv\n\
o/ufQJVtMVT8QtPHRh8jrdkPSHCa2XV4cdFyQzR1bldZwgJcJmApzyMZFo6IQ6XU\n\
5MsI+yMRQ+hDKXJioaldXgjUkK642M4UwtBV8ob2xJNDd2ZhwLnoQdeXeGADbkpy\n\
rqXRfboQnoZsG4q5WTP468SQvvG5\n\
-----END CERTIFICATE-----\n\
-----BEGIN CERTIFICATE-----\n\
MIIFQTCCAymgAwIBAgITBmyf0pY1hp8KD+WGePhbJruKNzANBgkqhkiG9w0BAQwF\n\
ADA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6\n\
b24gUm9vdCBDQSAyMB4XDTE1MDUyNjAwMDAwMFoXDTQwMDUyNjAwMDAwMFowOTEL\n\
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJv\n\
b3QgQ0EgMjCCAiIwDQYJKoZIhvcNAQEBBQADggIPADCCAgoCggIBAK2Wny2cSkxK\n\
gXlRmeyKy2tgURO8TW0G/LAIjd0ZEGrHJgw12MBvIITplLGbhQPDW9tK6Mj4kHbZ\n\
W0/jTOgGNk3Mmqw9DJArktQGGWCsN0R5hYGCrVo34A3MnaZMUnbqQ523BNFQ9lXg\n\
1dKmSYXpN+nKfq5clU1Imj+uIFptiJXZNLhSGkOQsL9sBbm2eLfq0OQ6PBJTYv9K\n\
8nu+NQWpEjTj82R0Yiw9AElaKP4yRLuH3WUnAnE72kr3H9rN9yFVkE8P7K6C4Z9r\n\
2UXTu/Bfh+08LDmG2j/e7HJV63mjrdvdfLC6HM783k81ds8P+HgfajZRRidhW+me\n\
z/CiVX18JYpvL7TFz4QuK/0NURBs+18bvBt+xa47mAExkv8LV/SasrlX6avvDXbR\n\
8O70zoan4G7ptGmh32n2M8ZpLpcTnqWHsFcQgTfJU7O7f/aS0ZzQGPSSbtqDT6Zj\n\
mUyl+17vIWR6IF9sZIUVyzfpYgwLKhbcAS4y2j5L9Z469hdAlO+ekQiG+r5jqFoz\n\
7Mt0Q5X5bGlSNscpb/xVA1wf+5+9R+vnSUeVC06JIglJ4PVhHvG/LopyboBZ/1c6\n\
+XUyo05f7O0oYtlNc/LMgRdg7c3r3NunysV+Ar3yVAhU/bQtCSwXVEqY0VThUWcI\n\
0u1ufm8/0i2BWSlmy5A5lREedCf+3euvAgMBAAGjQjBAMA8GA1UdEwEB/wQFMAMB\n\
Af8wDgYDVR0PAQH/BAQDAgGGMB0GA1UdDgQWBBSwDPBMMPQFWAJI/TPlUq9LhONm\n\
UjANBgkqhkiG9w0BAQwFAAOCAgEAqqiAjw54o+Ci1M3m9Zh6O+oAA7CXDpO8Wqj2\n\
LIxyh6mx/H9z/WNxeKWHWc8w4Q0QshNabYL1auaAn6AFC2jkR2vHat+2/XcycuUY\n\
+gn0oJMsXdKMdYV2ZZAMA3m3MSNjrXiDCYZohMr/+c8mmpJ5581LxedhpxfL86kS\n\
k5Nrp+gvU5LEYFiwzAJRGFuFjWJZY7attN6a+yb3ACfAXVU3dJnJUH/jWS5E4ywl\n\
7uxMMne0nxrpS10gxdr9HIcWxkPo1LsmmkVwXqkLN1PiRnsn/eBG8om3zEK2yygm\n\
btmlyTrIQRNg91CMFa6ybRoVGld45pIq2WWQgj9sAq+uEjonljYE1x2igGOpm/Hl\n\
urR8FLBOybEfdF849lHqm/osohHUqS0nGkWxr7JOcQ3AWEbWaQbLU8uz/mtBzUF+\n\
fUwPfHJ5elnNXkoOrJupmHN5fLT0zLm4BwyydFy4x2+IoZCn9Kr5v2c69BoVYh63\n\
n749sSmvZ6ES8lgQGVMDMBu4Gon2nL2XA46jCfMdiyHxtN/kHNGfZQIG6lzWE7OE\n\
76KlXIx3KadowGuuQNKotOrN8I1LOJwZmhsoVLiJkO/KdYE+HvJkJMcYr07/R54H\n\
9jVlpNMKVv/1F2Rs76giJUmTtt8AF9pYfl3uxRuw0dFfIRDH+fO6AgonB8Xx1sfT\n\
4PsJYGw=\n\
-----END CERTIFICATE-----\n\
-----BEGIN CERTIFICATE-----\n\
MIIBtjCCAVugAwIBAgITBmyf1XSXNmY/Owua2eiedgPySjAKBggqhkjOPQQDAjA5\n\
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6b24g\n\
Um9vdCBDQSAzMB4XDTE1MDUyNjAwMDAwMFoXDTQwMDUyNjAwMDAwMFowOTELMAkG\n\
A1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJvb3Qg\n\
Q0EgMzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCmXp8ZBf8ANm+gBG1bG8lKl\n\
ui2yEujSLtf6ycXYqm0fc4E7O5hrOXwzpcVOho6AF2hiRVd9RFgdszflZwjrZt6j\n\
QjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgGGMB0GA1UdDgQWBBSr\n\
ttvXBp43rDCGB5Fwx5zEGbF4wDAKBggqhkjOPQQDAgNJADBGAiEA4IWSoxe3jfkr\n\
BqWTrBqYaGFy+uGh0PsceGCmQ5nFuMQCIQCcAu/xlJyzlvnrxir4tiz+OpAUFteM\n\
YyRIHN8wfdVoOw==\n\
-----END CERTIFICATE-----\n\
-----BEGIN CERTIFICATE-----\n\
MIIB8jCCAXigAwIBAgITBmyf18G7EEwpQ+Vxe3ssyBrBDjAKBggqhkjOPQQDAzA5\n\
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6b24g\n\
Um9vdCBDQSA0MB4XDTE1MDUyNjAwMDAwMFoXDTQwMDUyNjAwMDAwMFowOTELMAkG\n\
A1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJvb3Qg\n\
Q0EgNDB2MBAGByqGSM49AgEGBSuBBAAiA2IABNKrijdPo1MN/sGKe0uoe0ZLY7Bi\n\
9i0b2whxIdIA6GO9mif78DluXeo9pcmBqqNbIJhFXRbb/egQbeOc4OO9X4Ri83Bk\n\
M6DLJC9wuoihKqB1+IGuYgbEgds5bimwHvouXKNCMEAwDwYDVR0TAQH/BAUwAwEB\n\
/zAOBgNVHQ8BAf8EBAMCAYYwHQYDVR0OBBYEFNPsxzplbszh2naaVvuc84ZtV+WB\n\
MAoGCCqGSM49BAMDA2gAMGUCMDqLIfG9fhGt0O9Yli/W651+kI0rz2ZVwyzjKKlw\n\
CkcO8DdZEv8tmZQoTipPNU0zWgIxAOp1AE47xDqUEpHJWEadIRNyp4iciuRMStuW\n\
1KyLa2tJElMzrdfkviT8tQp21KW8EA==\n\
-----END CERTIFICATE-----\n\
-----BEGIN CERTIFICATE-----\n\
MIID7zCCAtegAwIBAgIBADANBgkqhkiG9w0BAQsFADCBmDELMAkGA1UEBhMCVVMx\n\
EDAOBgNVBAgTB0FyaXpvbmExEzARBgNVBAcTClNjb3R0c2RhbGUxJTAjBgNVBAoT\n\
HFN0YXJmaWVsZCBUZWNobm9sb2dpZXMsIEluYy4xOzA5BgNVBAMTMlN0YXJmaWVs\n\
ZCBTZXJ2aWNlcyBSb290IENlcnRpZmljYXRlIEF1dGhvcml0eSAtIEcyMB4XDTA5\n\
MDkwMTAwMDAwMFoXDTM3MTIzMTIzNTk1OVowgZgxCzAJBgNVBAYTAlVTMRAwDgYD\n\
VQQIEwdBcml6b25hMRMwEQYDVQQHEwpTY290dHNkYWxlMSUwIwYDVQQKExxTdGFy\n\
ZmllbGQgVGVjaG5vbG9naWVzLCBJbmMuMTswOQYDVQQDEzJTdGFyZmllbGQgU2Vy\n\
dmljZXMgUm9vdCBDZXJ0aWZpY2F0ZSBBdXRob3JpdHkgLSBHMjCCASIwDQYJKoZI\n\
hvcNAQEBBQADggEPADCCAQoCggEBANUMOsQq+U7i9b4Zl1+OiFOxHz/Lz58gE20p\n\
OsgPfTz3a3Y4Y9k2YKibXlwAgLIvWX/2h/klQ4bnaRtSmpDhcePYLQ1Ob/bISdm2\n\
8xpWriu2dBTrz/sm4xq6HZYuajtYlIlHVv8loJNwU4PahHQUw2eeBGg6345AWh1K\n\
Ts9DkTvnVtYAcMtS7nt9rjrnvDH5RfbCYM8TWQIrgMw0R9+53pBlbQLPLJGmpufe\n\
hRhJfGZOozptqbXuNC66DQO4M99H67FrjSXZm86B0UVGMpZwh94CDklDhbZsc7tk\n\
6mFBrMnUVN+HL8cisibMn1lUaJ/8viovxFUcdUBgF4UCVTmLfwUCAwEAAaNCMEAw\n\
DwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFJxfAN+q\n\
AdcwKziIorhtSpzyEZGDMA0GCSqGSIb3DQEBCwUAA4IBAQBLNqaEd2ndOxmfZyMI\n\
bw5hyf2E3F/YNoHN2BtBLZ9g3ccaaNnRbobhiCPPE95Dz+I0swSdHynVv/heyNXB\n\
ve6SbzJ08pGCL72CQnqtKrcgfU28elUSwhXqvfdqlS5sdJ/PHLTyxQGjhdByPq1z\n\
qwubdQxtRbeOlKyWN7Wg0I8VRw7j6IPdj/3vQQF3zCepYoUz8jcI73HPdwbeyBkd\n\
iEDPfUYd/x7H4c7/I9vG+o1VTqkC50cRRj70/b17KSa7qWFiNyi2LSr2EIZkyXCn\n\
0q23KXB56jzaYyWf/Wi3MOxw+3WKt21gZ7IeyLnp2KhvAotnDU0mV3HaIPzBSlCN\n\
sSi6\n\
-----END CERTIFICATE-----\n\
";
    // One TLS stack: rustls with ring (no aws-lc C build, fast to start).
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(
            tls::TlsContext::builder()
                .with_trust_store(
                    tls::TrustStore::empty()
                        .with_native_roots(false)
                        .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS.as_bytes()),
                )
                .build()
                .unwrap_or_default(),
        )
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
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .ok()
        .filter(|url| !url.trim().is_empty())
    {
        config = config.endpoint_url(url.trim());
    }
    config.build()
}

pub struct DynamoStore {
    client: Client,
    table: String,
    settings: StoreSettings,
    probe_timeout: Duration,
    shard_mark: ShardMark,
}

impl DynamoStore {
    pub fn new(
        client: Client,
        table: String,
        settings: StoreSettings,
        probe_timeout: Duration,
    ) -> Self {
        Self {
            client,
            table,
            settings,
            probe_timeout,
            shard_mark: ShardMark::default(),
        }
    }

    /// Raises the table's shard high-water mark to `WRITE_SHARDS` before
    /// this process's first write, so that no listing, whatever its own
    /// `WRITE_SHARDS`, misses a shard records went to. A conditional
    /// `UpdateItem` that only ever raises it; a failed condition means the
    /// mark is already as high. Until it succeeds nothing is written.
    async fn raise_shard_mark(&self) -> Result<(), StoreError> {
        if self.settings.write_shards <= 1 || self.shard_mark.is_raised() {
            return Ok(());
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(SHARD_MARK_PK.to_owned()))
            .key(SK, s(SHARD_MARK_PK.to_owned()))
            .update_expression("SET shards = :n")
            .condition_expression("attribute_not_exists(shards) OR shards < :n")
            .expression_attribute_values(":n", n(i64::from(self.settings.write_shards)))
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(err) if err.code() == Some("ConditionalCheckFailedException") => {}
            Err(err) => return Err(classify(err)),
        }
        self.shard_mark.set_raised();
        Ok(())
    }

    /// How many shards a listing reads: `WRITE_SHARDS`, or the table's mark
    /// when higher (read at most once per `MARK_REFRESH`). A failed read
    /// falls back to `WRITE_SHARDS`: a listing that may miss old shards
    /// beats no listing, and the warning says so.
    async fn listed_shards(&self) -> u16 {
        let now = std::time::Instant::now();
        let mark = match self.shard_mark.fresh(now) {
            Some(mark) => mark,
            None => match self.read_shard_mark().await {
                Ok(mark) => {
                    self.shard_mark.remember(mark, now);
                    mark
                }
                Err(err) => {
                    tracing::warn!(error = %err, "shard mark unreadable; listing WRITE_SHARDS shards only");
                    0
                }
            },
        };
        mark.max(self.settings.write_shards).max(1)
    }

    async fn read_shard_mark(&self) -> Result<u16, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(SHARD_MARK_PK.to_owned()))
            .key(SK, s(SHARD_MARK_PK.to_owned()))
            .consistent_read(self.settings.consistent_reads)
            // One attempt: a failure has its fallback, and a throttled table
            // should not get the retries of this read on top of the Query's.
            .customize()
            .config_override(
                aws_sdk_dynamodb::config::Builder::default().retry_config(RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(classify)?;
        let Some(item) = output.item else {
            return Ok(0);
        };
        // A mark no writer could have set would cost a Query per shard.
        get_n(&item, "shards")
            .and_then(|mark| u16::try_from(mark).ok())
            .filter(|mark| *mark <= StoreSettings::MAX_WRITE_SHARDS)
            .ok_or_else(malformed)
    }

    fn record_pk(&self, id: RecordId) -> String {
        shard_pk((id.spread() % u64::from(self.settings.write_shards.max(1))) as u16)
    }

    fn record_item(&self, record: &Record) -> HashMap<String, AttributeValue> {
        let mut item = HashMap::from([
            (PK.to_owned(), s(self.record_pk(record.id))),
            (SK.to_owned(), s(record.id.to_string())),
            ("epochMillis".to_owned(), n(record.epoch_millis)),
            ("region".to_owned(), s(record.region.clone())),
        ]);
        if let Some(expiry) = self.settings.record_expiry(record) {
            item.insert(TTL.to_owned(), n(expiry));
        }
        item
    }

    /// Puts `record` unless an item with its key exists; `AlreadyThere` with
    /// that item's record when one does.
    async fn put_record_if_absent(&self, record: &Record) -> Result<Written, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.record_item(record)))
            .condition_expression(NOT_EXISTS)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Written::Stored),
            Err(err) => match existing_item(err)? {
                Some(item) => Ok(Written::AlreadyThere(item_to_record(&item)?)),
                None => Err(missing_old_item()),
            },
        }
    }

    /// A record id is fresh, so an item already at its key is this write's
    /// own first attempt whose answer was lost (see `existing_item`): same id,
    /// same attributes. Anything else is a genuine collision.
    async fn put_record(&self, record: Record) -> Result<PutOutcome, StoreError> {
        match self.put_record_if_absent(&record).await? {
            Written::Stored => Ok(PutOutcome::Created(record)),
            Written::AlreadyThere(existing) if existing == record => {
                Ok(PutOutcome::Created(record))
            }
            Written::AlreadyThere(_) => Err(StoreError::id_taken(record.id)),
        }
    }

    /// Two single-item conditional writes, no transaction: first the
    /// idempotency entry (which holds everything needed to rebuild the
    /// record), then the record. A retry whose entry exists re-puts the
    /// record from the entry, a no-op when it exists, which also completes a
    /// first attempt that stopped between the two writes. Two write units in
    /// all (a transaction would cost four), and only single-item conditions,
    /// which a multi-region strongly consistent table serialises across
    /// regions.
    ///
    /// The failed condition returns the entry that holds the key
    /// (`ALL_OLD`), so no second read is needed: an entry naming this
    /// request's record id is this request's own claim, committed by an
    /// attempt whose answer was lost, and the write is still `Created`.
    async fn put_idempotent(
        &self,
        record: Record,
        key: IdempotencyKey,
    ) -> Result<PutOutcome, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(format!("idem#{}", key.as_str())))
            .item(SK, s(IDEMPOTENCY_SK.to_owned()))
            .item("recordId", s(record.id.to_string()))
            .item("epochMillis", n(record.epoch_millis))
            .item("region", s(record.region.clone()))
            .item(TTL, n(self.settings.idempotency_expiry(&record)))
            // An expired entry that TTL has not deleted yet no longer counts.
            .condition_expression("attribute_not_exists(pk) OR expiresAt < :now")
            .expression_attribute_values(":now", n(record.epoch_seconds()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let outcome = match result {
            Ok(_) => PutOutcome::Created(record),
            Err(err) => {
                let entry = existing_item(err)?.ok_or_else(missing_old_item)?;
                let first = entry_to_record(&entry)?;
                if first == record {
                    PutOutcome::Created(record)
                } else {
                    PutOutcome::Replayed(first)
                }
            }
        };
        let (PutOutcome::Created(record) | PutOutcome::Replayed(record)) = &outcome;
        // Present already when this is a replay of a completed write, a lost
        // answer's first attempt, or a concurrent retry got there first: the
        // same record in every case.
        self.put_record_if_absent(record).await?;
        Ok(outcome)
    }

    async fn list_records(
        &self,
        limit: PageLimit,
        before: Option<RecordId>,
    ) -> Result<Page, StoreError> {
        let want = limit.get() + 1;
        let now = chrono::Utc::now().timestamp();
        let own = self.settings.write_shards.max(1);
        // The mark (when not cached) is read while this process's own shards
        // are queried, so it costs no round trip unless it is higher.
        let (listed, known) = tokio::join!(
            self.listed_shards(),
            self.query_shards(0..own, want, before, now)
        );
        let mut items = known?;
        if listed > own {
            items.extend(self.query_shards(own..listed, want, before, now).await?);
        }
        items.sort_unstable_by_key(|record| std::cmp::Reverse(record.id));
        Ok(Page::from_overfetch(items, limit))
    }

    /// The newest `want` records (unsorted across shards) of each shard in
    /// `shards`, queried in parallel.
    async fn query_shards(
        &self,
        shards: std::ops::Range<u16>,
        want: usize,
        before: Option<RecordId>,
        now: i64,
    ) -> Result<Vec<Record>, StoreError> {
        let query = |shard| {
            query_shard(
                self.client.clone(),
                self.table.clone(),
                shard_pk(shard),
                want,
                before,
                self.settings.consistent_reads,
                now,
            )
        };
        if shards.len() == 1 {
            return query(shards.start).await;
        }
        let mut queries = tokio::task::JoinSet::new();
        for shard in shards {
            queries.spawn(query(shard));
        }
        let mut items = Vec::new();
        while let Some(joined) = queries.join_next().await {
            items.extend(joined.map_err(|e| StoreError::Internal(e.to_string()))??);
        }
        Ok(items)
    }

    async fn probe_table(&self) -> Result<(), StoreError> {
        // Its own short bound and no retries: a dead store must turn the
        // health check red within about a second.
        let overrides = aws_sdk_dynamodb::config::Builder::default()
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(self.probe_timeout)
                    .operation_attempt_timeout(self.probe_timeout)
                    .connect_timeout(self.probe_timeout)
                    .build(),
            )
            .retry_config(RetryConfig::disabled());
        self.client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(PROBE_PK.to_owned()))
            .key(SK, s(PROBE_PK.to_owned()))
            .projection_expression(PK)
            .consistent_read(self.settings.consistent_reads)
            .customize()
            .config_override(overrides)
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

impl Store for DynamoStore {
    fn put(&self, record: Record, key: Option<IdempotencyKey>) -> StoreFuture<'_, PutOutcome> {
        Box::pin(async move {
            self.raise_shard_mark().await?;
            match key {
                Some(key) => self.put_idempotent(record, key).await,
                None => self.put_record(record).await,
            }
        })
    }

    fn list(&self, limit: PageLimit, before: Option<RecordId>) -> StoreFuture<'_, Page> {
        Box::pin(self.list_records(limit, before))
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        Box::pin(self.probe_table())
    }
}

/// Newest-first records of one shard older than `before` and not expired at
/// `now` (Unix seconds), at most `want`.
async fn query_shard(
    client: Client,
    table: String,
    pk: String,
    want: usize,
    before: Option<RecordId>,
    consistent: bool,
    now: i64,
) -> Result<Vec<Record>, StoreError> {
    let mut records = Vec::with_capacity(want);
    let mut start = None;
    loop {
        let remaining = i32::try_from(want - records.len()).unwrap_or(i32::MAX);
        let mut query = client
            .query()
            .table_name(&table)
            .expression_attribute_values(":pk", s(pk.clone()))
            // TTL deletes an expired item within days, not at its expiry
            // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html):
            // a listing never shows one. `Limit` counts the items read before
            // this filter, so a short page with a `LastEvaluatedKey` only
            // means "read on" (the loop below).
            .filter_expression("attribute_not_exists(expiresAt) OR expiresAt >= :now")
            .expression_attribute_values(":now", n(now))
            .scan_index_forward(false)
            .consistent_read(consistent)
            .limit(remaining)
            .set_exclusive_start_key(start);
        query = match before {
            Some(before) => query
                .key_condition_expression("pk = :pk AND sk < :before")
                .expression_attribute_values(":before", s(before.to_string())),
            None => query.key_condition_expression("pk = :pk"),
        };
        let output = query.send().await.map_err(classify)?;
        for item in output.items() {
            records.push(item_to_record(item)?);
        }
        // DynamoDB stops at 1 MB per response; only then is there more to read
        // for this page. The start key comes from DynamoDB, never from a client.
        start = output.last_evaluated_key;
        if start.is_none() || records.len() >= want {
            return Ok(records);
        }
    }
}

/// What a conditional put of a record found.
enum Written {
    Stored,
    /// An item already had the key: the record it holds.
    AlreadyThere(Record),
}

type Item = HashMap<String, AttributeValue>;

/// The item that failed a conditional put's condition, or the failure.
///
/// Why a put can fail its condition against its own write: the SDK's
/// standard retry repeats an attempt whose answer never arrived (connection
/// closed, attempt timeout) or was a 5xx, although DynamoDB may have
/// committed it ("Retry behavior", AWS SDKs and Tools Reference Guide:
/// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html;
/// "Error handling with DynamoDB":
/// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
/// `ReturnValuesOnConditionCheckFailure = ALL_OLD` makes the failure carry
/// the item that is there, at no read cost (PutItem API reference:
/// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure),
/// so the caller can recognise its own write.
fn existing_item(err: SdkError<PutItemError, HttpResponse>) -> Result<Option<Item>, StoreError> {
    if let SdkError::ServiceError(ctx) = &err {
        if let PutItemError::ConditionalCheckFailedException(failed) = ctx.err() {
            return Ok(failed.item.clone());
        }
    }
    Err(classify(err))
}

/// A condition on `attribute_not_exists(pk)` fails only when an item exists,
/// and `ALL_OLD` returns it: without it this is not the DynamoDB API.
fn missing_old_item() -> StoreError {
    StoreError::Internal("conditional check failed without the existing item".into())
}

/// The first record an idempotency entry holds.
fn entry_to_record(item: &Item) -> Result<Record, StoreError> {
    Ok(Record {
        id: get_s(item, "recordId")
            .and_then(RecordId::parse_canonical)
            .ok_or_else(malformed)?,
        epoch_millis: get_n(item, "epochMillis").ok_or_else(malformed)?,
        region: get_s(item, "region").ok_or_else(malformed)?.to_owned(),
    })
}

fn item_to_record(item: &HashMap<String, AttributeValue>) -> Result<Record, StoreError> {
    Ok(Record {
        id: get_s(item, SK)
            .and_then(RecordId::parse_canonical)
            .ok_or_else(malformed)?,
        epoch_millis: get_n(item, "epochMillis").ok_or_else(malformed)?,
        region: get_s(item, "region").ok_or_else(malformed)?.to_owned(),
    })
}

fn malformed() -> StoreError {
    StoreError::Internal("malformed item in table".into())
}

fn shard_pk(shard: u16) -> String {
    format!("rec#{shard}")
}

fn s(value: String) -> AttributeValue {
    AttributeValue::S(value)
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn get_s<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

fn get_n(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// Maps an SDK failure to what the client is told: throttling and outages are
/// retryable (`503`), anything else is a bug in this code (`500`).
fn classify<E>(err: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &err {
        SdkError::TimeoutError(_) => StoreError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => StoreError::Timeout,
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(DisplayErrorContext(&err).to_string())
        }
        SdkError::ServiceError(ctx) => match ctx.err().code() {
            Some(
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded",
            ) => StoreError::Throttled,
            Some("ResourceNotFoundException" | "InternalServerError" | "ServiceUnavailable")
            | Some("ReplicatedWriteConflictException") => {
                StoreError::Unavailable(DisplayErrorContext(&err).to_string())
            }
            _ if ctx.raw().status().is_server_error() => {
                StoreError::Unavailable(DisplayErrorContext(&err).to_string())
            }
            _ => StoreError::Internal(DisplayErrorContext(&err).to_string()),
        },
        _ => StoreError::Internal(DisplayErrorContext(&err).to_string()),
    }
}

/// Creates the table with the deployment's key schema and TTL attribute when
/// it does not exist: for local endpoints (moto, DynamoDB Local) in tests and
/// `make run`. The deployment's table is Terraform's.
pub async fn create_table_if_missing(client: &Client, table: &str) -> Result<(), StoreError> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => return Ok(()),
        Err(err) if err.code() == Some("ResourceNotFoundException") => {}
        Err(err) => return Err(classify(err)),
    }
    let mut create = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest);
    for (name, _, role) in KEY_SCHEMA {
        let key_type = if role == "HASH" {
            KeyType::Hash
        } else {
            KeyType::Range
        };
        let element = KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build();
        let definition = AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build();
        create = create
            .key_schema(element.map_err(|e| StoreError::Internal(e.to_string()))?)
            .attribute_definitions(definition.map_err(|e| StoreError::Internal(e.to_string()))?);
    }
    match create.send().await {
        Ok(_) => {}
        // Another process created it first.
        Err(err) if err.code() == Some("ResourceInUseException") => return Ok(()),
        Err(err) => return Err(classify(err)),
    }
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(TTL)
        .enabled(true)
        .build()
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}
