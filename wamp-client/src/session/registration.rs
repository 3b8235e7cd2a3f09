//! Procedures and subscriptions on a session: [`Registration`], [`Subscription`] and
//! [`EventStream`]. A procedure gets its session from the invocation the driver hands it; an
//! event handler from its subscription, which holds the session weakly (never from a
//! task-local).

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use wamp_core::uri;
use wamp_core::value::Str;
use wamp_core::Id;

use super::Session;
use crate::error::{RegisterError, SubscribeError};
use crate::handler::{EventHandler, IntoEventHandler, IntoProcedure, Procedure};
use crate::link::{Command, DropCounter, EventSink};
use crate::observe::{self, EventMetrics};
use crate::options::{RegisterOptions, SubscribeOptions};
use crate::payload::Event;
use crate::queue;

impl Session {
    /// Registers `procedure` (exact match) with a handler: any async fn of typed parameters,
    /// or of one [`Invocation`](crate::Invocation) (see [`handler`](crate::handler)).
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// async fn add2(a: i64, b: i64) -> i64 {
    ///     a + b
    /// }
    /// let reg = session.register("com.example.add2", add2).await?;
    /// println!("registered as {}", reg.id());
    /// # Ok(()) }
    /// ```
    pub async fn register<P>(
        &self,
        procedure: &str,
        handler: impl IntoProcedure<P>,
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
    pub async fn register_with<P>(
        &self,
        procedure: &str,
        options: RegisterOptions,
        handler: impl IntoProcedure<P>,
    ) -> Result<Registration, RegisterError> {
        self.register_procedure(procedure, options, handler.into_procedure())
            .await
    }

    /// Registers a type-erased procedure (the component's path too).
    pub(crate) async fn register_procedure(
        &self,
        procedure: &str,
        options: RegisterOptions,
        handler: Procedure,
    ) -> Result<Registration, RegisterError> {
        uri::validate(procedure, options.match_policy, false)?;
        handler.check().map_err(RegisterError::InvalidHandler)?;
        let id = self
            .acknowledged::<RegisterError>(|reply| Command::Register {
                procedure: Str::new(procedure),
                options: options.to_dict(),
                handler: crate::driver::limit_concurrency(handler.runner(), &options),
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
    /// order, on a task of its own. Any async fn of typed parameters, or of one [`Event`].
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
    pub async fn subscribe<P>(
        &self,
        topic: &str,
        handler: impl IntoEventHandler<P>,
    ) -> Result<Subscription, SubscribeError> {
        self.subscribe_with(topic, SubscribeOptions::default(), handler)
            .await
    }

    /// [`Session::subscribe`] with options.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// use wamp_client::{MatchPolicy, SubscribeOptions};
    /// async fn on_any(n: u64) {
    ///     println!("{n}");
    /// }
    /// let options = SubscribeOptions::default().match_policy(MatchPolicy::Prefix);
    /// session.subscribe_with("com.example.", options, on_any).await?;
    /// # Ok(()) }
    /// ```
    pub async fn subscribe_with<P>(
        &self,
        topic: &str,
        options: SubscribeOptions,
        handler: impl IntoEventHandler<P>,
    ) -> Result<Subscription, SubscribeError> {
        self.subscribe_handler(topic, options, handler.into_event_handler())
            .await
    }

    /// Subscribes a type-erased event handler (the component's path too).
    pub(crate) async fn subscribe_handler(
        &self,
        topic: &str,
        options: SubscribeOptions,
        handler: EventHandler,
    ) -> Result<Subscription, SubscribeError> {
        handler.check().map_err(SubscribeError::InvalidHandler)?;
        let (subscription, rx) = self.subscribe_sink(topic, options).await?;
        let session = self.downgrade();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                let publication = event.publication;
                let on = session.upgrade().map(Session::from_inner);
                let span = observe::event_span(
                    &event.topic,
                    event.subscription,
                    publication,
                    on.as_ref().map(Session::details),
                );
                let run = {
                    let _entered = span.enter();
                    AssertUnwindSafe(handler.handle(event, on)).catch_unwind()
                };
                let run = tracing::Instrument::instrument(run, span);
                if run.await.is_err() {
                    tracing::error!(publication, "event handler panicked");
                }
            }
        });
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
        let (subscription, rx) = self.subscribe_sink(topic, options).await?;
        Ok(EventStream {
            subscription: Some(subscription),
            rx,
        })
    }

    async fn subscribe_sink(
        &self,
        topic: &str,
        options: SubscribeOptions,
    ) -> Result<(Subscription, queue::DeliveryReceiver<Event>), SubscribeError> {
        uri::validate(topic, options.match_policy, false)?;
        let (tx, rx) = queue::delivery(options.queue_capacity, options.overflow.to_full());
        tx.attach(&self.inner.gate);
        let dropped = DropCounter::default();
        let pending = rx.depth();
        let sink = EventSink {
            tx,
            dropped: dropped.share(),
            metrics: EventMetrics::new(&self.inner.details.realm),
        };
        let local = self.next_key();
        let id = self
            .acknowledged::<SubscribeError>(|reply| Command::Subscribe {
                topic: Str::new(topic),
                options: options.to_dict(),
                local,
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
                pending,
                session: self.clone(),
            },
            rx,
        ))
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
            .acknowledged::<RegisterError>(|reply| Command::Unregister {
                registration,
                reply,
            })
            .await
            .map(|_| ())
    }
}

/// A subscription with a handler. Dropping it does not unsubscribe: call
/// [`Subscription::unsubscribe`].
#[derive(Debug, Clone)]
pub struct Subscription {
    id: Id,
    local: u64,
    topic: String,
    dropped: DropCounter,
    pending: queue::Depth,
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
    /// capacity behind ([`SubscribeOptions::queue_capacity`]; what is dropped, the newest or
    /// the oldest, is the [`overflow`](SubscribeOptions::overflow) policy's).
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// let sub = session.subscribe("com.example.tick", |n: u64| async move { println!("{n}") }).await?;
    /// println!("{} waiting, {} dropped", sub.pending(), sub.dropped());
    /// # Ok(()) }
    /// ```
    pub fn dropped(&self) -> u64 {
        self.dropped.count()
    }

    /// How many events wait for the handler (or the stream's reader), not counting the one
    /// it is handling: never more than [`SubscribeOptions::queue_capacity`].
    pub fn pending(&self) -> usize {
        self.pending.get()
    }

    /// Stops the events of this subscription; the router is told when the last local
    /// subscription to the same topic goes.
    pub async fn unsubscribe(self) -> Result<(), SubscribeError> {
        let (subscription, local) = (self.id, self.local);
        self.session
            .acknowledged::<SubscribeError>(|reply| Command::Unsubscribe {
                subscription,
                local,
                reply: Some(reply),
            })
            .await
            .map(|_| ())
    }
}

/// The events of a subscription as a stream (see [`Session::subscribe_stream`]).
/// Dropping it unsubscribes.
#[derive(Debug)]
pub struct EventStream {
    subscription: Option<Subscription>,
    rx: queue::DeliveryReceiver<Event>,
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

    /// How many events were dropped because the stream was not read fast enough (see
    /// [`SubscribeOptions::overflow`]).
    pub fn dropped(&self) -> u64 {
        self.subscription.as_ref().map_or(0, Subscription::dropped)
    }

    /// How many events wait in the stream: never more than
    /// [`SubscribeOptions::queue_capacity`].
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

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        if let Some(s) = self.subscription.take() {
            // Never lost, even when the command queue is full.
            s.session.send_always(Command::Unsubscribe {
                subscription: s.id,
                local: s.local,
                reply: None,
            });
        }
    }
}
