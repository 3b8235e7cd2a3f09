//! WAMP over WebSocket (RFC 6455, client side): the opening handshake with the `wamp.2.*`
//! subprotocols, and one WebSocket message per WAMP message (binary for MessagePack and CBOR,
//! text for JSON).
//!
//! The frames are [`wamp_core::framing::websocket`], shared with the router; the HTTP of the
//! client's opening handshake is here.
//!
//! Our own implementation, so that nothing here logs frames, payloads or header values: only
//! sizes, subprotocol names and HTTP statuses are ever logged.

use std::io;
use std::sync::Arc;

use base64::Engine as _;
use bytes::{Buf, BufMut, BytesMut};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
pub(crate) use wamp_core::framing::websocket::CLOSE_NORMAL;
use wamp_core::framing::websocket::{self, accept_key as accept_for, Role};
use wamp_core::framing::{Decoded, Inbox};
use wamp_core::serializer::Serializer;

use super::error::{ConfigError, ConnectError, TransportError};
use super::frame::Io;

/// The largest handshake response (status line and headers) accepted.
const MAX_RESPONSE: usize = 16 * 1024;
/// The most response headers accepted.
const MAX_HEADERS: usize = 64;

/// Headers the handshake writes itself: a custom header may not replace them.
const RESERVED_HEADERS: [&str; 7] = [
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

/// What the handshake needs from the configuration.
pub(crate) struct WsParams<'a> {
    /// `host[:port]` as written in the URL.
    pub(crate) authority: &'a str,
    /// The path and query, starting with `/`.
    pub(crate) path: &'a str,
    pub(crate) headers: &'a [(String, String)],
    pub(crate) serializers: &'a [Arc<dyn Serializer>],
}

/// Checks the extra headers before anything is sent: names are HTTP tokens other than the
/// headers of the handshake itself, values hold no control character but tabs.
pub(crate) fn check_headers(headers: &[(String, String)]) -> Result<(), ConfigError> {
    for (name, value) in headers {
        let reserved = RESERVED_HEADERS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(name));
        if !is_token(name) || reserved || !is_header_value(value) {
            return Err(ConfigError::InvalidHeader { name: name.clone() });
        }
    }
    Ok(())
}

/// An HTTP token (RFC 9110 §5.6.2).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// A header value: no CR, LF, NUL or other control character (tabs allowed).
fn is_header_value(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7F))
}

/// The opening request (the caller checked the custom headers).
fn request(p: &WsParams<'_>, key: &str) -> String {
    let offered: Vec<&str> = p.serializers.iter().map(|s| s.subprotocol()).collect();
    let mut req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: {}\r\n",
        p.path,
        p.authority,
        offered.join(", ")
    );
    for (name, value) in p.headers {
        req.push_str(name);
        req.push_str(": ");
        req.push_str(value);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    req
}

/// Runs the opening handshake over `io`. Returns the serializer the server picked and the
/// bytes that followed the response headers (the first frames).
pub(crate) async fn handshake(
    io: &mut Box<dyn Io>,
    p: WsParams<'_>,
) -> Result<(Arc<dyn Serializer>, BytesMut), ConnectError> {
    let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
    io.write_all(request(&p, &key).as_bytes()).await?;
    io.flush().await?;

    let mut buf = BytesMut::with_capacity(1024);
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let serializer = check_response(&response, &key, p.serializers)?;
                buf.advance(len);
                return Ok((serializer, buf));
            }
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => {
                return Err(handshake_error(format!(
                    "the response has more than {MAX_HEADERS} headers"
                )))
            }
            Err(e) => {
                return Err(handshake_error(format!(
                    "invalid http response: {}",
                    super::error::lower(e.to_string())
                )))
            }
        }
        if buf.len() >= MAX_RESPONSE {
            return Err(handshake_error(format!(
                "the response headers exceed {} KiB",
                MAX_RESPONSE / 1024
            )));
        }
        buf.reserve(1024);
        let room = MAX_RESPONSE - buf.len();
        let n = io.read_buf(&mut (&mut buf).limit(room)).await?;
        if n == 0 {
            return Err(ConnectError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection during the websocket handshake",
            )));
        }
    }
}

fn handshake_error(reason: String) -> ConnectError {
    ConnectError::WebSocket {
        status: None,
        reason,
    }
}

/// Checks a complete response and picks the serializer.
fn check_response(
    response: &httparse::Response<'_, '_>,
    key: &str,
    serializers: &[Arc<dyn Serializer>],
) -> Result<Arc<dyn Serializer>, ConnectError> {
    let code = response.code.unwrap_or(0);
    if code != 101 {
        let reason = format!("http status {code} {}", canonical_reason(code));
        return Err(ConnectError::WebSocket {
            status: Some(code),
            reason: reason.trim_end().to_string(),
        });
    }
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let has_token = |name: &str, token: &str| {
        header(name).is_some_and(|v| {
            v.split(|b| *b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        })
    };
    if !has_token("upgrade", "websocket") {
        return Err(handshake_error(
            "the response does not upgrade to websocket".into(),
        ));
    }
    if !has_token("connection", "upgrade") {
        return Err(handshake_error(
            "the response lacks connection: upgrade".into(),
        ));
    }
    if header("sec-websocket-accept").map(<[u8]>::trim_ascii) != Some(accept_for(key).as_bytes()) {
        return Err(handshake_error(
            "the response has a missing or wrong sec-websocket-accept".into(),
        ));
    }
    if header("sec-websocket-extensions").is_some_and(|v| !v.trim_ascii().is_empty()) {
        return Err(handshake_error(
            "the server enabled an extension we did not offer".into(),
        ));
    }
    let chosen = header("sec-websocket-protocol").map(<[u8]>::trim_ascii);
    let serializer = chosen
        .and_then(|c| serializers.iter().find(|s| s.subprotocol().as_bytes() == c))
        .cloned()
        .ok_or(ConnectError::NoSerializer)?;
    tracing::debug!(
        chosen = serializer.subprotocol(),
        "websocket handshake done"
    );
    Ok(serializer)
}

/// The standard reason phrase of an HTTP status, lowercase (empty when unknown).
fn canonical_reason(code: u16) -> &'static str {
    match code {
        100 => "continue",
        200 => "ok",
        300 => "multiple choices",
        301 => "moved permanently",
        302 => "found",
        303 => "see other",
        304 => "not modified",
        307 => "temporary redirect",
        308 => "permanent redirect",
        400 => "bad request",
        401 => "unauthorized",
        402 => "payment required",
        403 => "forbidden",
        404 => "not found",
        405 => "method not allowed",
        406 => "not acceptable",
        407 => "proxy authentication required",
        408 => "request timeout",
        409 => "conflict",
        410 => "gone",
        411 => "length required",
        412 => "precondition failed",
        413 => "payload too large",
        414 => "uri too long",
        415 => "unsupported media type",
        416 => "range not satisfiable",
        417 => "expectation failed",
        421 => "misdirected request",
        422 => "unprocessable entity",
        426 => "upgrade required",
        428 => "precondition required",
        429 => "too many requests",
        431 => "request header fields too large",
        451 => "unavailable for legal reasons",
        500 => "internal server error",
        501 => "not implemented",
        502 => "bad gateway",
        503 => "service unavailable",
        504 => "gateway timeout",
        505 => "http version not supported",
        511 => "network authentication required",
        _ => "",
    }
}

/// The WebSocket framing of a [`Connection`](super::Connection): the shared client-role codec
/// of [`wamp_core::framing::websocket`] (server frames in, masked client frames out), with the
/// source of the masks.
pub(crate) struct WsCodec {
    inner: websocket::WsCodec,
    /// The source of frame masks: a ChaCha12 stream seeded from the OS (RFC 6455 §5.3 asks
    /// for unpredictable masks), boxed to keep the codec small.
    masks: Box<StdRng>,
}

impl WsCodec {
    /// `limit` is the largest message accepted; `text` says how messages are sent.
    pub(crate) fn new(limit: usize, text: bool) -> Self {
        WsCodec {
            inner: websocket::WsCodec::new(Role::Client, limit, text),
            masks: Box::new(StdRng::from_rng(&mut rand::rng())),
        }
    }

    /// Whether a fragmented message is being received.
    pub(crate) fn in_message(&self) -> bool {
        self.inner.in_message()
    }

    /// The next complete message or control frame, if any.
    pub(crate) fn decode(&mut self, inbox: &mut Inbox) -> Result<Option<Decoded>, TransportError> {
        Ok(self.inner.decode(inbox)?)
    }

    /// Frames one message: text for JSON, else binary. A text message must be UTF-8
    /// ([`TransportError::Protocol`] otherwise, and nothing is queued).
    pub(crate) fn encode_message(
        &mut self,
        out: &mut BytesMut,
        payload: &[u8],
    ) -> Result<(), TransportError> {
        let mask = self.mask();
        Ok(self.inner.encode_message(out, payload, Some(mask))?)
    }

    /// Frames a ping (payload cut to 125 bytes).
    pub(crate) fn encode_ping(&mut self, out: &mut BytesMut, payload: &[u8]) {
        let mask = self.mask();
        self.inner.encode_ping(out, payload, Some(mask));
    }

    /// Frames a pong echoing a ping's payload (at most 125 bytes, as pings are).
    pub(crate) fn encode_pong(&mut self, out: &mut BytesMut, payload: &[u8]) {
        let mask = self.mask();
        self.inner.encode_pong(out, payload, Some(mask));
    }

    /// Frames a close with `code` (an empty close without one). A code that may not be sent
    /// (1005, 1006, 1015, unassigned) is replaced by 1002, protocol error.
    pub(crate) fn encode_close(&mut self, out: &mut BytesMut, code: Option<u16>) {
        let mask = self.mask();
        self.inner.encode_close(out, code, Some(mask));
    }

    fn mask(&mut self) -> [u8; 4] {
        self.masks.next_u32().to_ne_bytes()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use wamp_core::framing::websocket::{
        apply_mask, encode_frame, parse_header, MAX_CONTROL, OP_BINARY, OP_CLOSE, OP_CONTINUATION,
        OP_PING, OP_PONG, OP_TEXT,
    };
    use wamp_core::framing::FrameError;

    use super::super::frame::Frame;
    use super::*;

    /// The reference masking of RFC 6455 §5.3: byte i XOR mask[i % 4].
    fn mask_bytewise(payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        payload
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ mask[i % 4])
            .collect()
    }

    #[test]
    fn masking_8_bytes_at_a_time_matches_the_bytewise_definition_at_every_length() {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        for len in (0..40).chain([511, 512, 513, 1000, 4099]) {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut out = payload.clone();
            apply_mask(&mut out, mask);
            assert_eq!(&out[..], &mask_bytewise(&payload, mask)[..], "len {len}");
        }
    }

    #[test]
    fn the_rfc_example_frames_are_encoded_and_masked_as_in_section_5_7() {
        // A single-frame masked text message "Hello".
        let mut out = BytesMut::new();
        encode_frame(&mut out, OP_TEXT, b"Hello", Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(
            &out[..],
            &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
    }

    #[test]
    fn lengths_use_7_16_or_64_bits() {
        for (len, header) in [
            (125usize, vec![0x82, 0x80 | 125]),
            (126, vec![0x82, 0x80 | 126, 0, 126]),
            (65_535, vec![0x82, 0x80 | 126, 0xFF, 0xFF]),
            (65_536, vec![0x82, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0]),
        ] {
            let mut out = BytesMut::new();
            encode_frame(&mut out, OP_BINARY, &vec![0; len], Some([0; 4]));
            assert_eq!(&out[..header.len()], &header[..], "len {len}");
            assert_eq!(out.len(), header.len() + 4 + len);
        }
    }

    #[test]
    fn the_accept_key_is_the_rfc_example() {
        // RFC 6455 §1.3
        assert_eq!(
            accept_for("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn header_names_must_be_tokens_and_values_free_of_control_characters() {
        let ok = |n: &str, v: &str| check_headers(&[(n.into(), v.into())]).is_ok();
        assert!(ok("Authorization", "Bearer abc"));
        assert!(ok("X-Trace", "a\tb é"));
        assert!(ok("X-Empty", ""));
        assert!(!ok("Bad Header", "x"));
        assert!(!ok("", "x"));
        assert!(!ok("X:Y", "x"));
        assert!(!ok("X-Inject", "a\r\nEvil: yes"));
        assert!(!ok("X-Nul", "a\0b"));
        assert!(!ok("X-Lf", "a\nb"));
        // the handshake's own headers cannot be replaced
        assert!(!ok("sec-websocket-protocol", "wamp.2.json"));
        assert!(!ok("Host", "elsewhere"));
    }

    #[test]
    fn control_frames_that_are_fragmented_or_long_and_masked_or_reserved_frames_are_refused() {
        let bad: [&[u8]; 7] = [
            &[0x09, 0x00],             // ping without FIN
            &[0x89, 126, 0, 126],      // ping of 126 bytes
            &[0x82, 0x81, 1, 2, 3, 4], // masked
            &[0xC2, 0x00],             // RSV1
            &[0x83, 0x00],             // opcode 3
            &[0x8B, 0x00],             // opcode 0xB
            &[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0],
        ];
        for b in bad {
            assert!(
                matches!(parse_header(b, Role::Client), Err(FrameError::Protocol(_))),
                "{b:x?}"
            );
        }
        assert_eq!(parse_header(&[0x82], Role::Client).unwrap(), None);
        assert_eq!(parse_header(&[0x82, 126, 1], Role::Client).unwrap(), None);
    }

    #[test]
    fn close_codes_that_may_not_be_sent_are_replaced_by_protocol_error() {
        let mut codec = WsCodec::new(100, false);
        for (code, sent) in [
            (1000u16, 1000u16),
            (4001, 4001),
            (1005, 1002),
            (1006, 1002),
            (999, 1002),
        ] {
            let mut out = BytesMut::new();
            codec.encode_close(&mut out, Some(code));
            let mask = [out[2], out[3], out[4], out[5]];
            let body = mask_bytewise(&out[6..], mask);
            assert_eq!(body, sent.to_be_bytes(), "{code}");
        }
    }

    // ---- framing over an in-memory pipe ----

    use std::time::Duration;

    use tokio::io::{duplex, DuplexStream};
    use wamp_core::serializer::{Cbor, Json};

    use super::super::connection::{is_unexpected_eof, Connection, Timers};

    const LIMIT: usize = 1 << 20;

    fn ws_conn(io: DuplexStream, text: bool, limit: usize) -> Connection {
        let serializer: Arc<dyn Serializer> = if text { Arc::new(Json) } else { Arc::new(Cbor) };
        Connection::websocket(
            Box::new(io),
            BytesMut::new(),
            serializer,
            LIMIT,
            limit,
            Timers::for_tests(),
        )
    }

    /// An unmasked server frame.
    fn server_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
        let len = payload.len();
        if len < 126 {
            out.push(len as u8);
        } else if len <= 0xFFFF {
            out.push(126);
            out.extend((len as u16).to_be_bytes());
        } else {
            out.push(127);
            out.extend((len as u64).to_be_bytes());
        }
        out.extend(payload);
        out
    }

    /// Reads one client frame: checks that it is masked, returns (fin, opcode, payload, mask).
    async fn client_frame(peer: &mut DuplexStream) -> (bool, u8, Vec<u8>, [u8; 4]) {
        let mut h = [0u8; 2];
        peer.read_exact(&mut h).await.unwrap();
        assert!(h[1] & 0x80 != 0, "client frames must be masked");
        let len = match h[1] & 0x7F {
            126 => usize::from(peer.read_u16().await.unwrap()),
            127 => peer.read_u64().await.unwrap() as usize,
            n => usize::from(n),
        };
        let mut mask = [0u8; 4];
        peer.read_exact(&mut mask).await.unwrap();
        let mut payload = vec![0u8; len];
        peer.read_exact(&mut payload).await.unwrap();
        (
            h[0] & 0x80 != 0,
            h[0] & 0x0F,
            mask_bytewise(&payload, mask),
            mask,
        )
    }

    async fn bounded<F: std::future::Future>(f: F) -> F::Output {
        tokio::time::timeout(Duration::from_secs(10), f)
            .await
            .expect("test step timed out")
    }

    #[tokio::test]
    async fn messages_go_out_masked_with_a_fresh_mask_each_as_text_or_binary() {
        let (ours, mut peer) = duplex(1 << 16);
        let mut c = ws_conn(ours, true, LIMIT);
        c.queue_message(b"[1,\"realm1\",{}]").unwrap();
        c.queue_message(&[b'x'; 300]).unwrap();
        assert!(matches!(
            c.queue_message(&[0xC3, 0x28]),
            Err(TransportError::Protocol(_))
        ));
        bounded(c.write_all()).await.unwrap();
        let (fin, op, payload, m1) = client_frame(&mut peer).await;
        assert_eq!(
            (fin, op, &payload[..]),
            (true, OP_TEXT, &b"[1,\"realm1\",{}]"[..])
        );
        let (_, op, payload, m2) = client_frame(&mut peer).await;
        assert_eq!((op, payload.len()), (OP_TEXT, 300));
        assert_ne!(m1, m2);

        let (ours, mut peer) = duplex(1 << 20);
        let mut c = ws_conn(ours, false, LIMIT);
        let big: Vec<u8> = (0..70_000u32).map(|i| i as u8).collect();
        c.queue_message(&big).unwrap();
        bounded(c.write_all()).await.unwrap();
        let (_, op, payload, _) = client_frame(&mut peer).await;
        assert_eq!(op, OP_BINARY);
        assert_eq!(payload, big);
    }

    #[tokio::test]
    async fn messages_with_7_16_and_64_bit_lengths_are_received_whole() {
        let (ours, mut peer) = duplex(1 << 20);
        let mut c = ws_conn(ours, false, LIMIT);
        let sizes = [0usize, 125, 126, 65_535, 65_536, 300_000];
        let mut bytes = Vec::new();
        for (i, n) in sizes.iter().enumerate() {
            bytes.extend(server_frame(true, OP_BINARY, &vec![i as u8; *n]));
        }
        let writer = tokio::spawn(async move {
            peer.write_all(&bytes).await.unwrap();
            peer
        });
        for (i, n) in sizes.iter().enumerate() {
            match bounded(c.read_frame()).await.unwrap() {
                Some(Frame::Message(m)) => {
                    assert_eq!(m.len(), *n);
                    assert!(m.iter().all(|b| *b == i as u8));
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(!c.in_frame());
        drop(writer.await.unwrap());
        assert_eq!(bounded(c.read_frame()).await.unwrap(), None);
    }

    #[tokio::test]
    async fn fragments_are_reassembled_around_interleaved_pings_which_get_pongs() {
        let (ours, mut peer) = duplex(1 << 20);
        let mut c = ws_conn(ours, true, LIMIT);
        peer.write_all(&server_frame(false, OP_TEXT, b"[36,1,"))
            .await
            .unwrap();
        peer.write_all(&server_frame(true, OP_PING, b"are you there"))
            .await
            .unwrap();
        peer.write_all(&server_frame(false, OP_CONTINUATION, b"2,{}"))
            .await
            .unwrap();
        // a large middle fragment, read into the message's own buffer
        let middle = vec![b' '; 100_000];
        peer.write_all(&server_frame(false, OP_CONTINUATION, &middle))
            .await
            .unwrap();
        peer.write_all(&server_frame(true, OP_CONTINUATION, b"]"))
            .await
            .unwrap();
        let mut want = b"[36,1,2,{}".to_vec();
        want.extend(&middle);
        want.push(b']');
        assert_eq!(
            bounded(c.read_frame()).await.unwrap(),
            Some(Frame::Message(Bytes::from(want)))
        );
        assert!(!c.in_frame());
        bounded(c.write_all()).await.unwrap();
        let (fin, op, payload, _) = client_frame(&mut peer).await;
        assert_eq!(
            (fin, op, &payload[..]),
            (true, OP_PONG, &b"are you there"[..])
        );
    }

    #[tokio::test]
    async fn a_fragmented_message_in_progress_keeps_in_frame_set() {
        let (ours, mut peer) = duplex(1 << 16);
        let mut c = ws_conn(ours, false, LIMIT);
        peer.write_all(&server_frame(false, OP_BINARY, b"abc"))
            .await
            .unwrap();
        let res = tokio::time::timeout(Duration::from_millis(50), c.read_frame()).await;
        assert!(res.is_err(), "no message before its last fragment");
        assert!(c.in_frame());
        peer.write_all(&server_frame(true, OP_CONTINUATION, b"def"))
            .await
            .unwrap();
        assert_eq!(
            bounded(c.read_frame()).await.unwrap(),
            Some(Frame::Message(Bytes::from_static(b"abcdef")))
        );
        assert!(!c.in_frame());
    }

    #[tokio::test]
    async fn a_message_over_the_limit_is_too_large_from_its_headers_alone() {
        // One frame announcing 1 GiB, no payload: refused without allocating it.
        let (ours, mut peer) = duplex(1 << 16);
        let mut c = ws_conn(ours, false, 1000);
        let mut header = vec![0x82, 127];
        header.extend((1u64 << 30).to_be_bytes());
        peer.write_all(&header).await.unwrap();
        match bounded(c.read_frame()).await {
            Err(TransportError::TooLarge { size, limit }) => {
                assert_eq!((size, limit), (1 << 30, 1000))
            }
            other => panic!("{other:?}"),
        }
        assert!(c.read_capacity() < 1 << 20);
        assert!(matches!(c.next_frame(), Err(TransportError::Closed)));

        // Fragments that add up to more than the limit.
        let (ours, mut peer) = duplex(1 << 16);
        let mut c = ws_conn(ours, false, 1000);
        peer.write_all(&server_frame(false, OP_BINARY, &[0; 600]))
            .await
            .unwrap();
        peer.write_all(&server_frame(true, OP_CONTINUATION, &[0; 600]))
            .await
            .unwrap();
        match bounded(c.read_frame()).await {
            Err(TransportError::TooLarge { size, limit }) => {
                assert_eq!((size, limit), (1200, 1000))
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_masked_server_frame_or_bad_fragment_order_is_a_protocol_error() {
        let cases: [Vec<u8>; 4] = [
            vec![0x82, 0x83, 1, 2, 3, 4, 5, 6, 7],
            server_frame(true, OP_CONTINUATION, b"x"),
            [
                server_frame(false, OP_TEXT, b"a"),
                server_frame(true, OP_TEXT, b"b"),
            ]
            .concat(),
            server_frame(true, OP_TEXT, &[0xFF, 0xFE]),
        ];
        for bytes in cases {
            let (ours, mut peer) = duplex(1 << 16);
            let mut c = ws_conn(ours, true, LIMIT);
            peer.write_all(&bytes).await.unwrap();
            match bounded(c.read_frame()).await {
                Err(TransportError::Protocol(_)) => {}
                other => panic!("{bytes:x?}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_close_from_the_server_is_answered_with_its_code_and_ends_the_connection() {
        let (ours, mut peer) = duplex(1 << 16);
        let mut c = ws_conn(ours, false, LIMIT);
        let mut bytes = server_frame(true, OP_BINARY, b"last");
        bytes.extend(server_frame(
            true,
            OP_CLOSE,
            &[0x03, 0xE9, b'b', b'y', b'e'],
        ));
        bytes.extend(server_frame(true, OP_BINARY, b"after close"));
        peer.write_all(&bytes).await.unwrap();
        assert_eq!(
            bounded(c.read_frame()).await.unwrap(),
            Some(Frame::Message(Bytes::from_static(b"last")))
        );
        assert_eq!(bounded(c.read_frame()).await.unwrap(), Some(Frame::Close));
        // nothing after the close frame is delivered, and nothing more may be sent
        assert_eq!(c.next_frame().unwrap(), None);
        assert!(!c.in_frame());
        assert!(matches!(c.queue_message(b"x"), Err(TransportError::Closed)));
        assert!(!c.queue_ping(b"p"));
        // the close reply echoes 1001, then close() shuts the stream down
        bounded(c.close()).await.unwrap();
        let (fin, op, payload, _) = client_frame(&mut peer).await;
        assert_eq!((fin, op, &payload[..]), (true, OP_CLOSE, &[0x03, 0xE9][..]));
        let mut rest = Vec::new();
        bounded(peer.read_to_end(&mut rest)).await.unwrap();
        assert!(rest.is_empty());
    }

    #[tokio::test]
    async fn closing_sends_1000_and_waits_for_the_servers_close() {
        let (ours, mut peer) = duplex(1 << 16);
        let mut c = ws_conn(ours, false, LIMIT);
        c.queue_message(b"bye").unwrap();
        let server = tokio::spawn(async move {
            let first = client_frame(&mut peer).await;
            let close = client_frame(&mut peer).await;
            // a message still in flight, then the close reply
            peer.write_all(&server_frame(true, OP_BINARY, b"late"))
                .await
                .unwrap();
            peer.write_all(&server_frame(true, OP_CLOSE, &1000u16.to_be_bytes()))
                .await
                .unwrap();
            let mut rest = Vec::new();
            peer.read_to_end(&mut rest).await.unwrap();
            (first, close, rest)
        });
        bounded(c.close()).await.unwrap();
        let (first, close, rest) = bounded(server).await.unwrap();
        assert_eq!((first.1, &first.2[..]), (OP_BINARY, &b"bye"[..]));
        assert_eq!((close.1, &close.2[..]), (OP_CLOSE, &[0x03, 0xE8][..]));
        assert!(rest.is_empty());
        assert!(matches!(c.queue_message(b"x"), Err(TransportError::Closed)));
        bounded(c.close()).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn closing_towards_a_peer_that_never_reads_gives_up_after_the_close_timeout() {
        let (ours, peer) = duplex(1024);
        let mut c = ws_conn(ours, false, LIMIT);
        c.queue_message(&vec![1u8; 100_000]).unwrap();
        let started = tokio::time::Instant::now();
        match c.close().await {
            Err(TransportError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::TimedOut),
            other => panic!("{other:?}"),
        }
        assert_eq!(started.elapsed(), super::super::connection::CLOSE_TIMEOUT);
        drop(peer);
    }

    #[tokio::test]
    async fn pings_are_queued_on_websocket_and_pongs_come_back_as_frames() {
        let (ours, mut peer) = duplex(1 << 16);
        let mut c = ws_conn(ours, false, LIMIT);
        assert!(c.queue_ping(&[7; 200]));
        bounded(c.write_all()).await.unwrap();
        let (_, op, payload, _) = client_frame(&mut peer).await;
        assert_eq!((op, payload.len()), (OP_PING, MAX_CONTROL));
        peer.write_all(&server_frame(true, OP_PONG, b"k"))
            .await
            .unwrap();
        assert_eq!(
            bounded(c.read_frame()).await.unwrap(),
            Some(Frame::Pong(Bytes::from_static(b"k")))
        );
    }

    #[tokio::test]
    async fn a_ping_flood_from_a_peer_that_does_not_read_keeps_the_write_buffer_bounded() {
        let (ours, mut peer) = duplex(1024);
        let mut c = ws_conn(ours, false, LIMIT);
        let ping = server_frame(true, OP_PING, &[9; 125]);
        for _ in 0..2000 {
            peer.write_all(&ping).await.unwrap();
            let t = bounded(std::future::poll_fn(|cx| c.poll_transfer(cx, true)))
                .await
                .unwrap();
            assert!(!t.eof);
            while c.next_frame().unwrap().is_some() {}
        }
        // 2000 pongs of 131 bytes would be 262 KB: only the backlog limit (plus the one
        // latest ping kept aside) is held.
        assert!(c.unsent() < 64 * 1024 + 200, "{}", c.unsent());
    }

    #[tokio::test]
    async fn the_stream_ending_inside_a_frame_is_an_unexpected_eof() {
        let (ours, mut peer) = duplex(1 << 16);
        let mut c = ws_conn(ours, false, LIMIT);
        peer.write_all(&[0x82, 10, 1, 2]).await.unwrap();
        drop(peer);
        let err = bounded(c.read_frame()).await.unwrap_err();
        assert!(is_unexpected_eof(&err), "{err:?}");
    }

    #[tokio::test]
    async fn bytes_after_the_handshake_response_are_the_first_frames() {
        let (ours, mut server) = duplex(1 << 16);
        let mut io: Box<dyn Io> = Box::new(ours);
        let serializers: Vec<Arc<dyn Serializer>> = vec![Arc::new(Cbor), Arc::new(Json)];
        let params = WsParams {
            authority: "router.example:8080",
            path: "/ws?x=1",
            headers: &[("Authorization".into(), "Bearer t0ken".into())],
            serializers: &serializers,
        };
        let server = tokio::spawn(async move {
            let mut req = Vec::new();
            while !req.ends_with(b"\r\n\r\n") {
                let mut b = [0u8; 1];
                server.read_exact(&mut b).await.unwrap();
                req.push(b[0]);
            }
            let text = String::from_utf8(req).unwrap();
            let key = text
                .lines()
                .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap()
                .to_string();
            let mut resp = format!(
                "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n\
                 connection: keep-alive, Upgrade\r\nsec-websocket-accept: {}\r\n\
                 sec-websocket-protocol: wamp.2.json\r\n\r\n",
                accept_for(&key)
            )
            .into_bytes();
            resp.extend(server_frame(true, OP_TEXT, b"[2,1,{}]"));
            server.write_all(&resp).await.unwrap();
            (text, server)
        });
        let (serializer, leftover) = bounded(handshake(&mut io, params)).await.unwrap();
        let (request, _server) = server.await.unwrap();
        assert!(request.starts_with("GET /ws?x=1 HTTP/1.1\r\nHost: router.example:8080\r\n"));
        assert!(request.contains("\r\nSec-WebSocket-Version: 13\r\n"));
        assert!(request.contains("\r\nSec-WebSocket-Protocol: wamp.2.cbor, wamp.2.json\r\n"));
        assert!(request.contains("\r\nAuthorization: Bearer t0ken\r\n"));
        assert_eq!(serializer.name(), "json");
        let mut c =
            Connection::websocket(io, leftover, serializer, LIMIT, LIMIT, Timers::for_tests());
        assert_eq!(
            c.next_frame().unwrap(),
            Some(Frame::Message(Bytes::from_static(b"[2,1,{}]")))
        );
    }

    /// Runs the handshake against a server that answers `response` (with the right accept
    /// key in place of `{accept}`).
    async fn handshake_against(response: String) -> Result<Arc<dyn Serializer>, ConnectError> {
        let (ours, mut server) = duplex(1 << 16);
        let mut io: Box<dyn Io> = Box::new(ours);
        let serializers: Vec<Arc<dyn Serializer>> = vec![Arc::new(Json)];
        let params = WsParams {
            authority: "h",
            path: "/",
            headers: &[],
            serializers: &serializers,
        };
        let _server = tokio::spawn(async move {
            let mut req = Vec::new();
            while !req.ends_with(b"\r\n\r\n") {
                let mut b = [0u8; 1];
                if server.read_exact(&mut b).await.is_err() {
                    return;
                }
                req.push(b[0]);
            }
            let text = String::from_utf8(req).unwrap();
            let key = text
                .lines()
                .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap();
            let resp = response.replace("{accept}", &accept_for(key));
            let _ = server.write_all(resp.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        bounded(handshake(&mut io, params)).await.map(|(s, _)| s)
    }

    #[tokio::test]
    async fn a_bad_upgrade_response_is_a_websocket_handshake_error() {
        let ok = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: wamp.2.json\r\n";
        assert_eq!(
            handshake_against(format!("{ok}\r\n")).await.unwrap().name(),
            "json"
        );
        let bad = [
            ok.replace("{accept}", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            ok.replace("Upgrade: websocket\r\n", ""),
            ok.replace("Connection: Upgrade\r\n", "Connection: close\r\n"),
            format!("{ok}Sec-WebSocket-Extensions: permessage-deflate\r\n"),
            format!("{ok}X-Big: {}\r\n", "y".repeat(17 * 1024)),
            format!("{ok}{}", "X-H: 1\r\n".repeat(70)),
            "HTTP/1.1 101\r\nbad header line\r\n".into(),
        ];
        for response in bad {
            match handshake_against(format!("{response}\r\n")).await {
                Err(ConnectError::WebSocket { status: None, .. }) => {}
                other => panic!("{response:?}: {other:?}"),
            }
        }
        match handshake_against(ok.replace("wamp.2.json", "wamp.2.cbor") + "\r\n").await {
            Err(ConnectError::NoSerializer) => {}
            other => panic!("{other:?}"),
        }
        match handshake_against("HTTP/1.1 502 Bad Gateway\r\n\r\n".into()).await {
            Err(e @ ConnectError::WebSocket { .. }) => {
                assert!(e.is_retryable());
                assert_eq!(
                    e.to_string(),
                    "websocket handshake failed: http status 502 bad gateway"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
