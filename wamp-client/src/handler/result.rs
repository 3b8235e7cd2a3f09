//! What a procedure returns: [`IntoCallResult`] and [`IntoPayload`]. One rule: a tuple is
//! several positional results (as in Autobahn), `()` none, a [`Payload`] goes out as it is,
//! any other serde value is the single positional result.

use serde::Serialize;
use wamp_core::uri::error_uri;
use wamp_core::value::{to_value, Dict, Value};
use wamp_core::WampError;

use crate::payload::Payload;

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
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
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
