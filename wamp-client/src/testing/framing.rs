//! The router's side of the framing, written apart from the client's own codecs so that the
//! two check each other: RawSocket frames (both directions look alike), WebSocket frames as a
//! server reads them (masked, from the client) and writes them (unmasked), and the opening
//! handshake's answer.

use base64::Engine as _;
use bytes::{Buf, BytesMut};
use sha1::{Digest, Sha1};

/// A frame the client sent, as [`FakePeer::recv_frame`](super::FakePeer::recv_frame) returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A whole WAMP message (WebSocket fragments reassembled), not decoded.
    Message(Vec<u8>),
    /// A ping (a WebSocket ping; a RawSocket PING), with its payload.
    Ping(Vec<u8>),
    /// A pong (a WebSocket pong; a RawSocket PONG), with its payload.
    Pong(Vec<u8>),
    /// A WebSocket close frame, with its status code if it has one.
    Close(Option<u16>),
}

/// RawSocket frame types.
pub(super) const RS_MESSAGE: u8 = 0;
pub(super) const RS_PING: u8 = 1;
pub(super) const RS_PONG: u8 = 2;

/// WebSocket opcodes.
pub(super) const WS_CONTINUATION: u8 = 0x0;
pub(super) const WS_TEXT: u8 = 0x1;
pub(super) const WS_BINARY: u8 = 0x2;
pub(super) const WS_CLOSE: u8 = 0x8;
pub(super) const WS_PING: u8 = 0x9;
pub(super) const WS_PONG: u8 = 0xA;

/// The largest HTTP request head the fake router reads.
pub(super) const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// A frame the client sent that breaks the framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Violation(pub(super) String);

/// One RawSocket frame: the 4-octet header (type, 24-bit length) and the payload. Payloads
/// above 2^24 - 1 octets cannot be framed: the length is cut to 24 bits, as a router that
/// does not check would do (use raw bytes for such tests).
pub(super) fn rawsocket_frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut out = Vec::with_capacity(4 + len);
    out.extend_from_slice(&[kind & 0x07, (len >> 16) as u8, (len >> 8) as u8, len as u8]);
    out.extend_from_slice(payload);
    out
}

/// The next complete RawSocket frame in `buf`, taken off it.
pub(super) fn take_rawsocket_frame(buf: &mut BytesMut) -> Result<Option<Frame>, Violation> {
    let Some(&[b0, b1, b2, b3]) = buf.first_chunk::<4>() else {
        return Ok(None);
    };
    if b0 >> 4 != 0 {
        return Err(Violation(format!(
            "rawsocket frame header with reserved bits set ({b0:#04x})"
        )));
    }
    let len = (usize::from((b0 >> 3) & 1) << 24)
        | (usize::from(b1) << 16)
        | (usize::from(b2) << 8)
        | usize::from(b3);
    if buf.len() < 4 + len {
        buf.reserve(4 + len - buf.len());
        return Ok(None);
    }
    buf.advance(4);
    let payload = buf.split_to(len).to_vec();
    match b0 & 0x07 {
        RS_MESSAGE => Ok(Some(Frame::Message(payload))),
        RS_PING => Ok(Some(Frame::Ping(payload))),
        RS_PONG => Ok(Some(Frame::Pong(payload))),
        other => Err(Violation(format!("unknown rawsocket frame type {other}"))),
    }
}

/// One unmasked WebSocket frame, as a server sends it.
pub(super) fn websocket_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut out = Vec::with_capacity(10 + len);
    out.push(if fin { 0x80 } else { 0 } | (opcode & 0x0F));
    websocket_length(&mut out, len as u64);
    out.extend_from_slice(payload);
    out
}

/// The length field of a server frame (mask bit clear) announcing `len` octets.
pub(super) fn websocket_length(out: &mut Vec<u8>, len: u64) {
    if len < 126 {
        out.push(len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// A WebSocket frame from the client, unmasked.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct WsFrame {
    pub(super) fin: bool,
    pub(super) opcode: u8,
    pub(super) payload: Vec<u8>,
}

/// The next complete client frame in `buf`, taken off it and unmasked. Client frames must be
/// masked (RFC 6455 §5.1) and use no reserved bit or opcode.
pub(super) fn take_websocket_frame(buf: &mut BytesMut) -> Result<Option<WsFrame>, Violation> {
    let [b0, b1, ..] = buf[..] else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        return Err(Violation(format!(
            "websocket frame with reserved bits set ({b0:#04x})"
        )));
    }
    let opcode = b0 & 0x0F;
    if !matches!(
        opcode,
        WS_CONTINUATION | WS_TEXT | WS_BINARY | WS_CLOSE | WS_PING | WS_PONG
    ) {
        return Err(Violation(format!("unknown websocket opcode {opcode:#x}")));
    }
    if b1 & 0x80 == 0 {
        return Err(Violation(
            "the client sent an unmasked websocket frame".into(),
        ));
    }
    let (len, at) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => {
                let mut be = [0u8; 8];
                be.copy_from_slice(b);
                (u64::from_be_bytes(be), 10)
            }
            None => return Ok(None),
        },
        n => (u64::from(n), 2),
    };
    if opcode & 0x08 != 0 && (len > 125 || b0 & 0x80 == 0) {
        return Err(Violation(
            "a websocket control frame that is fragmented or longer than 125 octets".into(),
        ));
    }
    let Ok(len) = usize::try_from(len) else {
        return Err(Violation("a websocket frame longer than memory".into()));
    };
    let total = at + 4 + len;
    if buf.len() < total {
        buf.reserve(total - buf.len());
        return Ok(None);
    }
    let mut mask = [0u8; 4];
    mask.copy_from_slice(&buf[at..at + 4]);
    buf.advance(at + 4);
    let mut payload = buf.split_to(len).to_vec();
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i % 4];
    }
    Ok(Some(WsFrame {
        fin: b0 & 0x80 != 0,
        opcode,
        payload,
    }))
}

/// The `Sec-WebSocket-Accept` that answers `key` (RFC 6455 §4.2.2).
pub fn websocket_accept(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.trim().as_bytes());
    sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// What the fake router needs from the client's opening request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Upgrade {
    /// `Sec-WebSocket-Key`.
    pub(super) key: String,
    /// The offered subprotocols, in order.
    pub(super) protocols: Vec<String>,
}

/// Parses the opening request head (ending with an empty line).
pub(super) fn parse_upgrade(head: &[u8]) -> Result<Upgrade, Violation> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(Violation("an incomplete http request".into()))
        }
        Err(e) => return Err(Violation(format!("an invalid http request: {e}"))),
    }
    if req.method != Some("GET") {
        return Err(Violation(format!(
            "the opening request is {:?}, not GET",
            req.method
        )));
    }
    let value = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
    };
    let key = value("sec-websocket-key")
        .ok_or_else(|| Violation("the opening request has no sec-websocket-key".into()))?;
    if value("sec-websocket-version").as_deref() != Some("13") {
        return Err(Violation(
            "the opening request is not sec-websocket-version 13".into(),
        ));
    }
    let protocols = value("sec-websocket-protocol")
        .map(|v| {
            v.split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(Upgrade { key, protocols })
}

/// The 101 answer choosing `protocol`.
pub(super) fn switching_protocols(key: &str, protocol: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n",
        websocket_accept(key)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rawsocket_frames_round_trip_and_split_at_any_byte() {
        let mut wire = rawsocket_frame(RS_MESSAGE, b"abc");
        wire.extend(rawsocket_frame(RS_PING, b"p"));
        wire.extend(rawsocket_frame(RS_PONG, b""));
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for b in wire {
            buf.extend_from_slice(&[b]);
            while let Some(f) = take_rawsocket_frame(&mut buf).unwrap() {
                got.push(f);
            }
        }
        assert_eq!(
            got,
            [
                Frame::Message(b"abc".to_vec()),
                Frame::Ping(b"p".to_vec()),
                Frame::Pong(Vec::new())
            ]
        );
        let mut bad = BytesMut::from(&[0x10u8, 0, 0, 0][..]);
        assert!(take_rawsocket_frame(&mut bad).is_err());
    }

    #[test]
    fn masked_client_frames_are_unmasked_and_unmasked_ones_refused() {
        // "Hello" masked with 37 fa 21 3d (RFC 6455 §5.7).
        let mut buf = BytesMut::from(
            &[
                0x81u8, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ][..],
        );
        let f = take_websocket_frame(&mut buf).unwrap().unwrap();
        assert_eq!(
            (f.fin, f.opcode, &f.payload[..]),
            (true, WS_TEXT, &b"Hello"[..])
        );
        assert!(buf.is_empty());
        let mut unmasked = BytesMut::from(&websocket_frame(true, WS_TEXT, b"Hello")[..]);
        assert!(take_websocket_frame(&mut unmasked).is_err());
    }

    #[test]
    fn server_frames_use_the_shortest_length_field() {
        assert_eq!(websocket_frame(true, WS_BINARY, &[0; 125])[1], 125);
        assert_eq!(
            websocket_frame(true, WS_BINARY, &[0; 126])[1..4],
            [126, 0, 126]
        );
        let long = websocket_frame(false, WS_BINARY, &[0; 70_000]);
        assert_eq!(long[0], WS_BINARY);
        assert_eq!(long[1], 127);
        assert_eq!(u64::from_be_bytes(long[2..10].try_into().unwrap()), 70_000);
    }

    #[test]
    fn the_accept_key_is_the_one_of_rfc_6455() {
        assert_eq!(
            websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn the_upgrade_request_gives_the_key_and_the_offered_subprotocols() {
        let head = b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                     Sec-WebSocket-Key: abc==\r\nSec-WebSocket-Version: 13\r\n\
                     Sec-WebSocket-Protocol: wamp.2.cbor, wamp.2.json\r\n\r\n";
        let up = parse_upgrade(head).unwrap();
        assert_eq!(up.key, "abc==");
        assert_eq!(up.protocols, ["wamp.2.cbor", "wamp.2.json"]);
        assert!(parse_upgrade(b"POST / HTTP/1.1\r\n\r\n").is_err());
    }
}
