//! The workload of the reliability suite (tests/reliability.rs) and of the soak benchmark
//! (examples/soak.rs): calls kept in flight and a stream of acknowledged publications, through
//! routers that fail, with the figures that tell whether the client coped.
//!
//! - A [`Component`] (it reconnects) registers [`PROCEDURE`], which answers its argument after
//!   [`WorkloadConfig::callee_delay`], and subscribes to [`TOPIC`], recording every sequence
//!   number delivered.
//! - A plain [`Session`] (the caller) joins over another URL; when it is lost, a task of the
//!   workload joins a new one (a [`Session`] does not reconnect by itself).
//! - [`WorkloadConfig::calls_in_flight`] tasks call [`PROCEDURE`] in a loop, half through the
//!   caller session and half through the component's handle
//!   ([`ComponentHandle::call`], which waits for the next ready session): so that many calls
//!   are in flight while the routers work. Every call has a timeout
//!   ([`WorkloadConfig::call_timeout`]); a call that has not ended `HANG_SLACK` (5 s) after it is
//!   counted as hung (the suite wants none).
//! - One task publishes sequence numbers `1, 2, ...` on [`TOPIC`] through the caller session,
//!   acknowledged, one at a time, every [`WorkloadConfig::publish_interval`].
//!
//! # Which publications must arrive
//!
//! A WAMP broker acknowledges a publication once it has accepted it: it does not promise
//! delivery to a subscriber whose session ends. So a publication is *protected*, and must be
//! delivered, when the subscriber's session was ready before it was sent and is the same
//! session when its acknowledgement arrives, and stays up afterwards. [`Workload::check`]
//! sorts the protected publications not yet delivered: those whose subscriber session has
//! ended since are *orphaned* (expected: the events died with the router or the session);
//! those whose subscriber session is still up and that are older than
//! [`DELIVERY_GRACE`] are *lost* (a failure).

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;
use wamp_client::{
    CallError, Component, ComponentHandle, Id, JoinOptions, LifecycleEvent, RetryPolicy, Session,
    SessionError, TransportConfig, TransportSpec, WampError,
};

use crate::measure::{mib, rss_kib, RssSampler};

/// The procedure the component registers.
pub const PROCEDURE: &str = "com.reliability.echo";
/// The topic the component subscribes to and the caller publishes on.
pub const TOPIC: &str = "com.reliability.stream";
/// How long a delivered-or-not verdict waits after a publication's acknowledgement.
pub const DELIVERY_GRACE: Duration = Duration::from_secs(5);
/// How long after its timeout a call that has not ended counts as hung.
pub const HANG_SLACK: Duration = Duration::from_secs(5);
/// Bound on a join attempt of the caller session (beyond the transport's connect timeout).
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on the workload's tasks ending once asked to.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// A caller task's pause after a failed call, so that a router without the procedure (the
/// component not joined yet) is not called in a busy loop.
const FAILURE_PAUSE: Duration = Duration::from_millis(50);

/// What the workload does; [`WorkloadConfig::new`] gives the suite's settings.
#[derive(Debug, Clone)]
pub struct WorkloadConfig {
    /// The component's transport URL (through a fault proxy).
    pub component_url: String,
    /// The caller session's transport URL (through a fault proxy).
    pub caller_url: String,
    /// The realm.
    pub realm: String,
    /// Calls kept in flight: half through the caller session, half through the component.
    pub calls_in_flight: usize,
    /// How long the callee takes to answer.
    pub callee_delay: Duration,
    /// Every call's timeout.
    pub call_timeout: Duration,
    /// The pause between two publications.
    pub publish_interval: Duration,
    /// Transport keepalive (interval, timeout) of both connections.
    pub keepalive: (Duration, Duration),
    /// Transport connect timeout of both connections.
    pub connect_timeout: Duration,
}

impl WorkloadConfig {
    /// The suite's settings: 1,000 calls in flight, a callee answering after 20 ms, calls
    /// timing out after 5 s, a publication every 2 ms, keepalive 1 s + 1 s, connect timeout
    /// 2 s, realm `realm1`.
    pub fn new(component_url: &str, caller_url: &str) -> WorkloadConfig {
        WorkloadConfig {
            component_url: component_url.to_string(),
            caller_url: caller_url.to_string(),
            realm: crate::REALM.to_string(),
            calls_in_flight: 1_000,
            callee_delay: Duration::from_millis(20),
            call_timeout: Duration::from_secs(5),
            publish_interval: Duration::from_millis(2),
            keepalive: (Duration::from_secs(1), Duration::from_secs(1)),
            connect_timeout: Duration::from_secs(2),
        }
    }

    fn transport(&self, url: &str) -> TransportConfig {
        TransportConfig::new(url)
            .unwrap_or_else(|e| panic!("workload transport {url}: {e}"))
            .keepalive(self.keepalive.0, self.keepalive.1)
            .connect_timeout(self.connect_timeout)
    }
}

/// Counters shared by the workload's tasks.
#[derive(Default)]
struct Counters {
    calls_ok: AtomicU64,
    calls_timed_out: AtomicU64,
    calls_session_lost: AtomicU64,
    calls_application: AtomicU64,
    calls_other: AtomicU64,
    calls_hung: AtomicU64,
    max_latency_us: AtomicU64,
    in_flight: AtomicUsize,
    published: AtomicU64,
    publish_failed: AtomicU64,
    caller_joins: AtomicU64,
    component_ready: AtomicU64,
}

/// The publications: which are owed to the subscriber, which came.
#[derive(Default)]
struct Ledger {
    /// Acknowledged and protected, not delivered yet: seq -> (subscriber session, ack time).
    owed: BTreeMap<u64, (Id, Instant)>,
    /// Delivered before their acknowledgement came (or never acknowledged).
    early: HashSet<u64>,
    acked: u64,
    protected: u64,
    delivered_protected: u64,
    delivered: u64,
    orphaned: u64,
    lost: Vec<u64>,
    last_seq: u64,
}

/// The state every task of the workload shares.
struct Shared {
    config: WorkloadConfig,
    counters: Counters,
    ledger: Mutex<Ledger>,
    caller: Mutex<Option<Session>>,
    handle: ComponentHandle,
    paused: AtomicBool,
    /// Session ids of the component that ended (its subscriber sessions).
    ended: Mutex<HashSet<Id>>,
    /// When the component's last session was lost, and when it was last ready.
    last_leave: Mutex<Option<Instant>>,
    last_ready: Mutex<Option<Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// The component's session id when it is ready (its subscription is live).
    fn subscriber(&self) -> Option<Id> {
        if self.handle.is_ready() {
            self.handle.session().map(|s| s.id())
        } else {
            None
        }
    }

    fn caller(&self) -> Option<Session> {
        lock(&self.caller).clone().filter(Session::is_joined)
    }

    fn record_call(&self, started: Instant, outcome: Result<Result<u64, CallError>, ()>) {
        let c = &self.counters;
        let latency = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        c.max_latency_us.fetch_max(latency, Ordering::SeqCst);
        let counter = match outcome {
            Ok(Ok(_)) => &c.calls_ok,
            Ok(Err(CallError::Timeout(_))) => &c.calls_timed_out,
            Ok(Err(CallError::Session(SessionError::Lost(_) | SessionError::NotJoined))) => {
                &c.calls_session_lost
            }
            Ok(Err(CallError::Application(_))) => &c.calls_application,
            Ok(Err(_)) => &c.calls_other,
            Err(()) => &c.calls_hung,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }

    async fn wait_while_paused(&self, stop: &watch::Receiver<bool>) {
        while self.paused.load(Ordering::SeqCst) && !*stop.borrow() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn delivered(&self, seq: u64) {
        let mut ledger = lock(&self.ledger);
        ledger.delivered += 1;
        if ledger.owed.remove(&seq).is_some() {
            ledger.delivered_protected += 1;
        } else {
            ledger.early.insert(seq);
        }
    }

    fn acknowledged(&self, seq: u64, before: Option<Id>, after: Option<Id>) {
        let mut ledger = lock(&self.ledger);
        ledger.acked += 1;
        let protected = match (before, after) {
            (Some(b), Some(a)) if a == b => Some(a),
            _ => None,
        };
        let early = ledger.early.remove(&seq);
        if let Some(session) = protected {
            ledger.protected += 1;
            if early {
                ledger.delivered_protected += 1;
            } else {
                ledger.owed.insert(seq, (session, Instant::now()));
            }
        }
    }
}

/// A running workload; [`Workload::finish`] stops it and gives the [`Figures`].
pub struct Workload {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    sampler: RssSampler,
    started: Instant,
    rss_start_kib: u64,
}

impl fmt::Debug for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workload")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Workload {
    /// Starts the component, the caller session and the tasks (on the current runtime);
    /// returns at once: see [`Workload::until_working`].
    pub fn start(config: WorkloadConfig) -> Workload {
        let retry = RetryPolicy::default()
            .initial_retry_delay(Duration::from_millis(100))
            .max_retry_delay(Duration::from_secs(1));
        let delay = config.callee_delay;
        let ledger_slot: Arc<Mutex<Option<Arc<Shared>>>> = Arc::new(Mutex::new(None));
        let for_handler = Arc::clone(&ledger_slot);
        let component = Component::builder()
            .name("reliability-workload")
            .transport(TransportSpec::new(config.transport(&config.component_url)).retry(retry))
            .realm(config.realm.clone())
            .procedure(PROCEDURE, move |n: u64| async move {
                tokio::time::sleep(delay).await;
                Ok::<_, WampError>(n)
            })
            .subscription(TOPIC, move |seq: u64| {
                let shared = lock(&for_handler).clone();
                async move {
                    if let Some(shared) = shared {
                        shared.delivered(seq);
                    }
                }
            })
            .build()
            .unwrap_or_else(|e| panic!("the workload component: {e}"));
        let handle = component.start();
        let shared = Arc::new(Shared {
            config,
            counters: Counters::default(),
            ledger: Mutex::new(Ledger::default()),
            caller: Mutex::new(None),
            handle,
            paused: AtomicBool::new(false),
            ended: Mutex::new(HashSet::new()),
            last_leave: Mutex::new(None),
            last_ready: Mutex::new(None),
        });
        *lock(&ledger_slot) = Some(Arc::clone(&shared));
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tasks.spawn(watch_component(Arc::clone(&shared), stop_rx.clone()));
        tasks.spawn(keep_caller(Arc::clone(&shared), stop_rx.clone()));
        tasks.spawn(publish(Arc::clone(&shared), stop_rx.clone()));
        let n = shared.config.calls_in_flight;
        for i in 0..n {
            tasks.spawn(call_loop(Arc::clone(&shared), stop_rx.clone(), i % 2 == 0));
        }
        let sampler = RssSampler::start(Duration::from_millis(20));
        Workload {
            rss_start_kib: sampler.start_kib(),
            shared,
            stop,
            tasks,
            sampler,
            started: Instant::now(),
        }
    }

    /// The component's handle.
    pub fn handle(&self) -> &ComponentHandle {
        &self.shared.handle
    }

    /// Calls that succeeded so far.
    pub fn calls_ok(&self) -> u64 {
        self.shared.counters.calls_ok.load(Ordering::SeqCst)
    }

    /// Calls started and not yet ended.
    pub fn in_flight(&self) -> usize {
        self.shared.counters.in_flight.load(Ordering::SeqCst)
    }

    /// Publications acknowledged so far.
    pub fn acked(&self) -> u64 {
        lock(&self.shared.ledger).acked
    }

    /// How many times the caller session joined (the first time included).
    pub fn caller_joins(&self) -> u64 {
        self.shared.counters.caller_joins.load(Ordering::SeqCst)
    }

    /// Whether the component is ready and the caller session joined.
    pub fn is_up(&self) -> bool {
        self.shared.subscriber().is_some() && self.shared.caller().is_some()
    }

    /// When the component's last session was lost (its `Leave` event), if ever.
    pub fn last_leave(&self) -> Option<Instant> {
        *lock(&self.shared.last_leave)
    }

    /// When the component was last ready, if ever.
    pub fn last_ready(&self) -> Option<Instant> {
        *lock(&self.shared.last_ready)
    }

    /// How many times the component became ready (the first time included).
    pub fn component_readies(&self) -> u64 {
        self.shared.counters.component_ready.load(Ordering::SeqCst)
    }

    /// Waits until the component is ready, the caller joined, and `calls` more calls and
    /// `publications` more acknowledged publications succeeded, within `limit`; `false` when
    /// that did not happen in time.
    pub async fn until_working(&self, calls: u64, publications: u64, limit: Duration) -> bool {
        let (calls0, acked0) = (self.calls_ok(), self.acked());
        tokio::time::timeout(limit, async {
            while !(self.is_up()
                && self.calls_ok() >= calls0 + calls
                && self.acked() >= acked0 + publications)
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .is_ok()
    }

    /// Stops starting calls and publications (those in flight go on); [`resume`](Self::resume)
    /// starts them again. Waits (within `limit`) until no call is in flight; `false` if some
    /// still are.
    pub async fn pause(&self, limit: Duration) -> bool {
        self.shared.paused.store(true, Ordering::SeqCst);
        tokio::time::timeout(limit, async {
            while self.in_flight() > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .is_ok()
    }

    /// Starts calls and publications again after [`pause`](Self::pause).
    pub fn resume(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
    }

    /// Sorts the protected publications not delivered yet (see the module's docs): those of
    /// an ended subscriber session are orphaned, those older than [`DELIVERY_GRACE`] whose
    /// subscriber session is still up are lost. Returns the publications lost so far.
    pub fn check(&self) -> Vec<u64> {
        let current = self.shared.subscriber();
        let ended = lock(&self.shared.ended).clone();
        let mut ledger = lock(&self.shared.ledger);
        let now = Instant::now();
        let mut orphaned = Vec::new();
        let mut lost = Vec::new();
        for (&seq, &(session, acked_at)) in &ledger.owed {
            if ended.contains(&session) || current.is_some_and(|c| c != session) {
                orphaned.push(seq);
            } else if current == Some(session) && now.duration_since(acked_at) > DELIVERY_GRACE {
                lost.push(seq);
            }
        }
        for seq in orphaned {
            ledger.owed.remove(&seq);
            ledger.orphaned += 1;
        }
        for &seq in &lost {
            ledger.owed.remove(&seq);
        }
        ledger.lost.extend(lost);
        // Deliveries of publications whose acknowledgement never came stay in `early`; keep
        // the set small.
        let floor = ledger.last_seq.saturating_sub(100_000);
        ledger.early.retain(|&s| s > floor);
        ledger.lost.clone()
    }

    /// Waits (within `limit`) until every protected publication acknowledged so far was
    /// delivered or orphaned, checking as it goes; returns the publications lost.
    pub async fn settle(&self, limit: Duration) -> Vec<u64> {
        let deadline = Instant::now() + limit;
        loop {
            let lost = self.check();
            let owed = lock(&self.shared.ledger).owed.len();
            if owed == 0 || Instant::now() >= deadline {
                return lost;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The figures so far.
    pub fn figures(&self) -> Figures {
        let c = &self.shared.counters;
        let ledger = lock(&self.shared.ledger);
        let failed = c.calls_timed_out.load(Ordering::SeqCst)
            + c.calls_session_lost.load(Ordering::SeqCst)
            + c.calls_application.load(Ordering::SeqCst)
            + c.calls_other.load(Ordering::SeqCst);
        Figures {
            elapsed: self.started.elapsed(),
            calls_ok: c.calls_ok.load(Ordering::SeqCst),
            calls_failed: failed,
            calls_timed_out: c.calls_timed_out.load(Ordering::SeqCst),
            calls_session_lost: c.calls_session_lost.load(Ordering::SeqCst),
            calls_application: c.calls_application.load(Ordering::SeqCst),
            calls_other: c.calls_other.load(Ordering::SeqCst),
            calls_hung: c.calls_hung.load(Ordering::SeqCst),
            max_call_latency: Duration::from_micros(c.max_latency_us.load(Ordering::SeqCst)),
            published: c.published.load(Ordering::SeqCst),
            publish_failed: c.publish_failed.load(Ordering::SeqCst),
            acked: ledger.acked,
            protected: ledger.protected,
            delivered: ledger.delivered,
            delivered_protected: ledger.delivered_protected,
            orphaned: ledger.orphaned,
            lost: ledger.lost.len() as u64,
            component_reconnects: c.component_ready.load(Ordering::SeqCst).saturating_sub(1),
            caller_reconnects: c.caller_joins.load(Ordering::SeqCst).saturating_sub(1),
            rss_start_kib: self.rss_start_kib,
            rss_peak_kib: self.sampler.peak_kib(),
            rss_now_kib: rss_kib(),
        }
    }

    /// Stops the tasks (within 30 s), the component and the caller session, settles the
    /// publications and returns the final figures.
    ///
    /// # Panics
    ///
    /// When the tasks do not end within 30 s: a call or publication hung past its timeout.
    pub async fn finish(mut self) -> Figures {
        // What is lost shows in the figures.
        self.settle(DELIVERY_GRACE * 2).await;
        let _ = self.stop.send(true);
        let ended = tokio::time::timeout(STOP_TIMEOUT, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        assert!(
            ended.is_ok(),
            "the workload's tasks did not end within {STOP_TIMEOUT:?}"
        );
        let figures = self.figures();
        let _ = tokio::time::timeout(STOP_TIMEOUT, self.shared.handle.stop()).await;
        let caller = lock(&self.shared.caller).take();
        if let Some(caller) = caller {
            let _ = tokio::time::timeout(Duration::from_secs(5), caller.leave()).await;
        }
        figures
    }
}

/// Counts the component's sessions: ready ones, and the ended ones (their ids).
async fn watch_component(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut events = shared.handle.events();
    loop {
        let event = tokio::select! {
            e = events.next() => e,
            _ = stop.changed() => return,
        };
        match event {
            Some(LifecycleEvent::Ready { .. }) => {
                shared
                    .counters
                    .component_ready
                    .fetch_add(1, Ordering::SeqCst);
                *lock(&shared.last_ready) = Some(Instant::now());
            }
            Some(LifecycleEvent::Leave { session, .. }) => {
                lock(&shared.ended).insert(session.id());
                *lock(&shared.last_leave) = Some(Instant::now());
            }
            Some(_) => {}
            None => return,
        }
    }
}

/// Keeps a caller session joined: joins one, waits until it is lost, joins another.
async fn keep_caller(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let config = shared.config.transport(&shared.config.caller_url);
    while !*stop.borrow() {
        let join = Session::join(&config, JoinOptions::new(shared.config.realm.clone()));
        let session = tokio::select! {
            r = tokio::time::timeout(JOIN_TIMEOUT, join) => r,
            _ = stop.changed() => return,
        };
        let Ok(Ok(session)) = session else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        shared.counters.caller_joins.fetch_add(1, Ordering::SeqCst);
        *lock(&shared.caller) = Some(session.clone());
        tokio::select! {
            _ = session.closed() => {}
            _ = stop.changed() => return,
        }
        lock(&shared.caller).take();
    }
}

/// Calls [`PROCEDURE`] in a loop through the caller session or the component's handle.
async fn call_loop(shared: Arc<Shared>, stop: watch::Receiver<bool>, through_session: bool) {
    let timeout = shared.config.call_timeout;
    let mut n: u64 = 0;
    while !*stop.borrow() {
        shared.wait_while_paused(&stop).await;
        n += 1;
        let call = if through_session {
            let Some(session) = shared.caller() else {
                tokio::time::sleep(FAILURE_PAUSE).await;
                continue;
            };
            session.call::<_, u64>(PROCEDURE, (n,)).timeout(timeout)
        } else {
            shared
                .handle
                .call::<_, u64>(PROCEDURE, (n,))
                .timeout(timeout)
        };
        shared.counters.in_flight.fetch_add(1, Ordering::SeqCst);
        let started = Instant::now();
        let outcome = tokio::time::timeout(timeout + HANG_SLACK, call)
            .await
            .map_err(|_| ());
        shared.counters.in_flight.fetch_sub(1, Ordering::SeqCst);
        let ok = matches!(outcome, Ok(Ok(_)));
        shared.record_call(started, outcome);
        if !ok {
            tokio::time::sleep(FAILURE_PAUSE).await;
        }
    }
}

/// Publishes `1, 2, ...` on [`TOPIC`], acknowledged, one at a time.
async fn publish(shared: Arc<Shared>, stop: watch::Receiver<bool>) {
    let timeout = shared.config.call_timeout;
    let mut seq: u64 = 0;
    while !*stop.borrow() {
        shared.wait_while_paused(&stop).await;
        let Some(session) = shared.caller() else {
            tokio::time::sleep(FAILURE_PAUSE).await;
            continue;
        };
        seq += 1;
        lock(&shared.ledger).last_seq = seq;
        let before = shared.subscriber();
        shared.counters.published.fetch_add(1, Ordering::SeqCst);
        let acked =
            tokio::time::timeout(timeout, session.publish(TOPIC, (seq,)).acknowledged()).await;
        match acked {
            Ok(Ok(_)) => shared.acknowledged(seq, before, shared.subscriber()),
            _ => {
                shared
                    .counters
                    .publish_failed
                    .fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(FAILURE_PAUSE).await;
                continue;
            }
        }
        tokio::time::sleep(shared.config.publish_interval).await;
    }
}

/// What a workload did; printed one figure a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    /// Since the start.
    pub elapsed: Duration,
    /// Calls that returned their result.
    pub calls_ok: u64,
    /// Calls that failed with a typed error (the sum of the four below).
    pub calls_failed: u64,
    /// ... with [`CallError::Timeout`].
    pub calls_timed_out: u64,
    /// ... because the session was lost or there was none.
    pub calls_session_lost: u64,
    /// ... with an ERROR from the router (e.g. `wamp.error.no_such_procedure` while the callee
    /// is away).
    pub calls_application: u64,
    /// ... otherwise.
    pub calls_other: u64,
    /// Calls that had not ended [`HANG_SLACK`] after their timeout (they were abandoned).
    pub calls_hung: u64,
    /// The longest a call took, whatever its outcome.
    pub max_call_latency: Duration,
    /// Publications sent.
    pub published: u64,
    /// Publications that failed or were not acknowledged in time.
    pub publish_failed: u64,
    /// Publications acknowledged.
    pub acked: u64,
    /// Acknowledged publications that were protected (see the module's docs).
    pub protected: u64,
    /// Events delivered to the subscriber.
    pub delivered: u64,
    /// Protected publications delivered.
    pub delivered_protected: u64,
    /// Protected publications whose subscriber session ended before delivery.
    pub orphaned: u64,
    /// Protected publications not delivered though their subscriber session stayed up.
    pub lost: u64,
    /// Times the component became ready again after a lost session.
    pub component_reconnects: u64,
    /// Times the caller session was joined again after it was lost.
    pub caller_reconnects: u64,
    /// Resident memory at the start, KiB.
    pub rss_start_kib: u64,
    /// Highest resident memory seen (sampled every 20 ms), KiB.
    pub rss_peak_kib: u64,
    /// Resident memory when the figures were taken, KiB.
    pub rss_now_kib: u64,
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "elapsed:                {:.1} s",
            self.elapsed.as_secs_f64()
        )?;
        writeln!(
            f,
            "calls:                  {} done, {} failed ({} timed out, {} session lost, {} router error, {} other), {} hung",
            self.calls_ok,
            self.calls_failed,
            self.calls_timed_out,
            self.calls_session_lost,
            self.calls_application,
            self.calls_other,
            self.calls_hung
        )?;
        writeln!(
            f,
            "max call latency:       {:.3} s",
            self.max_call_latency.as_secs_f64()
        )?;
        writeln!(
            f,
            "publications:           {} sent, {} acknowledged, {} failed; {} events delivered",
            self.published, self.acked, self.publish_failed, self.delivered
        )?;
        writeln!(
            f,
            "protected publications: {} ({} delivered, {} orphaned with their subscriber session, {} lost)",
            self.protected, self.delivered_protected, self.orphaned, self.lost
        )?;
        writeln!(
            f,
            "reconnects:             {} component, {} caller session",
            self.component_reconnects, self.caller_reconnects
        )?;
        write!(
            f,
            "rss:                    {:.1} MiB start, {:.1} MiB peak, {:.1} MiB end",
            mib(self.rss_start_kib),
            mib(self.rss_peak_kib),
            mib(self.rss_now_kib)
        )
    }
}
