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
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::error::{ConnectError, TransportError};
use super::frame::{Decoded, Frame, Inbox, LARGE};

/// The first octet of a RawSocket handshake.
pub(crate) const MAGIC: u8 = 0x7F;
/// The largest message we ever send or accept over RawSocket: 2^24 - 1.
pub(crate) const MAX_LEN: usize = (1 << 24) - 1;

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

/// The RawSocket framing of a [`Connection`](super::Connection): decodes frames from the read
/// buffer and encodes them into the write buffer.
pub(crate) struct RawCodec {
    /// The largest payload accepted (at most [`MAX_LEN`]).
    limit: usize,
}

impl RawCodec {
    /// `limit` is the largest payload accepted (capped at [`MAX_LEN`]).
    pub(crate) fn new(limit: usize) -> Self {
        RawCodec {
            limit: limit.min(MAX_LEN),
        }
    }

    /// The next frame in the read buffer (or the large payload read on its own), if complete.
    pub(crate) fn decode(&mut self, inbox: &mut Inbox) -> Result<Option<Decoded>, TransportError> {
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
            inbox.start_direct(data, header.len, header.kind, true);
        } else {
            inbox.buf.reserve(total - inbox.buf.len());
        }
        Ok(None)
    }

    /// Frames one message.
    pub(crate) fn encode_message(&mut self, out: &mut BytesMut, payload: &[u8]) {
        encode(out, TYPE_MESSAGE, payload);
    }

    /// Frames a PONG echoing a PING's payload.
    pub(crate) fn encode_pong(&mut self, out: &mut BytesMut, payload: &[u8]) {
        encode(out, TYPE_PONG, payload);
    }
}

/// Appends one frame (the caller checked its size against [`MAX_LEN`]).
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
        TYPE_PONG => Decoded::Frame(Frame::Pong(payload)),
        _ => Decoded::Frame(Frame::Message(payload)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::io::{duplex, DuplexStream};
    use wamp_core::serializer::Cbor;

    use super::super::connection::{is_unexpected_eof, Connection, Timers};
    use super::*;

    fn conn(io: DuplexStream, limit: usize) -> Connection {
        Connection::rawsocket(
            Box::new(io),
            Arc::new(Cbor),
            MAX_LEN,
            limit,
            Timers::for_tests(),
        )
    }

    /// A connection reading `bytes`, after which the peer closes.
    fn reader_over(bytes: Vec<u8>, limit: usize) -> Connection {
        let (mut a, b) = duplex(1 << 20);
        tokio::spawn(async move {
            a.write_all(&bytes).await.unwrap();
            // dropping `a` closes the stream
        });
        conn(b, limit)
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
    async fn messages_and_pongs_are_read_in_order_and_pings_are_answered_inside() {
        let (mut peer, ours) = duplex(1 << 20);
        let mut c = conn(ours, MAX_LEN);
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
        peer.write_all(&bytes).await.unwrap();
        drop(bytes);
        assert_eq!(
            c.read_frame().await.unwrap(),
            Some(Frame::Message(Bytes::from_static(b"abc")))
        );
        assert_eq!(
            c.read_frame().await.unwrap(),
            Some(Frame::Pong(Bytes::from_static(b"po")))
        );
        assert_eq!(
            c.read_frame().await.unwrap(),
            Some(Frame::Message(Bytes::new()))
        );
        assert_eq!(
            c.read_frame().await.unwrap(),
            Some(Frame::Message(Bytes::from(big)))
        );
        // the ping was answered with a pong echoing its payload
        c.write_all().await.unwrap();
        let mut pong = [0u8; 8];
        peer.read_exact(&mut pong).await.unwrap();
        assert_eq!(&pong, b"\x02\0\0\x04ping");
        drop(peer);
        assert_eq!(c.read_frame().await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_oversized_frame_is_rejected_from_its_header_alone() {
        // Only the header arrives, and the stream stays open: the reader must not wait for
        // (or allocate) the 16 MiB payload.
        let (mut a, b) = duplex(64);
        a.write_all(&[0, 0xFF, 0xFF, 0xFF]).await.unwrap();
        let mut r = conn(b, 1024);
        match r.read_frame().await {
            Err(TransportError::TooLarge { size, limit }) => {
                assert_eq!((size, limit), (MAX_LEN, 1024));
            }
            other => panic!("{other:?}"),
        }
        assert!(r.read_capacity() < 1 << 20);
        assert!(matches!(r.next_frame(), Err(TransportError::Closed)));
        drop(a);
    }

    #[tokio::test]
    async fn a_stream_ending_inside_a_frame_is_an_unexpected_eof() {
        let mut r = reader_over(vec![0, 0, 0, 10, b'x'], MAX_LEN);
        let err = r.read_frame().await.unwrap_err();
        assert!(is_unexpected_eof(&err), "{err:?}");
        let mut r = reader_over(vec![0, 0], MAX_LEN);
        let err = r.read_frame().await.unwrap_err();
        assert!(is_unexpected_eof(&err), "{err:?}");
        let mut big = encode_header(0, 100_000).to_vec();
        big.extend([1; 99_999]);
        let mut r = reader_over(big, MAX_LEN);
        let err = r.read_frame().await.unwrap_err();
        assert!(is_unexpected_eof(&err), "{err:?}");
    }

    #[tokio::test]
    async fn reading_survives_being_cancelled_midway_through_a_frame() {
        let (mut a, b) = duplex(1 << 20);
        let mut r = conn(b, MAX_LEN);
        let big = vec![9u8; 200_000];
        let mut frame = encode_header(0, big.len()).to_vec();
        frame.extend(&big);
        a.write_all(&frame[..100_000]).await.unwrap();
        // A read that cannot complete yet, cancelled by the timeout.
        let res = tokio::time::timeout(Duration::from_millis(20), r.read_frame()).await;
        assert!(res.is_err());
        assert!(r.in_frame());
        a.write_all(&frame[100_000..]).await.unwrap();
        assert_eq!(
            r.read_frame().await.unwrap(),
            Some(Frame::Message(Bytes::from(big)))
        );
        assert!(!r.in_frame());
    }

    #[tokio::test]
    async fn a_frame_announced_but_never_finished_leaves_in_frame_set_and_returns_nothing() {
        // 16 MiB - 1 announced, 10 bytes sent, and the stream stays open.
        let (mut a, b) = duplex(1 << 16);
        let mut r = conn(b, MAX_LEN);
        assert!(!r.in_frame());
        a.write_all(&[0, 0xFF, 0xFF, 0xFF]).await.unwrap();
        a.write_all(&[5; 10]).await.unwrap();
        for _ in 0..2 {
            let t = std::future::poll_fn(|cx| r.poll_transfer(cx, true))
                .await
                .unwrap();
            assert!(!t.eof);
            assert_eq!(r.next_frame().unwrap(), None);
            assert!(r.in_frame());
            if t.read == 14 {
                break;
            }
        }
        // Nothing more comes: the next step stays pending (the driver's read deadline
        // decides), and no frame is returned.
        let res = tokio::time::timeout(
            Duration::from_millis(20),
            std::future::poll_fn(|cx| r.poll_transfer(cx, true)),
        )
        .await;
        assert!(res.is_err());
        assert_eq!(r.next_frame().unwrap(), None);
        assert!(r.in_frame());
    }

    #[tokio::test]
    async fn queued_frames_stay_buffered_until_transferred() {
        let (a, mut b) = duplex(1 << 20);
        let mut w = conn(a, MAX_LEN);
        w.queue_message(b"one").unwrap();
        w.queue_message(b"two").unwrap();
        assert_eq!(w.unsent(), 14);
        let mut probe = [0u8; 1];
        let early = tokio::time::timeout(Duration::from_millis(20), b.read(&mut probe)).await;
        assert!(early.is_err(), "nothing may be written before a transfer");
        let t = std::future::poll_fn(|cx| w.poll_transfer(cx, false))
            .await
            .unwrap();
        assert_eq!(t.written, 14);
        assert_eq!(w.unsent(), 0);
        let mut got = [0u8; 14];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"\0\0\0\x03one\0\0\0\x03two");
    }

    #[tokio::test]
    async fn rawsocket_never_queues_pings() {
        let (a, _b) = duplex(1024);
        let mut w = conn(a, MAX_LEN);
        assert!(!w.queue_ping(b"keepalive"));
        assert_eq!(w.unsent(), 0);
    }

    #[tokio::test]
    async fn the_write_buffer_drains_over_several_transfers_to_a_slow_reader_then_shrinks() {
        // A pipe that holds 4 KiB: 2 MiB go out in many partial writes.
        let (a, mut peer) = duplex(4096);
        let mut w = conn(a, MAX_LEN);
        let msg = vec![3u8; 512 * 1024];
        for _ in 0..4 {
            w.queue_message(&msg).unwrap();
        }
        let total = 4 * (4 + msg.len());
        assert_eq!(w.unsent(), total);
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut chunk = [0u8; 1000];
            while got.len() < total {
                let n = peer.read(&mut chunk).await.unwrap();
                assert!(n > 0);
                got.extend_from_slice(&chunk[..n]);
            }
            got
        });
        let mut transfers = 0;
        let mut written = 0;
        while w.wants_write() {
            let t = tokio::time::timeout(
                Duration::from_secs(10),
                std::future::poll_fn(|cx| w.poll_transfer(cx, false)),
            )
            .await
            .unwrap()
            .unwrap();
            assert!(t.written <= 4096);
            written += t.written;
            transfers += 1;
            assert!(transfers < 10_000);
            assert_eq!(w.unsent(), total - written);
        }
        assert_eq!(written, total);
        assert!(transfers >= total / 4096, "{transfers}");
        let got = reader.await.unwrap();
        assert_eq!(&got[..4], &encode_header(0, msg.len()));
        assert!(got[4..4 + msg.len()].iter().all(|b| *b == 3));
        // the 2 MiB burst is not kept allocated
        assert!(w.write_capacity() <= 64 * 1024, "{}", w.write_capacity());
    }
}
