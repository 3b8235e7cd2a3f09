//! An embeddable WAMP v2 router: broker and dealer on [`wamp_core`], driven by tokio.
//!
//! The routing state (realms, broker, dealer, meta API) is sans-IO in [`core`]; the tokio layer
//! accepts WebSocket and RawSocket connections (TCP, TLS, Unix sockets, or in-process pipes)
//! and feeds it. [`crossbar`] reads Crossbar.io's node configuration into a [`RouterConfig`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use wamp_router::Router;
//!
//! let router = Router::builder()
//!     .realm("realm1")
//!     .listen("ws://127.0.0.1:8080/ws")?
//!     .listen("rs://127.0.0.1:8081")?
//!     .start()
//!     .await?;
//! println!("listening on {:?}", router.urls());
//! router.stop().await;
//! # Ok(())
//! # }
//! ```
//!
//! A client or component in the same process joins without a socket through
//! [`Router::connector`] (wamp-client's `TransportConfig::connector`, URL
//! [`IN_PROCESS_URL`]): what a unit test of a component wants.
//!
//! # How the tokio layer works
//!
//! - One task per connection reads frames (the framing is [`wamp_core::framing`], shared with
//!   the client), feeds the messages of each read to the core in one batch, and writes what
//!   the core queued for it.
//! - The core sits behind one mutex, taken by the connection task that has input: it routes,
//!   and hands each outgoing message to the receiver's bounded queue without waiting. No core
//!   task: a routed call costs no extra task hop. Serialization happens in the connection
//!   tasks, outside the lock.
//! - Every connection has a bounded outgoing queue ([`ListenerConfig::outgoing_queue`]). A
//!   connection whose input fills another's queue past half is not read until that queue is
//!   down to a quarter: a subscriber that keeps up loses nothing, however fast its publisher.
//!   One that does not drain within [`ListenerConfig::slow_consumer_timeout`] (or whose queue
//!   fills up) is a slow consumer: closed, logged and counted ([`Stats::slow_consumers`]), and
//!   its publishers go on.
//! - One timer task runs the core's deadlines (HELLO, GOODBYE replies, call timeouts).
//! - [`Router::stop`] sends GOODBYE `wamp.close.system_shutdown` to every session, waits for the
//!   replies up to the shutdown timeout, then closes what is left.

pub mod core;
/// Crossbar.io's node configuration (`.crossbar/config.json`) read into a [`RouterConfig`].
pub mod crossbar;

mod config;
mod net;
mod router;

pub use config::{
    AutoPing, ConfigError, Endpoint, ListenerConfig, RouterConfig, TlsConfig, TransportKind,
};
pub use router::{
    AuthFuture, AuthRequest, Authenticator, Connecting, Router, RouterBuilder, StartError, Stats,
    IN_PROCESS_URL,
};
