//! What passes between the session handles and the driver: what the handles of a session
//! share, the commands, the waiters that carry each request's answer back (one oneshot per
//! request), where events and progressive results go, and how the driver starts an
//! invocation. Plain plumbing: no IO, no handler types, so that the driver knows nothing of
//! session handles and handlers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use wamp_core::session::{CancelMode, CloseDetails, SessionDetails};
use wamp_core::value::{Dict, Str};
use wamp_core::{Id, WampError};

use crate::error::{CallError, Refusal, SessionError};
use crate::observe::{EventMetrics, OpSpan};
use crate::payload::{CallResult, Event, Payload};
use crate::queue;

/// What every handle of one session shares: a [`Session`](crate::Session) is an `Arc` of it.
/// The driver makes it when the session joins and keeps only a `Weak` of it (handed to the
/// invocations it starts), so the session ends once no handle holds it.
pub(crate) struct SessionShared {
    pub(crate) commands: queue::Sender<Command>,
    pub(crate) details: SessionDetails,
    pub(crate) closed: watch::Receiver<Option<CloseDetails>>,
    /// The timeout of calls that do not set their own.
    pub(crate) call_timeout: Option<Duration>,
    /// Keys of calls (to cancel them) and of local subscriptions.
    pub(crate) keys: AtomicU64,
    /// The registrations and subscriptions the router revokes (see `Session::revocations`).
    pub(crate) revocations: tokio::sync::broadcast::Sender<crate::revocation::Revocation>,
    /// Closed while a queue with the `Pause` policy is full: the driver then stops reading.
    pub(crate) gate: Arc<queue::Gate>,
}

impl std::fmt::Debug for SessionShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionShared")
            .field("session", &self.details.session)
            .finish_non_exhaustive()
    }
}

/// A boxed future, as handlers return.
pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;

/// A command from a session handle.
pub(crate) enum Command {
    Call {
        procedure: Str,
        options: Dict,
        payload: Payload,
        waiter: CallWaiter,
    },
    /// Cancel the call made with `key`: explicitly (`abandon` false: its answer still comes),
    /// or because its caller went away (`abandon` true).
    Cancel {
        key: u64,
        mode: CancelMode,
        abandon: bool,
    },
    Register {
        procedure: Str,
        options: Dict,
        handler: Arc<dyn StartInvocation>,
        reply: AckSender,
    },
    Unregister {
        registration: Id,
        reply: AckSender,
    },
    Subscribe {
        topic: Str,
        options: Dict,
        local: u64,
        sink: EventSink,
        reply: AckSender,
    },
    /// Removes one local subscription; the router hears of it when it was the last one on
    /// its subscription. Without a reply when a stream was dropped.
    Unsubscribe {
        subscription: Id,
        local: u64,
        reply: Option<AckSender>,
    },
    Publish {
        topic: Str,
        options: Dict,
        payload: Payload,
        /// Where the acknowledgement goes; `None` for a publication without one.
        reply: Option<AckSender>,
        /// The publication's span (none unless a subscriber wants it): the driver records
        /// the request id in it.
        span: OpSpan,
    },
    /// Stop taking invocations; answer when none is running.
    Drain {
        reply: oneshot::Sender<()>,
    },
    Leave {
        reason: String,
        message: Option<String>,
        reply: oneshot::Sender<Result<CloseDetails, SessionError>>,
    },
}

/// Where the answer to a request other than a call goes: the id the router gave (the
/// registration, subscription or publication; for a removal, the id removed).
pub(crate) type AckSender = oneshot::Sender<Result<Id, Refusal>>;

/// What the driver keeps with a pending call.
#[derive(Debug)]
pub(crate) struct CallWaiter {
    pub(crate) reply: oneshot::Sender<Result<CallResult, CallError>>,
    /// Where progressive results go, when they were asked for (boxed: a waiter, and so a
    /// call's command, stays small).
    pub(crate) progress: Option<Box<ProgressResults>>,
    /// The key the caller's handle knows the call by (to cancel it).
    pub(crate) key: u64,
    /// The call's span (none unless a subscriber wants it): the driver records the request
    /// id in it, and why the call failed; it ends when the waiter is dropped, with the answer.
    pub(crate) span: OpSpan,
}

/// Progressive results of one call on their way to the caller: a bounded queue with an
/// overflow policy; results dropped are counted (logged once per episode).
#[derive(Debug)]
pub(crate) struct ProgressResults {
    pub(crate) tx: queue::DeliverySender<CallResult>,
    pub(crate) dropped: DropCounter,
}

impl ProgressResults {
    /// A queue of `capacity` progressive results that does `full` when full, and its reader.
    pub(crate) fn new(
        capacity: usize,
        full: queue::Full,
    ) -> (ProgressResults, queue::DeliveryReceiver<CallResult>) {
        let (tx, rx) = queue::delivery(capacity, full);
        let results = ProgressResults {
            tx,
            dropped: DropCounter::default(),
        };
        (results, rx)
    }

    pub(crate) fn deliver(&self, result: CallResult) {
        match self.tx.deliver(result) {
            queue::Delivered::Queued => self.dropped.delivered(),
            queue::Delivered::Dropped(_) => self.dropped.dropped(
                "progressive results",
                "the caller is not reading them fast enough",
            ),
            queue::Delivered::Closed(_) => {}
        }
    }
}

/// Where the events of one local subscription go: a bounded queue with an overflow policy;
/// events dropped are counted (logged once per episode).
#[derive(Debug)]
pub(crate) struct EventSink {
    pub(crate) tx: queue::DeliverySender<Event>,
    pub(crate) dropped: DropCounter,
    /// The session's event counters (with the `metrics` feature).
    pub(crate) metrics: EventMetrics,
}

impl EventSink {
    /// Delivers one event; false once the receiving side is gone.
    pub(crate) fn deliver(&self, event: Event) -> bool {
        match self.tx.deliver(event) {
            queue::Delivered::Queued => {
                self.metrics.delivered();
                self.dropped.delivered();
                true
            }
            queue::Delivered::Dropped(e) => {
                self.metrics.delivered();
                self.metrics.dropped();
                self.dropped.dropped_event(e.subscription, &e.topic);
                true
            }
            queue::Delivered::Closed(_) => false,
        }
    }
}

/// Counts what a bounded queue had to drop, and logs once per episode: when dropping starts,
/// not for every message dropped (an episode ends with the next message delivered).
#[derive(Debug, Clone, Default)]
pub(crate) struct DropCounter {
    inner: Arc<DropCounterInner>,
}

#[derive(Debug, Default)]
struct DropCounterInner {
    count: AtomicU64,
    in_episode: AtomicBool,
}

impl DropCounter {
    /// How many were dropped so far.
    pub(crate) fn count(&self) -> u64 {
        self.inner.count.load(Ordering::Relaxed)
    }

    /// The shared counter, for a handle to read.
    pub(crate) fn share(&self) -> DropCounter {
        self.clone()
    }

    fn delivered(&self) {
        if self.inner.in_episode.load(Ordering::Relaxed) {
            self.inner.in_episode.store(false, Ordering::Relaxed);
        }
    }

    /// Counts one drop; true when it starts an episode (and should be logged).
    fn count_drop(&self) -> bool {
        self.inner.count.fetch_add(1, Ordering::Relaxed);
        !self.inner.in_episode.swap(true, Ordering::Relaxed)
    }

    fn dropped_event(&self, subscription: Id, topic: &str) {
        if self.count_drop() {
            tracing::warn!(
                subscription,
                topic,
                dropped = self.count(),
                "event queue full: events are dropped until the handler catches up"
            );
        }
    }

    pub(crate) fn dropped(&self, what: &'static str, why: &'static str) {
        if self.count_drop() {
            tracing::warn!(
                what,
                dropped = self.count(),
                "{why}; dropping until it catches up"
            );
        }
    }
}

/// One invocation as the driver starts it: no handler types.
#[derive(Debug)]
pub(crate) struct StartedInvocation {
    /// The session it came through (none once every handle is gone).
    pub(crate) session: Option<Arc<SessionShared>>,
    pub(crate) request: Id,
    pub(crate) registration: Id,
    /// The procedure URI called (for pattern-based registrations the concrete URI).
    pub(crate) procedure: String,
    pub(crate) payload: Payload,
    pub(crate) details: Dict,
    /// Where progressive results go, when the caller asked for them.
    pub(crate) progress: Option<ProgressSink>,
    /// The invocation's span (none unless a subscriber wants it): its handler runs in it.
    pub(crate) span: OpSpan,
}

/// How the driver runs an invocation: what a registered procedure is to the driver (the
/// handler layer implements it).
pub(crate) trait StartInvocation: Send + Sync + 'static {
    /// The handler's future; the driver runs it on a task of its own.
    fn start(&self, invocation: StartedInvocation) -> BoxFuture<Result<Payload, WampError>>;
}

/// An answer of a running invocation, on its way to the driver.
#[derive(Debug)]
pub(crate) struct Yielded {
    pub(crate) request: Id,
    pub(crate) result: Result<Payload, WampError>,
    /// A progressive result: the invocation goes on.
    pub(crate) progress: bool,
}

/// Where a running invocation sends its progressive results.
#[derive(Debug, Clone)]
pub(crate) struct ProgressSink {
    pub(crate) request: Id,
    pub(crate) tx: mpsc::Sender<Yielded>,
    pub(crate) dropped: DropCounter,
}

impl ProgressSink {
    /// Sends one progressive result; false once the invocation has ended or when the session
    /// cannot keep up (the result is then dropped and counted).
    pub(crate) fn send(&self, payload: Payload) -> bool {
        let y = Yielded {
            request: self.request,
            result: Ok(payload),
            progress: true,
        };
        match self.tx.try_send(y) {
            Ok(()) => {
                self.dropped.delivered();
                true
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped.dropped(
                    "progressive results",
                    "the session cannot send progressive results as fast as they come",
                );
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_command_stays_within_128_bytes_so_that_moving_it_needs_no_memcpy() {
        // Moving a larger command through the queue costs every call two `memcpy` calls.
        assert!(std::mem::size_of::<Command>() <= 128);
    }

    #[test]
    fn a_drop_counter_logs_once_per_episode_and_counts_every_drop() {
        let c = DropCounter::default();
        assert!(c.count_drop(), "the first drop starts an episode");
        assert!(!c.count_drop());
        assert!(!c.count_drop());
        c.delivered();
        assert!(c.count_drop(), "a delivery ends the episode");
        assert!(!c.count_drop());
        assert_eq!(c.share().count(), 5);
    }
}
