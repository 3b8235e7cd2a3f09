//! Serializers: JSON, MessagePack and CBOR behind one trait, so a user can plug in another.
//!
//! ```
//! use wamp_core::message::Message;
//! use wamp_core::serializer::{Json, Serializer};
//!
//! let msg = Message::Published { request: 1, publication: 42 };
//! let mut bytes = Vec::new();
//! Json.encode(&msg, &mut bytes).unwrap();
//! assert_eq!(bytes, b"[17,1,42]");
//! assert_eq!(Json.decode(&bytes).unwrap(), msg);
//! ```

use std::sync::Arc;

use crate::error::ProtocolError;
use crate::message::Message;

mod cbor;
mod json;
mod msgpack;

pub use cbor::Cbor;
pub use json::Json;
pub use msgpack::MsgPack;

/// A message could not be encoded (e.g. a value the format cannot represent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode message: {0}")]
pub struct EncodeError(pub String);

/// Turns messages into bytes and back.
pub trait Serializer: Send + Sync + std::fmt::Debug + 'static {
    /// A short name: `json`, `msgpack`, `cbor`.
    fn name(&self) -> &'static str;
    /// The WebSocket subprotocol, e.g. `wamp.2.json`.
    fn subprotocol(&self) -> &'static str;
    /// The RawSocket serializer id (1 JSON, 2 MessagePack, 3 CBOR).
    fn rawsocket_id(&self) -> u8;
    /// Whether WebSocket frames are binary (otherwise text).
    fn is_binary(&self) -> bool;
    /// Appends the encoding of `msg` to `out`.
    fn encode(&self, msg: &Message, out: &mut Vec<u8>) -> Result<(), EncodeError>;
    /// Decodes one message. Never panics: any malformed input is a [`ProtocolError`].
    fn decode(&self, bytes: &[u8]) -> Result<Message, ProtocolError>;
}

/// The built-in serializers, by name (`json`, `msgpack`, `cbor`).
pub fn by_name(name: &str) -> Option<Arc<dyn Serializer>> {
    match name {
        "json" => Some(Arc::new(Json)),
        "msgpack" => Some(Arc::new(MsgPack)),
        "cbor" => Some(Arc::new(Cbor)),
        _ => None,
    }
}
