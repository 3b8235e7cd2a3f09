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
//! A positional parameter takes the next positional argument; a missing trailing argument
//! reads as JSON `null`, so an `Option` parameter becomes `None` (any other type is an
//! error). More positional arguments than parameters is an error too. Any error answers the
//! caller `wamp.error.invalid_argument` with a message naming the parameter, and the
//! function does not run.
//!
//! One result rule: a procedure returns `Result<T, E>` or a plain value; a tuple is several
//! positional results, `()` none, a [`Payload`] goes out as it is (keyword
//! results), any other serde value is the single positional result (a `Vec` is one list);
//! `E` converts into a [`WampError`] (URI, args, kwargs).
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
mod result;

pub use extract::{Args, CallDetails, EventDetails, FromParts, Kwargs, Parts, State, StateNeed};
pub use invocation::{Invocation, Progress};
pub use result::{IntoCallResult, IntoPayload};

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

/// A procedure's function with its shared state, as the driver starts it.
struct WithState {
    f: Arc<dyn CallParts>,
    state: SharedState,
}

impl StartInvocation for WithState {
    fn start(&self, invocation: StartedInvocation) -> BoxFuture<Result<Payload, WampError>> {
        let parts = Parts::from_invocation(invocation.into(), Some(self.state.clone()));
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
}

impl std::fmt::Debug for Procedure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Procedure")
            .field(
                "needs_state",
                &self.needs.iter().map(|n| n.type_name).collect::<Vec<_>>(),
            )
            .field("state", &self.state.as_ref().map(|(_, (_, name))| *name))
            .finish()
    }
}

impl Procedure {
    fn from_fn<F>(f: F, needs: Vec<StateNeed>) -> Self
    where
        F: Fn(Parts) -> BoxFuture<Result<Payload, WampError>> + Send + Sync + 'static,
    {
        let f = Arc::new(FnProcedure(f));
        Procedure {
            f: f.clone(),
            start: f,
            needs,
            state: None,
        }
    }

    /// Gives the procedure shared state, taken by a [`State<T>`] parameter.
    pub fn with_state<T: Send + Sync + 'static>(mut self, state: Arc<T>) -> Self {
        self.state = Some((state, (TypeId::of::<T>(), std::any::type_name::<T>())));
        self
    }

    /// Whether every [`State`] parameter gets a state of its type; the error says which
    /// does not.
    pub fn check(&self) -> Result<(), String> {
        check_state(&self.needs, self.state.as_ref().map(|(_, t)| t))
    }

    /// Runs the procedure on `invocation`.
    #[cfg(test)]
    pub(crate) fn call(&self, invocation: Invocation) -> BoxFuture<Result<Payload, WampError>> {
        let state = self.state.as_ref().map(|(s, _)| s.clone());
        self.f.call(Parts::from_invocation(invocation, state))
    }

    /// What the driver keeps of a registered procedure (the state's type was checked by
    /// [`check`](Self::check)).
    pub(crate) fn runner(self) -> Arc<dyn StartInvocation> {
        match self.state {
            None => self.start,
            Some((state, _)) => Arc::new(WithState { f: self.f, state }),
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
            .finish()
    }
}

impl EventHandler {
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

    /// Whether every [`State`] parameter gets a state of its type; the error says which
    /// does not.
    pub fn check(&self) -> Result<(), String> {
        check_state(&self.needs, self.state.as_ref().map(|(_, t)| t))
    }

    /// Handles one event that came through `session`.
    pub(crate) fn handle(&self, event: Event, session: Option<Session>) -> BoxFuture<()> {
        let (topic, publication) = (event.topic.clone(), event.publication);
        let state = self.state.as_ref().map(|(s, _)| s.clone());
        match (self.f)(Parts::from_event(event, session, state)) {
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

fn invalid_argument(param: usize, why: String) -> WampError {
    WampError::with_message(
        error_uri::INVALID_ARGUMENT,
        format!("parameter {param}: {why}"),
    )
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
                #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
                let f = move |mut parts: Parts| -> BoxFuture<Result<Payload, WampError>> {
                    let mut index = 0;
                    $(
                        index += 1;
                        let $p = match $p::from_parts(&mut parts) {
                            Ok(v) => v,
                            Err(why) => {
                                let e = invalid_argument(index, why);
                                return Box::pin(async move { Err(e) });
                            }
                        };
                    )*
                    if let Some(why) = parts.too_many() {
                        let e = WampError::with_message(error_uri::INVALID_ARGUMENT, why);
                        return Box::pin(async move { Err(e) });
                    }
                    let fut = self($($p),*);
                    Box::pin(async move { fut.await.into_call_result() })
                };
                #[allow(unused_mut)]
                let mut needs: Vec<StateNeed> = Vec::new();
                $(needs.extend($p::state_need());)*
                Procedure::from_fn(f, needs)
            }
        }

        impl<F, Fut, $($p,)*> IntoEventHandler<($($p,)*)> for F
        where
            F: Fn($($p),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
            $($p: FromParts + Send + 'static,)*
        {
            fn into_event_handler(self) -> EventHandler {
                #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
                let f = move |mut parts: Parts| -> Result<BoxFuture<()>, String> {
                    let mut index = 0;
                    $(
                        index += 1;
                        let $p = $p::from_parts(&mut parts).map_err(|why| format!("parameter {index}: {why}"))?;
                    )*
                    if let Some(why) = parts.too_many() {
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
