//! `to_value` and `from_value` with ordinary Rust types, and `Value` through other serde formats.

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use wamp_core::value::{from_value, to_value, Dict, Value};

fn round_trip<T>(v: &T) -> T
where
    T: Serialize + DeserializeOwned,
{
    from_value(to_value(v).unwrap()).unwrap()
}

fn dict(entries: &[(&str, Value)]) -> Value {
    Value::Dict(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// Binary data that serializes with `serialize_bytes`, like `serde_bytes::ByteBuf`.
#[derive(Debug, Clone, PartialEq)]
struct Blob(Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Blob, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Blob;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Blob, E> {
                Ok(Blob(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Blob, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Blob(out))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i32,
    y: i32,
    label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Empty,
    Circle(f64),
    Line(Point, Point),
    Rect { w: u32, h: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Tagged {
    Add { a: i64, b: i64 },
    Stop,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Untagged {
    Number(i64),
    Text(String),
    Pair(i64, i64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Meters(f64);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Marker;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WithExtra {
    name: String,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

#[test]
fn tuples_become_lists_and_come_back() {
    let v = to_value(&(1u8, "a", true, 2.5f64)).unwrap();
    assert_eq!(
        v,
        Value::List(vec![
            Value::Int(1),
            Value::String("a".into()),
            Value::Bool(true),
            Value::Float(2.5)
        ])
    );
    let back: (u8, String, bool, f64) = from_value(v).unwrap();
    assert_eq!(back, (1, "a".into(), true, 2.5));
}

#[test]
fn a_tuple_from_a_list_of_the_wrong_length_is_an_error() {
    let v = Value::List(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
    assert!(from_value::<(i32, i32)>(v.clone()).is_err());
    assert!(from_value::<(i32, i32, i32, i32)>(v).is_err());
}

#[test]
fn structs_become_dicts_and_come_back() {
    let p = Point {
        x: 1,
        y: -2,
        label: None,
    };
    let v = to_value(&p).unwrap();
    assert_eq!(
        v,
        dict(&[
            ("x", Value::Int(1)),
            ("y", Value::Int(-2)),
            ("label", Value::Null)
        ])
    );
    assert_eq!(from_value::<Point>(v).unwrap(), p);
}

#[test]
fn structs_read_from_lists_in_field_order() {
    let v = Value::List(vec![Value::Int(3), Value::Int(4), Value::Null]);
    assert_eq!(
        from_value::<Point>(v).unwrap(),
        Point {
            x: 3,
            y: 4,
            label: None
        }
    );
}

#[test]
fn a_missing_option_field_is_none_and_unknown_keys_are_ignored() {
    let v = dict(&[
        ("x", Value::Int(1)),
        ("y", Value::Int(2)),
        ("extra", Value::Bool(true)),
    ]);
    assert_eq!(
        from_value::<Point>(v).unwrap(),
        Point {
            x: 1,
            y: 2,
            label: None
        }
    );
}

#[test]
fn options_are_null_or_the_value() {
    assert_eq!(to_value(&Some(5)).unwrap(), Value::Int(5));
    assert_eq!(to_value(&None::<i32>).unwrap(), Value::Null);
    assert_eq!(from_value::<Option<i32>>(Value::Null).unwrap(), None);
    assert_eq!(from_value::<Option<i32>>(Value::Int(5)).unwrap(), Some(5));
}

#[test]
fn enums_are_externally_tagged() {
    assert_eq!(
        to_value(&Shape::Empty).unwrap(),
        Value::String("Empty".into())
    );
    assert_eq!(
        to_value(&Shape::Circle(1.5)).unwrap(),
        dict(&[("Circle", Value::Float(1.5))])
    );
    assert_eq!(
        to_value(&Shape::Rect { w: 2, h: 3 }).unwrap(),
        dict(&[("Rect", dict(&[("w", Value::Int(2)), ("h", Value::Int(3))]))])
    );
    let line = Shape::Line(
        Point {
            x: 0,
            y: 0,
            label: None,
        },
        Point {
            x: 1,
            y: 1,
            label: Some("end".into()),
        },
    );
    for shape in [
        Shape::Empty,
        Shape::Circle(1.5),
        line,
        Shape::Rect { w: 2, h: 3 },
    ] {
        assert_eq!(round_trip(&shape), shape);
    }
}

#[test]
fn unit_variants_read_from_a_dict_with_null_content() {
    let v = dict(&[("Empty", Value::Null)]);
    assert_eq!(from_value::<Shape>(v).unwrap(), Shape::Empty);
}

#[test]
fn enums_from_the_wrong_shape_are_an_error() {
    assert!(from_value::<Shape>(Value::Int(1)).is_err());
    assert!(from_value::<Shape>(Value::String("Hexagon".into())).is_err());
    let two = dict(&[("Circle", Value::Float(1.0)), ("Empty", Value::Null)]);
    assert!(from_value::<Shape>(two).is_err());
    assert!(from_value::<Shape>(Value::String("Circle".into())).is_err());
}

#[test]
fn internally_tagged_and_untagged_enums_round_trip() {
    for t in [Tagged::Add { a: 1, b: 2 }, Tagged::Stop] {
        assert_eq!(round_trip(&t), t);
    }
    assert_eq!(
        to_value(&Tagged::Stop).unwrap(),
        dict(&[("type", Value::String("stop".into()))])
    );
    for u in [
        Untagged::Number(3),
        Untagged::Text("t".into()),
        Untagged::Pair(1, 2),
    ] {
        assert_eq!(round_trip(&u), u);
    }
}

#[test]
fn flattened_fields_collect_the_remaining_keys() {
    let v = dict(&[
        ("name", Value::String("n".into())),
        ("a", Value::Int(1)),
        ("b", Value::Bytes(vec![1])),
    ]);
    let w: WithExtra = from_value(v.clone()).unwrap();
    assert_eq!(w.name, "n");
    assert_eq!(w.extra.get("b"), Some(&Value::Bytes(vec![1])));
    assert_eq!(to_value(&w).unwrap(), v);
}

#[test]
fn newtype_and_unit_structs_are_transparent() {
    assert_eq!(to_value(&Meters(2.0)).unwrap(), Value::Float(2.0));
    assert_eq!(round_trip(&Meters(2.0)), Meters(2.0));
    assert_eq!(to_value(&Marker).unwrap(), Value::Null);
    assert_eq!(from_value::<Marker>(Value::Null).unwrap(), Marker);
    assert_eq!(to_value(&()).unwrap(), Value::Null);
    assert!(from_value::<()>(Value::Int(0)).is_err());
}

#[test]
fn hash_maps_become_dicts() {
    let mut m = HashMap::new();
    m.insert("a".to_owned(), 1);
    m.insert("b".to_owned(), 2);
    let v = to_value(&m).unwrap();
    assert_eq!(v, dict(&[("a", Value::Int(1)), ("b", Value::Int(2))]));
    assert_eq!(round_trip(&m), m);
}

#[test]
fn integer_bool_and_char_map_keys_become_strings_and_parse_back() {
    let mut ints = BTreeMap::new();
    ints.insert(-3i64, "minus three".to_owned());
    ints.insert(7, "seven".to_owned());
    assert_eq!(
        to_value(&ints).unwrap(),
        dict(&[
            ("-3", Value::String("minus three".into())),
            ("7", Value::String("seven".into()))
        ])
    );
    assert_eq!(round_trip(&ints), ints);

    let mut bools = BTreeMap::new();
    bools.insert(true, 1);
    assert_eq!(to_value(&bools).unwrap(), dict(&[("true", Value::Int(1))]));
    assert_eq!(round_trip(&bools), bools);

    let mut chars = BTreeMap::new();
    chars.insert('x', 1);
    assert_eq!(round_trip(&chars), chars);
}

#[test]
fn map_keys_that_are_not_strings_are_an_error() {
    let mut m = BTreeMap::new();
    m.insert(vec![1], 1);
    assert!(to_value(&m).is_err());
    let mut m = BTreeMap::new();
    m.insert(Some(1), 1);
    assert!(to_value(&m).is_err());
    let bad = dict(&[("x", Value::Int(1))]);
    assert!(from_value::<BTreeMap<u32, i32>>(bad).is_err());
}

#[test]
fn bytes_become_binary_values() {
    let blob = Blob(vec![0, 1, 255]);
    assert_eq!(to_value(&blob).unwrap(), Value::Bytes(vec![0, 1, 255]));
    assert_eq!(round_trip(&blob), blob);
}

#[test]
fn bytes_can_be_read_from_a_list_of_small_integers() {
    let v = Value::List(vec![Value::Int(1), Value::Int(2)]);
    assert_eq!(from_value::<Blob>(v).unwrap(), Blob(vec![1, 2]));
    let too_big = Value::List(vec![Value::Int(256)]);
    assert!(from_value::<Blob>(too_big).is_err());
}

#[test]
fn vec_u8_without_a_bytes_wrapper_is_a_list_of_integers() {
    assert_eq!(
        to_value(&vec![1u8, 2]).unwrap(),
        Value::List(vec![Value::Int(1), Value::Int(2)])
    );
    assert_eq!(
        from_value::<Vec<u8>>(Value::Bytes(vec![1, 2])).unwrap(),
        vec![1, 2]
    );
    assert_eq!(
        from_value::<[u8; 2]>(Value::Bytes(vec![1, 2])).unwrap(),
        [1, 2]
    );
    assert!(from_value::<[u8; 2]>(Value::Bytes(vec![1, 2, 3])).is_err());
}

#[test]
fn integers_are_normalized_at_the_edges() {
    assert_eq!(to_value(&u64::MAX).unwrap(), Value::UInt(u64::MAX));
    assert_eq!(to_value(&(i64::MAX as u64)).unwrap(), Value::Int(i64::MAX));
    assert_eq!(to_value(&i64::MIN).unwrap(), Value::Int(i64::MIN));
    assert_eq!(to_value(&7u128).unwrap(), Value::Int(7));
    assert_eq!(
        to_value(&(u64::MAX as u128)).unwrap(),
        Value::UInt(u64::MAX)
    );
    assert!(to_value(&(u64::MAX as u128 + 1)).is_err());
    assert!(to_value(&(i64::MIN as i128 - 1)).is_err());
    assert_eq!(from_value::<u64>(Value::UInt(u64::MAX)).unwrap(), u64::MAX);
    assert_eq!(from_value::<i64>(Value::Int(i64::MIN)).unwrap(), i64::MIN);
    assert_eq!(round_trip(&u64::MAX), u64::MAX);
    assert_eq!(round_trip(&i64::MIN), i64::MIN);
}

#[test]
fn integers_out_of_the_target_range_are_an_error() {
    assert!(from_value::<u8>(Value::Int(256)).is_err());
    assert!(from_value::<u64>(Value::Int(-1)).is_err());
    assert!(from_value::<i64>(Value::UInt(u64::MAX)).is_err());
    assert!(from_value::<i32>(Value::Float(1.0)).is_err());
}

#[test]
fn floats_round_trip_and_accept_integers() {
    for f in [0.0, -0.5, 1e300, f64::MIN_POSITIVE, f64::MAX] {
        assert_eq!(round_trip(&f), f);
    }
    assert_eq!(to_value(&1.5f32).unwrap(), Value::Float(1.5));
    assert_eq!(from_value::<f64>(Value::Int(3)).unwrap(), 3.0);
    let nan: f64 = round_trip(&f64::NAN);
    assert!(nan.is_nan());
}

#[test]
fn chars_and_strings_become_strings() {
    assert_eq!(to_value(&'x').unwrap(), Value::String("x".into()));
    assert_eq!(from_value::<char>(Value::String("x".into())).unwrap(), 'x');
    assert!(from_value::<char>(Value::String("xy".into())).is_err());
    assert_eq!(round_trip(&"text".to_owned()), "text");
}

#[test]
fn a_value_converts_to_itself() {
    let v = Value::List(vec![
        Value::Null,
        Value::UInt(u64::MAX),
        Value::Bytes(vec![1]),
        dict(&[("k", Value::Float(0.5))]),
    ]);
    assert_eq!(to_value(&v).unwrap(), v);
    assert_eq!(from_value::<Value>(v.clone()).unwrap(), v);
}

#[test]
fn dicts_and_args_convert_to_typed_collections() {
    let kwargs: Dict = [("a".to_owned(), Value::Int(1))].into_iter().collect();
    let m: HashMap<String, i64> = from_value(Value::Dict(kwargs)).unwrap();
    assert_eq!(m.get("a"), Some(&1));
}

#[test]
fn type_errors_have_lowercase_messages() {
    let err = from_value::<String>(Value::Int(1)).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with(char::is_lowercase), "{text}");
    assert!(!text.ends_with('.'), "{text}");
}

#[test]
fn value_deserializes_from_other_formats() {
    let v: Value =
        serde_json::from_str(r#"{"a":[1,-2,3.5,"s",null,true],"b":18446744073709551615}"#).unwrap();
    assert_eq!(
        v,
        dict(&[
            (
                "a",
                Value::List(vec![
                    Value::Int(1),
                    Value::Int(-2),
                    Value::Float(3.5),
                    Value::String("s".into()),
                    Value::Null,
                    Value::Bool(true)
                ])
            ),
            ("b", Value::UInt(u64::MAX))
        ])
    );
    let bytes = rmp_serde::to_vec(&Value::Bytes(vec![9])).unwrap();
    assert_eq!(bytes, [0xc4, 0x01, 0x09]);
    assert_eq!(
        rmp_serde::from_slice::<Value>(&bytes).unwrap(),
        Value::Bytes(vec![9])
    );
}

#[test]
fn value_refuses_non_string_map_keys_from_other_formats() {
    let mut m = BTreeMap::new();
    m.insert(1u8, 2u8);
    let bytes = rmp_serde::to_vec(&m).unwrap();
    assert!(rmp_serde::from_slice::<Value>(&bytes).is_err());
    let mut cbor = Vec::new();
    ciborium::ser::into_writer(&m, &mut cbor).unwrap();
    assert!(ciborium::de::from_reader::<Value, _>(cbor.as_slice()).is_err());
}

#[test]
fn value_stops_deep_input_from_other_formats_without_overflowing() {
    let mut deep = vec![0x91; 100_000];
    deep.push(0x90);
    assert!(rmp_serde::from_slice::<Value>(&deep).is_err());
    let json = "[".repeat(100_000) + &"]".repeat(100_000);
    assert!(serde_json::from_str::<Value>(&json).is_err());
}
