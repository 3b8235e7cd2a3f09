//! Errors of the protocol layer.

use crate::value::{Dict, Value};

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
