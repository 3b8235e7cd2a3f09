//! What a built component is: its [`Config`], shared by the supervisor and the handles, and
//! the defaults of its timeouts.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::error::Failure;
use super::lifecycle::Listener;
use super::stream::StreamFeed;
use super::transport::TransportSpec;
use crate::auth::Authentication;
use crate::handler::{EventHandler, Procedure};
use crate::link::BoxFuture;
use crate::options::{JoinOptions, RegisterOptions, SubscribeOptions};
use crate::session::testament::Testament;

/// How long a `wamp.error.procedure_already_exists` is retried on a new session before it is
/// reported: 10 s, with delays from 100 ms doubling to 2 s.
pub const ALREADY_EXISTS_RETRY_FOR: Duration = Duration::from_secs(10);

/// How soon a procedure or subscription the router revoked is tried again after the first
/// attempt (made at once) failed: 200 ms, doubling after each failure up to
/// [`REESTABLISH_MAX_DELAY`].
pub const REESTABLISH_FIRST_DELAY: Duration = Duration::from_millis(200);

/// The longest wait between two attempts to re-establish a revoked procedure or
/// subscription: 5 s.
pub const REESTABLISH_MAX_DELAY: Duration = Duration::from_secs(5);

/// The default of [`ComponentBuilder::stop_timeout`](super::ComponentBuilder::stop_timeout):
/// 10 s for running invocations to finish when the component stops.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The default of [`ComponentBuilder::setup_timeout`](super::ComponentBuilder::setup_timeout):
/// 30 s for the router to confirm every registration and subscription of a new session.
pub const DEFAULT_SETUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Decides whether a failure ends its transport for good: `Some(true)` fatal, `Some(false)`
/// retried, `None` the default ([`Failure::is_fatal_by_default`]).
pub type IsFatal = Arc<dyn Fn(&Failure) -> Option<bool> + Send + Sync>;

/// A component's main function, type-erased.
pub(crate) type MainFn = Arc<
    dyn Fn(crate::session::Session) -> BoxFuture<Result<(), super::lifecycle::BoxError>>
        + Send
        + Sync,
>;

pub(crate) struct ProcedureDecl {
    pub(crate) uri: String,
    pub(crate) options: RegisterOptions,
    pub(crate) handler: Procedure,
}

pub(crate) struct SubscriptionDecl {
    pub(crate) topic: String,
    pub(crate) options: SubscribeOptions,
    /// Where its events go (named `handler` as for procedures: most are handlers).
    pub(crate) handler: EventTarget,
}

/// Where the events of a declared subscription go: a handler, or a
/// [`DurableStream`](super::DurableStream) (subscribed on every session like a handler).
pub(crate) enum EventTarget {
    Handler(EventHandler),
    Stream(StreamFeed),
}

impl EventTarget {
    /// Whether a handler gets the state it needs (a stream needs none).
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            EventTarget::Handler(h) => h.check(),
            EventTarget::Stream(_) => Ok(()),
        }
    }

    /// Gives a handler its state; a stream takes none.
    pub(crate) fn with_state<T: Send + Sync + 'static>(self, state: Arc<T>) -> Self {
        match self {
            EventTarget::Handler(h) => EventTarget::Handler(h.with_state(state)),
            stream => stream,
        }
    }

    /// A handler's counter of rejected events.
    pub(crate) fn rejected(&self) -> Option<Arc<std::sync::atomic::AtomicU64>> {
        match self {
            EventTarget::Handler(h) => Some(h.rejected()),
            EventTarget::Stream(_) => None,
        }
    }

    /// The stream, if the events go to one.
    pub(crate) fn stream(&self) -> Option<&StreamFeed> {
        match self {
            EventTarget::Stream(feed) => Some(feed),
            EventTarget::Handler(_) => None,
        }
    }
}

/// Gives fresh credentials before each attempt; see [`ComponentBuilder::credentials`].
pub(crate) type CredentialProvider =
    Arc<dyn Fn() -> BoxFuture<Result<Authentication, String>> + Send + Sync>;

pub(crate) struct Config {
    pub(crate) name: String,
    pub(crate) transports: Vec<TransportSpec>,
    pub(crate) join: JoinOptions,
    pub(crate) authentication: Option<Authentication>,
    pub(crate) credentials: Option<CredentialProvider>,
    pub(crate) procedures: Vec<ProcedureDecl>,
    pub(crate) subscriptions: Vec<SubscriptionDecl>,
    pub(crate) listeners: Vec<Listener>,
    /// Set on every new session right after the join.
    pub(crate) testaments: Vec<Testament>,
    /// Runs once a session is ready; its return ends the component.
    pub(crate) main: Option<MainFn>,
    /// Whether a failing listener fails the component (else it is logged).
    pub(crate) fail_on_listener_error: bool,
    pub(crate) is_fatal: Option<IsFatal>,
    pub(crate) stop_timeout: Duration,
    pub(crate) setup_timeout: Duration,
}

impl Config {
    /// The join options of one attempt: the provider's fresh credentials, else the static
    /// ones, else the join options as given. Fails when the credentials cannot make a HELLO
    /// (a bad key from the provider).
    pub(crate) async fn join_options(&self) -> Result<JoinOptions, String> {
        let mut join = self.join.clone();
        match (&self.credentials, &self.authentication) {
            (Some(provider), _) => join.authentication = Some(provider().await?.load_keys()?),
            (None, Some(auth)) => join.authentication = Some(auth.clone()),
            (None, None) => {}
        }
        join.offer()?;
        Ok(join)
    }
}

/// A WAMP application component: transports, realm, handlers and listeners, ready to be run
/// by [`run`](crate::run) or started with [`Component::start`]. Cheap to clone.
#[derive(Clone)]
pub struct Component {
    pub(crate) config: Arc<Config>,
}

impl fmt::Debug for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("Component")
            .field("name", &c.name)
            .field(
                "transports",
                &c.transports
                    .iter()
                    .map(|t| t.config.url())
                    .collect::<Vec<_>>(),
            )
            .field("realm", &c.join.realm)
            .field("procedures", &c.procedures.len())
            .field("subscriptions", &c.subscriptions.len())
            .finish_non_exhaustive()
    }
}

impl Component {
    /// The component's name (for logs and errors).
    pub fn name(&self) -> &str {
        &self.config.name
    }
}
