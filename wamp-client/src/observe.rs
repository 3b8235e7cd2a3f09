//! What the client shows of itself: a `tracing` span per operation and, with the `metrics`
//! feature, counters and histograms through the [`metrics`](https://docs.rs/metrics) facade.
//! This module has no public items: it documents the spans and metrics (which are all made
//! here, so that names, fields and labels stay in one place).
//!
//! # Spans
//!
//! Every call, invocation, publication and event handled has a span at `DEBUG` level that
//! lasts the operation: its duration is what a subscriber shows (`FmtSpan::CLOSE` of
//! `tracing-subscriber`, an OpenTelemetry exporter). At the default `INFO` level (or without
//! a subscriber) a span costs one disabled-callsite check and nothing is recorded.
//!
//! | span | lasts | fields |
//! |---|---|---|
//! | `wamp_call` | from the call's start (`Session::call_with`, or the first poll of a `CallBuilder`) to its answer (or its drop once sent: `error` is then `wamp.error.canceled`) | `uri` (the procedure), `request` (the CALL's request id, once sent), `session`, `realm`, `error` (when it failed: its error URI) |
//! | `wamp_invocation` | from the INVOCATION's arrival to the handler's answer (waiting for a run included) | `uri` (the procedure called), `request`, `registration`, `session`, `realm`, `error` (the handler's error URI; `wamp.error.canceled` when interrupted, `wamp.error.unavailable` when refused) |
//! | `wamp_publish` | from the publication's first poll to its acknowledgement (or to its hand-over to the session, without one) | `uri` (the topic), `request` (the PUBLISH's request id), `publication` (when acknowledged), `session`, `realm`, `error` |
//! | `wamp_event` | one event handler's run on one event | `uri` (the topic), `subscription`, `publication`, `session`, `realm` |
//!
//! The spans of the session and of a component (`wamp_session`, `wamp_component`, at `INFO`)
//! are the parents of what runs in them. Errors are recorded by URI only (for a call that
//! failed without an ERROR: `wamp.error.timeout`, `wamp.error.canceled`, the close reason of
//! a lost session, `not_sent` for one the session could not send). Payloads and credentials
//! are never logged, at any level.
//!
//! A disabled span travels with its operation as a null pointer (no allocation, nothing
//! recorded): counted with callgrind, the spans cost a caller about 20 instructions of the
//! ~12,650 a sequential call takes (0.15%), and 10 of the ~8,050 of a pipelined one, without
//! a subscriber; with a `fmt` subscriber at `INFO`, about 40 (0.3% and 0.45%).
//!
//! # Metrics
//!
//! With the `metrics` feature the client records these through the `metrics` facade; they go
//! wherever the recorder the application installs sends them (e.g. `metrics-exporter-prometheus`).
//! Without a recorder they cost a no-op call; without the feature, nothing. The `realm`
//! label is the realm of the session (or component); every other label has a fixed, small set
//! of values. Each session registers its handles once, when it joins: recording is then an
//! atomic operation on a handle (and, for the call latency, one subtraction of instants: the
//! answer's time is that of the read that brought it). Counted with callgrind, the feature
//! with `metrics-exporter-prometheus`'s recorder installed costs a caller about 1.7% of the
//! instructions of a sequential call (+220 of ~12,650) and 4.2% of a pipelined one (+335 of
//! ~8,050, 1,000 in flight), two thirds of it in the exporter's histogram; compiled in without
//! a recorder, 0.6% and 2.3%.
//!
//! | metric | kind | labels | what |
//! |---|---|---|---|
//! | `wamp_client_calls_total` | counter | `realm` | calls sent (a CALL handed to the router) |
//! | `wamp_client_call_duration_seconds` | histogram | `realm` | from a call being sent to its answer (a result or an error, timeouts included) |
//! | `wamp_client_call_errors_total` | counter | `realm`, `error` | calls that failed, by class (below) |
//! | `wamp_client_invocations_total` | counter | `realm`, `outcome` | invocations of our procedures ended: `ok`, `error` (the handler returned an error or panicked), `refused` (answered `wamp.error.unavailable` or `no_such_procedure` without running), `interrupted` (canceled by the caller or timed out) |
//! | `wamp_client_publications_total` | counter | `realm` | publications sent |
//! | `wamp_client_events_delivered_total` | counter | `realm` | events that came for a local subscription (each local subscription of a topic counts its own) |
//! | `wamp_client_events_dropped_total` | counter | `realm` | events dropped because a subscription's queue was full (see `Overflow`): handled = delivered − dropped |
//! | `wamp_client_reconnects_total` | counter | `realm` | a component's connection attempts after its first |
//! | `wamp_client_time_to_ready_seconds` | histogram | `realm` | a component's time from the start of a connection attempt to `ready` (joined, every procedure registered and every subscription subscribed) |
//!
//! The `error` label of `wamp_client_call_errors_total`: the error URI for the `wamp.error.*`
//! URIs of the WAMP specification and of Autobahn (`wamp.error.no_such_procedure`,
//! `wamp.error.invalid_argument`, `wamp.error.runtime_error`, ...), `wamp.error.other` for any
//! other `wamp.error.*`, `application` for an application's own error URI, `timeout` (the
//! call's timeout passed), `canceled` (canceled here), `lost` (the session ended first) and
//! `not_sent` (the CALL could not be sent: too large, not joined).

use std::time::Instant;

use tracing::field::Empty;
use tracing::Span;
use wamp_core::session::{CallFailure, SessionDetails};
use wamp_core::uri::error_uri;
use wamp_core::Id;

use crate::error::{CallError, PublishError, SessionError};

// ---------------------------------------------------------------------------------------------
// Spans

/// The span of one operation as it travels with the operation (in its future, its command, the
/// driver's waiter): nothing but a null pointer when the span is disabled, so that a disabled
/// span costs the operation no more than moving 8 bytes; the span itself, boxed, when a
/// subscriber wants it.
#[derive(Debug, Default)]
pub(crate) struct OpSpan(Option<Box<Span>>);

impl OpSpan {
    #[inline]
    fn new(span: Span) -> OpSpan {
        OpSpan((!span.is_disabled()).then(|| Box::new(span)))
    }

    /// The same span again (another handle on it), to record into from elsewhere.
    #[inline]
    pub(crate) fn share(&self) -> OpSpan {
        OpSpan(self.0.as_ref().map(|s| Box::new((**s).clone())))
    }

    /// Records `value` as the span's `field` (nothing when disabled).
    #[inline]
    pub(crate) fn record(&self, field: &'static str, value: impl tracing::Value) {
        if let Some(span) = &self.0 {
            span.record(field, value);
        }
    }

    /// The span, when enabled.
    #[inline]
    pub(crate) fn get(&self) -> Option<&Span> {
        self.0.as_deref()
    }

    /// The span, when enabled.
    #[inline]
    pub(crate) fn into_span(self) -> Option<Span> {
        self.0.map(|s| *s)
    }
}

/// The span of a call of `procedure` through the session of `details` (see the module docs).
pub(crate) fn call_span(procedure: &str, details: &SessionDetails) -> OpSpan {
    OpSpan::new(tracing::debug_span!(
        "wamp_call",
        uri = procedure,
        request = Empty,
        session = details.session,
        realm = details.realm.as_str(),
        error = Empty,
    ))
}

/// The span of an invocation of `procedure`.
pub(crate) fn invocation_span(
    procedure: &str,
    request: Id,
    registration: Id,
    details: Option<&SessionDetails>,
) -> OpSpan {
    let (session, realm) = details.map_or((0, ""), |d| (d.session, d.realm.as_str()));
    OpSpan::new(tracing::debug_span!(
        "wamp_invocation",
        uri = procedure,
        request,
        registration,
        session,
        realm,
        error = Empty,
    ))
}

/// The span of a publication to `topic`.
pub(crate) fn publish_span(topic: &str, details: &SessionDetails) -> OpSpan {
    OpSpan::new(tracing::debug_span!(
        "wamp_publish",
        uri = topic,
        request = Empty,
        publication = Empty,
        session = details.session,
        realm = details.realm.as_str(),
        error = Empty,
    ))
}

/// The span of one event handler's run on one event.
pub(crate) fn event_span(
    topic: &str,
    subscription: Id,
    publication: Id,
    details: Option<&SessionDetails>,
) -> Span {
    let (session, realm) = details.map_or((0, ""), |d| (d.session, d.realm.as_str()));
    tracing::debug_span!(
        "wamp_event",
        uri = topic,
        subscription,
        publication,
        session,
        realm,
    )
}

/// Records why a call failed before it reached the driver on its span: the error's URI (or
/// `not_sent`).
pub(crate) fn record_call_error(span: &OpSpan, e: &CallError) {
    if span.get().is_none() {
        return;
    }
    let uri: &str = match e {
        CallError::Application(e) => &e.uri,
        CallError::Session(e) => session_error_uri(e),
        CallError::InvalidUri(_) => error_uri::INVALID_URI,
        CallError::Timeout(_) => error_uri::TIMEOUT,
        CallError::Canceled => error_uri::CANCELED,
        CallError::Serialize(_) | CallError::Value(_) => error_uri::INVALID_ARGUMENT,
        CallError::Deserialize(_) => error_uri::INVALID_PAYLOAD,
    };
    span.record("error", uri);
}

/// Records why a call failed on its span: the ERROR's URI, `wamp.error.timeout`,
/// `wamp.error.canceled`, or the close reason of the session lost.
pub(crate) fn record_call_failure(span: &OpSpan, failure: &CallFailure) {
    if span.get().is_none() {
        return;
    }
    let uri: &str = match failure {
        CallFailure::Error(e) => &e.uri,
        CallFailure::Lost(d) => &d.reason,
        CallFailure::Timeout(_) => error_uri::TIMEOUT,
        CallFailure::Canceled => error_uri::CANCELED,
    };
    span.record("error", uri);
}

/// Records how a publication ended on its span: the publication id, or the error's URI.
pub(crate) fn record_publish_outcome(span: &OpSpan, outcome: &Result<Option<Id>, PublishError>) {
    if span.get().is_none() {
        return;
    }
    match outcome {
        Ok(Some(publication)) => span.record("publication", publication),
        Ok(None) => {}
        Err(e) => {
            let uri: &str = match e {
                PublishError::Application(e) => &e.uri,
                PublishError::Session(e) => session_error_uri(e),
                PublishError::InvalidUri(_) => error_uri::INVALID_URI,
                PublishError::Serialize(_) => error_uri::INVALID_ARGUMENT,
            };
            span.record("error", uri);
        }
    }
}

/// The URI of a session failure (a lost session's close reason).
pub(crate) fn session_error_uri(e: &SessionError) -> &str {
    match e {
        SessionError::Lost(d) => &d.reason,
        SessionError::PayloadTooLarge { .. } => error_uri::PAYLOAD_SIZE_EXCEEDED,
        SessionError::InvalidUri(_) => error_uri::INVALID_URI,
        SessionError::NotJoined | SessionError::Encode(_) => "not_sent",
    }
}

// ---------------------------------------------------------------------------------------------
// Error classes of the metrics

/// The `wamp.error.*` URIs that are a label value of their own (any other is
/// `wamp.error.other`).
const KNOWN_ERRORS: &[&str] = &[
    error_uri::INVALID_URI,
    error_uri::NO_SUCH_PROCEDURE,
    error_uri::NO_SUCH_REGISTRATION,
    error_uri::NO_SUCH_SUBSCRIPTION,
    error_uri::INVALID_ARGUMENT,
    error_uri::CANCELED,
    error_uri::PAYLOAD_SIZE_EXCEEDED,
    error_uri::PROTOCOL_VIOLATION,
    error_uri::NOT_AUTHORIZED,
    error_uri::AUTHORIZATION_FAILED,
    error_uri::AUTHORIZATION_DENIED,
    error_uri::AUTHORIZATION_REQUIRED,
    error_uri::NO_SUCH_REALM,
    error_uri::NO_SUCH_ROLE,
    error_uri::NO_SUCH_PRINCIPAL,
    error_uri::TIMEOUT,
    error_uri::OPTION_NOT_ALLOWED,
    error_uri::OPTION_DISALLOWED_DISCLOSE_ME,
    error_uri::NETWORK_FAILURE,
    error_uri::UNAVAILABLE,
    error_uri::NO_AVAILABLE_CALLEE,
    error_uri::FEATURE_NOT_SUPPORTED,
    error_uri::NO_SUCH_SESSION,
    error_uri::RUNTIME_ERROR,
    error_uri::INVALID_PAYLOAD,
    error_uri::TYPE_CHECK_ERROR,
    error_uri::NO_ELIGIBLE_CALLEE,
];

/// The class of an error URI, as a label value: a known `wamp.error.*` URI as it is, any other
/// `wamp.error.*` as `wamp.error.other`, an application's own URI as `application`. A fixed
/// set of values, whatever a peer sends.
pub(crate) fn error_class(uri: &str) -> &'static str {
    if !uri.starts_with("wamp.error.") {
        return "application";
    }
    KNOWN_ERRORS
        .iter()
        .find(|known| **known == uri)
        .copied()
        .unwrap_or("wamp.error.other")
}

/// The class of a call's failure (see the module docs).
pub(crate) fn call_failure_class(failure: &CallFailure) -> &'static str {
    match failure {
        CallFailure::Error(e) => error_class(&e.uri),
        CallFailure::Lost(_) => "lost",
        CallFailure::Timeout(_) => "timeout",
        CallFailure::Canceled => "canceled",
    }
}

/// How an invocation ended, as the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvocationOutcome {
    /// The handler answered with a result.
    Ok,
    /// The handler answered with an error (or panicked).
    Error,
    /// Answered without running (the session's queue was full, the procedure is gone, the
    /// session is stopping).
    Refused,
    /// Interrupted by the caller's cancel, or by its timeout.
    Interrupted,
}

impl InvocationOutcome {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    const ALL: [InvocationOutcome; 4] = [
        InvocationOutcome::Ok,
        InvocationOutcome::Error,
        InvocationOutcome::Refused,
        InvocationOutcome::Interrupted,
    ];

    /// The label value.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn label(self) -> &'static str {
        match self {
            InvocationOutcome::Ok => "ok",
            InvocationOutcome::Error => "error",
            InvocationOutcome::Refused => "refused",
            InvocationOutcome::Interrupted => "interrupted",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics

/// When a call was sent, for its duration (nothing without the `metrics` feature).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stamp {
    #[cfg(feature = "metrics")]
    at: Option<Instant>,
}

impl Stamp {
    /// A stamp of `now` (kept only with the `metrics` feature).
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn at(now: Instant) -> Stamp {
        Stamp {
            #[cfg(feature = "metrics")]
            at: Some(now),
        }
    }
}

#[cfg(feature = "metrics")]
mod recorded {
    use metrics::{Counter, Histogram, SharedString, Unit};

    /// Describes every metric to the recorder installed now (Prometheus' `# HELP` lines).
    fn describe() {
        metrics::describe_counter!("wamp_client_calls_total", "calls sent");
        metrics::describe_histogram!(
            "wamp_client_call_duration_seconds",
            Unit::Seconds,
            "from a call being sent to its answer"
        );
        metrics::describe_counter!(
            "wamp_client_call_errors_total",
            "calls that failed, by error class"
        );
        metrics::describe_counter!(
            "wamp_client_invocations_total",
            "invocations of our procedures, by outcome"
        );
        metrics::describe_counter!("wamp_client_publications_total", "publications sent");
        metrics::describe_counter!(
            "wamp_client_events_delivered_total",
            "events that came for a local subscription"
        );
        metrics::describe_counter!(
            "wamp_client_events_dropped_total",
            "events dropped because a subscription's queue was full"
        );
        metrics::describe_counter!(
            "wamp_client_reconnects_total",
            "a component's connection attempts after its first"
        );
        metrics::describe_histogram!(
            "wamp_client_time_to_ready_seconds",
            Unit::Seconds,
            "a component's time from the start of a connection attempt to ready"
        );
    }

    use crate::observe::{InvocationOutcome, Stamp};

    /// The metrics of one session, registered once when it joins: recording one is an atomic
    /// operation on a handle, no lookup.
    #[derive(Clone)]
    pub(crate) struct SessionMetrics {
        realm: SharedString,
        calls: Counter,
        call_duration: Histogram,
        publications: Counter,
        invocations: [Counter; 4],
    }

    impl std::fmt::Debug for SessionMetrics {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("SessionMetrics")
                .field("realm", &self.realm)
                .finish_non_exhaustive()
        }
    }

    impl Default for SessionMetrics {
        fn default() -> Self {
            SessionMetrics {
                realm: SharedString::const_str(""),
                calls: Counter::noop(),
                call_duration: Histogram::noop(),
                publications: Counter::noop(),
                invocations: std::array::from_fn(|_| Counter::noop()),
            }
        }
    }

    impl SessionMetrics {
        /// Registers the metrics of a session of `realm` with the recorder installed now.
        pub(crate) fn new(realm: &str) -> Self {
            describe();
            let realm = SharedString::from(std::sync::Arc::<str>::from(realm));
            let invocations = InvocationOutcome::ALL.map(|o| {
                metrics::counter!(
                    "wamp_client_invocations_total",
                    "realm" => realm.clone(),
                    "outcome" => o.label()
                )
            });
            SessionMetrics {
                calls: metrics::counter!("wamp_client_calls_total", "realm" => realm.clone()),
                call_duration: metrics::histogram!(
                    "wamp_client_call_duration_seconds",
                    "realm" => realm.clone()
                ),
                publications: metrics::counter!(
                    "wamp_client_publications_total",
                    "realm" => realm.clone()
                ),
                invocations,
                realm,
            }
        }

        pub(crate) fn call_sent(&self) {
            self.calls.increment(1);
        }

        /// A call sent at `sent` was answered at `at` (`None`: now): with an error of class
        /// `error`, if any.
        pub(crate) fn call_answered(
            &self,
            sent: Stamp,
            at: Option<std::time::Instant>,
            error: Option<&'static str>,
        ) {
            if let Some(sent) = sent.at {
                let at = at.unwrap_or_else(std::time::Instant::now);
                self.call_duration
                    .record(at.saturating_duration_since(sent).as_secs_f64());
            }
            if let Some(class) = error {
                self.call_failed(class);
            }
        }

        /// A call failed with an error of class `class` (see the module docs).
        pub(crate) fn call_failed(&self, class: &'static str) {
            metrics::counter!(
                "wamp_client_call_errors_total",
                "realm" => self.realm.clone(),
                "error" => class
            )
            .increment(1);
        }

        pub(crate) fn published(&self) {
            self.publications.increment(1);
        }

        pub(crate) fn invocation(&self, outcome: InvocationOutcome) {
            let i = InvocationOutcome::ALL
                .iter()
                .position(|o| *o == outcome)
                .unwrap_or(0);
            self.invocations[i].increment(1);
        }
    }

    /// The event counters of one local subscription.
    #[derive(Clone)]
    pub(crate) struct EventMetrics {
        delivered: Counter,
        dropped: Counter,
    }

    impl std::fmt::Debug for EventMetrics {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("EventMetrics").finish_non_exhaustive()
        }
    }

    impl EventMetrics {
        pub(crate) fn new(realm: &str) -> Self {
            let realm = SharedString::from(std::sync::Arc::<str>::from(realm));
            EventMetrics {
                delivered: metrics::counter!(
                    "wamp_client_events_delivered_total",
                    "realm" => realm.clone()
                ),
                dropped: metrics::counter!("wamp_client_events_dropped_total", "realm" => realm),
            }
        }

        pub(crate) fn delivered(&self) {
            self.delivered.increment(1);
        }

        pub(crate) fn dropped(&self) {
            self.dropped.increment(1);
        }
    }

    /// A component's reconnect counter and time-to-ready histogram.
    #[derive(Clone)]
    pub(crate) struct ComponentMetrics {
        reconnects: Counter,
        time_to_ready: Histogram,
    }

    impl std::fmt::Debug for ComponentMetrics {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("ComponentMetrics").finish_non_exhaustive()
        }
    }

    impl ComponentMetrics {
        pub(crate) fn new(realm: &str) -> Self {
            describe();
            let realm = SharedString::from(std::sync::Arc::<str>::from(realm));
            ComponentMetrics {
                reconnects: metrics::counter!(
                    "wamp_client_reconnects_total",
                    "realm" => realm.clone()
                ),
                time_to_ready: metrics::histogram!(
                    "wamp_client_time_to_ready_seconds",
                    "realm" => realm
                ),
            }
        }

        pub(crate) fn reconnect(&self) {
            self.reconnects.increment(1);
        }

        pub(crate) fn ready(&self, since: std::time::Instant) {
            self.time_to_ready.record(since.elapsed().as_secs_f64());
        }
    }
}

#[cfg(not(feature = "metrics"))]
mod recorded {
    //! Without the `metrics` feature: the same types, recording nothing.

    use crate::observe::{InvocationOutcome, Stamp};

    #[derive(Debug, Clone, Default)]
    pub(crate) struct SessionMetrics(());

    impl SessionMetrics {
        pub(crate) fn new(_realm: &str) -> Self {
            SessionMetrics(())
        }
        pub(crate) fn call_sent(&self) {}
        pub(crate) fn call_answered(
            &self,
            _sent: Stamp,
            _at: Option<std::time::Instant>,
            _error: Option<&'static str>,
        ) {
        }
        pub(crate) fn call_failed(&self, _class: &'static str) {}
        pub(crate) fn published(&self) {}
        pub(crate) fn invocation(&self, _outcome: InvocationOutcome) {}
    }

    #[derive(Debug, Clone)]
    pub(crate) struct EventMetrics;

    impl EventMetrics {
        pub(crate) fn new(_realm: &str) -> Self {
            EventMetrics
        }
        pub(crate) fn delivered(&self) {}
        pub(crate) fn dropped(&self) {}
    }

    #[derive(Debug, Clone)]
    pub(crate) struct ComponentMetrics;

    impl ComponentMetrics {
        pub(crate) fn new(_realm: &str) -> Self {
            ComponentMetrics
        }
        pub(crate) fn reconnect(&self) {}
        pub(crate) fn ready(&self, _since: std::time::Instant) {}
    }
}

pub(crate) use recorded::{ComponentMetrics, EventMetrics, SessionMetrics};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_classes_keep_known_wamp_uris_and_fold_everything_else() {
        assert_eq!(
            error_class("wamp.error.no_such_procedure"),
            "wamp.error.no_such_procedure"
        );
        assert_eq!(
            error_class("wamp.error.runtime_error"),
            "wamp.error.runtime_error"
        );
        assert_eq!(error_class("wamp.error.made_up_12345"), "wamp.error.other");
        assert_eq!(error_class("com.example.error.refused"), "application");
        assert_eq!(error_class(""), "application");
    }

    #[test]
    fn a_disabled_span_travels_as_a_null_pointer() {
        let span = OpSpan::new(Span::none());
        assert!(span.get().is_none() && span.share().get().is_none());
        assert_eq!(std::mem::size_of::<OpSpan>(), std::mem::size_of::<usize>());
    }
}
