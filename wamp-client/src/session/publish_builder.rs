//! The publish builder: `session.publish(topic, args)` with keyword arguments and options
//! chained on, awaited as is ([`PublishBuilder`]) or for the broker's acknowledgement
//! ([`AcknowledgedPublish`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::Serialize;
use tokio::sync::oneshot;
use wamp_core::uri::{self, MatchPolicy};
use wamp_core::value::{to_value, Dict, Str, ValueError};
use wamp_core::Id;

use super::Session;
use crate::error::{PublishError, Refusal, SessionError};
use crate::link::{BoxFuture, Command};
use crate::observe::{self, OpSpan};
use crate::options::PublishOptions;
use crate::payload::{kwargs_dict, Payload};
use crate::queue::TrySendError;

type Ack = oneshot::Receiver<Result<Id, Refusal>>;

/// A publication on its way: what both builders share.
// The unsent parts stay inline: boxing them would cost every publication an allocation, and
// the builder lives once, on the caller's stack or in its future.
#[allow(clippy::large_enum_variant)]
enum Pending {
    /// Not sent: the session (or why there is none), the topic, the payload (or why it did
    /// not serialize) and the options.
    Ready {
        session: Result<Session, SessionError>,
        topic: Str,
        payload: Result<Payload, ValueError>,
        options: PublishOptions,
    },
    /// The command queue was full: waiting for room.
    Sending {
        session: Session,
        sending: BoxFuture<Result<(), Command>>,
        ack: Option<Ack>,
        span: OpSpan,
    },
    /// Sent, waiting for the broker's acknowledgement.
    Waiting {
        session: Session,
        ack: Ack,
        span: OpSpan,
    },
    Done,
}

impl Pending {
    fn options(&mut self) -> Option<&mut PublishOptions> {
        match self {
            Pending::Ready { options, .. } => Some(options),
            _ => None,
        }
    }

    fn add_kwargs(&mut self, kwargs: Result<Dict, ValueError>) {
        if let Pending::Ready { payload, .. } = self {
            if let Ok(p) = payload {
                match kwargs {
                    Ok(k) => p.kwargs.extend(k),
                    Err(e) => *payload = Err(e),
                }
            }
        }
    }

    /// Polls the publication to its end: the publication id when acknowledged. Its
    /// `wamp_publish` span (see the `observe` module) ends with it.
    fn poll_publish(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Id>, PublishError>> {
        let mut span = OpSpan::default();
        let outcome = match self.poll_steps(cx, &mut span) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(outcome) => outcome,
        };
        observe::record_publish_outcome(&span, &outcome);
        Poll::Ready(outcome)
    }

    /// [`poll_publish`](Self::poll_publish); at the end `span` is the publication's span.
    fn poll_steps(
        &mut self,
        cx: &mut Context<'_>,
        span: &mut OpSpan,
    ) -> Poll<Result<Option<Id>, PublishError>> {
        loop {
            match self {
                Pending::Ready { .. } => {
                    let Pending::Ready {
                        session,
                        topic,
                        payload,
                        options,
                    } = std::mem::replace(self, Pending::Done)
                    else {
                        continue;
                    };
                    let session = session?;
                    *span = observe::publish_span(&topic, &session.inner.details);
                    let payload = payload.map_err(PublishError::Serialize)?;
                    uri::validate(&topic, MatchPolicy::Exact, false)?;
                    let (reply, ack) = if options.acknowledge {
                        let (tx, rx) = oneshot::channel();
                        (Some(tx), Some(rx))
                    } else {
                        (None, None)
                    };
                    let command = Command::Publish {
                        topic,
                        options: options.to_dict(),
                        payload,
                        reply,
                        span: span.share(),
                    };
                    match session.inner.commands.try_send(command) {
                        Ok(()) => match ack {
                            Some(ack) => {
                                let span = std::mem::take(span);
                                *self = Pending::Waiting { session, ack, span }
                            }
                            None => return Poll::Ready(Ok(None)),
                        },
                        Err(TrySendError::Full(command)) => {
                            let s = session.clone();
                            *self = Pending::Sending {
                                session,
                                sending: Box::pin(
                                    async move { s.inner.commands.send(command).await },
                                ),
                                ack,
                                span: std::mem::take(span),
                            };
                        }
                        Err(TrySendError::Closed(_)) => {
                            return Poll::Ready(Err(session.lost().into()))
                        }
                    }
                }
                Pending::Sending { sending, .. } => {
                    let sent = match sending.as_mut().poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(sent) => sent,
                    };
                    let Pending::Sending {
                        session,
                        ack,
                        span: sending_span,
                        ..
                    } = std::mem::replace(self, Pending::Done)
                    else {
                        continue;
                    };
                    match (sent, ack) {
                        (Err(_), _) => {
                            *span = sending_span;
                            return Poll::Ready(Err(session.lost().into()));
                        }
                        (Ok(()), None) => {
                            *span = sending_span;
                            return Poll::Ready(Ok(None));
                        }
                        (Ok(()), Some(ack)) => {
                            *self = Pending::Waiting {
                                session,
                                ack,
                                span: sending_span,
                            }
                        }
                    }
                }
                Pending::Waiting { session, ack, .. } => {
                    let answer = match Pin::new(ack).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Ok(answer)) => answer.map(Some).map_err(PublishError::from),
                        Poll::Ready(Err(_)) => Err(session.lost().into()),
                    };
                    if let Pending::Waiting { span: waited, .. } =
                        std::mem::replace(self, Pending::Done)
                    {
                        *span = waited;
                    }
                    return Poll::Ready(answer);
                }
                Pending::Done => return Poll::Ready(Err(SessionError::NotJoined.into())),
            }
        }
    }
}

/// The chainable settings of both publish builders.
macro_rules! publish_settings {
    () => {
        /// Adds keyword argument `name` (any serde value). A value that cannot be serialized
        /// fails the publication with [`PublishError::Serialize`] when it is awaited.
        pub fn kwarg<T: Serialize>(mut self, name: &str, value: T) -> Self {
            let kwargs = to_value(&value).map(|v| {
                let mut d = Dict::new();
                d.insert(Str::new(name), v);
                d
            });
            self.pending.add_kwargs(kwargs);
            self
        }

        /// Adds the fields of a serde struct (or the entries of a map) as keyword arguments;
        /// later ones replace earlier ones of the same name. Anything that does not serialize
        /// to a map fails the publication with [`PublishError::Serialize`] when it is awaited.
        pub fn kwargs<T: Serialize + ?Sized>(mut self, kwargs: &T) -> Self {
            self.pending.add_kwargs(kwargs_dict(kwargs));
            self
        }

        /// Sets `exclude_me`: `false` lets the publisher receive its own event (the broker's
        /// default excludes it).
        pub fn exclude_me(mut self, exclude: bool) -> Self {
            if let Some(o) = self.pending.options() {
                o.exclude_me = Some(exclude);
            }
            self
        }

        /// Asks the broker to disclose our session to subscribers.
        pub fn disclose_me(mut self, disclose: bool) -> Self {
            if let Some(o) = self.pending.options() {
                o.disclose_me = Some(disclose);
            }
            self
        }

        /// Asks the broker to retain the event for late subscribers.
        pub fn retain(mut self, retain: bool) -> Self {
            if let Some(o) = self.pending.options() {
                o.retain = Some(retain);
            }
            self
        }
    };
}

/// A publication with its arguments, keyword arguments and options in one expression, from
/// [`Session::publish`] (or [`ComponentHandle::publish`](crate::ComponentHandle::publish)).
/// Awaited, it returns once the event is queued for the session's task (waiting only while
/// the queue is full); [`acknowledged`](Self::acknowledged) makes it wait for the broker and
/// return the publication id.
///
/// Nothing is sent before it is awaited (or polled). Arguments that cannot be serialized
/// fail the publication with [`PublishError::Serialize`] when it is awaited, before anything
/// is sent.
///
/// ```no_run
/// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::PublishError> {
/// session.publish("com.example.topic", ("hello", 42)).kwarg("lang", "en").await?;
/// let id = session
///     .publish("com.example.topic", ("hello",))
///     .exclude_me(false)
///     .acknowledged()
///     .await?;
/// println!("publication {id}");
/// # Ok(()) }
/// ```
#[must_use = "a publication does nothing unless awaited"]
pub struct PublishBuilder {
    pending: Pending,
}

impl std::fmt::Debug for PublishBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishBuilder").finish_non_exhaustive()
    }
}

impl PublishBuilder {
    /// A publication through `session` (or failing with why there is none).
    pub(crate) fn new<A: Serialize>(
        session: Result<Session, SessionError>,
        topic: &str,
        args: A,
    ) -> Self {
        PublishBuilder {
            pending: Pending::Ready {
                session,
                topic: Str::new(topic),
                payload: Payload::args(&args),
                options: PublishOptions::default(),
            },
        }
    }

    publish_settings!();

    /// Replaces every option set so far with `options` (set it first, then the single
    /// options). With `options.acknowledge` the publication waits for the broker, but still
    /// returns `()`: use [`acknowledged`](Self::acknowledged) for the publication id.
    pub fn options(mut self, options: PublishOptions) -> Self {
        if let Some(o) = self.pending.options() {
            *o = options;
        }
        self
    }

    /// Waits for the broker's acknowledgement (PUBLISHED, or ERROR as
    /// [`PublishError::Application`]) and returns the publication id.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::PublishError> {
    /// let id = session.publish("com.example.topic", (1,)).kwarg("unit", "m").acknowledged().await?;
    /// # Ok(()) }
    /// ```
    pub fn acknowledged(mut self) -> AcknowledgedPublish {
        if let Some(o) = self.pending.options() {
            o.acknowledge = true;
        }
        AcknowledgedPublish {
            pending: self.pending,
        }
    }
}

impl Future for PublishBuilder {
    type Output = Result<(), PublishError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.pending.poll_publish(cx).map(|r| r.map(|_| ()))
    }
}

/// An acknowledged publication, from [`PublishBuilder::acknowledged`]: awaited, it returns
/// the publication id once the broker has accepted the event.
#[must_use = "a publication does nothing unless awaited"]
pub struct AcknowledgedPublish {
    pending: Pending,
}

impl std::fmt::Debug for AcknowledgedPublish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcknowledgedPublish")
            .finish_non_exhaustive()
    }
}

impl AcknowledgedPublish {
    publish_settings!();

    /// Replaces every option set so far with `options` (set it first, then the single
    /// options); the publication stays acknowledged.
    pub fn options(mut self, options: PublishOptions) -> Self {
        if let Some(o) = self.pending.options() {
            *o = options;
            o.acknowledge = true;
        }
        self
    }
}

impl Future for AcknowledgedPublish {
    type Output = Result<Id, PublishError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.pending.poll_publish(cx).map(|r| {
            // Acknowledged by construction: an id always comes.
            r.and_then(|id| id.ok_or_else(|| SessionError::NotJoined.into()))
        })
    }
}

impl Session {
    /// Publishes an event with positional arguments (a tuple, a `Vec`, any serde value;
    /// `()` for none); await the returned [`PublishBuilder`]. Keyword arguments and options
    /// chain on before the `.await`.
    ///
    /// Without acknowledgement it returns as soon as the event is queued for the session's
    /// task (waiting only while the queue is full); a publication that then cannot be sent
    /// (larger than the transport allows) is dropped, counted and logged.
    /// [`PublishBuilder::acknowledged`] waits for the broker and returns the publication id.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::PublishError> {
    /// session.publish("com.example.topic", ("hello", 42)).await?;
    /// let id = session
    ///     .publish("com.example.topic", ("hello",))
    ///     .kwarg("lang", "en")
    ///     .acknowledged()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn publish<A: Serialize>(&self, topic: &str, args: A) -> PublishBuilder {
        PublishBuilder::new(Ok(self.clone()), topic, args)
    }
}
