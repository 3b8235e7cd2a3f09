//! The MessagePack serializer (`wamp.2.msgpack`).

use rmp::Marker;

use super::{EncodeError, Serializer};
use crate::error::ProtocolError;
use crate::message::Message;
use crate::value::{Dict, Value, MAX_DEPTH};

/// MessagePack (version 5, with separate str and bin types): subprotocol `wamp.2.msgpack`,
/// RawSocket serializer 2, WebSocket binary frames.
///
/// Binary values are `bin`, strings are `str`. The decoder is strict: a `str` must be valid
/// UTF-8, map keys must be `str`, extension types are rejected, and nothing may follow the
/// message.
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
        rmp_serde::encode::write(out, msg).map_err(|e| {
            out.truncate(start);
            EncodeError(e.to_string())
        })
    }

    fn decode(&self, bytes: &[u8]) -> Result<Message, ProtocolError> {
        let mut reader = Reader { rest: bytes };
        // The common case, a list of at most 7 elements (every valid message), is read onto
        // the stack rather than into a `Vec`; anything else takes the general path, which
        // reports the same errors.
        match bytes.first().map(|b| Marker::from_u8(*b)) {
            Some(Marker::FixArray(len)) if usize::from(len) <= MAX_ELEMENTS => {
                reader.u8()?;
                let len = usize::from(len);
                let mut elements: [Value; MAX_ELEMENTS] = Default::default();
                for slot in elements.iter_mut().take(len) {
                    // Elements sit one level down, as `list` counts them.
                    *slot = reader.value(1)?;
                }
                reader.finish()?;
                Message::from_elements(len, elements.into_iter().take(len))
            }
            _ => {
                let value = reader.value(0)?;
                reader.finish()?;
                Message::from_value(value)
            }
        }
    }
}

/// A strict MessagePack reader producing [`Value`]s.
///
/// Written against the format directly rather than through serde so that a `str` with invalid
/// UTF-8 is an error (serde's MessagePack decoder hands it on as bytes), ext types are refused,
/// and the remaining input is known for the trailing-bytes check.
struct Reader<'a> {
    rest: &'a [u8],
}

fn truncated() -> ProtocolError {
    malformed("truncated input")
}

impl<'a> Reader<'a> {
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

    fn str(&mut self, len: usize) -> Result<String, ProtocolError> {
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => Err(malformed(format!("str is not valid utf-8: {e}"))),
        }
    }

    fn bin(&mut self, len: usize) -> Result<Value, ProtocolError> {
        Ok(Value::Bytes(self.take(len)?.to_vec()))
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
        // Every element takes at least one byte: never allocate more than the input can fill.
        let mut list = Vec::with_capacity(len.min(self.rest.len()));
        for _ in 0..len {
            list.push(self.value(depth + 1)?);
        }
        Ok(Value::List(list))
    }

    fn dict(&mut self, len: usize, depth: usize) -> Result<Value, ProtocolError> {
        if depth >= MAX_DEPTH {
            return Err(ProtocolError::TooDeep(MAX_DEPTH));
        }
        // Every entry takes at least two bytes: never allocate more than the input can fill.
        let mut entries = Vec::with_capacity(len.min(self.rest.len() / 2));
        for _ in 0..len {
            let key = self.key()?;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
        }
        Ok(Value::Dict(Dict::from_entries(entries)))
    }

    fn key(&mut self) -> Result<String, ProtocolError> {
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
