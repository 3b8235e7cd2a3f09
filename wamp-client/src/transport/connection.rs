//! [`Connection`]: one open transport, as buffers the driver fills and drains without waiting,
//! plus one poll-based step ([`Connection::poll_transfer`]) that moves bytes to and from the
//! socket.
//!
//! Outgoing messages are framed straight into a write buffer ([`Connection::queue_message`],
//! no IO); incoming bytes are read into a read buffer, and [`Connection::next_frame`] decodes
//! the complete frames found there (no IO). Control frames are answered inside: a ping's pong
//! and a WebSocket close reply are queued in the write buffer.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWrite;
use wamp_core::serializer::Serializer;

use super::config::{Keepalive, TransportConfig, TransportKind};
use super::error::TransportError;
use wamp_core::framing::{Decoded, Inbox};

use super::frame::{poll_read, Frame, Io};
use super::rawsocket::RawCodec;
use super::websocket::{WsCodec, CLOSE_NORMAL};

/// How long closing a connection may take (writing what is queued, the WebSocket close
/// handshake, the TLS close_notify): 5 seconds.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The write buffer's capacity after a burst that grew it above [`WRITE_KEEP`].
const WRITE_START: usize = 16 * 1024;
/// A write buffer that grew above this during a burst is given back once it has drained.
const WRITE_KEEP: usize = 1 << 20;
/// Pongs are queued only while less than this is waiting to be written; above it only the
/// latest ping is remembered and answered once the backlog has drained, so that a peer sending
/// pings without reading cannot grow the write buffer.
const PONG_BACKLOG: usize = 64 * 1024;

/// What one [`Connection::poll_transfer`] step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Transfer {
    /// Bytes written to the socket.
    pub(crate) written: usize,
    /// Bytes read from the socket.
    pub(crate) read: usize,
    /// The peer closed its side of the stream (nothing more will be read).
    pub(crate) eof: bool,
}

/// The keepalive and the timeouts a connection carries for the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timers {
    pub(crate) keepalive: Option<Keepalive>,
    pub(crate) write_timeout: Duration,
    pub(crate) read_timeout: Duration,
}

impl Timers {
    /// The settings of `config`.
    pub(crate) fn of(config: &TransportConfig) -> Self {
        Timers {
            keepalive: config.keepalive_settings(),
            write_timeout: config.write_timeout_setting(),
            read_timeout: config.read_timeout_setting(),
        }
    }
    /// No keepalive, the default timeouts (tests).
    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        Timers {
            keepalive: None,
            write_timeout: super::config::DEFAULT_WRITE_TIMEOUT,
            read_timeout: super::config::DEFAULT_READ_TIMEOUT,
        }
    }
}

/// The framing spoken on the connection.
enum Codec {
    RawSocket(RawCodec),
    WebSocket(WsCodec),
}

/// An open connection, with the serializer the router agreed to.
pub(crate) struct Connection {
    /// The negotiated serializer.
    pub(crate) serializer: Arc<dyn Serializer>,
    /// WebSocket or RawSocket.
    pub(crate) kind: TransportKind,
    /// The largest message we may send: our own limit, lowered on RawSocket to the limit the
    /// router announced (and never above 2^24 - 1 there). [`queue_message`](Self::queue_message)
    /// enforces it.
    pub(crate) max_send_size: usize,
    /// The keepalive the transport was configured with.
    pub(crate) keepalive: Option<Keepalive>,
    /// How long the peer may take no bytes while we have some to send (enforced by the
    /// driver).
    pub(crate) write_timeout: Duration,
    /// How long a frame in progress ([`in_frame`](Self::in_frame)) may get no new bytes
    /// (enforced by the driver).
    pub(crate) read_timeout: Duration,
    io: Box<dyn Io>,
    codec: Codec,
    inbox: Inbox,
    /// Framed bytes not yet written.
    outbox: BytesMut,
    /// Bytes queued since the write buffer was last empty.
    burst: usize,
    /// The write buffer emptied and the stream still owes a flush (TLS).
    flush_owed: bool,
    /// A ping to answer once the write backlog is small enough.
    pending_pong: Option<Bytes>,
    /// Our WebSocket close frame is queued: no frame may follow it.
    close_sent: bool,
    /// The peer's WebSocket close frame arrived: nothing more is decoded.
    peer_closed: bool,
    /// No more messages may be queued (close started, or a close frame was sent).
    closing: bool,
    /// `close` ran (or is running): calling it again does nothing.
    close_started: bool,
    /// A decoding error happened: the read side is finished.
    failed: bool,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("kind", &self.kind)
            .field("serializer", &self.serializer.name())
            .field("max_send_size", &self.max_send_size)
            .field("keepalive", &self.keepalive)
            .field("write_timeout", &self.write_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("unsent", &self.unsent())
            .field("closing", &self.closing)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A RawSocket connection after its handshake; `receive_limit` is our own limit.
    pub(crate) fn rawsocket(
        io: Box<dyn Io>,
        serializer: Arc<dyn Serializer>,
        max_send_size: usize,
        receive_limit: usize,
        timers: Timers,
    ) -> Self {
        Connection::new(
            io,
            Codec::RawSocket(RawCodec::new(receive_limit)),
            BytesMut::new(),
            serializer,
            TransportKind::RawSocket,
            max_send_size,
            timers,
        )
    }

    /// A WebSocket connection after its handshake; `leftover` is what followed the response
    /// headers, `receive_limit` our own limit.
    pub(crate) fn websocket(
        io: Box<dyn Io>,
        leftover: BytesMut,
        serializer: Arc<dyn Serializer>,
        max_send_size: usize,
        receive_limit: usize,
        timers: Timers,
    ) -> Self {
        let text = !serializer.is_binary();
        Connection::new(
            io,
            Codec::WebSocket(WsCodec::new(receive_limit, text)),
            leftover,
            serializer,
            TransportKind::WebSocket,
            max_send_size,
            timers,
        )
    }

    fn new(
        io: Box<dyn Io>,
        codec: Codec,
        leftover: BytesMut,
        serializer: Arc<dyn Serializer>,
        kind: TransportKind,
        max_send_size: usize,
        timers: Timers,
    ) -> Self {
        Connection {
            serializer,
            kind,
            max_send_size,
            keepalive: timers.keepalive,
            write_timeout: timers.write_timeout,
            read_timeout: timers.read_timeout,
            io,
            codec,
            inbox: Inbox::new(leftover),
            outbox: BytesMut::new(),
            burst: 0,
            flush_owed: false,
            pending_pong: None,
            close_sent: false,
            peer_closed: false,
            closing: false,
            close_started: false,
            failed: false,
        }
    }

    // ---- outgoing, no IO ----

    /// Frames one serialized WAMP message into the write buffer (the bytes are copied, so the
    /// caller can reuse its encoding buffer). Nothing is written until
    /// [`poll_transfer`](Self::poll_transfer).
    ///
    /// A message larger than [`max_send_size`](Self::max_send_size) is refused with
    /// [`TransportError::TooLarge`], and anything after `close` (or after the peer's close
    /// frame) with [`TransportError::Closed`]: nothing is queued then, and the connection stays
    /// usable after `TooLarge`.
    pub(crate) fn queue_message(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        if self.closing {
            return Err(TransportError::Closed);
        }
        if msg.len() > self.max_send_size {
            return Err(TransportError::TooLarge {
                size: msg.len(),
                limit: self.max_send_size,
            });
        }
        let before = self.outbox.len();
        match &mut self.codec {
            Codec::RawSocket(c) => c.encode_message(&mut self.outbox, msg),
            Codec::WebSocket(c) => c.encode_message(&mut self.outbox, msg)?,
        }
        self.burst += self.outbox.len() - before;
        Ok(())
    }

    /// Queues a WebSocket ping (keepalive) with `payload` (cut to 125 bytes, the limit of a
    /// control frame). Returns false, queuing nothing, on RawSocket (whose routers, Crossbar.io
    /// among them, break on PINGs: they read the header as a length) and after close.
    pub(crate) fn queue_ping(&mut self, payload: &[u8]) -> bool {
        if self.closing {
            return false;
        }
        match &mut self.codec {
            Codec::RawSocket(_) => false,
            Codec::WebSocket(c) => {
                let before = self.outbox.len();
                c.encode_ping(&mut self.outbox, payload);
                self.burst += self.outbox.len() - before;
                true
            }
        }
    }

    /// Bytes queued and not yet written to the socket.
    pub(crate) fn unsent(&self) -> usize {
        self.outbox.len()
    }

    /// Whether [`poll_transfer`](Self::poll_transfer) has something to write: queued bytes, or
    /// a flush the stream still owes (TLS) after they were written. The driver applies its
    /// write deadline while this holds.
    pub(crate) fn wants_write(&self) -> bool {
        !self.outbox.is_empty() || self.flush_owed
    }

    /// Answers a ping: at once while the write backlog is small, else later (only the latest
    /// ping is remembered then).
    fn answer_ping(&mut self, payload: Bytes) {
        if self.close_sent {
            return;
        }
        if self.outbox.len() < PONG_BACKLOG {
            // This answer supersedes any older one still held back.
            self.pending_pong = None;
            self.queue_pong(&payload);
        } else {
            self.pending_pong = Some(payload);
        }
    }

    /// Queues our WebSocket close frame (once), echoing the peer's `code` when answering
    /// one; nothing may be queued after it. Does nothing on RawSocket.
    fn send_close(&mut self, code: Option<u16>) {
        self.closing = true;
        if self.close_sent {
            return;
        }
        if let Codec::WebSocket(c) = &mut self.codec {
            let before = self.outbox.len();
            c.encode_close(&mut self.outbox, code);
            self.burst += self.outbox.len() - before;
            self.close_sent = true;
            self.pending_pong = None;
        }
    }

    fn queue_pong(&mut self, payload: &[u8]) {
        let before = self.outbox.len();
        match &mut self.codec {
            Codec::RawSocket(c) => c.encode_pong(&mut self.outbox, payload),
            Codec::WebSocket(c) => c.encode_pong(&mut self.outbox, payload),
        }
        self.burst += self.outbox.len() - before;
    }

    // ---- incoming, no IO ----

    /// The next complete frame from the bytes already read, if any.
    ///
    /// Pings from the peer (RawSocket PING, WebSocket ping) are answered inside (the pong,
    /// echoing the payload, is queued in the write buffer) and not returned. A WebSocket close
    /// frame queues our close reply and yields [`Frame::Close`]; nothing is decoded after it.
    /// WebSocket fragments are reassembled. A message over our receive limit is
    /// [`TransportError::TooLarge`] from its header(s) alone, without allocating it; framing
    /// violations (a masked server frame, reserved bits, an unknown opcode, a long or
    /// fragmented control frame, invalid UTF-8 in a text message) are
    /// [`TransportError::Protocol`]. Once the stream has ended, a partly received frame is an
    /// [`io::ErrorKind::UnexpectedEof`] error. After an error the read side is finished
    /// ([`TransportError::Closed`]).
    pub(crate) fn next_frame(&mut self) -> Result<Option<Frame>, TransportError> {
        if self.failed {
            return Err(TransportError::Closed);
        }
        if self.peer_closed {
            self.inbox.clear();
            return Ok(None);
        }
        loop {
            let decoded = match &mut self.codec {
                Codec::RawSocket(c) => c.decode(&mut self.inbox).map_err(TransportError::from),
                Codec::WebSocket(c) => c.decode(&mut self.inbox),
            };
            match decoded {
                Ok(Some(Decoded::Message(payload))) => return Ok(Some(Frame::Message(payload))),
                Ok(Some(Decoded::Pong(payload))) => return Ok(Some(Frame::Pong(payload))),
                Ok(Some(Decoded::Ping(payload))) => self.answer_ping(payload),
                Ok(Some(Decoded::Close(code))) => {
                    // Nothing may follow a close frame: drop what is buffered, answer it.
                    self.peer_closed = true;
                    self.inbox.clear();
                    self.send_close(code);
                    return Ok(Some(Frame::Close));
                }
                Ok(None) if self.inbox.eof && self.in_frame() => {
                    self.failed = true;
                    return Err(TransportError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the connection in the middle of a frame",
                    )));
                }
                Ok(None) => return Ok(None),
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            }
        }
    }

    /// Whether part of a frame is buffered (a header, a payload still incomplete, or some
    /// fragments of a WebSocket message): the driver then applies its read deadline to the
    /// next read.
    pub(crate) fn in_frame(&self) -> bool {
        if self.peer_closed {
            return false;
        }
        let in_message = match &self.codec {
            Codec::WebSocket(c) => c.in_message(),
            Codec::RawSocket(_) => false,
        };
        self.inbox.holds_partial_frame() || in_message
    }

    // ---- IO: one non-blocking step ----

    /// Writes what it can of the write buffer (one write call, taking as much as the socket
    /// takes; then a flush once the buffer has emptied) and, if `read`, reads once into the
    /// read buffer. Ready as soon as either direction made progress (or a flush completed) or
    /// failed; Pending when neither can (the wakers of both are registered then).
    ///
    /// Cancel-safe: all state is kept in `self`. Once the stream has ended, reading reports
    /// `eof` again at once. With nothing to write and `read` false it stays Pending without a
    /// waker: poll it only while [`wants_write`](Self::wants_write) or reading. Call [`next_frame`](Self::next_frame) until it returns `None` after
    /// each read: the read buffer holds whatever has been read and not decoded.
    pub(crate) fn poll_transfer(
        &mut self,
        cx: &mut Context<'_>,
        read: bool,
    ) -> Poll<Result<Transfer, TransportError>> {
        let mut done = Transfer::default();
        let mut progress = false;

        if self.outbox.len() < PONG_BACKLOG && !self.close_sent {
            if let Some(p) = self.pending_pong.take() {
                self.queue_pong(&p);
            }
        }
        if !self.outbox.is_empty() {
            match Pin::new(&mut self.io).poll_write(cx, &self.outbox) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(TransportError::Io(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the transport stream accepts no more bytes",
                    ))))
                }
                Poll::Ready(Ok(n)) => {
                    self.outbox.advance(n);
                    done.written = n;
                    progress = true;
                    if self.outbox.is_empty() {
                        self.flush_owed = true;
                        if self.burst > WRITE_KEEP {
                            self.outbox = BytesMut::with_capacity(WRITE_START);
                        }
                        self.burst = 0;
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Pending => {}
            }
        }
        if self.flush_owed && self.outbox.is_empty() {
            match Pin::new(&mut self.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => {
                    self.flush_owed = false;
                    progress = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Pending => {}
            }
        }

        if read {
            if self.inbox.eof {
                done.eof = true;
                progress = true;
            } else {
                match poll_read(&mut self.inbox, &mut self.io, cx) {
                    Poll::Ready(Ok(0)) => {
                        self.inbox.eof = true;
                        done.eof = true;
                        progress = true;
                    }
                    Poll::Ready(Ok(n)) => {
                        done.read = n;
                        progress = true;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                    Poll::Pending => {}
                }
            }
        }

        if progress {
            Poll::Ready(Ok(done))
        } else {
            Poll::Pending
        }
    }

    /// Closes within [`CLOSE_TIMEOUT`]: on WebSocket queues a close frame (1000, unless we
    /// already answered the peer's), writes what is queued (reading and discarding meanwhile,
    /// so that a peer blocked on writing to us can go on), on WebSocket waits for the peer's
    /// close frame (or the end of the stream), then shuts the write direction down (a TLS
    /// close_notify on TLS). A peer that does not read cannot make this hang: after the
    /// timeout it fails with [`io::ErrorKind::TimedOut`], and dropping the connection closes
    /// the socket. Calling it again does nothing.
    pub(crate) async fn close(&mut self) -> Result<(), TransportError> {
        if self.close_started {
            return Ok(());
        }
        self.close_started = true;
        self.closing = true;
        match tokio::time::timeout(CLOSE_TIMEOUT, self.close_inner()).await {
            Ok(res) => res,
            Err(_) => Err(TransportError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "closing the transport timed out",
            ))),
        }
    }

    async fn close_inner(&mut self) -> Result<(), TransportError> {
        self.send_close(Some(CLOSE_NORMAL));
        let websocket = matches!(self.codec, Codec::WebSocket(_));
        let mut reading = !self.failed && !self.inbox.eof;
        // Write what is queued (our close frame last); on WebSocket, then wait for the peer's
        // close frame (or the end of the stream).
        while self.wants_write() || (websocket && reading && !self.peer_closed) {
            let transfer = std::future::poll_fn(|cx| self.poll_transfer(cx, reading)).await?;
            if transfer.read > 0 || transfer.eof {
                reading = self.discard_frames() && !transfer.eof;
            }
        }
        match std::future::poll_fn(|cx| Pin::new(&mut self.io).poll_shutdown(cx)).await {
            // The peer closed first (its close frame, or the end of its stream): it may well
            // be gone before our close_notify or FIN, which is no failure.
            Err(_) if self.peer_closed || self.inbox.eof => Ok(()),
            res => res.map_err(TransportError::from),
        }
    }

    /// Decodes and drops what was read during a close; false once reading should stop.
    fn discard_frames(&mut self) -> bool {
        loop {
            match self.next_frame() {
                Ok(Some(_)) => {}
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }
}

/// The end of the stream in the middle of a frame.
#[cfg(test)]
pub(crate) fn is_unexpected_eof(e: &TransportError) -> bool {
    matches!(e, TransportError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof)
}

/// Blocking-style helpers for tests.
#[cfg(test)]
impl Connection {
    /// Reads until a frame is decoded; `None` at the end of the stream.
    pub(crate) async fn read_frame(&mut self) -> Result<Option<Frame>, TransportError> {
        loop {
            if let Some(frame) = self.next_frame()? {
                return Ok(Some(frame));
            }
            if self.inbox.eof {
                return Ok(None);
            }
            std::future::poll_fn(|cx| self.poll_transfer(cx, true)).await?;
        }
    }

    /// Writes (and flushes) everything queued, without reading.
    pub(crate) async fn write_all(&mut self) -> Result<(), TransportError> {
        while self.wants_write() {
            std::future::poll_fn(|cx| self.poll_transfer(cx, false)).await?;
        }
        Ok(())
    }

    /// The read buffer's capacity.
    pub(crate) fn read_capacity(&self) -> usize {
        self.inbox.capacity()
    }

    /// The write buffer's capacity.
    pub(crate) fn write_capacity(&self) -> usize {
        self.outbox.capacity()
    }
}
