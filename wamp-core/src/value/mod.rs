//! Payload values: any value a WAMP message can carry, and conversion to and from serde types.
//!
//! ```
//! use wamp_core::value::{from_value, to_value, Value};
//!
//! let v = to_value(&(2, 3)).unwrap();
//! assert_eq!(v, Value::List(vec![Value::Int(2), Value::Int(3)]));
//! let (a, b): (i64, i64) = from_value(v).unwrap();
//! assert_eq!(a + b, 5);
//! ```

mod de;
mod dict;
mod limit;
mod ser;
mod str;

pub use dict::Dict;
pub use str::Str;

pub use de::from_value;
pub use ser::to_value;

/// Positional arguments as a serde type (a tuple, a `Vec`, a struct from a list); no
/// arguments also read as `()`. What `Payload::args_as` and `WampError::args_as` give.
///
/// ```
/// use wamp_core::value::{args_as, Value};
/// let (a, b): (i64, String) = args_as(&[Value::from(1), Value::from("x")]).unwrap();
/// assert_eq!((a, b.as_str()), (1, "x"));
/// let () = args_as(&[]).unwrap();
/// ```
pub fn args_as<T: serde::de::DeserializeOwned>(args: &[Value]) -> Result<T, ValueError> {
    let list = from_value(Value::List(args.to_vec()));
    if args.is_empty() && list.is_err() {
        if let Ok(unit) = from_value(Value::Null) {
            return Ok(unit);
        }
    }
    list
}

/// Positional argument `i` as a serde type; an error names the missing position.
///
/// ```
/// use wamp_core::value::{arg, Value};
/// assert_eq!(arg::<String>(&[Value::from("x")], 0).unwrap(), "x");
/// assert!(arg::<String>(&[], 0).is_err());
/// ```
pub fn arg<T: serde::de::DeserializeOwned>(args: &[Value], i: usize) -> Result<T, ValueError> {
    let v = args
        .get(i)
        .cloned()
        .ok_or_else(|| ValueError(format!("no positional argument {i}")))?;
    from_value(v)
}

pub use limit::{decode_limit, DECODE_LIMIT_FACTOR, DECODE_LIMIT_FLOOR};

pub(crate) use de::{deserialize_wire_value, with_wire_limits, WireValue};
pub(crate) use limit::DecodeBudget;
pub(crate) use ser::{DictRef, ListRef, StrRef};

/// How deep values may nest when they are decoded from the wire.
pub const MAX_DEPTH: usize = 128;

/// Any WAMP value.
///
/// Integers that fit in `i64` are always [`Value::Int`]; [`Value::UInt`] holds only values above
/// `i64::MAX`. Binary data is [`Value::Bytes`] on every serializer (JSON uses WAMP's convention of
/// a string holding a NUL character followed by base64).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null` / nil.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A floating point number.
    Float(f64),
    /// A UTF-8 string (short ones are kept inline, see [`Str`]).
    String(Str),
    /// Binary data.
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<Value>),
    /// A dictionary with string keys.
    Dict(Dict),
}

/// An error converting between [`Value`] and a serde type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

impl serde::ser::Error for ValueError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }
}

impl serde::de::Error for ValueError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }
}

impl Value {
    /// The integer as `u64`, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Int(i) if i >= 0 => Some(i as u64),
            Value::UInt(u) => Some(u),
            _ => None,
        }
    }

    /// The integer as `i64`, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The number as `f64`, for integers and floats.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::UInt(u) => Some(u as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The bytes, if it is binary.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The list, if it is one.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The dictionary, if it is one.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

macro_rules! from_signed {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Int(v as i64)
            }
        }
    )*};
}
from_signed!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        if v <= i64::MAX as u64 {
            Value::Int(v as i64)
        } else {
            Value::UInt(v)
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(Str::new(v))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v.into())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(v)
    }
}

impl From<Dict> for Value {
    fn from(v: Dict) -> Self {
        Value::Dict(v)
    }
}
