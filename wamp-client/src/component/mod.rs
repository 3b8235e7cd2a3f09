//! Components: Autobahn|Python's `Component` in Rust. A component declares its transports,
//! its realm, its procedures and subscriptions and its lifecycle listeners once; a supervisor
//! then connects, joins, registers and subscribes everything on every new session, and
//! reconnects with backoff when the connection is lost.
//!
//! ```no_run
//! use wamp_client::{register, on_ready, Component, Session};
//!
//! #[register("com.example.add2")]
//! async fn add2(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! #[on_ready]
//! async fn ready(session: Session) {
//!     println!("ready as session {}", session.id());
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let comp = Component::builder()
//!     .name("calculator")
//!     .transport("ws://127.0.0.1:8080/ws")
//!     .transport("rs://127.0.0.1:8081")
//!     .realm("realm1")
//!     .attach([add2::handler(), ready::handler()])
//!     .build()?;
//! wamp_client::run(vec![comp])?;
//! # Ok(()) }
//! ```
//!
//! A component may also have a main function ([`ComponentBuilder::main`], Autobahn's
//! `Component(main=...)`): it runs once the session is ready and its return ends the
//! component, its error becoming [`ComponentError::Main`] (and [`run`](crate::run)'s). A
//! failing listener is logged, or with [`ComponentBuilder::fail_on_listener_error`] fails the
//! component ([`ComponentError::Listener`]). Testaments set on every new session:
//! [`ComponentBuilder::testament`].
//!
//! Differences from Autobahn, on purpose:
//! - authentication and realm refusals (`authentication_failed`, `not_authorized`,
//!   `no_such_realm`, `no_such_role`, ...) are fatal by default instead of retried forever;
//! - a procedure or subscription the router refuses ends the component with an error naming
//!   it, instead of a log line and a half-working component (`procedure_already_exists` is
//!   first retried for [`ALREADY_EXISTS_RETRY_FOR`], the time a router may take to notice that
//!   our previous session is gone); a router that does not confirm them within the set-up
//!   timeout is left and retried;
//! - `ready` fires only once every procedure and subscription is live;
//! - a procedure or subscription the router revokes is re-established with backoff while the
//!   session lives ([`LifecycleEvent::Revoked`], [`LifecycleEvent::Reestablished`]);
//!   Autobahn only logs it;
//! - the first retry waits `initial_retry_delay` (see [`RetryPolicy`](crate::RetryPolicy)).
//!
//! A subscription may also be read as a stream that carries on across sessions
//! ([`ComponentBuilder::subscription_stream`], a [`DurableStream`]): it is subscribed on every
//! session like the others, marks where a session was lost ([`StreamItem::Gap`]) and ends
//! when the component ends.
//!
//! The files: `builder` (the builder and its checks), `config` (what a built component is),
//! `declare` (declarations, what the macros produce), `lifecycle` (events and listeners),
//! `transport` (transports with their retry policies), `error` (failures), `stream` (durable
//! streams), `supervisor` (the
//! reconnect loop, which owns the shared state), `handle` (starting, the handle).

mod builder;
mod config;
mod declare;
mod error;
mod handle;
mod lifecycle;
mod stream;
mod supervisor;
mod transport;

pub use builder::ComponentBuilder;
pub use config::{
    Component, IsFatal, ALREADY_EXISTS_RETRY_FOR, DEFAULT_SETUP_TIMEOUT, DEFAULT_STOP_TIMEOUT,
    REESTABLISH_FIRST_DELAY, REESTABLISH_MAX_DELAY,
};
pub use declare::{Attach, Declaration, Service};
pub use error::{ComponentError, Failure, TransportOutcome};
pub use handle::{ComponentHandle, LifecycleEvents};
pub use lifecycle::{BoxError, LifecycleEvent, ListenerOutput, MainOutput, ReadyDetails};
pub use stream::{DurableStream, GapCause, StreamItem};
pub use transport::{IntoTransport, TransportSpec};
