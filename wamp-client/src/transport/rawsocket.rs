//! WAMP RawSocket: the 4-octet handshake and length-prefixed frames, over TCP, TLS or a Unix
//! socket.
//!
//! Handshake: the client sends `0x7F, LLLL SSSS, 0, 0` (it accepts messages up to 2^(9+L)
//! octets, and speaks serializer S); the router echoes S with its own L, or answers
//! `0x7F, EEEE 0000, 0, 0` with an error code E.
//!
//! Frame: `RRRR XTTT` then a 24-bit big-endian payload length; R must be zero, T is 0 (message),
//! 1 (ping) or 2 (pong), X is a 25th length bit.
//!
//! Interop with Crossbar (autobahn on Twisted): it reads a frame header as a plain 32-bit
//! length, so we never send PINGs and never send or accept more than 2^24 - 1 octets.

use std::io;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};

use super::error::{ConnectError, TransportError};
use super::Frame;

/// The first octet of a RawSocket handshake.
pub(crate) const MAGIC: u8 = 0x7F;
/// The largest message we ever send or accept over RawSocket: 2^24 - 1.
pub(crate) const MAX_LEN: usize = (1 << 24) - 1;
/// The write buffer: `feed` collects frames up to this size before writing.
const WRITE_BUFFER: usize = 64 * 1024;
/// Reads ask for at least this much room.
const READ_CHUNK: usize = 16 * 1024;
/// Payloads above this size are read straight into their own buffer.
const LARGE: usize = 64 * 1024;

const TYPE_MESSAGE: u8 = 0;
const TYPE_PING: u8 = 1;
const TYPE_PONG: u8 = 2;

/// The handshake's LLLL for a receive limit: the smallest L with 2^(9+L) >= limit (at most 15).
pub(crate) fn length_exponent(limit: usize) -> u8 {
    (0u8..15)
        .find(|l| (1usize << (9 + l)) >= limit)
        .unwrap_or(15)
}

/// The meaning of a handshake error code.
pub(crate) fn refusal_reason(code: u8) -> &'static str {
    match code {
        1 => "serializer unsupported",
        2 => "maximum message length unacceptable",
        3 => "use of reserved bits (unsupported feature)",
        4 => "maximum connection count reached",
        _ => "unknown error code",
    }
}

/// Runs the client side of the handshake and returns the router's receive limit (2^(9+L)).
pub(crate) async fn handshake<S>(
    io: &mut S,
    serializer_id: u8,
    receive_limit: usize,
) -> Result<usize, ConnectError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let l = length_exponent(receive_limit);
    let hello = [MAGIC, (l << 4) | (serializer_id & 0x0F), 0, 0];
    io.write_all(&hello).await?;
    io.flush().await?;

    let mut reply = [0u8; 4];
    io.read_exact(&mut reply[..1])
        .await
        .map_err(handshake_eof)?;
    if reply[0] != MAGIC {
        return Err(ConnectError::NotRawSocket);
    }
    io.read_exact(&mut reply[1..])
        .await
        .map_err(handshake_eof)?;
    let [_, ls, r1, r2] = reply;
    let (peer_l, peer_s) = (ls >> 4, ls & 0x0F);
    if peer_s == 0 {
        if peer_l == 0 {
            return Err(ConnectError::InvalidHandshake(
                "router sent error code 0".into(),
            ));
        }
        return Err(ConnectError::RawSocketRefused {
            code: peer_l,
            reason: refusal_reason(peer_l),
        });
    }
    if peer_s != serializer_id {
        return Err(ConnectError::InvalidHandshake(format!(
            "router answered with serializer {peer_s} instead of {serializer_id}"
        )));
    }
    if r1 != 0 || r2 != 0 {
        return Err(ConnectError::InvalidHandshake(format!(
            "reserved handshake octets are {r1:#04x} {r2:#04x}, not zero"
        )));
    }
    Ok(1usize << (9 + u32::from(peer_l)))
}

fn handshake_eof(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the peer closed the connection during the rawsocket handshake",
        )
    } else {
        e
    }
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    kind: u8,
    len: usize,
}

/// Parses and checks a frame header against our receive limit.
fn parse_header(h: [u8; 4], limit: usize) -> Result<Header, TransportError> {
    let [b0, b1, b2, b3] = h;
    if b0 >> 4 != 0 {
        return Err(TransportError::Protocol(format!(
            "rawsocket frame header has reserved bits set ({b0:#04x})"
        )));
    }
    let kind = b0 & 0x07;
    if kind > TYPE_PONG {
        return Err(TransportError::Protocol(format!(
            "unknown rawsocket frame type {kind}"
        )));
    }
    let high = usize::from((b0 >> 3) & 1) << 24;
    let len = high | usize::from(b1) << 16 | usize::from(b2) << 8 | usize::from(b3);
    if len > limit {
        return Err(TransportError::TooLarge { size: len, limit });
    }
    Ok(Header { kind, len })
}

fn encode_header(kind: u8, len: usize) -> [u8; 4] {
    debug_assert!(len <= MAX_LEN);
    [kind, (len >> 16) as u8, (len >> 8) as u8, len as u8]
}

/// A large payload being read straight into its own buffer.
struct Pending {
    kind: u8,
    data: Vec<u8>,
    filled: usize,
}

/// The reading half: yields frames, checks headers, answers nothing itself.
pub(crate) struct RawReader {
    io: Box<dyn AsyncRead + Send + Unpin>,
    buf: BytesMut,
    pending: Option<Pending>,
    limit: usize,
    failed: bool,
}

impl RawReader {
    /// `limit` is the largest payload accepted (at most [`MAX_LEN`]).
    pub(crate) fn new(io: Box<dyn AsyncRead + Send + Unpin>, limit: usize) -> Self {
        RawReader {
            io,
            buf: BytesMut::new(),
            pending: None,
            limit: limit.min(MAX_LEN),
            failed: false,
        }
    }

    /// The next message or ping; `None` when the peer closed between frames.
    ///
    /// Cancel-safe: all progress is kept in `self`.
    pub(crate) async fn next_frame(&mut self) -> Result<Option<Frame>, TransportError> {
        if self.failed {
            return Err(TransportError::Closed);
        }
        let res = self.next_frame_inner().await;
        if matches!(res, Err(_) | Ok(None)) {
            self.failed = true;
        }
        res
    }

    async fn next_frame_inner(&mut self) -> Result<Option<Frame>, TransportError> {
        loop {
            if let Some(p) = &mut self.pending {
                if p.filled == p.data.len() {
                    let Some(p) = self.pending.take() else {
                        continue;
                    };
                    match finish(p.kind, Bytes::from(p.data)) {
                        Some(frame) => return Ok(Some(frame)),
                        None => continue,
                    }
                }
                let n = self.io.read(&mut p.data[p.filled..]).await?;
                if n == 0 {
                    return Err(eof_in_frame());
                }
                p.filled += n;
                continue;
            }

            if let Some(h) = self.buf.first_chunk::<4>() {
                let header = parse_header(*h, self.limit)?;
                let total = 4 + header.len;
                if self.buf.len() >= total {
                    // Hand out the frame as a view of the buffer: no copy. Once it is
                    // dropped, the buffer can reuse its space.
                    let mut frame = self.buf.split_to(total);
                    frame.advance(4);
                    let payload = frame.freeze();
                    tracing::trace!(
                        kind = header.kind,
                        len = header.len,
                        "rawsocket frame received"
                    );
                    match finish(header.kind, payload) {
                        Some(frame) => return Ok(Some(frame)),
                        None => continue,
                    }
                }
                if header.len > LARGE {
                    // Read the rest straight into a buffer of the exact size.
                    self.buf.advance(4);
                    let mut data = vec![0u8; header.len];
                    let have = self.buf.len();
                    data[..have].copy_from_slice(&self.buf);
                    self.buf.clear();
                    self.pending = Some(Pending {
                        kind: header.kind,
                        data,
                        filled: have,
                    });
                    continue;
                }
                self.buf.reserve(total - self.buf.len());
            }

            if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
                self.buf.reserve(READ_CHUNK);
            }
            let n = self.io.read_buf(&mut self.buf).await?;
            if n == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Err(eof_in_frame());
            }
        }
    }
}

fn eof_in_frame() -> TransportError {
    TransportError::Io(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the peer closed the connection in the middle of a rawsocket frame",
    ))
}

/// Turns a complete frame into what the caller sees; pongs are dropped.
fn finish(kind: u8, payload: Bytes) -> Option<Frame> {
    match kind {
        TYPE_MESSAGE => Some(Frame::Message(payload)),
        TYPE_PING => Some(Frame::Ping(payload)),
        _ => None,
    }
}

/// The writing half, buffered so that several frames go out in one write.
pub(crate) struct RawWriter {
    io: BufWriter<Box<dyn AsyncWrite + Send + Unpin>>,
}

impl RawWriter {
    pub(crate) fn new(io: Box<dyn AsyncWrite + Send + Unpin>) -> Self {
        RawWriter {
            io: BufWriter::with_capacity(WRITE_BUFFER, io),
        }
    }

    /// Buffers one message frame (the caller checked its size).
    pub(crate) async fn feed(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        self.write_frame(TYPE_MESSAGE, payload).await
    }

    /// Sends a PONG echoing a PING's payload, at once.
    pub(crate) async fn send_pong(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        self.write_frame(TYPE_PONG, payload).await?;
        self.flush().await
    }

    async fn write_frame(&mut self, kind: u8, payload: &[u8]) -> Result<(), TransportError> {
        if payload.len() > MAX_LEN {
            return Err(TransportError::TooLarge {
                size: payload.len(),
                limit: MAX_LEN,
            });
        }
        self.io
            .write_all(&encode_header(kind, payload.len()))
            .await?;
        self.io.write_all(payload).await?;
        Ok(())
    }

    pub(crate) async fn flush(&mut self) -> Result<(), TransportError> {
        self.io.flush().await?;
        Ok(())
    }

    /// Flushes, then shuts down the write direction (TLS: sends close_notify).
    pub(crate) async fn shutdown(&mut self) -> Result<(), TransportError> {
        self.io.shutdown().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    fn reader_over(bytes: Vec<u8>, limit: usize) -> RawReader {
        let (mut a, b) = duplex(1 << 20);
        tokio::spawn(async move {
            a.write_all(&bytes).await.unwrap();
            // dropping `a` closes the stream
        });
        RawReader::new(Box::new(b), limit)
    }

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
                    Err(TransportError::Protocol(_))
                ),
                "{b0:#x}"
            );
        }
    }

    #[test]
    fn the_x_bit_counts_as_the_25th_length_bit() {
        match parse_header([0x08, 0, 0, 0], MAX_LEN) {
            Err(TransportError::TooLarge { size, limit }) => {
                assert_eq!(size, 1 << 24);
                assert_eq!(limit, MAX_LEN);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn messages_pings_and_pongs_are_read_in_order_and_pongs_are_skipped() {
        let mut bytes = Vec::new();
        bytes.extend([0, 0, 0, 3]);
        bytes.extend(b"abc");
        bytes.extend([2, 0, 0, 2]);
        bytes.extend(b"po");
        bytes.extend([1, 0, 0, 4]);
        bytes.extend(b"ping");
        bytes.extend([0, 0, 0, 0]);
        let big = vec![7u8; 300_000];
        bytes.extend(encode_header(0, big.len()));
        bytes.extend(&big);
        let mut r = reader_over(bytes, MAX_LEN);
        assert_eq!(
            r.next_frame().await.unwrap(),
            Some(Frame::Message(Bytes::from_static(b"abc")))
        );
        assert_eq!(
            r.next_frame().await.unwrap(),
            Some(Frame::Ping(Bytes::from_static(b"ping")))
        );
        assert_eq!(
            r.next_frame().await.unwrap(),
            Some(Frame::Message(Bytes::new()))
        );
        assert_eq!(
            r.next_frame().await.unwrap(),
            Some(Frame::Message(Bytes::from(big)))
        );
        assert_eq!(r.next_frame().await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_oversized_frame_is_rejected_from_its_header_alone() {
        // Only the header arrives, and the stream stays open: the reader must not wait for
        // (or allocate) the 16 MiB payload.
        let (mut a, b) = duplex(64);
        a.write_all(&[0, 0xFF, 0xFF, 0xFF]).await.unwrap();
        let mut r = RawReader::new(Box::new(b), 1024);
        match r.next_frame().await {
            Err(TransportError::TooLarge { size, limit }) => {
                assert_eq!((size, limit), (MAX_LEN, 1024));
            }
            other => panic!("{other:?}"),
        }
        assert!(r.buf.capacity() < 1 << 20);
        assert!(matches!(r.next_frame().await, Err(TransportError::Closed)));
        drop(a);
    }

    #[tokio::test]
    async fn a_stream_ending_inside_a_frame_is_an_unexpected_eof() {
        let mut r = reader_over(vec![0, 0, 0, 10, b'x'], MAX_LEN);
        match r.next_frame().await {
            Err(TransportError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof),
            other => panic!("{other:?}"),
        }
        let mut r = reader_over(vec![0, 0], MAX_LEN);
        assert!(matches!(r.next_frame().await, Err(TransportError::Io(_))));
    }

    #[tokio::test]
    async fn reading_survives_being_cancelled_midway_through_a_frame() {
        let (mut a, b) = duplex(1 << 20);
        let mut r = RawReader::new(Box::new(b), MAX_LEN);
        let big = vec![9u8; 200_000];
        let mut frame = encode_header(0, big.len()).to_vec();
        frame.extend(&big);
        a.write_all(&frame[..100_000]).await.unwrap();
        // A read that cannot complete yet, cancelled by the timeout.
        let res = tokio::time::timeout(std::time::Duration::from_millis(20), r.next_frame()).await;
        assert!(res.is_err());
        a.write_all(&frame[100_000..]).await.unwrap();
        assert_eq!(
            r.next_frame().await.unwrap(),
            Some(Frame::Message(Bytes::from(big)))
        );
    }

    #[tokio::test]
    async fn fed_frames_stay_buffered_until_flush() {
        let (a, mut b) = duplex(1 << 20);
        let mut w = RawWriter::new(Box::new(a));
        w.feed(b"one").await.unwrap();
        w.feed(b"two").await.unwrap();
        let mut probe = [0u8; 1];
        let early =
            tokio::time::timeout(std::time::Duration::from_millis(20), b.read(&mut probe)).await;
        assert!(early.is_err(), "nothing may be written before flush");
        w.flush().await.unwrap();
        let mut got = [0u8; 14];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"\0\0\0\x03one\0\0\0\x03two");
    }

    #[tokio::test]
    async fn a_pong_echoes_the_payload_and_is_flushed_at_once() {
        let (a, mut b) = duplex(1024);
        let mut w = RawWriter::new(Box::new(a));
        w.send_pong(b"hi").await.unwrap();
        let mut got = [0u8; 6];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"\x02\0\0\x02hi");
    }
}
