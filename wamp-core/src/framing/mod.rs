//! The framing of WAMP's two transports with no IO: WebSocket frames (RFC 6455, either role)
//! and RawSocket frames and handshake octets, shared by the client (`wamp-client`) and the
//! router (`wamp-router`).
//!
//! A connection reads bytes into an [`Inbox`] (asking it where the next read goes with
//! [`Inbox::read_target`] and telling it what arrived with [`Inbox::filled`]), then takes the
//! complete frames out with a codec's `decode` ([`websocket::WsCodec`],
//! [`rawsocket::RawCodec`]); outgoing frames are appended to a write buffer by the codec's
//! `encode_*` methods. Nothing here reads a socket, a clock or a random number generator:
//! WebSocket masks come in as arguments.

use bytes::{Bytes, BytesMut};

pub mod rawsocket;
pub mod websocket;

/// Reads ask for at least this much free room in the read buffer...
const READ_MIN: usize = 4 * 1024;
/// ...and grow it by this much when it has less.
const READ_CHUNK: usize = 16 * 1024;
/// A payload above this size that is not yet complete in the read buffer is read straight into
/// a buffer of its own (of the exact size), not through the read buffer.
pub const LARGE: usize = 64 * 1024;

/// A frame that breaks the framing rules, or a message over the receive limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The peer broke the framing (reserved bits, an unknown opcode or frame type, wrong
    /// masking, a long or fragmented control frame, invalid UTF-8 in a text message, ...).
    #[error("framing violation: {0}")]
    Protocol(String),
    /// A message larger than the receive limit, known from its header(s) alone.
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The announced size (so far, for fragments).
        size: usize,
        /// The receive limit.
        limit: usize,
    },
}

/// What a codec found in the read buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// One whole WAMP message, not yet deserialized (fragments reassembled; for a small message
    /// a view of the read buffer, no copy).
    Message(Bytes),
    /// A ping to answer with a pong echoing this payload.
    Ping(Bytes),
    /// A pong, with its payload.
    Pong(Bytes),
    /// A WebSocket close frame, with its status code if it had one.
    Close(Option<u16>),
}

/// The read side of a connection: the read buffer, and a large payload being read into its own
/// buffer.
#[derive(Debug)]
pub struct Inbox {
    /// The bytes read and not yet decoded.
    pub(crate) buf: BytesMut,
    pub(crate) direct: Option<Direct>,
    /// The peer closed its side of the stream.
    pub eof: bool,
}

/// A large payload read straight into its own buffer.
#[derive(Debug)]
pub(crate) struct Direct {
    /// The payload so far (its capacity covers the rest).
    pub(crate) data: BytesMut,
    /// The bytes still to come.
    pub(crate) remaining: usize,
    /// The codec's frame type.
    pub(crate) kind: u8,
    /// Whether this frame ends its message (WebSocket fragments).
    pub(crate) fin: bool,
    /// The WebSocket mask of this frame (a client's frame read by a server), and where in
    /// `data` this frame's payload starts.
    pub(crate) mask: Option<([u8; 4], usize)>,
}

impl Inbox {
    /// A read side whose buffer starts with `leftover` (bytes read past a handshake).
    pub fn new(leftover: BytesMut) -> Self {
        Inbox {
            buf: leftover,
            direct: None,
            eof: false,
        }
    }

    /// Where the next read goes, and how many bytes it may take at most: the large payload's
    /// own buffer while one is being read, else the read buffer (grown when it has little
    /// room). Read into it (for instance through `bytes::BufMut::limit`), then call
    /// [`filled`](Self::filled).
    pub fn read_target(&mut self) -> (&mut BytesMut, usize) {
        match &mut self.direct {
            Some(d) if d.remaining > 0 => (&mut d.data, d.remaining),
            _ => {
                if self.buf.capacity() - self.buf.len() < READ_MIN {
                    self.buf.reserve(READ_CHUNK);
                }
                (&mut self.buf, usize::MAX)
            }
        }
    }

    /// Records that `n` bytes were read into the buffer [`read_target`](Self::read_target)
    /// gave.
    pub fn filled(&mut self, n: usize) {
        if let Some(d) = &mut self.direct {
            if d.remaining > 0 {
                d.remaining -= n.min(d.remaining);
            }
        }
    }

    /// Whether any bytes of an incomplete frame are held (a header, part of a payload).
    pub fn holds_partial_frame(&self) -> bool {
        !self.buf.is_empty() || self.direct.is_some()
    }

    /// Drops everything buffered (after a close frame, nothing more is decoded).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.direct = None;
    }

    /// The read buffer's capacity (tests check it stays small).
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Starts reading the rest of a `len`-byte payload into its own buffer; the header has been
    /// taken off the read buffer, whose remaining bytes all belong to this payload.
    pub(crate) fn start_direct(
        &mut self,
        mut data: BytesMut,
        len: usize,
        kind: u8,
        fin: bool,
        mask: Option<[u8; 4]>,
    ) {
        let have = self.buf.len();
        debug_assert!(have < len);
        let start = data.len();
        data.reserve(len);
        data.extend_from_slice(&self.buf);
        self.buf.clear();
        self.direct = Some(Direct {
            data,
            remaining: len - have,
            kind,
            fin,
            mask: mask.map(|m| (m, start)),
        });
    }
}
