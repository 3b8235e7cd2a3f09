//! The CBOR serializer (`wamp.2.cbor`).

use super::{EncodeError, Serializer};
use crate::error::ProtocolError;
use crate::message::Message;
use crate::value::{with_wire_limits, WireValue, MAX_DEPTH};

/// CBOR (RFC 8949): subprotocol `wamp.2.cbor`, RawSocket serializer 3, WebSocket binary frames.
///
/// Binary values are byte strings. On decode, tags are unwrapped (the tagged value is kept),
/// `undefined` reads as null, and bignums that fit in 64 bits become integers. A message
/// decodes under its [`decode_limit`](crate::value::decode_limit).
///
/// ```
/// use wamp_core::message::Message;
/// use wamp_core::serializer::{Cbor, Serializer};
///
/// let msg = Message::Published { request: 1, publication: 42 };
/// let mut out = Vec::new();
/// Cbor.encode(&msg, &mut out).unwrap();
/// assert_eq!(out, [0x83, 0x11, 0x01, 0x18, 0x2a]);
/// assert_eq!(Cbor.decode(&out).unwrap(), msg);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Cbor;

const NAME: &str = "cbor";

fn malformed(detail: String) -> ProtocolError {
    ProtocolError::Malformed {
        serializer: NAME,
        detail,
    }
}

impl Serializer for Cbor {
    fn name(&self) -> &'static str {
        NAME
    }

    fn subprotocol(&self) -> &'static str {
        "wamp.2.cbor"
    }

    fn rawsocket_id(&self) -> u8 {
        3
    }

    fn is_binary(&self) -> bool {
        true
    }

    fn encode(&self, msg: &Message, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        ciborium::ser::into_writer(msg, &mut *out).map_err(|e| {
            out.truncate(start);
            EncodeError(e.to_string())
        })
    }

    fn decode(&self, bytes: &[u8]) -> Result<Message, ProtocolError> {
        let mut rest = bytes;
        // ciborium counts arrays, maps and tags exactly as `MAX_DEPTH` does, so its limit
        // trips at the same level as ours; `Value`'s visitor enforces it as well, and the
        // message's decode limit.
        let (decoded, issue) = with_wire_limits(bytes.len(), || {
            ciborium::de::from_reader_with_recursion_limit::<WireValue, _>(&mut rest, MAX_DEPTH)
        });
        let value = match (decoded, issue) {
            (Ok(WireValue(value)), _) => value,
            // Our own failure, precisely.
            (Err(_), Some(issue)) => return Err(issue),
            (Err(e), None) => {
                return Err(match e {
                    ciborium::de::Error::RecursionLimitExceeded => {
                        ProtocolError::TooDeep(MAX_DEPTH)
                    }
                    ciborium::de::Error::Io(e) => {
                        malformed(format!("truncated or unreadable: {e}"))
                    }
                    ciborium::de::Error::Syntax(offset) => {
                        malformed(format!("invalid cbor at offset {offset}"))
                    }
                    ciborium::de::Error::Semantic(_, msg) => malformed(msg),
                })
            }
        };
        if !rest.is_empty() {
            return Err(malformed(format!(
                "{} trailing bytes after the message",
                rest.len()
            )));
        }
        Message::from_value(value)
    }
}
