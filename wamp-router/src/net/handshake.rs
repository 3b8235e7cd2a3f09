//! The server side of the transport handshakes: the WebSocket HTTP upgrade and the RawSocket
//! 4-octet exchange.

use std::io;
use std::sync::Arc;

use bytes::{Buf, BufMut, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wamp_core::framing::rawsocket::{self, HelloError};
use wamp_core::framing::websocket::accept_key;
use wamp_core::serializer::Serializer;

use crate::config::ListenerConfig;

/// The largest HTTP request head read.
const MAX_REQUEST: usize = 16 * 1024;
/// The most request headers accepted.
const MAX_HEADERS: usize = 64;

/// A transport handshake that succeeded.
pub(crate) struct Accepted {
    pub(crate) serializer: Arc<dyn Serializer>,
    /// Bytes read past the handshake (the first frames).
    pub(crate) leftover: BytesMut,
    /// The largest message the peer accepts.
    pub(crate) peer_max: usize,
}

/// Why a handshake failed (the peer got its answer, if any, already).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("http {status}: {reason}")]
    Http { status: u16, reason: String },
    #[error("rawsocket error {code}: {reason}")]
    RawSocket { code: u8, reason: &'static str },
    #[error("not a rawsocket client (first octet {0:#04x})")]
    NotRawSocket(u8),
}

/// The WebSocket upgrade: reads the request, answers 101 with the first subprotocol of the
/// client's list that `l` serves, or an HTTP error (400 when none is in common, 503 when the
/// connection limit is reached).
pub(crate) async fn websocket<S>(
    io: &mut S,
    l: &ListenerConfig,
    admitted: bool,
) -> Result<Accepted, Refused>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let answer = check_request(&req, l, admitted);
                return match answer {
                    Ok((serializer, accept)) => {
                        let resp = format!(
                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                             Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\
                             Sec-WebSocket-Protocol: {}\r\n\r\n",
                            serializer.subprotocol()
                        );
                        io.write_all(resp.as_bytes()).await?;
                        io.flush().await?;
                        buf.advance(len);
                        Ok(Accepted {
                            serializer,
                            leftover: buf,
                            peer_max: usize::MAX,
                        })
                    }
                    Err((status, reason, extra)) => {
                        http_error(io, status, &reason, extra).await;
                        Err(Refused::Http { status, reason })
                    }
                };
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => {
                let reason = format!("invalid http request: {e}").to_lowercase();
                http_error(io, 400, &reason, "").await;
                return Err(Refused::Http {
                    status: 400,
                    reason,
                });
            }
        }
        if buf.len() >= MAX_REQUEST {
            let reason = "request headers too large".to_string();
            http_error(io, 431, &reason, "").await;
            return Err(Refused::Http {
                status: 431,
                reason,
            });
        }
        buf.reserve(1024);
        let room = MAX_REQUEST - buf.len();
        let n = io.read_buf(&mut (&mut buf).limit(room)).await?;
        if n == 0 {
            return Err(Refused::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the client closed the connection during the websocket handshake",
            )));
        }
    }
}

type HttpRefusal = (u16, String, &'static str);

/// Checks an upgrade request: the serializer picked and the `Sec-WebSocket-Accept`.
fn check_request(
    req: &httparse::Request<'_, '_>,
    l: &ListenerConfig,
    admitted: bool,
) -> Result<(Arc<dyn Serializer>, String), HttpRefusal> {
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let has_token = |name: &str, token: &str| {
        req.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .flat_map(|h| h.value.split(|b| *b == b','))
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    };
    if req.method != Some("GET") {
        return Err((405, "only GET upgrades to websocket".into(), ""));
    }
    if let Some(want) = &l.path {
        let path = req.path.unwrap_or("/").split('?').next().unwrap_or("/");
        if path != want.as_str() {
            return Err((404, format!("no websocket endpoint at {path}"), ""));
        }
    }
    if !has_token("upgrade", "websocket") || !has_token("connection", "upgrade") {
        return Err((
            426,
            "a websocket upgrade is required".into(),
            "Upgrade: websocket\r\n",
        ));
    }
    if header("sec-websocket-version").map(<[u8]>::trim_ascii) != Some(b"13") {
        return Err((
            426,
            "unsupported websocket version (13 is)".into(),
            "Sec-WebSocket-Version: 13\r\n",
        ));
    }
    let key = header("sec-websocket-key")
        .and_then(|k| std::str::from_utf8(k.trim_ascii()).ok())
        .filter(|k| !k.is_empty())
        .ok_or((400, "no sec-websocket-key".to_string(), ""))?;
    let offered = req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("sec-websocket-protocol"))
        .flat_map(|h| h.value.split(|b| *b == b','))
        .map(<[u8]>::trim_ascii);
    let mut chosen = None;
    for p in offered {
        if let Some(s) = l
            .serializers
            .iter()
            .find(|s| s.subprotocol().as_bytes() == p)
        {
            chosen = Some(s.clone());
            break;
        }
    }
    let Some(serializer) = chosen else {
        let served: Vec<&str> = l.serializers.iter().map(|s| s.subprotocol()).collect();
        return Err((
            400,
            format!(
                "no wamp subprotocol in common (this endpoint serves {})",
                served.join(", ")
            ),
            "",
        ));
    };
    if !admitted {
        return Err((503, "connection limit reached".into(), ""));
    }
    Ok((serializer, accept_key(key)))
}

/// Answers with an HTTP error and closes (best effort).
async fn http_error<S>(io: &mut S, status: u16, reason: &str, extra_headers: &str)
where
    S: AsyncWrite + Unpin,
{
    let phrase = match status {
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let body = format!("{reason}\n");
    let resp = format!(
        "HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    );
    let _ = io.write_all(resp.as_bytes()).await;
    let _ = io.shutdown().await;
}

/// The RawSocket handshake: reads the client's 4 octets, answers with our receive limit and
/// its serializer, or with an error nibble (1 serializer unsupported, 3 reserved bits, 4
/// connection limit).
pub(crate) async fn rawsocket<S>(
    io: &mut S,
    l: &ListenerConfig,
    admitted: bool,
) -> Result<Accepted, Refused>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut hello = [0u8; 4];
    io.read_exact(&mut hello[..1]).await?;
    if hello[0] != rawsocket::MAGIC {
        return Err(Refused::NotRawSocket(hello[0]));
    }
    io.read_exact(&mut hello[1..]).await?;
    let refuse = |code: u8| Refused::RawSocket {
        code,
        reason: rawsocket::refusal_reason(code),
    };
    let parsed = match rawsocket::parse_client_hello(hello) {
        Ok(h) => h,
        Err(HelloError::NotRawSocket) => return Err(Refused::NotRawSocket(hello[0])),
        Err(HelloError::Refuse(code)) => {
            send_error(io, code).await;
            return Err(refuse(code));
        }
    };
    let Some(serializer) = l
        .serializers
        .iter()
        .find(|s| s.rawsocket_id() == parsed.serializer_id)
        .cloned()
    else {
        let code = rawsocket::ERROR_SERIALIZER_UNSUPPORTED;
        send_error(io, code).await;
        return Err(refuse(code));
    };
    if !admitted {
        let code = rawsocket::ERROR_MAX_CONNECTIONS;
        send_error(io, code).await;
        return Err(refuse(code));
    }
    let limit = l.max_message_size.min(rawsocket::MAX_LEN);
    io.write_all(&rawsocket::handshake_octets(limit, parsed.serializer_id))
        .await?;
    io.flush().await?;
    Ok(Accepted {
        serializer,
        leftover: BytesMut::new(),
        peer_max: parsed.max_len.min(rawsocket::MAX_LEN),
    })
}

async fn send_error<S>(io: &mut S, code: u8)
where
    S: AsyncWrite + Unpin,
{
    let _ = io.write_all(&rawsocket::error_reply(code)).await;
    let _ = io.shutdown().await;
}
