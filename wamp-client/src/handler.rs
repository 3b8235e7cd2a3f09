//! Handlers with typed parameters, without a macro: any async fn whose parameters are
//! positional arguments (any serde type) or wrappers that pick out the rest of a call or an
//! event ([`Args`] for the remaining positional arguments, [`Kwargs`], [`CallDetails`],
//! [`EventDetails`], shared [`State`], the current [`Session`](crate::Session), a
//! [`Progress`] sender for progressive results).
//!
//! ```
//! use serde::Deserialize;
//! use wamp_client::handler::{procedure, CallDetails, Kwargs};
//! use wamp_client::WampError;
//!
//! #[derive(Deserialize)]
//! struct Options {
//!     #[serde(default)]
//!     nice: bool,
//! }
//!
//! async fn add2(a: i64, b: i64) -> Result<i64, WampError> {
//!     Ok(a + b)
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
//! session.register("com.example.add2", procedure(add2)).await?;
//! session.register("com.example.greet", procedure(greet)).await?;
//! # Ok(()) }
//! ```
//!
//! A positional parameter takes the next positional argument; a missing trailing argument
//! reads as JSON `null`, so an `Option` parameter becomes `None` (any other type is an
//! error). More positional arguments than parameters is an error too. Any error answers the
//! caller `wamp.error.invalid_argument` with a message naming the parameter, and the
//! function does not run.
//!
//! A procedure returns `Result<T, E>`: `T` is any serde type, sent as the single positional
//! result, except a tuple, which is several positional results (`()` sends none; a
//! [`Payload`] is sent as it is, for keyword results, e.g.
//! `Payload::kwargs(&json!({"c": 1}))`), and `E` converts into a [`WampError`] (URI, args,
//! kwargs). A procedure that cannot fail may return `()`, a number, a `bool`, a `String`, a
//! tuple, a `Vec`, an `Option`, a [`Value`] or a [`Payload`] directly.
//!
//! The macros (`#[register]`, `#[subscribe]`, `#[service]`) take the same functions.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use wamp_core::uri::error_uri;
use wamp_core::value::{from_value, to_value, Dict, Value};
use wamp_core::{Id, WampError};

use crate::payload::Payload;
use crate::session::{BoxFuture, Event, EventHandler, Invocation, Procedure};

/// What a handler's parameters are taken from: one invocation or one event.
#[derive(Debug)]
pub struct Parts {
    args: std::vec::IntoIter<Value>,
    position: usize,
    kwargs: Option<Dict>,
    details: Dict,
    source: Source,
    state: Option<SharedState>,
}

pub(crate) type SharedState = Arc<dyn std::any::Any + Send + Sync>;

#[derive(Debug)]
enum Source {
    Call {
        request: Id,
        registration: Id,
        procedure: String,
    },
    Event {
        subscription: Id,
        publication: Id,
        topic: String,
    },
}

impl Parts {
    fn from_invocation(inv: Invocation, state: Option<SharedState>) -> Parts {
        Parts {
            state,
            args: inv.payload.args.into_iter(),
            position: 0,
            kwargs: Some(inv.payload.kwargs),
            details: inv.details,
            source: Source::Call {
                request: inv.request,
                registration: inv.registration,
                procedure: inv.procedure,
            },
        }
    }

    fn from_event(event: Event, state: Option<SharedState>) -> Parts {
        Parts {
            state,
            args: event.payload.args.into_iter(),
            position: 0,
            kwargs: Some(event.payload.kwargs),
            details: event.details,
            source: Source::Event {
                subscription: event.subscription,
                publication: event.publication,
                topic: event.topic,
            },
        }
    }
}

/// One parameter of a handler, taken from the [`Parts`] of a call or an event.
///
/// Every serde type is a positional parameter; the wrappers of this module take the rest.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler parameter",
    label = "not a serde type nor a wrapper of `wamp_client::handler`",
    note = "a positional parameter is any `serde::Deserialize` type; keyword arguments are `Kwargs<T>`; details are `CallDetails` or `EventDetails`; shared state is `State<T>`"
)]
pub trait FromParts: Sized {
    /// Takes the parameter; the error says why it cannot (without naming the parameter:
    /// the caller adds that).
    fn from_parts(parts: &mut Parts) -> Result<Self, String>;
}

impl<T: DeserializeOwned> FromParts for T {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let position = parts.position;
        parts.position += 1;
        match parts.args.next() {
            Some(v) => from_value(v).map_err(|e| format!("positional argument {position}: {e}")),
            None => from_value(Value::Null)
                .map_err(|_| format!("positional argument {position} is missing")),
        }
    }
}

/// All the positional arguments not taken by an earlier parameter (Python's `*args`), as a
/// `Vec` (or any serde type that reads a list).
///
/// ```
/// use wamp_client::handler::{procedure, Args, Kwargs};
/// use wamp_client::{Dict, Value};
///
/// // Autobahn's `arglen(*args, **kwargs)`: how many of each.
/// async fn arglen(args: Args<Vec<Value>>, kwargs: Kwargs<Dict>) -> Vec<usize> {
///     vec![args.0.len(), kwargs.0.len()]
/// }
/// let p = procedure(arglen);
/// # drop(p);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Args<T>(pub T);

impl<T: DeserializeOwned> FromParts for Args<T> {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let from = parts.position;
        let rest: Vec<Value> = parts.args.by_ref().collect();
        parts.position += rest.len();
        from_value(Value::List(rest))
            .map(Args)
            .map_err(|e| format!("positional arguments from {from} on: {e}"))
    }
}

/// The keyword arguments, as a struct (fields by name; use `#[serde(default)]` for optional
/// ones) or a map.
#[derive(Debug, Clone, PartialEq)]
pub struct Kwargs<T>(pub T);

impl<T: DeserializeOwned> FromParts for Kwargs<T> {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let kwargs = parts
            .kwargs
            .take()
            .ok_or("the keyword arguments are taken by an earlier parameter")?;
        from_value(Value::Dict(kwargs))
            .map(Kwargs)
            .map_err(|e| format!("keyword arguments: {e}"))
    }
}

/// Shared application state, given with [`TypedProcedure::with_state`] or
/// [`TypedEventHandler::with_state`]: a clone of the `Arc` handed there.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use wamp_client::handler::{procedure, State};
/// use wamp_client::WampError;
///
/// async fn next(counter: State<AtomicU64>) -> Result<u64, WampError> {
///     Ok(counter.0.fetch_add(1, Ordering::Relaxed))
/// }
/// let counter = Arc::new(AtomicU64::new(0));
/// let p = procedure(next).with_state(counter.clone());
/// # drop(p);
/// ```
#[derive(Debug)]
pub struct State<T: ?Sized>(pub Arc<T>);

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T: ?Sized> std::ops::Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send + Sync + 'static> FromParts for State<T> {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let state = parts.state.clone().ok_or_else(|| {
            format!(
                "no state was given to this handler (with_state), so State<{}> has none",
                std::any::type_name::<T>()
            )
        })?;
        state.downcast::<T>().map(State).map_err(|_| {
            format!(
                "the handler's state is not a {}",
                std::any::type_name::<T>()
            )
        })
    }
}

/// Sends progressive results of the running call, when its caller asked for them
/// (`receive_progress`); otherwise sending does nothing.
///
/// ```
/// use wamp_client::handler::{procedure, Progress};
/// use wamp_client::WampError;
///
/// async fn longop(n: u64, progress: Progress) -> Result<u64, WampError> {
///     for i in 0..n {
///         progress.send(i);
///     }
///     Ok(n)
/// }
/// let p = procedure(longop);
/// # drop(p);
/// ```
#[derive(Clone)]
pub struct Progress {
    sink: Option<crate::driver::ProgressSink>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("wanted", &self.is_wanted())
            .finish()
    }
}

impl Progress {
    /// Whether the caller asked for progressive results.
    pub fn is_wanted(&self) -> bool {
        self.sink.is_some()
    }

    /// Sends `value` as a progressive result (one positional result); false when the
    /// caller did not ask for progressive results, the call has ended, or `value` does not
    /// serialize.
    pub fn send<T: Serialize>(&self, value: T) -> bool {
        match value.into_payload() {
            Ok(p) => self.send_payload(p),
            Err(_) => false,
        }
    }

    /// Sends a progressive result with several positional or keyword results.
    pub fn send_payload(&self, payload: Payload) -> bool {
        self.sink.as_ref().is_some_and(|s| s.send(payload))
    }
}

impl FromParts for Progress {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        if !matches!(parts.source, Source::Call { .. }) {
            return Err("progressive results exist in procedures only".into());
        }
        let sink = crate::driver::PROGRESS
            .try_with(Clone::clone)
            .ok()
            .flatten();
        Ok(Progress { sink })
    }
}

/// The session the call or event came through (for calls and publications of its own).
impl FromParts for crate::session::Session {
    fn from_parts(_parts: &mut Parts) -> Result<Self, String> {
        crate::session::Session::current()
            .ok_or_else(|| "the session is gone (or the handler runs outside a session)".into())
    }
}

/// Who called and how: from INVOCATION.Details.
#[derive(Debug, Clone, PartialEq)]
pub struct CallDetails {
    /// The procedure called (for a pattern-based registration, the concrete URI).
    pub procedure: String,
    /// The registration the call came through.
    pub registration: Id,
    /// The invocation's request id.
    pub request: Id,
    /// The caller's session id, when the router disclosed it.
    pub caller: Option<Id>,
    /// The caller's authid, when disclosed.
    pub caller_authid: Option<String>,
    /// The caller's authrole, when disclosed.
    pub caller_authrole: Option<String>,
    /// Whether the caller asked for progressive results.
    pub receive_progress: bool,
    /// All of INVOCATION.Details.
    pub details: Dict,
}

fn detail_str(details: &Dict, key: &str) -> Option<String> {
    details.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn detail_id(details: &Dict, key: &str) -> Option<Id> {
    details
        .get(key)
        .and_then(|v| from_value::<Id>(v.clone()).ok())
}

impl FromParts for CallDetails {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let Source::Call {
            request,
            registration,
            procedure,
        } = &parts.source
        else {
            return Err("call details exist in procedures only, not in event handlers".into());
        };
        let d = &parts.details;
        Ok(CallDetails {
            procedure: procedure.clone(),
            registration: *registration,
            request: *request,
            caller: detail_id(d, "caller"),
            caller_authid: detail_str(d, "caller_authid"),
            caller_authrole: detail_str(d, "caller_authrole"),
            receive_progress: d.get("receive_progress") == Some(&Value::Bool(true)),
            details: d.clone(),
        })
    }
}

/// Which publication an event is and who published it: from EVENT.Details.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDetails {
    /// The topic (for a pattern-based subscription, the concrete topic).
    pub topic: String,
    /// The subscription the event came through.
    pub subscription: Id,
    /// The publication id.
    pub publication: Id,
    /// The publisher's session id, when the broker disclosed it.
    pub publisher: Option<Id>,
    /// The publisher's authid, when disclosed.
    pub publisher_authid: Option<String>,
    /// The publisher's authrole, when disclosed.
    pub publisher_authrole: Option<String>,
    /// All of EVENT.Details.
    pub details: Dict,
}

impl FromParts for EventDetails {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let Source::Event {
            subscription,
            publication,
            topic,
        } = &parts.source
        else {
            return Err("event details exist in event handlers only, not in procedures".into());
        };
        let d = &parts.details;
        Ok(EventDetails {
            topic: topic.clone(),
            subscription: *subscription,
            publication: *publication,
            publisher: detail_id(d, "publisher"),
            publisher_authid: detail_str(d, "publisher_authid"),
            publisher_authrole: detail_str(d, "publisher_authrole"),
            details: d.clone(),
        })
    }
}

/// What a procedure's `Ok` value becomes: a tuple (or fixed-size array) is several
/// positional results, `()` is none, any other serde type is the single positional result
/// (a `Vec` is one list); a [`Payload`] goes out as it is (keyword results).
///
/// ```
/// use wamp_client::handler::IntoPayload;
/// let p = ("Ada", "Lovelace").into_payload().unwrap();
/// assert_eq!(p.args.len(), 2);
/// let p = vec!["Ada", "Lovelace"].into_payload().unwrap();
/// assert_eq!(p.args.len(), 1);
/// ```
pub trait IntoPayload {
    /// The YIELD payload.
    fn into_payload(self) -> Result<Payload, WampError>;
}

impl<T: Serialize> IntoPayload for T {
    fn into_payload(self) -> Result<Payload, WampError> {
        match to_value(&self) {
            Ok(Value::Null) => Ok(Payload::new()),
            Ok(Value::List(items)) if is_tuple(&self) => {
                Ok(Payload::from_parts(items, Dict::new()))
            }
            Ok(v) => Ok(Payload::from_parts(vec![v], Dict::new())),
            Err(e) => Err(WampError::with_message(
                error_uri::INVALID_PAYLOAD,
                format!("cannot serialize the result: {e}"),
            )),
        }
    }
}

impl IntoPayload for Payload {
    fn into_payload(self) -> Result<Payload, WampError> {
        Ok(self)
    }
}

/// Whether `value` serializes as a tuple (a Rust tuple or a fixed-size array): such results
/// are several positional results. Asks `value` to serialize into a serializer that stops at
/// the first call, so the cost is one call.
fn is_tuple<T: Serialize + ?Sized>(value: &T) -> bool {
    matches!(value.serialize(TupleProbe), Err(Probed(true)))
}

/// Stops every serialization at its first call; `Probed(true)` when that was a tuple.
struct TupleProbe;

#[derive(Debug)]
struct Probed(bool);

impl std::fmt::Display for Probed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("probed")
    }
}

impl std::error::Error for Probed {}

impl serde::ser::Error for Probed {
    fn custom<M: std::fmt::Display>(_msg: M) -> Self {
        Probed(false)
    }
}

macro_rules! not_a_tuple {
    ($($name:ident($($arg:ty),*)),* $(,)?) => {$(
        fn $name(self, $(_: $arg),*) -> Result<Self::Ok, Probed> {
            Err(Probed(false))
        }
    )*};
}

impl serde::Serializer for TupleProbe {
    type Ok = ();
    type Error = Probed;
    type SerializeSeq = serde::ser::Impossible<(), Probed>;
    type SerializeTuple = serde::ser::Impossible<(), Probed>;
    type SerializeTupleStruct = serde::ser::Impossible<(), Probed>;
    type SerializeTupleVariant = serde::ser::Impossible<(), Probed>;
    type SerializeMap = serde::ser::Impossible<(), Probed>;
    type SerializeStruct = serde::ser::Impossible<(), Probed>;
    type SerializeStructVariant = serde::ser::Impossible<(), Probed>;

    not_a_tuple!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Probed> {
        Err(Probed(false))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Probed> {
        Err(Probed(false))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Probed> {
        Err(Probed(false))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Probed> {
        Err(Probed(false))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Probed> {
        Err(Probed(true))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Probed> {
        Err(Probed(false))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Probed> {
        Err(Probed(false))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Probed> {
        Err(Probed(false))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Probed> {
        Err(Probed(false))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Probed> {
        Err(Probed(false))
    }
}

/// What a procedure may return: `Result<T, E>` with `T` an [`IntoPayload`] and `E` any
/// error that converts into a [`WampError`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by a procedure",
    label = "return a serde type in `Result<T, E>` (E: Into<WampError>), or a plain value",
    note = "a procedure returns `Result<T, E>` with `T: Serialize` (a tuple is several results, a `Payload` carries keyword results) and `E: Into<WampError>`; `()`, numbers, strings, tuples, `Vec`, `Option`, `Value` and `Payload` may also be returned directly"
)]
pub trait IntoCallResult: Send + 'static {
    /// The YIELD payload, or the ERROR.
    fn into_call_result(self) -> Result<Payload, WampError>;
}

impl<T, E> IntoCallResult for Result<T, E>
where
    T: IntoPayload + Send + 'static,
    E: Into<WampError> + Send + 'static,
{
    fn into_call_result(self) -> Result<Payload, WampError> {
        self.map_err(Into::into)?.into_payload()
    }
}

/// Plain values: a procedure that cannot fail may return them directly. (Any other type is
/// returned as `Ok::<_, WampError>(value)`: a blanket impl for every serde type would take
/// `Result` too.)
macro_rules! plain_results {
    ($($t:ty),*) => {$(
        impl IntoCallResult for $t {
            fn into_call_result(self) -> Result<Payload, WampError> {
                self.into_payload()
            }
        }
    )*};
}

plain_results!(
    (),
    bool,
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    f32,
    f64,
    String,
    &'static str,
    Value,
    Payload
);

impl<T: Serialize + Send + 'static> IntoCallResult for Vec<T> {
    fn into_call_result(self) -> Result<Payload, WampError> {
        self.into_payload()
    }
}

macro_rules! tuple_results {
    ($($t:ident),*) => {
        impl<$($t: Serialize + Send + 'static),*> IntoCallResult for ($($t,)*) {
            fn into_call_result(self) -> Result<Payload, WampError> {
                self.into_payload()
            }
        }
    };
}

tuple_results!(A);
tuple_results!(A, B);
tuple_results!(A, B, C);
tuple_results!(A, B, C, D);
tuple_results!(A, B, C, D, E);
tuple_results!(A, B, C, D, E, F);
tuple_results!(A, B, C, D, E, F, G);
tuple_results!(A, B, C, D, E, F, G, H);

impl<T: Serialize + Send + 'static> IntoCallResult for Option<T> {
    fn into_call_result(self) -> Result<Payload, WampError> {
        self.into_payload()
    }
}

/// An async fn usable as a procedure: every parameter implements [`FromParts`] and the
/// result implements [`IntoCallResult`]. `P` is the tuple of parameter types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a procedure",
    note = "a procedure is an async fn (or closure) of at most 8 parameters, each a serde type or a wrapper of `wamp_client::handler`, returning what `IntoCallResult` accepts; it and its future must be `Send + 'static`"
)]
pub trait ProcedureFn<P>: Send + Sync + 'static {
    /// Takes the parameters from `parts` and runs the function.
    fn call(&self, parts: Parts) -> BoxFuture<Result<Payload, WampError>>;
}

/// An async fn usable as an event handler: every parameter implements [`FromParts`]; it
/// returns `()`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event handler",
    note = "an event handler is an async fn (or closure) of at most 8 parameters, each a serde type or a wrapper of `wamp_client::handler`, returning `()`; it and its future must be `Send + 'static`"
)]
pub trait EventFn<P>: Send + Sync + 'static {
    /// Takes the parameters from `parts` and runs the function; `Err` when they do not fit.
    fn call(&self, parts: Parts) -> Result<BoxFuture<()>, String>;
}

fn invalid_argument(param: usize, why: String) -> WampError {
    WampError::with_message(
        error_uri::INVALID_ARGUMENT,
        format!("parameter {param}: {why}"),
    )
}

/// More positional arguments than the positional parameters that took them.
fn too_many(parts: &Parts) -> Option<String> {
    let extra = parts.args.len();
    (extra > 0).then(|| {
        format!(
            "{} positional arguments given, at most {} expected",
            parts.position + extra,
            parts.position
        )
    })
}

macro_rules! impl_fns {
    ($($p:ident),*) => {
        impl<F, Fut, R, $($p,)*> ProcedureFn<($($p,)*)> for F
        where
            F: Fn($($p),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoCallResult,
            $($p: FromParts + Send + 'static,)*
        {
            #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
            fn call(&self, mut parts: Parts) -> BoxFuture<Result<Payload, WampError>> {
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
                if let Some(why) = too_many(&parts) {
                    let e = WampError::with_message(error_uri::INVALID_ARGUMENT, why);
                    return Box::pin(async move { Err(e) });
                }
                let fut = self($($p),*);
                Box::pin(async move { fut.await.into_call_result() })
            }
        }

        impl<F, Fut, $($p,)*> EventFn<($($p,)*)> for F
        where
            F: Fn($($p),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
            $($p: FromParts + Send + 'static,)*
        {
            #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
            fn call(&self, mut parts: Parts) -> Result<BoxFuture<()>, String> {
                let mut index = 0;
                $(
                    index += 1;
                    let $p = $p::from_parts(&mut parts).map_err(|why| format!("parameter {index}: {why}"))?;
                )*
                if let Some(why) = too_many(&parts) {
                    return Err(why);
                }
                Ok(Box::pin(self($($p),*)))
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

/// A [`ProcedureFn`] as a [`Procedure`]; see [`procedure`].
pub struct TypedProcedure<F, P> {
    f: F,
    pub(crate) state: Option<SharedState>,
    _params: PhantomData<fn(P)>,
}

impl<F, P> TypedProcedure<F, P> {
    /// Gives the procedure shared state, taken by a [`State<T>`] parameter.
    pub fn with_state<T: Send + Sync + 'static>(mut self, state: Arc<T>) -> Self {
        self.state = Some(state);
        self
    }
}

/// Makes an async fn of typed parameters a [`Procedure`] (see the [module docs](self)).
pub fn procedure<F: ProcedureFn<P>, P: 'static>(f: F) -> TypedProcedure<F, P> {
    TypedProcedure {
        f,
        state: None,
        _params: PhantomData,
    }
}

impl<F: ProcedureFn<P>, P: 'static> Procedure for TypedProcedure<F, P> {
    fn invoke(&self, invocation: Invocation) -> BoxFuture<Result<Payload, WampError>> {
        self.f
            .call(Parts::from_invocation(invocation, self.state.clone()))
    }
}

/// An [`EventFn`] as an [`EventHandler`]; see [`event_handler`]. Events whose payload does
/// not fit its parameters are logged and counted ([`rejected`](Self::rejected)), never
/// handled.
pub struct TypedEventHandler<F, P> {
    f: F,
    rejected: Arc<AtomicU64>,
    pub(crate) state: Option<SharedState>,
    _params: PhantomData<fn(P)>,
}

impl<F, P> TypedEventHandler<F, P> {
    /// Gives the handler shared state, taken by a [`State<T>`] parameter.
    pub fn with_state<T: Send + Sync + 'static>(mut self, state: Arc<T>) -> Self {
        self.state = Some(state);
        self
    }

    /// A counter of the events rejected so far, shared with the handler (keep it before
    /// handing the handler to `subscribe`).
    pub fn rejected(&self) -> Arc<AtomicU64> {
        self.rejected.clone()
    }
}

/// Makes an async fn of typed parameters an [`EventHandler`].
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
pub fn event_handler<F: EventFn<P>, P: 'static>(f: F) -> TypedEventHandler<F, P> {
    TypedEventHandler {
        f,
        rejected: Arc::default(),
        state: None,
        _params: PhantomData,
    }
}

impl<F: EventFn<P>, P: 'static> EventHandler for TypedEventHandler<F, P> {
    fn handle(&self, event: Event) -> BoxFuture<()> {
        let (topic, publication) = (event.topic.clone(), event.publication);
        match self.f.call(Parts::from_event(event, self.state.clone())) {
            Ok(fut) => fut,
            Err(why) => {
                let n = self.rejected.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(%topic, publication, rejected = n, error = %why, "event does not fit the handler's parameters; not handled");
                Box::pin(async {})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn invocation(args: Vec<Value>, kwargs: Dict) -> Invocation {
        let mut details = Dict::new();
        details.insert("caller".into(), Value::Int(7));
        details.insert("caller_authid".into(), "joe".into());
        Invocation {
            request: 1,
            registration: 2,
            procedure: "com.example.p".into(),
            payload: Payload::from_parts(args, kwargs),
            details,
        }
    }

    async fn call<P: 'static>(
        f: impl ProcedureFn<P>,
        args: Vec<Value>,
    ) -> Result<Payload, WampError> {
        procedure(f).invoke(invocation(args, Dict::new())).await
    }

    async fn add2(a: i64, b: i64) -> Result<i64, WampError> {
        Ok(a + b)
    }

    #[tokio::test]
    async fn positional_parameters_take_the_positional_arguments() {
        let r = call(add2, vec![2.into(), 3.into()]).await.unwrap();
        assert_eq!(r.args, vec![Value::Int(5)]);
        // The function stays an ordinary function.
        assert_eq!(add2(1, 1).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_parameter_that_does_not_fit_names_itself_and_the_function_does_not_run() {
        let e = call(add2, vec![2.into(), "three".into()])
            .await
            .unwrap_err();
        assert_eq!(e.uri, error_uri::INVALID_ARGUMENT);
        let text = format!("{e:?}");
        assert!(
            text.contains("parameter 2") && text.contains("positional argument 1"),
            "{text}"
        );
        let e = call(add2, vec![2.into()]).await.unwrap_err();
        assert!(
            format!("{e:?}").contains("positional argument 1 is missing"),
            "{e:?}"
        );
        let e = call(add2, vec![1.into(), 2.into(), 3.into()])
            .await
            .unwrap_err();
        assert!(
            format!("{e:?}").contains("3 positional arguments given, at most 2"),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn missing_trailing_option_parameters_are_none() {
        async fn greet(name: String, title: Option<String>) -> Result<String, WampError> {
            Ok(match title {
                Some(t) => format!("{t} {name}"),
                None => name,
            })
        }
        let r = call(greet, vec!["Ada".into()]).await.unwrap();
        assert_eq!(r.args, vec![Value::from("Ada")]);
        let r = call(greet, vec!["Ada".into(), "Dr".into()]).await.unwrap();
        assert_eq!(r.args, vec![Value::from("Dr Ada")]);
    }

    #[tokio::test]
    async fn keyword_arguments_and_call_details_are_picked_out() {
        #[derive(Deserialize)]
        struct Opts {
            #[serde(default)]
            shout: bool,
        }
        async fn echo(
            word: String,
            opts: Kwargs<Opts>,
            call: CallDetails,
        ) -> Result<String, WampError> {
            let w = if opts.0.shout {
                word.to_uppercase()
            } else {
                word
            };
            Ok(format!(
                "{w} to {:?} via {}",
                call.caller_authid, call.procedure
            ))
        }
        let mut kwargs = Dict::new();
        kwargs.insert("shout".into(), Value::Bool(true));
        let r = procedure(echo)
            .invoke(invocation(vec!["hi".into()], kwargs))
            .await
            .unwrap();
        assert_eq!(
            r.args,
            vec![Value::from("HI to Some(\"joe\") via com.example.p")]
        );
        let r = call(echo, vec!["hi".into()]).await.unwrap();
        assert_eq!(
            r.args,
            vec![Value::from("hi to Some(\"joe\") via com.example.p")]
        );
    }

    #[tokio::test]
    async fn results_unit_payload_and_errors() {
        async fn nothing() -> Result<(), WampError> {
            Ok(())
        }
        assert_eq!(call(nothing, vec![]).await.unwrap(), Payload::new());
        async fn several() -> Result<Payload, WampError> {
            Ok(Payload::from_parts(vec![1.into(), 2.into()], Dict::new()))
        }
        assert_eq!(call(several, vec![]).await.unwrap().args.len(), 2);
        async fn fails() -> Result<i64, WampError> {
            Err(WampError::new("com.example.error.nope"))
        }
        assert_eq!(
            call(fails, vec![]).await.unwrap_err().uri,
            "com.example.error.nope"
        );
    }

    #[tokio::test]
    async fn args_take_the_remaining_positional_arguments() {
        async fn arglen(first: i64, rest: Args<Vec<i64>>) -> (i64, usize) {
            (first, rest.0.len())
        }
        let r = call(arglen, vec![1.into(), 2.into(), 3.into()])
            .await
            .unwrap();
        assert_eq!(r.args, vec![Value::Int(1), Value::Int(2)]);
        let r = call(arglen, vec![1.into()]).await.unwrap();
        assert_eq!(r.args, vec![Value::Int(1), Value::Int(0)]);
        let e = call(arglen, vec![1.into(), "two".into()])
            .await
            .unwrap_err();
        assert!(
            format!("{e:?}").contains("parameter 2: positional arguments from 1 on"),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn tuples_are_several_positional_results_and_a_vec_is_one() {
        async fn split() -> (String, i64) {
            ("Homer".into(), 39)
        }
        let r = call(split, vec![]).await.unwrap();
        assert_eq!(r.args, vec![Value::from("Homer"), Value::Int(39)]);
        async fn fallible_split() -> Result<(String, String), WampError> {
            Ok(("Homer".into(), "Simpson".into()))
        }
        assert_eq!(call(fallible_split, vec![]).await.unwrap().args.len(), 2);
        async fn single() -> (i64,) {
            (7,)
        }
        assert_eq!(
            call(single, vec![]).await.unwrap().args,
            vec![Value::Int(7)]
        );
        async fn list() -> Vec<i64> {
            vec![1, 2]
        }
        assert_eq!(
            call(list, vec![]).await.unwrap().args,
            vec![Value::List(vec![1.into(), 2.into()])]
        );
        #[derive(Serialize)]
        struct Pair(i64, i64);
        async fn tuple_struct() -> Result<Pair, WampError> {
            Ok(Pair(1, 2))
        }
        // A tuple struct is one value (a list), as serde writes it.
        assert_eq!(call(tuple_struct, vec![]).await.unwrap().args.len(), 1);
    }

    #[tokio::test]
    async fn events_that_do_not_fit_are_counted_not_handled() {
        let seen = Arc::new(AtomicU64::new(0));
        let s = seen.clone();
        let handler = event_handler(move |n: u64, d: EventDetails| {
            let s = s.clone();
            async move {
                assert_eq!(d.topic, "com.example.t");
                s.fetch_add(n, Ordering::SeqCst);
            }
        });
        let rejected = handler.rejected();
        let event = |args: Vec<Value>| Event {
            subscription: 1,
            publication: 2,
            topic: "com.example.t".into(),
            payload: Payload::from_parts(args, Dict::new()),
            details: Dict::new(),
        };
        handler.handle(event(vec![5.into()])).await;
        handler.handle(event(vec!["five".into()])).await;
        handler.handle(event(vec![])).await;
        assert_eq!(seen.load(Ordering::SeqCst), 5);
        assert_eq!(rejected.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn state_is_shared_and_a_missing_or_wrong_state_is_refused() {
        async fn next(counter: State<AtomicU64>) -> Result<u64, WampError> {
            Ok(counter.fetch_add(1, Ordering::Relaxed))
        }
        let counter = Arc::new(AtomicU64::new(10));
        let p = procedure(next).with_state(counter.clone());
        for want in [10, 11] {
            let r = p.invoke(invocation(vec![], Dict::new())).await.unwrap();
            assert_eq!(r.args, vec![Value::Int(want)]);
        }
        assert_eq!(counter.load(Ordering::Relaxed), 12);
        let e = call(next, vec![]).await.unwrap_err();
        assert!(format!("{e:?}").contains("no state was given"), "{e:?}");
        let wrong = procedure(next).with_state(Arc::new(String::new()));
        let e = wrong
            .invoke(invocation(vec![], Dict::new()))
            .await
            .unwrap_err();
        assert!(format!("{e:?}").contains("is not a"), "{e:?}");
    }

    #[tokio::test]
    async fn details_of_the_wrong_kind_are_refused() {
        async fn wrong(_d: EventDetails) -> Result<(), WampError> {
            Ok(())
        }
        let e = call(wrong, vec![]).await.unwrap_err();
        assert!(
            format!("{e:?}").contains("event details exist in event handlers only"),
            "{e:?}"
        );
    }
}
