//! WebSocket frames (RFC 6455) for either role: a client masks every frame it sends and reads
//! unmasked frames; a server sends unmasked frames and requires masked ones. One WebSocket
//! message carries one WAMP message (binary for MessagePack and CBOR, text for JSON).
//!
//! The opening handshake's HTTP is each side's own business; [`accept_key`] is the one
//! computation both need.

use base64::Engine as _;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use sha1::{Digest, Sha1};

use super::{Decoded, FrameError, Inbox, LARGE};

/// The GUID of RFC 6455 §1.3, appended to the key for `Sec-WebSocket-Accept`.
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Opcode of a continuation frame.
pub const OP_CONTINUATION: u8 = 0x0;
/// Opcode of a text frame.
pub const OP_TEXT: u8 = 0x1;
/// Opcode of a binary frame.
pub const OP_BINARY: u8 = 0x2;
/// Opcode of a close frame.
pub const OP_CLOSE: u8 = 0x8;
/// Opcode of a ping.
pub const OP_PING: u8 = 0x9;
/// Opcode of a pong.
pub const OP_PONG: u8 = 0xA;
/// The largest control frame payload.
pub const MAX_CONTROL: usize = 125;
/// The close status of a normal closure.
pub const CLOSE_NORMAL: u16 = 1000;
/// The close status of an endpoint going away (a server shutting down).
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// The close status of a protocol error.
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// The close status of a message too big to process.
pub const CLOSE_TOO_BIG: u16 = 1009;

/// Which end of the connection a codec is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Masks what it sends; refuses masked frames.
    Client,
    /// Sends unmasked frames; refuses unmasked ones.
    Server,
}

/// The `Sec-WebSocket-Accept` a server answers to a `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(ACCEPT_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// A message received in fragments, so far.
#[derive(Debug)]
struct Partial {
    text: bool,
    data: BytesMut,
}

/// The WebSocket framing of one connection: decodes the peer's frames from an [`Inbox`],
/// encodes ours into a write buffer.
#[derive(Debug)]
pub struct WsCodec {
    role: Role,
    /// The largest message accepted.
    limit: usize,
    /// Whether messages go out as text frames (JSON) rather than binary ones.
    text: bool,
    /// A fragmented message being received.
    partial: Option<Partial>,
}

impl WsCodec {
    /// A codec for `role`; `limit` is the largest message accepted, `text` says how messages
    /// are sent.
    pub fn new(role: Role, limit: usize, text: bool) -> Self {
        WsCodec {
            role,
            limit,
            text,
            partial: None,
        }
    }

    /// Whether a fragmented message is being received.
    pub fn in_message(&self) -> bool {
        self.partial.is_some()
    }

    /// The next complete message or control frame, if any. Violations are errors as soon as
    /// the bytes showing them are there; a message over the limit is
    /// [`FrameError::TooLarge`] from its header(s) alone.
    pub fn decode(&mut self, inbox: &mut Inbox) -> Result<Option<Decoded>, FrameError> {
        loop {
            if let Some(d) = &inbox.direct {
                if d.remaining > 0 {
                    return Ok(None);
                }
                let Some(mut d) = inbox.direct.take() else {
                    return Ok(None);
                };
                if let Some((mask, start)) = d.mask {
                    apply_mask(&mut d.data[start..], mask);
                }
                let text = d.kind == OP_TEXT;
                if d.fin {
                    return finish(text, d.data.freeze()).map(Some);
                }
                self.partial = Some(Partial { text, data: d.data });
                continue;
            }
            let Some(header) = parse_header(&inbox.buf, self.role)? else {
                return Ok(None);
            };
            let Header {
                fin,
                opcode,
                len,
                header_len,
                mask,
            } = header;
            if is_control(opcode) {
                // At most 125 bytes (checked): wait for the whole frame.
                let len = len as usize;
                let total = header_len + len;
                if inbox.buf.len() < total {
                    inbox.buf.reserve(total - inbox.buf.len());
                    return Ok(None);
                }
                let mut frame = inbox.buf.split_to(total);
                frame.advance(header_len);
                if let Some(m) = mask {
                    apply_mask(&mut frame, m);
                }
                let payload = frame.freeze();
                return match opcode {
                    OP_PING => Ok(Some(Decoded::Ping(payload))),
                    OP_PONG => Ok(Some(Decoded::Pong(payload))),
                    _ => close_code(&payload).map(|code| Some(Decoded::Close(code))),
                };
            }

            // A data frame: check it against the message in progress and the limit.
            let so_far = match (&self.partial, opcode) {
                (None, OP_CONTINUATION) => {
                    return Err(protocol(
                        "a continuation frame without a message to continue",
                    ))
                }
                (Some(_), OP_TEXT | OP_BINARY) => {
                    return Err(protocol("a new message before the fragmented one ended"))
                }
                (Some(p), _) => p.data.len(),
                (None, _) => 0,
            };
            let room = (self.limit - so_far.min(self.limit)) as u64;
            if len > room {
                let size = usize::try_from(len)
                    .unwrap_or(usize::MAX)
                    .saturating_add(so_far);
                return Err(FrameError::TooLarge {
                    size,
                    limit: self.limit,
                });
            }
            let len = len as usize;
            let total = header_len + len;
            let text = match &self.partial {
                Some(p) => p.text,
                None => opcode == OP_TEXT,
            };
            if inbox.buf.len() >= total {
                if fin && self.partial.is_none() {
                    // A whole message in one frame: a view of the read buffer, no copy.
                    let mut frame = inbox.buf.split_to(total);
                    frame.advance(header_len);
                    if let Some(m) = mask {
                        apply_mask(&mut frame, m);
                    }
                    return finish(text, frame.freeze()).map(Some);
                }
                let mut partial = self.partial.take().unwrap_or_else(|| Partial {
                    text,
                    data: BytesMut::new(),
                });
                let at = partial.data.len();
                partial
                    .data
                    .extend_from_slice(&inbox.buf[header_len..total]);
                if let Some(m) = mask {
                    apply_mask(&mut partial.data[at..], m);
                }
                inbox.buf.advance(total);
                if fin {
                    return finish(partial.text, partial.data.freeze()).map(Some);
                }
                self.partial = Some(partial);
                continue;
            }
            if len > LARGE {
                // Read the rest of this payload straight into the message's own buffer.
                let data = match self.partial.take() {
                    Some(p) => p.data,
                    None => BytesMut::with_capacity(len),
                };
                inbox.buf.advance(header_len);
                let kind = if text { OP_TEXT } else { OP_BINARY };
                inbox.start_direct(data, len, kind, fin, mask);
                return Ok(None);
            }
            inbox.buf.reserve(total - inbox.buf.len());
            return Ok(None);
        }
    }

    /// Frames one message: text for JSON, else binary. A text message must be UTF-8
    /// ([`FrameError::Protocol`] otherwise, and nothing is written). `mask` is the client's
    /// masking key (`None` for a server).
    pub fn encode_message(
        &mut self,
        out: &mut BytesMut,
        payload: &[u8],
        mask: Option<[u8; 4]>,
    ) -> Result<(), FrameError> {
        let opcode = if self.text {
            if std::str::from_utf8(payload).is_err() {
                return Err(protocol("a text frame must be valid utf-8"));
            }
            OP_TEXT
        } else {
            OP_BINARY
        };
        encode_frame(out, opcode, payload, mask);
        Ok(())
    }

    /// Frames a ping (payload cut to 125 bytes).
    pub fn encode_ping(&mut self, out: &mut BytesMut, payload: &[u8], mask: Option<[u8; 4]>) {
        encode_frame(
            out,
            OP_PING,
            &payload[..payload.len().min(MAX_CONTROL)],
            mask,
        );
    }

    /// Frames a pong echoing a ping's payload (at most 125 bytes, as pings are).
    pub fn encode_pong(&mut self, out: &mut BytesMut, payload: &[u8], mask: Option<[u8; 4]>) {
        encode_frame(
            out,
            OP_PONG,
            &payload[..payload.len().min(MAX_CONTROL)],
            mask,
        );
    }

    /// Frames a close with `code` (an empty close without one). A code that may not be sent
    /// (1005, 1006, 1015, unassigned) is replaced by 1002, protocol error.
    pub fn encode_close(&mut self, out: &mut BytesMut, code: Option<u16>, mask: Option<[u8; 4]>) {
        match code {
            Some(c) => {
                let c = if valid_close_code(c) {
                    c
                } else {
                    CLOSE_PROTOCOL_ERROR
                };
                encode_frame(out, OP_CLOSE, &c.to_be_bytes(), mask);
            }
            None => encode_frame(out, OP_CLOSE, &[], mask),
        }
    }
}

fn protocol(what: &str) -> FrameError {
    FrameError::Protocol(what.into())
}

fn is_control(opcode: u8) -> bool {
    opcode & 0x8 != 0
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Whether this frame ends its message.
    pub fin: bool,
    /// The opcode.
    pub opcode: u8,
    /// The payload length.
    pub len: u64,
    /// The length of the header, masking key included.
    pub header_len: usize,
    /// The masking key (a client's frame).
    pub mask: Option<[u8; 4]>,
}

/// Parses the header of a frame from the peer of `role`, if complete; framing violations are
/// errors as soon as the bytes showing them are there.
pub fn parse_header(buf: &[u8], role: Role) -> Result<Option<Header>, FrameError> {
    let [b0, b1, ..] = *buf else {
        return Ok(None);
    };
    let fin = b0 & 0x80 != 0;
    if b0 & 0x70 != 0 {
        return Err(protocol(
            "a websocket frame has reserved bits set (no extension was negotiated)",
        ));
    }
    let opcode = b0 & 0x0F;
    match opcode {
        OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG => {}
        _ => {
            return Err(FrameError::Protocol(format!(
                "unknown websocket opcode {opcode:#x}"
            )))
        }
    }
    let masked = b1 & 0x80 != 0;
    match role {
        Role::Client if masked => return Err(protocol("the server sent a masked websocket frame")),
        Role::Server if !masked => {
            return Err(protocol("the client sent an unmasked websocket frame"))
        }
        _ => {}
    }
    let short = b1 & 0x7F;
    if is_control(opcode) {
        if !fin {
            return Err(protocol("a fragmented websocket control frame"));
        }
        if short > MAX_CONTROL as u8 {
            return Err(protocol("a websocket control frame longer than 125 bytes"));
        }
    }
    let (len, len_end) = match short {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => {
                let mut be = [0u8; 8];
                be.copy_from_slice(b);
                let len = u64::from_be_bytes(be);
                if len >> 63 != 0 {
                    return Err(protocol("a websocket frame length has its top bit set"));
                }
                (len, 10)
            }
            None => return Ok(None),
        },
        n => (u64::from(n), 2),
    };
    let (mask, header_len) = if masked {
        match buf.get(len_end..len_end + 4) {
            Some(&[a, b, c, d]) => (Some([a, b, c, d]), len_end + 4),
            _ => return Ok(None),
        }
    } else {
        (None, len_end)
    };
    Ok(Some(Header {
        fin,
        opcode,
        len,
        header_len,
        mask,
    }))
}

/// A complete message: text must be UTF-8.
fn finish(text: bool, data: Bytes) -> Result<Decoded, FrameError> {
    if text && std::str::from_utf8(&data).is_err() {
        return Err(protocol("a websocket text message is not valid utf-8"));
    }
    Ok(Decoded::Message(data))
}

/// The status code of a close frame's payload.
pub fn close_code(payload: &[u8]) -> Result<Option<u16>, FrameError> {
    match *payload {
        [] => Ok(None),
        [_] => Err(protocol("a websocket close frame with a 1-byte payload")),
        [a, b, ..] => Ok(Some(u16::from_be_bytes([a, b]))),
    }
}

/// Whether a close status may be sent in a close frame (RFC 6455 §7.4).
pub fn valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999)
}

/// Appends one frame: the header, then the payload (XORed with the mask, if any).
pub fn encode_frame(out: &mut BytesMut, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) {
    let len = payload.len();
    let m = if mask.is_some() { 0x80 } else { 0 };
    out.reserve(14 + len);
    out.put_u8(0x80 | opcode);
    if len < 126 {
        out.put_u8(m | len as u8);
    } else if len <= usize::from(u16::MAX) {
        out.put_u8(m | 126);
        out.put_u16(len as u16);
    } else {
        out.put_u8(m | 127);
        out.put_u64(len as u64);
    }
    match mask {
        Some(mask) => {
            out.put_slice(&mask);
            put_masked(out, payload, mask);
        }
        None => out.put_slice(payload),
    }
}

/// XORs `data` in place with the repeating `mask` (starting at the mask's first octet).
pub fn apply_mask(data: &mut [u8], mask: [u8; 4]) {
    let [m0, m1, m2, m3] = mask;
    let wide = u64::from_ne_bytes([m0, m1, m2, m3, m0, m1, m2, m3]);
    let mut words = data.chunks_exact_mut(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        w.copy_from_slice(&(u64::from_ne_bytes(b) ^ wide).to_ne_bytes());
    }
    for (d, m) in words.into_remainder().iter_mut().zip(mask.iter().cycle()) {
        *d ^= m;
    }
}

/// Appends `payload` XORed with the repeating `mask`, 8 bytes at a time through a small block
/// on the stack (one pass over the payload, then one copy of each block).
fn put_masked(out: &mut BytesMut, payload: &[u8], mask: [u8; 4]) {
    const BLOCK: usize = 512;
    let mut block = [0u8; BLOCK];
    for chunk in payload.chunks(BLOCK) {
        // The blocks are multiples of 8 (and of 4), so the mask lines up in each.
        let dst = &mut block[..chunk.len()];
        dst.copy_from_slice(chunk);
        apply_mask(dst, mask);
        out.extend_from_slice(dst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `bytes` as a socket would deliver them, decoding after each read.
    fn feed(inbox: &mut Inbox, codec: &mut WsCodec, mut bytes: &[u8], got: &mut Vec<Decoded>) {
        while !bytes.is_empty() {
            let (buf, max) = inbox.read_target();
            let n = bytes.len().min(max);
            buf.extend_from_slice(&bytes[..n]);
            inbox.filled(n);
            bytes = &bytes[n..];
            while let Some(d) = codec.decode(inbox).unwrap() {
                got.push(d);
            }
        }
    }

    #[test]
    fn the_accept_key_is_the_rfc_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn a_server_reads_masked_client_frames_small_fragmented_and_large() {
        let mut client = WsCodec::new(Role::Client, 1 << 20, false);
        let mut server = WsCodec::new(Role::Server, 1 << 20, false);
        let mut wire = BytesMut::new();
        client
            .encode_message(&mut wire, b"hello", Some([1, 2, 3, 4]))
            .unwrap();
        encode_frame(&mut wire, OP_BINARY & 0x0F, b"", Some([9, 9, 9, 9]));
        // a fragmented message around a ping, the middle fragment large
        let mut frag = BytesMut::new();
        frag.put_u8(OP_BINARY); // fin = 0
        frag.put_u8(0x80 | 3);
        frag.put_slice(&[5, 6, 7, 8]);
        let mut p = *b"abc";
        apply_mask(&mut p, [5, 6, 7, 8]);
        frag.put_slice(&p);
        wire.extend_from_slice(&frag);
        client.encode_ping(&mut wire, b"ping", Some([4, 3, 2, 1]));
        let middle = vec![b'x'; 100_001];
        let mut f = BytesMut::new();
        encode_frame(&mut f, OP_CONTINUATION, &middle, Some([7, 1, 7, 1]));
        f[0] &= 0x7F; // not the last
        wire.extend_from_slice(&f);
        encode_frame(&mut wire, OP_CONTINUATION, b"end", Some([3, 3, 3, 3]));
        client.encode_close(&mut wire, Some(CLOSE_NORMAL), Some([0, 0, 1, 1]));

        let mut inbox = Inbox::new(BytesMut::new());
        let mut got = Vec::new();
        for chunk in wire.chunks(777) {
            feed(&mut inbox, &mut server, chunk, &mut got);
        }
        let mut want_big = b"abc".to_vec();
        want_big.extend(&middle);
        want_big.extend(b"end");
        assert_eq!(
            got.len(),
            5,
            "{:?}",
            got.iter().map(|d| format!("{d:.40?}")).collect::<Vec<_>>()
        );
        assert_eq!(
            got,
            vec![
                Decoded::Message(Bytes::from_static(b"hello")),
                Decoded::Message(Bytes::new()),
                Decoded::Ping(Bytes::from_static(b"ping")),
                Decoded::Message(Bytes::from(want_big)),
                Decoded::Close(Some(CLOSE_NORMAL)),
            ]
        );
    }

    #[test]
    fn a_client_reads_unmasked_server_frames_and_each_side_refuses_the_other_masking() {
        let mut server = WsCodec::new(Role::Server, 1000, true);
        let mut wire = BytesMut::new();
        server.encode_message(&mut wire, b"[1]", None).unwrap();
        assert_eq!(&wire[..], b"\x81\x03[1]");
        let mut client = WsCodec::new(Role::Client, 1000, true);
        let mut inbox = Inbox::new(wire.clone());
        assert_eq!(
            client.decode(&mut inbox).unwrap(),
            Some(Decoded::Message(Bytes::from_static(b"[1]")))
        );
        // the server refuses the unmasked frame
        let mut inbox = Inbox::new(wire);
        assert!(matches!(
            WsCodec::new(Role::Server, 1000, true).decode(&mut inbox),
            Err(FrameError::Protocol(_))
        ));
        // the client refuses a masked one
        let mut masked = BytesMut::new();
        encode_frame(&mut masked, OP_TEXT, b"[1]", Some([1, 1, 1, 1]));
        let mut inbox = Inbox::new(masked);
        assert!(matches!(
            client.decode(&mut inbox),
            Err(FrameError::Protocol(_))
        ));
    }

    #[test]
    fn masking_twice_gives_the_payload_back_at_every_length() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len as u8).collect();
            let mut out = BytesMut::new();
            put_masked(&mut out, &data, [0xA1, 0xB2, 0xC3, 0xD4]);
            apply_mask(&mut out, [0xA1, 0xB2, 0xC3, 0xD4]);
            assert_eq!(&out[..], &data[..]);
        }
    }
}
