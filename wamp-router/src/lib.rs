//! An embeddable WAMP v2 router: broker and dealer on [`wamp_core`], driven by tokio.
//!
//! The routing state (realms, broker, dealer, meta API) is sans-IO in [`core`]; the tokio layer
//! in `net` accepts WebSocket and RawSocket connections and feeds it.

pub mod core;
