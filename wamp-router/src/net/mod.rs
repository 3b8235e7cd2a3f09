//! The tokio layer: listeners, handshakes, one task per connection, and the [`Hub`] through
//! which every connection task drives the one routing [`Core`].
//!
//! The core sits behind a mutex that the connection tasks take themselves: a task that read a
//! batch of messages locks, feeds them all to the core, drains every output into the
//! receivers' bounded queues (`try_send`, never waiting), and unlocks. A routed call thus costs
//! no hop through a core task (no extra wake-up and context switch per message, which on a
//! 2-core machine is most of a router's CPU); the lock is held only for the routing itself,
//! while decoding, encoding and socket IO run in the connection tasks, in parallel. A
//! connection whose queue is full is a slow consumer: it is closed at once, with a logged
//! reason, and counted; nobody waits for it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch, Notify};
use wamp_core::Message;

use crate::core::{ConnId, ConnInfo, Core, Output, Refusal};
use crate::router::{AuthRequest, Authenticator};

pub(crate) mod conn;
pub(crate) mod handshake;
pub(crate) mod listen;

/// What a connection task receives from the core.
#[derive(Debug)]
pub(crate) enum Out {
    /// A message to send (boxed: an idle connection's queue then holds 32 pointers, not 32
    /// messages).
    Msg(Box<Message>),
    /// Close once what was queued before is written.
    Close,
}

/// The routing core and the outgoing queues of the connections it knows.
struct State {
    core: Core,
    conns: wamp_core::id::IdMap<Slot>,
    /// The deadline the timer task sleeps until.
    armed: Option<Instant>,
}

/// The core's handle on one connection task.
struct Slot {
    tx: mpsc::Sender<Out>,
    kill: Arc<Notify>,
    /// Signalled by the connection task when its queue is down to a quarter.
    space: Arc<Notify>,
    slow_consumer_timeout: Duration,
}

impl Slot {
    /// Tells the connection task of `conn` to close, as a slow consumer (logged, counted).
    fn close_slow(&self, conn: ConnId, counters: &Counters, why: &str) {
        tracing::warn!(
            conn,
            queue = self.tx.max_capacity(),
            "closing a slow consumer: {why}"
        );
        counters.slow_consumers.fetch_add(1, Ordering::Relaxed);
        self.kill.notify_one();
    }
}

/// A connection whose queue a batch filled past half: the sender of the batch waits for it
/// (see [`Hub::wait_for_space`]).
pub(crate) struct Congested {
    id: ConnId,
    tx: mpsc::Sender<Out>,
    space: Arc<Notify>,
    timeout: Duration,
}

/// Counters for [`Router::stats`](crate::Router::stats).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) slow_consumers: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) refused: AtomicU64,
}

/// What the connection tasks, listeners and the timer share.
pub(crate) struct Hub {
    state: Mutex<State>,
    timer_wake: Notify,
    next_conn: AtomicU64,
    pub(crate) counters: Counters,
    authenticator: Option<Arc<dyn Authenticator>>,
    auth_timeout: Duration,
    /// Connection tasks alive (from the accept to the end), and the limit.
    live: AtomicUsize,
    max_connections: usize,
    /// Signalled whenever a connection task ends.
    ended: Notify,
    /// Set once the router stops: listeners stop accepting, handshakes give up.
    pub(crate) stopping: watch::Sender<bool>,
}

/// The current time on tokio's clock (paused in tests), as the core wants it.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Keeps [`Hub::live`] counted while a connection task runs.
pub(crate) struct LiveGuard(Arc<Hub>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::AcqRel);
        self.0.ended.notify_waiters();
    }
}

/// A connection registered with the core.
pub(crate) struct Registered {
    pub(crate) id: ConnId,
    pub(crate) rx: mpsc::Receiver<Out>,
    pub(crate) kill: Arc<Notify>,
    /// To signal when the queue is down to a quarter ([`has_space`]).
    pub(crate) space: Arc<Notify>,
}

/// Whether a queue of `len` messages out of `max` is low enough for its senders to go on.
pub(crate) fn has_space(len: usize, max: usize) -> bool {
    len <= max / 4
}

/// Whether a queue with `free` places out of `max` is congested (more than half full).
fn is_congested(free: usize, max: usize) -> bool {
    max - free > max / 2
}

impl Hub {
    pub(crate) fn new(
        core: Core,
        authenticator: Option<Arc<dyn Authenticator>>,
        auth_timeout: Duration,
        max_connections: usize,
    ) -> Arc<Hub> {
        let (stopping, _) = watch::channel(false);
        Arc::new(Hub {
            state: Mutex::new(State {
                core,
                conns: Default::default(),
                armed: None,
            }),
            timer_wake: Notify::new(),
            next_conn: AtomicU64::new(1),
            counters: Counters::default(),
            authenticator,
            auth_timeout,
            live: AtomicUsize::new(0),
            max_connections,
            ended: Notify::new(),
            stopping,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while routing must not take the router down with it: keep using the state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new connection task; `None` when the connection limit is reached (the
    /// handshake then refuses it).
    pub(crate) fn admit(self: &Arc<Self>) -> (LiveGuard, bool) {
        let n = self.live.fetch_add(1, Ordering::AcqRel);
        (LiveGuard(self.clone()), n < self.max_connections)
    }

    /// Connection tasks alive.
    pub(crate) fn live(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// Waits until no connection task is left, or `deadline`.
    pub(crate) async fn wait_idle(&self, deadline: tokio::time::Instant) -> bool {
        loop {
            let ended = self.ended.notified();
            if self.live() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                return self.live() == 0;
            }
        }
    }

    /// Sessions joined or authenticating.
    pub(crate) fn session_count(&self) -> usize {
        self.lock().core.session_count()
    }

    /// Closes every connection the core still knows, at once.
    pub(crate) fn kill_all(&self) {
        let st = self.lock();
        for slot in st.conns.values() {
            slot.kill.notify_one();
        }
    }

    /// Registers a connection whose transport handshake is done; the core starts its HELLO
    /// deadline.
    pub(crate) fn open(
        self: &Arc<Self>,
        queue: usize,
        slow_consumer_timeout: Duration,
        info: ConnInfo,
    ) -> Registered {
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(queue.max(4));
        let kill = Arc::new(Notify::new());
        let space = Arc::new(Notify::new());
        let slot = Slot {
            tx,
            kill: kill.clone(),
            space: space.clone(),
            slow_consumer_timeout,
        };
        self.run(|st, now| {
            st.conns.insert(id, slot);
            st.core.open(now, id, info);
        });
        Registered {
            id,
            rx,
            kill,
            space,
        }
    }

    /// Feeds messages of one read to the core (emptying `batch`); returns the connections
    /// whose queues they filled past half.
    pub(crate) fn receive(
        self: &Arc<Self>,
        conn: ConnId,
        batch: &mut Vec<Message>,
    ) -> Vec<Congested> {
        let mut congested = Vec::new();
        self.run_noting(
            |st, now| {
                for msg in batch.drain(..) {
                    st.core.receive(now, conn, msg);
                }
            },
            Some(&mut congested),
        );
        congested.retain(|c| c.id != conn);
        congested
    }

    /// Waits until each of `congested` is down to a quarter of its queue; one that is not
    /// within its slow-consumer timeout is closed as a slow consumer.
    pub(crate) async fn wait_for_space(self: Arc<Self>, congested: Vec<Congested>) {
        for c in congested {
            let deadline = tokio::time::Instant::now() + c.timeout;
            loop {
                let notified = c.space.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let max = c.tx.max_capacity();
                if c.tx.is_closed() || has_space(max - c.tx.capacity(), max) {
                    break;
                }
                if tokio::time::timeout_at(deadline, notified).await.is_err() {
                    self.run(|st, now| {
                        if st.conns.contains_key(&c.id) {
                            st.cut_slow_consumer(
                                now,
                                c.id,
                                &self.counters,
                                "its queue did not drain in time",
                            );
                        }
                    });
                    break;
                }
            }
        }
    }

    /// The connection's task has ended: its session leaves (unless the core already forgot
    /// it).
    pub(crate) fn closed(self: &Arc<Self>, conn: ConnId) {
        self.run(|st, now| {
            if st.conns.remove(&conn).is_some() {
                st.core.closed(now, conn);
            }
        });
    }

    /// Starts the graceful shutdown of every session.
    pub(crate) fn shutdown(self: &Arc<Self>) {
        self.run(|st, now| st.core.shutdown(now));
    }

    /// Runs `f` on the state, then delivers everything the core output.
    fn run(self: &Arc<Self>, f: impl FnOnce(&mut State, Instant)) {
        self.run_noting(f, None)
    }

    /// [`run`](Self::run), noting the queues filled past half in `congested`.
    fn run_noting(
        self: &Arc<Self>,
        f: impl FnOnce(&mut State, Instant),
        congested: Option<&mut Vec<Congested>>,
    ) {
        let now = now();
        let mut auth = Vec::new();
        let wake_timer = {
            let mut st = self.lock();
            f(&mut st, now);
            st.drain(now, &self.counters, &mut auth, congested);
            match (st.core.poll_timeout(), st.armed) {
                (Some(next), Some(armed)) => next < armed,
                (Some(_), None) => true,
                (None, _) => false,
            }
        };
        if wake_timer {
            self.timer_wake.notify_one();
        }
        for req in auth {
            self.authenticate(req);
        }
    }

    /// Asks the embedder's authenticator (on a task of its own, within the HELLO deadline),
    /// then tells the core.
    fn authenticate(self: &Arc<Self>, (conn, req): (ConnId, AuthRequest)) {
        let Some(authenticator) = self.authenticator.clone() else {
            tracing::warn!(
                conn,
                method = %req.method,
                "dynamic authentication asked for, but no authenticator is set"
            );
            self.run(|st, now| {
                st.core.dynamic_auth_result(
                    now,
                    conn,
                    Err(Refusal {
                        reason: wamp_core::uri::error_uri::NOT_AUTHORIZED.into(),
                        message: "no dynamic authenticator is configured".into(),
                    }),
                );
            });
            return;
        };
        let hub = self.clone();
        let limit = self.auth_timeout;
        tokio::spawn(async move {
            let answer: Pin<Box<dyn Future<Output = _> + Send>> = authenticator.authenticate(req);
            let result = match tokio::time::timeout(limit, answer).await {
                Ok(r) => r,
                Err(_) => Err(Refusal {
                    reason: wamp_core::uri::error_uri::NOT_AUTHORIZED.into(),
                    message: "the authenticator did not answer in time".into(),
                }),
            };
            hub.run(|st, now| st.core.dynamic_auth_result(now, conn, result));
        });
    }

    /// The timer: sleeps until the core's next deadline (woken earlier when a new one comes
    /// first) and runs it; until the router aborts it, after the shutdown (whose GOODBYE
    /// deadlines it still runs).
    pub(crate) async fn run_timer(self: Arc<Self>) {
        loop {
            let next = {
                let mut st = self.lock();
                let next = st.core.poll_timeout();
                st.armed = next;
                next
            };
            let sleep = async {
                match next {
                    Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => self.run(|st, now| st.core.handle_timeout(now)),
                _ = self.timer_wake.notified() => {}
            }
        }
    }
}

impl State {
    /// Closes `conn` as a slow consumer: logged, counted, its session gone from the core.
    fn cut_slow_consumer(&mut self, now: Instant, conn: ConnId, counters: &Counters, why: &str) {
        if let Some(slot) = self.conns.remove(&conn) {
            slot.close_slow(conn, counters, why);
            self.core.closed(now, conn);
        }
    }

    /// Delivers every output of the core: messages to the bounded queues (a full queue closes
    /// that connection: slow consumer), closes, and authentication requests (returned).
    fn drain(
        &mut self,
        now: Instant,
        counters: &Counters,
        auth: &mut Vec<(ConnId, AuthRequest)>,
        mut congested: Option<&mut Vec<Congested>>,
    ) {
        let mut cut = Vec::new();
        loop {
            while let Some(out) = self.core.poll_output() {
                match out {
                    Output::Send { conn, msg } => {
                        let Some(slot) = self.conns.get(&conn) else {
                            continue;
                        };
                        match slot.tx.try_send(Out::Msg(Box::new(msg))) {
                            Ok(()) => {
                                if let Some(congested) = congested.as_deref_mut() {
                                    let max = slot.tx.max_capacity();
                                    if is_congested(slot.tx.capacity(), max)
                                        && !congested.iter().any(|c| c.id == conn)
                                    {
                                        congested.push(Congested {
                                            id: conn,
                                            tx: slot.tx.clone(),
                                            space: slot.space.clone(),
                                            timeout: slot.slow_consumer_timeout,
                                        });
                                    }
                                }
                            }
                            Err(mpsc::error::TrySendError::Full(_)) => {
                                slot.close_slow(conn, counters, "its outgoing queue is full");
                                self.conns.remove(&conn);
                                cut.push(conn);
                            }
                            Err(mpsc::error::TrySendError::Closed(_)) => {
                                self.conns.remove(&conn);
                                cut.push(conn);
                            }
                        }
                    }
                    Output::Close { conn } => {
                        if let Some(slot) = self.conns.remove(&conn) {
                            if slot.tx.try_send(Out::Close).is_err() {
                                slot.kill.notify_one();
                            }
                        }
                    }
                    Output::Authenticate {
                        conn,
                        method,
                        realm,
                        authid,
                        details,
                    } => auth.push((
                        conn,
                        AuthRequest {
                            method,
                            realm,
                            authid,
                            details,
                        },
                    )),
                }
            }
            if cut.is_empty() {
                return;
            }
            for conn in cut.drain(..) {
                self.core.closed(now, conn);
            }
        }
    }
}
