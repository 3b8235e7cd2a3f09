//! WAMP RawSocket: the 4-octet handshake and length-prefixed frames.
//!
//! Handshake: the client sends `0x7F, LLLL SSSS, 0, 0` (it accepts messages up to 2^(9+L)
//! octets, and speaks serializer S); the router echoes S with its own L, or answers
//! `0x7F, EEEE 0000, 0, 0` with an error code E.
//!
//! Frame: `RRRR XTTT` then a 24-bit big-endian payload length; R must be zero, T is 0 (message),
//! 1 (ping) or 2 (pong), X is a 25th length bit.

use bytes::{Buf, Bytes, BytesMut};

use super::{Decoded, FrameError, Inbox, LARGE};

/// The first octet of a RawSocket handshake.
pub const MAGIC: u8 = 0x7F;
/// The largest message ever sent or accepted: 2^24 - 1 (Crossbar on Twisted reads a frame
/// header as a plain 32-bit length, so the X bit is never used).
pub const MAX_LEN: usize = (1 << 24) - 1;

/// Frame type of a WAMP message.
pub const TYPE_MESSAGE: u8 = 0;
/// Frame type of a PING.
pub const TYPE_PING: u8 = 1;
/// Frame type of a PONG.
pub const TYPE_PONG: u8 = 2;

/// Handshake error code: serializer unsupported.
pub const ERROR_SERIALIZER_UNSUPPORTED: u8 = 1;
/// Handshake error code: maximum message length unacceptable.
pub const ERROR_MAX_LENGTH_UNACCEPTABLE: u8 = 2;
/// Handshake error code: use of reserved bits.
pub const ERROR_RESERVED_BITS: u8 = 3;
/// Handshake error code: maximum connection count reached.
pub const ERROR_MAX_CONNECTIONS: u8 = 4;

/// The handshake's LLLL for a receive limit: the smallest L with 2^(9+L) >= limit (at most 15).
pub fn length_exponent(limit: usize) -> u8 {
    (0u8..15)
        .find(|l| (1usize << (9 + l)) >= limit)
        .unwrap_or(15)
}

/// The receive limit an LLLL announces: 2^(9+L).
pub fn limit_of_exponent(l: u8) -> usize {
    1usize << (9 + u32::from(l & 0x0F))
}

/// The meaning of a handshake error code.
pub fn refusal_reason(code: u8) -> &'static str {
    match code {
        ERROR_SERIALIZER_UNSUPPORTED => "serializer unsupported",
        ERROR_MAX_LENGTH_UNACCEPTABLE => "maximum message length unacceptable",
        ERROR_RESERVED_BITS => "use of reserved bits (unsupported feature)",
        ERROR_MAX_CONNECTIONS => "maximum connection count reached",
        _ => "unknown error code",
    }
}

/// The 4 octets of a handshake (a client's hello, or a router's success reply): our receive
/// limit (as LLLL) and the serializer id.
pub fn handshake_octets(receive_limit: usize, serializer_id: u8) -> [u8; 4] {
    let l = length_exponent(receive_limit);
    [MAGIC, (l << 4) | (serializer_id & 0x0F), 0, 0]
}

/// A router's error reply with `code` (1 to 15).
pub fn error_reply(code: u8) -> [u8; 4] {
    [MAGIC, (code & 0x0F) << 4, 0, 0]
}

/// A client's hello, as a router reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientHello {
    /// The largest message the client accepts (2^(9+L)).
    pub max_len: usize,
    /// The serializer id (1 JSON, 2 MessagePack, 3 CBOR).
    pub serializer_id: u8,
}

/// Why a router refuses a client's hello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloError {
    /// The first octet is not 0x7F: not RawSocket at all (close without a reply).
    NotRawSocket,
    /// Answer with [`error_reply`] of this code.
    Refuse(u8),
}

/// Reads a client's hello (the router's side of the handshake). The serializer is not checked
/// against what the router serves: the caller does that (error 1).
pub fn parse_client_hello(h: [u8; 4]) -> Result<ClientHello, HelloError> {
    let [magic, ls, r1, r2] = h;
    if magic != MAGIC {
        return Err(HelloError::NotRawSocket);
    }
    if r1 != 0 || r2 != 0 {
        return Err(HelloError::Refuse(ERROR_RESERVED_BITS));
    }
    let serializer_id = ls & 0x0F;
    if serializer_id == 0 {
        return Err(HelloError::Refuse(ERROR_SERIALIZER_UNSUPPORTED));
    }
    Ok(ClientHello {
        max_len: limit_of_exponent(ls >> 4),
        serializer_id,
    })
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The frame type ([`TYPE_MESSAGE`], [`TYPE_PING`], [`TYPE_PONG`]).
    pub kind: u8,
    /// The payload length.
    pub len: usize,
}

/// Parses and checks a frame header against a receive limit.
pub fn parse_header(h: [u8; 4], limit: usize) -> Result<Header, FrameError> {
    let [b0, b1, b2, b3] = h;
    if b0 >> 4 != 0 {
        return Err(FrameError::Protocol(format!(
            "rawsocket frame header has reserved bits set ({b0:#04x})"
        )));
    }
    let kind = b0 & 0x07;
    if kind > TYPE_PONG {
        return Err(FrameError::Protocol(format!(
            "unknown rawsocket frame type {kind}"
        )));
    }
    let high = usize::from((b0 >> 3) & 1) << 24;
    let len = high | usize::from(b1) << 16 | usize::from(b2) << 8 | usize::from(b3);
    if len > limit {
        return Err(FrameError::TooLarge { size: len, limit });
    }
    Ok(Header { kind, len })
}

/// The header of a frame of `kind` with a `len`-byte payload (at most [`MAX_LEN`]).
pub fn encode_header(kind: u8, len: usize) -> [u8; 4] {
    debug_assert!(len <= MAX_LEN);
    [kind, (len >> 16) as u8, (len >> 8) as u8, len as u8]
}

/// The RawSocket framing of one connection (both roles frame alike): decodes frames from an
/// [`Inbox`] and encodes them into a write buffer.
#[derive(Debug)]
pub struct RawCodec {
    /// The largest payload accepted (at most [`MAX_LEN`]).
    limit: usize,
}

impl RawCodec {
    /// `limit` is the largest payload accepted (capped at [`MAX_LEN`]).
    pub fn new(limit: usize) -> Self {
        RawCodec {
            limit: limit.min(MAX_LEN),
        }
    }

    /// The next frame in the read buffer (or the large payload read on its own), if complete.
    pub fn decode(&mut self, inbox: &mut Inbox) -> Result<Option<Decoded>, FrameError> {
        if let Some(d) = &inbox.direct {
            if d.remaining > 0 {
                return Ok(None);
            }
            let Some(d) = inbox.direct.take() else {
                return Ok(None);
            };
            return Ok(Some(finish(d.kind, d.data.freeze())));
        }
        let Some(h) = inbox.buf.first_chunk::<4>() else {
            return Ok(None);
        };
        let header = parse_header(*h, self.limit)?;
        let total = 4 + header.len;
        if inbox.buf.len() >= total {
            // Hand out the frame as a view of the buffer: no copy. Once it is dropped, the
            // buffer can reuse its space.
            let mut frame = inbox.buf.split_to(total);
            frame.advance(4);
            return Ok(Some(finish(header.kind, frame.freeze())));
        }
        if header.len > LARGE {
            // Read the rest straight into a buffer of the exact size.
            inbox.buf.advance(4);
            let data = BytesMut::with_capacity(header.len);
            inbox.start_direct(data, header.len, header.kind, true, None);
        } else {
            inbox.buf.reserve(total - inbox.buf.len());
        }
        Ok(None)
    }

    /// Frames one message (the caller checked its size against [`MAX_LEN`]).
    pub fn encode_message(&mut self, out: &mut BytesMut, payload: &[u8]) {
        encode(out, TYPE_MESSAGE, payload);
    }

    /// Frames a PING.
    pub fn encode_ping(&mut self, out: &mut BytesMut, payload: &[u8]) {
        encode(out, TYPE_PING, payload);
    }

    /// Frames a PONG echoing a PING's payload.
    pub fn encode_pong(&mut self, out: &mut BytesMut, payload: &[u8]) {
        encode(out, TYPE_PONG, payload);
    }
}

/// Appends one frame (a payload above [`MAX_LEN`] is cut).
fn encode(out: &mut BytesMut, kind: u8, payload: &[u8]) {
    let len = payload.len().min(MAX_LEN);
    out.reserve(4 + len);
    out.extend_from_slice(&encode_header(kind, len));
    out.extend_from_slice(&payload[..len]);
}

/// Turns a complete frame into what the connection sees.
fn finish(kind: u8, payload: Bytes) -> Decoded {
    match kind {
        TYPE_PING => Decoded::Ping(payload),
        TYPE_PONG => Decoded::Pong(payload),
        _ => Decoded::Message(payload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_length_exponent_is_the_smallest_power_that_fits() {
        assert_eq!(length_exponent(0), 0);
        assert_eq!(length_exponent(512), 0);
        assert_eq!(length_exponent(513), 1);
        assert_eq!(length_exponent(65_536), 7);
        assert_eq!(length_exponent((1 << 24) - 1), 15);
        assert_eq!(length_exponent(1 << 24), 15);
        assert_eq!(length_exponent(usize::MAX), 15);
    }

    #[test]
    fn frame_headers_parse_type_and_length() {
        assert_eq!(
            parse_header([0, 0, 1, 2], 1000).unwrap(),
            Header { kind: 0, len: 258 }
        );
        assert_eq!(
            parse_header([1, 0, 0, 0], 1000).unwrap(),
            Header { kind: 1, len: 0 }
        );
        assert_eq!(
            parse_header([2, 0xFF, 0xFF, 0xFF], MAX_LEN).unwrap(),
            Header {
                kind: 2,
                len: MAX_LEN
            }
        );
        assert_eq!(encode_header(0, 258), [0, 0, 1, 2]);
        assert_eq!(encode_header(2, MAX_LEN), [2, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn frame_headers_with_reserved_bits_or_unknown_types_are_protocol_errors() {
        for b0 in [0x10, 0x80, 0xF0, 0x03, 0x07] {
            assert!(
                matches!(
                    parse_header([b0, 0, 0, 1], 1000),
                    Err(FrameError::Protocol(_))
                ),
                "{b0:#x}"
            );
        }
    }

    #[test]
    fn the_x_bit_counts_as_the_25th_length_bit() {
        match parse_header([0x08, 0, 0, 0], MAX_LEN) {
            Err(FrameError::TooLarge { size, limit }) => {
                assert_eq!(size, 1 << 24);
                assert_eq!(limit, MAX_LEN);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_router_reads_a_client_hello_and_refuses_with_error_nibbles() {
        assert_eq!(
            parse_client_hello([0x7F, 0xF2, 0, 0]),
            Ok(ClientHello {
                max_len: 1 << 24,
                serializer_id: 2
            })
        );
        assert_eq!(
            parse_client_hello([0x47, 0x45, 0x54, 0x20]),
            Err(HelloError::NotRawSocket)
        );
        assert_eq!(
            parse_client_hello([0x7F, 0xF2, 0, 1]),
            Err(HelloError::Refuse(ERROR_RESERVED_BITS))
        );
        assert_eq!(
            parse_client_hello([0x7F, 0xF0, 0, 0]),
            Err(HelloError::Refuse(ERROR_SERIALIZER_UNSUPPORTED))
        );
        assert_eq!(error_reply(1), [0x7F, 0x10, 0, 0]);
        assert_eq!(handshake_octets(1 << 20, 3), [0x7F, 0xB3, 0, 0]);
    }

    #[test]
    fn frames_split_across_reads_decode_once_complete_and_large_ones_read_directly() {
        let mut inbox = Inbox::new(BytesMut::new());
        let mut codec = RawCodec::new(MAX_LEN);
        let mut out = BytesMut::new();
        codec.encode_message(&mut out, b"abc");
        codec.encode_ping(&mut out, b"p");
        let big = vec![7u8; 100_000];
        codec.encode_message(&mut out, &big);
        // feed it in 1000-byte reads
        let mut fed = 0;
        let mut got = Vec::new();
        while fed < out.len() {
            let (buf, max) = inbox.read_target();
            let n = max.min(1000).min(out.len() - fed);
            buf.extend_from_slice(&out[fed..fed + n]);
            inbox.filled(n);
            fed += n;
            while let Some(d) = codec.decode(&mut inbox).unwrap() {
                got.push(d);
            }
        }
        assert_eq!(
            got,
            vec![
                Decoded::Message(Bytes::from_static(b"abc")),
                Decoded::Ping(Bytes::from_static(b"p")),
                Decoded::Message(Bytes::from(big)),
            ]
        );
        assert!(!inbox.holds_partial_frame());
    }
}
