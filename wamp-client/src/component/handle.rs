//! The handle of a started component: its current session, readiness, lifecycle events and
//! a graceful stop.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast;

use super::config::Component;
use super::error::ComponentError;
use super::lifecycle::LifecycleEvent;
use super::supervisor::{self, Shared, State};
use crate::error::{CallError, SessionError};
use crate::handler::Caller;
use crate::link::BoxFuture;
use crate::options::CallOptions;
use crate::payload::{CallResult, Payload};
use crate::session::call_builder::{CallBuilder, FindSession};
use crate::session::publish_builder::PublishBuilder;
use crate::session::Session;

impl Component {
    /// Starts the component on the current tokio runtime and returns its handle.
    ///
    /// ```no_run
    /// # async fn demo(comp: wamp_client::Component) -> Result<(), Box<dyn std::error::Error>> {
    /// let handle = comp.start();
    /// let session = handle.ready().await?;
    /// session.publish("com.example.started", ()).await?;
    /// handle.stop().await?;
    /// # Ok(()) }
    /// ```
    pub fn start(&self) -> ComponentHandle {
        ComponentHandle {
            shared: supervisor::start(self.config.clone()),
        }
    }
}

/// A running component: see [`Component::start`]. Cheap to clone;
/// dropping every handle does not stop the component (call [`stop`](Self::stop)).
#[derive(Clone)]
pub struct ComponentHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ComponentHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.state.borrow();
        f.debug_struct("ComponentHandle")
            .field("name", &self.shared.config.name)
            .field("session", &state.session.as_ref().map(Session::id))
            .field("ready", &state.ready)
            .field("done", &state.done.is_some())
            .finish()
    }
}

impl ComponentHandle {
    /// The component's name.
    pub fn name(&self) -> &str {
        &self.shared.config.name
    }

    /// The current session, while one is joined.
    pub fn session(&self) -> Option<Session> {
        self.shared.state.borrow().session.clone()
    }

    /// Whether a session is joined and every procedure and subscription is live on it.
    pub fn is_ready(&self) -> bool {
        self.shared.state.borrow().ready
    }

    /// Whether the component has ended (stopped, finished or failed).
    pub fn is_finished(&self) -> bool {
        self.shared.state.borrow().done.is_some()
    }

    /// Waits until a session is ready and returns it; fails if the component ends first.
    pub async fn ready(&self) -> Result<Session, ComponentError> {
        let mut rx = self.shared.state.subscribe();
        let state = rx
            .wait_for(|s| (s.ready && s.session.is_some()) || s.done.is_some())
            .await;
        match state.as_deref() {
            Ok(State {
                session: Some(session),
                ready: true,
                ..
            }) => Ok(session.clone()),
            Ok(State {
                done: Some(Err(e)), ..
            }) => Err(e.clone()),
            _ => Err(ComponentError::Ended {
                name: self.shared.config.name.clone(),
            }),
        }
    }

    /// The lifecycle events: the first call gets every event since the start, later calls
    /// the events from the call on.
    pub fn events(&self) -> LifecycleEvents {
        let first = self.shared.take_first_events();
        if let Some(rx) = first {
            return LifecycleEvents {
                rx,
                missed: AtomicU64::new(0),
            };
        }
        let events = self.shared.events.lock().unwrap_or_else(|p| p.into_inner());
        LifecycleEvents {
            // A finished component's stream is empty.
            rx: events
                .as_ref()
                .map_or_else(|| broadcast::channel(1).1, |tx| tx.subscribe()),
            missed: AtomicU64::new(0),
        }
    }

    /// Waits until the component ends and returns how it ended.
    pub async fn wait(&self) -> Result<(), ComponentError> {
        let mut rx = self.shared.state.subscribe();
        let state = rx.wait_for(|s| s.done.is_some()).await;
        match state.as_deref() {
            Ok(State { done: Some(r), .. }) => r.clone(),
            _ => Ok(()),
        }
    }

    /// Stops the component and waits until it has stopped: no new invocations are accepted,
    /// running ones may finish within the stop timeout, the session leaves (GOODBYE sent and
    /// answered), the transport closes. A stopped component never reconnects. Stopping a
    /// component that already ended returns how it ended.
    pub async fn stop(&self) -> Result<(), ComponentError> {
        self.shared.stop.send_replace(true);
        self.wait().await
    }

    /// Calls through the component's session: the same [`CallBuilder`] as
    /// [`Session::call`], with keyword arguments and options chained on before the
    /// `.await`.
    ///
    /// The session is the current one when the call starts. When there is none (before the
    /// first join, between reconnects), the call waits for the component to be ready within
    /// its deadline (its [`timeout`](CallBuilder::timeout), else the component's
    /// [`call_timeout`](crate::ComponentBuilder::call_timeout)), and what is left of the
    /// deadline bounds the call itself; it fails with [`CallError::Timeout`] when no session
    /// comes in time. Without a deadline it fails at once with [`SessionError::NotJoined`],
    /// as it does when the component has ended. Nothing is retried behind the caller's back.
    ///
    /// ```no_run
    /// # async fn demo(handle: wamp_client::ComponentHandle) -> Result<(), wamp_client::CallError> {
    /// use std::time::Duration;
    /// // Waits up to 5 s for the component to be ready, and for the answer.
    /// let sum: i64 = handle
    ///     .call("com.example.add2", (2, 3))
    ///     .timeout(Duration::from_secs(5))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn call<A, R>(&self, procedure: &str, args: A) -> CallBuilder<R>
    where
        A: Serialize,
    {
        let shared = self.shared.clone();
        let find: FindSession = Box::new(move |deadline| Box::pin(find_session(shared, deadline)));
        CallBuilder::deferred(find, self.shared.config.join.call_timeout, procedure, args)
    }

    /// Publishes through the current session: the same [`PublishBuilder`] as
    /// [`Session::publish`]. While there is none it fails with [`SessionError::NotJoined`]
    /// when awaited.
    ///
    /// ```no_run
    /// # async fn demo(handle: wamp_client::ComponentHandle) -> Result<(), wamp_client::PublishError> {
    /// handle.publish("com.example.topic", ("hello",)).kwarg("lang", "en").await?;
    /// # Ok(()) }
    /// ```
    pub fn publish<A: Serialize>(&self, topic: &str, args: A) -> PublishBuilder {
        PublishBuilder::new(self.session().ok_or(SessionError::NotJoined), topic, args)
    }
}

/// The session a call through a handle goes over: the current one; else, within `deadline`,
/// the next ready one.
async fn find_session(
    shared: Arc<Shared>,
    deadline: Option<Duration>,
) -> Result<Session, CallError> {
    let mut rx = shared.state.subscribe();
    if let Some(session) = rx.borrow_and_update().session.clone() {
        return Ok(session);
    }
    let Some(deadline) = deadline else {
        return Err(SessionError::NotJoined.into());
    };
    let ready = rx.wait_for(|s| (s.ready && s.session.is_some()) || s.done.is_some());
    let found = match tokio::time::timeout(deadline, ready).await {
        Err(_) => Err(CallError::Timeout(deadline)),
        Ok(Ok(state)) => state
            .session
            .clone()
            .filter(|_| state.ready)
            .ok_or_else(|| SessionError::NotJoined.into()),
        Ok(Err(_)) => Err(SessionError::NotJoined.into()),
    };
    found
}

/// The lifecycle events of a component, from [`ComponentHandle::events`].
#[derive(Debug)]
pub struct LifecycleEvents {
    rx: broadcast::Receiver<LifecycleEvent>,
    missed: AtomicU64,
}

impl LifecycleEvents {
    /// The next event; `None` once the component has ended and every event was read.
    pub async fn next(&mut self) -> Option<LifecycleEvent> {
        loop {
            match self.rx.recv().await {
                Ok(e) => return Some(e),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    self.missed.fetch_add(n, Ordering::Relaxed);
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// Events lost because this reader fell more than 64 behind.
    pub fn missed(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }
}

/// A typed proxy calls through the component's current session; while it has none, a call
/// fails with [`SessionError::NotJoined`].
impl Caller for ComponentHandle {
    fn call_payload(
        &self,
        procedure: &str,
        payload: Payload,
        options: CallOptions,
    ) -> BoxFuture<Result<CallResult, CallError>> {
        match self.session() {
            Some(s) => s.call_payload(procedure, payload, options),
            None => Box::pin(async { Err(SessionError::NotJoined.into()) }),
        }
    }
}
