//! The 24 WAMP v2 messages, their codes and field order.
//!
//! A message on the wire is a list `[code, field, ...]`; the application payload (args, then
//! kwargs) always comes last and is omitted when empty. [`Message::to_value`] and
//! [`Message::from_value`] convert between a message and that list; the serializers turn the list
//! into bytes.

use std::fmt;

use crate::id::Id;
use crate::value::{Dict, Str, Value};

pub(crate) mod codec;

/// Message codes.
pub mod code {
    /// HELLO
    pub const HELLO: u64 = 1;
    /// WELCOME
    pub const WELCOME: u64 = 2;
    /// ABORT
    pub const ABORT: u64 = 3;
    /// CHALLENGE
    pub const CHALLENGE: u64 = 4;
    /// AUTHENTICATE
    pub const AUTHENTICATE: u64 = 5;
    /// GOODBYE
    pub const GOODBYE: u64 = 6;
    /// ERROR
    pub const ERROR: u64 = 8;
    /// PUBLISH
    pub const PUBLISH: u64 = 16;
    /// PUBLISHED
    pub const PUBLISHED: u64 = 17;
    /// SUBSCRIBE
    pub const SUBSCRIBE: u64 = 32;
    /// SUBSCRIBED
    pub const SUBSCRIBED: u64 = 33;
    /// UNSUBSCRIBE
    pub const UNSUBSCRIBE: u64 = 34;
    /// UNSUBSCRIBED
    pub const UNSUBSCRIBED: u64 = 35;
    /// EVENT
    pub const EVENT: u64 = 36;
    /// CALL
    pub const CALL: u64 = 48;
    /// CANCEL
    pub const CANCEL: u64 = 49;
    /// RESULT
    pub const RESULT: u64 = 50;
    /// REGISTER
    pub const REGISTER: u64 = 64;
    /// REGISTERED
    pub const REGISTERED: u64 = 65;
    /// UNREGISTER
    pub const UNREGISTER: u64 = 66;
    /// UNREGISTERED
    pub const UNREGISTERED: u64 = 67;
    /// INVOCATION
    pub const INVOCATION: u64 = 68;
    /// INTERRUPT
    pub const INTERRUPT: u64 = 69;
    /// YIELD
    pub const YIELD: u64 = 70;
}

/// The request types an ERROR message may answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestType {
    /// PUBLISH (16)
    Publish,
    /// SUBSCRIBE (32)
    Subscribe,
    /// UNSUBSCRIBE (34)
    Unsubscribe,
    /// CALL (48)
    Call,
    /// REGISTER (64)
    Register,
    /// UNREGISTER (66)
    Unregister,
    /// INVOCATION (68)
    Invocation,
}

impl RequestType {
    /// The message code of the request type.
    pub fn code(self) -> u64 {
        match self {
            RequestType::Publish => code::PUBLISH,
            RequestType::Subscribe => code::SUBSCRIBE,
            RequestType::Unsubscribe => code::UNSUBSCRIBE,
            RequestType::Call => code::CALL,
            RequestType::Register => code::REGISTER,
            RequestType::Unregister => code::UNREGISTER,
            RequestType::Invocation => code::INVOCATION,
        }
    }

    /// The request type of a message code, if ERROR may answer it.
    pub fn from_code(c: u64) -> Option<Self> {
        Some(match c {
            code::PUBLISH => RequestType::Publish,
            code::SUBSCRIBE => RequestType::Subscribe,
            code::UNSUBSCRIBE => RequestType::Unsubscribe,
            code::CALL => RequestType::Call,
            code::REGISTER => RequestType::Register,
            code::UNREGISTER => RequestType::Unregister,
            code::INVOCATION => RequestType::Invocation,
            _ => return None,
        })
    }
}

/// A WAMP v2 message.
///
/// URIs and other strings are carried as [`Str`]s (a URI of up to 24 bytes costs no
/// allocation): the codec checks that they are strings, the session checks URIs a user supplies
/// before sending them. `args`/`kwargs` are empty when the message carried
/// no payload.
///
/// `Debug` never shows AUTHENTICATE's signature (a ticket is a secret).
#[derive(Clone, PartialEq)]
#[allow(missing_docs)] // the fields are named as in the spec
pub enum Message {
    /// `[1, Realm|uri, Details|dict]`
    Hello { realm: Str, details: Dict },
    /// `[2, Session|id, Details|dict]`
    Welcome { session: Id, details: Dict },
    /// `[3, Details|dict, Reason|uri]` (payload accepted on decode, never sent)
    Abort { details: Dict, reason: Str },
    /// `[4, AuthMethod|string, Extra|dict]`
    Challenge { method: Str, extra: Dict },
    /// `[5, Signature|string, Extra|dict]`
    Authenticate { signature: Str, extra: Dict },
    /// `[6, Details|dict, Reason|uri]`
    Goodbye { details: Dict, reason: Str },
    /// `[8, ReqType|int, Request|id, Details|dict, Error|uri, Args?, KwArgs?]`
    Error {
        request_type: RequestType,
        request: Id,
        details: Dict,
        error: Str,
        args: Vec<Value>,
        kwargs: Dict,
    },
    /// `[16, Request|id, Options|dict, Topic|uri, Args?, KwArgs?]`
    Publish {
        request: Id,
        options: Dict,
        topic: Str,
        args: Vec<Value>,
        kwargs: Dict,
    },
    /// `[17, PUBLISH.Request|id, Publication|id]`
    Published { request: Id, publication: Id },
    /// `[32, Request|id, Options|dict, Topic|uri]`
    Subscribe {
        request: Id,
        options: Dict,
        topic: Str,
    },
    /// `[33, SUBSCRIBE.Request|id, Subscription|id]`
    Subscribed { request: Id, subscription: Id },
    /// `[34, Request|id, SUBSCRIBED.Subscription|id]`
    Unsubscribe { request: Id, subscription: Id },
    /// `[35, UNSUBSCRIBE.Request|id]` or, for revocation, `[35, 0, Details|dict]`
    Unsubscribed { request: u64, details: Option<Dict> },
    /// `[36, Subscription|id, Publication|id, Details|dict, Args?, KwArgs?]`
    Event {
        subscription: Id,
        publication: Id,
        details: Dict,
        args: Vec<Value>,
        kwargs: Dict,
    },
    /// `[48, Request|id, Options|dict, Procedure|uri, Args?, KwArgs?]`
    Call {
        request: Id,
        options: Dict,
        procedure: Str,
        args: Vec<Value>,
        kwargs: Dict,
    },
    /// `[49, CALL.Request|id, Options|dict]`
    Cancel { request: Id, options: Dict },
    /// `[50, CALL.Request|id, Details|dict, Args?, KwArgs?]`
    Result {
        request: Id,
        details: Dict,
        args: Vec<Value>,
        kwargs: Dict,
    },
    /// `[64, Request|id, Options|dict, Procedure|uri]`
    Register {
        request: Id,
        options: Dict,
        procedure: Str,
    },
    /// `[65, REGISTER.Request|id, Registration|id]`
    Registered { request: Id, registration: Id },
    /// `[66, Request|id, REGISTERED.Registration|id]`
    Unregister { request: Id, registration: Id },
    /// `[67, UNREGISTER.Request|id]` or, for revocation, `[67, 0, Details|dict]`
    Unregistered { request: u64, details: Option<Dict> },
    /// `[68, Request|id, REGISTERED.Registration|id, Details|dict, Args?, KwArgs?]`
    Invocation {
        request: Id,
        registration: Id,
        details: Dict,
        args: Vec<Value>,
        kwargs: Dict,
    },
    /// `[69, INVOCATION.Request|id, Options|dict]`
    Interrupt { request: Id, options: Dict },
    /// `[70, INVOCATION.Request|id, Options|dict, Args?, KwArgs?]`
    Yield {
        request: Id,
        options: Dict,
        args: Vec<Value>,
        kwargs: Dict,
    },
}

/// `Debug` for every variant as derived, but AUTHENTICATE's signature.
macro_rules! debug_message {
    ($message:expr, $f:expr; $($variant:ident { $($field:ident),* }),* $(,)?) => {
        match $message {
            Message::Authenticate { signature: _, extra } => $f
                .debug_struct("Authenticate")
                .field("signature", &format_args!("<redacted>"))
                .field("extra", extra)
                .finish(),
            $(Message::$variant { $($field),* } => $f
                .debug_struct(stringify!($variant))
                $(.field(stringify!($field), $field))*
                .finish(),)*
        }
    };
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_message!(self, f;
            Hello { realm, details },
            Welcome { session, details },
            Abort { details, reason },
            Challenge { method, extra },
            Goodbye { details, reason },
            Error { request_type, request, details, error, args, kwargs },
            Publish { request, options, topic, args, kwargs },
            Published { request, publication },
            Subscribe { request, options, topic },
            Subscribed { request, subscription },
            Unsubscribe { request, subscription },
            Unsubscribed { request, details },
            Event { subscription, publication, details, args, kwargs },
            Call { request, options, procedure, args, kwargs },
            Cancel { request, options },
            Result { request, details, args, kwargs },
            Register { request, options, procedure },
            Registered { request, registration },
            Unregister { request, registration },
            Unregistered { request, details },
            Invocation { request, registration, details, args, kwargs },
            Interrupt { request, options },
            Yield { request, options, args, kwargs },
        )
    }
}

impl Message {
    /// The ERROR that answers invocation `request` with `error`.
    pub fn invocation_error(request: Id, error: crate::error::WampError) -> Message {
        Message::Error {
            request_type: RequestType::Invocation,
            request,
            details: Dict::new(),
            error: error.uri.into(),
            args: error.args,
            kwargs: error.kwargs,
        }
    }

    /// The message code.
    pub fn code(&self) -> u64 {
        match self {
            Message::Hello { .. } => code::HELLO,
            Message::Welcome { .. } => code::WELCOME,
            Message::Abort { .. } => code::ABORT,
            Message::Challenge { .. } => code::CHALLENGE,
            Message::Authenticate { .. } => code::AUTHENTICATE,
            Message::Goodbye { .. } => code::GOODBYE,
            Message::Error { .. } => code::ERROR,
            Message::Publish { .. } => code::PUBLISH,
            Message::Published { .. } => code::PUBLISHED,
            Message::Subscribe { .. } => code::SUBSCRIBE,
            Message::Subscribed { .. } => code::SUBSCRIBED,
            Message::Unsubscribe { .. } => code::UNSUBSCRIBE,
            Message::Unsubscribed { .. } => code::UNSUBSCRIBED,
            Message::Event { .. } => code::EVENT,
            Message::Call { .. } => code::CALL,
            Message::Cancel { .. } => code::CANCEL,
            Message::Result { .. } => code::RESULT,
            Message::Register { .. } => code::REGISTER,
            Message::Registered { .. } => code::REGISTERED,
            Message::Unregister { .. } => code::UNREGISTER,
            Message::Unregistered { .. } => code::UNREGISTERED,
            Message::Invocation { .. } => code::INVOCATION,
            Message::Interrupt { .. } => code::INTERRUPT,
            Message::Yield { .. } => code::YIELD,
        }
    }

    /// The message name in capitals, as the spec writes it.
    pub fn name(&self) -> &'static str {
        name_of(self.code()).unwrap_or("UNKNOWN")
    }
}

/// The name of a message code.
pub fn name_of(c: u64) -> Option<&'static str> {
    Some(match c {
        code::HELLO => "HELLO",
        code::WELCOME => "WELCOME",
        code::ABORT => "ABORT",
        code::CHALLENGE => "CHALLENGE",
        code::AUTHENTICATE => "AUTHENTICATE",
        code::GOODBYE => "GOODBYE",
        code::ERROR => "ERROR",
        code::PUBLISH => "PUBLISH",
        code::PUBLISHED => "PUBLISHED",
        code::SUBSCRIBE => "SUBSCRIBE",
        code::SUBSCRIBED => "SUBSCRIBED",
        code::UNSUBSCRIBE => "UNSUBSCRIBE",
        code::UNSUBSCRIBED => "UNSUBSCRIBED",
        code::EVENT => "EVENT",
        code::CALL => "CALL",
        code::CANCEL => "CANCEL",
        code::RESULT => "RESULT",
        code::REGISTER => "REGISTER",
        code::REGISTERED => "REGISTERED",
        code::UNREGISTER => "UNREGISTER",
        code::UNREGISTERED => "UNREGISTERED",
        code::INVOCATION => "INVOCATION",
        code::INTERRUPT => "INTERRUPT",
        code::YIELD => "YIELD",
        _ => return None,
    })
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn debug_shows_every_field_but_the_signature_of_authenticate() {
        let m = Message::Authenticate {
            signature: Str::new("ticket-secret-1"),
            extra: Dict::new(),
        };
        let shown = format!("{m:?}");
        assert!(!shown.contains("ticket-secret-1"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        let call = Message::Call {
            request: 7,
            options: Dict::new(),
            procedure: Str::new("com.example.add"),
            args: vec![Value::from(1)],
            kwargs: Dict::new(),
        };
        let shown = format!("{call:?}");
        assert!(shown.starts_with("Call { request: 7"), "{shown}");
        assert!(shown.contains("com.example.add"), "{shown}");
    }
}
