//! The transport's error types: configuration, connecting, and a live connection.

use std::io;
use std::path::PathBuf;

/// A transport configuration is invalid: a URL, a serializer name, a header or TLS material.
///
/// ```
/// use wamp_client::transport::{ConfigError, TransportConfig, UrlProblem};
///
/// let err = TransportConfig::new("rs://localhost").unwrap_err();
/// assert!(matches!(
///     err,
///     ConfigError::InvalidUrl { problem: UrlProblem::MissingPort, .. }
/// ));
/// assert_eq!(
///     err.to_string(),
///     "invalid url \"rs://localhost\": missing port (required for rawsocket)"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The transport URL cannot be used.
    #[error("invalid url {url:?}: {problem}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        problem: UrlProblem,
    },
    /// A serializer name other than `json`, `msgpack` or `cbor`.
    #[error("unknown serializer {0:?} (expected json, msgpack or cbor)")]
    UnknownSerializer(String),
    /// A setting is out of its range; `field` names it.
    #[error("invalid {field}: {reason}")]
    InvalidSetting {
        /// The setting, as named by its builder method.
        field: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// The serializer list is empty.
    #[error("no serializer configured")]
    NoSerializer,
    /// The serializer chosen for RawSocket has no RawSocket id (1 to 15).
    #[error("serializer {0:?} cannot be used over rawsocket (its rawsocket id is not 1 to 15)")]
    NoRawSocketId(&'static str),
    /// An extra HTTP header has an invalid name or value.
    #[error("invalid http header {name:?}")]
    InvalidHeader {
        /// The header name as given.
        name: String,
    },
    /// PEM text holds no usable item, or cannot be parsed.
    #[error("invalid pem: {0}")]
    InvalidPem(String),
    /// A certificate cannot be used as a trust anchor or client certificate.
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),
    /// The client private key is missing, unparsable or does not match the certificate.
    #[error("invalid client key: {0}")]
    InvalidClientKey(String),
    /// A file (e.g. a CA bundle) cannot be read.
    #[error("cannot read {path:?}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        source: io::Error,
    },
    /// The TLS server name (from the URL host or [`TlsConfig::server_name`]) is not a valid
    /// DNS name or IP address.
    ///
    /// [`TlsConfig::server_name`]: super::TlsConfig::server_name
    #[error("invalid tls server name {0:?}")]
    InvalidServerName(String),
    /// Only custom roots were asked for, but none were added.
    #[error("no trusted root certificates (only_custom_roots without add_ca_pem or add_ca_file)")]
    NoRootCertificates,
    /// rustls refused the TLS configuration.
    #[error("tls configuration: {0}")]
    Tls(String),
}

/// What is wrong with a transport URL, in [`ConfigError::InvalidUrl`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlProblem {
    /// No `scheme:` at the start.
    MissingScheme,
    /// A scheme other than `ws`, `wss`, `rs`, `rss`, `tcp`, `tcps`, `unix` (lowercased here).
    UnsupportedScheme(String),
    /// `scheme:` not followed by `//`.
    MissingSlashes,
    /// Whitespace or a control character somewhere in the URL.
    InvalidCharacter,
    /// `user@host` or `user:password@host`.
    UserInfo,
    /// A `#fragment`.
    Fragment,
    /// An empty host.
    MissingHost,
    /// A host that is neither a DNS name, an IPv4 address nor a bracketed IPv6 address.
    InvalidHost,
    /// A RawSocket URL without a port.
    MissingPort,
    /// A port that is not 1 to 65535.
    InvalidPort,
    /// A path with characters a URL cannot hold, or an unusable Unix socket path.
    InvalidPath,
    /// A RawSocket URL with a path.
    PathNotAllowed,
    /// `unix:relative/path`.
    UnixPathNotAbsolute,
    /// `unix://host/path`.
    UnixHost,
}

/// Connecting failed. [`ConnectError::is_retryable`] tells whether trying again may help.
///
/// ```
/// use wamp_client::transport::ConnectError;
///
/// assert!(ConnectError::Timeout.is_retryable());
/// assert!(!ConnectError::NoSerializer.is_retryable());
/// assert!(!ConnectError::RawSocketRefused { code: 1, reason: "serializer unsupported" }.is_retryable());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// TCP or Unix socket IO failed (connection refused, reset, name resolution, ...).
    #[error("connection failed: {0}")]
    Io(#[from] io::Error),
    /// The connect timeout (TCP connect + TLS + WebSocket or RawSocket handshake) elapsed.
    #[error("connect timed out")]
    Timeout,
    /// The TLS handshake failed, e.g. the server certificate was not trusted.
    #[error("tls handshake failed: {0}")]
    Tls(#[source] rustls::Error),
    /// The WebSocket opening handshake failed (an HTTP error status, a bad upgrade response).
    #[error("websocket handshake failed: {reason}")]
    WebSocket {
        /// The HTTP status when the server answered with one other than 101.
        status: Option<u16>,
        /// What went wrong.
        reason: String,
    },
    /// The router picked none of our serializers (no or an unknown WebSocket subprotocol).
    #[error("the router accepted none of the offered serializers")]
    NoSerializer,
    /// The router refused the RawSocket handshake with an error code.
    #[error("rawsocket handshake refused by the router: {reason} (code {code})")]
    RawSocketRefused {
        /// 1 serializer unsupported, 2 length unacceptable, 3 reserved bits used,
        /// 4 connection limit reached; other values are unknown codes.
        code: u8,
        /// The meaning of `code`.
        reason: &'static str,
    },
    /// The peer's first reply octet is not 0x7F: it does not speak RawSocket.
    #[error("the peer does not speak rawsocket (its first reply octet is not 0x7f)")]
    NotRawSocket,
    /// The peer's handshake reply is malformed (wrong serializer echoed, nonzero reserved octets).
    #[error("invalid handshake: {0}")]
    InvalidHandshake(String),
    /// The configuration cannot be used (e.g. an empty serializer list, an invalid header).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP proxy did not open a tunnel to the router.
    #[error("http proxy: {reason}")]
    Proxy {
        /// The proxy's HTTP status, when it answered with one.
        status: Option<u16>,
        /// What went wrong.
        reason: String,
    },
    /// The headers provider failed (its message); a later attempt asks it again.
    #[error("the headers provider failed: {0}")]
    Headers(String),
}

impl ConnectError {
    /// Whether connecting again later may succeed.
    ///
    /// Retryable: IO errors such as a refused or reset connection (but not a permission or
    /// unsupported-operation error), timeouts, HTTP 408, 429 and 5xx answers, and the RawSocket
    /// refusal "connection limit reached" (code 4), which is transient. Not retryable: TLS
    /// failures (an untrusted certificate will not become trusted), other handshake refusals,
    /// serializer mismatches and configuration errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            ConnectError::Io(e) => !matches!(
                e.kind(),
                io::ErrorKind::PermissionDenied
                    | io::ErrorKind::Unsupported
                    | io::ErrorKind::InvalidInput
            ),
            ConnectError::Timeout => true,
            ConnectError::WebSocket { status, .. } => {
                matches!(status, Some(s) if *s >= 500 || *s == 408 || *s == 429)
            }
            ConnectError::RawSocketRefused { code, .. } => *code == 4,
            ConnectError::Proxy { status, .. } => match status {
                None => true,
                Some(s) => *s >= 500 || *s == 408 || *s == 429,
            },
            ConnectError::Headers(_) => true,
            ConnectError::Tls(_)
            | ConnectError::NoSerializer
            | ConnectError::NotRawSocket
            | ConnectError::InvalidHandshake(_)
            | ConnectError::Config(_) => false,
        }
    }
}

/// A live connection failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// Reading or writing the socket failed (including a reset or an unexpected end of stream).
    #[error("transport io failed: {0}")]
    Io(#[from] io::Error),
    /// A message is larger than the limit: an incoming one larger than ours (the connection is
    /// then unusable), or an outgoing one larger than the connection's `max_send_size` (nothing
    /// was sent; the connection stays usable).
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The message size.
        size: usize,
        /// The limit it exceeds.
        limit: usize,
    },
    /// The peer broke the framing protocol (reserved bits, unknown frame type, bad WebSocket frame).
    #[error("transport protocol violation: {0}")]
    Protocol(String),
    /// The connection was closed (by us or the peer), or its reading side failed earlier, and
    /// cannot be used.
    #[error("transport closed")]
    Closed,
}

impl From<wamp_core::framing::FrameError> for TransportError {
    fn from(e: wamp_core::framing::FrameError) -> Self {
        match e {
            wamp_core::framing::FrameError::TooLarge { size, limit } => {
                TransportError::TooLarge { size, limit }
            }
            wamp_core::framing::FrameError::Protocol(what) => TransportError::Protocol(what),
            // FrameError is non_exhaustive: anything new is a framing violation.
            other => TransportError::Protocol(other.to_string()),
        }
    }
}

/// Error text from dependencies, lowercased at the start to match ours.
pub(crate) fn lower(s: String) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_uppercase() && !chars.next().is_some_and(char::is_uppercase) => {
            c.to_lowercase().chain(s.chars().skip(1)).collect()
        }
        _ => s,
    }
}
