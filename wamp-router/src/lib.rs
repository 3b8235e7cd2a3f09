//! An embeddable WAMP v2 router: broker and dealer on [`wamp_core`], driven by tokio.
//!
//! The routing state (realms, broker, dealer, meta API) is sans-IO in [`core`]; the tokio layer
//! accepts WebSocket and RawSocket connections (TCP, TLS, Unix sockets, or in-process pipes)
//! and feeds it.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use wamp_router::Router;
//!
//! let router = Router::builder()
//!     .realm("realm1")
//!     .listen("ws://127.0.0.1:8080/ws")?
//!     .start()
//!     .await?;
//! println!("listening on {:?}", router.urls());
//! router.stop().await;
//! # Ok(())
//! # }
//! ```

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
