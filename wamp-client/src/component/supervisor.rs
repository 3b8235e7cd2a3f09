//! The reconnect loop of a component: round robin over its transports, each with its own
//! retry state; on every new session the listeners, procedures and subscriptions; a graceful
//! stop. The supervisor owns what it shares with the handles ([`Shared`]) and starts itself.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use wamp_core::session::CloseDetails;
use wamp_core::uri::error_uri;
use wamp_core::Id;

use super::config::{
    Config, EventTarget, ProcedureDecl, SubscriptionDecl, ALREADY_EXISTS_RETRY_FOR,
    REESTABLISH_FIRST_DELAY, REESTABLISH_MAX_DELAY,
};
use super::error::{ComponentError, Failure, TransportOutcome};
use super::lifecycle::{BoxError, LifecycleEvent, ReadyDetails};
use super::stream::GapCause;
use super::transport::TransportSpec;
use crate::error::{JoinError, RegisterError, SubscribeError};
use crate::observe::ComponentMetrics;
use crate::retry::{random_seed, RetryState};
use crate::revocation::{Revocation, RevocationKind, Revocations};
use crate::session::registration::{Registration, Subscription};
use crate::session::Session;

/// How many lifecycle events a slow reader may fall behind by before it loses the oldest
/// (they are counted in [`LifecycleEvents::missed`](super::LifecycleEvents::missed)).
const EVENT_BACKLOG: usize = 64;

/// The ids of supervisors, so that a durable stream knows which one feeds it.
static SUPERVISORS: AtomicU64 = AtomicU64::new(0);

/// Where a component is.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    /// The joined session, if any.
    pub(crate) session: Option<Session>,
    /// Whether that session is ready (every procedure and subscription live).
    pub(crate) ready: bool,
    /// Set when the component has ended.
    pub(crate) done: Option<Result<(), ComponentError>>,
}

/// What the supervisor and the handles share.
pub(crate) struct Shared {
    pub(crate) config: Arc<Config>,
    pub(crate) state: watch::Sender<State>,
    /// Taken (closing the readers' streams) when the component ends.
    pub(crate) events: std::sync::Mutex<Option<broadcast::Sender<LifecycleEvent>>>,
    /// Set to `true` by [`ComponentHandle::stop`].
    pub(crate) stop: watch::Sender<bool>,
    /// Subscribed before the component started: the first [`ComponentHandle::events`] call
    /// gets it, so that it misses nothing.
    first_events: std::sync::Mutex<Option<broadcast::Receiver<LifecycleEvent>>>,
    /// A listener's failure that ends the component (with `fail_on_listener_error`).
    listener_failure: std::sync::Mutex<Option<ComponentError>>,
    /// This supervisor's id (never 0): the durable streams it feeds know it by it.
    owner: u64,
}

impl Shared {
    /// The receiver subscribed before the start, for the first reader of the events.
    pub(crate) fn take_first_events(&self) -> Option<broadcast::Receiver<LifecycleEvent>> {
        self.first_events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

/// Starts the supervisor of `config` on the current runtime.
pub(crate) fn start(config: Arc<Config>) -> Arc<Shared> {
    let (state, _) = watch::channel(State::default());
    let (events, first_events) = broadcast::channel(EVENT_BACKLOG);
    let (stop, _) = watch::channel(false);
    let shared = Arc::new(Shared {
        config,
        state,
        events: std::sync::Mutex::new(Some(events)),
        stop,
        first_events: std::sync::Mutex::new(Some(first_events)),
        listener_failure: std::sync::Mutex::new(None),
        owner: SUPERVISORS.fetch_add(1, Ordering::Relaxed) + 1,
    });
    for feed in streams(&shared.config) {
        if !feed.claim(shared.owner) {
            tracing::warn!(component = %shared.config.name, "component started again: its durable streams stay with its first start");
        }
    }
    let s = shared.clone();
    let span = tracing::info_span!("wamp_component", name = %shared.config.name);
    tokio::spawn(tracing::Instrument::instrument(
        async move {
            let mut outcome = supervise(&s).await;
            let failed = s
                .listener_failure
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            if let Some(e) = failed {
                outcome = Err(e);
            }
            if let Err(e) = &outcome {
                tracing::error!(error = %e, "component failed");
            } else {
                tracing::info!("component finished");
            }
            s.state.send_modify(|st| {
                st.session = None;
                st.ready = false;
                st.done = Some(outcome);
            });
            s.events.lock().unwrap_or_else(|p| p.into_inner()).take();
            for feed in streams(&s.config) {
                feed.end(s.owner);
            }
        },
        span,
    ));
    shared
}

/// How one attempt on a transport ended.
enum Outcome {
    /// [`ComponentHandle::stop`](super::ComponentHandle::stop) was called.
    Stopped,
    /// The session left cleanly: the component is done.
    Finished,
    /// The attempt or its session failed.
    Failed(Arc<Failure>),
    /// The main function returned: the component is done.
    Main(Result<(), BoxError>),
}

pub(crate) async fn supervise(shared: &Shared) -> Result<(), ComponentError> {
    let config = &shared.config;
    let n = config.transports.len();
    let seed = random_seed();
    let mut retry: Vec<RetryState> = (0..n)
        .map(|i| RetryState::new(seed.wrapping_add(i as u64)))
        .collect();
    let mut fatal = vec![false; n];
    let mut last: Vec<Option<Arc<Failure>>> = vec![None; n];
    let mut stop = shared.stop.subscribe();
    let mut next = 0;
    // Whether the last attempt was the retry with fresh credentials after an authentication
    // failure.
    let mut fresh_retry = false;
    let metrics = ComponentMetrics::new(&config.join.realm);
    let mut first = true;
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let usable = |i: usize| !fatal[i] && retry[i].can_retry(&config.transports[i].retry);
        // The retry with fresh credentials goes at once to the same transport: neither a
        // retry delay nor an attempt of its policy.
        let now = fresh_retry.then_some(next);
        let Some(i) = now.or_else(|| (0..n).map(|k| (next + k) % n).find(|&i| usable(i))) else {
            let transports = (0..n)
                .map(|i| TransportOutcome {
                    url: config.transports[i].config.url().to_owned(),
                    attempts: retry[i].attempts(),
                    fatal: fatal[i],
                    last_failure: last[i].clone(),
                })
                .collect();
            return Err(ComponentError::Exhausted {
                name: config.name.clone(),
                transports,
            });
        };
        next = (i + 1) % n;
        let spec = &config.transports[i];
        let delay = if now.is_some() {
            Duration::ZERO
        } else {
            retry[i].next_attempt(&spec.retry)
        };
        if !delay.is_zero() {
            tracing::info!(
                url = spec.config.url(),
                attempt = retry[i].attempts(),
                delay_ms = delay.as_millis() as u64,
                "waiting before the next attempt"
            );
            emit(
                shared,
                LifecycleEvent::Retry {
                    url: spec.config.url().to_owned(),
                    attempt: retry[i].attempts(),
                    delay,
                },
            )
            .await;
            if until_stopped(&mut stop, tokio::time::sleep(delay))
                .await
                .is_none()
            {
                return Ok(());
            }
        }
        if !std::mem::take(&mut first) {
            metrics.reconnect();
        }
        match attempt(shared, spec, &mut stop, &mut retry[i], &metrics).await {
            Outcome::Stopped | Outcome::Finished | Outcome::Main(Ok(())) => return Ok(()),
            Outcome::Main(Err(error)) => {
                return Err(ComponentError::Main {
                    name: config.name.clone(),
                    error: Arc::from(error),
                })
            }
            Outcome::Failed(failure) => {
                if failure.is_authentication() {
                    // With a credential provider, the first authentication failure in a row
                    // is retried at once with fresh credentials before it can count.
                    fresh_retry = config.credentials.is_some() && !fresh_retry;
                    if fresh_retry {
                        tracing::warn!(url = spec.config.url(), error = %failure, "authentication failed; trying once more with fresh credentials");
                        last[i] = Some(failure);
                        next = i;
                        continue;
                    }
                } else {
                    fresh_retry = false;
                }
                let is_fatal = config
                    .is_fatal
                    .as_ref()
                    .and_then(|f| f(&failure))
                    .unwrap_or_else(|| failure.is_fatal_by_default());
                if is_fatal {
                    tracing::error!(url = spec.config.url(), error = %failure, "fatal failure; this transport is given up");
                } else {
                    tracing::warn!(url = spec.config.url(), error = %failure, "connection failed or lost; will retry");
                }
                fatal[i] |= is_fatal;
                last[i] = Some(failure);
            }
        }
    }
}

/// One attempt on `spec`: connect, join, set up, serve until the session ends or the
/// component stops.
async fn attempt(
    shared: &Shared,
    spec: &TransportSpec,
    stop: &mut watch::Receiver<bool>,
    retry: &mut RetryState,
    metrics: &ComponentMetrics,
) -> Outcome {
    let started = std::time::Instant::now();
    let config = &shared.config;
    let url = spec.config.url().to_owned();
    // Fresh credentials for every attempt (and a fresh SCRAM nonce).
    let join = match until_stopped(stop, config.join_options()).await {
        None => return Outcome::Stopped,
        Some(Err(why)) => {
            return failed_before_session(shared, url, Failure::Credentials(why)).await
        }
        Some(Ok(join)) => join,
    };
    let connection = match until_stopped(stop, crate::transport::connect(&spec.config)).await {
        None => return Outcome::Stopped,
        Some(Err(e)) => return connect_failed(shared, url, JoinError::Connect(e)).await,
        Some(Ok(c)) => c,
    };
    emit(shared, LifecycleEvent::Connect { url: url.clone() }).await;
    let session = match until_stopped(stop, Session::start(connection, join)).await {
        None => return Outcome::Stopped,
        Some(Err(e)) => {
            let disconnect = LifecycleEvent::Disconnect {
                url: url.clone(),
                was_clean: false,
            };
            emit(shared, disconnect).await;
            return connect_failed(shared, url, e).await;
        }
        Some(Ok(s)) => s,
    };
    retry.reset();
    tracing::info!(session = session.id(), url, "joined");
    // The testaments come first: a session that goes away while its listeners run still
    // leaves them behind.
    if let Some(failure) = set_testaments(config, &session).await {
        let details = if session.is_joined() {
            leave(config, &session, false).await
        } else {
            session.closed().await
        };
        session.finished().await;
        let was_clean = details.is_clean();
        emit(shared, LifecycleEvent::Disconnect { url, was_clean }).await;
        return Outcome::Failed(Arc::new(failure));
    }
    shared.state.send_modify(|s| {
        s.session = Some(session.clone());
        s.ready = false;
    });
    emit(
        shared,
        LifecycleEvent::Join {
            session: session.clone(),
        },
    )
    .await;

    // Subscribed before anything is set up: a revocation during the set-up is not missed.
    let mut revocations = session.revocations();
    let mut stopped = false;
    let mut failure = None;
    let mut main_done = None;
    // A router that confirms nothing must not leave the component not ready forever.
    let setup = async {
        let set_up = set_up(config, shared.owner, &session);
        match tokio::time::timeout(config.setup_timeout, set_up).await {
            Ok(r) => r,
            Err(_) => Err(Failure::SetupTimeout(config.setup_timeout)),
        }
    };
    match until_stopped(stop, setup).await {
        None => stopped = true,
        Some(Err(f)) => failure = Some(f),
        // The session ended during set-up (a join listener left, the router went away):
        // nothing is live, so no `ready`.
        Some(Ok(_)) if !session.is_joined() => {}
        Some(Ok(details)) => {
            metrics.ready(started);
            shared.state.send_modify(|s| s.ready = true);
            tracing::info!(
                procedures = config.procedures.len(),
                subscriptions = config.subscriptions.len(),
                "ready"
            );
            emit(
                shared,
                LifecycleEvent::Ready {
                    session: session.clone(),
                    details,
                },
            )
            .await;
            match &config.main {
                None => stopped = serve(shared, &session, stop, &mut revocations).await,
                Some(main) => {
                    let mut task = tokio::spawn(main(session.clone()));
                    tokio::select! {
                        s = serve(shared, &session, stop, &mut revocations) => {
                            stopped = s;
                            let left = session.close_details().is_some_and(|d| d.is_clean());
                            if !s && left {
                                // Main (or a listener) left: main's own outcome decides.
                                match tokio::time::timeout(config.stop_timeout, &mut task).await {
                                    Ok(r) => main_done = Some(main_outcome(r)),
                                    Err(_) => task.abort(),
                                }
                            } else {
                                task.abort();
                            }
                        }
                        r = &mut task => main_done = Some(main_outcome(r)),
                    }
                }
            }
        }
    }
    let ending = stopped || main_done.is_some();
    let details = if (ending || failure.is_some()) && session.is_joined() {
        leave(config, &session, ending).await
    } else {
        session.closed().await
    };
    session.finished().await;
    shared.state.send_modify(|s| {
        s.session = None;
        s.ready = false;
    });
    let was_clean = details.is_clean();
    // The durable streams go on with the next session, after a gap.
    if !ending && (failure.is_some() || !was_clean) {
        for feed in streams(config) {
            let cause = GapCause::SessionLost(details.clone());
            feed.lost(shared.owner, session.id(), cause);
        }
    }
    emit(
        shared,
        LifecycleEvent::Leave {
            session,
            details: details.clone(),
        },
    )
    .await;
    emit(shared, LifecycleEvent::Disconnect { url, was_clean }).await;
    if let Some(outcome) = main_done {
        return Outcome::Main(outcome);
    }
    match failure {
        Some(f) => Outcome::Failed(Arc::new(f)),
        None if stopped => Outcome::Stopped,
        None if was_clean => Outcome::Finished,
        None => Outcome::Failed(Arc::new(Failure::Lost(details))),
    }
}

/// What a main function's task came to.
fn main_outcome(r: Result<Result<(), BoxError>, tokio::task::JoinError>) -> Result<(), BoxError> {
    match r {
        Ok(outcome) => outcome,
        Err(e) if e.is_panic() => Err(format!("main panicked: {e}").into()),
        Err(e) => Err(format!("main did not finish: {e}").into()),
    }
}

/// A procedure or subscription of the component, by its index in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    Procedure(usize),
    Subscription(usize),
}

/// A revoked procedure or subscription waiting to be re-established.
struct Pending {
    what: Declared,
    revocation: Revocation,
    /// When the next attempt is due.
    at: Instant,
    /// The wait after the next failed attempt.
    delay: Duration,
    attempts: u32,
}

/// The component's declarations a revocation hits (for a subscription, every handler of its
/// topic: they shared it).
fn declared(config: &Config, owner: u64, r: &Revocation) -> Vec<Declared> {
    match r.kind {
        RevocationKind::Registration => config
            .procedures
            .iter()
            .position(|p| p.uri == r.uri)
            .map(Declared::Procedure)
            .into_iter()
            .collect(),
        RevocationKind::Subscription => config
            .subscriptions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.topic == r.uri)
            .filter(|(_, s)| s.handler.stream().map_or(true, |f| f.wanted_by(owner)))
            .map(|(i, _)| Declared::Subscription(i))
            .collect(),
    }
}

/// Registers or subscribes one declaration again; its new id (`None` for a durable stream
/// dropped meanwhile: it is no longer wanted).
async fn reestablish(
    config: &Config,
    owner: u64,
    session: &Session,
    what: Declared,
) -> Result<Option<Id>, String> {
    let attempt = async {
        match what {
            Declared::Procedure(i) => {
                let p = &config.procedures[i];
                session
                    .register_procedure(&p.uri, p.options.clone(), p.handler.clone())
                    .await
                    .map(|r| Some(r.id()))
                    .map_err(|e| e.to_string())
            }
            Declared::Subscription(i) => subscribe(session, owner, &config.subscriptions[i])
                .await
                .map(|s| s.map(|s| s.id()))
                .map_err(|e| e.to_string()),
        }
    };
    tokio::time::timeout(config.setup_timeout, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {:?}", config.setup_timeout)))
}

/// Serves a ready session until it ends (then `false`) or the component stops (`true`).
/// What the router revokes is re-established, at once and then with backoff (from
/// [`REESTABLISH_FIRST_DELAY`] doubling to [`REESTABLISH_MAX_DELAY`]) while the session
/// lives; meanwhile the component is not ready.
async fn serve(
    shared: &Shared,
    session: &Session,
    stop: &mut watch::Receiver<bool>,
    revocations: &mut Revocations,
) -> bool {
    let config = &shared.config;
    let mut pending: Vec<Pending> = Vec::new();
    loop {
        let due = pending.iter().map(|p| p.at).min();
        let next_due = async {
            match due {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = async { let _ = stop.wait_for(|s| *s).await; } => return true,
            _ = session.closed() => return false,
            r = revocations.next() => {
                let Some(revocation) = r else {
                    // The session's task has ended.
                    session.closed().await;
                    return false;
                };
                let hit = declared(config, shared.owner, &revocation);
                if hit.is_empty() {
                    continue;
                }
                for what in &hit {
                    if let Declared::Subscription(i) = *what {
                        if let Some(feed) = config.subscriptions[i].handler.stream() {
                            let cause = GapCause::Revoked(revocation.clone());
                            feed.lost(shared.owner, session.id(), cause);
                        }
                    }
                }
                tracing::warn!(
                    kind = revocation.kind.as_str(),
                    uri = %revocation.uri,
                    reason = revocation.reason.as_deref().unwrap_or(""),
                    "revoked by the router; re-establishing it"
                );
                shared.state.send_modify(|s| s.ready = false);
                emit(
                    shared,
                    LifecycleEvent::Revoked {
                        session: session.clone(),
                        revocation: revocation.clone(),
                    },
                )
                .await;
                for what in hit {
                    if !pending.iter().any(|p| p.what == what) {
                        pending.push(Pending {
                            what,
                            revocation: revocation.clone(),
                            at: Instant::now(),
                            delay: REESTABLISH_FIRST_DELAY,
                            attempts: 0,
                        });
                    }
                }
            }
            () = next_due => {
                let mut i = 0;
                while i < pending.len() {
                    if pending[i].at > Instant::now() || !session.is_joined() {
                        i += 1;
                        continue;
                    }
                    pending[i].attempts += 1;
                    let Some(outcome) =
                        until_stopped(stop, reestablish(config, shared.owner, session, pending[i].what)).await
                    else {
                        return true;
                    };
                    match outcome {
                        Ok(None) => {
                            let p = pending.remove(i);
                            tracing::debug!(uri = %p.revocation.uri, "durable stream dropped; not re-established");
                        }
                        Ok(Some(id)) => {
                            let p = pending.remove(i);
                            tracing::info!(
                                kind = p.revocation.kind.as_str(),
                                uri = %p.revocation.uri,
                                attempts = p.attempts,
                                "re-established"
                            );
                            emit(
                                shared,
                                LifecycleEvent::Reestablished {
                                    session: session.clone(),
                                    revocation: p.revocation,
                                    attempts: p.attempts,
                                    id,
                                },
                            )
                            .await;
                        }
                        Err(error) => {
                            let p = &mut pending[i];
                            tracing::warn!(
                                kind = p.revocation.kind.as_str(),
                                uri = %p.revocation.uri,
                                attempt = p.attempts,
                                delay_ms = p.delay.as_millis() as u64,
                                %error,
                                "cannot re-establish it yet; retrying"
                            );
                            p.at = Instant::now() + p.delay;
                            p.delay = (p.delay * 2).min(REESTABLISH_MAX_DELAY);
                            i += 1;
                        }
                    }
                }
                if pending.is_empty() && session.is_joined() {
                    shared.state.send_modify(|s| s.ready = true);
                    tracing::info!("ready again");
                }
            }
        }
    }
}

/// An attempt failed before a session was established: tells the listeners and the stream.
async fn connect_failed(shared: &Shared, url: String, error: JoinError) -> Outcome {
    failed_before_session(shared, url, Failure::Join(error)).await
}

async fn failed_before_session(shared: &Shared, url: String, failure: Failure) -> Outcome {
    let failure = Arc::new(failure);
    let event = LifecycleEvent::ConnectFailure {
        url,
        failure: failure.clone(),
    };
    emit(shared, event).await;
    Outcome::Failed(failure)
}

/// Ends a session on purpose: on a stop, running invocations may first finish (within the
/// stop timeout); then GOODBYE, answered or timed out by the session.
async fn leave(config: &Config, session: &Session, drain: bool) -> CloseDetails {
    if drain
        && tokio::time::timeout(config.stop_timeout, session.drain())
            .await
            .is_err()
    {
        tracing::warn!(
            timeout_ms = config.stop_timeout.as_millis() as u64,
            "invocations still running at the stop timeout; they are canceled"
        );
    }
    match session.leave().await {
        Ok(details) => details,
        Err(_) => session.closed().await,
    }
}

/// Sets every testament of the component on a new session, in order.
async fn set_testaments(config: &Config, session: &Session) -> Option<Failure> {
    for t in &config.testaments {
        let set = tokio::time::timeout(config.setup_timeout, session.set_testament(t)).await;
        match set {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                return Some(Failure::Testament {
                    topic: t.topic.clone(),
                    error,
                })
            }
            Err(_) => return Some(Failure::SetupTimeout(config.setup_timeout)),
        }
    }
    None
}

/// Registers every procedure and subscribes every subscription (durable streams too), all
/// at once.
async fn set_up(config: &Config, owner: u64, session: &Session) -> Result<ReadyDetails, Failure> {
    let registrations = join_all(config.procedures.iter().map(|p| register(session, p)));
    let subscriptions = join_all(config.subscriptions.iter().map(|s| async move {
        subscribe(session, owner, s)
            .await
            .map_err(|error| Failure::Subscribe {
                topic: s.topic.clone(),
                error,
            })
    }));
    let (r, s) = futures_util::future::join(registrations, subscriptions).await;
    let mut subscriptions = Vec::with_capacity(s.len());
    for made in s {
        subscriptions.extend(made?);
    }
    Ok(ReadyDetails {
        registrations: r.into_iter().collect::<Result<_, _>>()?,
        subscriptions,
    })
}

/// Subscribes one declared subscription: its handler, or its durable stream (handed the
/// session's events). `None` for a stream its consumer has dropped: it is no longer
/// subscribed (or, dropped meanwhile, unsubscribed at once).
async fn subscribe(
    session: &Session,
    owner: u64,
    s: &SubscriptionDecl,
) -> Result<Option<Subscription>, SubscribeError> {
    match &s.handler {
        EventTarget::Handler(handler) => session
            .subscribe_handler(&s.topic, s.options.clone(), handler.clone())
            .await
            .map(Some),
        EventTarget::Stream(feed) => {
            if !feed.wanted_by(owner) {
                return Ok(None);
            }
            let events = session
                .subscribe_stream(&s.topic, s.options.clone())
                .await?;
            let subscription = events.subscription().cloned();
            // Given back when the consumer went away meanwhile: dropped, it unsubscribes.
            Ok(feed
                .attach(owner, session.id(), events)
                .ok()
                .and(subscription))
        }
    }
}

/// The durable streams among the component's subscriptions.
fn streams(config: &Config) -> impl Iterator<Item = &super::stream::StreamFeed> {
    config
        .subscriptions
        .iter()
        .filter_map(|s| s.handler.stream())
}

/// Registers one procedure; `procedure_already_exists` (the router may still hold our
/// previous session) is retried for [`ALREADY_EXISTS_RETRY_FOR`].
async fn register(session: &Session, p: &ProcedureDecl) -> Result<Registration, Failure> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(100);
    loop {
        match session
            .register_procedure(&p.uri, p.options.clone(), p.handler.clone())
            .await
        {
            Ok(registration) => return Ok(registration),
            Err(RegisterError::Application(e))
                if e.uri == error_uri::PROCEDURE_ALREADY_EXISTS
                    && start.elapsed() + delay < ALREADY_EXISTS_RETRY_FOR =>
            {
                tracing::info!(procedure = %p.uri, delay_ms = delay.as_millis() as u64, "procedure still registered by another session; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(error) => {
                return Err(Failure::Register {
                    procedure: p.uri.clone(),
                    error,
                })
            }
        }
    }
}

/// Tells the event stream, then the listeners, one after the other, each on a task of its
/// own; their errors and panics are logged. A listener does not hold the component up
/// forever: once a stop is requested it has the stop timeout to finish and is then aborted,
/// and a join or ready listener still running when its session ends is left to finish on its
/// own (its session's operations fail from then on) while the component reconnects.
async fn emit(shared: &Shared, event: LifecycleEvent) {
    if let Some(tx) = shared
        .events
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
        let _ = tx.send(event.clone());
    }
    let config = &shared.config;
    let session = match &event {
        LifecycleEvent::Join { session } | LifecycleEvent::Ready { session, .. } => {
            Some(session.clone())
        }
        _ => None,
    };
    for listener in &config.listeners {
        let Some(fut) = listener(&event) else {
            continue;
        };
        let mut task = tokio::spawn(fut);
        let mut stop = shared.stop.subscribe();
        let session_ended = async {
            match &session {
                Some(s) => {
                    s.closed().await;
                }
                None => std::future::pending().await,
            }
        };
        let outcome = tokio::select! {
            r = &mut task => Some(r),
            () = async { let _ = stop.wait_for(|s| *s).await; } => {
                match tokio::time::timeout(config.stop_timeout, &mut task).await {
                    Ok(r) => Some(r),
                    Err(_) => {
                        task.abort();
                        tracing::warn!(component = %config.name, event = event.kind(), "lifecycle listener still running at the stop timeout; aborted");
                        None
                    }
                }
            }
            _ = session_ended => {
                tracing::info!(component = %config.name, event = event.kind(), "session ended while a lifecycle listener runs; it goes on by itself");
                None
            }
        };
        let error = match outcome {
            Some(Ok(None)) | None => continue,
            Some(Ok(Some(error))) => {
                tracing::error!(component = %config.name, event = event.kind(), %error, "lifecycle listener failed");
                error
            }
            Some(Err(e)) if e.is_panic() => {
                tracing::error!(component = %config.name, event = event.kind(), error = %e, "lifecycle listener panicked");
                format!("panicked: {e}")
            }
            Some(Err(_)) => continue,
        };
        if config.fail_on_listener_error {
            shared
                .listener_failure
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert(ComponentError::Listener {
                    name: config.name.clone(),
                    event: event.kind(),
                    error,
                });
            tracing::error!(component = %config.name, "a listener failed; the component stops");
            shared.stop.send_replace(true);
        }
    }
}

/// Runs `fut` unless a stop is requested first (then `None`).
async fn until_stopped<F: Future>(stop: &mut watch::Receiver<bool>, fut: F) -> Option<F::Output> {
    tokio::select! {
        out = fut => Some(out),
        _ = stop.wait_for(|s| *s) => None,
    }
}
