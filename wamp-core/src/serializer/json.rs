//! The JSON serializer (`wamp.2.json`).

use serde::Serialize;

use super::{EncodeError, Serializer};
use crate::error::ProtocolError;
use crate::message::Message;
use crate::value::deserialize_wire_value;

/// JSON: subprotocol `wamp.2.json`, RawSocket serializer 1, WebSocket text frames.
///
/// Binary values use WAMP's convention: a string holding U+0000 followed by standard padded
/// base64. On decode any string starting with U+0000 is binary (invalid base64 is a
/// [`ProtocolError::Malformed`]). Encoding fails for values JSON cannot carry: NaN, infinities,
/// and strings starting with U+0000, which the peer would read back as binary.
///
/// A message decodes under its [`decode_limit`](crate::value::decode_limit).
///
/// ```
/// use wamp_core::message::Message;
/// use wamp_core::serializer::{Json, Serializer};
/// use wamp_core::Value;
///
/// let msg = Message::Call {
///     request: 1,
///     options: Default::default(),
///     procedure: "com.x".into(),
///     args: vec![Value::Bytes(vec![1, 2])],
///     kwargs: Default::default(),
/// };
/// let mut out = Vec::new();
/// Json.encode(&msg, &mut out).unwrap();
/// assert_eq!(out, br#"[48,1,{},"com.x",["\u0000AQI="]]"#);
/// assert_eq!(Json.decode(&out).unwrap(), msg);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

const NAME: &str = "json";

/// Writes a message with JSON's conventions for binary values.
struct JsonWire<'a>(&'a Message);

impl Serialize for JsonWire<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_wire::<S, true>(serializer)
    }
}

fn malformed(e: serde_json::Error) -> ProtocolError {
    ProtocolError::Malformed {
        serializer: NAME,
        detail: e.to_string(),
    }
}

impl Serializer for Json {
    fn name(&self) -> &'static str {
        NAME
    }

    fn subprotocol(&self) -> &'static str {
        "wamp.2.json"
    }

    fn rawsocket_id(&self) -> u8 {
        1
    }

    fn is_binary(&self) -> bool {
        false
    }

    fn encode(&self, msg: &Message, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        serde_json::to_writer(&mut *out, &JsonWire(msg)).map_err(|e| {
            out.truncate(start);
            EncodeError(e.to_string())
        })
    }

    fn decode(&self, bytes: &[u8]) -> Result<Message, ProtocolError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        // Our own limit (`MAX_DEPTH`) stops the recursion first, with a precise error.
        de.disable_recursion_limit();
        let value = deserialize_wire_value(&mut de, true, bytes.len())
            .map_err(|(e, issue)| issue.unwrap_or_else(|| malformed(e)))?;
        de.end().map_err(malformed)?;
        Message::from_value(value)
    }
}
