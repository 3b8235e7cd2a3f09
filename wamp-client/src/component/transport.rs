//! The transports of a component: where to connect ([`TransportConfig`]) and how to retry
//! ([`RetryPolicy`]).

use crate::error::ConfigError;
use crate::retry::RetryPolicy;
use crate::transport::TransportConfig;

/// One transport of a component: where to connect and how to retry.
///
/// ```
/// use wamp_client::{RetryPolicy, TransportConfig, TransportSpec};
///
/// let spec = TransportSpec::new(TransportConfig::new("rs://127.0.0.1:8081").unwrap())
///     .retry(RetryPolicy::default().max_retries(3));
/// assert_eq!(spec.config().url(), "rs://127.0.0.1:8081");
/// ```
#[derive(Debug, Clone)]
pub struct TransportSpec {
    pub(crate) config: TransportConfig,
    pub(crate) retry: RetryPolicy,
}

impl TransportSpec {
    /// A transport with Autobahn's default retry policy.
    pub fn new(config: TransportConfig) -> Self {
        TransportSpec {
            config,
            retry: RetryPolicy::default(),
        }
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The connection settings.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }
}

impl From<TransportConfig> for TransportSpec {
    fn from(config: TransportConfig) -> Self {
        TransportSpec::new(config)
    }
}

/// What [`ComponentBuilder::transport`](super::ComponentBuilder::transport) accepts: a URL, a [`TransportConfig`] or a
/// [`TransportSpec`]. A bad URL is reported by [`ComponentBuilder::build`](super::ComponentBuilder::build).
pub trait IntoTransport {
    /// Converts into a transport spec.
    fn into_transport(self) -> Result<TransportSpec, ConfigError>;
}

impl IntoTransport for &str {
    fn into_transport(self) -> Result<TransportSpec, ConfigError> {
        TransportConfig::new(self).map(TransportSpec::new)
    }
}

impl IntoTransport for String {
    fn into_transport(self) -> Result<TransportSpec, ConfigError> {
        self.as_str().into_transport()
    }
}

impl IntoTransport for TransportConfig {
    fn into_transport(self) -> Result<TransportSpec, ConfigError> {
        Ok(TransportSpec::new(self))
    }
}

impl IntoTransport for TransportSpec {
    fn into_transport(self) -> Result<TransportSpec, ConfigError> {
        Ok(self)
    }
}
