//! Minimal blocking WAMP peers for the router benchmark: RawSocket over TCP with no runtime
//! and no session logic (a message is encoded, framed and written; a frame is read and
//! decoded), so that what is measured is the router; and a frame counter that follows many
//! subscribers' sockets from one thread without decoding anything.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wamp_core::framing::rawsocket::{
    encode_header, parse_header, Header, MAX_LEN, TYPE_MESSAGE, TYPE_PING, TYPE_PONG,
};
use wamp_core::message::Message;
use wamp_core::serializer::{self, Serializer};
use wamp_core::{Dict, Value};

/// How long a blocking read waits before it fails.
const READ_TIMEOUT: Duration = Duration::from_secs(15);

fn protocol(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// A blocking RawSocket connection carrying WAMP messages.
pub struct Wire {
    sock: TcpStream,
    serializer: Arc<dyn Serializer>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    out: Vec<u8>,
    encoded: Vec<u8>,
    request: u64,
    /// The session id WELCOME gave (0 before).
    pub session: u64,
}

impl Wire {
    /// A connection to `addr` (`HOST:PORT`) with the RawSocket handshake done.
    pub fn connect(addr: &str, ser: &str) -> io::Result<Wire> {
        let serializer =
            serializer::by_name(ser).ok_or_else(|| protocol(format!("no serializer {ser}")))?;
        let sock = TcpStream::connect(addr)?;
        let mut wire = Wire::raw(sock, serializer)?;
        wire.sock
            .write_all(&[0x7f, 0xf0 | wire.serializer.rawsocket_id(), 0, 0])?;
        let mut reply = [0u8; 4];
        wire.sock.read_exact(&mut reply)?;
        if reply[0] != 0x7f || reply[1] & 0x0f == 0 {
            return Err(protocol(format!("rawsocket handshake refused: {reply:?}")));
        }
        Ok(wire)
    }

    /// A connection with no handshake (to the relay, which knows no WAMP).
    pub fn raw(sock: TcpStream, serializer: Arc<dyn Serializer>) -> io::Result<Wire> {
        sock.set_nodelay(true)?;
        sock.set_read_timeout(Some(READ_TIMEOUT))?;
        Ok(Wire {
            sock,
            serializer,
            buf: vec![0; 4096],
            start: 0,
            end: 0,
            out: Vec::new(),
            encoded: Vec::new(),
            request: 0,
            session: 0,
        })
    }

    /// Connects and joins `realm` anonymously.
    pub fn join(addr: &str, ser: &str, realm: &str) -> io::Result<Wire> {
        let mut wire = Wire::connect(addr, ser)?;
        let mut details = Dict::new();
        details.insert(
            "roles".into(),
            Value::Dict(wamp_core::session::default_roles()),
        );
        wire.send(&Message::Hello {
            realm: realm.into(),
            details,
        })?;
        match wire.recv()? {
            Message::Welcome { session, .. } => {
                wire.session = session;
                Ok(wire)
            }
            other => Err(protocol(format!("not welcomed: {other:?}"))),
        }
    }

    /// The next request id.
    pub fn next_request(&mut self) -> u64 {
        self.request += 1;
        self.request
    }

    /// Encodes and frames `msg` into the output buffer.
    pub fn queue(&mut self, msg: &Message) -> io::Result<()> {
        self.encoded.clear();
        self.serializer
            .encode(msg, &mut self.encoded)
            .map_err(|e| protocol(format!("encode: {e}")))?;
        self.out
            .extend_from_slice(&encode_header(TYPE_MESSAGE, self.encoded.len()));
        self.out.extend_from_slice(&self.encoded);
        Ok(())
    }

    /// Writes what is queued.
    pub fn flush(&mut self) -> io::Result<()> {
        self.sock.write_all(&self.out)?;
        self.out.clear();
        Ok(())
    }

    /// Queues and writes `msg`.
    pub fn send(&mut self, msg: &Message) -> io::Result<()> {
        self.queue(msg)?;
        self.flush()
    }

    /// Makes `need` bytes from `start` readable in the buffer.
    fn fill(&mut self, need: usize) -> io::Result<()> {
        if self.end - self.start >= need {
            return Ok(());
        }
        if self.buf.len() - self.start < need {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buf.len() < need {
                self.buf.resize(need, 0);
            }
        }
        while self.end - self.start < need {
            let n = self.sock.read(&mut self.buf[self.end..])?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.end += n;
        }
        Ok(())
    }

    /// Reads the next message (answering RawSocket pings on the way).
    pub fn recv(&mut self) -> io::Result<Message> {
        for _ in 0..1000 {
            self.fill(4)?;
            let h = &self.buf[self.start..self.start + 4];
            let Header { kind, len } = parse_header([h[0], h[1], h[2], h[3]], MAX_LEN)
                .map_err(|e| protocol(format!("frame: {e}")))?;
            self.fill(4 + len)?;
            let body = self.start + 4..self.start + 4 + len;
            self.start += 4 + len;
            match kind {
                TYPE_MESSAGE => {
                    let msg = self
                        .serializer
                        .decode(&self.buf[body])
                        .map_err(|e| protocol(format!("decode: {e}")));
                    if self.start == self.end {
                        (self.start, self.end) = (0, 0);
                    }
                    return msg;
                }
                TYPE_PING => {
                    let payload = self.buf[body].to_vec();
                    self.out
                        .extend_from_slice(&encode_header(TYPE_PONG, payload.len()));
                    self.out.extend_from_slice(&payload);
                    self.flush()?;
                }
                _ => {}
            }
        }
        Err(protocol("1000 frames that were no message"))
    }

    /// Whether bytes already read wait in the buffer (a peer that answers in batches flushes
    /// when none do).
    pub fn buffered(&self) -> bool {
        self.end > self.start
    }

    /// Calls `procedure` with `args` and waits for its RESULT (an ERROR is an error).
    pub fn call(&mut self, procedure: &str, args: Vec<Value>) -> io::Result<Vec<Value>> {
        let request = self.next_request();
        self.send(&Message::Call {
            request,
            options: Dict::new(),
            procedure: procedure.into(),
            args,
            kwargs: Dict::new(),
        })?;
        for _ in 0..1000 {
            match self.recv()? {
                Message::Result {
                    request: r, args, ..
                } if r == request => return Ok(args),
                Message::Error { error, .. } => {
                    return Err(protocol(format!("{procedure}: {error}")))
                }
                _ => {}
            }
        }
        Err(protocol(format!("{procedure}: no result")))
    }

    /// Subscribes to `topic` and waits for SUBSCRIBED.
    pub fn subscribe(&mut self, topic: &str) -> io::Result<()> {
        let request = self.next_request();
        self.send(&Message::Subscribe {
            request,
            options: Dict::new(),
            topic: topic.into(),
        })?;
        match self.recv()? {
            Message::Subscribed { .. } => Ok(()),
            other => Err(protocol(format!("not subscribed: {other:?}"))),
        }
    }

    /// Registers `procedure` and waits for REGISTERED.
    pub fn register(&mut self, procedure: &str) -> io::Result<()> {
        let request = self.next_request();
        self.send(&Message::Register {
            request,
            options: Dict::new(),
            procedure: procedure.into(),
        })?;
        match self.recv()? {
            Message::Registered { .. } => Ok(()),
            other => Err(protocol(format!("not registered: {other:?}"))),
        }
    }

    /// The socket, its buffers given back (nothing must be left unread).
    pub fn into_stream(self) -> TcpStream {
        self.sock
    }

    /// Another handle on the socket (to shut it down from another thread).
    pub fn try_clone_stream(&self) -> io::Result<TcpStream> {
        self.sock.try_clone()
    }
}

/// What [`count_frames`] saw.
pub struct Counted {
    /// Message frames per socket, in the order given.
    pub counts: Vec<u64>,
    /// When the last one arrived.
    pub last: Option<Instant>,
    /// Sockets the router closed.
    pub closed: usize,
}

/// Counts the message frames arriving on `streams` (subscribers after their SUBSCRIBED:
/// every frame is an EVENT) from this thread with epoll (mio), decoding nothing, until each
/// has `expected` or, once `done` is set, nothing came for `idle`, or `limit` passed.
/// `progress` holds the total counted so far (for a publisher that keeps a window).
pub fn count_frames(
    streams: Vec<TcpStream>,
    expected: u64,
    done: &AtomicBool,
    progress_total: &AtomicU64,
    idle: Duration,
    limit: Duration,
) -> io::Result<Counted> {
    struct Follow {
        sock: mio::net::TcpStream,
        header: [u8; 4],
        have: usize,
        left: usize,
        kind: u8,
        count: u64,
        closed: bool,
    }
    let mut poll = mio::Poll::new()?;
    let mut follows = Vec::with_capacity(streams.len());
    for (i, s) in streams.into_iter().enumerate() {
        s.set_nonblocking(true)?;
        let mut sock = mio::net::TcpStream::from_std(s);
        poll.registry()
            .register(&mut sock, mio::Token(i), mio::Interest::READABLE)?;
        follows.push(Follow {
            sock,
            header: [0; 4],
            have: 0,
            left: 0,
            kind: 0,
            count: 0,
            closed: false,
        });
    }
    let total_expected = expected * follows.len() as u64;
    let mut total = 0u64;
    let mut events = mio::Events::with_capacity(1024);
    let mut buf = vec![0u8; 256 * 1024];
    let started = Instant::now();
    let mut last = None;
    let mut progress = Instant::now();
    while total < total_expected && started.elapsed() < limit {
        if done.load(Ordering::Acquire) && progress.elapsed() > idle {
            break;
        }
        poll.poll(&mut events, Some(Duration::from_millis(50)))?;
        for event in events.iter() {
            let f = &mut follows[event.token().0];
            // Edge-triggered: read until the socket is drained.
            loop {
                let n = match f.sock.read(&mut buf) {
                    Ok(0) => {
                        f.closed = true;
                        break;
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => {
                        f.closed = true;
                        break;
                    }
                };
                let before = f.count;
                let mut i = 0;
                while i < n {
                    if f.left > 0 {
                        let take = f.left.min(n - i);
                        f.left -= take;
                        i += take;
                        if f.left == 0 && f.kind == 0 {
                            f.count += 1;
                        }
                        continue;
                    }
                    f.header[f.have] = buf[i];
                    f.have += 1;
                    i += 1;
                    if f.have == 4 {
                        f.have = 0;
                        f.kind = f.header[0] & 0x07;
                        f.left =
                            u32::from_be_bytes([0, f.header[1], f.header[2], f.header[3]]) as usize;
                        if f.left == 0 && f.kind == 0 {
                            f.count += 1;
                        }
                    }
                }
                if f.count > before {
                    total += f.count - before;
                    progress_total.store(total, Ordering::Release);
                    let now = Instant::now();
                    last = Some(now);
                    progress = now;
                }
            }
        }
    }
    Ok(Counted {
        closed: follows.iter().filter(|f| f.closed).count(),
        counts: follows.iter().map(|f| f.count).collect(),
        last,
    })
}
