//! The routing tables of a session: procedures by registration, event sinks by
//! subscription (several local subscriptions may share one), what an acknowledgement will
//! make live, and pending calls by the key their handle knows them by.

use std::sync::Arc;

use wamp_core::id::{IdMap, PeerIdMap};
use wamp_core::value::{Dict, Str, Value};
use wamp_core::Id;

use crate::link::{EventSink, StartInvocation};
use crate::observe::{SessionMetrics, Stamp};
use crate::payload::{Event, Payload};

/// What a request makes live once the router acknowledges it.
enum Promote {
    Procedure {
        procedure: Str,
        handler: Arc<dyn StartInvocation>,
    },
    Subscription {
        topic: Str,
        local: u64,
        sink: EventSink,
    },
}

/// The local subscriptions sharing one router subscription.
struct Subscribed {
    topic: Str,
    sinks: Vec<(u64, EventSink)>,
}

/// The routing tables. Those keyed by ids the router chooses are keyed-hashed.
#[derive(Default)]
pub(super) struct Routes {
    /// Registered procedures (the URI or pattern, the handler), by registration id.
    procedures: PeerIdMap<(Str, Arc<dyn StartInvocation>)>,
    /// Local subscriptions, by subscription id.
    subscriptions: PeerIdMap<Subscribed>,
    /// What an acknowledgement will make live, by request id.
    promote: IdMap<Promote>,
    /// Pending calls, by the key their handle knows them by: the request, and when it was
    /// sent (with the `metrics` feature).
    calls: IdMap<(Id, Stamp)>,
    /// The session's metrics (set when it joins).
    pub(super) metrics: SessionMetrics,
}

impl Routes {
    /// Forgets everything (the session is over: dropping the sinks ends the event streams).
    pub(super) fn clear(&mut self) {
        self.procedures.clear();
        self.subscriptions.clear();
        self.promote.clear();
        self.calls.clear();
    }

    /// A call went out as `request` at `sent`.
    pub(super) fn call_sent(&mut self, key: u64, request: Id, sent: Stamp) {
        self.calls.insert(key, (request, sent));
    }

    /// The request of the pending call `key`.
    pub(super) fn call(&self, key: u64) -> Option<Id> {
        self.calls.get(&key).map(|(request, _)| *request)
    }

    /// Call `key` has its answer (or was given up): when it was sent.
    pub(super) fn call_ended(&mut self, key: u64) -> Stamp {
        self.calls
            .remove(&key)
            .map(|(_, sent)| sent)
            .unwrap_or_default()
    }

    /// REGISTER went out as `request`: `handler` serves `procedure` once acknowledged.
    pub(super) fn expect_registered(
        &mut self,
        request: Id,
        procedure: Str,
        handler: Arc<dyn StartInvocation>,
    ) {
        self.promote
            .insert(request, Promote::Procedure { procedure, handler });
    }

    /// SUBSCRIBE went out as `request`: `sink` gets the events once acknowledged.
    pub(super) fn expect_subscribed(
        &mut self,
        request: Id,
        topic: Str,
        local: u64,
        sink: EventSink,
    ) {
        self.promote
            .insert(request, Promote::Subscription { topic, local, sink });
    }

    /// Request `request` failed: what it would have made live is dropped.
    pub(super) fn not_acknowledged(&mut self, request: Id) {
        self.promote.remove(&request);
    }

    /// The procedure of a registration: its URI or pattern and its handler.
    pub(super) fn procedure(&self, registration: Id) -> Option<&(Str, Arc<dyn StartInvocation>)> {
        self.procedures.get(&registration)
    }

    /// A registration is gone (unregistered here, or revoked by the router).
    pub(super) fn unregistered(&mut self, registration: Id) {
        self.procedures.remove(&registration);
    }

    /// Removes one local subscription; true when it was the last of its subscription (the
    /// router must then be told).
    pub(super) fn unsubscribed(&mut self, subscription: Id, local: u64) -> bool {
        let last = match self.subscriptions.get_mut(&subscription) {
            Some(s) => {
                s.sinks.retain(|(l, _)| *l != local);
                s.sinks.is_empty()
            }
            None => false,
        };
        if last {
            self.subscriptions.remove(&subscription);
        }
        last
    }

    /// The topic of a subscription.
    pub(super) fn subscription_topic(&self, subscription: Id) -> Option<&Str> {
        self.subscriptions.get(&subscription).map(|s| &s.topic)
    }

    /// A subscription revoked by the router: its streams end.
    pub(super) fn revoked(&mut self, subscription: Id) {
        self.subscriptions.remove(&subscription);
    }

    /// An acknowledged registration or subscription: its handler or sink goes live.
    pub(super) fn promote(&mut self, request: Id, id: Id) {
        match self.promote.remove(&request) {
            Some(Promote::Procedure { procedure, handler }) => {
                self.procedures.insert(id, (procedure, handler));
            }
            Some(Promote::Subscription { topic, local, sink }) => {
                self.subscriptions
                    .entry(id)
                    .or_insert_with(|| Subscribed {
                        topic,
                        sinks: Vec::new(),
                    })
                    .sinks
                    .push((local, sink));
            }
            None => {}
        }
    }

    /// Hands an event to every local subscription of its subscription.
    pub(super) fn deliver(
        &mut self,
        subscription: Id,
        publication: Id,
        details: Dict,
        payload: Payload,
    ) {
        let Some(subscribed) = self.subscriptions.get_mut(&subscription) else {
            tracing::debug!(subscription, "event for a subscription being removed");
            return;
        };
        let topic = details
            .get("topic")
            .and_then(Value::as_str)
            .unwrap_or(&subscribed.topic)
            .to_owned();
        let mut event = Some(Event {
            subscription,
            publication,
            topic,
            payload,
            details,
        });
        let n = subscribed.sinks.len();
        for (i, (_, sink)) in subscribed.sinks.iter().enumerate() {
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
}
