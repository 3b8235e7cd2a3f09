//! WAMP application components on tokio: Autobahn|Python's `Component` in Rust. A component
//! joins a realm on a router (Crossbar.io or any WAMP router) over WebSocket or RawSocket,
//! registers its procedures and subscribes its event handlers on every session, and
//! reconnects with backoff; `run(vec![comp])` runs components from `main`.
//!
//! ```no_run
//! use wamp_client::handler::EventDetails;
//! use wamp_client::{on_ready, register, subscribe, Component, Session};
//!
//! #[register("com.example.add2")]
//! async fn add2(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! #[subscribe("com.example.hello")]
//! async fn hello(greeting: String, details: EventDetails) {
//!     println!("{greeting} (publication {})", details.publication);
//! }
//!
//! #[on_ready]
//! async fn ready(session: Session) {
//!     let sum: i64 = session.call("com.example.add2", (2, 3)).await.unwrap_or_default();
//!     println!("ready as session {}; 2 + 3 = {sum}", session.id());
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let comp = Component::builder()
//!         .transport("ws://127.0.0.1:8080/ws")
//!         .transport("rs://127.0.0.1:8081")
//!         .realm("realm1")
//!         .attach([add2::handler(), hello::handler(), ready::handler()])
//!         .build()?;
//!     wamp_client::run(vec![comp])?; // until Ctrl-C or SIGTERM
//!     Ok(())
//! }
//! ```
//!
//! A component can also be embedded in a tokio application ([`Component::start`] gives a
//! [`ComponentHandle`]), and a [`Session`] can be used on its own ([`Session::join`]).
//! A call or a publication is one expression, keyword arguments and options included
//! ([`CallBuilder`], [`PublishBuilder`]), e.g.
//! `session.call("p", (1, 2)).kwarg("limit", 10).timeout(d).await?`; progressive results
//! come as a typed stream ([`CallBuilder::progress`]).
//!
//! Each session is served by one task that owns the transport and the protocol state (from
//! `wamp-core`, which keeps every deadline); handlers run on tasks of their own. No call
//! waits forever unless asked to: a call's timeout is enforced by the client, a dropped call
//! is canceled at the router, a silent router is noticed by the transport's keepalive, and
//! when the session ends every pending operation fails at once with [`SessionError::Lost`].
//!
//! ## Features
//! - `tracing-subscriber` (default): [`run`] sets up `tracing` output to standard error when
//!   the application has none. Without it, `run` logs only through a subscriber the
//!   application installs.
//! - `metrics`: calls, latency, errors, invocations, publications, events, reconnects and
//!   time to ready through the `metrics` facade (see [`observe`]); spans are always there.
//! - `testing`: `wamp_client::testing`, a scripted fake router over in-memory pipes for
//!   tests of applications (and of this crate) on paused time.
//!
//! Every message in and out can be seen, changed, dropped or refused by an ordered chain of
//! interceptors ([`intercept`]).

// The macros name this crate `::wamp_client`, in its own tests too.
extern crate self as wamp_client;

pub mod auth;
pub mod component;
mod driver;
pub mod error;
pub mod handler;
pub mod intercept;
mod link;
pub mod observe;
mod options;
mod payload;
mod queue;
mod retry;
mod revocation;
mod run;
mod session;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod transport;

pub use auth::{
    AuthFuture, AuthMethod, Authentication, Authenticator, CryptosignKey, CustomMethod, Secret,
};
pub use component::{
    Component, ComponentBuilder, ComponentError, ComponentHandle, DurableStream, Failure, GapCause,
    LifecycleEvent, LifecycleEvents, ReadyDetails, StreamItem, TransportSpec,
};
pub use error::{
    CallError, ConfigError, ConnectError, JoinError, PublishError, RegisterError, SessionError,
    SubscribeError, TransportError,
};
pub use handler::{ApplicationError, CallErrorExt, Invocation, TypedCallError};
pub use intercept::{Interceptor, Interceptors, Verdict};
pub use link::BoxFuture;
pub use options::{
    CallOptions, InvocationPolicy, JoinOptions, Overflow, PublishOptions, RegisterOptions,
    SubscribeOptions,
};
pub use payload::{CallResult, Event, Payload};
pub use retry::RetryPolicy;
pub use revocation::{Revocation, RevocationKind, Revocations};
pub use run::{run, run_until_signal, RunError};
pub use session::call::{Call, CallCanceler};
pub use session::call_builder::{CallBuilder, FinalResult, ProgressiveCall, RawCall};
pub use session::meta::{
    Attachment, Created, IdsByPolicy, Meta, MetaStream, RegistrationInfo, SessionInfo, SessionLeft,
    SubscriptionInfo,
};
pub use session::publish_builder::{AcknowledgedPublish, PublishBuilder};
pub use session::registration::{EventStream, Registration, Subscription};
pub use session::testament::{Testament, TestamentScope};
pub use session::Session;
pub use transport::{TlsConfig, TransportConfig};
pub use wamp_core::session::{CancelMode, CloseDetails, CloseInitiator, SessionDetails};
pub use wamp_core::uri::{error_uri, MatchPolicy};
pub use wamp_core::value::{Dict, Value};
pub use wamp_core::{Id, WampError};

pub use wamp_macros::{
    on_connect, on_connect_failure, on_disconnect, on_join, on_leave, on_ready, register, service,
    subscribe,
};

/// What the macros' expansions name; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::component::{Attach, Declaration, Service};
    pub use crate::options::{Overflow, RegisterOptions, SubscribeOptions};
    pub use std::sync::Arc;
    pub use std::vec::Vec;
    pub use wamp_core::uri::MatchPolicy;

    /// Fails to compile, at `T`, when `T` cannot be a handler parameter.
    pub fn assert_param<T: crate::handler::FromParts>() {}
    /// Fails to compile, at `T`, when a procedure cannot return `T`.
    pub fn assert_result<T: crate::handler::IntoCallResult>() {}
    /// Fails to compile, at `T`, when a listener cannot return `T`.
    pub fn assert_listener_output<T: crate::component::ListenerOutput>() {}
}
