//! The public [`Session`] handle: the session's life, publications, and the one path every
//! request takes (a command with its own oneshot to the driver, the answer back). Calls are
//! in [`call`], registrations and subscriptions in [`registration`].

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::oneshot;
use wamp_core::session::{CloseDetails, CloseInitiator, SessionDetails};
use wamp_core::uri::{self, close_uri, MatchPolicy};
use wamp_core::value::Str;
use wamp_core::Id;

use crate::driver;
use crate::error::{JoinError, PublishError, Refusal, SessionError};
use crate::link::{Command, SessionShared};
use crate::options::{JoinOptions, PublishOptions};
use crate::payload::Payload;
use crate::transport::TransportConfig;

pub(crate) mod call;
pub(crate) mod call_builder;
pub(crate) mod meta;
pub(crate) mod publish_builder;
pub(crate) mod registration;
pub(crate) mod testament;

/// A joined WAMP session. Cheap to clone; every clone talks to the same session, from any
/// task.
///
/// One task owns the transport and the protocol state; the handle sends it commands. The
/// session lives while any handle (or [`Registration`], [`Subscription`]) exists, until it
/// leaves or the router or transport ends it. Once it has ended every operation fails with
/// [`SessionError::Lost`].
///
/// [`Registration`]: crate::Registration
/// [`Subscription`]: crate::Subscription
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
    inner: Arc<SessionShared>,
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
    /// Connects to `url` and joins `realm` anonymously, with the default transport settings
    /// (see [`TransportConfig::new`]).
    ///
    /// The serializers offered are Autobahn|Python's defaults, in its order: CBOR, then
    /// MessagePack, then JSON. Over WebSocket all three are offered and the router picks
    /// (Crossbar.io takes the first it supports); over RawSocket only the first, CBOR, is
    /// asked for, as Autobahn's RawSocket client does. [`connect_with`](Self::connect_with)
    /// chooses one.
    pub async fn connect(url: &str, realm: &str) -> Result<Session, JoinError> {
        let transport = TransportConfig::new(url).map_err(config_error)?;
        Session::join(&transport, JoinOptions::new(realm)).await
    }

    /// Connects to `url` with one serializer, by name (`json`, `msgpack` or `cbor`), and joins
    /// `realm` anonymously. An unknown name fails with [`JoinError::Connect`] (a
    /// [`ConfigError::UnknownSerializer`](crate::ConfigError::UnknownSerializer)); a router
    /// that does not speak it refuses the connection. For everything else a transport can
    /// set, see [`Session::join`].
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use wamp_client::Session;
    ///
    /// let session = Session::connect_with("rs://127.0.0.1:8081", "realm1", "msgpack").await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_with(
        url: &str,
        realm: &str,
        serializer: &str,
    ) -> Result<Session, JoinError> {
        let transport = TransportConfig::new(url)
            .and_then(|t| t.serializer_names(&[serializer]))
            .map_err(config_error)?;
        Session::join(&transport, JoinOptions::new(realm)).await
    }

    /// Connects over `transport` and joins as `options` say (authentication included, with
    /// every method a component has).
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
        // Boxed: the join holds the whole driver, which then moves to a task of its own; inline,
        // its size would stay in every future that awaits a join (a component's supervisor).
        let inner = Box::pin(driver::join(connection, &options)).await?;
        Ok(Session { inner })
    }

    pub(crate) fn from_inner(inner: Arc<SessionShared>) -> Session {
        Session { inner }
    }

    pub(crate) fn downgrade(&self) -> std::sync::Weak<SessionShared> {
        Arc::downgrade(&self.inner)
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

    pub(crate) fn lost(&self) -> SessionError {
        SessionError::Lost(self.close_details().unwrap_or_else(transport_lost))
    }

    /// A fresh key (for a call to cancel, or a local subscription).
    pub(crate) fn next_key(&self) -> u64 {
        self.inner.keys.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The one path of every request: `command` goes to the driver, carrying the sender of
    /// `reply`; its answer comes back there. A session that ended first is
    /// [`SessionError::Lost`].
    pub(crate) async fn request<T, E: From<SessionError>>(
        &self,
        command: Command,
        reply: oneshot::Receiver<Result<T, E>>,
    ) -> Result<T, E> {
        if self.inner.commands.send(command).await.is_err() {
            return Err(self.lost().into());
        }
        match reply.await {
            Ok(r) => r,
            Err(_) => Err(self.lost().into()),
        }
    }

    /// A request other than a call, answered with the id the router gave.
    pub(crate) async fn acknowledged<E: From<Refusal>>(
        &self,
        make: impl FnOnce(crate::link::AckSender) -> Command,
    ) -> Result<Id, E> {
        let (tx, rx) = oneshot::channel();
        self.request(make(tx), rx).await.map_err(E::from)
    }

    /// Sends a command that must not be lost even when the queue is full (from a `Drop`).
    pub(crate) fn send_always(&self, command: Command) {
        if self.inner.commands.send_always(command).is_err() {
            tracing::debug!("session gone; command dropped");
        }
    }

    /// Publishes with a raw payload and options. With `options.acknowledge` it waits for the
    /// broker and returns the publication id; otherwise it returns `None` once the event is
    /// queued.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// use wamp_client::{Payload, PublishOptions};
    /// let id = session
    ///     .publish_with("com.example.topic", Payload::args(&("hi",))?, PublishOptions::acknowledged())
    ///     .await?;
    /// println!("publication {id:?}");
    /// # Ok(()) }
    /// ```
    pub async fn publish_with(
        &self,
        topic: &str,
        payload: Payload,
        options: PublishOptions,
    ) -> Result<Option<Id>, PublishError> {
        let span = crate::observe::publish_span(topic, &self.inner.details);
        let outcome = self.publish_in(topic, payload, options, &span).await;
        crate::observe::record_publish_outcome(&span, &outcome);
        outcome
    }

    async fn publish_in(
        &self,
        topic: &str,
        payload: Payload,
        options: PublishOptions,
        span: &crate::observe::OpSpan,
    ) -> Result<Option<Id>, PublishError> {
        uri::validate(topic, MatchPolicy::Exact, false)?;
        let opts = options.to_dict();
        let topic = Str::new(topic);
        if options.acknowledge {
            let id = self
                .acknowledged::<PublishError>(|reply| Command::Publish {
                    topic,
                    options: opts,
                    payload,
                    reply: Some(reply),
                    span: span.share(),
                })
                .await?;
            return Ok(Some(id));
        }
        let command = Command::Publish {
            topic,
            options: opts,
            payload,
            reply: None,
            span: span.share(),
        };
        match self.inner.commands.send(command).await {
            Ok(()) => Ok(None),
            Err(_) => Err(self.lost().into()),
        }
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
        uri::validate(reason, MatchPolicy::Exact, false)?;
        let (tx, rx) = oneshot::channel();
        let command = Command::Leave {
            reason: reason.to_owned(),
            message: message.map(str::to_owned),
            reply: tx,
        };
        self.request(command, rx).await
    }
}

fn config_error(e: crate::transport::ConfigError) -> JoinError {
    JoinError::Connect(crate::transport::ConnectError::Config(e))
}

fn transport_lost() -> CloseDetails {
    CloseDetails {
        reason: close_uri::TRANSPORT_LOST.to_owned(),
        message: None,
        initiator: CloseInitiator::Transport,
    }
}
