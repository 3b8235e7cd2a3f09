//! HTTP CONNECT proxies (Autobahn's `proxy=`): the TCP connection to the router is tunnelled
//! through the proxy; TLS and the WebSocket or RawSocket handshake then run inside the tunnel,
//! so a `wss://` router's certificate is checked end to end.

use std::fmt;

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::error::{ConfigError, ConnectError};
use crate::auth::Secret;

/// The largest CONNECT response (status line and headers) accepted.
const MAX_RESPONSE: usize = 8 * 1024;
/// The most response headers accepted.
const MAX_HEADERS: usize = 64;

/// An HTTP proxy reached with `CONNECT host:port`, from a URL `http://[user:password@]host:port`
/// (see [`TransportConfig::proxy`](super::TransportConfig::proxy)). `Debug` never shows the
/// password.
///
/// ```
/// use wamp_client::transport::ProxyConfig;
///
/// let proxy = ProxyConfig::new("http://joe:s3cret@proxy.example.com:3128").unwrap();
/// assert_eq!(proxy.host(), "proxy.example.com");
/// assert_eq!(proxy.port(), 3128);
/// assert!(!format!("{proxy:?}").contains("s3cret"));
/// assert!(ProxyConfig::new("socks5://proxy:1080").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    host: String,
    port: u16,
    /// User and password for `Proxy-Authorization: Basic`.
    credentials: Option<(String, Secret)>,
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .finish()
    }
}

fn invalid(reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidSetting {
        field: "proxy",
        reason: reason.into(),
    }
}

impl ProxyConfig {
    /// Parses `http://[user:password@]host[:port]` (port 80 by default; a bracketed IPv6
    /// host is allowed). User and password may be percent-encoded.
    pub fn new(url: &str) -> Result<ProxyConfig, ConfigError> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            invalid("the proxy URL must start with http:// (an HTTP CONNECT proxy)")
        })?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') || rest.contains('?') || rest.contains('#') {
            return Err(invalid("the proxy URL has a path; give http://host:port"));
        }
        let (credentials, authority) = match rest.rsplit_once('@') {
            Some((userinfo, authority)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let password = percent_decode(password)?;
                (
                    Some((percent_decode(user)?, Secret::from(password))),
                    authority,
                )
            }
            None => (None, rest),
        };
        let (host, port) = split_host_port(authority)?;
        Ok(ProxyConfig {
            host,
            port,
            credentials,
        })
    }

    /// The proxy's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Opens a TCP connection to the proxy and a tunnel through it to `host:port`.
    pub(crate) async fn tunnel(&self, host: &str, port: u16) -> Result<TcpStream, ConnectError> {
        let mut tcp = TcpStream::connect((self.host.as_str(), self.port)).await?;
        tcp.set_nodelay(true)?;
        let target = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if let Some((user, password)) = &self.credentials {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{user}:{}", password.expose()));
            request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        }
        request.push_str("\r\n");
        tcp.write_all(request.as_bytes()).await?;
        // Read the response byte by byte up to its blank line: nothing of the tunnel is read
        // ahead (the router speaks only after our handshake, but a TLS server may not wait).
        let mut response = Vec::with_capacity(256);
        let mut byte = [0u8; 1];
        while !response.ends_with(b"\r\n\r\n") {
            if response.len() >= MAX_RESPONSE {
                return Err(proxy_error(
                    None,
                    format!("its answer exceeds {} KiB", MAX_RESPONSE / 1024),
                ));
            }
            if tcp.read(&mut byte).await? == 0 {
                return Err(proxy_error(
                    None,
                    "it closed the connection before answering",
                ));
            }
            response.push(byte[0]);
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(&response) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) | Err(_) => {
                return Err(proxy_error(None, "its answer is not HTTP"));
            }
        }
        match parsed.code {
            Some(code) if (200..300).contains(&code) => {
                tracing::debug!(proxy = %self.host, target = %target, "proxy tunnel open");
                Ok(tcp)
            }
            Some(407) => Err(proxy_error(
                Some(407),
                if self.credentials.is_some() {
                    "it refused our credentials (407)"
                } else {
                    "it asks for credentials (407): give them in the proxy URL"
                },
            )),
            code => Err(proxy_error(
                code,
                format!(
                    "it refused the tunnel to {target}: {} {}",
                    code.unwrap_or(0),
                    parsed.reason.unwrap_or("")
                ),
            )),
        }
    }
}

fn proxy_error(status: Option<u16>, reason: impl Into<String>) -> ConnectError {
    ConnectError::Proxy {
        status,
        reason: reason.into(),
    }
}

/// `host[:port]` or `[v6][:port]`; port 80 by default.
fn split_host_port(authority: &str) -> Result<(String, u16), ConfigError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid("unclosed [ in the proxy host"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(invalid("the proxy URL has no host"));
    }
    let port = match port {
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| invalid(format!("invalid proxy port {p:?}")))?,
    };
    Ok((host.to_owned(), port))
}

/// Decodes `%XX` escapes (user names and passwords in URLs).
fn percent_decode(text: &str) -> Result<String, ConfigError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| invalid("a bad %-escape in the proxy credentials"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| invalid("the proxy credentials are not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_parse_with_and_without_credentials_and_ports() {
        let p = ProxyConfig::new("http://proxy:3128").unwrap();
        assert_eq!(
            (p.host(), p.port(), p.credentials.is_none()),
            ("proxy", 3128, true)
        );
        let p = ProxyConfig::new("http://proxy/").unwrap();
        assert_eq!(p.port(), 80);
        let p = ProxyConfig::new("http://[::1]:8888").unwrap();
        assert_eq!((p.host(), p.port()), ("::1", 8888));
        let p = ProxyConfig::new("http://jo%40e:p%3Ass@proxy:1").unwrap();
        let (user, password) = p.credentials.clone().unwrap();
        assert_eq!((user.as_str(), password.expose()), ("jo@e", "p:ss"));
        assert!(!format!("{p:?}").contains("p:ss"));
    }

    #[test]
    fn bad_proxy_urls_are_refused_naming_the_setting() {
        for url in [
            "https://proxy:1",
            "http://",
            "http://proxy:0",
            "http://proxy:x",
            "http://proxy:1/path",
            "http://[::1:80",
            "http://u:%zz@proxy:1",
        ] {
            let e = ProxyConfig::new(url).unwrap_err();
            assert!(e.to_string().contains("proxy"), "{url}: {e}");
        }
    }
}
