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
use crate::options::RegisterOptions;
use crate::payload::Payload;

/// How many answers of running invocations may wait for the driver: progressive results
/// beyond it are dropped and counted, final ones wait (in the handler's task).
const YIELD_QUEUE: usize = 4096;

pub(super) struct Invocations {
    /// By the invocation request ids the router chose (keyed-hashed).
    running: PeerIdMap<AbortHandle>,
    tx: mpsc::Sender<Yielded>,
    pub(super) rx: mpsc::Receiver<Yielded>,
    dropped_progress: DropCounter,
    /// Set by a drain: new invocations are refused.
    draining: bool,
    /// Who waits for the running invocations to end.
    drain_waiters: Vec<oneshot::Sender<()>>,
}

impl Invocations {
    pub(super) fn new() -> Self {
        let (tx, rx) = mpsc::channel(YIELD_QUEUE);
        Invocations {
            running: PeerIdMap::default(),
            tx,
            rx,
            dropped_progress: DropCounter::default(),
            draining: false,
            drain_waiters: Vec::new(),
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

    /// Runs `invocation` with `handler` on a task of its own.
    pub(super) fn start(
        &mut self,
        handler: &Arc<dyn StartInvocation>,
        invocation: StartedInvocation,
    ) {
        let request = invocation.request;
        let fut = handler.start(invocation);
        let tx = self.tx.clone();
        let task = tokio::spawn(async move {
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
            let _ = tx
                .send(Yielded {
                    request,
                    result,
                    progress: false,
                })
                .await;
        });
        self.running.insert(request, task.abort_handle());
    }

    /// Whether any invocation runs (and may answer).
    pub(super) fn any_running(&self) -> bool {
        !self.running.is_empty()
    }

    /// Whether invocation `request` still runs (its progressive results go out).
    pub(super) fn is_running(&self, request: Id) -> bool {
        self.running.contains_key(&request)
    }

    /// The invocation answered: it no longer runs. False when it had ended already
    /// (interrupted, or from an ended session): its answer is then dropped.
    pub(super) fn finish(&mut self, request: Id) -> bool {
        let was = self.running.remove(&request).is_some();
        self.check_drained();
        was
    }

    /// Aborts invocation `request`; false when it was not running.
    pub(super) fn interrupt(&mut self, request: Id) -> bool {
        match self.running.remove(&request) {
            Some(handle) => {
                handle.abort();
                self.check_drained();
                true
            }
            None => false,
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
        for (_, handle) in self.running.drain() {
            handle.abort();
        }
        self.check_drained();
    }

    fn check_drained(&mut self) {
        if self.running.is_empty() {
            for w in self.drain_waiters.drain(..) {
                let _ = w.send(());
            }
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
        let mut invocations = Invocations::new();
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
        let mut invocations = Invocations::new();
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
        let mut invocations = Invocations::new();
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
}
