//! Declarations: one procedure, subscription or lifecycle listener, ready to be attached to
//! a component with [`ComponentBuilder::attach`](super::ComponentBuilder::attach). The
//! macros (`#[register]`, `#[subscribe]`, `#[on_join]`, ..., `#[service]`) produce them; the
//! builder's own methods (`procedure`, `on_join`, ...) make them too.

use std::fmt;
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use wamp_core::session::{CloseDetails, SessionDetails};

use super::config::EventTarget;
use super::error::Failure;
use super::lifecycle::{LifecycleEvent, Listener, ListenerOutput, ReadyDetails};
use super::stream::DurableStream;
use crate::handler::{IntoEventHandler, IntoProcedure, Procedure};
use crate::link::BoxFuture;
use crate::options::{RegisterOptions, SubscribeOptions};
use crate::session::Session;

/// One procedure, subscription or lifecycle listener of a component.
///
/// ```
/// use wamp_client::component::Declaration;
/// use wamp_client::{Component, RegisterOptions};
///
/// async fn add2(a: i64, b: i64) -> i64 {
///     a + b
/// }
/// let add = Declaration::procedure("com.example.add2", RegisterOptions::default(), add2);
/// let comp = Component::builder()
///     .transport("ws://127.0.0.1:8080/ws")
///     .realm("realm1")
///     .attach(add)
///     .build()
///     .unwrap();
/// ```
pub struct Declaration {
    kind: Kind,
}

pub(super) enum Kind {
    Procedure {
        uri: String,
        options: RegisterOptions,
        handler: Procedure,
    },
    Subscription {
        topic: String,
        options: SubscribeOptions,
        handler: EventTarget,
    },
    Listener(Listener),
}

impl fmt::Debug for Declaration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Procedure { uri, options, .. } => f
                .debug_struct("Procedure")
                .field("uri", uri)
                .field("options", options)
                .finish_non_exhaustive(),
            Kind::Subscription { topic, options, .. } => f
                .debug_struct("Subscription")
                .field("topic", topic)
                .field("options", options)
                .finish_non_exhaustive(),
            Kind::Listener(_) => f.write_str("Listener"),
        }
    }
}

impl Declaration {
    /// Registers `handler` as `uri` on every session: any async fn of typed parameters (see
    /// [`handler`](crate::handler)), a fn of one [`Invocation`](crate::Invocation), or a
    /// [`Procedure`]. Its [`State`](crate::handler::State) parameter, if any, is given by
    /// [`with_state`](Self::with_state).
    pub fn procedure<P>(
        uri: impl Into<String>,
        options: RegisterOptions,
        handler: impl IntoProcedure<P>,
    ) -> Self {
        Declaration {
            kind: Kind::Procedure {
                uri: uri.into(),
                options,
                handler: handler.into_procedure(),
            },
        }
    }

    /// Subscribes `handler` to `topic` on every session: any async fn of typed parameters, a
    /// fn of one [`Event`](crate::Event), or an [`EventHandler`](crate::handler::EventHandler). Events that do not fit its
    /// parameters are logged and counted, never handled.
    pub fn subscription<P>(
        topic: impl Into<String>,
        options: SubscribeOptions,
        handler: impl IntoEventHandler<P>,
    ) -> Self {
        Declaration {
            kind: Kind::Subscription {
                topic: topic.into(),
                options,
                handler: EventTarget::Handler(handler.into_event_handler()),
            },
        }
    }

    /// Subscribes `topic` on every session, its events read from the [`DurableStream`]
    /// returned with the declaration: see
    /// [`ComponentBuilder::subscription_stream`](super::ComponentBuilder::subscription_stream).
    ///
    /// ```
    /// use wamp_client::component::Declaration;
    /// use wamp_client::{Component, SubscribeOptions};
    ///
    /// let (declaration, ticks) = Declaration::stream("com.example.tick", SubscribeOptions::default());
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .attach(declaration)
    ///     .build()
    ///     .unwrap();
    /// # drop((comp, ticks));
    /// ```
    pub fn stream(topic: impl Into<String>, options: SubscribeOptions) -> (Self, DurableStream) {
        let (stream, feed) = DurableStream::new();
        let declaration = Declaration {
            kind: Kind::Subscription {
                topic: topic.into(),
                options,
                handler: EventTarget::Stream(feed),
            },
        };
        (declaration, stream)
    }

    /// Gives a procedure or event handler its shared state, taken by a
    /// [`State<T>`](crate::handler::State) parameter; its type is checked when the component
    /// is built. Lifecycle listeners and durable streams take no state: for them this does
    /// nothing.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use wamp_client::component::Declaration;
    /// use wamp_client::handler::State;
    /// use wamp_client::RegisterOptions;
    ///
    /// async fn next(counter: State<AtomicU64>) -> u64 {
    ///     counter.fetch_add(1, Ordering::Relaxed)
    /// }
    /// let next = Declaration::procedure("com.example.next", RegisterOptions::default(), next)
    ///     .with_state(Arc::new(AtomicU64::new(0)));
    /// # drop(next);
    /// ```
    pub fn with_state<T: Send + Sync + 'static>(self, state: Arc<T>) -> Self {
        let kind = match self.kind {
            Kind::Procedure {
                uri,
                options,
                handler,
            } => Kind::Procedure {
                uri,
                options,
                handler: handler.with_state(state),
            },
            Kind::Subscription {
                topic,
                options,
                handler,
            } => Kind::Subscription {
                topic,
                options,
                handler: handler.with_state(state),
            },
            listener => listener,
        };
        Declaration { kind }
    }

    /// For an event handler: the counter of events whose payload did not fit its parameters
    /// (logged, counted, not handled), shared with the handler. Keep it before attaching the
    /// declaration. `None` for a procedure, a listener or a stream.
    ///
    /// ```
    /// use wamp_client::component::Declaration;
    /// use wamp_client::SubscribeOptions;
    ///
    /// async fn on_tick(n: u64) {
    ///     println!("tick {n}");
    /// }
    /// let tick = Declaration::subscription("com.example.tick", SubscribeOptions::default(), on_tick);
    /// let rejected = tick.rejected_events().expect("a typed event handler");
    /// assert_eq!(rejected.load(std::sync::atomic::Ordering::Relaxed), 0);
    /// ```
    pub fn rejected_events(&self) -> Option<Arc<AtomicU64>> {
        match &self.kind {
            Kind::Subscription { handler, .. } => handler.rejected(),
            _ => None,
        }
    }

    /// The procedure URI or topic this declares, if it is one.
    pub fn uri(&self) -> Option<&str> {
        match &self.kind {
            Kind::Procedure { uri, .. } => Some(uri),
            Kind::Subscription { topic, .. } => Some(topic),
            Kind::Listener(_) => None,
        }
    }

    fn listener<Fut>(pick: impl Fn(&LifecycleEvent) -> Option<Fut> + Send + Sync + 'static) -> Self
    where
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        Declaration {
            kind: Kind::Listener(Arc::new(move |event: &LifecycleEvent| {
                let fut = pick(event)?;
                Some(Box::pin(async move { fut.await.into_error() }) as BoxFuture<Option<String>>)
            })),
        }
    }

    /// A listener run with the transport's URL each time a transport is connected, before
    /// the join.
    pub fn on_connect<F, Fut>(f: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        Self::listener(move |e| match e {
            LifecycleEvent::Connect { url } => Some(f(url.clone())),
            _ => None,
        })
    }

    /// A listener run on every new session, before its procedures and subscriptions are set
    /// up.
    pub fn on_join<F, Fut>(f: F) -> Self
    where
        F: Fn(Session, SessionDetails) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        Self::listener(move |e| match e {
            LifecycleEvent::Join { session } => Some(f(session.clone(), session.details().clone())),
            _ => None,
        })
    }

    /// A listener run on every new session once all its procedures and subscriptions are
    /// live, with the registrations and subscriptions made.
    pub fn on_ready<F, Fut>(f: F) -> Self
    where
        F: Fn(Session, ReadyDetails) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        Self::listener(move |e| match e {
            LifecycleEvent::Ready { session, details } => Some(f(session.clone(), details.clone())),
            _ => None,
        })
    }

    /// A listener run when a session ends.
    pub fn on_leave<F, Fut>(f: F) -> Self
    where
        F: Fn(Session, CloseDetails) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        Self::listener(move |e| match e {
            LifecycleEvent::Leave { session, details } => Some(f(session.clone(), details.clone())),
            _ => None,
        })
    }

    /// A listener run with `(url, was_clean)` when a connected transport closes.
    pub fn on_disconnect<F, Fut>(f: F) -> Self
    where
        F: Fn(String, bool) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        Self::listener(move |e| match e {
            LifecycleEvent::Disconnect { url, was_clean } => Some(f(url.clone(), *was_clean)),
            _ => None,
        })
    }

    /// A listener run with `(url, failure)` when an attempt fails before a session is
    /// established.
    pub fn on_connect_failure<F, Fut>(f: F) -> Self
    where
        F: Fn(String, Arc<Failure>) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        Self::listener(move |e| match e {
            LifecycleEvent::ConnectFailure { url, failure } => {
                Some(f(url.clone(), failure.clone()))
            }
            _ => None,
        })
    }

    pub(super) fn into_kind(self) -> Kind {
        self.kind
    }
}

/// Anything [`ComponentBuilder::attach`](super::ComponentBuilder::attach) takes: one
/// [`Declaration`], several, or a [`Service`] (what `#[service]` implements for a type).
pub trait Attach {
    /// The declarations to add to the component.
    fn into_declarations(self) -> Vec<Declaration>;
}

impl Attach for Declaration {
    fn into_declarations(self) -> Vec<Declaration> {
        vec![self]
    }
}

impl Attach for Vec<Declaration> {
    fn into_declarations(self) -> Vec<Declaration> {
        self
    }
}

impl<const N: usize> Attach for [Declaration; N] {
    fn into_declarations(self) -> Vec<Declaration> {
        self.into()
    }
}

impl<S: Service> Attach for Arc<S> {
    fn into_declarations(self) -> Vec<Declaration> {
        Service::declarations(self)
    }
}

/// A type whose methods are handlers: what `#[service]` on an `impl` block implements. The
/// methods receive `&self`, shared by every handler of the service.
pub trait Service: Send + Sync + 'static {
    /// The service's procedures, subscriptions and listeners, each holding a clone of `self`.
    fn declarations(self: Arc<Self>) -> Vec<Declaration>;
}
