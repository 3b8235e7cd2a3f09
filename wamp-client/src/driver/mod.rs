//! The one task that owns the protocol state and the transport.
//!
//! The driver selects over the transport (reading, and writing what is queued: a write never
//! blocks the loop), the commands of the [`Session`](crate::Session) handles, the answers of
//! running invocations and one timer. After each wake it feeds the core, delivers every event
//! to its waiter, and frames every queued message into the transport's write buffer, which
//! the next turn writes out at once: writes are batched per wake. User code never runs here.
//!
//! Time is the core's: join, leave, liveness, call and invocation deadlines come out of
//! [`ClientSession::poll_timeout`]; the driver adds only the transport's own two (a router
//! that takes no bytes for the write timeout, a frame that gets no bytes for the read
//! timeout), and arms one timer for the earliest.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::sync::{broadcast, oneshot, watch};
use tokio::task::Unconstrained;
use tokio::time::Sleep;
use wamp_core::message::{Message, RequestType};
use wamp_core::serializer::Serializer;
use wamp_core::session::{
    ClientSession, CloseDetails, CloseInitiator, HelloConfig, Liveness, Phase, Probe,
    SessionConfig, SessionDetails, SessionEvent,
};
use wamp_core::uri::{close_uri, error_uri};
use wamp_core::{ProtocolError, WampError};

use crate::error::{JoinError, SessionError};
use crate::intercept::Direction;
use crate::link::{AckSender, CallWaiter, Command, DropCounter, SessionShared};
use crate::options::JoinOptions;
use crate::queue;
use crate::revocation::{Revocation, RevocationKind};
use crate::transport::{Connection, Frame, TransportError, TransportKind};

pub(crate) mod auth;
mod intercept;
mod invocations;
mod requests;
mod routes;

use auth::{JoinAuth, JoinOutcome};
use intercept::{Outcome, Pipeline, Refusal, Role};
pub(crate) use invocations::limit_concurrency;
use invocations::Invocations;
use routes::Routes;

/// How many commands the handles may queue before `send` waits.
const COMMAND_QUEUE: usize = 4096;
/// Commands and invocations' answers are not taken while this much is waiting to be written
/// (the router reads too slowly): the handles then wait once the command queue is full, and
/// the handlers once theirs is.
const WRITE_HIGH_WATER: usize = 1 << 20;
/// The encoding buffer's first capacity, and the largest it keeps between messages.
const SCRATCH_START: usize = 4096;
const SCRATCH_KEEP: usize = 1 << 20;
/// How long closing the transport may take once the session is over.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
/// How many revocations a slow reader of `Session::revocations` may fall behind by.
const REVOCATION_BACKLOG: usize = 64;
/// Reading pauses while this many refused invocations wait for their answer to be written.
const REFUSED_BACKLOG: usize = 1024;

/// Joins over `connection` as `options` say (in the caller's task), then starts the driver
/// task that serves the session.
pub(crate) async fn join(
    connection: Connection,
    options: &JoinOptions,
) -> Result<Arc<SessionShared>, JoinError> {
    let offer = options.offer().map_err(|reason| {
        JoinError::Connect(crate::transport::ConnectError::Config(
            crate::transport::ConfigError::InvalidSetting {
                field: "authentication",
                reason,
            },
        ))
    })?;
    let mut hello = HelloConfig::new(options.realm.clone());
    hello.authid = offer.authid;
    hello.authrole = offer.authrole;
    hello.authmethods = offer.authmethods;
    hello.authextra = offer.authextra;
    let liveness = connection.keepalive.map(|k| Liveness {
        interval: k.interval,
        timeout: k.timeout,
        probe: match connection.kind {
            TransportKind::WebSocket => Probe::Ping,
            TransportKind::RawSocket => Probe::Call,
        },
    });
    let config = SessionConfig::default()
        .join_timeout(options.timeout)
        .liveness(liveness);
    let auth = JoinAuth::new(offer.authenticator, &hello.authmethods);
    let (commands_tx, commands) = queue::queue(COMMAND_QUEUE);
    let (closed, closed_rx) = watch::channel(None);
    let serializer = connection.serializer.clone();
    let now = tokio::time::Instant::now();
    let mut driver = Driver {
        core: ClientSession::new(hello, config),
        conn: connection,
        serializer,
        scratch: Vec::with_capacity(SCRATCH_START),
        commands,
        batch: VecDeque::new(),
        commands_open: true,
        routes: Routes::default(),
        invocations: Invocations::new(options.max_invocations, options.invocation_queue),
        gate: Arc::new(queue::Gate::default()),
        paused: false,
        auth,
        joining: true,
        joined: None,
        closed,
        leave_waiters: Vec::new(),
        reading: true,
        transport_ok: true,
        timer: Box::pin(tokio::task::unconstrained(tokio::time::sleep_until(now))),
        timer_at: None,
        timer_unpolled: false,
        yielding: None,
        write_since: None,
        read_at: now.into_std(),
        unsent_publications: DropCounter::default(),
        session: Weak::new(),
        revocations: broadcast::channel(REVOCATION_BACKLOG).0,
        outgoing: Pipeline::new(options.interceptors.clone(), Direction::Outgoing),
        incoming: Pipeline::new(options.interceptors.clone(), Direction::Incoming),
    };
    let span = tracing::info_span!("wamp_session", realm = %options.realm);
    let outcome = tracing::Instrument::instrument(driver.join_phase(), span.clone()).await;
    driver.joining = false;
    driver.auth.forget();
    match outcome {
        Ok(details) => {
            let shared = Arc::new(SessionShared {
                commands: commands_tx,
                details,
                closed: closed_rx,
                call_timeout: options.call_timeout,
                keys: AtomicU64::new(0),
                revocations: driver.revocations.clone(),
                gate: driver.gate.clone(),
            });
            driver.session = Arc::downgrade(&shared);
            tokio::spawn(tracing::Instrument::instrument(driver.run(), span));
            Ok(shared)
        }
        Err(e) => {
            // Nobody will hold a handle: the driver finishes the session (a GOODBYE after a
            // refused WELCOME, an ABORT) and closes the transport on its own.
            drop(commands_tx);
            tokio::spawn(tracing::Instrument::instrument(driver.run(), span));
            Err(e)
        }
    }
}

fn join_error(outcome: JoinOutcome, join_timeout: std::time::Duration) -> JoinError {
    match outcome {
        JoinOutcome::Authentication {
            method,
            reason,
            message,
        } => JoinError::Authentication {
            method,
            reason,
            message,
        },
        JoinOutcome::Refused(details) => JoinError::Refused(details),
        JoinOutcome::Timeout => JoinError::Timeout(join_timeout),
        JoinOutcome::Lost(details) => JoinError::Session(SessionError::Lost(details)),
    }
}

pub(crate) struct Driver {
    core: ClientSession<CallWaiter, AckSender>,
    conn: Connection,
    serializer: Arc<dyn Serializer>,
    scratch: Vec<u8>,
    commands: queue::Receiver<Command>,
    /// The commands taken from the queue in one go, handled in order.
    batch: VecDeque<Command>,
    /// False once every session handle is gone (the command queue is closed).
    commands_open: bool,
    routes: Routes,
    invocations: Invocations,
    auth: JoinAuth,
    /// Whether the join is under way (in the joiner's task).
    joining: bool,
    /// How the join ended, once it has.
    joined: Option<Result<SessionDetails, JoinError>>,
    closed: watch::Sender<Option<CloseDetails>>,
    leave_waiters: Vec<oneshot::Sender<Result<CloseDetails, SessionError>>>,
    /// False once the stream has ended or failed.
    reading: bool,
    /// False once the transport has failed: nothing more is written, the close is skipped.
    transport_ok: bool,
    timer: Pin<Box<Unconstrained<Sleep>>>,
    timer_at: Option<Instant>,
    /// The timer was armed and not polled since: its wake-up is not registered yet.
    timer_unpolled: bool,
    /// A batch of commands waits for one yield of this task (see `poll_commands`).
    yielding: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// Since when bytes have waited for the router to take them.
    write_since: Option<Instant>,
    /// When bytes last arrived.
    read_at: Instant,
    /// Publications without acknowledgement that could not be sent (too large, not encodable).
    unsent_publications: DropCounter,
    /// The session's handles, for the invocations it starts (set when it has joined).
    session: Weak<SessionShared>,
    /// Where the registrations and subscriptions the router revokes are told.
    revocations: broadcast::Sender<Revocation>,
    /// Closed while a queue with the `Pause` overflow policy is full.
    gate: Arc<queue::Gate>,
    /// Whether reading is paused (see [`Driver::must_pause`]).
    paused: bool,
    /// The interceptors' run over what is sent: while a hook decides later, the core's
    /// next messages wait in the core, and no command is taken.
    outgoing: Pipeline,
    /// The interceptors' run over what is received: while a hook decides later, nothing more
    /// is read.
    incoming: Pipeline,
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// The earlier of two deadlines, either of which may be absent.
#[inline]
fn earlier(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

impl Driver {
    /// Runs the join: HELLO, the challenges, until WELCOME or the end of the session.
    async fn join_phase(&mut self) -> Result<SessionDetails, JoinError> {
        self.core.hello(now());
        loop {
            self.pump();
            if let Some(joined) = self.joined.take() {
                return joined;
            }
            self.step(false).await;
        }
    }

    /// Serves the session until it is over, then closes the transport.
    async fn run(mut self) {
        // The join ran in the joiner's task: the timer's wake-up is registered with that task,
        // not this one.
        self.timer_unpolled = true;
        loop {
            self.pump();
            if self.core.phase() == Phase::Closed {
                break;
            }
            self.step(true).await;
        }
        self.shutdown().await;
    }

    /// Waits for the next thing to happen and handles everything that is ready: one poll over
    /// every source (the transport, the invocations' answers, the commands, the timer), so a
    /// wake costs one pass, not a round of futures built and dropped.
    async fn step(&mut self, take_commands: bool) {
        let deadline = self.deadline();
        self.arm(deadline);
        poll_fn(|cx| self.poll_step(cx, take_commands)).await;
    }

    fn poll_step(&mut self, cx: &mut Context<'_>, take_commands: bool) -> Poll<()> {
        let mut progress = false;
        if self.outgoing.busy() || self.incoming.busy() {
            progress = self.poll_interceptors(cx);
        }
        // Answers come only from running invocations: with none, the channel is left alone.
        // Like commands, they wait while the router is slow to take what we write (a
        // handler's progressive results must not pile up in the write buffer).
        while self.conn.unsent() < WRITE_HIGH_WATER && !self.outgoing.busy() {
            let Some(y) = self.invocations.take_refused() else {
                break;
            };
            self.on_yield(y);
            progress = true;
        }
        while self.invocations.any_running()
            && self.conn.unsent() < WRITE_HIGH_WATER
            && !self.outgoing.busy()
        {
            match self.invocations.rx.poll_recv(cx) {
                Poll::Ready(Some(y)) => {
                    self.on_yield(y);
                    progress = true;
                }
                _ => break,
            }
        }
        if self.joining {
            if let Poll::Ready(answer) = self.auth.poll_answer(cx) {
                self.on_answer(answer);
                progress = true;
            }
        }
        if self.poll_commands(cx, take_commands) {
            // What the commands queued goes out in this pass, not in one more.
            self.pump();
            progress = true;
        }
        let was_paused = self.paused;
        self.paused = self.must_pause(cx);
        if was_paused && !self.paused && self.reading {
            // Room again: the messages read while paused come first. They may fill a queue
            // again (`read_frames` then pauses): nothing more is read until it has room, and
            // the driver is woken when it has.
            self.read_frames(now());
            progress = true;
            if self.paused {
                self.paused = self.must_pause(cx);
            }
        }
        if self.transport_ok {
            let read = self.reading && !self.paused && !self.incoming.busy();
            if let Poll::Ready(t) = self.conn.poll_transfer(cx, read) {
                self.on_transfer(t);
                progress = true;
            }
        }
        if let Some(at) = self.timer_at {
            // Polled once per arming to register the wake-up; after that, looking at the clock
            // is enough (an early wake is harmless).
            let fired = if self.timer_unpolled {
                self.timer_unpolled = false;
                self.timer.as_mut().poll(cx).is_ready()
            } else {
                now() >= at
            };
            if fired {
                self.on_timer();
                progress = true;
            }
        }
        if progress {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// A message whose interceptor decided later: once decided, the ones behind it follow.
    /// Out of line: with no interceptor deciding, a step does not pay for it.
    #[inline(never)]
    fn poll_interceptors(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        if self.outgoing.busy() {
            if let Poll::Ready(outcome) = self.outgoing.poll(cx) {
                self.apply_outgoing(outcome);
                self.pump();
                progress = true;
            }
        }
        if self.incoming.busy() {
            if let Poll::Ready(outcome) = self.incoming.poll(cx) {
                let now = now();
                self.apply_incoming(now, outcome);
                self.read_frames(now);
                progress = true;
            }
        }
        progress
    }

    /// Takes and handles the commands queued, if they may be taken now. When other requests
    /// are in flight (or several commands came at once), more commands are likely on their
    /// way from tasks that are ready to run: the batch waits for one yield of this task, so
    /// that theirs join it and go out with one write. A lone request (sequential calls) does
    /// not wait.
    fn poll_commands(&mut self, cx: &mut Context<'_>, take_commands: bool) -> bool {
        if let Some(yielding) = self.yielding.as_mut() {
            if yielding.as_mut().poll(cx).is_pending() {
                return false;
            }
            self.yielding = None;
            self.commands.take_more(&mut self.batch);
            self.run_batch();
            return true;
        }
        if !(take_commands
            && self.commands_open
            && self.conn.unsent() < WRITE_HIGH_WATER
            && !self.outgoing.busy())
        {
            return false;
        }
        match self.commands.poll_recv_all(cx, &mut self.batch) {
            Poll::Ready(true) => {
                if self.core.pending_requests() > 0 || self.batch.len() > 1 {
                    let mut yielding: Pin<Box<dyn Future<Output = ()> + Send>> =
                        Box::pin(tokio::task::yield_now());
                    if yielding.as_mut().poll(cx).is_pending() {
                        self.yielding = Some(yielding);
                        return false;
                    }
                    self.commands.take_more(&mut self.batch);
                }
                self.run_batch();
                true
            }
            Poll::Ready(false) => {
                self.on_all_handles_dropped();
                true
            }
            Poll::Pending => false,
        }
    }

    /// Whether reading must pause: a queue with the `Pause` overflow policy is full (the
    /// driver is woken once it has room), or too many refused invocations wait for their
    /// answer to be written.
    fn must_pause(&self, cx: &mut Context<'_>) -> bool {
        self.invocations.refused_backlog() >= REFUSED_BACKLOG || self.gate.poll_closed(cx)
    }

    fn run_batch(&mut self) {
        let now = now();
        while let Some(cmd) = self.batch.pop_front() {
            self.on_command(now, cmd);
        }
    }

    /// The earliest deadline: the core's, the write stall's, the frame in progress's.
    fn deadline(&mut self) -> Option<Instant> {
        let write = self
            .write_since
            .filter(|_| self.transport_ok && self.conn.wants_write())
            .map(|t| t + self.conn.write_timeout);
        let read = self
            .waiting_for_frame()
            .then(|| self.read_at + self.conn.read_timeout);
        let mut earliest = earlier(self.core.poll_timeout(), earlier(write, read));
        if self.outgoing.busy() || self.incoming.busy() {
            earliest = earlier(
                earliest,
                earlier(self.outgoing.deadline(), self.incoming.deadline()),
            );
        }
        earliest
    }

    /// Whether a frame is under way from the router: reading, and bytes of a frame buffered.
    /// Not while reading waits (a full queue, an interceptor deciding): complete frames wait
    /// in the buffer then, which is not the router's delay.
    fn waiting_for_frame(&self) -> bool {
        self.reading && !self.paused && !self.incoming.busy() && self.conn.in_frame()
    }

    /// Arms the one timer for `deadline`. A timer armed for an earlier instant is kept: it
    /// fires early, finds nothing due and is armed again (deadlines mostly move later, e.g.
    /// the liveness deadline with every message, and a new timer costs more than an
    /// occasional early wake).
    fn arm(&mut self, deadline: Option<Instant>) {
        let Some(d) = deadline else { return };
        if self.timer_at.is_some_and(|armed| armed <= d) {
            return;
        }
        self.timer_at = Some(d);
        self.timer_unpolled = true;
        // Unconstrained: its one poll must register the wake-up, never be refused by the
        // task's cooperative budget.
        self.timer = Box::pin(tokio::task::unconstrained(tokio::time::sleep_until(
            tokio::time::Instant::from_std(d),
        )));
    }

    fn on_timer(&mut self) {
        let now = now();
        self.timer_at = None;
        self.core.handle_timeout(now);
        if let Some(outcome) = self.outgoing.expire(now) {
            self.apply_outgoing(outcome);
        }
        if let Some(outcome) = self.incoming.expire(now) {
            self.apply_incoming(now, outcome);
            self.read_frames(now);
        }
        if self.transport_ok
            && self.conn.wants_write()
            && self
                .write_since
                .is_some_and(|t| now >= t + self.conn.write_timeout)
        {
            let message = format!(
                "the router took no bytes for {:?} (write timeout)",
                self.conn.write_timeout
            );
            tracing::warn!("{message}; the connection is given up");
            self.transport_failed(message);
        }
        if self.waiting_for_frame() && now >= self.read_at + self.conn.read_timeout {
            let message = format!(
                "a frame in progress got no bytes for {:?} (read timeout)",
                self.conn.read_timeout
            );
            tracing::warn!("{message}; the connection is given up");
            self.transport_failed(message);
        }
    }

    /// The transport is unusable: nothing more is read or written, the session is lost.
    fn transport_failed(&mut self, message: String) {
        self.reading = false;
        self.transport_ok = false;
        self.core.handle_transport_closed(Some(message));
    }

    fn on_all_handles_dropped(&mut self) {
        self.commands_open = false;
        if self.core.phase() == Phase::Established {
            tracing::debug!("every session handle dropped; leaving");
            let _ = self.core.leave(now(), close_uri::NORMAL, None);
        } else if self.core.phase() != Phase::ShuttingDown {
            self.core
                .handle_transport_closed(Some("session dropped".into()));
        }
    }

    async fn shutdown(mut self) {
        self.invocations.abort_all();
        self.routes.clear();
        if self.transport_ok {
            // Writes out what the session's end queued (ABORT, the GOODBYE reply) and closes,
            // bounded: a router that does not read cannot hold us.
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.conn.close()).await;
        }
        // Commands still queued are answered by dropping their reply senders: the handles
        // map that to `SessionError::Lost` with the details published already.
    }

    /// What the transport did: bytes written, bytes read (decoded into messages), the end
    /// of the stream, or an error.
    fn on_transfer(&mut self, transfer: Result<crate::transport::Transfer, TransportError>) {
        match transfer {
            Ok(t) => {
                // The write deadline runs from the last progress while bytes wait.
                if !self.conn.wants_write() {
                    self.write_since = None;
                } else if t.written > 0 {
                    self.write_since = Some(now());
                }
                if t.read == 0 && !t.eof {
                    return;
                }
                let now = now();
                if t.read > 0 {
                    self.read_at = now;
                    self.core.handle_activity(now);
                    self.read_frames(now);
                }
                if t.eof && self.reading {
                    self.read_frames(now);
                    tracing::info!("transport closed by the router");
                    self.reading = false;
                    self.transport_ok = false;
                    self.core.handle_transport_closed(None);
                }
            }
            Err(e) => self.on_transport_error(e),
        }
    }

    fn on_transport_error(&mut self, e: TransportError) {
        match e {
            TransportError::TooLarge { size, limit } => {
                tracing::error!(size, limit, "oversized message from the router; aborting");
                self.reading = false;
                self.core
                    .handle_decode_error(&ProtocolError::TooLarge { size, limit });
            }
            TransportError::Protocol(reason) => {
                tracing::error!(%reason, "the router broke the transport's framing; closing");
                self.transport_failed(reason);
            }
            e => {
                tracing::info!(error = %e, "transport closed");
                self.transport_failed(e.to_string());
            }
        }
    }

    /// Handles every complete frame read so far. What a message causes is delivered before
    /// the next message is decoded: a progressive result must find its call's waiter, which
    /// the final result of a later message in the same read would remove.
    ///
    /// Stops (the rest waits in the transport's buffer) while reading must pause: a queue
    /// with the `Pause` policy is full, or too many refused invocations wait.
    fn read_frames(&mut self, now: Instant) {
        while self.reading && !self.incoming.busy() {
            if self.gate.is_closed() || self.invocations.refused_backlog() >= REFUSED_BACKLOG {
                self.paused = true;
                break;
            }
            match self.conn.next_frame() {
                Ok(Some(Frame::Message(bytes))) => match self.serializer.decode(&bytes) {
                    Ok(msg) => {
                        tracing::trace!(message = msg.name(), "received");
                        if self.incoming.is_empty() {
                            self.handle(now, msg);
                        } else {
                            self.intercept_incoming(now, msg);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "undecodable message from the router; aborting");
                        self.reading = false;
                        self.core.handle_decode_error(&e);
                    }
                },
                Ok(Some(Frame::Close)) => {
                    tracing::info!("the router closed the websocket");
                    self.reading = false;
                    self.core
                        .handle_transport_closed(Some("the router closed the websocket".into()));
                }
                Ok(Some(_)) => {} // a pong: the activity is counted already
                Ok(None) => break,
                Err(e) => self.on_transport_error(e),
            }
        }
    }

    /// Delivers every event, then frames every queued message (and a due ping) into the
    /// transport's write buffer, until the core has nothing more to say.
    fn pump(&mut self) {
        loop {
            self.deliver_events();
            if self.core.poll_ping() && self.transport_ok {
                self.conn.queue_ping(b"wamp-rs");
            }
            let mut sent = false;
            while !self.outgoing.busy() {
                let Some(msg) = self.core.poll_transmit() else {
                    break;
                };
                sent = true;
                if self.outgoing.is_empty() {
                    self.send(msg);
                } else {
                    self.intercept_outgoing(msg);
                }
            }
            if !sent {
                break;
            }
        }
        if self.write_since.is_none() && self.conn.wants_write() {
            self.write_since = Some(now());
        }
    }

    fn deliver_events(&mut self) {
        while let Some(ev) = self.core.poll_event() {
            let revocation = self.revocation(&ev);
            self.on_event(ev);
            if let Some(r) = revocation {
                // Nobody listening is fine: the handles did not ask.
                let _ = self.revocations.send(r);
            }
        }
    }

    /// A revocation for the handles, named by its procedure or topic (looked up before the
    /// routes forget it).
    fn revocation(&self, ev: &SessionEvent<CallWaiter, AckSender>) -> Option<Revocation> {
        let (kind, id, uri, details) = match ev {
            SessionEvent::RegistrationRevoked {
                registration,
                details,
            } => (
                RevocationKind::Registration,
                *registration,
                self.routes.procedure(*registration).map(|(uri, _)| uri),
                details,
            ),
            SessionEvent::SubscriptionRevoked {
                subscription,
                details,
            } => (
                RevocationKind::Subscription,
                *subscription,
                self.routes.subscription_topic(*subscription),
                details,
            ),
            _ => return None,
        };
        let Some(uri) = uri else {
            tracing::debug!(id, kind = kind.as_str(), "revocation of nothing we hold");
            return None;
        };
        Some(Revocation {
            kind,
            id,
            uri: uri.as_str().to_owned(),
            reason: details
                .get("reason")
                .and_then(wamp_core::Value::as_str)
                .map(str::to_owned),
        })
    }

    /// Hands a message received (and passed by the interceptors) to the core, and delivers
    /// what it caused.
    fn handle(&mut self, now: Instant, msg: Message) {
        if let Err(e) = self.core.handle_message(now, msg) {
            tracing::error!(error = %e, "protocol violation by the router; aborting");
            self.reading = false;
        }
        self.deliver_events();
    }

    /// Runs a message on its way out through the interceptors; out of line, so that a session
    /// without any does not pay for the room their outcome takes.
    #[inline(never)]
    fn intercept_outgoing(&mut self, msg: Message) {
        if let Some(outcome) = self.outgoing.run(msg) {
            self.apply_outgoing(outcome);
        }
    }

    /// Runs a message received through the interceptors (out of line, as above).
    #[inline(never)]
    fn intercept_incoming(&mut self, now: Instant, msg: Message) {
        if let Some(outcome) = self.incoming.run(msg) {
            self.apply_incoming(now, outcome);
        }
    }

    /// What the interceptors decided about a message on its way out (see the table of
    /// [`crate::intercept`]).
    fn apply_outgoing(&mut self, outcome: Outcome) {
        let Refusal {
            role,
            name,
            dropped,
            error,
            ..
        } = match outcome {
            Outcome::Pass(msg) => return self.send(msg),
            Outcome::Refused(refusal) => *refusal,
        };
        tracing::debug!(message = name, dropped, error = %error.uri, "an interceptor refused a message on its way out");
        match role {
            Role::Request(request) => {
                let waited = self.core.fail_request(request, error, false);
                if !waited {
                    tracing::debug!(message = name, "nobody waits for it");
                }
            }
            Role::Yield(request) if !dropped => self.core.replace_invocation_answer(request, error),
            Role::Hello if !dropped => {
                // Not sent: the join ends as if the router had refused it, with the reason.
                let mut details = wamp_core::Dict::new();
                let message = error.message().unwrap_or("refused by an interceptor");
                details.insert("message".into(), message.into());
                let abort = Message::Abort {
                    details,
                    reason: error.uri.into(),
                };
                let _ = self.core.handle_message(now(), abort);
            }
            Role::Join if !dropped => self.core.abort(&error.uri, error.message()),
            _ => {}
        }
    }

    /// What the interceptors decided about a message received (see the table of
    /// [`crate::intercept`]).
    fn apply_incoming(&mut self, now: Instant, outcome: Outcome) {
        let Refusal {
            role,
            name,
            dropped,
            error,
            original,
        } = match outcome {
            Outcome::Pass(msg) => return self.handle(now, msg),
            Outcome::Refused(refusal) => *refusal,
        };
        tracing::debug!(message = name, dropped, error = %error.uri, "an interceptor refused a message received");
        match role {
            Role::Answer(request) => {
                self.core.fail_request(request, error, true);
                self.deliver_events();
            }
            Role::Invocation(request) => self.send(Message::invocation_error(request, error)),
            Role::Join => self.core.abort(&error.uri, error.message()),
            Role::State => {
                tracing::warn!(
                    message = name,
                    "an interceptor cannot drop or fail this message (the router holds what it confirms); handled as received"
                );
                if let Some(msg) = original {
                    self.handle(now, msg);
                }
            }
            _ => {}
        }
    }

    /// Encodes `msg` and queues it on the transport. A message that cannot be encoded or is
    /// too large fails its own request.
    fn send(&mut self, msg: Message) {
        if !self.transport_ok {
            return;
        }
        let result = self.encode(&msg).and_then(|()| {
            self.conn.queue_message(&self.scratch).map_err(|e| match e {
                TransportError::TooLarge { size, limit } => {
                    SessionError::PayloadTooLarge { size, limit }
                }
                other => SessionError::Encode(other.to_string()),
            })
        });
        match result {
            Ok(()) => tracing::trace!(message = msg.name(), bytes = self.scratch.len(), "sending"),
            Err(e) => {
                tracing::warn!(message = msg.name(), error = %e, "message not sent");
                self.undeliverable(msg, e);
            }
        }
    }

    /// Encodes `msg` into the scratch buffer (reused for every message).
    fn encode(&mut self, msg: &Message) -> Result<(), SessionError> {
        self.scratch.clear();
        if self.scratch.capacity() > SCRATCH_KEEP {
            self.scratch = Vec::with_capacity(SCRATCH_START);
        }
        self.serializer
            .encode(msg, &mut self.scratch)
            .map_err(|e| SessionError::Encode(e.0))
    }

    /// A message could not be sent: fail the request it belongs to, or for a YIELD or an
    /// invocation ERROR send an ERROR without the payload instead.
    fn undeliverable(&mut self, msg: Message, e: SessionError) {
        let request = match msg {
            // The join cannot go on without them: it fails at once, saying why.
            Message::Hello { .. } | Message::Authenticate { .. } => {
                if self.joined.is_none() {
                    self.joined = Some(Err(JoinError::Session(e.clone())));
                }
                self.core
                    .handle_transport_closed(Some(format!("{} not sent: {e}", msg.name())));
                return;
            }
            Message::Call { request, .. }
            | Message::Register { request, .. }
            | Message::Unregister { request, .. }
            | Message::Subscribe { request, .. }
            | Message::Unsubscribe { request, .. }
            | Message::Publish { request, .. } => request,
            Message::Yield { request, .. }
            | Message::Error {
                request_type: RequestType::Invocation,
                request,
                ..
            } => {
                let uri = match e {
                    SessionError::PayloadTooLarge { .. } => error_uri::PAYLOAD_SIZE_EXCEEDED,
                    _ => error_uri::INVALID_PAYLOAD,
                };
                self.core.replace_invocation_answer(
                    request,
                    WampError::with_message(uri, e.to_string()),
                );
                return;
            }
            _ => return,
        };
        match self.core.discard_request(request) {
            Some(waiter) => self.fail_waiter(request, waiter, e),
            // A publication without acknowledgement: nobody waits for it.
            None => self.unsent_publications.dropped(
                "publications",
                "publications without acknowledgement cannot be sent (too large or not encodable)",
            ),
        }
    }

    /// A session that ended: its details for everyone who waits.
    fn on_left(&mut self, details: CloseDetails) {
        tracing::info!(reason = %details.reason, message = details.message.as_deref().unwrap_or(""), "session ended");
        if self.joining && self.joined.is_none() {
            self.joined = Some(Err(join_error(
                self.auth.ended(details.clone()),
                self.core.config().join_timeout,
            )));
        }
        for w in self.leave_waiters.drain(..) {
            let _ = w.send(Ok(details.clone()));
        }
        self.routes.clear();
        self.invocations.abort_all();
        if details.initiator == CloseInitiator::Transport {
            // Gone, or not answering (a liveness probe or our GOODBYE unanswered in time):
            // no close handshake that could only wait out its bound; the socket is dropped.
            self.reading = false;
            self.transport_ok = false;
        }
        self.closed.send_replace(Some(details));
    }

    fn on_joined(&mut self, details: SessionDetails) {
        tracing::info!(
            session = details.session,
            realm = %details.realm,
            authid = details.authid.as_deref().unwrap_or(""),
            authrole = details.authrole.as_deref().unwrap_or(""),
            "joined"
        );
        match self.auth.verify(&details) {
            Ok(()) => self.joined = Some(Ok(details)),
            Err(refusal) => {
                self.joined = Some(Err(join_error(refusal, self.core.config().join_timeout)));
                let _ = self.core.leave(now(), close_uri::NORMAL, None);
            }
        }
    }

    fn on_challenge(&mut self, method: &str, extra: &wamp_core::Dict) {
        self.auth.challenge(method, extra);
    }

    /// The authenticator answered the CHALLENGE (at once, or after waiting for a signer).
    fn on_answer(&mut self, answer: Result<(String, wamp_core::Dict), JoinOutcome>) {
        if self.joined.is_some() {
            return;
        }
        match answer {
            Ok((signature, extra)) => {
                let _ = self.core.authenticate(signature, extra);
            }
            Err(refusal) => {
                self.joined = Some(Err(join_error(refusal, self.core.config().join_timeout)));
                self.core.abort(error_uri::CANNOT_AUTHENTICATE, None);
            }
        }
    }
}
