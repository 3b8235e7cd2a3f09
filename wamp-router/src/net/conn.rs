//! One task per connection: reads frames and feeds their messages to the core, writes what
//! the core queued for it, answers pings, sends its own WebSocket pings.

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc::error::TryRecvError;
use wamp_core::framing::rawsocket::RawCodec;
use wamp_core::framing::websocket::{self, Role, WsCodec};
use wamp_core::framing::{Decoded, FrameError, Inbox};
use wamp_core::serializer::Serializer;
use wamp_core::{Dict, Message, Value};

use super::{has_space, Congested, Hub, Out, Registered};
use crate::config::{AutoPing, TransportKind};
use crate::core::ConnInfo;

/// Above this many bytes waiting for the socket, the task stops taking messages from its
/// queue (which then fills up if the peer stays slow).
const WRITE_HIGH: usize = 256 * 1024;
/// A write buffer that grew above this during a burst is given back once drained.
const WRITE_KEEP: usize = 64 * 1024;
/// How long closing (writing what is queued, the close frame) may take.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// The most messages fed to the core at once: between two feeds, the queues they filled are
/// looked at (a read may hold hundreds of small messages).
const FEED: usize = 64;

/// What a connection needs after its handshake.
pub(crate) struct Params {
    pub(crate) kind: TransportKind,
    pub(crate) serializer: Arc<dyn Serializer>,
    /// The largest message accepted.
    pub(crate) max_in: usize,
    /// The largest message the peer accepts.
    pub(crate) max_out: usize,
    pub(crate) auto_ping: Option<AutoPing>,
    /// How long a begun frame may take, from the last complete one.
    pub(crate) frame_timeout: std::time::Duration,
    pub(crate) queue: usize,
    pub(crate) slow_consumer_timeout: std::time::Duration,
    /// Whether the stream needs flushing after writes (TLS).
    pub(crate) flush: bool,
    pub(crate) info: ConnInfo,
}

enum Codec {
    Ws(WsCodec),
    Raw(RawCodec),
}

/// Why a connection ended.
enum End {
    /// Closed as asked (by the core, or the peer's close frame), after writing what was queued.
    Graceful,
    /// Cut off at once.
    Abrupt(String),
}

/// Serves one connection until it ends, then tells the core.
pub(crate) async fn serve<S>(hub: Arc<Hub>, stream: S, leftover: BytesMut, p: Params)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let Registered {
        id,
        mut rx,
        kill,
        space,
    } = hub.open(p.queue, p.slow_consumer_timeout, p.info.clone());
    let mut c = Conn {
        id,
        codec: match p.kind {
            TransportKind::WebSocket => Codec::Ws(WsCodec::new(
                Role::Server,
                p.max_in,
                p.serializer.name() == "json",
            )),
            TransportKind::RawSocket => Codec::Raw(RawCodec::new(p.max_in)),
        },
        serializer: p.serializer.clone(),
        max_out: p.max_out,
        inbox: Inbox::new(leftover),
        wbuf: BytesMut::new(),
        scratch: Vec::new(),
        batch: Vec::new(),
        congested: Vec::new(),
        closing: false,
        awaiting_pong: false,
        pong_arrived: false,
        decoded: 0,
        last_frame: tokio::time::Instant::now(),
    };
    tracing::debug!(
        conn = id,
        serializer = p.serializer.name(),
        "connection open"
    );
    let (mut rd, mut wr) = tokio::io::split(stream);
    let ping = p.auto_ping.filter(|_| p.kind == TransportKind::WebSocket);
    let far = tokio::time::Instant::now() + std::time::Duration::from_secs(86400 * 365);
    let ping_timer = tokio::time::sleep_until(match ping {
        Some(a) => tokio::time::Instant::now() + a.interval,
        None => far,
    });
    tokio::pin!(ping_timer);
    // The deadline of a frame begun: armed when a read leaves a partial frame, pushed back
    // lazily (on expiry) to one frame timeout after the last complete frame.
    let frame_timer = tokio::time::sleep_until(far);
    tokio::pin!(frame_timer);
    let mut frame_armed = false;
    let mut need_flush = false;
    let mut eof = false;
    // While set, this connection's input filled other connections' queues: it is not read
    // until they drained.
    let mut throttle: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> =
        None;

    // Made once: polling a new one on every pass costs about 5% of a routed call.
    let killed = kill.notified();
    tokio::pin!(killed);

    // Frames that came with the handshake.
    let mut end = c.decode_all(&hub);
    while end.is_none() {
        if throttle.is_none() && !c.congested.is_empty() {
            let congested = std::mem::take(&mut c.congested);
            throttle = Some(Box::pin(hub.clone().wait_for_space(congested)));
        }
        if c.closing && c.wbuf.is_empty() && !need_flush {
            end = Some(End::Graceful);
            break;
        }
        let writing = !c.wbuf.is_empty() || need_flush;
        tokio::select! {
            biased;
            () = &mut killed => {
                end = Some(End::Abrupt("closed by the router".into()));
            }
            r = async {
                if !c.wbuf.is_empty() {
                    wr.write_buf(&mut c.wbuf).await.map(|_| false)
                } else {
                    wr.flush().await.map(|()| true)
                }
            }, if writing => match r {
                Ok(flushed) => {
                    if flushed {
                        need_flush = false;
                    } else if c.wbuf.is_empty() {
                        need_flush = p.flush;
                        if c.wbuf.capacity() > WRITE_KEEP {
                            c.wbuf = BytesMut::new();
                        }
                    }
                }
                Err(e) => end = Some(End::Abrupt(format!("write failed: {e}"))),
            },
            out = rx.recv(), if !c.closing && c.wbuf.len() < WRITE_HIGH => {
                match out {
                    Some(out) => {
                        c.push(out);
                        while !c.closing && c.wbuf.len() < WRITE_HIGH {
                            match rx.try_recv() {
                                Ok(out) => c.push(out),
                                Err(TryRecvError::Empty) => break,
                                Err(TryRecvError::Disconnected) => break,
                            }
                        }
                        if has_space(rx.len(), rx.max_capacity()) {
                            space.notify_waiters();
                        }
                    }
                    // The core forgot this connection without a close (slow consumer).
                    None => end = Some(End::Abrupt("dropped by the router".into())),
                }
            }
            r = async {
                let (buf, max) = c.inbox.read_target();
                let mut target = buf.limit(max);
                let n = rd.read_buf(&mut target).await?;
                Ok::<usize, std::io::Error>(n)
            }, if !eof && !c.closing && throttle.is_none() => match r {
                Ok(0) => {
                    eof = true;
                    end = Some(if c.inbox.holds_partial_frame() {
                        End::Abrupt("the peer closed the connection in the middle of a frame".into())
                    } else {
                        End::Abrupt("the peer closed the connection".into())
                    });
                }
                Ok(n) => {
                    c.inbox.filled(n);
                    end = c.decode_all(&hub);
                    let now = tokio::time::Instant::now();
                    if c.decoded > 0 {
                        c.decoded = 0;
                        c.last_frame = now;
                    }
                    if c.in_frame() {
                        if !frame_armed {
                            frame_armed = true;
                            c.last_frame = now;
                            frame_timer.as_mut().reset(now + p.frame_timeout);
                        }
                    } else {
                        frame_armed = false;
                    }
                }
                Err(e) => end = Some(End::Abrupt(format!("read failed: {e}"))),
            },
            () = async {
                if let Some(t) = throttle.as_mut() {
                    t.await
                }
            }, if throttle.is_some() => {
                throttle = None;
                end = c.decode_all(&hub);
            }
            _ = &mut frame_timer, if frame_armed => {
                let due = c.last_frame + p.frame_timeout;
                if due > tokio::time::Instant::now() {
                    frame_timer.as_mut().reset(due);
                } else {
                    end = Some(End::Abrupt(format!(
                        "a frame was begun and not finished within {:?}", p.frame_timeout
                    )));
                }
            }
            _ = &mut ping_timer, if ping.is_some() => {
                if let Some(a) = ping {
                    if c.awaiting_pong {
                        end = Some(End::Abrupt(format!(
                            "no pong within {:?} of a ping", a.timeout
                        )));
                    } else {
                        if let Codec::Ws(ws) = &mut c.codec {
                            ws.encode_ping(&mut c.wbuf, b"wamp-router", None);
                        }
                        c.awaiting_pong = true;
                        ping_timer.as_mut().reset(tokio::time::Instant::now() + a.timeout);
                    }
                }
            }
        }
        if c.pong_arrived {
            c.pong_arrived = false;
            if let Some(a) = ping {
                // the next ping one interval from now
                ping_timer
                    .as_mut()
                    .reset(tokio::time::Instant::now() + a.interval);
            }
        }
    }
    match end {
        Some(End::Abrupt(reason)) => {
            tracing::debug!(conn = id, reason = %reason, "connection closed");
        }
        _ => {
            // Write what is queued (the close frame last), within a deadline.
            let flushed = tokio::time::timeout(CLOSE_TIMEOUT, async {
                wr.write_all_buf(&mut c.wbuf).await?;
                wr.flush().await?;
                wr.shutdown().await
            })
            .await;
            tracing::debug!(
                conn = id,
                clean = matches!(flushed, Ok(Ok(()))),
                "connection closed"
            );
        }
    }
    hub.closed(id);
}

/// The state of one connection task.
struct Conn {
    id: u64,
    codec: Codec,
    serializer: Arc<dyn Serializer>,
    max_out: usize,
    inbox: Inbox,
    wbuf: BytesMut,
    /// A message is serialized here, then framed into the write buffer.
    scratch: Vec<u8>,
    batch: Vec<Message>,
    /// The connections whose queues the last feed filled past half.
    congested: Vec<Congested>,
    /// Closing: nothing more is read or taken from the queue; what is queued is written.
    closing: bool,
    /// A ping of ours is unanswered.
    awaiting_pong: bool,
    /// Its pong came (the ping timer restarts).
    pong_arrived: bool,
    /// Frames decoded since the last look (for the frame deadline).
    decoded: usize,
    /// When the last frame was complete.
    last_frame: tokio::time::Instant,
}

impl Conn {
    /// Frames what the core sent.
    fn push(&mut self, out: Out) {
        match out {
            Out::Msg(msg) => self.send(&msg),
            Out::Close => self.close(websocket::CLOSE_NORMAL),
        }
    }

    /// Serializes and frames one message. One the peer cannot take (too large, or that does
    /// not serialize) is dropped with a log line (the connection stays).
    fn send(&mut self, msg: &Message) {
        self.scratch.clear();
        if let Err(e) = self.serializer.encode(msg, &mut self.scratch) {
            tracing::warn!(conn = self.id, error = %e, "a message could not be serialized and was dropped");
            return;
        }
        if self.scratch.len() > self.max_out {
            tracing::warn!(
                conn = self.id,
                size = self.scratch.len(),
                limit = self.max_out,
                "a message larger than the peer accepts was dropped"
            );
            return;
        }
        match &mut self.codec {
            Codec::Raw(raw) => raw.encode_message(&mut self.wbuf, &self.scratch),
            Codec::Ws(ws) => {
                if let Err(e) = ws.encode_message(&mut self.wbuf, &self.scratch, None) {
                    tracing::warn!(conn = self.id, error = %e, "a message was dropped");
                }
            }
        }
        if self.scratch.capacity() > WRITE_KEEP {
            self.scratch = Vec::new();
        }
    }

    /// Starts closing: a WebSocket close frame with `code` goes last.
    fn close(&mut self, code: u16) {
        if self.closing {
            return;
        }
        self.closing = true;
        if let Codec::Ws(ws) = &mut self.codec {
            ws.encode_close(&mut self.wbuf, Some(code), None);
        }
    }

    /// Whether part of a frame (or of a fragmented message) is held.
    fn in_frame(&self) -> bool {
        self.inbox.holds_partial_frame() || matches!(&self.codec, Codec::Ws(ws) if ws.in_message())
    }

    /// Decodes and feeds to the core what the inbox holds, [`FEED`] messages at a time, until
    /// a feed congests a queue (the rest waits in the inbox).
    fn decode_all(&mut self, hub: &Arc<Hub>) -> Option<End> {
        let mut end = None;
        while !self.closing && self.congested.is_empty() {
            if self.batch.len() >= FEED {
                self.congested = hub.receive(self.id, &mut self.batch);
                continue;
            }
            let decoded = match &mut self.codec {
                Codec::Raw(raw) => raw.decode(&mut self.inbox),
                Codec::Ws(ws) => ws.decode(&mut self.inbox),
            };
            if matches!(decoded, Ok(Some(_))) {
                self.decoded += 1;
            }
            match decoded {
                Ok(None) => break,
                Ok(Some(Decoded::Message(bytes))) => match self.serializer.decode(&bytes) {
                    Ok(msg) => self.batch.push(msg),
                    Err(e) => {
                        tracing::debug!(conn = self.id, error = %e, "undecodable message: protocol violation");
                        let abort = Message::Abort {
                            details: Dict::from([(
                                "message",
                                Value::from(format!("invalid message: {e}")),
                            )]),
                            reason: wamp_core::uri::error_uri::PROTOCOL_VIOLATION.into(),
                        };
                        self.send(&abort);
                        self.close(websocket::CLOSE_PROTOCOL_ERROR);
                    }
                },
                Ok(Some(Decoded::Ping(payload))) => {
                    // Answered at once while the write backlog is small.
                    if self.wbuf.len() < WRITE_HIGH {
                        match &mut self.codec {
                            Codec::Raw(raw) => raw.encode_pong(&mut self.wbuf, &payload),
                            Codec::Ws(ws) => ws.encode_pong(&mut self.wbuf, &payload, None),
                        }
                    }
                }
                Ok(Some(Decoded::Pong(_))) => {
                    if self.awaiting_pong {
                        self.awaiting_pong = false;
                        self.pong_arrived = true;
                    }
                }
                Ok(Some(Decoded::Close(_))) => {
                    self.inbox.clear();
                    self.close(websocket::CLOSE_NORMAL);
                }
                Err(FrameError::TooLarge { size, limit }) => {
                    tracing::debug!(conn = self.id, size, limit, "message too large");
                    self.close(websocket::CLOSE_TOO_BIG);
                    end = Some(End::Graceful);
                }
                Err(e) => {
                    tracing::debug!(conn = self.id, error = %e, "framing violation");
                    self.close(websocket::CLOSE_PROTOCOL_ERROR);
                    end = Some(End::Graceful);
                }
            }
        }
        if !self.batch.is_empty() {
            self.congested = hub.receive(self.id, &mut self.batch);
        }
        end
    }
}
