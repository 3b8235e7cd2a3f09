//! The one task that owns the protocol state and the transport.
//!
//! The driver selects over the incoming frames, the commands of the
//! [`Session`](crate::Session) handles, the answers of running invocations and the leave
//! deadline. After each wake it feeds the core, delivers every event to its waiter,
//! then writes every queued message and flushes once: writes are batched per wake. User code
//! never runs here.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;
use wamp_core::id::IdMap;
use wamp_core::message::{Message, RequestType};
use wamp_core::serializer::Serializer;
use wamp_core::session::{
    ClientSession, CloseDetails, Event as CoreEvent, HelloConfig, Phase, Refused, Reply,
    SessionDetails,
};
use wamp_core::uri::{close_uri, error_uri};
use wamp_core::value::{Dict, Str, Value};
use wamp_core::{Id, ProtocolError, WampError};

use crate::error::{
    CallError, JoinError, PublishError, RegisterError, SessionError, SubscribeError,
};
use crate::options::JoinOptions;
use crate::payload::Payload;
use crate::queue;
use crate::session::{CallResult, Event, Invocation, Procedure};
use crate::transport::{Connection, Frame, Keepalive, TransportError, TransportKind};
use crate::Authenticator;

/// How many commands the handles may queue before `send` waits.
const COMMAND_QUEUE: usize = 4096;
/// How many frames the driver reads per wake before writing (commands come in whole batches).
const BATCH: usize = 256;
/// The encoding buffer's first capacity, and the largest it keeps between messages.
const SCRATCH_START: usize = 4096;
const SCRATCH_KEEP: usize = 1 << 20;
/// How long `leave` waits for the router's GOODBYE.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long closing the transport may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

type Reply1<T, E> = oneshot::Sender<Result<T, E>>;

/// A command from a session handle.
pub(crate) enum Command {
    Call {
        procedure: Str,
        options: Dict,
        payload: Payload,
        reply: Reply1<CallResult, CallError>,
        /// Where progressive results go, when they were asked for.
        progress: Option<mpsc::UnboundedSender<CallResult>>,
    },
    Register {
        procedure: Str,
        options: Dict,
        handler: Arc<dyn Procedure>,
        reply: Reply1<Id, RegisterError>,
    },
    Unregister {
        registration: Id,
        reply: Reply1<(), RegisterError>,
    },
    Subscribe {
        topic: Str,
        options: Dict,
        sink: EventSink,
        reply: Reply1<(Id, u64), SubscribeError>,
    },
    Unsubscribe {
        subscription: Id,
        local: u64,
        reply: Option<Reply1<(), SubscribeError>>,
    },
    Publish {
        topic: Str,
        options: Dict,
        payload: Payload,
        acknowledge: bool,
        reply: Reply1<Option<Id>, PublishError>,
    },
    /// The session handle's state, for handlers that take the session.
    Attach(std::sync::Weak<crate::session::Inner>),
    /// Stop taking invocations; answer when none is running.
    Drain { reply: oneshot::Sender<()> },
    Leave {
        reason: String,
        message: Option<String>,
        reply: Reply1<CloseDetails, SessionError>,
    },
}

/// Where the events of one local subscription go.
pub(crate) struct EventSink {
    pub(crate) tx: mpsc::Sender<Event>,
    pub(crate) dropped: Arc<AtomicU64>,
}

impl EventSink {
    fn deliver(&self, event: Event) {
        if let Err(mpsc::error::TrySendError::Full(e)) = self.tx.try_send(event) {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                subscription = e.subscription,
                dropped = n,
                "event queue full; event dropped"
            );
        }
    }
}

/// The waiter the core keeps with each request.
enum Waiter {
    Call(Reply1<CallResult, CallError>),
    ProgressiveCall {
        reply: Reply1<CallResult, CallError>,
        progress: mpsc::UnboundedSender<CallResult>,
    },
    Register {
        procedure: String,
        handler: Arc<dyn Procedure>,
        reply: Reply1<Id, RegisterError>,
    },
    Unregister(Reply1<(), RegisterError>),
    Subscribe {
        topic: String,
        sink: EventSink,
        local: u64,
        reply: Reply1<(Id, u64), SubscribeError>,
    },
    Unsubscribe(Option<Reply1<(), SubscribeError>>),
    Publish(Reply1<Option<Id>, PublishError>),
}

impl Waiter {
    fn fail(self, e: SessionError) {
        match self {
            Waiter::Call(r) | Waiter::ProgressiveCall { reply: r, .. } => {
                drop(r.send(Err(e.into())))
            }
            Waiter::Register { reply, .. } => drop(reply.send(Err(e.into()))),
            Waiter::Unregister(r) => drop(r.send(Err(e.into()))),
            Waiter::Subscribe { reply, .. } => drop(reply.send(Err(e.into()))),
            Waiter::Unsubscribe(r) => {
                if let Some(r) = r {
                    drop(r.send(Err(e.into())));
                }
            }
            Waiter::Publish(r) => drop(r.send(Err(e.into()))),
        }
    }

    fn application_error(self, e: WampError) {
        match self {
            Waiter::Call(r) | Waiter::ProgressiveCall { reply: r, .. } => {
                drop(r.send(Err(CallError::Application(e))))
            }
            Waiter::Register { reply, .. } => drop(reply.send(Err(RegisterError::Application(e)))),
            Waiter::Unregister(r) => drop(r.send(Err(RegisterError::Application(e)))),
            Waiter::Subscribe { reply, .. } => {
                drop(reply.send(Err(SubscribeError::Application(e))))
            }
            Waiter::Unsubscribe(r) => {
                if let Some(r) = r {
                    drop(r.send(Err(SubscribeError::Application(e))));
                }
            }
            Waiter::Publish(r) => drop(r.send(Err(PublishError::Application(e)))),
        }
    }
}

pub(crate) struct Yielded {
    request: Id,
    result: Result<Payload, WampError>,
    /// A progressive result: the invocation goes on.
    progress: bool,
}

/// Where a running invocation sends its progressive results.
#[derive(Clone)]
pub(crate) struct ProgressSink {
    request: Id,
    tx: mpsc::UnboundedSender<Yielded>,
}

impl ProgressSink {
    /// Sends one progressive result; false once the invocation has ended.
    pub(crate) fn send(&self, payload: Payload) -> bool {
        self.tx
            .send(Yielded {
                request: self.request,
                result: Ok(payload),
                progress: true,
            })
            .is_ok()
    }
}

tokio::task_local! {
    /// The progressive-result sink of the invocation running on this task, when its caller
    /// asked for progressive results.
    pub(crate) static PROGRESS: Option<ProgressSink>;
}

/// Starts the reader and the driver on `connection` and waits for the join to finish.
pub(crate) async fn start(
    connection: Connection,
    options: JoinOptions,
) -> Result<
    (
        SessionDetails,
        queue::Sender<Command>,
        watch::Receiver<Option<CloseDetails>>,
    ),
    JoinError,
> {
    let serializer = connection.serializer.clone();
    let max_send_size = connection.max_send_size;
    // TEMPORARY: this driver keeps WebSocket connections alive with pings only (RawSocket
    // routers do not answer them).
    let keepalive = connection
        .keepalive
        .filter(|_| connection.kind == TransportKind::WebSocket);
    let (commands_tx, commands) = queue::queue(COMMAND_QUEUE);
    let (yields_tx, yields) = mpsc::unbounded_channel();
    let (closed_tx, closed_rx) = watch::channel(None);
    let (join_tx, join_rx) = oneshot::channel();

    let mut hello = HelloConfig::new(options.realm.clone());
    hello.authid = options.authid.clone();
    hello.authrole = options.authrole.clone();
    hello.authmethods = options.authmethods.clone();
    hello.authextra = options.authextra.clone();

    let driver = Driver {
        core: ClientSession::new(hello),
        serializer,
        conn: connection,
        max_send: max_send_size,
        commands,
        batch: VecDeque::new(),
        reading: true,
        yields,
        yields_tx,
        procedures: IdMap::default(),
        subscriptions: IdMap::default(),
        running: IdMap::default(),
        next_local: 0,
        join: Some(join_tx),
        authenticator: options.authenticator.clone(),
        auth_methods: options.authmethods.join(", "),
        challenged: None,
        leave_waiters: Vec::new(),
        leave_deadline: None,
        closed: closed_tx,
        transport_ok: true,
        commands_open: true,
        scratch: Vec::with_capacity(SCRATCH_START),
        draining: false,
        drain_waiters: Vec::new(),
        session: std::sync::Weak::new(),
        keepalive,
        next_ping: keepalive.map(|k| Instant::now() + k.interval),
        pong_deadline: None,
    };
    let span = tracing::info_span!("wamp_session", realm = %options.realm);
    let task = tokio::spawn(tracing::Instrument::instrument(driver.run(), span));
    match tokio::time::timeout(options.timeout, join_rx).await {
        Ok(Ok(Ok(details))) => Ok((details, commands_tx, closed_rx)),
        Ok(Ok(Err(e))) => Err(e),
        Ok(Err(_)) => Err(JoinError::Session(SessionError::Lost(
            closed_rx.borrow().clone().unwrap_or_else(|| CloseDetails {
                reason: close_uri::TRANSPORT_LOST.into(),
                message: None,
                initiator: wamp_core::session::CloseInitiator::Transport,
            }),
        ))),
        Err(_) => {
            task.abort();
            Err(JoinError::Timeout(options.timeout))
        }
    }
}

struct Driver {
    core: ClientSession<Waiter>,
    serializer: Arc<dyn Serializer>,
    conn: Connection,
    max_send: usize,
    commands: queue::Receiver<Command>,
    /// The commands taken from the queue in one go, handled in order.
    batch: VecDeque<Command>,
    /// False once the stream has ended or failed.
    reading: bool,
    yields: mpsc::UnboundedReceiver<Yielded>,
    yields_tx: mpsc::UnboundedSender<Yielded>,
    procedures: IdMap<(String, Arc<dyn Procedure>)>,
    subscriptions: IdMap<(String, Vec<(u64, EventSink)>)>,
    running: IdMap<AbortHandle>,
    next_local: u64,
    join: Option<oneshot::Sender<Result<SessionDetails, JoinError>>>,
    authenticator: Option<Arc<dyn Authenticator>>,
    /// The methods offered in HELLO, for error messages.
    auth_methods: String,
    /// The method of the router's CHALLENGE, if it sent one.
    challenged: Option<String>,
    leave_waiters: Vec<Reply1<CloseDetails, SessionError>>,
    leave_deadline: Option<Instant>,
    closed: watch::Sender<Option<CloseDetails>>,
    transport_ok: bool,
    /// False once every session handle is gone (the command channel is closed).
    commands_open: bool,
    scratch: Vec<u8>,
    /// Set by [`Command::Drain`]: new invocations are refused.
    draining: bool,
    /// Who waits for the running invocations to end.
    drain_waiters: Vec<oneshot::Sender<()>>,
    /// The session handle's state, once attached: invocations run with it as the current
    /// session.
    session: std::sync::Weak<crate::session::Inner>,
    /// WebSocket keepalive settings.
    keepalive: Option<Keepalive>,
    /// When the next keepalive ping is due.
    next_ping: Option<Instant>,
    /// Set when a ping is out: the connection is dead if nothing arrives by then.
    pong_deadline: Option<Instant>,
}

impl Driver {
    async fn run(mut self) {
        self.core.hello();
        self.pump().await;
        while self.core.phase() != Phase::Closed {
            let deadline = self.leave_deadline;
            let keepalive = match (self.next_ping, self.pong_deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            tokio::select! {
                biased;
                frame = temp_read_frame(&mut self.conn), if self.reading => {
                    self.on_frame(frame);
                    // Take whatever else is already readable before writing.
                    for _ in 0..BATCH {
                        if !self.reading {
                            break;
                        }
                        match temp_read_frame(&mut self.conn).now_or_never() {
                            Some(frame) => self.on_frame(frame),
                            None => break,
                        }
                    }
                }
                Some(y) = self.yields.recv() => {
                    self.on_yield(y);
                    while let Ok(y) = self.yields.try_recv() {
                        self.on_yield(y);
                    }
                }
                open = self.commands.recv_all(&mut self.batch), if self.commands_open => {
                    if open {
                        // When other requests are in flight (or several commands came at
                        // once), more commands are likely on their way from tasks that are
                        // ready to run: let them run first, so their commands join this
                        // batch and go out with one write. On a multi-thread runtime the
                        // woken driver would otherwise run right after the first sender
                        // (tokio's LIFO slot) and write once per command. A lone request
                        // (sequential calls) does not wait.
                        if self.core.pending_requests() > 0 || self.batch.len() > 1 {
                            tokio::task::yield_now().await;
                            self.commands.take_more(&mut self.batch);
                        }
                        while let Some(cmd) = self.batch.pop_front() {
                            self.on_command(cmd).await;
                        }
                    } else {
                        self.on_all_handles_dropped();
                    }
                }
                _ = sleep_until(keepalive), if keepalive.is_some() && self.reading => {
                    self.on_keepalive().await;
                }
                _ = sleep_until(deadline), if deadline.is_some() => {
                    tracing::warn!("no GOODBYE from the router in time; closing");
                    self.core.handle_transport_closed(Some("no GOODBYE reply in time".into()));
                }
            }
            self.pump().await;
        }
        self.shutdown().await;
    }

    /// Sends the next keepalive ping, or declares the connection dead when the previous one
    /// went unanswered.
    async fn on_keepalive(&mut self) {
        let Some(k) = self.keepalive else { return };
        let now = Instant::now();
        if self.pong_deadline.is_some_and(|d| now >= d) {
            tracing::warn!(
                timeout_ms = k.timeout.as_millis() as u64,
                "no answer to a keepalive ping; the connection is dead"
            );
            self.reading = false;
            self.transport_ok = false;
            self.core.handle_transport_closed(Some(format!(
                "no answer to a keepalive ping within {:?}",
                k.timeout
            )));
            return;
        }
        if self.next_ping.is_some_and(|t| now >= t) {
            self.next_ping = Some(now + k.interval);
            if self.pong_deadline.is_none() {
                self.pong_deadline = Some(now + k.timeout);
            }
            if !self.conn.queue_ping(b"wamp-rs keepalive") {
                tracing::debug!("keepalive ping not sent");
            }
        }
    }

    fn on_all_handles_dropped(&mut self) {
        self.commands_open = false;
        if self.core.phase() == Phase::Established {
            tracing::debug!("every session handle dropped; leaving");
            let _ = self.core.leave(close_uri::NORMAL, None);
            self.leave_deadline = Some(Instant::now() + LEAVE_TIMEOUT);
        } else if self.leave_deadline.is_none() {
            self.core
                .handle_transport_closed(Some("session dropped".into()));
        }
    }

    async fn shutdown(mut self) {
        for (_, handle) in self.running.drain() {
            handle.abort();
        }
        self.procedures.clear();
        self.subscriptions.clear();
        if self.transport_ok {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.conn.close()).await;
        }
        // Commands still queued are answered by dropping their reply senders: the handles
        // map that to `SessionError::Lost` with the details published here.
    }

    /// Handles what the transport delivered. Reading stops after the transport ends or
    /// fails, or after a message that cannot be decoded (the session then aborts).
    fn on_frame(&mut self, frame: Result<Option<Frame>, TransportError>) {
        if let Ok(Some(_)) = frame {
            // Anything from the router proves the connection alive.
            self.pong_deadline = None;
        }
        match frame {
            Ok(Some(Frame::Pong(_))) => {}
            Ok(Some(Frame::Close)) => {
                tracing::info!("transport closed by the router");
                self.reading = false;
                self.core.handle_transport_closed(None);
            }
            Ok(Some(Frame::Message(bytes))) => match self.serializer.decode(&bytes) {
                Ok(msg) => {
                    tracing::trace!(message = msg.name(), "received");
                    if let Err(e) = self.core.handle_message(msg) {
                        tracing::error!(error = %e, "protocol violation by the router; aborting");
                    }
                    // Deliver what this message caused before the next one: a progressive
                    // result must find its call's waiter, which the final result of a later
                    // message in the same read would remove.
                    while let Some(ev) = self.core.poll_event() {
                        self.on_event(ev);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "undecodable message from the router; aborting");
                    self.reading = false;
                    self.core.handle_decode_error(&e);
                }
            },
            Err(TransportError::TooLarge { size, limit }) => {
                tracing::error!(size, limit, "oversized message from the router; aborting");
                self.reading = false;
                self.core
                    .handle_decode_error(&ProtocolError::TooLarge { size, limit });
            }
            closed => {
                let message = closed.err().map(|e| e.to_string());
                tracing::info!(
                    reason = message.as_deref().unwrap_or("closed by peer"),
                    "transport closed"
                );
                self.reading = false;
                self.transport_ok = false;
                self.core.handle_transport_closed(message);
            }
        }
    }

    /// Answers the drain waiters once no invocation runs.
    fn check_drained(&mut self) {
        if self.running.is_empty() {
            for w in self.drain_waiters.drain(..) {
                let _ = w.send(());
            }
        }
    }

    fn on_yield(&mut self, y: Yielded) {
        if y.progress {
            if !self.running.contains_key(&y.request) {
                return; // the invocation has ended
            }
            if let Ok(p) = y.result {
                let mut options = Dict::new();
                options.insert(Str::from_static("progress"), Value::Bool(true));
                if let Err(e) = self.core.yield_result(y.request, options, p.args, p.kwargs) {
                    tracing::debug!(error = %e, "progressive result dropped");
                }
            }
            return;
        }
        if self.running.remove(&y.request).is_none() {
            return; // interrupted, or from an ended session
        }
        self.check_drained();
        let result = match y.result {
            Ok(p) => self
                .core
                .yield_result(y.request, Dict::new(), p.args, p.kwargs),
            Err(e) => self.core.yield_error(y.request, e),
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "late answer to an invocation dropped");
        }
    }

    async fn on_command(&mut self, cmd: Command) {
        let phase = self.core.phase();
        match cmd {
            Command::Call {
                procedure,
                options,
                payload,
                reply,
                progress,
            } => {
                let waiter = match progress {
                    Some(progress) => Waiter::ProgressiveCall { reply, progress },
                    None => Waiter::Call(reply),
                };
                let r = self
                    .core
                    .call(procedure, options, payload.args, payload.kwargs, waiter);
                refused(r);
            }
            Command::Register {
                procedure,
                options,
                handler,
                reply,
            } => {
                let r = self.core.register(
                    procedure.clone(),
                    options,
                    Waiter::Register {
                        procedure: procedure.into_string(),
                        handler,
                        reply,
                    },
                );
                refused(r);
            }
            Command::Unregister {
                registration,
                reply,
            } => {
                self.procedures.remove(&registration);
                refused(
                    self.core
                        .unregister(registration, Waiter::Unregister(reply)),
                );
            }
            Command::Subscribe {
                topic,
                options,
                sink,
                reply,
            } => {
                self.next_local += 1;
                let local = self.next_local;
                let r = self.core.subscribe(
                    topic.clone(),
                    options,
                    Waiter::Subscribe {
                        topic: topic.into_string(),
                        sink,
                        local,
                        reply,
                    },
                );
                refused(r);
            }
            Command::Unsubscribe {
                subscription,
                local,
                reply,
            } => {
                let last = match self.subscriptions.get_mut(&subscription) {
                    Some((_, sinks)) => {
                        sinks.retain(|(l, _)| *l != local);
                        sinks.is_empty()
                    }
                    None => false,
                };
                if last {
                    self.subscriptions.remove(&subscription);
                    refused(
                        self.core
                            .unsubscribe(subscription, Waiter::Unsubscribe(reply)),
                    );
                } else if let Some(reply) = reply {
                    let _ = reply.send(if phase == Phase::Established {
                        Ok(())
                    } else {
                        Err(SessionError::NotJoined.into())
                    });
                }
            }
            Command::Publish {
                topic,
                options,
                payload,
                acknowledge,
                reply,
            } => {
                if acknowledge {
                    let r = self.core.publish(
                        topic,
                        options,
                        payload.args,
                        payload.kwargs,
                        Some(Waiter::Publish(reply)),
                    );
                    if let Err(Refused {
                        waiter: Some(w), ..
                    }) = r
                    {
                        w.fail(SessionError::NotJoined);
                    }
                } else {
                    let result =
                        match self
                            .core
                            .publish(topic, options, payload.args, payload.kwargs, None)
                        {
                            // The PUBLISH is the only queued message: encode it now so that
                            // an encoding error reaches the publisher.
                            Ok(_) => self.transmit().await.map(|()| None),
                            Err(_) => Err(SessionError::NotJoined),
                        };
                    let _ = reply.send(result.map_err(PublishError::from));
                }
            }
            Command::Attach(session) => self.session = session,
            Command::Drain { reply } => {
                self.draining = true;
                self.drain_waiters.push(reply);
                self.check_drained();
            }
            Command::Leave {
                reason,
                message,
                reply,
            } => {
                if self.core.leave(&reason, message.as_deref()).is_ok() {
                    self.leave_deadline = Some(Instant::now() + LEAVE_TIMEOUT);
                    self.leave_waiters.push(reply);
                } else if phase == Phase::ShuttingDown {
                    self.leave_waiters.push(reply);
                } else {
                    let _ = reply.send(Err(SessionError::NotJoined));
                }
            }
        }
    }

    /// Delivers every event, writes every queued message, flushes once.
    async fn pump(&mut self) {
        while let Some(ev) = self.core.poll_event() {
            self.on_event(ev);
        }
        if let Err(e) = self.transmit().await {
            tracing::debug!(error = %e, "message not sent");
        }
        if self.transport_ok {
            if let Err(e) = temp_flush(&mut self.conn).await {
                self.write_failed(e);
                while let Some(ev) = self.core.poll_event() {
                    self.on_event(ev);
                }
            }
        }
    }

    fn write_failed(&mut self, e: TransportError) {
        tracing::info!(error = %e, "transport write failed");
        self.transport_ok = false;
        self.core.handle_transport_closed(Some(e.to_string()));
    }

    /// Encodes and feeds every queued message. A message that cannot be encoded or is too
    /// large fails its own request; the error of the last such message is returned (used for
    /// unacknowledged publications).
    async fn transmit(&mut self) -> Result<(), SessionError> {
        let mut last = Ok(());
        while let Some(msg) = self.core.poll_transmit() {
            match self.encode(&msg) {
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(message = msg.name(), error = %e, "message not sent");
                    self.undeliverable(msg, e.clone());
                    last = Err(e);
                    continue;
                }
            };
            if !self.transport_ok {
                continue;
            }
            tracing::trace!(message = msg.name(), bytes = self.scratch.len(), "sending");
            if let Err(e) = self.conn.queue_message(&self.scratch) {
                self.write_failed(e);
            }
        }
        last
    }

    /// Encodes `msg` into the scratch buffer (reused for every message).
    fn encode(&mut self, msg: &Message) -> Result<(), SessionError> {
        self.scratch.clear();
        if self.scratch.capacity() > SCRATCH_KEEP {
            self.scratch = Vec::with_capacity(SCRATCH_START);
        }
        self.serializer
            .encode(msg, &mut self.scratch)
            .map_err(|e| SessionError::Encode(e.0))?;
        if self.scratch.len() > self.max_send {
            return Err(SessionError::PayloadTooLarge {
                size: self.scratch.len(),
                limit: self.max_send,
            });
        }
        Ok(())
    }

    /// A message could not be sent: fail the request it belongs to, or for a YIELD or an
    /// invocation ERROR send an ERROR without the payload instead.
    fn undeliverable(&mut self, msg: Message, e: SessionError) {
        let request = match msg {
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
        if let Some(waiter) = self.core.discard_request(request) {
            waiter.fail(e);
        }
    }

    /// A failed authentication, about the method the router challenged for, else the methods
    /// offered (`anonymous` when none were).
    fn auth_failed(&self, reason: String, message: Option<String>) -> JoinError {
        let method = match (&self.challenged, self.auth_methods.as_str()) {
            (Some(challenged), _) => challenged.clone(),
            (None, "") => "anonymous".into(),
            (None, offered) => offered.into(),
        };
        JoinError::Authentication {
            method,
            reason,
            message,
        }
    }

    /// Our refusal of the router's authentication (`e` from the authenticator).
    fn auth_refused(&self, e: &WampError) -> JoinError {
        let message = e.args.first().and_then(Value::as_str).map(str::to_owned);
        self.auth_failed(e.uri.clone(), message)
    }

    fn on_event(&mut self, ev: CoreEvent<Waiter>) {
        match ev {
            CoreEvent::Joined(details) => {
                tracing::info!(
                    session = details.session,
                    realm = %details.realm,
                    authid = details.authid.as_deref().unwrap_or(""),
                    authrole = details.authrole.as_deref().unwrap_or(""),
                    "joined"
                );
                if let Some(Err(e)) = self
                    .authenticator
                    .as_ref()
                    .map(|a| a.verify_welcome(&details))
                {
                    tracing::error!(error = %e, "the router's authentication is not valid; leaving");
                    if let Some(join) = self.join.take() {
                        let _ = join.send(Err(self.auth_refused(&e)));
                    }
                    let _ = self.core.leave(close_uri::NORMAL, None);
                    self.leave_deadline = Some(Instant::now() + LEAVE_TIMEOUT);
                    return;
                }
                if let Some(join) = self.join.take() {
                    if join.send(Ok(details)).is_err() {
                        // The joiner gave up (timeout): leave again.
                        let _ = self.core.leave(close_uri::NORMAL, None);
                        self.leave_deadline = Some(Instant::now() + LEAVE_TIMEOUT);
                    }
                }
            }
            CoreEvent::Challenge { method, extra } => {
                self.challenged = Some(method.clone());
                let answer = match &self.authenticator {
                    Some(a) => a.authenticate(&method, &extra),
                    None => Err(WampError::with_message(
                        error_uri::CANNOT_AUTHENTICATE,
                        format!("no authenticator for {method}"),
                    )),
                };
                match answer {
                    Ok((signature, extra)) => {
                        let _ = self.core.authenticate(signature, extra);
                    }
                    Err(e) => {
                        tracing::error!(method = %method, error = %e, "cannot answer challenge");
                        if let Some(join) = self.join.take() {
                            let _ = join.send(Err(self.auth_refused(&e)));
                        }
                        self.core.abort(error_uri::CANNOT_AUTHENTICATE, None);
                    }
                }
            }
            CoreEvent::Reply { waiter, reply } => self.on_reply(waiter, reply),
            CoreEvent::Progress {
                request,
                details,
                args,
                kwargs,
            } => match self.core.waiter_mut(request) {
                Some(Waiter::ProgressiveCall { progress, .. }) => {
                    let _ = progress.send(CallResult {
                        payload: Payload::from_parts(args, kwargs),
                        details,
                    });
                }
                _ => tracing::debug!(request, "progressive result ignored (not requested)"),
            },
            CoreEvent::Invocation {
                request,
                registration,
                details,
                args,
                kwargs,
            } => self.on_invocation(request, registration, details, args, kwargs),
            CoreEvent::Interrupt { request, options } => {
                if let Some(handle) = self.running.remove(&request) {
                    handle.abort();
                    let _ = self.core.yield_error(
                        request,
                        WampError::with_message(error_uri::CANCELED, "canceled by the caller"),
                    );
                    tracing::debug!(request, ?options, "invocation interrupted");
                    self.check_drained();
                }
            }
            CoreEvent::Event {
                subscription,
                publication,
                details,
                args,
                kwargs,
            } => {
                let Some((topic, sinks)) = self.subscriptions.get(&subscription) else {
                    tracing::debug!(subscription, "event for a subscription being removed");
                    return;
                };
                let topic = details
                    .get("topic")
                    .and_then(Value::as_str)
                    .unwrap_or(topic)
                    .to_owned();
                let mut event = Some(Event {
                    subscription,
                    publication,
                    topic,
                    payload: Payload::from_parts(args, kwargs),
                    details,
                });
                let n = sinks.len();
                for (i, (_, sink)) in sinks.iter().enumerate() {
                    let e = if i + 1 == n {
                        event.take()
                    } else {
                        event.clone()
                    };
                    if let Some(e) = e {
                        sink.deliver(e);
                    }
                }
            }
            CoreEvent::RegistrationRevoked {
                registration,
                details,
            } => {
                tracing::warn!(registration, ?details, "registration revoked by the router");
                self.procedures.remove(&registration);
            }
            CoreEvent::SubscriptionRevoked {
                subscription,
                details,
            } => {
                tracing::warn!(subscription, ?details, "subscription revoked by the router");
                self.subscriptions.remove(&subscription);
            }
            CoreEvent::Left(details) => {
                tracing::info!(reason = %details.reason, message = details.message.as_deref().unwrap_or(""), "session ended");
                if let Some(join) = self.join.take() {
                    let err = match details.initiator {
                        wamp_core::session::CloseInitiator::RouterAbort
                            if is_auth_refusal(&details.reason) =>
                        {
                            self.auth_failed(details.reason.clone(), details.message.clone())
                        }
                        wamp_core::session::CloseInitiator::RouterAbort => {
                            JoinError::Refused(details.clone())
                        }
                        _ => JoinError::Session(SessionError::Lost(details.clone())),
                    };
                    let _ = join.send(Err(err));
                }
                for w in self.leave_waiters.drain(..) {
                    let _ = w.send(Ok(details.clone()));
                }
                self.subscriptions.clear();
                for (_, handle) in self.running.drain() {
                    handle.abort();
                }
                self.check_drained();
                self.leave_deadline = None;
                self.closed.send_replace(Some(details));
            }
        }
    }

    fn on_reply(&mut self, waiter: Waiter, reply: Reply) {
        match (waiter, reply) {
            (w, Reply::Lost(d)) => w.fail(SessionError::Lost(d)),
            (w, Reply::Error(e)) => w.application_error(e),
            (
                Waiter::Call(r) | Waiter::ProgressiveCall { reply: r, .. },
                Reply::Result {
                    details,
                    args,
                    kwargs,
                },
            ) => {
                let _ = r.send(Ok(CallResult {
                    payload: Payload::from_parts(args, kwargs),
                    details,
                }));
            }
            (
                Waiter::Register {
                    procedure,
                    handler,
                    reply,
                },
                Reply::Registered(id),
            ) => {
                self.procedures.insert(id, (procedure, handler));
                let _ = reply.send(Ok(id));
            }
            (Waiter::Unregister(r), Reply::Unregistered) => {
                let _ = r.send(Ok(()));
            }
            (
                Waiter::Subscribe {
                    topic,
                    sink,
                    local,
                    reply,
                },
                Reply::Subscribed(id),
            ) => {
                self.subscriptions
                    .entry(id)
                    .or_insert_with(|| (topic, Vec::new()))
                    .1
                    .push((local, sink));
                let _ = reply.send(Ok((id, local)));
            }
            (Waiter::Unsubscribe(r), Reply::Unsubscribed) => {
                if let Some(r) = r {
                    let _ = r.send(Ok(()));
                }
            }
            (Waiter::Publish(r), Reply::Published(id)) => {
                let _ = r.send(Ok(Some(id)));
            }
            (w, other) => {
                // The core matches replies to request kinds, so this cannot happen; fail the
                // waiter rather than leave it hanging.
                tracing::error!(?other, "reply of the wrong kind");
                w.fail(SessionError::Encode(
                    "internal error: reply of the wrong kind".into(),
                ));
            }
        }
    }

    fn on_invocation(
        &mut self,
        request: Id,
        registration: Id,
        details: Dict,
        args: Vec<Value>,
        kwargs: Dict,
    ) {
        if self.draining {
            let _ = self.core.yield_error(
                request,
                WampError::with_message(error_uri::UNAVAILABLE, "the callee is stopping"),
            );
            return;
        }
        let Some((uri, handler)) = self.procedures.get(&registration) else {
            // Unregistered locally while the router still routed a call to us.
            let _ = self.core.yield_error(
                request,
                WampError::with_message(error_uri::NO_SUCH_PROCEDURE, "procedure unregistered"),
            );
            return;
        };
        let procedure = details
            .get("procedure")
            .and_then(Value::as_str)
            .unwrap_or(uri)
            .to_owned();
        let progress =
            (details.get("receive_progress") == Some(&Value::Bool(true))).then(|| ProgressSink {
                request,
                tx: self.yields_tx.clone(),
            });
        let invocation = Invocation {
            request,
            registration,
            procedure,
            payload: Payload::from_parts(args, kwargs),
            details,
        };
        let handler = handler.clone();
        let tx = self.yields_tx.clone();
        let task = tokio::spawn(crate::session::Session::scope(
            self.session.clone(),
            PROGRESS.scope(progress, async move {
                let run = AssertUnwindSafe(async move { handler.invoke(invocation).await });
                let result = match run.catch_unwind().await {
                    Ok(r) => r,
                    Err(panic) => {
                        let text = panic
                            .downcast_ref::<&str>()
                            .map(|s| (*s).to_owned())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "procedure panicked".to_owned());
                        tracing::error!(request, panic = %text, "procedure panicked");
                        Err(WampError::with_message(error_uri::RUNTIME_ERROR, text))
                    }
                };
                let _ = tx.send(Yielded {
                    request,
                    result,
                    progress: false,
                });
            }),
        ));
        self.running.insert(request, task.abort_handle());
    }
}

/// Whether an ABORT during the join refuses our credentials (rather than, say, the realm).
fn is_auth_refusal(reason: &str) -> bool {
    matches!(
        reason,
        error_uri::AUTHENTICATION_FAILED
            | error_uri::AUTHENTICATION_DENIED
            | error_uri::AUTHENTICATION_REQUIRED
            | error_uri::NOT_AUTHORIZED
            | error_uri::NO_SUCH_ROLE
            | error_uri::NO_SUCH_PRINCIPAL
            | error_uri::NO_AUTH_METHOD
            | error_uri::NO_MATCHING_AUTH_METHOD
            | error_uri::AUTHORIZATION_FAILED
    )
}

/// A command the core refused (the session is not joined) fails its waiter.
fn refused(r: Result<Id, Refused<Waiter>>) {
    if let Err(Refused { waiter, .. }) = r {
        waiter.fail(SessionError::NotJoined);
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// TEMPORARY (until the driver runs on the poll-based transport API): the old blocking read.
/// Transfers until a frame is decoded; `None` at the end of the stream. Cancel-safe: all
/// state is in the connection.
async fn temp_read_frame(conn: &mut Connection) -> Result<Option<Frame>, TransportError> {
    loop {
        if let Some(frame) = conn.next_frame()? {
            return Ok(Some(frame));
        }
        let transfer = std::future::poll_fn(|cx| conn.poll_transfer(cx, true)).await?;
        if transfer.eof {
            return conn.next_frame();
        }
    }
}

/// TEMPORARY (until the driver runs on the poll-based transport API): the old blocking flush.
/// Writes until nothing is queued, reading nothing meanwhile.
async fn temp_flush(conn: &mut Connection) -> Result<(), TransportError> {
    while conn.wants_write() {
        std::future::poll_fn(|cx| conn.poll_transfer(cx, false)).await?;
    }
    Ok(())
}
