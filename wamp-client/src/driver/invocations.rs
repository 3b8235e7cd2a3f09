//! Running invocations: each on a task of its own (a panic becomes
//! `wamp.error.runtime_error`), their progressive and final answers on their way back, an
//! INTERRUPT (or the invocation's own timeout) aborting them, and the drain of a stop.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;
use wamp_core::id::PeerIdMap;
use wamp_core::uri::error_uri;
use wamp_core::{Id, WampError};

use crate::link::{DropCounter, ProgressSink, StartInvocation, StartedInvocation, Yielded};

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
