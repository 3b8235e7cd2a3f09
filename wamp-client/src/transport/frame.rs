//! What the codecs share: the byte stream ([`Io`]), the frames the connection yields
//! ([`Frame`]), and the read into the codecs' [`Inbox`] (the codecs themselves are
//! [`wamp_core::framing`]).

use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use wamp_core::framing::Inbox;

/// Any byte stream a transport can run over: a TCP or TLS stream, a Unix socket, an in-memory
/// pipe such as [`tokio::io::duplex`], or what a
/// [`connector`](super::TransportConfig::connector) returns.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// What [`Connection::next_frame`](super::connection::Connection::next_frame) yields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Frame {
    /// One serialized WAMP message (a view into the read buffer for small messages: no copy).
    Message(Bytes),
    /// The answer to a ping ([`Connection::queue_ping`](super::connection::Connection::queue_ping)), with its payload.
    Pong(Bytes),
    /// The peer closed the WebSocket with a close frame (our reply is queued): no message
    /// follows.
    Close,
}

/// One read from `io` into where the [`Inbox`] wants it: a large payload's own buffer while
/// one is being read, else the read buffer. `Ok(0)` is the end of the stream.
pub(crate) fn poll_read(
    inbox: &mut Inbox,
    io: &mut Box<dyn Io>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    let (buf, max) = inbox.read_target();
    let mut target = buf.limit(max);
    let res: Poll<io::Result<usize>> = pin!(io.read_buf(&mut target)).poll(cx);
    if let Poll::Ready(Ok(n)) = res {
        inbox.filled(n);
    }
    res
}
