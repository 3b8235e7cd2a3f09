//! Decorator-like attribute macros for WAMP components, re-exported by `wamp-client`: the
//! Rust counterpart of Autobahn|Python's `@component.register`, `@component.subscribe` and
//! `@component.on_join`.
//!
//! Each macro keeps the function as it is (callable directly, e.g. in unit tests) and adds a
//! type of the same name (a braced struct: types and functions have separate namespaces)
//! whose `handler()` is the declaration to attach to a component:
//!
//! ```
//! # extern crate wamp as wamp_client;
//! use wamp_client::{register, Component};
//!
//! #[register("com.example.add2", invoke = "roundrobin")]
//! async fn add2(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let comp = Component::builder()
//!     .transport("ws://127.0.0.1:8080/ws")
//!     .realm("realm1")
//!     .attach(add2::handler())
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! `#[service]` on an `impl` block turns the methods marked `#[register]`, `#[subscribe]` or
//! with a lifecycle attribute into handlers receiving `&self`; the type is attached as a
//! whole, its URIs may share a prefix, and `#[service(proxy)]` also gives callers a typed
//! proxy of its procedures. `#[derive(ApplicationError)]` makes an enum of typed
//! application errors (Autobahn's `session.define(Exception, uri)`). Every macro takes `crate = "path"` when `wamp-client` is reachable only under
//! another path (a renamed dependency is found by itself).

mod attr;
mod error;
mod expand;
mod proxy;
mod signature;

use proc_macro::TokenStream;

use attr::Kind;

/// Registers an async fn as a procedure: `#[register("com.example.add2")]`, with options
/// `match = "exact" | "prefix" | "wildcard"`, `invoke = "single" | "roundrobin" | "random" |
/// "first" | "last"`, `concurrency = N` (sent to the router and kept by the client),
/// `local_concurrency = N` (kept by the client only: more invocations wait, up to
/// `queue_capacity = N`), `disclose_caller = true`, `force_reregister = true` (take the
/// procedure over from other sessions), `crate = "path"`.
///
/// Its parameters may be, in any order (at most 8):
///
/// | parameter | takes |
/// |---|---|
/// | any `serde::Deserialize` type: `i64`, `usize`, every integer type, `f64`, `bool`, `String`, `Option<T>`, `Vec<T>`, `Value`, your structs and enums | the next positional argument, else the keyword argument of the parameter's name, else `null` (an `Option` is `None`, anything else is missing) |
/// | `handler::Args<T>` | the positional arguments left (Python's `*args`), as a `Vec` or a tuple |
/// | `handler::Kwargs<T>` | the keyword arguments no other parameter takes (Python's `**kwargs`), as a struct or a map |
/// | `handler::CallDetails` | the procedure called, the registration, the caller's id, authid and authrole when disclosed, whether progress was asked for, all of INVOCATION.Details |
/// | `handler::Progress` | the sender of progressive results |
/// | `Session` | the session the call came through |
/// | `handler::State<T>` | the shared state given with `Declaration::with_state` |
///
/// Arguments bind as in Python: `add2(1, 2)`, `add2(1, b=2)` and `add2(a=1, b=2)` all call
/// `async fn add2(a: i64, b: i64)`. `#[wamp(name = "type")]` on a parameter renames its
/// keyword. An argument that does not fit, a missing one, one given twice, too many
/// positional ones, or a keyword no parameter takes (without a `Kwargs` parameter) answers
/// the caller `wamp.error.invalid_argument` naming the parameter or the keywords, and the
/// function does not run.
///
/// It returns a plain value or `Result<T, E>`: a tuple is several positional results, `()`
/// none, a `Payload` goes out as it is (keyword results), any other serde value is the single
/// result; `E` is a `WampError`, a typed error enum (`#[derive(ApplicationError)]`), or
/// anything else that converts `Into<WampError>`.
///
/// ```
/// # extern crate wamp as wamp_client;
/// use wamp_client::handler::{CallDetails, Kwargs};
/// use wamp_client::{register, WampError};
///
/// #[derive(serde::Deserialize)]
/// struct Style {
///     #[serde(default)]
///     shout: bool,
/// }
///
/// /// Answers every `com.example.greet.*` procedure.
/// #[register("com.example.greet.", match = "prefix")]
/// async fn greet(name: String, style: Kwargs<Style>, call: CallDetails) -> Result<String, WampError> {
///     let text = format!("Hello, {name}, from {}", call.procedure);
///     Ok(if style.0.shout { text.to_uppercase() } else { text })
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // Still an ordinary function.
/// # let call = CallDetails { procedure: "com.example.greet.en".into(), registration: 1, request: 1, caller: None, caller_authid: None, caller_authrole: None, receive_progress: false, details: Default::default() };
/// let text = greet("Ada".into(), Kwargs(Style { shout: false }), call).await.unwrap();
/// assert_eq!(text, "Hello, Ada, from com.example.greet.en");
/// let declaration = greet::handler();
/// # drop(declaration); }
/// ```
#[proc_macro_attribute]
pub fn register(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::function(Kind::Register, args.into(), item.into()).into()
}

/// Subscribes an async fn to a topic: `#[subscribe("com.example.topic")]`, with options
/// `match = "exact" | "prefix" | "wildcard"`, `get_retained = true`, `queue_capacity = N`,
/// `overflow = "drop_newest" | "drop_oldest" | "pause"` (what a full queue does: see
/// `SubscribeOptions::overflow`),
/// `crate = "path"`.
///
/// Its parameters may be, in any order (at most 8):
///
/// | parameter | takes |
/// |---|---|
/// | any `serde::Deserialize` type | the event's next positional argument, else its keyword argument of the parameter's name (`#[wamp(name = "...")]` renames), else `null` (an `Option` is `None`) |
/// | `handler::Args<T>` | the positional arguments left |
/// | `handler::Kwargs<T>` | the keyword arguments no other parameter takes |
/// | `handler::EventDetails` | the topic, the subscription, the publication id, the publisher's id, authid and authrole when disclosed, all of EVENT.Details |
/// | `Session` | the session the event came through |
/// | `handler::State<T>` | the shared state given with `Declaration::with_state` |
///
/// It returns nothing. An event that does not fit the parameters (an argument of the wrong
/// type, a missing one, a keyword no parameter takes without a `Kwargs` parameter) is
/// logged and counted (`Declaration::rejected_events`), never handled.
///
/// ```
/// # extern crate wamp as wamp_client;
/// use wamp_client::handler::EventDetails;
/// use wamp_client::subscribe;
///
/// /// Every `com.example.<anything>.ticks` topic.
/// #[subscribe("com.example..ticks", match = "wildcard")]
/// async fn on_tick(n: u64, details: EventDetails) {
///     println!("tick {n} on {} (publication {})", details.topic, details.publication);
/// }
/// let declaration = on_tick::handler();
/// # drop(declaration);
/// ```
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
///
/// ```
/// # extern crate wamp as wamp_client;
/// use wamp_client::{on_join, on_leave, CloseDetails, Session, SessionDetails};
///
/// #[on_join]
/// async fn joined(session: Session, details: SessionDetails) {
///     println!("joined realm {} as session {}", details.realm, session.id());
/// }
///
/// #[on_leave]
/// async fn left(_session: Session, details: CloseDetails) {
///     println!("left: {}", details.reason);
/// }
/// let declarations = [joined::handler(), left::handler()];
/// # drop(declarations);
/// ```
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
/// `Attach`, and `builder.attach(MyService::new())` adds them all. Its methods take the
/// parameters of `#[register]` and `#[subscribe]`.
///
/// Options:
/// - `prefix = "com.example."` is put before every procedure and topic of the type
///   (Autobahn's `register(obj, prefix=...)`); the resulting URIs are checked at compile time.
/// - `proxy` (or `proxy = "Name"`) also generates the callers' side, `<Type>Proxy`: one
///   typed async method per `#[register]` method with an exact URI, with the same parameters
///   less those the callee's side gives (`CallDetails`, `Session`, `State`, `Progress`), a
///   `Kwargs<T>` parameter passed as the keyword arguments and `Args<T>` as the positional
///   ones left, and the same result: `Result<T, CallError>`, or for a method returning
///   `Result<T, E>`, `Result<T, TypedCallError<E>>` (E a typed error enum or `WampError`).
///   `Proxy::new(caller)` calls through a `Session`, a `ComponentHandle` or any
///   `handler::Caller`; `with_options(CallOptions)` sets the calls' options. Callers and
///   callees then share one definition and cannot drift apart.
/// - `crate = "path"`, the path of `wamp-client`.
///
/// On a trait, `#[service]` defines a service without implementing it, e.g. in a crate that
/// callers and callees share: each handler is declared `async fn` without a body (it becomes
/// `fn(..) -> impl Future<Output = T> + Send`, which an implementation writes as `async fn`),
/// the trait gets the provided method `declarations(self: Arc<Self>)` for
/// `builder.attach(MyImpl::new().declarations())` (on an `Arc`), and `proxy` gives callers
/// the same proxy:
///
/// ```
/// # extern crate wamp as wamp_client;
/// use std::sync::Arc;
/// use wamp_client::{service, Component};
///
/// #[service(prefix = "com.greeter.", proxy)]
/// pub trait Greeter: Send + Sync + 'static {
///     #[register("greet")]
///     async fn greet(&self, name: String) -> String;
/// }
///
/// // A callee.
/// struct English;
/// impl Greeter for English {
///     async fn greet(&self, name: String) -> String {
///         format!("Hello, {name}!")
///     }
/// }
/// let comp = Component::builder()
///     .transport("ws://127.0.0.1:8080/ws")
///     .realm("realm1")
///     .attach(Arc::new(English).declarations())
///     .build()
///     .unwrap();
///
/// // A caller.
/// async fn hello(session: wamp_client::Session) -> Result<String, wamp_client::CallError> {
///     GreeterProxy::new(session).greet("Ada".into()).await
/// }
/// # drop((comp, hello));
/// ```
///
/// ```
/// # extern crate wamp as wamp_client;
/// use std::sync::Mutex;
/// use wamp_client::handler::{ApplicationError, TypedCallError};
/// use wamp_client::{service, Session};
///
/// #[derive(Debug, ApplicationError)]
/// enum InventoryError {
///     #[wamp(uri = "com.inventory.error.out_of_stock")]
///     OutOfStock { sku: String, left: u32 },
/// }
///
/// #[derive(Default)]
/// struct Inventory {
///     stock: Mutex<u32>,
/// }
///
/// #[service(prefix = "com.inventory.", proxy)]
/// impl Inventory {
///     /// Takes items out; registered as `com.inventory.take`.
///     #[register("take")]
///     async fn take(&self, sku: String, count: u32) -> Result<u32, InventoryError> {
///         let mut left = self.stock.lock().unwrap();
///         if *left < count {
///             return Err(InventoryError::OutOfStock { sku, left: *left });
///         }
///         *left -= count;
///         Ok(*left)
///     }
/// }
///
/// // The callers' side.
/// async fn order(session: Session) -> Result<(), Box<dyn std::error::Error>> {
///     let inventory = InventoryProxy::new(session);
///     match inventory.take("apple".into(), 3).await {
///         Ok(left) => println!("{left} left"),
///         Err(TypedCallError::Application(InventoryError::OutOfStock { left, .. })) => {
///             println!("only {left} left")
///         }
///         Err(e) => return Err(e.into()),
///     }
///     Ok(())
/// }
/// # drop(order);
/// ```
///
/// ```
/// # extern crate wamp as wamp_client;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use wamp_client::{service, Component, Session};
///
/// #[derive(Default)]
/// struct Counter {
///     n: AtomicU64,
/// }
///
/// #[service]
/// impl Counter {
///     #[register("com.example.next")]
///     async fn next(&self) -> u64 {
///         self.n.fetch_add(1, Ordering::Relaxed)
///     }
///
///     #[subscribe("com.example.reset")]
///     async fn reset(&self) {
///         self.n.store(0, Ordering::Relaxed);
///     }
///
///     #[on_ready]
///     async fn ready(&self, session: Session) {
///         println!("counting on session {}", session.id());
///     }
/// }
///
/// let comp = Component::builder()
///     .transport("ws://127.0.0.1:8080/ws")
///     .realm("realm1")
///     .attach(Counter::default())
///     .build()
///     .unwrap();
/// # drop(comp);
/// ```
#[proc_macro_attribute]
pub fn service(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::service(args.into(), item.into()).into()
}

/// Derives `ApplicationError` (re-exported as `wamp_client::handler::ApplicationError`) for an
/// enum of typed WAMP application errors (Autobahn's `session.define(Exception, uri)`): each
/// variant has `#[wamp(uri = "...")]`; its named fields are the error's keyword arguments
/// (`#[wamp(name = "...")]` renames one), a tuple variant's fields its positional
/// arguments. It also gives `From<MyError> for WampError`, so a procedure may return
/// `Result<T, MyError>`, and `TryFrom<WampError>`, so a caller matches on the enum.
/// `#[wamp(message)]` on the type puts its `Display` text first in the positional
/// arguments of variants with named fields or none; `#[wamp(crate = "path")]` names
/// `wamp-client`. A struct is one error, with `#[wamp(uri = "...")]` on the struct.
///
/// ```
/// # extern crate wamp as wamp_client;
/// use wamp_client::handler::ApplicationError;
/// use wamp_client::WampError;
///
/// #[derive(Debug, PartialEq, ApplicationError)]
/// enum InventoryError {
///     #[wamp(uri = "com.inventory.error.not_found")]
///     NotFound { sku: String },
///     #[wamp(uri = "com.inventory.error.out_of_stock")]
///     OutOfStock(String, u32),
/// }
///
/// let e: WampError = InventoryError::OutOfStock("a-1".into(), 2).into();
/// assert_eq!(e.uri, "com.inventory.error.out_of_stock");
/// assert_eq!(InventoryError::try_from(e).unwrap(), InventoryError::OutOfStock("a-1".into(), 2));
/// ```
#[proc_macro_derive(ApplicationError, attributes(wamp))]
pub fn derive_application_error(item: TokenStream) -> TokenStream {
    error::derive(item.into()).into()
}
