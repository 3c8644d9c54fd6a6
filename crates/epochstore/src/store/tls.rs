//! Which certificate authorities the DynamoDB client trusts.
//!
//! By default only the roots DynamoDB's certificates chain to: Amazon Root
//! CA 1-4 and the Starfield Services G2 root that cross-signs them (Amazon
//! Trust Services, valid until 2037-2040, `amazon-trust-services.pem`).
//! Trusting only these, instead of the platform store, spares every cold
//! start reading and parsing the ~150 system certificates (`make bench`:
//! most of the init time above a hello-world). Two escape hatches need no
//! rebuild: `DYNAMODB_TRUST_ROOTS=platform` for the day DynamoDB's chain
//! moves, and `AWS_CA_BUNDLE`, the AWS SDKs' variable for a PEM certificate
//! bundle (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-gen-config.html>),
//! here added to the roots (corporate TLS proxies, local TLS endpoints).

use std::fmt;
use std::path::PathBuf;

use aws_smithy_http_client::tls::{TlsContext, TrustStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::env::Choice;

const AMAZON_TRUST_SERVICES: &str = include_str!("amazon-trust-services.pem");

/// `DYNAMODB_TRUST_ROOTS`: the roots the client starts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrustRoots {
    /// The pinned Amazon Trust Services roots.
    #[default]
    Amazon,
    /// The system store (rustls-native-certs, which honours `SSL_CERT_FILE`
    /// and `SSL_CERT_DIR`), loaded at the first connection.
    Platform,
}

impl TrustRoots {
    pub const VAR: &'static str = "DYNAMODB_TRUST_ROOTS";
}

impl Choice for TrustRoots {
    const ALL: &'static [Self] = &[Self::Amazon, Self::Platform];

    fn name(self) -> &'static str {
        match self {
            Self::Amazon => "amazon",
            Self::Platform => "platform",
        }
    }
}

/// What the client trusts: `roots` plus the certificates of `ca_bundle`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub roots: TrustRoots,
    /// `AWS_CA_BUNDLE`: a PEM file of CAs trusted in addition to `roots`.
    pub ca_bundle: Option<PathBuf>,
}

impl TlsSettings {
    pub const CA_BUNDLE_VAR: &'static str = "AWS_CA_BUNDLE";
}

/// The trust roots could not be set up; fails the cold start.
#[derive(Debug, PartialEq, Eq)]
pub struct TlsError(String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid TLS trust roots: {}", self.0)
    }
}

impl std::error::Error for TlsError {}

/// The TLS context for `settings`. Every certificate is checked here, in the
/// init phase: the SDK parses them only at the first connection, and panics
/// on one it cannot read.
pub fn tls_context(settings: &TlsSettings) -> Result<TlsContext, TlsError> {
    let mut store = TrustStore::empty().with_native_roots(settings.roots == TrustRoots::Platform);
    if settings.roots == TrustRoots::Amazon {
        let pem = AMAZON_TRUST_SERVICES.as_bytes();
        check_certificates(pem)
            .map_err(|err| TlsError(format!("the pinned Amazon Trust Services roots: {err}")))?;
        store.add_pem_certificate(pem);
    }
    if let Some(path) = &settings.ca_bundle {
        let var = TlsSettings::CA_BUNDLE_VAR;
        let shown = path.display();
        let pem = std::fs::read(path)
            .map_err(|err| TlsError(format!("{var} {shown} cannot be read: {err}")))?;
        check_certificates(&pem)
            .map_err(|err| TlsError(format!("{var} {shown} is not a PEM CA bundle: {err}")))?;
        store.add_pem_certificate(pem);
    }
    TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|err| TlsError(format!("the TLS context cannot be built: {err}")))
}

/// Parses `pem` as rustls will, into trust anchors; the number of certificates.
fn check_certificates(pem: &[u8]) -> Result<usize, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| err.to_string())?;
    if certificates.is_empty() {
        return Err("it holds no CERTIFICATE block".to_owned());
    }
    let mut anchors = rustls::RootCertStore::empty();
    for certificate in certificates {
        anchors.add(certificate).map_err(|err| err.to_string())?;
    }
    Ok(anchors.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_roots_are_the_five_amazon_trust_services_roots() {
        assert_eq!(check_certificates(AMAZON_TRUST_SERVICES.as_bytes()), Ok(5));
        assert!(tls_context(&TlsSettings::default()).is_ok());
    }

    #[test]
    fn an_unreadable_ca_bundle_is_an_error_naming_the_variable_and_path() {
        let settings = TlsSettings {
            roots: TrustRoots::Amazon,
            ca_bundle: Some(PathBuf::from("/nonexistent/ca.pem")),
        };
        let err = tls_context(&settings).err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.contains("AWS_CA_BUNDLE /nonexistent/ca.pem cannot be read"),
            "{err}"
        );
    }

    #[test]
    fn a_ca_bundle_that_is_not_pem_certificates_is_an_error() {
        let dir = std::env::temp_dir().join(format!("epochstore-tls-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let cases: [(&str, &[u8]); 3] = [
            ("empty.pem", b""),
            ("key.pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            (
                "garbage.pem",
                b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
            ),
        ];
        for (name, content) in cases {
            let path = dir.join(name);
            assert!(std::fs::write(&path, content).is_ok());
            let settings = TlsSettings {
                roots: TrustRoots::Platform,
                ca_bundle: Some(path.clone()),
            };
            let err = tls_context(&settings).err().map(|e| e.to_string());
            let err = err.unwrap_or_default();
            assert!(
                err.contains(&format!(
                    "AWS_CA_BUNDLE {} is not a PEM CA bundle",
                    path.display()
                )),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn a_ca_bundle_of_certificates_is_accepted() {
        let dir = std::env::temp_dir().join(format!("epochstore-tls-ok-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("bundle.pem");
        // The first pinned root stands in for a private CA.
        let first = AMAZON_TRUST_SERVICES
            .split_inclusive("-----END CERTIFICATE-----\n")
            .next()
            .unwrap_or_default();
        assert!(std::fs::write(&path, first).is_ok());
        let settings = TlsSettings {
            roots: TrustRoots::Platform,
            ca_bundle: Some(path),
        };
        assert!(tls_context(&settings).is_ok());
    }
}
