//! TLS for `wss`, `rss` and `tcps`: trusted roots, an optional client certificate, the server
//! name, and the rustls client configuration built from them.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;

use super::error::{lower, ConfigError, ConnectError};

/// How to verify the server, and who we are, on a TLS connection.
///
/// Certificate verification is always on. By default the server certificate must chain to one
/// of the Mozilla roots shipped in `webpki-roots` or to a root of the operating system's store
/// (read once per process with `rustls-native-certs`); [`add_ca_pem`](Self::add_ca_pem) and
/// [`add_ca_file`](Self::add_ca_file) add roots, [`only_custom_roots`](Self::only_custom_roots)
/// drops the built-in ones. The server name checked (and sent as SNI) is the URL's host unless
/// [`server_name`](Self::server_name) overrides it; IP addresses are checked against the
/// certificate's IP SANs.
///
/// `Debug` never shows key material.
///
/// ```
/// use wamp_client::transport::{TlsConfig, TransportConfig};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let ca_pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/src/transport/testdata/ca.pem"))?;
/// let tls = TlsConfig::default().add_ca_pem(&ca_pem)?.only_custom_roots();
/// let config = TransportConfig::new("wss://router.internal:8443/ws")?.tls(tls);
/// assert!(config.is_tls());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct TlsConfig {
    custom_roots: Vec<CertificateDer<'static>>,
    only_custom: bool,
    client: Option<ClientIdentity>,
    server_name: Option<String>,
}

#[derive(Clone)]
struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("custom_roots", &self.custom_roots.len())
            .field("only_custom_roots", &self.only_custom)
            .field(
                "client_cert_chain",
                &self.client.as_ref().map(|c| c.chain.len()),
            )
            .field("client_key", &self.client.as_ref().map(|_| Redacted))
            .field("server_name", &self.server_name)
            .finish()
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl TlsConfig {
    /// Trusts the CA certificates in `pem` (one or more `CERTIFICATE` blocks) in addition to
    /// the current roots.
    ///
    /// Fails if the text holds no certificate or a malformed one.
    ///
    /// ```
    /// use wamp_client::transport::{ConfigError, TlsConfig};
    ///
    /// let err = TlsConfig::default().add_ca_pem(b"not a pem").unwrap_err();
    /// assert!(matches!(err, ConfigError::InvalidPem(_)));
    /// ```
    pub fn add_ca_pem(mut self, pem: &[u8]) -> Result<Self, ConfigError> {
        let certs = parse_certs(pem)?;
        let mut scratch = RootCertStore::empty();
        for cert in &certs {
            scratch
                .add(cert.clone())
                .map_err(|e| ConfigError::InvalidCertificate(lower(e.to_string())))?;
        }
        self.custom_roots.extend(certs);
        Ok(self)
    }

    /// Reads a PEM file and trusts its CA certificates, like [`add_ca_pem`](Self::add_ca_pem).
    ///
    /// ```
    /// use wamp_client::transport::{ConfigError, TlsConfig};
    ///
    /// let err = TlsConfig::default().add_ca_file("/nonexistent/ca.pem").unwrap_err();
    /// assert!(matches!(err, ConfigError::ReadFile { .. }));
    /// ```
    pub fn add_ca_file(self, path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|source| ConfigError::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        self.add_ca_pem(&pem)
    }

    /// Trusts only the roots added with [`add_ca_pem`](Self::add_ca_pem) or
    /// [`add_ca_file`](Self::add_ca_file), not the built-in and system ones.
    ///
    /// ```
    /// use wamp_client::transport::TlsConfig;
    ///
    /// let tls = TlsConfig::default().only_custom_roots();
    /// assert!(format!("{tls:?}").contains("only_custom_roots: true"));
    /// ```
    pub fn only_custom_roots(mut self) -> Self {
        self.only_custom = true;
        self
    }

    /// Presents a client certificate: `chain_pem` holds the certificate chain (leaf first),
    /// `key_pem` the private key (PKCS#8, PKCS#1 or SEC1).
    ///
    /// Fails if either cannot be parsed or the key does not belong to the leaf certificate.
    ///
    /// ```
    /// use wamp_client::transport::{ConfigError, TlsConfig};
    ///
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/transport/testdata");
    /// # let chain = std::fs::read(format!("{dir}/client.pem")).unwrap();
    /// # let key = std::fs::read(format!("{dir}/client.key")).unwrap();
    /// let tls = TlsConfig::default().client_cert_pem(&chain, &key).unwrap();
    /// assert!(format!("{tls:?}").contains("<redacted>"));
    ///
    /// let err = TlsConfig::default().client_cert_pem(&chain, b"").unwrap_err();
    /// assert!(matches!(err, ConfigError::InvalidClientKey(_)));
    /// ```
    pub fn client_cert_pem(
        mut self,
        chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Self, ConfigError> {
        let chain = parse_certs(chain_pem)?;
        let key = rustls_pemfile::private_key(&mut &key_pem[..])
            .map_err(|e| ConfigError::InvalidClientKey(lower(e.to_string())))?
            .ok_or_else(|| {
                ConfigError::InvalidClientKey("no private key found in the pem".into())
            })?;
        // Let rustls check the pair now rather than at connect time.
        provider_builder()
            .map_err(|e| ConfigError::Tls(lower(e.to_string())))?
            .with_root_certificates(RootCertStore::empty())
            .with_client_auth_cert(chain.clone(), key.clone_key())
            .map_err(|e| ConfigError::InvalidClientKey(lower(e.to_string())))?;
        self.client = Some(ClientIdentity {
            chain,
            key: Arc::new(key),
        });
        Ok(self)
    }

    /// Checks the server certificate against `name` (and sends it as SNI) instead of the URL's
    /// host; useful when connecting by IP address to a server whose certificate names a host.
    ///
    /// An invalid name is reported by `connect` as [`ConfigError::InvalidServerName`].
    ///
    /// ```
    /// use wamp_client::transport::TlsConfig;
    ///
    /// let tls = TlsConfig::default().server_name("router.internal");
    /// assert!(format!("{tls:?}").contains("router.internal"));
    /// ```
    pub fn server_name(mut self, name: &str) -> Self {
        self.server_name = Some(name.to_string());
        self
    }

    /// The server name to verify: the override or the URL host.
    pub(crate) fn server_name_for(
        &self,
        url_host: &str,
    ) -> Result<ServerName<'static>, ConfigError> {
        let name = self.server_name.as_deref().unwrap_or(url_host);
        ServerName::try_from(name.to_string())
            .map_err(|_| ConfigError::InvalidServerName(name.to_string()))
    }

    /// Builds the rustls client configuration (ring provider, no ALPN).
    pub(crate) fn build(&self) -> Result<Arc<ClientConfig>, ConfigError> {
        let roots = if self.only_custom {
            if self.custom_roots.is_empty() {
                return Err(ConfigError::NoRootCertificates);
            }
            let mut store = RootCertStore::empty();
            add_all(&mut store, &self.custom_roots)?;
            Arc::new(store)
        } else if self.custom_roots.is_empty() {
            default_roots()
        } else {
            let mut store = (*default_roots()).clone();
            add_all(&mut store, &self.custom_roots)?;
            Arc::new(store)
        };
        let builder = provider_builder()
            .map_err(|e| ConfigError::Tls(lower(e.to_string())))?
            .with_root_certificates(roots);
        let config = match &self.client {
            None => builder.with_no_client_auth(),
            Some(id) => builder
                .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
                .map_err(|e| ConfigError::InvalidClientKey(lower(e.to_string())))?,
        };
        Ok(Arc::new(config))
    }
}

/// A client config builder with the ring provider and its safe default protocol versions.
fn provider_builder(
) -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, rustls::Error> {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
}

fn add_all(
    store: &mut RootCertStore,
    certs: &[CertificateDer<'static>],
) -> Result<(), ConfigError> {
    for cert in certs {
        store
            .add(cert.clone())
            .map_err(|e| ConfigError::InvalidCertificate(lower(e.to_string())))?;
    }
    Ok(())
}

/// The Mozilla roots plus the system's, loaded once per process.
fn default_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut store = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let native = rustls_native_certs::load_native_certs();
            for e in &native.errors {
                tracing::debug!(error = %e, "cannot load some system root certificates");
            }
            let (added, ignored) = store.add_parsable_certificates(native.certs);
            tracing::debug!(
                webpki = webpki_roots::TLS_SERVER_ROOTS.len(),
                system = added,
                ignored,
                "loaded tls root certificates"
            );
            Arc::new(store)
        })
        .clone()
}

fn parse_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs = rustls_pemfile::certs(&mut &pem[..])
        .collect::<Result<Vec<_>, io::Error>>()
        .map_err(|e| ConfigError::InvalidPem(lower(e.to_string())))?;
    if certs.is_empty() {
        return Err(ConfigError::InvalidPem("no certificate found".into()));
    }
    Ok(certs)
}

/// Runs the TLS handshake over a connected stream.
pub(crate) async fn handshake<S>(
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    stream: S,
) -> Result<TlsStream<S>, ConnectError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(tls_error)
}

/// tokio-rustls reports rustls errors inside an `io::Error`; take them out.
fn tls_error(e: io::Error) -> ConnectError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => ConnectError::Tls(tls.clone()),
        None => ConnectError::Io(e),
    }
}
