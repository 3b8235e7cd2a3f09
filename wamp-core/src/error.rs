//! Errors of the protocol layer.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::value::{from_value, to_value, Dict, Value, ValueError};

/// The peer broke the WAMP specification: a message that cannot be decoded, has the wrong shape,
/// or arrives when the protocol does not allow it.
///
/// A session that sees one sends ABORT `wamp.error.protocol_violation` and closes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The bytes are not a valid document of the serializer (truncated, invalid UTF-8, ...).
    #[error("malformed {serializer} data: {detail}")]
    Malformed {
        /// The serializer name (`json`, `msgpack`, `cbor`).
        serializer: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// Nested deeper than [`crate::value::MAX_DEPTH`].
    #[error("value nested deeper than {0} levels")]
    TooDeep(usize),
    /// A message is not a non-empty list starting with an integer code.
    #[error("message is not a list starting with a message code")]
    NotAMessage,
    /// The message code is not one of the WAMP v2 codes.
    #[error("unknown message code {0}")]
    UnknownCode(u64),
    /// The message has the wrong number of elements.
    #[error("{message} has {got} elements, expected {expected}")]
    WrongLength {
        /// The message name.
        message: &'static str,
        /// How many elements it had.
        got: usize,
        /// What the protocol expects (e.g. "3" or "4 to 6").
        expected: &'static str,
    },
    /// A field has the wrong type.
    #[error("{message}.{field} must be {expected}")]
    WrongType {
        /// The message name.
        message: &'static str,
        /// The field name.
        field: &'static str,
        /// The expected type.
        expected: &'static str,
    },
    /// An ID is outside 1..=2^53.
    #[error("{message}.{field} is not an id in 1..=2^53: {value}")]
    IdOutOfRange {
        /// The message name.
        message: &'static str,
        /// The field name.
        field: &'static str,
        /// The value found.
        value: i128,
    },
    /// A URI field is not a valid URI.
    #[error("{message}.{field} is not a valid URI: {value:?}")]
    InvalidUri {
        /// The message name.
        message: &'static str,
        /// The field name.
        field: &'static str,
        /// The value found.
        value: String,
    },
    /// A message arrived that the session state does not allow.
    #[error("unexpected {message} {state}")]
    Unexpected {
        /// The message name.
        message: &'static str,
        /// The state description ("before WELCOME", "while established", ...).
        state: &'static str,
    },
    /// A reply names a request this session never made or already finished.
    #[error("{message} for unknown request {request}")]
    UnknownRequest {
        /// The message name.
        message: &'static str,
        /// The request id.
        request: u64,
    },
    /// The message is larger than the negotiated limit.
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The message's values would take more memory once decoded than its limit,
    /// [`decode_limit`](crate::value::decode_limit) of its length (e.g. millions of one-byte
    /// integers, 32 bytes each once decoded).
    #[error("message of {size} bytes decodes to more than its limit of {limit} bytes of values")]
    DecodeLimit {
        /// The message length.
        size: usize,
        /// The limit for that length.
        limit: usize,
    },
    /// Anything else the spec forbids.
    #[error("{0}")]
    Other(String),
}

/// An application error as carried by an ERROR message: a URI with optional payload.
///
/// Handlers return it to make the callee send ERROR; callers receive it when a call fails.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{uri}{}", display_args(args))]
pub struct WampError {
    /// The error URI, e.g. `wamp.error.no_such_procedure` or `com.myapp.error.invalid_input`.
    pub uri: String,
    /// Positional payload.
    pub args: Vec<Value>,
    /// Keyword payload.
    pub kwargs: Dict,
}

fn display_args(args: &[Value]) -> String {
    match args.first() {
        Some(Value::String(s)) => format!(": {s}"),
        _ => String::new(),
    }
}

impl WampError {
    /// An error with a URI and no payload.
    ///
    /// ```
    /// let e = wamp_core::WampError::new("com.example.error.bad_input");
    /// assert_eq!(e.uri, "com.example.error.bad_input");
    /// ```
    pub fn new(uri: impl Into<String>) -> Self {
        WampError {
            uri: uri.into(),
            args: Vec::new(),
            kwargs: Dict::new(),
        }
    }

    /// Adds positional arguments.
    pub fn with_args(mut self, args: Vec<Value>) -> Self {
        self.args = args;
        self
    }

    /// Adds keyword arguments.
    pub fn with_kwargs(mut self, kwargs: Dict) -> Self {
        self.kwargs = kwargs;
        self
    }

    /// An error with a URI and a human readable message as its first argument.
    pub fn with_message(uri: impl Into<String>, message: impl Into<String>) -> Self {
        WampError::new(uri).with_args(vec![Value::from(message.into())])
    }

    /// Sets the keyword arguments from a serde type: a struct's fields (or a map's entries)
    /// are the keyword arguments. Fails when `kwargs` does not serialize to a map.
    ///
    /// ```
    /// use serde::{Deserialize, Serialize};
    /// use wamp_core::WampError;
    ///
    /// #[derive(Serialize, Deserialize, Debug, PartialEq)]
    /// struct Limits {
    ///     min: u32,
    ///     max: u32,
    /// }
    /// let e = WampError::with_message("com.example.error.invalid_length", "too long")
    ///     .with_kwargs_of(&Limits { min: 3, max: 10 })?;
    /// // The caller reads them back.
    /// assert_eq!(e.kwargs_as::<Limits>()?, Limits { min: 3, max: 10 });
    /// assert_eq!(e.message(), Some("too long"));
    /// # Ok::<(), wamp_core::value::ValueError>(())
    /// ```
    pub fn with_kwargs_of<T: Serialize + ?Sized>(mut self, kwargs: &T) -> Result<Self, ValueError> {
        self.kwargs = match to_value(kwargs)? {
            Value::Dict(d) => d,
            Value::Null => Dict::new(),
            _ => {
                return Err(ValueError(
                    "keyword arguments must serialize to a map".into(),
                ))
            }
        };
        Ok(self)
    }

    /// Sets the positional arguments from a serde type: a tuple (or a `Vec`) is several
    /// arguments, `()` none, any other value one argument.
    ///
    /// ```
    /// use wamp_core::WampError;
    /// let e = WampError::new("com.example.error.out_of_stock").with_args_of(&("sku-1", 3))?;
    /// let (sku, left): (String, u32) = e.args_as()?;
    /// assert_eq!((sku.as_str(), left), ("sku-1", 3));
    /// # Ok::<(), wamp_core::value::ValueError>(())
    /// ```
    pub fn with_args_of<T: Serialize + ?Sized>(mut self, args: &T) -> Result<Self, ValueError> {
        self.args = match to_value(args)? {
            Value::List(l) => l,
            Value::Null => Vec::new(),
            other => vec![other],
        };
        Ok(self)
    }

    /// The keyword arguments as a serde type (a struct, or a map).
    pub fn kwargs_as<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        from_value(Value::Dict(self.kwargs.clone()))
    }

    /// The positional arguments as a serde type (a tuple, a `Vec`, ...). No arguments also
    /// read as `()`.
    pub fn args_as<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        crate::value::args_as(&self.args)
    }

    /// Positional argument `i` as a serde type.
    pub fn arg<T: DeserializeOwned>(&self, i: usize) -> Result<T, ValueError> {
        crate::value::arg(&self.args, i)
    }

    /// The human readable message, by convention the first positional argument when it is
    /// a string (Autobahn's `ApplicationError` puts it there).
    pub fn message(&self) -> Option<&str> {
        self.args.first().and_then(Value::as_str)
    }
}

/// A payload that could not be made: `wamp.error.invalid_payload` with the reason, so that a
/// handler can build its result with `?`.
///
/// ```
/// use wamp_core::value::{to_value, ValueError};
/// use wamp_core::WampError;
///
/// fn result() -> Result<wamp_core::value::Value, WampError> {
///     Ok(to_value(&f64::NAN.to_string())?)
/// }
/// assert!(result().is_ok());
/// let e = WampError::from(ValueError("keys must be strings".into()));
/// assert_eq!(e.uri, "wamp.error.invalid_payload");
/// ```
impl From<crate::value::ValueError> for WampError {
    fn from(e: crate::value::ValueError) -> Self {
        WampError::with_message(crate::uri::error_uri::INVALID_PAYLOAD, e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kwargs_must_be_a_map_and_args_follow_the_tuple_rule() {
        let e = WampError::new("com.example.error");
        assert!(e.clone().with_kwargs_of(&(1, 2)).is_err());
        assert!(e.clone().with_kwargs_of(&()).unwrap().kwargs.is_empty());
        assert_eq!(
            e.clone().with_args_of(&()).unwrap().args,
            Vec::<Value>::new()
        );
        assert_eq!(
            e.clone().with_args_of(&7).unwrap().args,
            vec![Value::Int(7)]
        );
        assert_eq!(e.clone().with_args_of(&(1, "x")).unwrap().args.len(), 2);
        let () = e.args_as().unwrap();
        assert!(e.arg::<i64>(0).is_err());
        assert_eq!(e.message(), None);
    }

    #[test]
    fn kwargs_read_back_into_a_struct_or_fail_with_the_reason() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Stock {
            sku: String,
            left: u64,
        }
        let stock = Stock {
            sku: "a-1".into(),
            left: 2,
        };
        let e = WampError::new("com.example.error.out_of_stock")
            .with_kwargs_of(&stock)
            .unwrap();
        assert_eq!(e.kwargs_as::<Stock>().unwrap(), stock);
        assert!(e.kwargs_as::<(u8,)>().is_err());
    }
}
