//! Payloads (args and kwargs) and their typed conversions, and the plain values that carry
//! them: the result of a call and an event received.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wamp_core::value::{from_value, to_value, Dict, Value, ValueError};
use wamp_core::Id;

/// The application payload of a message: positional and keyword arguments.
///
/// ```
/// use wamp_client::Payload;
///
/// let p = Payload::args(&(2, "two")).unwrap();
/// assert_eq!(p.args.len(), 2);
/// let (n, s): (i64, String) = p.args_as().unwrap();
/// assert_eq!((n, s.as_str()), (2, "two"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Payload {
    /// Positional arguments.
    pub args: Vec<Value>,
    /// Keyword arguments.
    pub kwargs: Dict,
}

impl Payload {
    /// An empty payload.
    pub fn new() -> Self {
        Payload::default()
    }

    /// Positional arguments from any serde value: a tuple, list or sequence becomes the
    /// argument list, `()` becomes no arguments, anything else becomes one argument.
    pub fn args<T: Serialize + ?Sized>(args: &T) -> Result<Self, ValueError> {
        Ok(Payload {
            args: into_args(to_value(args)?),
            kwargs: Dict::new(),
        })
    }

    /// A payload of exactly one positional argument (a list stays one argument).
    pub fn single<T: Serialize + ?Sized>(value: &T) -> Result<Self, ValueError> {
        Ok(Payload {
            args: vec![to_value(value)?],
            kwargs: Dict::new(),
        })
    }

    /// Keyword arguments from a struct or map.
    pub fn kwargs<T: Serialize + ?Sized>(kwargs: &T) -> Result<Self, ValueError> {
        Payload::new().with_kwargs(kwargs)
    }

    /// Sets the keyword arguments from a struct or map.
    pub fn with_kwargs<T: Serialize + ?Sized>(mut self, kwargs: &T) -> Result<Self, ValueError> {
        self.kwargs = kwargs_dict(kwargs)?;
        Ok(self)
    }

    /// Raw positional and keyword arguments.
    pub fn from_parts(args: Vec<Value>, kwargs: Dict) -> Self {
        Payload { args, kwargs }
    }

    /// The positional arguments as a serde type (a tuple, a `Vec`, a struct with fields in
    /// order). No arguments also read as `()`, so a procedure without parameters can take
    /// `()`.
    ///
    /// ```
    /// use wamp_client::Payload;
    /// let p = Payload::new();
    /// let () = p.args_as().unwrap();
    /// let v: Vec<i64> = p.args_as().unwrap();
    /// assert!(v.is_empty());
    /// let (a, b): (i64, String) = Payload::args(&(1, "x")).unwrap().args_as().unwrap();
    /// assert_eq!((a, b.as_str()), (1, "x"));
    /// ```
    pub fn args_as<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        wamp_core::value::args_as(&self.args)
    }

    /// Positional argument `i` as a serde type.
    pub fn arg<T: DeserializeOwned>(&self, i: usize) -> Result<T, ValueError> {
        wamp_core::value::arg(&self.args, i)
    }

    /// The keyword arguments as a serde type (a struct or map).
    pub fn kwargs_as<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        from_value(Value::Dict(self.kwargs.clone()))
    }

    /// The payload as one value, the way Autobahn maps a result: no payload is `null`, a
    /// single argument is that value, keyword arguments alone are a map, several arguments
    /// are a list.
    pub fn into_value(self) -> Value {
        let Payload { mut args, kwargs } = self;
        match (args.len(), kwargs.is_empty()) {
            (0, true) => Value::Null,
            (1, true) => args.pop().unwrap_or_default(),
            (0, false) => Value::Dict(kwargs),
            _ => Value::List(args),
        }
    }

    /// [`Payload::into_value`] then deserialize.
    pub fn decode<T: DeserializeOwned>(self) -> Result<T, ValueError> {
        from_value(self.into_value())
    }

    /// Whether there are no arguments at all.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty() && self.kwargs.is_empty()
    }
}

/// The result of a call.
///
/// ```
/// use wamp_client::{CallResult, Dict, Payload};
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Totals {
///     count: u64,
/// }
/// let payload = Payload::args(&("apples",)).unwrap().with_kwargs(&Totals { count: 3 }).unwrap();
/// let result = CallResult { payload, details: Dict::new() };
/// assert_eq!(result.kwargs_as::<Totals>().unwrap(), Totals { count: 3 });
/// assert_eq!(result.arg::<String>(0).unwrap(), "apples");
/// let (name,): (String,) = result.args_as().unwrap();
/// assert_eq!(name, "apples");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    /// The result payload.
    pub payload: Payload,
    /// RESULT.Details
    pub details: Dict,
}

impl CallResult {
    /// The positional results as a serde type (see [`Payload::args_as`]).
    pub fn args_as<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        self.payload.args_as()
    }

    /// Positional result `i` as a serde type (see [`Payload::arg`]).
    pub fn arg<T: DeserializeOwned>(&self, i: usize) -> Result<T, ValueError> {
        self.payload.arg(i)
    }

    /// The keyword results as a serde type, a struct or map (see [`Payload::kwargs_as`]).
    pub fn kwargs_as<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        self.payload.kwargs_as()
    }

    /// Whether this is a progressive result (RESULT.Details `progress`).
    pub fn is_progress(&self) -> bool {
        self.details.get("progress") == Some(&Value::Bool(true))
    }
}

/// An event received on a subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The subscription.
    pub subscription: Id,
    /// The publication id.
    pub publication: Id,
    /// The topic (for pattern-based subscriptions the concrete topic).
    pub topic: String,
    /// The event payload.
    pub payload: Payload,
    /// EVENT.Details (`publisher`, `topic`, `retained`, ...).
    pub details: Dict,
}

impl Event {
    /// The publisher's session id, when the broker disclosed it.
    pub fn publisher(&self) -> Option<Id> {
        self.details.get("publisher").and_then(Value::as_u64)
    }

    /// Whether the broker retained this event and gave it now because the subscription
    /// asked for retained events (`get_retained`).
    pub fn is_retained(&self) -> bool {
        matches!(self.details.get("retained"), Some(Value::Bool(true)))
    }
}

/// Keyword arguments from a struct or map (`None`/`()` is none); anything else is refused.
pub(crate) fn kwargs_dict<T: Serialize + ?Sized>(kwargs: &T) -> Result<Dict, ValueError> {
    match to_value(kwargs)? {
        Value::Dict(d) => Ok(d),
        Value::Null => Ok(Dict::new()),
        other => Err(ValueError(format!(
            "keyword arguments must serialize to a map, not {}",
            kind(&other)
        ))),
    }
}

pub(crate) fn into_args(v: Value) -> Vec<Value> {
    match v {
        Value::List(l) => l,
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::UInt(_) => "an integer",
        Value::Float(_) => "a float",
        Value::String(_) => "a string",
        Value::Bytes(_) => "bytes",
        Value::List(_) => "a list",
        Value::Dict(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tuple_becomes_the_argument_list_and_a_scalar_one_argument() {
        assert_eq!(Payload::args(&(1, 2)).unwrap().args.len(), 2);
        assert_eq!(Payload::args(&5).unwrap().args, vec![Value::Int(5)]);
        assert!(Payload::args(&()).unwrap().args.is_empty());
    }

    #[test]
    fn results_map_like_autobahn() {
        assert_eq!(Payload::new().into_value(), Value::Null);
        assert_eq!(
            Payload::from_parts(vec![Value::Int(3)], Dict::new()).into_value(),
            Value::Int(3)
        );
        let two = Payload::from_parts(vec![Value::Int(1), Value::Int(2)], Dict::new());
        assert_eq!(two.decode::<(i64, i64)>().unwrap(), (1, 2));
    }

    #[test]
    fn a_call_result_reads_its_keyword_and_positional_results_like_a_payload() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct K {
            a: i32,
            b: String,
        }
        let k = K {
            a: 1,
            b: "x".into(),
        };
        let result = CallResult {
            payload: Payload::args(&(7, "y")).unwrap().with_kwargs(&k).unwrap(),
            details: Dict::new(),
        };
        assert_eq!(result.kwargs_as::<K>().unwrap(), k);
        assert_eq!(result.args_as::<(i64, String)>().unwrap(), (7, "y".into()));
        assert_eq!(result.arg::<i64>(0).unwrap(), 7);
        assert!(result.arg::<i64>(2).is_err());
        assert!(result.kwargs_as::<Vec<i64>>().is_err());
        assert!(!result.is_progress());
    }

    #[test]
    fn kwargs_must_be_a_map() {
        assert!(Payload::kwargs(&5).is_err());
        #[derive(serde::Serialize)]
        struct K {
            a: i32,
        }
        let p = Payload::kwargs(&K { a: 1 }).unwrap();
        assert_eq!(p.kwargs.get("a"), Some(&Value::Int(1)));
    }
}
