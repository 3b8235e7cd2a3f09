//! Handlers, axum-style: any async fn whose parameters are positional arguments (any serde
//! type) or wrappers that pick out the rest of a call or an event ([`Args`] for the
//! remaining positional arguments, [`Kwargs`], [`CallDetails`], [`EventDetails`], shared
//! [`State`], the [`Session`] it came through, a [`Progress`] sender for
//! progressive results) is a procedure or an event handler. A fn of one
//! [`Invocation`] (or one [`Event`]) is the one-parameter case:
//! it sees the whole call.
//!
//! There is one path: [`IntoProcedure`] and [`IntoEventHandler`], taken by
//! `Session::register`/`subscribe`, the component builder, [`Declaration`] and the macros.
//!
//! ```
//! use serde::Deserialize;
//! use wamp_client::handler::{CallDetails, Kwargs};
//! use wamp_client::WampError;
//!
//! #[derive(Deserialize)]
//! struct Options {
//!     #[serde(default)]
//!     nice: bool,
//! }
//!
//! async fn add2(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! async fn greet(name: String, title: Option<String>, opts: Kwargs<Options>, call: CallDetails)
//!     -> Result<String, WampError>
//! {
//!     let who = match title { Some(t) => format!("{t} {name}"), None => name };
//!     let hello = if opts.0.nice { "Lovely to see you" } else { "Hello" };
//!     Ok(format!("{hello}, {who} (via {})", call.procedure))
//! }
//!
//! # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
//! session.register("com.example.add2", add2).await?;
//! session.register("com.example.greet", greet).await?;
//! # Ok(()) }
//! ```
//!
//! Arguments bind as in Python: a parameter of a serde type takes the next positional
//! argument, else the keyword argument of its name (the macros give the names; without them,
//! [`Procedure::with_names`]), else reads as JSON `null`, so an `Option` parameter becomes
//! `None` (any other type is an error). More positional arguments than parameters, an
//! argument given both positionally and by keyword, and a keyword argument no parameter
//! takes are errors too, unless a [`Kwargs`] parameter (Python's `**kwargs`) takes the
//! keyword arguments left. Any error answers the caller `wamp.error.invalid_argument` with a
//! message naming the parameter (`parameter `b`: ...`) or the unexpected keywords, and the
//! function does not run. Every integer type (`u8` to `u128`, `i8` to `i128`, `usize`,
//! `isize`) is an argument and a result; a value out of its range is an invalid argument.
//!
//! One result rule: a procedure returns `Result<T, E>` or a plain value; a tuple is several
//! positional results, `()` none, a [`Payload`] goes out as it is (keyword
//! results), any other serde value is the single positional result (a `Vec` is one list);
//! `E` converts into a [`WampError`] (URI, args, kwargs).
//!
//! Typed application errors: an enum with `#[derive(ApplicationError)]` (see
//! [`ApplicationError`](trait@ApplicationError)) is an `E` a procedure returns, and what a
//! caller gets back with [`CallErrorExt::application`] or [`TypedCallError`]. The typed
//! proxies of `#[service(proxy)]` call through a [`Caller`].
//!
//! [`Declaration`]: crate::component::Declaration

use std::any::TypeId;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wamp_core::uri::error_uri;
use wamp_core::WampError;

mod extract;
mod invocation;
mod proxy;
mod result;
mod typed_error;

pub use extract::{Args, CallDetails, EventDetails, FromParts, Kwargs, Parts, State, StateNeed};
pub use invocation::{Invocation, Progress};
pub use proxy::Caller;
#[doc(hidden)]
pub use proxy::{__proxy_arg, __proxy_args, __proxy_decode, __proxy_kwargs};
pub use result::{IntoCallResult, IntoPayload};
#[doc(hidden)]
pub use typed_error::{__field_from_value, __field_to_value};
pub use typed_error::{ApplicationError, CallErrorExt, TypedCallError};
/// Derives [`ApplicationError`](trait@ApplicationError): see the trait.
pub use wamp_macros::ApplicationError;

use crate::link::{BoxFuture, StartInvocation, StartedInvocation};
use crate::payload::{Event, Payload};
use crate::session::Session;
use extract::{check_state, SharedState};

type EventFn = dyn Fn(Parts) -> Result<BoxFuture<()>, String> + Send + Sync;

/// A procedure's function, type-erased: runs on the parts of one invocation.
trait CallParts: Send + Sync + 'static {
    fn call(&self, parts: Parts) -> BoxFuture<Result<Payload, WampError>>;
}

/// A procedure's function. Without state the driver starts it as it is: a registration then
/// costs no allocation of its own.
struct FnProcedure<F>(F);

impl<F> CallParts for FnProcedure<F>
where
    F: Fn(Parts) -> BoxFuture<Result<Payload, WampError>> + Send + Sync + 'static,
{
    fn call(&self, parts: Parts) -> BoxFuture<Result<Payload, WampError>> {
        (self.0)(parts)
    }
}

impl<F> StartInvocation for FnProcedure<F>
where
    F: Fn(Parts) -> BoxFuture<Result<Payload, WampError>> + Send + Sync + 'static,
{
    fn start(&self, invocation: StartedInvocation) -> BoxFuture<Result<Payload, WampError>> {
        (self.0)(Parts::from_invocation(invocation.into(), None))
    }
}

/// A procedure's function with its shared state or its parameter names, as the driver
/// starts it.
struct Prepared {
    f: Arc<dyn CallParts>,
    state: Option<SharedState>,
    names: &'static [&'static str],
}

impl StartInvocation for Prepared {
    fn start(&self, invocation: StartedInvocation) -> BoxFuture<Result<Payload, WampError>> {
        let mut parts = Parts::from_invocation(invocation.into(), self.state.clone());
        parts.set_names(self.names);
        self.f.call(parts)
    }
}

/// A procedure ready to register: a handler, type-erased, with its shared state. Made by
/// [`procedure`] or by anything that is [`IntoProcedure`]; cheap to clone.
#[derive(Clone)]
pub struct Procedure {
    f: Arc<dyn CallParts>,
    /// The same function, as the driver starts it when there is no state.
    start: Arc<dyn StartInvocation>,
    needs: Vec<StateNeed>,
    state: Option<(SharedState, (TypeId, &'static str))>,
    arity: usize,
    names: &'static [&'static str],
}

impl std::fmt::Debug for Procedure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Procedure")
            .field(
                "needs_state",
                &self.needs.iter().map(|n| n.type_name).collect::<Vec<_>>(),
            )
            .field("state", &self.state.as_ref().map(|(_, (_, name))| *name))
            .field("names", &self.names)
            .finish()
    }
}

/// Whether `names` fit a handler of `arity` parameters.
fn check_names(names: &[&str], arity: usize) -> Result<(), String> {
    if names.is_empty() || names.len() == arity {
        Ok(())
    } else {
        Err(format!(
            "{} parameter names given for a handler of {arity} parameters",
            names.len()
        ))
    }
}

impl Procedure {
    fn from_fn<F>(f: F, needs: Vec<StateNeed>, arity: usize) -> Self
    where
        F: Fn(Parts) -> BoxFuture<Result<Payload, WampError>> + Send + Sync + 'static,
    {
        let f = Arc::new(FnProcedure(f));
        Procedure {
            f: f.clone(),
            start: f,
            needs,
            state: None,
            arity,
            names: &[],
        }
    }

    /// Gives the names of the handler's parameters, in order (`""` for one without a
    /// name; `#[register]` gives them): a parameter that takes an argument then takes the
    /// keyword argument of its name when no positional argument is left, keyword arguments
    /// that no parameter takes are refused (unless a [`Kwargs`] parameter takes them), and
    /// `wamp.error.invalid_argument` messages name the parameter.
    ///
    /// ```
    /// use wamp_client::handler::procedure;
    ///
    /// async fn add2(a: i64, b: i64) -> i64 {
    ///     a + b
    /// }
    /// // Callable as add2(1, 2), add2(1, b=2) or add2(a=1, b=2).
    /// let p = procedure(add2).with_names(&["a", "b"]);
    /// assert!(p.check().is_ok());
    /// ```
    pub fn with_names(mut self, names: &'static [&'static str]) -> Self {
        self.names = names;
        self
    }

    /// Gives the procedure shared state, taken by a [`State<T>`] parameter.
    pub fn with_state<T: Send + Sync + 'static>(mut self, state: Arc<T>) -> Self {
        self.state = Some((state, (TypeId::of::<T>(), std::any::type_name::<T>())));
        self
    }

    /// Whether every [`State`] parameter gets a state of its type and the names given fit
    /// the parameters; the error says what does not.
    pub fn check(&self) -> Result<(), String> {
        check_names(self.names, self.arity)?;
        check_state(&self.needs, self.state.as_ref().map(|(_, t)| t))
    }

    /// Runs the procedure on `invocation`.
    #[cfg(test)]
    pub(crate) fn call(&self, invocation: Invocation) -> BoxFuture<Result<Payload, WampError>> {
        let state = self.state.as_ref().map(|(s, _)| s.clone());
        let mut parts = Parts::from_invocation(invocation, state);
        parts.set_names(self.names);
        self.f.call(parts)
    }

    /// What the driver keeps of a registered procedure (the state's type was checked by
    /// [`check`](Self::check)).
    pub(crate) fn runner(self) -> Arc<dyn StartInvocation> {
        match (self.state, self.names.is_empty()) {
            (None, true) => self.start,
            (state, _) => Arc::new(Prepared {
                f: self.f,
                state: state.map(|(s, _)| s),
                names: self.names,
            }),
        }
    }
}

/// An event handler ready to subscribe: a handler, type-erased, with its shared state and the
/// counter of events it rejected (whose payload did not fit its parameters: logged and
/// counted, never handled). Cheap to clone.
#[derive(Clone)]
pub struct EventHandler {
    f: Arc<EventFn>,
    needs: Vec<StateNeed>,
    state: Option<(SharedState, (TypeId, &'static str))>,
    rejected: Arc<AtomicU64>,
    arity: usize,
    names: &'static [&'static str],
}

impl std::fmt::Debug for EventHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHandler")
            .field(
                "needs_state",
                &self.needs.iter().map(|n| n.type_name).collect::<Vec<_>>(),
            )
            .field("state", &self.state.as_ref().map(|(_, (_, name))| *name))
            .field("rejected", &self.rejected.load(Ordering::Relaxed))
            .field("names", &self.names)
            .finish()
    }
}

impl EventHandler {
    /// Gives the names of the handler's parameters, in order (`#[subscribe]` gives them):
    /// as [`Procedure::with_names`], an event's keyword arguments then fill the parameters
    /// of their names, and an event with a keyword argument that no parameter takes is
    /// rejected (unless a [`Kwargs`] parameter takes it).
    pub fn with_names(mut self, names: &'static [&'static str]) -> Self {
        self.names = names;
        self
    }

    /// Gives the handler shared state, taken by a [`State<T>`] parameter.
    pub fn with_state<T: Send + Sync + 'static>(mut self, state: Arc<T>) -> Self {
        self.state = Some((state, (TypeId::of::<T>(), std::any::type_name::<T>())));
        self
    }

    /// The counter of events rejected so far, shared with the handler (keep it before
    /// handing the handler to `subscribe`).
    pub fn rejected(&self) -> Arc<AtomicU64> {
        self.rejected.clone()
    }

    /// Whether every [`State`] parameter gets a state of its type and the names given fit
    /// the parameters; the error says what does not.
    pub fn check(&self) -> Result<(), String> {
        check_names(self.names, self.arity)?;
        check_state(&self.needs, self.state.as_ref().map(|(_, t)| t))
    }

    /// Handles one event that came through `session`.
    pub(crate) fn handle(&self, event: Event, session: Option<Session>) -> BoxFuture<()> {
        let (topic, publication) = (event.topic.clone(), event.publication);
        let state = self.state.as_ref().map(|(s, _)| s.clone());
        let mut parts = Parts::from_event(event, session, state);
        parts.set_names(self.names);
        match (self.f)(parts) {
            Ok(fut) => fut,
            Err(why) => {
                let n = self.rejected.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(%topic, publication, rejected = n, error = %why, "event does not fit the handler's parameters; not handled");
                Box::pin(async {})
            }
        }
    }
}

/// Anything that can be registered as a procedure: an async fn (or closure) of at most 8
/// parameters, each a [`FromParts`] (a serde type or a wrapper of this module), returning
/// what [`IntoCallResult`] accepts; or a [`Procedure`]. `P` only tells the arities apart.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a procedure",
    note = "a procedure is an async fn (or closure) of at most 8 parameters, each a serde type or a wrapper of `wamp_client::handler` (or one `Invocation`), returning what `IntoCallResult` accepts; it and its future must be `Send + 'static`"
)]
pub trait IntoProcedure<P>: Send + Sync + 'static {
    /// The type-erased procedure.
    fn into_procedure(self) -> Procedure;
}

/// Anything that can be subscribed as an event handler: an async fn (or closure) of at most 8
/// parameters, each a [`FromParts`], returning `()`; or an [`EventHandler`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event handler",
    note = "an event handler is an async fn (or closure) of at most 8 parameters, each a serde type or a wrapper of `wamp_client::handler` (or one `Event`), returning `()`; it and its future must be `Send + 'static`"
)]
pub trait IntoEventHandler<P>: Send + Sync + 'static {
    /// The type-erased event handler.
    fn into_event_handler(self) -> EventHandler;
}

impl IntoProcedure<Procedure> for Procedure {
    fn into_procedure(self) -> Procedure {
        self
    }
}

impl IntoEventHandler<EventHandler> for EventHandler {
    fn into_event_handler(self) -> EventHandler {
        self
    }
}

/// Makes a procedure of an async fn (see the [module docs](self)), e.g. to give it state.
///
/// ```
/// use std::sync::Arc;
/// use wamp_client::handler::{procedure, State};
///
/// async fn greet(name: String, greeting: State<String>) -> String {
///     format!("{} {name}", greeting.0)
/// }
/// let p = procedure(greet).with_state(Arc::new("Hello".to_owned()));
/// assert!(p.check().is_ok());
/// ```
pub fn procedure<P, F: IntoProcedure<P>>(f: F) -> Procedure {
    f.into_procedure()
}

/// Makes an event handler of an async fn, e.g. to keep its counter of rejected events.
///
/// ```
/// use wamp_client::handler::{event_handler, EventDetails};
///
/// async fn on_tick(n: u64, details: EventDetails) {
///     println!("tick {n} (publication {})", details.publication);
/// }
/// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
/// let handler = event_handler(on_tick);
/// let rejected = handler.rejected();
/// session.subscribe("com.example.ticks", handler).await?;
/// # Ok(()) }
/// ```
pub fn event_handler<P, F: IntoEventHandler<P>>(f: F) -> EventHandler {
    f.into_event_handler()
}

/// Which of the parameters `takes` (each parameter's [`FromParts::takes_argument`]) take an
/// argument, as bits.
fn argument_mask(takes: &[bool]) -> u16 {
    takes
        .iter()
        .enumerate()
        .filter(|(_, t)| **t)
        .fold(0, |mask, (i, _)| mask | (1 << i))
}

macro_rules! impl_fns {
    ($($p:ident),*) => {
        impl<F, Fut, R, $($p,)*> IntoProcedure<($($p,)*)> for F
        where
            F: Fn($($p),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoCallResult,
            $($p: FromParts + Send + 'static,)*
        {
            fn into_procedure(self) -> Procedure {
                let takes: &[bool] = &[$($p::takes_argument()),*];
                let (mask, arity) = (argument_mask(takes), takes.len());
                #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
                let f = move |mut parts: Parts| -> BoxFuture<Result<Payload, WampError>> {
                    parts.set_takes_argument(mask);
                    let mut index = 0;
                    $(
                        parts.set_param(index);
                        index += 1;
                        let $p = match $p::from_parts(&mut parts) {
                            Ok(v) => v,
                            Err(why) => {
                                let e = WampError::with_message(
                                    error_uri::INVALID_ARGUMENT,
                                    format!("{}: {why}", parts.describe_param()),
                                );
                                return Box::pin(async move { Err(e) });
                            }
                        };
                    )*
                    if let Some(why) = parts.leftovers() {
                        let e = WampError::with_message(error_uri::INVALID_ARGUMENT, why);
                        return Box::pin(async move { Err(e) });
                    }
                    let fut = self($($p),*);
                    Box::pin(async move { fut.await.into_call_result() })
                };
                #[allow(unused_mut)]
                let mut needs: Vec<StateNeed> = Vec::new();
                $(needs.extend($p::state_need());)*
                Procedure::from_fn(f, needs, arity)
            }
        }

        impl<F, Fut, $($p,)*> IntoEventHandler<($($p,)*)> for F
        where
            F: Fn($($p),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
            $($p: FromParts + Send + 'static,)*
        {
            fn into_event_handler(self) -> EventHandler {
                let takes: &[bool] = &[$($p::takes_argument()),*];
                let (mask, arity) = (argument_mask(takes), takes.len());
                #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
                let f = move |mut parts: Parts| -> Result<BoxFuture<()>, String> {
                    parts.set_takes_argument(mask);
                    let mut index = 0;
                    $(
                        parts.set_param(index);
                        index += 1;
                        let $p = $p::from_parts(&mut parts)
                            .map_err(|why| format!("{}: {why}", parts.describe_param()))?;
                    )*
                    if let Some(why) = parts.leftovers() {
                        return Err(why);
                    }
                    Ok(Box::pin(self($($p),*)))
                };
                #[allow(unused_mut)]
                let mut needs: Vec<StateNeed> = Vec::new();
                $(needs.extend($p::state_need());)*
                EventHandler {
                    f: Arc::new(f),
                    needs,
                    state: None,
                    rejected: Arc::default(),
                    arity,
                    names: &[],
                }
            }
        }
    };
}

impl_fns!();
impl_fns!(P1);
impl_fns!(P1, P2);
impl_fns!(P1, P2, P3);
impl_fns!(P1, P2, P3, P4);
impl_fns!(P1, P2, P3, P4, P5);
impl_fns!(P1, P2, P3, P4, P5, P6);
impl_fns!(P1, P2, P3, P4, P5, P6, P7);
impl_fns!(P1, P2, P3, P4, P5, P6, P7, P8);

#[cfg(test)]
mod tests;
