//! Running invocations: each on a task of its own (a panic becomes
//! `wamp.error.runtime_error`), their progressive and final answers on their way back, an
//! INTERRUPT (or the invocation's own timeout) aborting them, and the drain of a stop.
//!
//! A registration with a concurrency limit ([`limit_concurrency`]) runs at most that many
//! invocations at once; the others wait in a bounded queue, in the order they arrived.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;
use wamp_core::id::PeerIdMap;
use wamp_core::uri::error_uri;
use wamp_core::{Id, WampError};

use crate::link::{
    BoxFuture, DropCounter, ProgressSink, StartInvocation, StartedInvocation, Yielded,
};
use crate::observe::{InvocationOutcome, SessionMetrics};
use crate::options::RegisterOptions;
use crate::payload::Payload;

/// How many answers of running invocations may wait for the driver: progressive results
/// beyond it are dropped and counted, final ones wait (in the handler's task).
const YIELD_QUEUE: usize = 4096;

/// What an invocation that answered had done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answered {
    /// Its handler ran.
    Ran,
    /// It was refused without running (the session's queue was full).
    Refused,
}

/// Where an invocation the driver took stands.
enum Slot {
    /// Running on its task.
    Running(AbortHandle),
    /// Waiting for one of the session's runs (see [`Invocations::start`]).
    Waiting,
    /// Refused (the session's queue was full): its error answer waits in `refused`.
    Refused,
}

pub(super) struct Invocations {
    /// By the invocation request ids the router chose (keyed-hashed).
    slots: PeerIdMap<Slot>,
    /// How many run (on a task of their own).
    active: usize,
    /// How many may run at once across the session.
    limit: usize,
    /// Invocations waiting for a run, in arrival order (interrupted ones are taken out).
    waiting: VecDeque<(Arc<dyn StartInvocation>, StartedInvocation)>,
    /// How many may wait.
    capacity: usize,
    /// The answers of refused invocations, for the driver to send.
    refused: VecDeque<Yielded>,
    tx: mpsc::Sender<Yielded>,
    pub(super) rx: mpsc::Receiver<Yielded>,
    dropped_progress: DropCounter,
    /// Set by a drain: new invocations are refused.
    draining: bool,
    /// Who waits for the running invocations to end.
    drain_waiters: Vec<oneshot::Sender<()>>,
    /// The session's metrics (set when it joins).
    pub(super) metrics: SessionMetrics,
}

impl Invocations {
    /// At most `limit` invocations run at once across the session; up to `capacity` more
    /// wait for a run, in arrival order; beyond that they are answered
    /// `wamp.error.unavailable`.
    pub(super) fn new(limit: usize, capacity: usize) -> Self {
        let (tx, rx) = mpsc::channel(YIELD_QUEUE);
        Invocations {
            slots: PeerIdMap::default(),
            active: 0,
            limit: limit.max(1),
            waiting: VecDeque::new(),
            capacity,
            refused: VecDeque::new(),
            tx,
            rx,
            dropped_progress: DropCounter::default(),
            draining: false,
            drain_waiters: Vec::new(),
            metrics: SessionMetrics::default(),
        }
    }

    /// Whether new invocations are refused (the session is stopping).
    pub(super) fn is_draining(&self) -> bool {
        self.draining
    }

    /// Where a new invocation's progressive results go.
    pub(super) fn progress_sink(&self, request: Id) -> ProgressSink {
        ProgressSink {
            request,
            tx: self.tx.clone(),
            dropped: self.dropped_progress.clone(),
        }
    }

    /// Runs `invocation` with `handler` on a task of its own, once one of the session's runs
    /// is free: at once, or after those waiting before it. When too many wait already, it is
    /// answered `wamp.error.unavailable` (see [`take_refused`](Self::take_refused)).
    pub(super) fn start(
        &mut self,
        handler: &Arc<dyn StartInvocation>,
        invocation: StartedInvocation,
    ) {
        let request = invocation.request;
        if self.slots.contains_key(&request) {
            tracing::debug!(
                request,
                "invocation with a request id already running ignored"
            );
            return;
        }
        if self.active < self.limit {
            self.run(handler, invocation);
        } else if self.waiting.len() < self.capacity {
            self.slots.insert(request, Slot::Waiting);
            self.waiting.push_back((handler.clone(), invocation));
        } else {
            tracing::warn!(
                request,
                procedure = %invocation.procedure,
                running = self.active,
                waiting = self.waiting.len(),
                "invocation refused: the session's invocation queue is full"
            );
            self.slots.insert(request, Slot::Refused);
            self.metrics.invocation(InvocationOutcome::Refused);
            invocation.span.record("error", error_uri::UNAVAILABLE);
            let message = format!(
                "the callee runs {} invocations at once and {} more wait",
                self.limit, self.capacity
            );
            self.refused.push_back(Yielded {
                request,
                result: Err(WampError::with_message(error_uri::UNAVAILABLE, message)),
                progress: false,
            });
        }
    }

    fn run(&mut self, handler: &Arc<dyn StartInvocation>, mut invocation: StartedInvocation) {
        let request = invocation.request;
        let span = std::mem::take(&mut invocation.span).into_span();
        let fut = match &span {
            Some(span) => span.in_scope(|| handler.start(invocation)),
            None => handler.start(invocation),
        };
        let tx = self.tx.clone();
        let recorded = span.clone();
        // An invocation aborted (interrupted, or its session gone) says so on its span.
        let unfinished = Unfinished(span.clone());
        let task = async move {
            let result = match AssertUnwindSafe(fut).catch_unwind().await {
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
            if let (Some(span), Err(e)) = (&recorded, &result) {
                span.record("error", e.uri.as_str());
            }
            unfinished.finished();
            let _ = tx
                .send(Yielded {
                    request,
                    result,
                    progress: false,
                })
                .await;
        };
        let task = match span {
            Some(span) => tokio::spawn(tracing::Instrument::instrument(task, span)),
            None => tokio::spawn(task),
        };
        self.active += 1;
        self.slots
            .insert(request, Slot::Running(task.abort_handle()));
    }

    /// The answer of a refused invocation, for the driver to send.
    pub(super) fn take_refused(&mut self) -> Option<Yielded> {
        self.refused.pop_front()
    }

    /// How many refused invocations wait for their answer to be sent.
    pub(super) fn refused_backlog(&self) -> usize {
        self.refused.len()
    }

    /// How many invocations run at once (not counting those waiting).
    #[cfg(test)]
    pub(super) fn active(&self) -> usize {
        self.active
    }

    /// Whether any invocation runs (and may answer).
    pub(super) fn any_running(&self) -> bool {
        self.active > 0
    }

    /// Whether invocation `request` still runs (its progressive results go out).
    pub(super) fn is_running(&self, request: Id) -> bool {
        matches!(self.slots.get(&request), Some(Slot::Running(_)))
    }

    /// The invocation answered: it no longer runs. False when it had ended already
    /// (interrupted, or from an ended session): its answer is then dropped.
    #[cfg(test)]
    pub(super) fn finish(&mut self, request: Id) -> bool {
        self.answered(request).is_some()
    }

    /// The invocation answered: it no longer runs; whether it ran or was refused. `None` when
    /// it had ended already (interrupted, or from an ended session): its answer is then
    /// dropped.
    pub(super) fn answered(&mut self, request: Id) -> Option<Answered> {
        let was = match self.slots.remove(&request) {
            Some(Slot::Running(_)) => {
                self.ended();
                Some(Answered::Ran)
            }
            Some(Slot::Refused) => Some(Answered::Refused),
            Some(Slot::Waiting) => {
                // Not possible (it has not started); keep it waiting.
                self.slots.insert(request, Slot::Waiting);
                None
            }
            None => None,
        };
        self.check_drained();
        was
    }

    /// Aborts invocation `request` (or takes it out of the queue); false when it was not
    /// there.
    pub(super) fn interrupt(&mut self, request: Id) -> bool {
        let was = match self.slots.remove(&request) {
            Some(Slot::Running(handle)) => {
                handle.abort();
                self.ended();
                self.metrics.invocation(InvocationOutcome::Interrupted);
                true
            }
            Some(Slot::Waiting) => {
                self.waiting.retain(|(_, i)| {
                    let keep = i.request != request;
                    if !keep {
                        i.span.record("error", error_uri::CANCELED);
                    }
                    keep
                });
                self.metrics.invocation(InvocationOutcome::Interrupted);
                true
            }
            Some(Slot::Refused) => {
                self.refused.retain(|y| y.request != request);
                true
            }
            None => false,
        };
        self.check_drained();
        was
    }

    /// A run ended: it goes to the first invocation waiting.
    fn ended(&mut self) {
        self.active = self.active.saturating_sub(1);
        while self.active < self.limit {
            let Some((handler, invocation)) = self.waiting.pop_front() else {
                break;
            };
            self.slots.remove(&invocation.request);
            self.run(&handler, invocation);
        }
    }

    /// Stops taking invocations; `reply` is answered once none runs.
    pub(super) fn drain(&mut self, reply: oneshot::Sender<()>) {
        self.draining = true;
        self.drain_waiters.push(reply);
        self.check_drained();
    }

    /// Aborts every running invocation (the session is over).
    pub(super) fn abort_all(&mut self) {
        for (_, slot) in self.slots.drain() {
            if let Slot::Running(handle) = slot {
                handle.abort();
            }
        }
        self.active = 0;
        self.waiting.clear();
        self.refused.clear();
        self.check_drained();
    }

    fn check_drained(&mut self) {
        if self.slots.is_empty() {
            for w in self.drain_waiters.drain(..) {
                let _ = w.send(());
            }
        }
    }
}

/// The span of a running invocation until it ends: dropped before [`finished`](Self::finished)
/// (the task was aborted), it records `error = wamp.error.canceled`. Nothing when the span is
/// disabled.
struct Unfinished(Option<tracing::Span>);

impl Unfinished {
    fn finished(mut self) {
        self.0 = None;
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(span) = &self.0 {
            span.record("error", error_uri::CANCELED);
        }
    }
}

/// `handler` as the driver runs it under `options`: with a concurrency limit
/// ([`RegisterOptions::running_limit`]), at most that many of its invocations run at once and
/// the others wait, in arrival order, in a queue of [`RegisterOptions::queue_capacity`]; one
/// beyond that is answered with [`RegisterOptions::QUEUE_FULL_ERROR`] at once. Without a
/// limit, `handler` itself.
pub(crate) fn limit_concurrency(
    handler: Arc<dyn StartInvocation>,
    options: &RegisterOptions,
) -> Arc<dyn StartInvocation> {
    match options.running_limit() {
        None => handler,
        Some(limit) => Arc::new(Limited {
            inner: handler,
            slots: Arc::new(Mutex::new(Slots {
                limit: usize::try_from(limit).unwrap_or(usize::MAX).max(1),
                capacity: options.queue_capacity.max(1),
                running: 0,
                waiting: VecDeque::new(),
            })),
        }),
    }
}

/// A procedure that runs at most `limit` invocations at once.
struct Limited {
    inner: Arc<dyn StartInvocation>,
    slots: Arc<Mutex<Slots>>,
}

/// The runs of a [`Limited`] procedure: how many run, and who waits for a run, in arrival
/// order.
struct Slots {
    limit: usize,
    capacity: usize,
    running: usize,
    /// Each waiting invocation's wake-up; a run is handed over by sending on it.
    waiting: VecDeque<oneshot::Sender<()>>,
}

fn lock(slots: &Mutex<Slots>) -> std::sync::MutexGuard<'_, Slots> {
    slots.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A run ends: it goes to the first invocation still waiting, else it is free.
fn release(slots: &Mutex<Slots>) {
    let mut s = lock(slots);
    while let Some(next) = s.waiting.pop_front() {
        // A waiter whose invocation was interrupted (its receiver dropped) is skipped.
        if next.send(()).is_ok() {
            return;
        }
    }
    s.running = s.running.saturating_sub(1);
}

/// A run held by an invocation, given back when it is dropped (the handler ended, panicked or
/// was aborted).
struct Run(Arc<Mutex<Slots>>);

impl Drop for Run {
    fn drop(&mut self) {
        release(&self.0);
    }
}

/// An invocation waiting for a run.
struct Ticket {
    rx: oneshot::Receiver<()>,
    slots: Arc<Mutex<Slots>>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        // Aborted just after a run was handed over, before taking it: give it back.
        if self.rx.try_recv().is_ok() {
            release(&self.slots);
        }
    }
}

impl StartInvocation for Limited {
    fn start(&self, invocation: StartedInvocation) -> BoxFuture<Result<Payload, WampError>> {
        enum Admission {
            Now(Run),
            Wait(Ticket),
        }
        // Decided here, in the driver, in the order the invocations arrive.
        let admission = {
            let mut s = lock(&self.slots);
            if s.running < s.limit {
                s.running += 1;
                Admission::Now(Run(self.slots.clone()))
            } else {
                s.waiting.retain(|w| !w.is_closed());
                if s.waiting.len() >= s.capacity {
                    let message = format!(
                        "the callee runs {} invocations of this procedure at once and {} more wait",
                        s.limit, s.capacity
                    );
                    drop(s);
                    tracing::warn!(
                        procedure = %invocation.procedure,
                        "invocation refused: its concurrency queue is full"
                    );
                    return Box::pin(async move {
                        Err(WampError::with_message(
                            RegisterOptions::QUEUE_FULL_ERROR,
                            message,
                        ))
                    });
                }
                let (tx, rx) = oneshot::channel();
                s.waiting.push_back(tx);
                Admission::Wait(Ticket {
                    rx,
                    slots: self.slots.clone(),
                })
            }
        };
        let run = self.inner.start(invocation);
        Box::pin(async move {
            let _run = match admission {
                Admission::Now(run) => run,
                Admission::Wait(mut ticket) => match (&mut ticket.rx).await {
                    Ok(()) => Run(ticket.slots.clone()),
                    Err(_) => {
                        return Err(WampError::with_message(
                            error_uri::CANCELED,
                            "the procedure's queue was dropped",
                        ))
                    }
                },
            };
            run.await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A procedure that records the order invocations start in and how many run at once,
    /// and ends each when told.
    struct Probe {
        started: Mutex<Vec<u64>>,
        now: AtomicUsize,
        most: AtomicUsize,
        gate: tokio::sync::Semaphore,
    }

    impl Probe {
        fn new() -> Arc<Probe> {
            Arc::new(Probe {
                started: Mutex::new(Vec::new()),
                now: AtomicUsize::new(0),
                most: AtomicUsize::new(0),
                gate: tokio::sync::Semaphore::new(0),
            })
        }
    }

    struct ProbeHandler(Arc<Probe>);

    impl StartInvocation for ProbeHandler {
        fn start(&self, inv: StartedInvocation) -> BoxFuture<Result<Payload, WampError>> {
            let p = self.0.clone();
            Box::pin(async move {
                lock_vec(&p.started).push(inv.request);
                let n = p.now.fetch_add(1, Ordering::SeqCst) + 1;
                p.most.fetch_max(n, Ordering::SeqCst);
                let permit = p.gate.acquire().await;
                if let Ok(permit) = permit {
                    permit.forget();
                }
                p.now.fetch_sub(1, Ordering::SeqCst);
                Ok(Payload::new())
            })
        }
    }

    fn lock_vec(v: &Mutex<Vec<u64>>) -> std::sync::MutexGuard<'_, Vec<u64>> {
        v.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn invocation(request: Id) -> StartedInvocation {
        StartedInvocation {
            session: None,
            request,
            registration: 1,
            procedure: "com.test.limited".into(),
            payload: Payload::new(),
            details: wamp_core::Dict::new(),
            progress: None,
            span: Default::default(),
        }
    }

    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_limited_procedure_runs_at_most_its_limit_and_starts_the_rest_in_arrival_order() {
        let probe = Probe::new();
        let options = RegisterOptions::default().local_concurrency(2);
        let handler = limit_concurrency(Arc::new(ProbeHandler(probe.clone())), &options);
        let mut invocations = Invocations::new(usize::MAX, 0);
        for request in 1..=6 {
            invocations.start(&handler, invocation(request));
        }
        settle().await;
        assert_eq!(*lock_vec(&probe.started), vec![1, 2]);
        for ended in 1..=6 {
            probe.gate.add_permits(1);
            let y = tokio::time::timeout(Duration::from_secs(5), invocations.rx.recv())
                .await
                .unwrap()
                .unwrap();
            assert!(invocations.finish(y.request));
            settle().await;
            assert!(probe.most.load(Ordering::SeqCst) <= 2, "ended {ended}");
        }
        assert_eq!(*lock_vec(&probe.started), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(probe.most.load(Ordering::SeqCst), 2);
        assert!(!invocations.any_running());
    }

    #[tokio::test]
    async fn an_invocation_beyond_the_queue_is_refused_with_max_concurrency_reached() {
        let probe = Probe::new();
        let options = RegisterOptions::default()
            .local_concurrency(1)
            .queue_capacity(1);
        let handler = limit_concurrency(Arc::new(ProbeHandler(probe.clone())), &options);
        let mut invocations = Invocations::new(usize::MAX, 0);
        for request in 1..=3 {
            invocations.start(&handler, invocation(request));
        }
        let y = tokio::time::timeout(Duration::from_secs(5), invocations.rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(y.request, 3);
        let e = y.result.unwrap_err();
        assert_eq!(e.uri, "crossbar.error.max_concurrency_reached");
        probe.gate.add_permits(2);
        for want in [1, 2] {
            let y = tokio::time::timeout(Duration::from_secs(5), invocations.rx.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(y.request, want);
            assert!(y.result.is_ok());
        }
    }

    #[tokio::test]
    async fn an_interrupted_waiting_invocation_gives_its_place_to_the_next() {
        let probe = Probe::new();
        let options = RegisterOptions::default().concurrency(1);
        let handler = limit_concurrency(Arc::new(ProbeHandler(probe.clone())), &options);
        let mut invocations = Invocations::new(usize::MAX, 0);
        for request in 1..=3 {
            invocations.start(&handler, invocation(request));
        }
        settle().await;
        // The waiting one goes, then the running one: the last starts.
        assert!(invocations.interrupt(2));
        assert!(invocations.interrupt(1));
        settle().await;
        assert_eq!(*lock_vec(&probe.started), vec![1, 3]);
        probe.gate.add_permits(1);
        let y = tokio::time::timeout(Duration::from_secs(5), invocations.rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(y.request, 3);
    }

    #[test]
    fn a_registration_without_a_limit_runs_its_handler_as_is() {
        let probe = Probe::new();
        let handler: Arc<dyn StartInvocation> = Arc::new(ProbeHandler(probe));
        let same = limit_concurrency(handler.clone(), &RegisterOptions::default());
        assert!(Arc::ptr_eq(&handler, &same));
    }

    #[tokio::test]
    async fn a_session_runs_at_most_its_limit_queues_the_next_in_order_and_refuses_beyond() {
        let probe = Probe::new();
        let handler: Arc<dyn StartInvocation> = Arc::new(ProbeHandler(probe.clone()));
        let mut invocations = Invocations::new(2, 3);
        for request in 1..=8 {
            invocations.start(&handler, invocation(request));
        }
        settle().await;
        assert_eq!(*lock_vec(&probe.started), vec![1, 2]);
        assert_eq!(invocations.active(), 2);
        // 3, 4 and 5 wait; 6, 7 and 8 are refused with wamp.error.unavailable.
        let refused: Vec<_> = std::iter::from_fn(|| invocations.take_refused()).collect();
        assert_eq!(
            refused.iter().map(|y| y.request).collect::<Vec<_>>(),
            [6, 7, 8]
        );
        for y in &refused {
            assert_eq!(y.result.as_ref().unwrap_err().uri, "wamp.error.unavailable");
            assert!(
                invocations.finish(y.request),
                "a refused invocation is answered"
            );
        }
        // An interrupted waiting invocation never starts.
        assert!(invocations.interrupt(4));
        for _ in 0..4 {
            probe.gate.add_permits(1);
            let y = tokio::time::timeout(Duration::from_secs(5), invocations.rx.recv())
                .await
                .unwrap()
                .unwrap();
            assert!(invocations.finish(y.request));
            settle().await;
            assert!(invocations.active() <= 2);
        }
        assert_eq!(*lock_vec(&probe.started), vec![1, 2, 3, 5]);
        assert_eq!(probe.most.load(Ordering::SeqCst), 2);
        assert!(!invocations.any_running());
        let (tx, mut rx) = oneshot::channel();
        invocations.drain(tx);
        assert!(rx.try_recv().is_ok(), "nothing runs or waits");
    }

    #[tokio::test]
    async fn a_session_without_a_queue_refuses_at_once_beyond_its_limit() {
        let probe = Probe::new();
        let handler: Arc<dyn StartInvocation> = Arc::new(ProbeHandler(probe.clone()));
        let mut invocations = Invocations::new(1, 0);
        invocations.start(&handler, invocation(1));
        invocations.start(&handler, invocation(2));
        assert_eq!(invocations.refused_backlog(), 1);
        assert_eq!(invocations.take_refused().map(|y| y.request), Some(2));
        invocations.abort_all();
        assert!(!invocations.any_running());
    }
}
