//! What the codecs share: the byte stream ([`Io`]), the frames they decode ([`Frame`],
//! [`Decoded`]) and the read side they decode from ([`Inbox`]).

use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

/// Any byte stream a transport can run over: a TCP or TLS stream, a Unix socket, an in-memory
/// pipe such as [`tokio::io::duplex`], or what a
/// [`connector`](super::TransportConfig::connector) returns.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// Reads ask for at least this much free room in the read buffer...
const READ_MIN: usize = 4 * 1024;
/// ...and grow it by this much when it has less.
const READ_CHUNK: usize = 16 * 1024;
/// A payload above this size that is not yet complete in the read buffer is read straight into
/// a buffer of its own (of the exact size), not through the read buffer.
pub(crate) const LARGE: usize = 64 * 1024;
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

/// What a codec found in the read buffer.
pub(crate) enum Decoded {
    /// A frame for the caller.
    Frame(Frame),
    /// A ping to answer with this payload.
    Ping(Bytes),
    /// A WebSocket close frame, with its status code if it had one.
    Close(Option<u16>),
}

/// The read side: the read buffer, and a large payload being read into its own buffer.
pub(crate) struct Inbox {
    pub(crate) buf: BytesMut,
    pub(crate) direct: Option<Direct>,
    /// The peer closed its side of the stream.
    pub(crate) eof: bool,
}

/// A large payload read straight into its own buffer.
pub(crate) struct Direct {
    /// The payload so far (its capacity covers the rest).
    pub(crate) data: BytesMut,
    /// The bytes still to come.
    pub(crate) remaining: usize,
    /// The codec's frame type.
    pub(crate) kind: u8,
    /// Whether this frame ends its message (WebSocket fragments).
    pub(crate) fin: bool,
}

impl Inbox {
    pub(crate) fn new(leftover: BytesMut) -> Self {
        Inbox {
            buf: leftover,
            direct: None,
            eof: false,
        }
    }

    /// Starts reading the rest of a `len`-byte payload into its own buffer; the header has been
    /// taken off the read buffer, whose remaining bytes all belong to this payload.
    pub(crate) fn start_direct(&mut self, mut data: BytesMut, len: usize, kind: u8, fin: bool) {
        let have = self.buf.len();
        debug_assert!(have < len);
        data.reserve(len);
        data.extend_from_slice(&self.buf);
        self.buf.clear();
        self.direct = Some(Direct {
            data,
            remaining: len - have,
            kind,
            fin,
        });
    }

    /// One read from `io`: into the large payload's own buffer when one is being read, else
    /// into the read buffer. `Ok(0)` is the end of the stream.
    pub(crate) fn poll_read(
        &mut self,
        io: &mut Box<dyn Io>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        match &mut self.direct {
            Some(d) if d.remaining > 0 => {
                let mut target = (&mut d.data).limit(d.remaining);
                let res: Poll<io::Result<usize>> = pin!(io.read_buf(&mut target)).poll(cx);
                if let Poll::Ready(Ok(n)) = res {
                    d.remaining -= n;
                }
                res
            }
            _ => {
                if self.buf.capacity() - self.buf.len() < READ_MIN {
                    self.buf.reserve(READ_CHUNK);
                }
                pin!(io.read_buf(&mut self.buf)).poll(cx)
            }
        }
    }
}
