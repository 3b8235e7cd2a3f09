//! Serde serialization into [`Value`], and [`Value`]'s own `Serialize` implementation.
//!
//! The wire wrappers ([`ValueRef`], [`ListRef`], [`DictRef`], [`StrRef`]) write values straight
//! into a format's serializer without building a tree. Their `JSON` flag selects WAMP's JSON
//! conventions: binary values become a string of U+0000 followed by padded base64, and values
//! JSON cannot carry (NaN, infinities, strings that would read back as binary) are errors.

use base64::Engine as _;
use serde::ser::{self, Serialize, SerializeMap as _, SerializeSeq as _};

use super::{Dict, Str, Value, ValueError};

/// Converts any serializable value into a [`Value`], like `serde_json::to_value`.
///
/// - Integers become [`Value::Int`] when they fit in `i64`, [`Value::UInt`] otherwise.
/// - Bytes (`serialize_bytes`, e.g. `serde_bytes`) become [`Value::Bytes`].
/// - Tuples, sequences and tuple structs become [`Value::List`].
/// - Structs and maps become [`Value::Dict`]. Map keys must be strings; integer, boolean and
///   character keys are converted to their string form, other keys are an error.
/// - `()`, unit structs and `None` become [`Value::Null`].
/// - Enums are externally tagged: a unit variant is its name as a string, any other variant is a
///   single-entry dictionary `{variant: content}`.
///
/// ```
/// use wamp_core::value::{to_value, Value};
///
/// assert_eq!(to_value(&Some(u64::MAX)).unwrap(), Value::UInt(u64::MAX));
/// assert_eq!(to_value(&[1, 2]).unwrap(), Value::List(vec![Value::Int(1), Value::Int(2)]));
/// ```
pub fn to_value<T: Serialize + ?Sized>(v: &T) -> Result<Value, ValueError> {
    v.serialize(ValueSerializer)
}

/// The serializer behind [`to_value`].
struct ValueSerializer;

fn int_from_i128(v: i128) -> Result<Value, ValueError> {
    if let Ok(i) = i64::try_from(v) {
        Ok(Value::Int(i))
    } else if let Ok(u) = u64::try_from(v) {
        Ok(Value::UInt(u))
    } else {
        Err(ValueError(format!("integer {v} does not fit in 64 bits")))
    }
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = SerializeList;
    type SerializeTuple = SerializeList;
    type SerializeTupleStruct = SerializeList;
    type SerializeTupleVariant = SerializeTupleVariant;
    type SerializeMap = SerializeDict;
    type SerializeStruct = SerializeDict;
    type SerializeStructVariant = SerializeStructVariant;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::Int(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Value, ValueError> {
        int_from_i128(v)
    }

    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }

    fn serialize_u128(self, v: u128) -> Result<Value, ValueError> {
        match u64::try_from(v) {
            Ok(u) => Ok(Value::from(u)),
            Err(_) => Err(ValueError(format!("integer {v} does not fit in 64 bits"))),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        Ok(Value::Float(v.into()))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        Ok(Value::Float(v))
    }

    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::String(Str::from(v)))
    }

    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(Value::String(Str::new(v)))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::Bytes(v.to_vec()))
    }

    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ValueError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(Value::String(Str::from_static(variant)))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        let mut d = Dict::new();
        d.insert(Str::from_static(variant), value.serialize(self)?);
        Ok(Value::Dict(d))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SerializeList, ValueError> {
        Ok(SerializeList(Vec::with_capacity(
            len.unwrap_or(0).min(4096),
        )))
    }

    fn serialize_tuple(self, len: usize) -> Result<SerializeList, ValueError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SerializeList, ValueError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SerializeTupleVariant, ValueError> {
        Ok(SerializeTupleVariant {
            variant,
            items: Vec::with_capacity(len.min(4096)),
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<SerializeDict, ValueError> {
        Ok(SerializeDict {
            entries: Vec::new(),
            next_key: None,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SerializeDict, ValueError> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<SerializeStructVariant, ValueError> {
        Ok(SerializeStructVariant {
            variant,
            dict: Dict::new(),
        })
    }
}

/// Collects a sequence, tuple or tuple struct.
struct SerializeList(Vec<Value>);

impl ser::SerializeSeq for SerializeList {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.0.push(value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::List(self.0))
    }
}

impl ser::SerializeTuple for SerializeList {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Value, ValueError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SerializeList {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Value, ValueError> {
        ser::SerializeSeq::end(self)
    }
}

/// Collects a tuple variant into `{variant: [..]}`.
struct SerializeTupleVariant {
    variant: &'static str,
    items: Vec<Value>,
}

impl ser::SerializeTupleVariant for SerializeTupleVariant {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        let mut d = Dict::new();
        d.insert(Str::from_static(self.variant), Value::List(self.items));
        Ok(Value::Dict(d))
    }
}

/// Collects a map or a struct.
struct SerializeDict {
    entries: Vec<(Str, Value)>,
    next_key: Option<Str>,
}

impl ser::SerializeMap for SerializeDict {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        self.next_key = Some(key.serialize(MapKeySerializer)?.into());
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let key = self
            .next_key
            .take()
            .ok_or_else(|| ValueError("map value serialized before its key".to_owned()))?;
        self.entries.push((key, value.serialize(ValueSerializer)?));
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Dict(Dict::from_entries(self.entries)))
    }
}

impl ser::SerializeStruct for SerializeDict {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        self.entries
            .push((Str::from_static(key), value.serialize(ValueSerializer)?));
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Dict(Dict::from_entries(self.entries)))
    }
}

/// Collects a struct variant into `{variant: {..}}`.
struct SerializeStructVariant {
    variant: &'static str,
    dict: Dict,
}

impl ser::SerializeStructVariant for SerializeStructVariant {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        self.dict
            .insert(Str::from_static(key), value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        let mut d = Dict::new();
        d.insert(Str::from_static(self.variant), Value::Dict(self.dict));
        Ok(Value::Dict(d))
    }
}

/// Turns a map key into a string, as `serde_json` does.
struct MapKeySerializer;

fn key_must_be_a_string() -> ValueError {
    ValueError("map keys must be strings".to_owned())
}

impl ser::Serializer for MapKeySerializer {
    type Ok = String;
    type Error = ValueError;
    type SerializeSeq = ser::Impossible<String, ValueError>;
    type SerializeTuple = ser::Impossible<String, ValueError>;
    type SerializeTupleStruct = ser::Impossible<String, ValueError>;
    type SerializeTupleVariant = ser::Impossible<String, ValueError>;
    type SerializeMap = ser::Impossible<String, ValueError>;
    type SerializeStruct = ser::Impossible<String, ValueError>;
    type SerializeStructVariant = ser::Impossible<String, ValueError>;

    fn serialize_bool(self, v: bool) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i8(self, v: i8) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i16(self, v: i16) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i32(self, v: i32) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i64(self, v: i64) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i128(self, v: i128) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u8(self, v: u8) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u16(self, v: u16) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u32(self, v: u32) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u64(self, v: u64) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u128(self, v: u128) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_f32(self, _v: f32) -> Result<String, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_f64(self, _v: f64) -> Result<String, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_char(self, v: char) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_str(self, v: &str) -> Result<String, ValueError> {
        Ok(v.to_owned())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<String, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<String, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit(self) -> Result<String, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, ValueError> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, ValueError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, ValueError> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Err(key_must_be_a_string())
    }
}

impl Serialize for Value {
    /// Serializes the value as itself; [`Value::Bytes`] goes through `serialize_bytes`.
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ValueRef::<false>(self).serialize(serializer)
    }
}

impl Serialize for Dict {
    /// Serializes the dictionary as a map; see [`Value`]'s `Serialize`.
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        DictRef::<false>(self).serialize(serializer)
    }
}

/// Writes a [`Value`] into any serde serializer without copying it.
///
/// With `JSON = true`, binary values become WAMP's NUL-prefixed base64 strings and values JSON
/// cannot carry are errors.
pub(crate) struct ValueRef<'a, const JSON: bool>(pub(crate) &'a Value);

/// Writes a list of [`Value`]s; see [`ValueRef`].
pub(crate) struct ListRef<'a, const JSON: bool>(pub(crate) &'a [Value]);

/// Writes a [`Dict`]; see [`ValueRef`].
pub(crate) struct DictRef<'a, const JSON: bool>(pub(crate) &'a Dict);

/// Writes a string; with `JSON = true` a string starting with U+0000 is an error, because the
/// peer would read it back as binary.
pub(crate) struct StrRef<'a, const JSON: bool>(pub(crate) &'a str);

/// The JSON form of binary data: U+0000 followed by standard padded base64.
pub(crate) fn json_binary_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(1 + bytes.len().div_ceil(3) * 4);
    s.push('\0');
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut s);
    s
}

impl<const JSON: bool> Serialize for StrRef<'_, JSON> {
    #[inline]
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if JSON && self.0.starts_with('\0') {
            return Err(ser::Error::custom(
                "a string starting with U+0000 would be read back as binary in json",
            ));
        }
        serializer.serialize_str(self.0)
    }
}

impl<const JSON: bool> Serialize for ValueRef<'_, JSON> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::UInt(u) => serializer.serialize_u64(*u),
            Value::Float(f) => {
                if JSON && !f.is_finite() {
                    return Err(ser::Error::custom(format!(
                        "json cannot represent the float {f}"
                    )));
                }
                serializer.serialize_f64(*f)
            }
            Value::String(s) => StrRef::<JSON>(s).serialize(serializer),
            Value::Bytes(b) => {
                if JSON {
                    serializer.serialize_str(&json_binary_string(b))
                } else {
                    serializer.serialize_bytes(b)
                }
            }
            Value::List(l) => ListRef::<JSON>(l).serialize(serializer),
            Value::Dict(d) => DictRef::<JSON>(d).serialize(serializer),
        }
    }
}

impl<const JSON: bool> Serialize for ListRef<'_, JSON> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for v in self.0 {
            seq.serialize_element(&ValueRef::<JSON>(v))?;
        }
        seq.end()
    }
}

impl<const JSON: bool> Serialize for DictRef<'_, JSON> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k.as_str(), &ValueRef::<JSON>(v))?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_becomes_a_nul_prefixed_base64_string_in_json() {
        let bytes = [
            0x10, 0xe3, 0xff, 0x90, 0x53, 0x07, 0x5c, 0x52, 0x6f, 0x5f, 0xc0, 0x6d, 0x4f, 0xe3,
            0x7c, 0xdb,
        ];
        assert_eq!(json_binary_string(&bytes), "\0EOP/kFMHXFJvX8BtT+N82w==");
    }

    #[test]
    fn list_map_keys_are_rejected() {
        let mut m = std::collections::BTreeMap::new();
        m.insert(vec![1u8], 1);
        assert!(to_value(&m).is_err());
    }
}
