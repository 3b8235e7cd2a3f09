//! Interceptors: hooks that see every message a session sends and receives, like the
//! extensions of a CometD client.
//!
//! An [`Interceptor`] has two hooks, [`outgoing`](Interceptor::outgoing) (each message about
//! to be encoded, HELLO first) and [`incoming`](Interceptor::incoming) (each message decoded
//! from the router, before the session acts on it). Interceptors form an ordered chain
//! ([`Interceptors`]), set on a session's [`JoinOptions`](crate::JoinOptions) or on a
//! component ([`ComponentBuilder::interceptor`](crate::ComponentBuilder::interceptor)), where
//! every session of the component gets the chain. Outgoing messages pass the chain in the
//! order it was built, incoming ones too.
//!
//! Each hook sees the message by reference (and may change it in place) and returns a
//! [`Verdict`]: pass it on, drop it, or fail it with a [`WampError`]. What dropping and failing mean depends on the message:
//!
//! | message | dropped | failed with `error` |
//! |---|---|---|
//! | out: CALL, REGISTER, UNREGISTER, SUBSCRIBE, UNSUBSCRIBE, acknowledged PUBLISH | not sent; the request fails with `wamp.error.canceled` | not sent; the request fails with `error`, as if the router had answered it so |
//! | out: PUBLISH without acknowledgement | not sent | not sent (logged) |
//! | out: YIELD | not sent (the router's caller waits for its own timeout) | ERROR `error` sent instead |
//! | out: HELLO | not sent (the join times out) | not sent; the join fails with `error`'s URI as its reason |
//! | out: AUTHENTICATE | not sent (the join times out) | ABORT `error` sent; the join fails |
//! | out: anything else (GOODBYE, CANCEL, ERROR, ABORT) | not sent | not sent (logged) |
//! | in: RESULT, ERROR, PUBLISHED (answers to our requests) | the request fails with `wamp.error.canceled` | the request fails with `error` |
//! | in: INVOCATION | answered ERROR `wamp.error.canceled` | answered ERROR `error` |
//! | in: WELCOME, CHALLENGE | ABORT `wamp.error.canceled` sent; the join fails | ABORT `error` sent; the join fails |
//! | in: SUBSCRIBED, REGISTERED, UNSUBSCRIBED, UNREGISTERED | handled as received (logged): the router holds the state they confirm | handled as received (logged) |
//! | in: anything else (EVENT, INTERRUPT, GOODBYE, ABORT) | not handled (logged at `debug`) | not handled (logged at `debug`) |
//!
//! So no request waits for an answer an interceptor took away. Answers the chain itself
//! makes (the ERROR for a refused INVOCATION) go out without passing the outgoing hooks.
//!
//! A hook runs on the session's I/O task, in order with every other message: keep it quick.
//! One that must wait (ask a token service, say) returns [`Verdict::later`], which takes the
//! message and gives a future of what becomes of it ([`Decided`]):
//! the messages behind it wait for it, in order (the session stops reading while an incoming
//! hook waits, and stops taking commands while an outgoing one does), up to
//! [`Interceptors::timeout`] (10 s by default), after which the message fails with
//! `wamp.error.timeout`. A hook that panics fails its message with
//! `wamp.error.runtime_error`. An empty chain costs nothing.
//!
//! ```
//! use wamp_client::intercept::{Interceptors, Message, Verdict};
//! use wamp_client::{JoinOptions, WampError};
//!
//! let chain = Interceptors::new()
//!     // Stamp a correlation id into every call's options.
//!     .outgoing(|message: &mut Message| {
//!         if let Message::Call { options, request, .. } = message {
//!             options.insert("x_correlation_id".into(), format!("req-{request}").into());
//!         }
//!         Verdict::pass()
//!     })
//!     // Refuse publications to a forbidden topic.
//!     .outgoing(|message: &mut Message| match message {
//!         Message::Publish { topic, .. } if topic.starts_with("com.example.secret.") => {
//!             Verdict::fail(WampError::new("wamp.error.not_authorized"))
//!         }
//!         _ => Verdict::pass(),
//!     });
//! let options = JoinOptions::new("realm1").interceptors(chain);
//! # let _ = options;
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use wamp_core::message::Message;
use wamp_core::WampError;

/// A hook on every message a session sends and receives. Each hook sees the message by
/// reference: it may change it in place, and says with its [`Verdict`] whether it goes on.
/// Both hooks pass every message on unchanged unless overridden. See the [module docs](self)
/// for what dropping and failing each message does.
pub trait Interceptor: Send + Sync + 'static {
    /// A message about to be sent.
    fn outgoing(&self, message: &mut Message) -> Verdict {
        let _ = message;
        Verdict::pass()
    }

    /// A message received, before the session acts on it.
    fn incoming(&self, message: &mut Message) -> Verdict {
        let _ = message;
        Verdict::pass()
    }
}

/// A shared interceptor (the application keeps a handle on it, to read what it counted, say).
impl<T: Interceptor> Interceptor for Arc<T> {
    fn outgoing(&self, message: &mut Message) -> Verdict {
        (**self).outgoing(message)
    }

    fn incoming(&self, message: &mut Message) -> Verdict {
        (**self).incoming(message)
    }
}

/// What a hook decided about a message.
#[must_use = "a verdict does nothing unless returned from the hook"]
pub struct Verdict(pub(crate) Decision);

/// What a hook that decides later does with the message it is given.
pub(crate) type Decide = Box<dyn FnOnce(Message) -> DecideFuture + Send + 'static>;
pub(crate) type DecideFuture = Pin<Box<dyn Future<Output = Decided> + Send + 'static>>;

pub(crate) enum Decision {
    Pass,
    Drop,
    Fail(WampError),
    Later(Decide),
}

impl Verdict {
    /// The message goes on, as the hook left it (to the next hook, then to the wire or the
    /// session).
    pub fn pass() -> Verdict {
        Verdict(Decision::Pass)
    }

    /// Drops the message.
    pub fn discard() -> Verdict {
        Verdict(Decision::Drop)
    }

    /// Fails the message with `error` (what the request's caller sees).
    pub fn fail(error: WampError) -> Verdict {
        Verdict(Decision::Fail(error))
    }

    /// Decides later: `decide` gets the message and returns a future of what becomes of it;
    /// the messages behind this one wait for it, up to [`Interceptors::timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use wamp_client::intercept::{Decided, Interceptors, Message, Verdict};
    ///
    /// let chain = Interceptors::new().outgoing(|message: &mut Message| match message {
    ///     Message::Call { .. } => Verdict::later(|mut message| async move {
    ///         // Ask a token service, say, then stamp the call.
    ///         tokio::time::sleep(Duration::from_millis(1)).await;
    ///         if let Message::Call { options, .. } = &mut message {
    ///             options.insert("x_token".into(), "t-1".into());
    ///         }
    ///         Decided::Pass(message)
    ///     }),
    ///     _ => Verdict::pass(),
    /// });
    /// # let _ = chain;
    /// ```
    pub fn later<F, Fut>(decide: F) -> Verdict
    where
        F: FnOnce(Message) -> Fut + Send + 'static,
        Fut: Future<Output = Decided> + Send + 'static,
    {
        Verdict(Decision::Later(Box::new(move |message| {
            Box::pin(decide(message)) as DecideFuture
        })))
    }
}

impl fmt::Debug for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match &self.0 {
            Decision::Pass => "Verdict::Pass",
            Decision::Drop => "Verdict::Drop",
            Decision::Fail(_) => "Verdict::Fail",
            Decision::Later(_) => "Verdict::Later",
        })
    }
}

/// What a hook that decided later ([`Verdict::later`]) decided: the message goes on (changed
/// or not), is dropped, or fails with an error.
pub enum Decided {
    /// The message goes on.
    Pass(Message),
    /// The message is dropped.
    Discard,
    /// The message fails with this error.
    Fail(WampError),
}

impl fmt::Debug for Decided {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The message is not shown: it may carry a secret (AUTHENTICATE's signature).
        f.write_str(match self {
            Decided::Pass(_) => "Decided::Pass",
            Decided::Discard => "Decided::Discard",
            Decided::Fail(_) => "Decided::Fail",
        })
    }
}

/// The direction of a hook: what the driver runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Outgoing,
    Incoming,
}

/// An ordered chain of interceptors. Cheap to clone (shared).
#[derive(Clone)]
pub struct Interceptors {
    pub(crate) chain: Arc<[Arc<dyn Interceptor>]>,
    pub(crate) timeout: Duration,
}

impl Default for Interceptors {
    fn default() -> Self {
        Interceptors {
            chain: Arc::new([]),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

impl fmt::Debug for Interceptors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interceptors")
            .field("len", &self.chain.len())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Interceptors {
    /// How long a hook may take to decide ([`Verdict::later`]) by default.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `interceptor` at the end of the chain.
    pub fn push(mut self, interceptor: impl Interceptor) -> Self {
        let mut chain: Vec<Arc<dyn Interceptor>> = self.chain.iter().cloned().collect();
        chain.push(Arc::new(interceptor));
        self.chain = chain.into();
        self
    }

    /// Adds an interceptor with only an outgoing hook.
    pub fn outgoing(self, hook: impl Fn(&mut Message) -> Verdict + Send + Sync + 'static) -> Self {
        self.push(Outgoing(hook))
    }

    /// Adds an interceptor with only an incoming hook.
    pub fn incoming(self, hook: impl Fn(&mut Message) -> Verdict + Send + Sync + 'static) -> Self {
        self.push(Incoming(hook))
    }

    /// How long a hook may take to decide ([`Verdict::later`]) before its message fails with
    /// `wamp.error.timeout`. Default [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many interceptors the chain holds.
    pub fn len(&self) -> usize {
        self.chain.len()
    }

    /// Whether the chain is empty.
    pub fn is_empty(&self) -> bool {
        self.chain.is_empty()
    }

    /// This chain followed by `other`'s interceptors (with this chain's timeout).
    pub fn then(mut self, other: &Interceptors) -> Self {
        if !other.is_empty() {
            let chain: Vec<Arc<dyn Interceptor>> = self
                .chain
                .iter()
                .chain(other.chain.iter())
                .cloned()
                .collect();
            self.chain = chain.into();
        }
        self
    }
}

struct Outgoing<F>(F);

impl<F: Fn(&mut Message) -> Verdict + Send + Sync + 'static> Interceptor for Outgoing<F> {
    fn outgoing(&self, message: &mut Message) -> Verdict {
        (self.0)(message)
    }
}

struct Incoming<F>(F);

impl<F: Fn(&mut Message) -> Verdict + Send + Sync + 'static> Interceptor for Incoming<F> {
    fn incoming(&self, message: &mut Message) -> Verdict {
        (self.0)(message)
    }
}
