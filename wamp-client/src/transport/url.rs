//! Parsing of transport URLs: `ws`, `wss`, `rs`, `rss`, `tcp`, `tcps` and `unix`.
//!
//! This is a small, strict parser for exactly the URL shapes a WAMP client needs; it does not aim
//! to be a general URL library.

use std::fmt;
use std::net::Ipv6Addr;
use std::path::PathBuf;

use super::error::{ConfigError, UrlProblem};

/// Where and how to connect, as read from a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// WebSocket over TCP, optionally TLS.
    WebSocket {
        /// Whether the scheme was `wss`.
        tls: bool,
        /// The host without IPv6 brackets.
        host: String,
        /// The explicit port or the scheme's default (80 or 443).
        port: u16,
        /// `host[:port]` exactly as written (with brackets for IPv6), for the request URI.
        authority: String,
        /// The path and query, starting with `/`.
        path: String,
    },
    /// RawSocket over TCP, optionally TLS.
    RawSocket {
        /// Whether the scheme was `rss` or `tcps`.
        tls: bool,
        /// The host without IPv6 brackets.
        host: String,
        /// The port (always explicit).
        port: u16,
    },
    /// RawSocket over a Unix domain socket.
    Unix {
        /// The absolute socket path.
        path: PathBuf,
    },
}

impl Endpoint {
    /// Parses a transport URL.
    pub(crate) fn parse(url: &str) -> Result<Self, ConfigError> {
        let fail = |problem: UrlProblem| ConfigError::InvalidUrl {
            url: url.to_string(),
            problem,
        };
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail(UrlProblem::InvalidCharacter));
        }
        let Some((scheme, rest)) = url.split_once(':') else {
            return Err(fail(UrlProblem::MissingScheme));
        };
        let scheme = scheme.to_ascii_lowercase();
        match scheme.as_str() {
            "unix" => return parse_unix(rest).map_err(fail),
            "ws" | "wss" | "rs" | "rss" | "tcp" | "tcps" => {}
            "" => return Err(fail(UrlProblem::MissingScheme)),
            _ => return Err(fail(UrlProblem::UnsupportedScheme(scheme))),
        }
        let Some(rest) = rest.strip_prefix("//") else {
            return Err(fail(UrlProblem::MissingSlashes));
        };
        if rest.contains('#') {
            return Err(fail(UrlProblem::Fragment));
        }
        let is_ws = scheme == "ws" || scheme == "wss";
        let tls = matches!(scheme.as_str(), "wss" | "rss" | "tcps");

        // autobahn's form for a RawSocket over a Unix socket: rs://unix:/path
        if !is_ws && !tls {
            if let Some(path) = rest.strip_prefix("unix:") {
                return parse_unix(path).map_err(fail);
            }
        }

        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(fail(UrlProblem::UserInfo));
        }
        let (host, port) = split_host_port(authority).map_err(fail)?;
        if is_ws {
            let port = match port {
                Some(p) => p,
                None if tls => 443,
                None => 80,
            };
            let path = if path.is_empty() {
                "/".to_string()
            } else if path.starts_with('?') {
                format!("/{path}")
            } else {
                path.to_string()
            };
            if !path_chars_ok(&path) {
                return Err(fail(UrlProblem::InvalidPath));
            }
            Ok(Endpoint::WebSocket {
                tls,
                host,
                port,
                authority: authority.to_string(),
                path,
            })
        } else {
            if !(path.is_empty() || path == "/") {
                return Err(fail(UrlProblem::PathNotAllowed));
            }
            let Some(port) = port else {
                return Err(fail(UrlProblem::MissingPort));
            };
            Ok(Endpoint::RawSocket { tls, host, port })
        }
    }

    /// Whether the connection uses TLS.
    pub(crate) fn is_tls(&self) -> bool {
        match self {
            Endpoint::WebSocket { tls, .. } | Endpoint::RawSocket { tls, .. } => *tls,
            Endpoint::Unix { .. } => false,
        }
    }
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlProblem::MissingScheme => {
                f.write_str("missing scheme (expected ws, wss, rs, rss, tcp, tcps or unix)")
            }
            UrlProblem::UnsupportedScheme(s) => write!(
                f,
                "unsupported scheme {s:?} (expected ws, wss, rs, rss, tcp, tcps or unix)"
            ),
            UrlProblem::MissingSlashes => f.write_str("expected \"//\" after the scheme"),
            UrlProblem::InvalidCharacter => f.write_str("whitespace or control character"),
            UrlProblem::UserInfo => f.write_str("user info (user@host) is not supported"),
            UrlProblem::Fragment => f.write_str("a fragment (#...) is not allowed"),
            UrlProblem::MissingHost => f.write_str("missing host"),
            UrlProblem::InvalidHost => f.write_str("invalid host"),
            UrlProblem::MissingPort => f.write_str("missing port (required for rawsocket)"),
            UrlProblem::InvalidPort => f.write_str("invalid port (expected 1 to 65535)"),
            UrlProblem::InvalidPath => f.write_str("invalid path"),
            UrlProblem::PathNotAllowed => f.write_str("a rawsocket url cannot have a path"),
            UrlProblem::UnixPathNotAbsolute => f.write_str("the unix socket path must be absolute"),
            UrlProblem::UnixHost => f.write_str("a unix url cannot name a host (use unix:///path)"),
        }
    }
}

/// `unix:///abs/path`, `unix:/abs/path` (and `rs://unix:/abs/path`): the part after `unix:`.
fn parse_unix(rest: &str) -> Result<Endpoint, UrlProblem> {
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            // an authority, which must be empty: unix:///path
            if !after.starts_with('/') {
                return Err(if after.is_empty() {
                    UrlProblem::InvalidPath
                } else {
                    UrlProblem::UnixHost
                });
            }
            after
        }
        None => rest,
    };
    if path.is_empty() {
        return Err(UrlProblem::InvalidPath);
    }
    if !path.starts_with('/') {
        return Err(UrlProblem::UnixPathNotAbsolute);
    }
    if path.contains(['?', '#']) || path.ends_with('/') {
        return Err(UrlProblem::InvalidPath);
    }
    Ok(Endpoint::Unix {
        path: PathBuf::from(path),
    })
}

/// Splits `host[:port]` or `[v6][:port]`; the host comes back without brackets.
fn split_host_port(authority: &str) -> Result<(String, Option<u16>), UrlProblem> {
    if authority.is_empty() {
        return Err(UrlProblem::MissingHost);
    }
    let (host, port) = if let Some(after) = authority.strip_prefix('[') {
        let Some((v6, tail)) = after.split_once(']') else {
            return Err(UrlProblem::InvalidHost);
        };
        if v6.parse::<Ipv6Addr>().is_err() {
            return Err(UrlProblem::InvalidHost);
        }
        let port = match tail {
            "" => None,
            _ => match tail.strip_prefix(':') {
                Some(p) => Some(p),
                None => return Err(UrlProblem::InvalidHost),
            },
        };
        (v6, port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(UrlProblem::MissingHost);
    }
    if !authority.starts_with('[') && !host_chars_ok(host) {
        return Err(UrlProblem::InvalidHost);
    }
    let port = match port {
        None => None,
        Some(p) => Some(parse_port(p)?),
    };
    Ok((host.to_string(), port))
}

fn parse_port(p: &str) -> Result<u16, UrlProblem> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlProblem::InvalidPort);
    }
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(UrlProblem::InvalidPort),
        Ok(n) => Ok(n),
    }
}

/// A DNS name or IPv4 literal: letters, digits, `-`, `.`, `_`; no empty labels.
fn host_chars_ok(host: &str) -> bool {
    let name = host.strip_suffix('.').unwrap_or(host);
    name.len() <= 253
        && name
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
}

/// The characters RFC 3986 allows in a path and query, plus `%` escapes (not validated further).
fn path_chars_ok(path: &str) -> bool {
    path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(tls: bool, host: &str, port: u16, authority: &str, path: &str) -> Endpoint {
        Endpoint::WebSocket {
            tls,
            host: host.into(),
            port,
            authority: authority.into(),
            path: path.into(),
        }
    }

    fn rs(tls: bool, host: &str, port: u16) -> Endpoint {
        Endpoint::RawSocket {
            tls,
            host: host.into(),
            port,
        }
    }

    fn unix(path: &str) -> Endpoint {
        Endpoint::Unix { path: path.into() }
    }

    #[test]
    fn valid_urls_parse_into_their_endpoints() {
        let table = [
            (
                "ws://localhost:8080/ws",
                ws(false, "localhost", 8080, "localhost:8080", "/ws"),
            ),
            (
                "ws://example.com",
                ws(false, "example.com", 80, "example.com", "/"),
            ),
            (
                "WS://example.com/",
                ws(false, "example.com", 80, "example.com", "/"),
            ),
            (
                "wss://example.com/a/b?x=1&y=2",
                ws(true, "example.com", 443, "example.com", "/a/b?x=1&y=2"),
            ),
            (
                "wss://example.com?x=1",
                ws(true, "example.com", 443, "example.com", "/?x=1"),
            ),
            (
                "ws://127.0.0.1:9000/ws",
                ws(false, "127.0.0.1", 9000, "127.0.0.1:9000", "/ws"),
            ),
            (
                "ws://[::1]:9000/ws",
                ws(false, "::1", 9000, "[::1]:9000", "/ws"),
            ),
            (
                "wss://[fe80::1]/",
                ws(true, "fe80::1", 443, "[fe80::1]", "/"),
            ),
            ("rs://127.0.0.1:8081", rs(false, "127.0.0.1", 8081)),
            ("rs://host.example:8081/", rs(false, "host.example", 8081)),
            ("rss://host.example:443", rs(true, "host.example", 443)),
            ("tcp://localhost:1", rs(false, "localhost", 1)),
            ("tcps://localhost:65535", rs(true, "localhost", 65535)),
            ("rs://[::1]:8081", rs(false, "::1", 8081)),
            ("unix:///tmp/router.sock", unix("/tmp/router.sock")),
            ("unix:/tmp/router.sock", unix("/tmp/router.sock")),
            ("rs://unix:/tmp/router.sock", unix("/tmp/router.sock")),
        ];
        for (url, want) in table {
            assert_eq!(Endpoint::parse(url).unwrap(), want, "{url}");
        }
    }

    #[test]
    fn invalid_urls_name_their_problem() {
        use UrlProblem::*;
        let table = [
            ("", MissingScheme),
            ("localhost:8080", UnsupportedScheme("localhost".into())),
            ("http://localhost/ws", UnsupportedScheme("http".into())),
            ("://x", MissingScheme),
            ("ws:localhost", MissingSlashes),
            ("ws://", MissingHost),
            ("ws:///ws", MissingHost),
            ("ws://:8080/ws", MissingHost),
            ("ws://local host/", InvalidCharacter),
            ("ws://bad_host!/", InvalidHost),
            ("ws://a..b/", InvalidHost),
            ("ws://[::1/", InvalidHost),
            ("ws://[nonsense]:80/", InvalidHost),
            ("ws://[::1]x/", InvalidHost),
            ("ws://host:/", InvalidPort),
            ("ws://host:0/", InvalidPort),
            ("ws://host:65536/", InvalidPort),
            ("ws://host:-1/", InvalidPort),
            ("ws://host:80:80/", InvalidPort),
            ("ws://user:pw@host/", UserInfo),
            ("ws://host/a#frag", Fragment),
            ("ws://host/a\"b", InvalidPath),
            ("ws://host/a\\b", InvalidPath),
            ("rs://host", MissingPort),
            ("rss://[::1]", MissingPort),
            ("tcp://host:8080/ws", PathNotAllowed),
            ("unix:relative.sock", UnixPathNotAbsolute),
            ("unix:", InvalidPath),
            ("unix://", InvalidPath),
            ("unix://host/tmp/x", UnixHost),
            ("unix:///tmp/dir/", InvalidPath),
            ("ws://host/\n", InvalidCharacter),
        ];
        for (url, want) in table {
            match Endpoint::parse(url) {
                Err(ConfigError::InvalidUrl { url: u, problem }) => {
                    assert_eq!(problem, want, "{url}");
                    assert_eq!(u, url);
                }
                other => panic!("{url}: expected {want:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn url_errors_read_as_lowercase_sentences_naming_the_url() {
        let err = Endpoint::parse("rs://host").unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid url \"rs://host\": missing port (required for rawsocket)"
        );
        let err = Endpoint::parse("ftp://host").unwrap_err().to_string();
        assert!(
            err.starts_with("invalid url \"ftp://host\": unsupported scheme \"ftp\""),
            "{err}"
        );
    }
}
