//! Durable streams: a component's subscription read as a stream that carries on across
//! sessions ([`DurableStream`]), aiocometd's message iteration across reconnects.
//!
//! A durable stream is a declared subscription like any other: the supervisor subscribes it on
//! every new session (and again when the router revokes it), before the component is ready.
//! Each session's subscription is an [`EventStream`] (its bounded queue, its drop counter, its
//! unsubscribe on drop); the supervisor hands each one to the durable stream ([`StreamFeed`]),
//! which reads them one after the other and says where one ended and events may be missing
//! ([`StreamItem::Gap`]).

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use futures_util::Stream;
use wamp_core::session::{CloseDetails, CloseInitiator};
use wamp_core::uri::close_uri;
use wamp_core::Id;

use crate::payload::Event;
use crate::revocation::Revocation;
use crate::session::registration::EventStream;

/// One item of a [`DurableStream`]: an event, or the mark of a gap.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StreamItem {
    /// An event of the subscription.
    Event(Event),
    /// The subscription was lost while the stream was subscribed: events published between
    /// the event before this mark and the first one after it may be missing. Comes once per
    /// loss, as soon as it is known (the events of the lost subscription read first), and
    /// the stream goes on with the next session's events.
    Gap {
        /// The session whose subscription was lost.
        session: Id,
        /// Why it was lost.
        cause: GapCause,
    },
}

impl StreamItem {
    /// The event, if this is one.
    pub fn into_event(self) -> Option<Event> {
        match self {
            StreamItem::Event(e) => Some(e),
            StreamItem::Gap { .. } => None,
        }
    }

    /// Whether this marks a gap.
    pub fn is_gap(&self) -> bool {
        matches!(self, StreamItem::Gap { .. })
    }
}

/// Why a [`DurableStream`]'s subscription was lost ([`StreamItem::Gap`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum GapCause {
    /// The session ended (the router or the transport went away, or the router ended it);
    /// the component reconnects and subscribes again.
    SessionLost(CloseDetails),
    /// The router revoked the subscription; the component subscribes again on the same
    /// session.
    Revoked(Revocation),
}

/// A component's subscription as a stream of events that goes on across sessions: from
/// [`ComponentBuilder::subscription_stream`](super::ComponentBuilder::subscription_stream)
/// (or [`Declaration::stream`](super::Declaration::stream)), before the component is built.
///
/// - It is subscribed on every session of the component, before the component is ready, and
///   again when the router revokes it.
/// - Where a subscription was lost (the session ended, or the router revoked it), it gives
///   one [`StreamItem::Gap`]: events may be missing there.
/// - It ends (`None`) once the component has ended (stopped, finished, failed) and its
///   last events were read, or when the component is dropped without having been started.
/// - Dropping it unsubscribes (even when the session's command queue is full), and the
///   component no longer subscribes it on new sessions.
/// - Its queue is bounded by the subscription's
///   [`queue_capacity`](crate::SubscribeOptions::queue_capacity), per session, and what
///   happens beyond it is the subscription's [`overflow`](crate::SubscribeOptions::overflow)
///   policy: events dropped (the newest or the oldest) are counted
///   ([`dropped`](Self::dropped)); with [`Overflow::Pause`](crate::Overflow::Pause) the
///   session stops reading until the stream is read. While the events of a lost session are
///   still being read, the next session's wait in a queue of their own; a session's events
///   not yet read when the one after it is subscribed are dropped and counted, with a gap.
///
/// A component started more than once feeds its streams from its first start only.
///
/// ```no_run
/// use wamp_client::{Component, StreamItem, SubscribeOptions};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let (builder, mut ticks) = Component::builder()
///     .transport("ws://127.0.0.1:8080/ws")
///     .realm("realm1")
///     .subscription_stream("com.example.tick", SubscribeOptions::default());
/// let handle = builder.build()?.start();
/// while let Some(item) = ticks.next().await {
///     match item {
///         StreamItem::Event(event) => println!("tick {:?}", event.payload.args),
///         StreamItem::Gap { cause, .. } => println!("reconnecting ({cause:?}); ticks may be missing"),
///         _ => {}
///     }
/// }
/// // The component has ended.
/// handle.wait().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct DurableStream {
    shared: Arc<Shared>,
    /// The session's events being read.
    current: Option<Segment>,
    /// A subscription ended (its events all read) and no gap was given for it yet.
    interrupted: bool,
    /// Events dropped by the subscriptions already read to their end.
    dropped_before: u64,
}

/// The events of one subscription, on one session.
#[derive(Debug)]
struct Segment {
    session: Id,
    events: EventStream,
}

/// What the stream and the supervisor share: the next session's events, the latest loss,
/// whether the component has ended or the consumer has gone.
#[derive(Debug, Default)]
struct Shared {
    slot: Mutex<Slot>,
    waker: AtomicWaker,
}

#[derive(Debug, Default)]
struct Slot {
    /// The events of the latest subscription, not yet read.
    next: Option<Segment>,
    /// The session of the latest subscription, until it is lost.
    subscribed: Option<Id>,
    /// A loss not yet told to the consumer.
    lost: Option<(Id, GapCause)>,
    /// A subscription's events were dropped unread (the next one replaced them).
    skipped: bool,
    /// Events dropped with the subscriptions replaced unread.
    dropped_unread: u64,
    /// The component has ended: no more subscriptions.
    ended: bool,
    /// The consumer dropped the stream.
    closed: bool,
    /// The supervisor that feeds the stream (0: none yet).
    owner: u64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Nothing panics while the lock is held; recover the state if it ever did.
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl DurableStream {
    /// A stream and the feed the component keeps.
    pub(crate) fn new() -> (DurableStream, StreamFeed) {
        let feed = StreamFeed {
            shared: Arc::new(Shared::default()),
        };
        let stream = DurableStream {
            shared: feed.shared.clone(),
            current: None,
            interrupted: false,
            dropped_before: 0,
        };
        (stream, feed)
    }

    /// The next event or gap; `None` once the component has ended and every event was read.
    pub async fn next(&mut self) -> Option<StreamItem> {
        futures_util::StreamExt::next(self).await
    }

    /// How many events wait in the stream.
    pub fn pending(&self) -> usize {
        let next = self
            .shared
            .lock()
            .next
            .as_ref()
            .map_or(0, |s| s.events.pending());
        next + self.current.as_ref().map_or(0, |s| s.events.pending())
    }

    /// How many events were dropped, over every session, because the stream was not read
    /// fast enough (see [`SubscribeOptions::overflow`](crate::SubscribeOptions::overflow)), or
    /// were left unread when a later session's subscription replaced them.
    pub fn dropped(&self) -> u64 {
        let slot = self.shared.lock();
        let next = slot.next.as_ref().map_or(0, |s| s.events.dropped());
        self.dropped_before
            + slot.dropped_unread
            + next
            + self.current.as_ref().map_or(0, |s| s.events.dropped())
    }

    /// The session whose events the stream is reading, if any.
    pub fn session(&self) -> Option<Id> {
        self.current.as_ref().map(|s| s.session)
    }

    /// Reads the current segment to its end.
    fn poll_current(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let Some(segment) = self.current.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(&mut segment.events).poll_next(cx) {
            Poll::Ready(Some(event)) => Poll::Ready(Some(event)),
            Poll::Ready(None) => {
                self.finish_current();
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn finish_current(&mut self) {
        if let Some(segment) = self.current.take() {
            self.dropped_before += segment.events.dropped() + segment.events.pending() as u64;
            self.interrupted = true;
        }
    }
}

impl Stream for DurableStream {
    type Item = StreamItem;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamItem>> {
        let this = self.get_mut();
        loop {
            if this.current.is_some() {
                match this.poll_current(cx) {
                    Poll::Ready(Some(event)) => return Poll::Ready(Some(StreamItem::Event(event))),
                    Poll::Ready(None) => {}
                    Poll::Pending => {
                        // A newer subscription makes this one stale (its session's end not
                        // seen yet): go on with the newer one.
                        this.shared.waker.register(cx.waker());
                        if this.shared.lock().next.is_none() {
                            return Poll::Pending;
                        }
                        this.finish_current();
                    }
                }
            }
            this.shared.waker.register(cx.waker());
            let mut slot = this.shared.lock();
            if let Some(next) = slot.next.take() {
                let gap = this.interrupted || slot.skipped;
                let lost = slot.lost.take();
                slot.skipped = false;
                drop(slot);
                this.interrupted = false;
                let previous = this.current.replace(next);
                debug_assert!(previous.is_none());
                if gap {
                    let (session, cause) = lost.unwrap_or_else(unknown_loss);
                    return Poll::Ready(Some(StreamItem::Gap { session, cause }));
                }
                continue;
            }
            if this.interrupted {
                if let Some((session, cause)) = slot.lost.take() {
                    this.interrupted = false;
                    return Poll::Ready(Some(StreamItem::Gap { session, cause }));
                }
            }
            if slot.ended {
                return Poll::Ready(None);
            }
            return Poll::Pending;
        }
    }
}

/// A gap whose cause was not recorded (never expected: every loss is recorded before the
/// next subscription is handed over).
fn unknown_loss() -> (Id, GapCause) {
    (
        0,
        GapCause::SessionLost(CloseDetails {
            reason: close_uri::TRANSPORT_LOST.to_owned(),
            message: None,
            initiator: CloseInitiator::Transport,
        }),
    )
}

impl Drop for DurableStream {
    fn drop(&mut self) {
        let next = {
            let mut slot = self.shared.lock();
            slot.closed = true;
            slot.next.take()
        };
        // Each session's stream unsubscribes as it drops, queued even past a full command
        // queue; the supervisor no longer subscribes a closed stream, and drops (so
        // unsubscribes) one it subscribed while this ran.
        drop(next);
        drop(self.current.take());
    }
}

/// The supervisor's side of a [`DurableStream`]: it hands over each session's events and
/// tells of losses and of the component's end. Dropping it (the component is gone) ends the
/// stream.
#[derive(Debug)]
pub(crate) struct StreamFeed {
    shared: Arc<Shared>,
}

impl StreamFeed {
    /// Makes `owner` the supervisor feeding the stream, unless another one already is; true
    /// when `owner` feeds it.
    pub(crate) fn claim(&self, owner: u64) -> bool {
        let mut slot = self.shared.lock();
        if slot.owner == 0 {
            slot.owner = owner;
        }
        slot.owner == owner
    }

    /// Whether `owner` should subscribe the stream: it feeds it, and the consumer is there.
    pub(crate) fn wanted_by(&self, owner: u64) -> bool {
        let slot = self.shared.lock();
        slot.owner == owner && !slot.closed && !slot.ended
    }

    /// Hands over the events of a new subscription on `session`; gives them back when the
    /// stream no longer wants them (its consumer has gone: dropping them unsubscribes).
    pub(crate) fn attach(
        &self,
        owner: u64,
        session: Id,
        events: EventStream,
    ) -> Result<(), EventStream> {
        let mut slot = self.shared.lock();
        if slot.owner != owner || slot.closed || slot.ended {
            return Err(events);
        }
        let replaced = slot.next.replace(Segment { session, events });
        slot.subscribed = Some(session);
        if let Some(old) = &replaced {
            slot.dropped_unread += old.events.dropped() + old.events.pending() as u64;
            slot.skipped = true;
        }
        drop(slot);
        drop(replaced);
        self.shared.waker.wake();
        Ok(())
    }

    /// The subscription on `session` is lost (the session ended, or the router revoked it):
    /// the consumer is told by a gap once it has read its events.
    pub(crate) fn lost(&self, owner: u64, session: Id, cause: GapCause) {
        let mut slot = self.shared.lock();
        if slot.owner != owner || slot.subscribed != Some(session) {
            return;
        }
        slot.subscribed = None;
        slot.lost = Some((session, cause));
        drop(slot);
        self.shared.waker.wake();
    }

    /// The component fed by `owner` has ended: once its events are read, the stream ends.
    pub(crate) fn end(&self, owner: u64) {
        let mut slot = self.shared.lock();
        if slot.owner == owner {
            slot.ended = true;
        }
        drop(slot);
        self.shared.waker.wake();
    }
}

impl Drop for StreamFeed {
    fn drop(&mut self) {
        // The component is gone (or was never built): nothing will feed the stream.
        self.shared.lock().ended = true;
        self.shared.waker.wake();
    }
}
