//! The MessagePack serializer (`wamp.2.msgpack`).

use rmp::Marker;

use super::{EncodeError, Serializer};
use crate::error::ProtocolError;
use crate::message::codec::Field;
use crate::message::Message;
use crate::value::{DecodeBudget, Dict, Str, Value, MAX_DEPTH};

/// MessagePack (version 5, with separate str and bin types): subprotocol `wamp.2.msgpack`,
/// RawSocket serializer 2, WebSocket binary frames.
///
/// Binary values are `bin`, strings are `str`. The decoder is strict: a `str` must be valid
/// UTF-8, map keys must be `str`, extension types are rejected, and nothing may follow the
/// message. A message decodes under its [`decode_limit`](crate::value::decode_limit): a
/// list or map reserves room for its declared length up front (at most one element per
/// remaining byte), so one announcing more than the limit allows is refused before anything
/// is allocated.
///
/// ```
/// use wamp_core::message::Message;
/// use wamp_core::serializer::{MsgPack, Serializer};
///
/// let msg = Message::Published { request: 1, publication: 42 };
/// let mut out = Vec::new();
/// MsgPack.encode(&msg, &mut out).unwrap();
/// assert_eq!(out, [0x93, 0x11, 0x01, 0x2a]);
/// assert_eq!(MsgPack.decode(&out).unwrap(), msg);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MsgPack;

/// The most elements a WAMP message has (ERROR: code, type, request, details, uri, args,
/// kwargs).
const MAX_ELEMENTS: usize = 7;

const NAME: &str = "msgpack";

fn malformed(detail: impl Into<String>) -> ProtocolError {
    ProtocolError::Malformed {
        serializer: NAME,
        detail: detail.into(),
    }
}

impl Serializer for MsgPack {
    fn name(&self) -> &'static str {
        NAME
    }

    fn subprotocol(&self) -> &'static str {
        "wamp.2.msgpack"
    }

    fn rawsocket_id(&self) -> u8 {
        2
    }

    fn is_binary(&self) -> bool {
        true
    }

    fn encode(&self, msg: &Message, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        write_message(msg, out).inspect_err(|_| out.truncate(start))
    }

    fn decode(&self, bytes: &[u8]) -> Result<Message, ProtocolError> {
        let mut reader = Reader::new(bytes);
        // The common case, a list of at most 7 elements (every valid message), is read
        // element by element straight into the message, with no list in between; anything
        // else takes the general path. Both report the same errors, in the same order: the
        // first undecodable element, then trailing bytes, then the message's own structure.
        match bytes.first().map(|b| Marker::from_u8(*b)) {
            Some(Marker::FixArray(len)) if usize::from(len) <= MAX_ELEMENTS => {
                reader.u8()?;
                let len = usize::from(len);
                let mut failed = None;
                let mut elements = (0..len).map(|_| {
                    if failed.is_some() {
                        return Value::Null;
                    }
                    // Elements sit one level down, as `list` counts them.
                    reader.value(1).unwrap_or_else(|e| {
                        failed = Some(e);
                        Value::Null
                    })
                });
                let message = Message::from_elements(len, &mut elements);
                // Decode what the message did not take, so that a bad element still wins.
                elements.for_each(drop);
                if let Some(e) = failed {
                    return Err(e);
                }
                reader.finish()?;
                message
            }
            _ => {
                let value = reader.value(0)?;
                reader.finish()?;
                Message::from_value(value)
            }
        }
    }
}

/// Writes `msg` as MessagePack, in the same minimal forms `rmp-serde` picks (integers in
/// their smallest encoding, floats as float 64), straight from the message's fields.
fn write_message(msg: &Message, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let parts = msg.parts();
    let payload_len = parts.payload_len();
    write_len(out, Len::Array, parts.len + payload_len)?;
    for f in parts.fixed() {
        match f {
            Field::Int(i) => write_uint(out, i),
            Field::Str(s) => write_str(out, s)?,
            Field::Dict(d) => write_dict(out, d, 1)?,
        }
    }
    if let Some((args, kwargs)) = parts.payload {
        if payload_len >= 1 {
            write_list(out, args, 1)?;
        }
        if payload_len == 2 {
            write_dict(out, kwargs, 1)?;
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Len {
    Str,
    Bin,
    Array,
    Map,
}

#[inline]
fn write_len(out: &mut Vec<u8>, kind: Len, len: usize) -> Result<(), EncodeError> {
    let Ok(n) = u32::try_from(len) else {
        return Err(EncodeError(format!(
            "a msgpack string, binary, list or map holds at most 2^32-1 items, not {len}"
        )));
    };
    let (fix, fix_max, m8, m16, m32) = match kind {
        Len::Str => (Some(0xa0), 31, Some(0xd9), 0xda, 0xdb),
        Len::Bin => (None, 0, Some(0xc4), 0xc5, 0xc6),
        Len::Array => (Some(0x90), 15, None, 0xdc, 0xdd),
        Len::Map => (Some(0x80), 15, None, 0xde, 0xdf),
    };
    match fix {
        Some(fix) if n <= fix_max => out.push(fix | n as u8),
        _ => match m8 {
            Some(m8) if n <= 0xff => out.extend_from_slice(&[m8, n as u8]),
            _ if n <= 0xffff => {
                out.push(m16);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            _ => {
                out.push(m32);
                out.extend_from_slice(&n.to_be_bytes());
            }
        },
    }
    Ok(())
}

#[inline]
fn write_uint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v <= 0xff {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v <= 0xffff {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= 0xffff_ffff {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn write_int(out: &mut Vec<u8>, v: i64) {
    match u64::try_from(v) {
        Ok(u) => write_uint(out, u),
        Err(_) if v >= -32 => out.push(v as u8),
        Err(_) if v >= i64::from(i8::MIN) => out.extend_from_slice(&[0xd0, v as u8]),
        Err(_) if v >= i64::from(i16::MIN) => {
            out.push(0xd1);
            out.extend_from_slice(&(v as i16).to_be_bytes());
        }
        Err(_) if v >= i64::from(i32::MIN) => {
            out.push(0xd2);
            out.extend_from_slice(&(v as i32).to_be_bytes());
        }
        Err(_) => {
            out.push(0xd3);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

#[inline]
fn write_str(out: &mut Vec<u8>, s: &str) -> Result<(), EncodeError> {
    write_len(out, Len::Str, s.len())?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn write_value(out: &mut Vec<u8>, v: &Value, depth: usize) -> Result<(), EncodeError> {
    match v {
        Value::Null => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Int(i) => write_int(out, *i),
        Value::UInt(u) => write_uint(out, *u),
        Value::Float(f) => {
            out.push(0xcb);
            out.extend_from_slice(&f.to_be_bytes());
        }
        Value::String(s) => write_str(out, s)?,
        Value::Bytes(b) => {
            write_len(out, Len::Bin, b.len())?;
            out.extend_from_slice(b);
        }
        Value::List(l) => write_list(out, l, depth + 1)?,
        Value::Dict(d) => write_dict(out, d, depth + 1)?,
    }
    Ok(())
}

/// The same limit the decoders apply: what we send, we would accept.
fn too_deep() -> EncodeError {
    EncodeError(format!("values nest deeper than {MAX_DEPTH} levels"))
}

fn write_list(out: &mut Vec<u8>, list: &[Value], depth: usize) -> Result<(), EncodeError> {
    if depth >= MAX_DEPTH {
        return Err(too_deep());
    }
    write_len(out, Len::Array, list.len())?;
    list.iter().try_for_each(|v| write_value(out, v, depth))
}

fn write_dict(out: &mut Vec<u8>, dict: &Dict, depth: usize) -> Result<(), EncodeError> {
    if depth >= MAX_DEPTH {
        return Err(too_deep());
    }
    write_len(out, Len::Map, dict.len())?;
    dict.iter().try_for_each(|(k, v)| {
        write_str(out, k)?;
        write_value(out, v, depth)
    })
}

/// A strict MessagePack reader producing [`Value`]s.
///
/// Written against the format directly rather than through serde so that a `str` with invalid
/// UTF-8 is an error (serde's MessagePack decoder hands it on as bytes), ext types are refused,
/// and the remaining input is known for the trailing-bytes check.
struct Reader<'a> {
    rest: &'a [u8],
    /// What the values may still allocate.
    budget: DecodeBudget,
}

fn truncated() -> ProtocolError {
    malformed("truncated input")
}

impl<'a> Reader<'a> {
    /// A reader of the message `bytes`.
    fn new(bytes: &'a [u8]) -> Self {
        Reader {
            rest: bytes,
            budget: DecodeBudget::for_message(bytes.len()),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        if n > self.rest.len() {
            return Err(truncated());
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ProtocolError> {
        <[u8; N]>::try_from(self.take(N)?).map_err(|_| truncated())
    }

    fn u8(&mut self) -> Result<u8, ProtocolError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, ProtocolError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, ProtocolError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn len8(&mut self) -> Result<usize, ProtocolError> {
        Ok(self.u8()?.into())
    }

    fn len16(&mut self) -> Result<usize, ProtocolError> {
        Ok(self.u16()?.into())
    }

    fn len32(&mut self) -> Result<usize, ProtocolError> {
        usize::try_from(self.u32()?).map_err(|_| truncated())
    }

    /// Fails if bytes are left after the message.
    fn finish(&self) -> Result<(), ProtocolError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(malformed(format!(
                "{} trailing bytes after the message",
                self.rest.len()
            )))
        }
    }

    fn str(&mut self, len: usize) -> Result<Str, ProtocolError> {
        let bytes = self.take(len)?;
        self.budget.charge(len)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Str::new(s)),
            Err(e) => Err(malformed(format!("str is not valid utf-8: {e}"))),
        }
    }

    fn bin(&mut self, len: usize) -> Result<Value, ProtocolError> {
        let bytes = self.take(len)?;
        self.budget.charge(len)?;
        Ok(Value::Bytes(bytes.to_vec()))
    }

    /// Reads one value enclosed by `depth` lists or maps.
    fn value(&mut self, depth: usize) -> Result<Value, ProtocolError> {
        let marker = Marker::from_u8(self.u8()?);
        Ok(match marker {
            Marker::Null => Value::Null,
            Marker::True => Value::Bool(true),
            Marker::False => Value::Bool(false),
            Marker::FixPos(v) => Value::Int(v.into()),
            Marker::FixNeg(v) => Value::Int(v.into()),
            Marker::U8 => Value::Int(self.u8()?.into()),
            Marker::U16 => Value::Int(self.u16()?.into()),
            Marker::U32 => Value::Int(self.u32()?.into()),
            Marker::U64 => Value::from(u64::from_be_bytes(self.array()?)),
            Marker::I8 => Value::Int(i8::from_be_bytes(self.array()?).into()),
            Marker::I16 => Value::Int(i16::from_be_bytes(self.array()?).into()),
            Marker::I32 => Value::Int(i32::from_be_bytes(self.array()?).into()),
            Marker::I64 => Value::Int(i64::from_be_bytes(self.array()?)),
            Marker::F32 => Value::Float(f32::from_be_bytes(self.array()?).into()),
            Marker::F64 => Value::Float(f64::from_be_bytes(self.array()?)),
            Marker::FixStr(len) => Value::String(self.str(len.into())?),
            Marker::Str8 => {
                let len = self.len8()?;
                Value::String(self.str(len)?)
            }
            Marker::Str16 => {
                let len = self.len16()?;
                Value::String(self.str(len)?)
            }
            Marker::Str32 => {
                let len = self.len32()?;
                Value::String(self.str(len)?)
            }
            Marker::Bin8 => {
                let len = self.len8()?;
                self.bin(len)?
            }
            Marker::Bin16 => {
                let len = self.len16()?;
                self.bin(len)?
            }
            Marker::Bin32 => {
                let len = self.len32()?;
                self.bin(len)?
            }
            Marker::FixArray(len) => self.list(len.into(), depth)?,
            Marker::Array16 => {
                let len = self.len16()?;
                self.list(len, depth)?
            }
            Marker::Array32 => {
                let len = self.len32()?;
                self.list(len, depth)?
            }
            Marker::FixMap(len) => self.dict(len.into(), depth)?,
            Marker::Map16 => {
                let len = self.len16()?;
                self.dict(len, depth)?
            }
            Marker::Map32 => {
                let len = self.len32()?;
                self.dict(len, depth)?
            }
            Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32 => return Err(malformed("extension types are not supported")),
            Marker::Reserved => return Err(malformed("reserved marker 0xc1")),
        })
    }

    fn list(&mut self, len: usize, depth: usize) -> Result<Value, ProtocolError> {
        if depth >= MAX_DEPTH {
            return Err(ProtocolError::TooDeep(MAX_DEPTH));
        }
        // Every element takes at least one byte: never reserve more than the input can fill.
        // What is reserved is charged, so a list declaring more elements than the budget
        // allows is refused before it is allocated.
        let reserve = len.min(self.rest.len());
        self.budget.charge_slots::<Value>(reserve)?;
        let mut list = Vec::with_capacity(reserve);
        for _ in 0..len {
            list.push(self.value(depth + 1)?);
        }
        Ok(Value::List(list))
    }

    fn dict(&mut self, len: usize, depth: usize) -> Result<Value, ProtocolError> {
        if depth >= MAX_DEPTH {
            return Err(ProtocolError::TooDeep(MAX_DEPTH));
        }
        // Every entry takes at least two bytes: never reserve more than the input can fill.
        let reserve = len.min(self.rest.len() / 2);
        self.budget.charge_slots::<(Str, Value)>(reserve)?;
        let mut entries = Vec::with_capacity(reserve);
        for _ in 0..len {
            let key = self.key()?;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
        }
        Ok(Value::Dict(Dict::from_entries(entries)))
    }

    fn key(&mut self) -> Result<Str, ProtocolError> {
        let len = match Marker::from_u8(self.u8()?) {
            Marker::FixStr(len) => len.into(),
            Marker::Str8 => self.len8()?,
            Marker::Str16 => self.len16()?,
            Marker::Str32 => self.len32()?,
            other => {
                return Err(malformed(format!(
                    "map key is not a string (marker 0x{:02x})",
                    other.to_u8()
                )))
            }
        };
        self.str(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(msg: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        MsgPack.encode(msg, &mut out).unwrap();
        out
    }

    fn event(args: Vec<Value>) -> Message {
        Message::Event {
            subscription: 1,
            publication: (1 << 53) - 1,
            details: Dict::new(),
            args,
            kwargs: Dict::new(),
        }
    }

    #[test]
    fn integers_and_lengths_at_every_format_boundary_match_rmp_serde() {
        let mut args = Vec::new();
        for i in [
            0i64,
            1,
            127,
            128,
            255,
            256,
            65535,
            65536,
            (1 << 32) - 1,
            1 << 32,
        ] {
            args.extend([Value::Int(i), Value::Int(-i)]);
        }
        args.extend([-32, -33, -128, -129, -32768, -32769, i64::MIN, i64::MAX].map(Value::Int));
        args.extend([
            Value::UInt(u64::MAX),
            Value::Float(-0.5),
            Value::Null,
            true.into(),
        ]);
        for n in [0, 15, 16, 31, 32, 255, 256, 65535, 65536] {
            args.push(Value::from("é".repeat(n / 2) + &"x".repeat(n % 2)));
            args.push(Value::Bytes(vec![7; n]));
            args.push(Value::List(vec![Value::Null; n]));
            args.push(Value::Dict(
                (0..n).map(|k| (k.to_string(), Value::Null)).collect(),
            ));
        }
        let msg = event(args);
        assert_eq!(ours(&msg), rmp_serde::to_vec(&msg).unwrap());
        assert_eq!(MsgPack.decode(&ours(&msg)).unwrap(), msg);
    }

    /// The general path: the whole list as a value, then the message.
    fn decode_as_one_value(bytes: &[u8]) -> Result<Message, ProtocolError> {
        let mut reader = Reader::new(bytes);
        let value = reader.value(0)?;
        reader.finish()?;
        Message::from_value(value)
    }

    #[test]
    fn the_element_by_element_path_gives_the_general_paths_result_for_every_one_byte_change() {
        let messages = [
            Message::Result {
                request: 7,
                details: [("callee", Value::Int(3))].into(),
                args: vec![Value::from("two"), Value::Bytes(vec![1, 2])],
                kwargs: [("k", Value::List(vec![Value::Null]))].into(),
            },
            Message::Error {
                request_type: crate::message::RequestType::Call,
                request: 9,
                details: Dict::new(),
                error: "wamp.error.runtime_error".into(),
                args: vec![Value::Float(1.5)],
                kwargs: Dict::new(),
            },
            Message::Hello {
                realm: "realm1".into(),
                details: Dict::new(),
            },
        ];
        let mut checked = 0;
        for msg in &messages {
            let good = ours(msg);
            for i in 0..good.len() {
                for byte in [
                    0x00, 0x01, 0x7f, 0x80, 0x90, 0x93, 0x97, 0xa1, 0xc0, 0xc1, 0xcc, 0xd9, 0xff,
                ] {
                    let mut bad = good.clone();
                    bad[i] = byte;
                    for bytes in [&bad[..], &bad[..i], &good[..i]] {
                        // Compared as text: a changed byte may make a float NaN.
                        assert_eq!(
                            format!("{:?}", MsgPack.decode(bytes)),
                            format!("{:?}", decode_as_one_value(bytes)),
                            "{bytes:02x?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000);
    }

    #[test]
    fn values_nested_beyond_the_decoders_limit_are_an_encoding_error() {
        let nest = |levels: usize| {
            let mut v = Value::Null;
            for _ in 0..levels {
                v = Value::List(vec![v]);
            }
            v
        };
        // The args list is the first level.
        let ok = event(vec![nest(MAX_DEPTH - 2)]);
        assert_eq!(MsgPack.decode(&ours(&ok)).unwrap(), ok);
        let mut out = vec![1, 2];
        let err = MsgPack.encode(&event(vec![nest(MAX_DEPTH)]), &mut out);
        assert!(err.unwrap_err().0.contains("nest deeper"));
        assert_eq!(out, [1, 2], "nothing is left of a failed message");
    }
}
