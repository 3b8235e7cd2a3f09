//! Decorator-like attribute macros for WAMP components, re-exported by `wamp-client`: the
//! Rust counterpart of Autobahn|Python's `@component.register`, `@component.subscribe` and
//! `@component.on_join`.
//!
//! Each macro keeps the function as it is (callable directly, e.g. in unit tests) and adds a
//! type of the same name (a braced struct: types and functions have separate namespaces)
//! whose `handler()` is the declaration to attach to a component:
//!
//! ```ignore
//! use wamp_client::{register, Component};
//!
//! #[register("com.example.add2", invoke = "roundrobin")]
//! async fn add2(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! let comp = Component::builder()
//!     .transport("ws://127.0.0.1:8080/ws")
//!     .realm("realm1")
//!     .attach(add2::handler())
//!     .build()?;
//! ```
//!
//! `#[service]` on an `impl` block turns the methods marked `#[register]`, `#[subscribe]` or
//! with a lifecycle attribute into handlers receiving `&self`; the type is attached as a
//! whole. Every macro takes `crate = "path"` when `wamp-client` is reachable only under
//! another path (a renamed dependency is found by itself).

mod attr;
mod expand;
mod signature;

use proc_macro::TokenStream;

use attr::Kind;

/// Registers an async fn as a procedure: `#[register("com.example.add2")]`, with options
/// `match = "exact" | "prefix" | "wildcard"`, `invoke = "single" | "roundrobin" | "random" |
/// "first" | "last"`, `concurrency = N`, `disclose_caller = true`, `crate = "path"`.
#[proc_macro_attribute]
pub fn register(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::function(Kind::Register, args.into(), item.into()).into()
}

/// Subscribes an async fn to a topic: `#[subscribe("com.example.topic")]`, with options
/// `match = "exact" | "prefix" | "wildcard"`, `get_retained = true`, `queue_capacity = N`,
/// `crate = "path"`.
#[proc_macro_attribute]
pub fn subscribe(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::function(Kind::Subscribe, args.into(), item.into()).into()
}

/// A listener run when a transport is connected: `async fn(url: String)`.
#[proc_macro_attribute]
pub fn on_connect(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::function(Kind::OnConnect, args.into(), item.into()).into()
}

/// A listener run on every new session: `async fn(session: Session, details: SessionDetails)`.
#[proc_macro_attribute]
pub fn on_join(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::function(Kind::OnJoin, args.into(), item.into()).into()
}

/// A listener run once a session's procedures and subscriptions are live:
/// `async fn(session: Session, details: ReadyDetails)`.
#[proc_macro_attribute]
pub fn on_ready(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::function(Kind::OnReady, args.into(), item.into()).into()
}

/// A listener run when a session ends: `async fn(session: Session, details: CloseDetails)`.
#[proc_macro_attribute]
pub fn on_leave(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::function(Kind::OnLeave, args.into(), item.into()).into()
}

/// A listener run when a connected transport closes: `async fn(url: String, was_clean: bool)`.
#[proc_macro_attribute]
pub fn on_disconnect(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::function(Kind::OnDisconnect, args.into(), item.into()).into()
}

/// A listener run when an attempt fails before a session is established:
/// `async fn(url: String, failure: Arc<Failure>)`.
#[proc_macro_attribute]
pub fn on_connect_failure(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::function(Kind::OnConnectFailure, args.into(), item.into()).into()
}

/// Makes a type's methods marked `#[register]`, `#[subscribe]` or with a lifecycle attribute
/// its handlers, receiving `&self` (or no receiver): the type then implements `Service` and
/// `Attach`, and `builder.attach(MyService::new())` adds them all. Takes `crate = "path"`.
#[proc_macro_attribute]
pub fn service(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::service(args.into(), item.into()).into()
}
