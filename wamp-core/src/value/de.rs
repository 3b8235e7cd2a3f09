//! Serde deserialization out of [`Value`], and [`Value`]'s own `Deserialize` implementation.
//!
//! Decoding a [`Value`] from any format counts nesting and stops at [`MAX_DEPTH`] levels of
//! lists, dicts (and CBOR tags) before the format's deserializer recurses any deeper, so hostile
//! input cannot overflow the stack. The outermost container is level 1; for a message that is
//! the message's own list, so its args list is level 2.
//!
//! Decoding a message also charges what it allocates to the message's
//! [`decode_limit`](super::decode_limit), and reserves room for a declared length only up to
//! what the message could hold.

use std::cell::{Cell, RefCell};

use base64::Engine as _;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, IgnoredAny,
    IntoDeserializer, MapAccess, SeqAccess, Unexpected, VariantAccess, Visitor,
};
use serde::{forward_to_deserialize_any, Deserialize};

use super::{DecodeBudget, Dict, Str, Value, ValueError, MAX_DEPTH};
use crate::error::ProtocolError;

/// Converts a [`Value`] into any deserializable type, like `serde_json::from_value`.
///
/// - [`Value::Null`] is `None` for options and `()` for units.
/// - Enums are read externally tagged: a string names a unit variant, a single-entry dictionary
///   `{variant: content}` any variant.
/// - Byte buffers accept [`Value::Bytes`], a string, or a list of small integers; sequences
///   such as `Vec<u8>` accept [`Value::Bytes`] too.
/// - Map keys are strings; they are parsed when the target key type is an integer or a boolean.
///
/// ```
/// use wamp_core::value::{from_value, Value};
///
/// let v = Value::List(vec![Value::Int(1), Value::String("a".into())]);
/// let (n, s): (u8, String) = from_value(v).unwrap();
/// assert_eq!((n, s.as_str()), (1, "a"));
/// ```
pub fn from_value<T: DeserializeOwned>(v: Value) -> Result<T, ValueError> {
    T::deserialize(v)
}

// ---------------------------------------------------------------------------------------------
// Deserialize for Value
// ---------------------------------------------------------------------------------------------

impl<'de> Deserialize<'de> for Value {
    /// Reads any self-describing value. Map keys must be strings, and values may nest at most
    /// [`MAX_DEPTH`] levels.
    ///
    /// Strings stay strings: WAMP's JSON binary convention (U+0000 and base64) is applied by
    /// [`Json`](crate::serializer::Json) only. Formats decide what reaches `visit_bytes`:
    /// `rmp_serde` hands a MessagePack `str` with invalid UTF-8 on as bytes, which is why
    /// [`MsgPack`](crate::serializer::MsgPack) decodes with its own strict reader.
    ///
    /// No memory limit applies here (the input's length is unknown); the serializers decode
    /// messages under [`decode_limit`](super::decode_limit).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        let state = Decode::plain();
        ValueSeed {
            depth: 0,
            state: &state,
        }
        .deserialize(deserializer)
    }
}

/// Deserializes the [`Value`] of a message of `message_len` bytes from a wire format, under
/// the message's [`decode_limit`](super::decode_limit).
///
/// With `json_binary`, strings starting with U+0000 are WAMP's JSON binary values and are
/// decoded from base64. On failure the format's error comes back together with the precise
/// [`ProtocolError`] when the failure was ours (too deep, too big, bad base64).
pub(crate) fn deserialize_wire_value<'de, D: Deserializer<'de>>(
    deserializer: D,
    json_binary: bool,
    message_len: usize,
) -> Result<Value, (D::Error, Option<ProtocolError>)> {
    let state = Decode::wire(message_len, json_binary);
    let seed = ValueSeed {
        depth: 0,
        state: &state,
    };
    seed.deserialize(deserializer)
        .map_err(|e| (e, state.issue.take()))
}

thread_local! {
    /// The limits of the message [`with_wire_limits`] is decoding on this thread.
    static WIRE: RefCell<Option<Decode>> = const { RefCell::new(None) };
}

/// A [`Value`] read under the limits of the message that [`with_wire_limits`] is decoding on
/// this thread (a plain [`Value`] otherwise).
///
/// For formats whose deserializer can only be reached through a `DeserializeOwned` type, as
/// `ciborium`'s (its `Deserializer` is private), where [`deserialize_wire_value`] cannot be
/// used.
pub(crate) struct WireValue(pub(crate) Value);

impl<'de> Deserialize<'de> for WireValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WireValue, D::Error> {
        // Taken out while in use: a nested read (there is none) would be a plain one.
        let Some(state) = WIRE.with(|w| w.borrow_mut().take()) else {
            return Value::deserialize(deserializer).map(WireValue);
        };
        let result = ValueSeed {
            depth: 0,
            state: &state,
        }
        .deserialize(deserializer);
        WIRE.with(|w| *w.borrow_mut() = Some(state));
        result.map(WireValue)
    }
}

/// Runs `decode`, in which [`WireValue`]s are read under the limits of a message of
/// `message_len` bytes, and returns its result with the precise [`ProtocolError`] when a
/// failure was ours (too deep, too big).
pub(crate) fn with_wire_limits<T>(
    message_len: usize,
    decode: impl FnOnce() -> T,
) -> (T, Option<ProtocolError>) {
    /// Puts back what was there before, even if `decode` panicked.
    struct Restore(Option<Decode>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            // `try_with`: nothing to restore while the thread itself is being torn down.
            let _ = WIRE.try_with(|w| *w.borrow_mut() = previous);
        }
    }
    let previous = WIRE.with(|w| w.borrow_mut().replace(Decode::wire(message_len, false)));
    let restore = Restore(previous);
    let out = decode();
    let ours = WIRE.with(|w| w.borrow_mut().take());
    drop(restore);
    (out, ours.and_then(|state| state.issue.take()))
}

/// What the seeds of one decode share: its options, its budget and its first precise error.
struct Decode {
    /// Whether strings starting with U+0000 are base64 binary (JSON).
    json_binary: bool,
    /// What the values may still allocate.
    budget: DecodeBudget,
    /// The most elements a declared length may reserve up front.
    max_reserve: usize,
    /// Where the precise error is left for the caller.
    issue: Cell<Option<ProtocolError>>,
}

impl Decode {
    /// A value read by serde outside of a message: no budget, and a declared length reserves
    /// at most 1024 elements.
    fn plain() -> Self {
        Decode {
            json_binary: false,
            budget: DecodeBudget::unlimited(),
            max_reserve: 1024,
            issue: Cell::new(None),
        }
    }

    /// A message of `message_len` bytes: each element takes at least one byte of it.
    fn wire(message_len: usize, json_binary: bool) -> Self {
        Decode {
            json_binary,
            budget: DecodeBudget::for_message(message_len),
            max_reserve: message_len,
            issue: Cell::new(None),
        }
    }

    /// The format's error for `err`, which is kept for the caller.
    fn fail<E: de::Error>(&self, err: ProtocolError) -> E {
        let e = E::custom(&err);
        self.issue.set(Some(err));
        e
    }

    fn charge<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        self.budget.charge(bytes).map_err(|err| self.fail(err))
    }

    /// An empty buffer for a container that declares `hint` elements, with room (charged) for
    /// as many of them as the message could hold.
    fn reserve<T, E: de::Error>(&self, hint: Option<usize>) -> Result<Vec<T>, E> {
        let n = hint.unwrap_or(0).min(self.max_reserve);
        self.budget
            .charge_slots::<T>(n)
            .map_err(|err| self.fail(err))?;
        Ok(Vec::with_capacity(n))
    }

    /// Makes room for one more element in `v`, charging any growth (which doubles).
    fn room_for_one<T, E: de::Error>(&self, v: &mut Vec<T>) -> Result<(), E> {
        if v.len() == v.capacity() {
            let more = v.capacity().max(4);
            self.budget
                .charge_slots::<T>(more)
                .map_err(|err| self.fail(err))?;
            v.reserve_exact(more);
        }
        Ok(())
    }
}

/// A depth-counting seed and visitor producing [`Value`]s.
#[derive(Clone, Copy)]
struct ValueSeed<'a> {
    /// How many lists, dicts or tags enclose the value being read.
    depth: usize,
    /// The decode this value is part of.
    state: &'a Decode,
}

impl ValueSeed<'_> {
    /// The seed for the children of a container, or an error when that is too deep.
    fn enter<E: de::Error>(self) -> Result<Self, E> {
        if self.depth >= MAX_DEPTH {
            return Err(self.state.fail(ProtocolError::TooDeep(MAX_DEPTH)));
        }
        Ok(ValueSeed {
            depth: self.depth + 1,
            ..self
        })
    }

    /// Whether `s` is WAMP's JSON binary (U+0000 and base64) and should be read as such.
    fn binary_text<'s>(&self, s: &'s str) -> Option<&'s str> {
        if self.state.json_binary {
            s.strip_prefix('\0')
        } else {
            None
        }
    }

    fn string<E: de::Error>(self, s: &str) -> Result<Value, E> {
        if let Some(b64) = self.binary_text(s) {
            return self.binary(b64);
        }
        self.state.charge(s.len())?;
        Ok(Value::String(Str::new(s)))
    }

    fn binary<E: de::Error>(self, b64: &str) -> Result<Value, E> {
        // What the decoded bytes can take at most.
        self.state.charge(b64.len() / 4 * 3 + 3)?;
        match base64::engine::general_purpose::STANDARD.decode(b64) {
            Ok(bytes) => Ok(Value::Bytes(bytes)),
            Err(e) => Err(self.state.fail(ProtocolError::Malformed {
                serializer: "json",
                detail: format!("invalid base64 after U+0000 in a string: {e}"),
            })),
        }
    }
}

impl<'de> Deserialize<'de> for Dict {
    /// Reads a map (any other value is an error), with the limits of [`Value`]'s
    /// `Deserialize`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Dict(d) => Ok(d),
            _ => Err(de::Error::invalid_type(
                de::Unexpected::Other("a value that is not a map"),
                &"a map",
            )),
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

fn int_from_i128<E: de::Error>(v: i128) -> Result<Value, E> {
    if let Ok(i) = i64::try_from(v) {
        Ok(Value::Int(i))
    } else if let Ok(u) = u64::try_from(v) {
        Ok(Value::UInt(u))
    } else {
        Err(E::custom(format_args!(
            "integer {v} does not fit in 64 bits"
        )))
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any WAMP value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        int_from_i128(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        match u64::try_from(v) {
            Ok(u) => Ok(Value::from(u)),
            Err(_) => Err(E::custom(format_args!(
                "integer {v} does not fit in 64 bits"
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.string(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        if self.binary_text(&v).is_some() {
            return self.string(&v);
        }
        self.state.charge(v.len())?;
        Ok(Value::String(v.into()))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        self.state.charge(v.len())?;
        Ok(Value::Bytes(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Value, E> {
        self.state.charge(v.len())?;
        Ok(Value::Bytes(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.enter()?.deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Value, D::Error> {
        self.enter()?.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let child = self.enter()?;
        let mut list = self.state.reserve(seq.size_hint())?;
        while let Some(v) = seq.next_element_seed(child)? {
            self.state.room_for_one(&mut list)?;
            list.push(v);
        }
        Ok(Value::List(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let child = self.enter()?;
        // Built in bulk (sorted once).
        let mut entries = self.state.reserve(map.size_hint())?;
        while let Some(key) = map.next_key_seed(KeySeed(self.state))? {
            let v = map.next_value_seed(child)?;
            self.state.room_for_one(&mut entries)?;
            entries.push((key, v));
        }
        Ok(Value::Dict(Dict::from_entries(entries)))
    }

    /// CBOR tags arrive as enums: the tag is dropped and the tagged value kept.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let child = self.enter()?;
        let (_, variant): (IgnoredAny, _) = data.variant()?;
        variant.newtype_variant_seed(child)
    }
}

/// Reads a map key, which must be a string, charging its length.
struct KeySeed<'a>(&'a Decode);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Str;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Str, D::Error> {
        deserializer.deserialize_string(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = Str;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string map key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Str, E> {
        self.0.charge(v.len())?;
        Ok(Str::new(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Str, E> {
        self.0.charge(v.len())?;
        Ok(v.into())
    }
}

// ---------------------------------------------------------------------------------------------
// Value as a Deserializer
// ---------------------------------------------------------------------------------------------

impl Value {
    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Value::Null => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Int(i) => Unexpected::Signed(*i),
            Value::UInt(u) => Unexpected::Unsigned(*u),
            Value::Float(f) => Unexpected::Float(*f),
            Value::String(s) => Unexpected::Str(s),
            Value::Bytes(b) => Unexpected::Bytes(b),
            Value::List(_) => Unexpected::Seq,
            Value::Dict(_) => Unexpected::Map,
        }
    }

    fn invalid_type(&self, expected: &dyn de::Expected) -> ValueError {
        de::Error::invalid_type(self.unexpected(), expected)
    }
}

fn visit_list<'de, V: Visitor<'de>>(list: Vec<Value>, visitor: V) -> Result<V::Value, ValueError> {
    let len = list.len();
    let mut seq = SeqDe {
        iter: list.into_iter(),
    };
    let out = visitor.visit_seq(&mut seq)?;
    if seq.iter.len() == 0 {
        Ok(out)
    } else {
        Err(de::Error::invalid_length(
            len,
            &"fewer elements in the list",
        ))
    }
}

fn visit_dict<'de, V: Visitor<'de>>(dict: Dict, visitor: V) -> Result<V::Value, ValueError> {
    let len = dict.len();
    let mut map = MapDe {
        iter: dict.into_iter(),
        value: None,
    };
    let out = visitor.visit_map(&mut map)?;
    if map.iter.len() == 0 {
        Ok(out)
    } else {
        Err(de::Error::invalid_length(len, &"fewer entries in the dict"))
    }
}

impl<'de> Deserializer<'de> for Value {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::UInt(u) => visitor.visit_u64(u),
            Value::Float(f) => visitor.visit_f64(f),
            Value::String(s) => visit_owned_str(s, visitor),
            Value::Bytes(b) => visitor.visit_byte_buf(b),
            Value::List(l) => visit_list(l, visitor),
            Value::Dict(d) => visit_dict(d, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => visitor.visit_unit(),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Bytes(b) => visitor.visit_byte_buf(b),
            Value::String(s) => visit_owned_str(s, visitor),
            Value::List(l) => visit_list(l, visitor),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self {
            Value::String(variant) => visitor.visit_enum(EnumDe {
                variant,
                value: None,
            }),
            Value::Dict(d) if d.len() == 1 => match d.into_iter().next() {
                Some((variant, value)) => visitor.visit_enum(EnumDe {
                    variant,
                    value: Some(value),
                }),
                None => Err(de::Error::custom("empty dict for an enum")),
            },
            other => Err(other.invalid_type(&"a string or a single-entry dict for an enum")),
        }
    }

    /// Binary values read as a sequence of `u8`, so `Vec<u8>` and `[u8; N]` accept them.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Bytes(b) => {
                let mut seq = de::value::SeqDeserializer::new(b.into_iter());
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        drop(self);
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        tuple_struct map struct identifier
    }
}

impl IntoDeserializer<'_, ValueError> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

/// The elements of a list.
struct SeqDe {
    iter: std::vec::IntoIter<Value>,
}

impl<'de> SeqAccess<'de> for SeqDe {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        match self.iter.next() {
            Some(v) => seed.deserialize(v).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// Hands a string to `visitor`: a long one as the `String` it owns (no copy), a short one,
/// kept inline, by reference (field names and enum variants then cost no allocation).
fn visit_owned_str<'de, V: Visitor<'de>>(s: Str, visitor: V) -> Result<V::Value, ValueError> {
    if s.is_heap_allocated() {
        visitor.visit_string(s.into_string())
    } else {
        visitor.visit_str(&s)
    }
}

/// The entries of a dict.
struct MapDe {
    iter: std::vec::IntoIter<(Str, Value)>,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for MapDe {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(KeyDe(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ValueError> {
        match self.value.take() {
            Some(v) => seed.deserialize(v),
            None => Err(de::Error::custom("dict value requested before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// A map key or an enum variant name; parsed into numbers and booleans on request, as
/// `serde_json` does.
struct KeyDe(Str);

macro_rules! parse_key {
    ($($method:ident => $visit:ident: $t:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            match self.0.parse::<$t>() {
                Ok(v) => visitor.$visit(v),
                Err(_) => Err(de::Error::invalid_value(Unexpected::Str(&self.0), &visitor)),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for KeyDe {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visit_owned_str(self.0, visitor)
    }

    parse_key! {
        deserialize_bool => visit_bool: bool,
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_enum(EnumDe {
            variant: self.0,
            value: None,
        })
    }

    forward_to_deserialize_any! {
        f32 f64 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map
        struct identifier ignored_any
    }
}

/// An externally tagged enum: the variant name and its content, if any.
struct EnumDe {
    variant: Str,
    value: Option<Value>,
}

impl<'de> EnumAccess<'de> for EnumDe {
    type Error = ValueError;
    type Variant = VariantDe;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDe), ValueError> {
        let v = seed.deserialize(KeyDe(self.variant))?;
        Ok((v, VariantDe(self.value)))
    }
}

/// The content of an enum variant.
struct VariantDe(Option<Value>);

impl<'de> VariantAccess<'de> for VariantDe {
    type Error = ValueError;

    fn unit_variant(self) -> Result<(), ValueError> {
        match self.0 {
            None | Some(Value::Null) => Ok(()),
            Some(other) => Err(other.invalid_type(&"a unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, ValueError> {
        match self.0 {
            Some(v) => seed.deserialize(v),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"a newtype variant",
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Some(Value::List(l)) => visit_list(l, visitor),
            Some(other) => Err(other.invalid_type(&"a tuple variant")),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"a tuple variant",
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Some(Value::Dict(d)) => visit_dict(d, visitor),
            Some(Value::List(l)) => visit_list(l, visitor),
            Some(other) => Err(other.invalid_type(&"a struct variant")),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"a struct variant",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dict_reads_maps_only_and_writes_back_the_same() {
        let mut d = Dict::new();
        d.insert("max".into(), Value::Int(10));
        d.insert("min".into(), Value::Float(3.5));
        let back: Dict = crate::value::from_value(Value::Dict(d.clone())).unwrap();
        assert_eq!(back, d);
        assert_eq!(crate::value::to_value(&d).unwrap(), Value::Dict(d));
        assert!(crate::value::from_value::<Dict>(Value::List(vec![])).is_err());
    }

    #[test]
    fn json_binary_strings_become_bytes_only_in_json_mode() {
        let mut de = serde_json::Deserializer::from_str(r#""\u0000AQI=""#);
        let v = deserialize_wire_value(&mut de, true, 8).ok();
        assert_eq!(v, Some(Value::Bytes(vec![1, 2])));
        let v: Value = serde_json::from_str(r#""\u0000AQI=""#).unwrap();
        assert_eq!(v, Value::String("\0AQI=".into()));
    }

    #[test]
    fn non_string_map_keys_are_an_error() {
        let mut bytes = Vec::new();
        let mut m = std::collections::BTreeMap::new();
        m.insert(1u8, 2u8);
        rmp_serde::encode::write(&mut bytes, &m).unwrap();
        assert!(rmp_serde::from_slice::<Value>(&bytes).is_err());
    }

    #[test]
    fn deep_json_stops_at_the_depth_limit() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let mut de = serde_json::Deserializer::from_str(&deep);
        de.disable_recursion_limit();
        let err = deserialize_wire_value(&mut de, true, deep.len())
            .err()
            .map(|(_, issue)| issue);
        assert_eq!(err, Some(Some(ProtocolError::TooDeep(MAX_DEPTH))));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        let mut de = serde_json::Deserializer::from_str(&ok);
        de.disable_recursion_limit();
        assert!(deserialize_wire_value(&mut de, true, ok.len()).is_ok());
    }
}
