//! Payloads from the command line, and JSON out the way Autobahn's `wamp` prints it (Python's
//! `json.dumps`: `", "` and `": "` separators, non-ASCII escaped as `\uXXXX`).
//!
//! Binary values are written as WAMP's JSON convention has them: a string of U+0000 followed
//! by base64; such strings read with `--json` are binary again.

use std::io;

use base64::Engine as _;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use wamp_client::{Dict, Payload, Value};
use wamp_core::Str;

use crate::error::CliError;

/// The payload of a call or publication: positional arguments, then `--keyword NAME VALUE`
/// pairs (flattened). As strings, or parsed as JSON with `json`.
pub fn payload(args: &[String], keywords: &[String], json: bool) -> Result<Payload, CliError> {
    let args = args
        .iter()
        .enumerate()
        .map(|(i, a)| parse_value(a, json, &format!("argument {}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut kwargs = Dict::new();
    for pair in keywords.chunks(2) {
        let [name, value] = pair else {
            return Err(CliError::fatal("--keyword takes a name and a value"));
        };
        let value = parse_value(value, json, &format!("keyword {name}"))?;
        kwargs.insert(Str::new(name), value);
    }
    Ok(Payload::from_parts(args, kwargs))
}

/// One command-line value: the string itself, or with `json` the JSON value it holds.
pub fn parse_value(text: &str, json: bool, what: &str) -> Result<Value, CliError> {
    if !json {
        return Ok(Value::String(Str::new(text)));
    }
    serde_json::from_str::<serde_json::Value>(text)
        .map(from_json)
        .map_err(|e| CliError::fatal(format!("{what} is not json ({e}): {text}")))
}

/// A JSON value as a WAMP value; a string of U+0000 and base64 becomes binary.
pub fn from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => match s.strip_prefix('\0') {
            Some(b64) => match base64::engine::general_purpose::STANDARD.decode(b64) {
                Ok(bytes) => Value::Bytes(bytes),
                Err(_) => Value::String(Str::new(&s)),
            },
            None => Value::String(Str::new(&s)),
        },
        serde_json::Value::Array(items) => Value::List(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            let mut dict = Dict::with_capacity(map.len());
            for (k, v) in map {
                dict.insert(Str::new(&k), from_json(v));
            }
            Value::Dict(dict)
        }
    }
}

/// `{"args": [...], "kwargs": {...}}` as Autobahn's `wamp subscribe` prints an event.
pub fn payload_line(args: &[Value], kwargs: &Dict) -> String {
    to_string(&Line { args, kwargs })
}

/// A value as compact Python-style JSON.
pub fn value_to_string(v: &Value) -> String {
    to_string(&Json(v))
}

/// A list as Python-style JSON (`json.dumps(args)`).
pub fn list_to_string(list: &[Value]) -> String {
    to_string(&JsonList(list))
}

/// A dictionary as Python-style JSON (`json.dumps(kwargs)`).
pub fn dict_to_string(dict: &Dict) -> String {
    to_string(&JsonDict(dict))
}

/// A value as Python's `str()` would show it inside `" ".join(...)`: strings as they are,
/// anything else as JSON.
pub fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.as_str().to_owned(),
        other => value_to_string(other),
    }
}

fn to_string<T: Serialize>(v: &T) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    // Json, JsonList and JsonDict never fail: every value has a JSON form.
    if v.serialize(&mut ser).is_err() {
        return "null".to_owned();
    }
    String::from_utf8(out).unwrap_or_default()
}

struct Line<'a> {
    args: &'a [Value],
    kwargs: &'a Dict,
}

impl Serialize for Line<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("args", &JsonList(self.args))?;
        map.serialize_entry("kwargs", &JsonDict(self.kwargs))?;
        map.end()
    }
}

/// A [`Value`] in JSON: binary as WAMP's U+0000-prefixed base64 string; NaN and infinities
/// (which JSON cannot carry) as `null`.
struct Json<'a>(&'a Value);

struct JsonList<'a>(&'a [Value]);

struct JsonDict<'a>(&'a Dict);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::UInt(u) => serializer.serialize_u64(*u),
            Value::Float(f) if f.is_finite() => serializer.serialize_f64(*f),
            Value::Float(_) => serializer.serialize_unit(),
            Value::String(s) => serializer.serialize_str(s.as_str()),
            Value::Bytes(b) => {
                let mut s = String::from("\0");
                base64::engine::general_purpose::STANDARD.encode_string(b, &mut s);
                serializer.serialize_str(&s)
            }
            Value::List(l) => JsonList(l).serialize(serializer),
            Value::Dict(d) => JsonDict(d).serialize(serializer),
        }
    }
}

impl Serialize for JsonList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for v in self.0 {
            seq.serialize_element(&Json(v))?;
        }
        seq.end()
    }
}

impl Serialize for JsonDict<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k.as_str(), &Json(v))?;
        }
        map.end()
    }
}

/// Python's `json.dumps` defaults: `", "` between items, `": "` after keys, and everything
/// outside printable ASCII escaped (`ensure_ascii`).
struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        parse_value(text, true, "test").unwrap()
    }

    #[test]
    fn a_payload_line_looks_like_python_json_dumps() {
        let p = payload(
            &["1".into(), "two".into()],
            &["k".into(), "v".into()],
            false,
        )
        .unwrap();
        assert_eq!(
            payload_line(&p.args, &p.kwargs),
            r#"{"args": ["1", "two"], "kwargs": {"k": "v"}}"#
        );
        assert_eq!(
            payload_line(&[], &Dict::new()),
            r#"{"args": [], "kwargs": {}}"#
        );
    }

    #[test]
    fn with_json_arguments_and_keyword_values_are_parsed() {
        let p = payload(
            &["1".into(), r#"{"a": [true, null, 1.5]}"#.into()],
            &["n".into(), "-3".into()],
            true,
        )
        .unwrap();
        assert_eq!(
            payload_line(&p.args, &p.kwargs),
            r#"{"args": [1, {"a": [true, null, 1.5]}], "kwargs": {"n": -3}}"#
        );
        assert!(payload(&["{".into()], &[], true).is_err());
    }

    #[test]
    fn non_ascii_is_escaped_as_python_does() {
        assert_eq!(
            value_to_string(&Value::String(Str::new("é😀\u{7f}\n\"x"))),
            r#""\u00e9\ud83d\ude00\u007f\n\"x""#
        );
    }

    #[test]
    fn binary_round_trips_as_a_nul_prefixed_base64_string() {
        let bytes = Value::Bytes(vec![0, 1, 2, 255]);
        let text = value_to_string(&bytes);
        assert_eq!(text, r#""\u0000AAEC/w==""#);
        assert_eq!(json(&text), bytes);
    }

    #[test]
    fn large_integers_and_floats_keep_their_kind() {
        assert_eq!(json("18446744073709551615"), Value::UInt(u64::MAX));
        assert_eq!(json("-1"), Value::Int(-1));
        assert_eq!(json("2.5"), Value::Float(2.5));
        assert_eq!(value_to_string(&Value::Float(f64::NAN)), "null");
    }

    #[test]
    fn plain_values_show_strings_as_they_are() {
        assert_eq!(plain(&Value::String(Str::new("a b"))), "a b");
        assert_eq!(plain(&Value::Int(3)), "3");
        assert_eq!(
            plain(&Value::List(vec![Value::Int(1), Value::Bool(true)])),
            "[1, true]"
        );
    }
}
