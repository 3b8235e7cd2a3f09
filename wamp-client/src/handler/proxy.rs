//! What the typed caller proxies of `#[service(proxy)]` call through: [`Caller`], and the
//! conversions their methods use.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wamp_core::value::{to_value, Dict, Value};

use crate::error::CallError;
use crate::link::BoxFuture;
use crate::options::CallOptions;
use crate::payload::{CallResult, Payload};
use crate::session::Session;

/// Anything a typed proxy calls through: a [`Session`], or a
/// [`ComponentHandle`](crate::ComponentHandle) (through its current session; a call while it
/// has none fails with [`SessionError::NotJoined`](crate::SessionError::NotJoined)).
pub trait Caller: Send + Sync {
    /// Calls `procedure` with a raw payload and options.
    fn call_payload(
        &self,
        procedure: &str,
        payload: Payload,
        options: CallOptions,
    ) -> BoxFuture<Result<CallResult, CallError>>;
}

impl Caller for Session {
    fn call_payload(
        &self,
        procedure: &str,
        payload: Payload,
        options: CallOptions,
    ) -> BoxFuture<Result<CallResult, CallError>> {
        Box::pin(self.call_with(procedure, payload, options))
    }
}

impl<T: Caller + ?Sized> Caller for std::sync::Arc<T> {
    fn call_payload(
        &self,
        procedure: &str,
        payload: Payload,
        options: CallOptions,
    ) -> BoxFuture<Result<CallResult, CallError>> {
        (**self).call_payload(procedure, payload, options)
    }
}

/// A positional argument of a proxy's call (for the macro; not a public API).
#[doc(hidden)]
pub fn __proxy_arg<T: Serialize + ?Sized>(
    value: &T,
    args: &mut Vec<Value>,
) -> Result<(), CallError> {
    args.push(to_value(value).map_err(CallError::Serialize)?);
    Ok(())
}

/// The positional arguments of an `Args<T>` parameter (for the macro; not a public API).
#[doc(hidden)]
pub fn __proxy_args<T: Serialize + ?Sized>(
    value: &T,
    args: &mut Vec<Value>,
) -> Result<(), CallError> {
    match to_value(value).map_err(CallError::Serialize)? {
        Value::List(list) => args.extend(list),
        Value::Null => {}
        other => args.push(other),
    }
    Ok(())
}

/// The keyword arguments of a `Kwargs<T>` parameter (for the macro; not a public API).
#[doc(hidden)]
pub fn __proxy_kwargs<T: Serialize + ?Sized>(
    value: &T,
    kwargs: &mut Dict,
) -> Result<(), CallError> {
    match to_value(value).map_err(CallError::Serialize)? {
        Value::Dict(d) => kwargs.extend(d),
        Value::Null => {}
        _ => {
            return Err(CallError::Serialize(wamp_core::value::ValueError(
                "keyword arguments must serialize to a map".into(),
            )))
        }
    }
    Ok(())
}

/// A proxy's result, read the way `Session::call` reads one (for the macro; not a public
/// API).
#[doc(hidden)]
pub fn __proxy_decode<T: DeserializeOwned>(
    result: Result<CallResult, CallError>,
) -> Result<T, CallError> {
    result?.payload.decode().map_err(CallError::Deserialize)
}
