//! Requests and what comes back: the handles' commands fed to the core, each answer sent to
//! the one waiter of its request, the handlers and event sinks promoted into the routing
//! tables ([`Routes`](super::routes::Routes)) when REGISTERED or SUBSCRIBED arrives, and
//! invocations started and answered.

use std::time::Instant;

use tokio::sync::oneshot;
use wamp_core::session::{CallFailure, Phase, Refused, SessionEvent, Waiter};
use wamp_core::uri::error_uri;
use wamp_core::value::{Dict, Str, Value};
use wamp_core::{Id, WampError};

use super::invocations::Answered;
use super::Driver;
use crate::error::{CallError, Refusal, SessionError};
use crate::link::{AckSender, CallWaiter, Command, StartedInvocation, Yielded};
use crate::observe::{self, InvocationOutcome, Stamp};
use crate::payload::{CallResult, Payload};

fn call_error(failure: CallFailure) -> CallError {
    match failure {
        CallFailure::Error(e) => CallError::Application(e),
        CallFailure::Lost(d) => CallError::Session(SessionError::Lost(d)),
        CallFailure::Timeout(d) => CallError::Timeout(d),
        CallFailure::Canceled => CallError::Canceled,
    }
}

impl Driver {
    pub(super) fn on_command(&mut self, now: Instant, cmd: Command) {
        match cmd {
            Command::Call {
                procedure,
                options,
                payload,
                waiter,
            } => {
                if waiter.reply.is_closed() {
                    return; // dropped by its caller before it was sent: never sent
                }
                let key = waiter.key;
                let traced = waiter.span.get().is_some();
                match self.core.call(
                    now,
                    procedure,
                    options,
                    payload.args,
                    payload.kwargs,
                    waiter,
                ) {
                    Ok(request) => {
                        if traced {
                            if let Some(w) = self.core.call_waiter_mut(request) {
                                w.span.record("request", request);
                            }
                        }
                        self.routes.metrics.call_sent();
                        self.routes.call_sent(key, request, Stamp::at(now));
                    }
                    Err(Refused { waiter, .. }) => {
                        self.routes.metrics.call_failed("not_sent");
                        let e = SessionError::NotJoined;
                        waiter.span.record("error", observe::session_error_uri(&e));
                        let _ = waiter.reply.send(Err(e.into()));
                    }
                }
            }
            Command::Cancel { key, mode, abandon } => {
                let Some(request) = self.routes.call(key) else {
                    return; // answered already
                };
                if abandon {
                    self.routes.call_ended(key);
                    if let Some(waiter) = self.core.abandon_call(request, mode) {
                        waiter.span.record("error", error_uri::CANCELED);
                    }
                } else if let Err(e) = self.core.cancel(request, mode) {
                    tracing::debug!(error = %e, "cancel not sent");
                }
            }
            Command::Register {
                procedure,
                options,
                handler,
                reply,
            } => match self.core.register(procedure.clone(), options, reply) {
                Ok(request) => {
                    self.routes.expect_registered(request, procedure, handler);
                }
                Err(refused) => not_joined(refused),
            },
            Command::Unregister {
                registration,
                reply,
            } => {
                self.routes.unregistered(registration);
                if let Err(refused) = self.core.unregister(registration, reply) {
                    not_joined(refused);
                }
            }
            Command::Subscribe {
                topic,
                options,
                local,
                sink,
                reply,
            } => match self.core.subscribe(topic.clone(), options, reply) {
                Ok(request) => {
                    self.routes.expect_subscribed(request, topic, local, sink);
                }
                Err(refused) => not_joined(refused),
            },
            Command::Unsubscribe {
                subscription,
                local,
                reply,
            } => self.unsubscribe(subscription, local, reply),
            Command::Publish {
                topic,
                options,
                payload,
                reply,
                span,
            } => match self
                .core
                .publish(topic, options, payload.args, payload.kwargs, reply)
            {
                Ok(request) => {
                    span.record("request", request);
                    self.routes.metrics.published();
                }
                Err(Refused {
                    waiter: Some(reply),
                    ..
                }) => {
                    let _ = reply.send(Err(SessionError::NotJoined.into()));
                }
                Err(_) => {}
            },
            Command::Drain { reply } => self.invocations.drain(reply),
            Command::Leave {
                reason,
                message,
                reply,
            } => {
                let phase = self.core.phase();
                if self.core.leave(now, &reason, message.as_deref()).is_ok()
                    || phase == Phase::ShuttingDown
                {
                    self.leave_waiters.push(reply);
                } else {
                    let _ = reply.send(Err(SessionError::NotJoined));
                }
            }
        }
    }

    /// Removes one local subscription; the router is told when it was the last one.
    fn unsubscribe(&mut self, subscription: Id, local: u64, reply: Option<AckSender>) {
        if self.routes.unsubscribed(subscription, local) {
            // Without a reply (a dropped stream), the answer goes nowhere.
            let reply = reply.unwrap_or_else(|| oneshot::channel().0);
            if let Err(refused) = self.core.unsubscribe(subscription, reply) {
                not_joined(refused);
            }
        } else if let Some(reply) = reply {
            let _ = reply.send(if self.core.phase() == Phase::Established {
                Ok(subscription)
            } else {
                Err(SessionError::NotJoined.into())
            });
        }
    }

    /// Fails a request whose message could not be sent.
    pub(super) fn fail_waiter(
        &mut self,
        request: Id,
        waiter: Waiter<CallWaiter, AckSender>,
        e: SessionError,
    ) {
        match waiter {
            Waiter::Call(w) => {
                let sent = self.routes.call_ended(w.key);
                self.routes
                    .metrics
                    .call_answered(sent, None, Some("not_sent"));
                w.span.record("error", observe::session_error_uri(&e));
                let _ = w.reply.send(Err(e.into()));
            }
            Waiter::Ack(reply) => {
                self.routes.not_acknowledged(request);
                let _ = reply.send(Err(e.into()));
            }
        }
    }

    pub(super) fn on_event(&mut self, ev: SessionEvent<CallWaiter, AckSender>) {
        match ev {
            SessionEvent::Joined(details) => {
                let metrics = observe::SessionMetrics::new(&details.realm);
                self.invocations.metrics = metrics.clone();
                self.routes.metrics = metrics;
                self.on_joined(details)
            }
            SessionEvent::Challenge { method, extra } => self.on_challenge(&method, &extra),
            SessionEvent::Result {
                waiter,
                details,
                args,
                kwargs,
                ..
            } => {
                let sent = self.routes.call_ended(waiter.key);
                // A RESULT comes in a frame just read: its time is the read's (no clock read).
                self.routes
                    .metrics
                    .call_answered(sent, Some(self.read_at), None);
                let _ = waiter.reply.send(Ok(CallResult {
                    payload: Payload::from_parts(args, kwargs),
                    details,
                }));
            }
            SessionEvent::Progress {
                request,
                details,
                args,
                kwargs,
            } => match self.core.call_waiter_mut(request) {
                Some(CallWaiter {
                    progress: Some(progress),
                    ..
                }) => progress.deliver(CallResult {
                    payload: Payload::from_parts(args, kwargs),
                    details,
                }),
                _ => tracing::debug!(request, "progressive result ignored (not requested)"),
            },
            SessionEvent::CallFailed {
                waiter, failure, ..
            } => {
                let sent = self.routes.call_ended(waiter.key);
                let class = observe::call_failure_class(&failure);
                let at = matches!(failure, CallFailure::Error(_)).then_some(self.read_at);
                self.routes.metrics.call_answered(sent, at, Some(class));
                observe::record_call_failure(&waiter.span, &failure);
                let _ = waiter.reply.send(Err(call_error(failure)));
            }
            SessionEvent::Acknowledged {
                request,
                waiter,
                id,
            } => {
                self.routes.promote(request, id);
                let _ = waiter.send(Ok(id));
            }
            SessionEvent::Failed {
                request,
                waiter,
                failure,
            } => {
                self.routes.not_acknowledged(request);
                let _ = waiter.send(Err(Refusal::from(failure)));
            }
            SessionEvent::Invocation {
                request,
                registration,
                details,
                args,
                kwargs,
            } => self.on_invocation(
                request,
                registration,
                details,
                Payload::from_parts(args, kwargs),
            ),
            SessionEvent::Interrupt { request, options } => self.interrupt(request, &options),
            SessionEvent::Event {
                subscription,
                publication,
                details,
                args,
                kwargs,
            } => self.routes.deliver(
                subscription,
                publication,
                details,
                Payload::from_parts(args, kwargs),
            ),
            SessionEvent::RegistrationRevoked {
                registration,
                details,
            } => {
                tracing::warn!(registration, ?details, "registration revoked by the router");
                self.routes.unregistered(registration);
            }
            SessionEvent::SubscriptionRevoked {
                subscription,
                details,
            } => {
                tracing::warn!(subscription, ?details, "subscription revoked by the router");
                self.routes.revoked(subscription);
            }
            SessionEvent::Left(details) => self.on_left(details),
            _ => {}
        }
    }

    fn on_invocation(&mut self, request: Id, registration: Id, details: Dict, payload: Payload) {
        if self.invocations.is_draining() {
            self.invocations
                .metrics
                .invocation(InvocationOutcome::Refused);
            let _ = self.core.yield_error(
                request,
                WampError::with_message(error_uri::UNAVAILABLE, "the callee is stopping"),
            );
            return;
        }
        let Some((uri, handler)) = self.routes.procedure(registration) else {
            // Unregistered locally while the router still routed a call to us.
            self.invocations
                .metrics
                .invocation(InvocationOutcome::Refused);
            let _ = self.core.yield_error(
                request,
                WampError::with_message(error_uri::NO_SUCH_PROCEDURE, "procedure unregistered"),
            );
            return;
        };
        let handler = handler.clone();
        let procedure = details
            .get("procedure")
            .and_then(Value::as_str)
            .unwrap_or(uri)
            .to_owned();
        let progress = (details.get("receive_progress") == Some(&Value::Bool(true)))
            .then(|| self.invocations.progress_sink(request));
        let session = self.session.upgrade();
        let span = observe::invocation_span(
            &procedure,
            request,
            registration,
            session.as_deref().map(|s| &s.details),
        );
        self.invocations.start(
            &handler,
            StartedInvocation {
                session,
                request,
                registration,
                procedure,
                payload,
                details,
                progress,
                span,
            },
        );
    }

    /// INTERRUPT, or the invocation's own timeout: the handler is aborted and the caller
    /// answered `wamp.error.canceled` (or `wamp.error.timeout`).
    fn interrupt(&mut self, request: Id, options: &Dict) {
        if !self.invocations.interrupt(request) {
            return; // answered already
        }
        let reason = options
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or(error_uri::CANCELED);
        let message = if reason == error_uri::TIMEOUT {
            "the invocation's timeout passed"
        } else {
            "canceled by the caller"
        };
        tracing::debug!(request, ?options, "invocation interrupted");
        let _ = self
            .core
            .yield_error(request, WampError::with_message(reason, message));
    }

    pub(super) fn on_yield(&mut self, y: Yielded) {
        if y.progress {
            if !self.invocations.is_running(y.request) {
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
        match self.invocations.answered(y.request) {
            None => return,               // interrupted, or from an ended session
            Some(Answered::Refused) => {} // counted when refused
            Some(Answered::Ran) => self.invocations.metrics.invocation(match y.result {
                Ok(_) => InvocationOutcome::Ok,
                Err(_) => InvocationOutcome::Error,
            }),
        }
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
}

/// A request the core refused (the session is not joined) fails its waiter.
fn not_joined(refused: Refused<AckSender>) {
    let _ = refused.waiter.send(Err(SessionError::NotJoined.into()));
}
