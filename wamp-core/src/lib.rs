//! The WAMP v2 protocol with no IO: messages, payload values, serializers, URIs, IDs and the
//! client session state machine.
//!
//! This crate never touches a socket or a clock; `wamp-client` drives it over a transport.
//!
//! ```
//! use wamp_core::message::Message;
//! use wamp_core::serializer::{MsgPack, Serializer};
//! use wamp_core::value::{to_value, Value};
//!
//! let args = match to_value(&(2, 3)).unwrap() {
//!     Value::List(l) => l,
//!     _ => unreachable!(),
//! };
//! let call = Message::Call {
//!     request: 1,
//!     options: Default::default(),
//!     procedure: "com.example.add2".into(),
//!     args,
//!     kwargs: Default::default(),
//! };
//! let mut bytes = Vec::new();
//! MsgPack.encode(&call, &mut bytes).unwrap();
//! assert_eq!(MsgPack.decode(&bytes).unwrap(), call);
//! ```

pub mod auth;
pub mod error;
pub mod framing;
pub mod id;
pub mod message;
pub mod serializer;
pub mod session;
pub mod uri;
pub mod value;

pub use error::{ProtocolError, WampError};
pub use id::{Id, IdGenerator};
pub use message::Message;
pub use value::{Dict, Str, Value};
