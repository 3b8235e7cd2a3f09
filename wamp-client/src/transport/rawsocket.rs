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
//!
//! The framing itself is [`wamp_core::framing::rawsocket`], shared with the router; this file
//! holds the client's side of the handshake.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wamp_core::framing::rawsocket::{handshake_octets, limit_of_exponent, refusal_reason, MAGIC};
pub(crate) use wamp_core::framing::rawsocket::{RawCodec, MAX_LEN};

use super::error::ConnectError;

/// Runs the client side of the handshake and returns the router's receive limit (2^(9+L)).
pub(crate) async fn handshake<S>(
    io: &mut S,
    serializer_id: u8,
    receive_limit: usize,
) -> Result<usize, ConnectError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let hello = handshake_octets(receive_limit, serializer_id);
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
    Ok(limit_of_exponent(peer_l))
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::io::{duplex, DuplexStream};
    use wamp_core::serializer::Cbor;

    use bytes::Bytes;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use wamp_core::framing::rawsocket::encode_header;

    use super::super::connection::{is_unexpected_eof, Connection, Timers};
    use super::super::error::TransportError;
    use super::super::frame::Frame;
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
