//! The public [`Session`] handle and the values it hands out.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};
use wamp_core::session::{CloseDetails, CloseInitiator, SessionDetails};
use wamp_core::uri::{self, close_uri, MatchPolicy};
use wamp_core::value::{to_value, Dict, Str, Value};
use wamp_core::{Id, WampError};

use crate::driver::{self, Command};
use crate::error::{
    CallError, JoinError, PublishError, RegisterError, SessionError, SubscribeError,
};
use crate::options::{CallOptions, JoinOptions, PublishOptions, RegisterOptions, SubscribeOptions};
use crate::payload::{into_args, Payload};
use crate::queue;
use crate::transport::TransportConfig;

/// A boxed future, as returned by [`Procedure`] and [`EventHandler`].
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Answers CHALLENGE messages during the join (ticket, WAMP-CRA, cryptosign, ...).
pub trait Authenticator: Send + Sync + 'static {
    /// The signature and extra for AUTHENTICATE, or an error to abort the join.
    fn authenticate(&self, method: &str, extra: &Dict) -> Result<(String, Dict), WampError>;

    /// Checks the router's side of the authentication in WELCOME (SCRAM's server signature,
    /// a router's cryptosign proof); an error ends the session at once. Accepts by default.
    fn verify_welcome(
        &self,
        details: &wamp_core::session::SessionDetails,
    ) -> Result<(), WampError> {
        let _ = details;
        Ok(())
    }
}

/// A procedure: turns an [`Invocation`] into a result or an error.
///
/// Any `Fn(Invocation) -> impl Future<Output = Result<Payload, WampError>>` is a procedure;
/// [`typed`] adapts a function of typed arguments.
pub trait Procedure: Send + Sync + 'static {
    /// Runs the procedure. Called on a task of its own, never on the session's IO task.
    fn invoke(&self, invocation: Invocation) -> BoxFuture<Result<Payload, WampError>>;
}

impl<F, Fut> Procedure for F
where
    F: Fn(Invocation) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Payload, WampError>> + Send + 'static,
{
    fn invoke(&self, invocation: Invocation) -> BoxFuture<Result<Payload, WampError>> {
        Box::pin(self(invocation))
    }
}

/// Adapts an async function of typed positional arguments into a [`Procedure`].
///
/// The arguments are deserialized from the call's positional arguments (a mismatch answers
/// `wamp.error.invalid_argument`); the return value becomes the single positional result
/// (`()` becomes no result).
///
/// ```no_run
/// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
/// use wamp_client::{typed, WampError};
/// session
///     .register("com.example.add2", typed(|(a, b): (i64, i64)| async move { Ok::<_, WampError>(a + b) }))
///     .await?;
/// # Ok(()) }
/// ```
pub fn typed<A, R, F, Fut>(f: F) -> impl Procedure
where
    A: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, WampError>> + Send + 'static,
{
    move |inv: Invocation| {
        let args = inv.payload.args_as::<A>();
        let fut = args.map(&f);
        async move {
            let fut = fut.map_err(|e| {
                WampError::with_message(uri::error_uri::INVALID_ARGUMENT, e.to_string())
            })?;
            let value = fut.await?;
            let value = to_value(&value).map_err(|e| {
                WampError::with_message(uri::error_uri::INVALID_PAYLOAD, e.to_string())
            })?;
            Ok(match value {
                Value::Null => Payload::new(),
                v => Payload::from_parts(vec![v], Dict::new()),
            })
        }
    }
}

/// Handles the events of a subscription, one at a time, in order.
pub trait EventHandler: Send + Sync + 'static {
    /// Handles one event.
    fn handle(&self, event: Event) -> BoxFuture<()>;
}

impl<F, Fut> EventHandler for F
where
    F: Fn(Event) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn handle(&self, event: Event) -> BoxFuture<()> {
        Box::pin(self(event))
    }
}

/// The result of a call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    /// The result payload.
    pub payload: Payload,
    /// RESULT.Details
    pub details: Dict,
}

/// A call of one of our procedures.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The invocation's request id.
    pub request: Id,
    /// The registration it is for.
    pub registration: Id,
    /// The procedure URI called (for pattern-based registrations the concrete URI).
    pub procedure: String,
    /// The arguments.
    pub payload: Payload,
    /// INVOCATION.Details (`caller`, `caller_authid`, `timeout`, ...).
    pub details: Dict,
}

impl Invocation {
    /// The caller's session id, when the router disclosed it.
    pub fn caller(&self) -> Option<Id> {
        self.details.get("caller").and_then(Value::as_u64)
    }
}

/// An event received on a subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The subscription.
    pub subscription: Id,
    /// The publication id.
    pub publication: Id,
    /// The topic (for pattern-based subscriptions the concrete topic).
    pub topic: String,
    /// The event payload.
    pub payload: Payload,
    /// EVENT.Details (`publisher`, `topic`, `retained`, ...).
    pub details: Dict,
}

impl Event {
    /// The publisher's session id, when the broker disclosed it.
    pub fn publisher(&self) -> Option<Id> {
        self.details.get("publisher").and_then(Value::as_u64)
    }
}

tokio::task_local! {
    /// The session of the handler running on this task.
    static CURRENT: std::sync::Weak<Inner>;
}

pub(crate) struct Inner {
    pub(crate) commands: queue::Sender<Command>,
    pub(crate) details: SessionDetails,
    pub(crate) closed: watch::Receiver<Option<CloseDetails>>,
}

/// A joined WAMP session. Cheap to clone; every clone talks to the same session, from any
/// task.
///
/// One task owns the transport and the protocol state; the handle sends it commands. The
/// session lives while any handle (or [`Registration`], [`Subscription`]) exists, until it
/// leaves or the router or transport ends it. Once it has ended every operation fails with
/// [`SessionError::Lost`].
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use wamp_client::Session;
///
/// let session = Session::connect("ws://127.0.0.1:8080/ws", "realm1").await?;
/// let sum: i64 = session.call("com.example.add2", (2, 3)).await?;
/// assert_eq!(sum, 5);
/// session.publish("com.example.topic", ("hello",)).await?;
/// session.leave().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.inner.details.session)
            .field("realm", &self.inner.details.realm)
            .finish()
    }
}

impl Session {
    /// Connects to `url` and joins `realm` anonymously, with the default transport settings.
    pub async fn connect(url: &str, realm: &str) -> Result<Session, JoinError> {
        let transport = TransportConfig::new(url)
            .map_err(|e| JoinError::Connect(crate::transport::ConnectError::Config(e)))?;
        Session::join(&transport, JoinOptions::new(realm)).await
    }

    /// Connects over `transport` and joins as `options` say.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use wamp_client::{JoinOptions, Session, TransportConfig};
    ///
    /// let transport = TransportConfig::new("rs://127.0.0.1:8081")?;
    /// let session = Session::join(&transport, JoinOptions::new("realm1")).await?;
    /// println!("joined as session {}", session.id());
    /// # Ok(()) }
    /// ```
    pub async fn join(
        transport: &TransportConfig,
        options: JoinOptions,
    ) -> Result<Session, JoinError> {
        uri::validate_realm(&options.realm).map_err(JoinError::InvalidRealm)?;
        let connection = crate::transport::connect(transport).await?;
        Session::start(connection, options).await
    }

    /// Joins over a connection already made.
    pub(crate) async fn start(
        connection: crate::transport::Connection,
        options: JoinOptions,
    ) -> Result<Session, JoinError> {
        uri::validate_realm(&options.realm).map_err(JoinError::InvalidRealm)?;
        let (details, commands, closed) = driver::start(connection, options).await?;
        let session = Session {
            inner: Arc::new(Inner {
                commands,
                details,
                closed,
            }),
        };
        // Handlers can then take the session (see `current`); a weak reference, so that the
        // session still ends when the application drops its last handle.
        let attach = Command::Attach(Arc::downgrade(&session.inner));
        let _ = session.inner.commands.send(attach).await;
        Ok(session)
    }

    /// The session whose handler (procedure or event handler) is running on this task, if
    /// any. [`handler`](crate::handler) parameters of type `Session` use it.
    pub(crate) fn current() -> Option<Session> {
        CURRENT
            .try_with(|weak| weak.upgrade())
            .ok()
            .flatten()
            .map(|inner| Session { inner })
    }

    /// Runs `fut` with `weak` as the current session.
    pub(crate) fn scope<F: Future>(
        weak: std::sync::Weak<Inner>,
        fut: F,
    ) -> impl Future<Output = F::Output> {
        CURRENT.scope(weak, fut)
    }

    /// What the router said in WELCOME.
    pub fn details(&self) -> &SessionDetails {
        &self.inner.details
    }

    /// The session id.
    pub fn id(&self) -> Id {
        self.inner.details.session
    }

    /// Whether the session is still joined.
    pub fn is_joined(&self) -> bool {
        self.inner.closed.borrow().is_none()
    }

    /// Why the session ended, if it has.
    pub fn close_details(&self) -> Option<CloseDetails> {
        self.inner.closed.borrow().clone()
    }

    /// Waits until the session ends and says why.
    pub async fn closed(&self) -> CloseDetails {
        let mut rx = self.inner.closed.clone();
        let details = match rx.wait_for(Option::is_some).await {
            Ok(d) => d.clone(),
            Err(_) => None,
        };
        details.unwrap_or_else(transport_lost)
    }

    /// Stops taking invocations (new ones are answered `wamp.error.unavailable`, so a router
    /// can reroute them) and waits until the running ones have answered.
    pub(crate) async fn drain(&self) {
        let (tx, rx) = oneshot::channel();
        if self
            .inner
            .commands
            .send(Command::Drain { reply: tx })
            .await
            .is_ok()
        {
            let _ = rx.await;
        }
    }

    /// Waits until the session's task has ended: the session is over and its transport
    /// closed.
    pub(crate) async fn finished(&self) {
        let mut rx = self.inner.closed.clone();
        while rx.changed().await.is_ok() {}
    }

    fn lost(&self) -> SessionError {
        SessionError::Lost(self.close_details().unwrap_or_else(transport_lost))
    }

    async fn request<T, E: From<SessionError>>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, E>>) -> Command,
    ) -> Result<T, E> {
        let (tx, rx) = oneshot::channel();
        if self.inner.commands.send(make(tx)).await.is_err() {
            return Err(self.lost().into());
        }
        match rx.await {
            Ok(r) => r,
            Err(_) => Err(self.lost().into()),
        }
    }

    /// Calls `procedure` with positional arguments (a tuple, a `Vec`, any serde value; `()`
    /// for none) and deserializes the result the way Autobahn maps it: no result is `()` /
    /// `None`, one positional result is that value, several are a tuple or `Vec`.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// let sum: i64 = session.call("com.example.add2", (2, 3)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call<A, R>(&self, procedure: &str, args: A) -> Result<R, CallError>
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        let args = to_value(&args).map_err(CallError::Serialize)?;
        let payload = Payload::from_parts(into_args(args), Dict::new());
        let result = self
            .call_with(procedure, payload, CallOptions::default())
            .await?;
        result.payload.decode().map_err(CallError::Deserialize)
    }

    /// Calls `procedure` with a raw payload and options; the whole result comes back.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// use wamp_client::{CallOptions, Payload};
    /// let mut kwargs = std::collections::BTreeMap::new();
    /// kwargs.insert("verbose", true);
    /// let payload = Payload::args(&(1, 2))?.with_kwargs(&kwargs)?;
    /// let result = session.call_with("com.example.echo", payload, CallOptions::default()).await?;
    /// println!("{:?} {:?}", result.payload.args, result.payload.kwargs);
    /// # Ok(()) }
    /// ```
    pub async fn call_with(
        &self,
        procedure: &str,
        payload: Payload,
        options: CallOptions,
    ) -> Result<CallResult, CallError> {
        uri::validate(procedure, MatchPolicy::Exact, false)?;
        let options = options.to_dict();
        let procedure = Str::new(procedure);
        self.request(|reply| Command::Call {
            procedure,
            options,
            payload,
            reply,
            progress: None,
        })
        .await
    }

    /// Calls `procedure` asking for progressive results (`receive_progress`): `on_progress`
    /// sees each one, in order, before the final result is returned.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// use wamp_client::Payload;
    /// let done = session
    ///     .call_with_progress("com.myapp.longop", Payload::args(&(3,)).unwrap(), Default::default(), |p| {
    ///         println!("progress: {:?}", p.payload.args);
    ///     })
    ///     .await?;
    /// println!("result: {:?}", done.payload.args);
    /// # Ok(()) }
    /// ```
    pub async fn call_with_progress(
        &self,
        procedure: &str,
        payload: Payload,
        options: CallOptions,
        mut on_progress: impl FnMut(CallResult) + Send,
    ) -> Result<CallResult, CallError> {
        uri::validate(procedure, MatchPolicy::Exact, false)?;
        let mut options = options.to_dict();
        options.insert(Str::from_static("receive_progress"), Value::Bool(true));
        let procedure = Str::new(procedure);
        let (progress_tx, mut progress) = mpsc::unbounded_channel();
        let (tx, mut rx) = oneshot::channel();
        let command = Command::Call {
            procedure,
            options,
            payload,
            reply: tx,
            progress: Some(progress_tx),
        };
        if self.inner.commands.send(command).await.is_err() {
            return Err(self.lost().into());
        }
        loop {
            tokio::select! {
                biased;
                Some(p) = progress.recv() => on_progress(p),
                r = &mut rx => {
                    // Progressive results sent before the final one come first.
                    while let Ok(p) = progress.try_recv() {
                        on_progress(p);
                    }
                    return match r {
                        Ok(r) => r,
                        Err(_) => Err(self.lost().into()),
                    };
                }
            }
        }
    }

    /// Registers `procedure` (exact match) with a handler; see [`Procedure`] and [`typed`].
    pub async fn register(
        &self,
        procedure: &str,
        handler: impl Procedure,
    ) -> Result<Registration, RegisterError> {
        self.register_with(procedure, RegisterOptions::default(), handler)
            .await
    }

    /// Registers `procedure` with options (match policy, invocation policy, ...).
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// use wamp_client::{Invocation, Payload, RegisterOptions, WampError};
    /// let reg = session
    ///     .register_with("com.example.echo", RegisterOptions::default(), |inv: Invocation| async move {
    ///         Ok::<_, WampError>(inv.payload)
    ///     })
    ///     .await?;
    /// reg.unregister().await?;
    /// # Ok(()) }
    /// ```
    pub async fn register_with(
        &self,
        procedure: &str,
        options: RegisterOptions,
        handler: impl Procedure,
    ) -> Result<Registration, RegisterError> {
        self.register_shared(procedure, options, Arc::new(handler))
            .await
    }

    /// [`Session::register_with`] for a handler shared between sessions.
    pub(crate) async fn register_shared(
        &self,
        procedure: &str,
        options: RegisterOptions,
        handler: Arc<dyn Procedure>,
    ) -> Result<Registration, RegisterError> {
        uri::validate(procedure, options.match_policy, false)?;
        let opts = options.to_dict();
        let uri = Str::new(procedure);
        let id = self
            .request(|reply| Command::Register {
                procedure: uri,
                options: opts,
                handler,
                reply,
            })
            .await?;
        Ok(Registration {
            id,
            procedure: procedure.to_owned(),
            session: self.clone(),
        })
    }

    /// Subscribes `handler` to `topic`: the handler sees every event, one at a time, in
    /// order, on a task of its own.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// let sub = session
    ///     .subscribe("com.example.topic", |event: wamp_client::Event| async move {
    ///         println!("got {:?}", event.payload.args);
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn subscribe(
        &self,
        topic: &str,
        handler: impl EventHandler,
    ) -> Result<Subscription, SubscribeError> {
        self.subscribe_with(topic, SubscribeOptions::default(), handler)
            .await
    }

    /// [`Session::subscribe`] with options.
    pub async fn subscribe_with(
        &self,
        topic: &str,
        options: SubscribeOptions,
        handler: impl EventHandler,
    ) -> Result<Subscription, SubscribeError> {
        self.subscribe_shared(topic, options, Arc::new(handler))
            .await
    }

    /// [`Session::subscribe_with`] for a handler shared between sessions.
    pub(crate) async fn subscribe_shared(
        &self,
        topic: &str,
        options: SubscribeOptions,
        handler: Arc<dyn EventHandler>,
    ) -> Result<Subscription, SubscribeError> {
        let (subscription, mut rx) = self.subscribe_inner(topic, options).await?;
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(Session::scope(weak, async move {
            use futures_util::FutureExt;
            while let Some(event) = rx.recv().await {
                let publication = event.publication;
                let run = std::panic::AssertUnwindSafe(handler.handle(event)).catch_unwind();
                if run.await.is_err() {
                    tracing::error!(publication, "event handler panicked");
                }
            }
        }));
        Ok(subscription)
    }

    /// Subscribes to `topic` and returns the events as an async stream. Dropping the stream
    /// unsubscribes.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut events = session.subscribe_stream("com.example.topic", Default::default()).await?;
    /// while let Some(event) = events.next().await {
    ///     println!("got {:?}", event.payload.args);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn subscribe_stream(
        &self,
        topic: &str,
        options: SubscribeOptions,
    ) -> Result<EventStream, SubscribeError> {
        let (subscription, rx) = self.subscribe_inner(topic, options).await?;
        Ok(EventStream {
            subscription: Some(subscription),
            rx,
        })
    }

    async fn subscribe_inner(
        &self,
        topic: &str,
        options: SubscribeOptions,
    ) -> Result<(Subscription, mpsc::Receiver<Event>), SubscribeError> {
        uri::validate(topic, options.match_policy, false)?;
        let (tx, rx) = mpsc::channel(options.queue_capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let sink = driver::EventSink {
            tx,
            dropped: dropped.clone(),
        };
        let opts = options.to_dict();
        let t = Str::new(topic);
        let (id, local) = self
            .request(|reply| Command::Subscribe {
                topic: t,
                options: opts,
                sink,
                reply,
            })
            .await?;
        Ok((
            Subscription {
                id,
                local,
                topic: topic.to_owned(),
                dropped,
                session: self.clone(),
            },
            rx,
        ))
    }

    /// Publishes an event with positional arguments (a tuple, a `Vec`, any serde value),
    /// without acknowledgement: it returns once the event is on its way.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::PublishError> {
    /// session.publish("com.example.topic", ("hello", 42)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn publish<A: Serialize>(&self, topic: &str, args: A) -> Result<(), PublishError> {
        let args = to_value(&args).map_err(PublishError::Serialize)?;
        let payload = Payload::from_parts(into_args(args), Dict::new());
        self.publish_with(topic, payload, PublishOptions::default())
            .await
            .map(|_| ())
    }

    /// Publishes with a raw payload and options. With `options.acknowledge` it waits for the
    /// broker and returns the publication id; otherwise `None`.
    pub async fn publish_with(
        &self,
        topic: &str,
        payload: Payload,
        options: PublishOptions,
    ) -> Result<Option<Id>, PublishError> {
        uri::validate(topic, MatchPolicy::Exact, false)?;
        let acknowledge = options.acknowledge;
        let opts = options.to_dict();
        let topic = Str::new(topic);
        self.request(|reply| Command::Publish {
            topic,
            options: opts,
            payload,
            acknowledge,
            reply,
        })
        .await
    }

    /// Leaves the realm with `wamp.close.normal` and waits for the router's GOODBYE
    /// (at most 5 s), then closes the transport.
    pub async fn leave(&self) -> Result<CloseDetails, SessionError> {
        self.leave_with(close_uri::NORMAL, None).await
    }

    /// Leaves with a reason URI and an optional message.
    pub async fn leave_with(
        &self,
        reason: &str,
        message: Option<&str>,
    ) -> Result<CloseDetails, SessionError> {
        uri::validate(reason, MatchPolicy::Exact, false)
            .map_err(|e| SessionError::Encode(e.to_string()))?;
        let reason = reason.to_owned();
        let message = message.map(str::to_owned);
        self.request(|reply| Command::Leave {
            reason,
            message,
            reply,
        })
        .await
    }

    pub(crate) fn try_command(&self, command: Command) {
        if self.inner.commands.try_send(command).is_err() {
            tracing::debug!("session gone or busy; command dropped");
        }
    }
}

fn transport_lost() -> CloseDetails {
    CloseDetails {
        reason: close_uri::TRANSPORT_LOST.to_owned(),
        message: None,
        initiator: CloseInitiator::Transport,
    }
}

/// A registered procedure. Dropping it does not unregister: call
/// [`Registration::unregister`].
#[derive(Debug, Clone)]
pub struct Registration {
    id: Id,
    procedure: String,
    session: Session,
}

impl Registration {
    /// The registration id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The procedure URI (or pattern).
    pub fn procedure(&self) -> &str {
        &self.procedure
    }

    /// The session it belongs to.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Unregisters the procedure.
    pub async fn unregister(self) -> Result<(), RegisterError> {
        let registration = self.id;
        self.session
            .request(|reply| Command::Unregister {
                registration,
                reply,
            })
            .await
    }
}

/// A subscription with a handler. Dropping it does not unsubscribe: call
/// [`Subscription::unsubscribe`].
#[derive(Debug, Clone)]
pub struct Subscription {
    id: Id,
    local: u64,
    topic: String,
    dropped: Arc<AtomicU64>,
    session: Session,
}

impl Subscription {
    /// The subscription id (shared by all local subscriptions to the same topic).
    pub fn id(&self) -> Id {
        self.id
    }

    /// The topic (or pattern).
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// How many events were dropped because the handler or stream fell more than the queue
    /// capacity behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Stops the events of this subscription; the router is told when the last local
    /// subscription to the same topic goes.
    pub async fn unsubscribe(self) -> Result<(), SubscribeError> {
        let (subscription, local) = (self.id, self.local);
        self.session
            .request(|reply| Command::Unsubscribe {
                subscription,
                local,
                reply: Some(reply),
            })
            .await
    }
}

/// The events of a subscription as a stream (see [`Session::subscribe_stream`]).
/// Dropping it unsubscribes.
#[derive(Debug)]
pub struct EventStream {
    subscription: Option<Subscription>,
    rx: mpsc::Receiver<Event>,
}

impl EventStream {
    /// The next event; `None` once the subscription or the session has ended.
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    /// The subscription behind the stream.
    pub fn subscription(&self) -> Option<&Subscription> {
        self.subscription.as_ref()
    }

    /// How many events were dropped because the stream was not read fast enough.
    pub fn dropped(&self) -> u64 {
        self.subscription.as_ref().map_or(0, Subscription::dropped)
    }

    /// How many events wait in the stream.
    pub fn pending(&self) -> usize {
        self.rx.len()
    }

    /// Unsubscribes and waits for the router's answer.
    pub async fn unsubscribe(mut self) -> Result<(), SubscribeError> {
        match self.subscription.take() {
            Some(s) => s.unsubscribe().await,
            None => Ok(()),
        }
    }
}

impl futures_util::Stream for EventStream {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        if let Some(s) = self.subscription.take() {
            s.session.try_command(Command::Unsubscribe {
                subscription: s.id,
                local: s.local,
                reply: None,
            });
        }
    }
}
