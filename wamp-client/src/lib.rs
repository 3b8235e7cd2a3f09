//! An async WAMP v2 client on tokio: join a realm on a router (Crossbar.io or any WAMP router)
//! over WebSocket or RawSocket, then call, register, publish and subscribe.
//!
//! ```no_run
//! use wamp_client::{typed, Session, WampError};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let session = Session::connect("ws://127.0.0.1:8080/ws", "realm1").await?;
//!
//! // A procedure with typed arguments.
//! session
//!     .register("com.example.add2", typed(|(a, b): (i64, i64)| async move { Ok::<_, WampError>(a + b) }))
//!     .await?;
//!
//! // A typed call.
//! let sum: i64 = session.call("com.example.add2", (2, 3)).await?;
//! assert_eq!(sum, 5);
//!
//! // Events as a stream.
//! let mut events = session.subscribe_stream("com.example.topic", Default::default()).await?;
//! session.publish("com.example.topic", ("hello",)).await?;
//!
//! session.leave().await?;
//! # Ok(()) }
//! ```
//!
//! Each [`Session`] is served by one task that owns the transport and the protocol state
//! (from `wamp-core`); handlers run on tasks of their own. When the session ends, every
//! pending operation fails at once with [`SessionError::Lost`].

// The macros name this crate `::wamp_client`, in its own tests too.
extern crate self as wamp_client;

pub mod component;
mod driver;
pub mod error;
pub mod handler;
mod options;
mod payload;
mod queue;
mod retry;
mod run;
mod session;
pub mod transport;

pub use component::{
    AuthMethod, Authentication, Component, ComponentBuilder, ComponentError, ComponentHandle,
    CryptosignKey, Failure, LifecycleEvent, LifecycleEvents, ReadyDetails, TransportSpec,
};
pub use error::{
    CallError, ConfigError, ConnectError, JoinError, PublishError, RegisterError, SessionError,
    SubscribeError, TransportError,
};
pub use options::{CallOptions, JoinOptions, PublishOptions, RegisterOptions, SubscribeOptions};
pub use payload::Payload;
pub use retry::RetryPolicy;
pub use run::{run, run_until_signal, RunError};
pub use session::{
    typed, Authenticator, BoxFuture, CallResult, Event, EventHandler, EventStream, Invocation,
    Procedure, Registration, Session, Subscription,
};
pub use transport::{TlsConfig, TransportConfig};
pub use wamp_core::session::{CloseDetails, CloseInitiator, SessionDetails};
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
    pub use crate::options::{RegisterOptions, SubscribeOptions};
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
