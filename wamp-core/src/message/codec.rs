//! Conversion between a [`Message`] and its wire list `[code, field, ..., Args?, KwArgs?]`.
//!
//! Encoding omits an empty payload: no args and no kwargs stop after the fixed fields, args only
//! append the args, any kwargs append the args (`[]` if empty) and then the kwargs. ABORT is
//! never sent with a payload.
//!
//! Decoding accepts all three payload lengths, explicit `[]`/`{}` and `null` in place of an
//! empty payload, and checks lengths, ids (integers in `1..=2^53`) and field types. It never
//! panics.

use serde::ser::{Serialize, SerializeSeq as _, Serializer};

use super::{code, name_of, Message, RequestType};
use crate::error::ProtocolError;
use crate::id::{Id, MAX_ID};
use crate::value::{Dict, DictRef, ListRef, Str, StrRef, Value};

/// One fixed (non-payload) field of a message.
#[derive(Clone, Copy)]
pub(crate) enum Field<'a> {
    /// A message code, request type or id.
    Int(u64),
    /// A URI or another string.
    Str(&'a str),
    /// Details, options or extra.
    Dict(&'a Dict),
}

/// The most fixed fields a message has, its code included (ERROR).
const MAX_FIXED: usize = 5;

/// A borrowed view of a message in wire order.
pub(crate) struct Parts<'a> {
    fixed: [Field<'a>; MAX_FIXED],
    pub(crate) len: usize,
    pub(crate) payload: Option<(&'a Vec<Value>, &'a Dict)>,
}

impl<'a> Parts<'a> {
    pub(crate) fn fixed(&self) -> impl Iterator<Item = Field<'a>> + '_ {
        self.fixed.iter().take(self.len).copied()
    }

    /// How many payload elements go on the wire: 0, 1 (args) or 2 (args and kwargs).
    pub(crate) fn payload_len(&self) -> usize {
        match self.payload {
            Some((_, kwargs)) if !kwargs.is_empty() => 2,
            Some((args, _)) if !args.is_empty() => 1,
            _ => 0,
        }
    }
}

impl Message {
    pub(crate) fn parts(&self) -> Parts<'_> {
        use Field::{Dict as D, Int as I, Str as S};
        const PAD: Field<'static> = Field::Int(0);
        let c = I(self.code());
        let (fixed, len, payload) = match self {
            Message::Hello { realm, details } => ([c, S(realm), D(details), PAD, PAD], 3, None),
            Message::Welcome { session, details } => {
                ([c, I(*session), D(details), PAD, PAD], 3, None)
            }
            Message::Abort { details, reason } => ([c, D(details), S(reason), PAD, PAD], 3, None),
            Message::Challenge { method, extra } => ([c, S(method), D(extra), PAD, PAD], 3, None),
            Message::Authenticate { signature, extra } => {
                ([c, S(signature), D(extra), PAD, PAD], 3, None)
            }
            Message::Goodbye { details, reason } => ([c, D(details), S(reason), PAD, PAD], 3, None),
            Message::Error {
                request_type,
                request,
                details,
                error,
                args,
                kwargs,
            } => (
                [c, I(request_type.code()), I(*request), D(details), S(error)],
                5,
                Some((args, kwargs)),
            ),
            Message::Publish {
                request,
                options,
                topic,
                args,
                kwargs,
            } => (
                [c, I(*request), D(options), S(topic), PAD],
                4,
                Some((args, kwargs)),
            ),
            Message::Published {
                request,
                publication,
            } => ([c, I(*request), I(*publication), PAD, PAD], 3, None),
            Message::Subscribe {
                request,
                options,
                topic,
            } => ([c, I(*request), D(options), S(topic), PAD], 4, None),
            Message::Subscribed {
                request,
                subscription,
            }
            | Message::Unsubscribe {
                request,
                subscription,
            } => ([c, I(*request), I(*subscription), PAD, PAD], 3, None),
            Message::Unsubscribed { request, details }
            | Message::Unregistered { request, details } => match details {
                Some(d) => ([c, I(*request), D(d), PAD, PAD], 3, None),
                None => ([c, I(*request), PAD, PAD, PAD], 2, None),
            },
            Message::Event {
                subscription,
                publication,
                details,
                args,
                kwargs,
            } => (
                [c, I(*subscription), I(*publication), D(details), PAD],
                4,
                Some((args, kwargs)),
            ),
            Message::Call {
                request,
                options,
                procedure,
                args,
                kwargs,
            } => (
                [c, I(*request), D(options), S(procedure), PAD],
                4,
                Some((args, kwargs)),
            ),
            Message::Cancel { request, options } | Message::Interrupt { request, options } => {
                ([c, I(*request), D(options), PAD, PAD], 3, None)
            }
            Message::Result {
                request,
                details,
                args,
                kwargs,
            } => (
                [c, I(*request), D(details), PAD, PAD],
                3,
                Some((args, kwargs)),
            ),
            Message::Register {
                request,
                options,
                procedure,
            } => ([c, I(*request), D(options), S(procedure), PAD], 4, None),
            Message::Registered {
                request,
                registration,
            }
            | Message::Unregister {
                request,
                registration,
            } => ([c, I(*request), I(*registration), PAD, PAD], 3, None),
            Message::Invocation {
                request,
                registration,
                details,
                args,
                kwargs,
            } => (
                [c, I(*request), I(*registration), D(details), PAD],
                4,
                Some((args, kwargs)),
            ),
            Message::Yield {
                request,
                options,
                args,
                kwargs,
            } => (
                [c, I(*request), D(options), PAD, PAD],
                3,
                Some((args, kwargs)),
            ),
        };
        Parts {
            fixed,
            len,
            payload,
        }
    }

    /// The message as its wire list, e.g. `[48, 1, {}, "com.example.add2", [2, 3]]`.
    ///
    /// The payload is omitted when empty; kwargs without args are sent after an empty args list.
    ///
    /// ```
    /// use wamp_core::{Message, Value};
    ///
    /// let msg = Message::Published { request: 1, publication: 42 };
    /// assert_eq!(msg.to_value(), Value::List(vec![17.into(), 1.into(), 42.into()]));
    /// ```
    pub fn to_value(&self) -> Value {
        let parts = self.parts();
        let mut list = Vec::with_capacity(parts.len + parts.payload_len());
        for f in parts.fixed() {
            list.push(match f {
                Field::Int(i) => Value::from(i),
                Field::Str(s) => Value::String(Str::new(s)),
                Field::Dict(d) => Value::Dict(d.clone()),
            });
        }
        if let Some((args, kwargs)) = parts.payload {
            match parts.payload_len() {
                2 => {
                    list.push(Value::List(args.clone()));
                    list.push(Value::Dict(kwargs.clone()));
                }
                1 => list.push(Value::List(args.clone())),
                _ => {}
            }
        }
        Value::List(list)
    }

    /// Reads a message from its wire list.
    ///
    /// Never panics; any list that is not a valid WAMP v2 message is a [`ProtocolError`]:
    /// [`NotAMessage`](ProtocolError::NotAMessage) when it is not a list starting with an
    /// unsigned integer, [`UnknownCode`](ProtocolError::UnknownCode),
    /// [`WrongLength`](ProtocolError::WrongLength), [`WrongType`](ProtocolError::WrongType) or
    /// [`IdOutOfRange`](ProtocolError::IdOutOfRange).
    ///
    /// ```
    /// use wamp_core::{Message, Value};
    ///
    /// let list = Value::List(vec![17.into(), 1.into(), 42.into()]);
    /// let msg = Message::from_value(list).unwrap();
    /// assert_eq!(msg, Message::Published { request: 1, publication: 42 });
    /// ```
    pub fn from_value(v: Value) -> Result<Message, ProtocolError> {
        let Value::List(items) = v else {
            return Err(ProtocolError::NotAMessage);
        };
        Message::from_elements(items.len(), items)
    }

    /// Reads a message from the `len` elements of its wire list (a decoder that reads the
    /// list element by element need not collect it first). Same checks as
    /// [`Message::from_value`].
    pub fn from_elements(
        len: usize,
        elements: impl IntoIterator<Item = Value>,
    ) -> Result<Message, ProtocolError> {
        let mut it = elements.into_iter();
        let c = match it.next() {
            Some(Value::Int(i)) => u64::try_from(i).map_err(|_| ProtocolError::NotAMessage)?,
            Some(Value::UInt(u)) => u,
            _ => return Err(ProtocolError::NotAMessage),
        };
        let name = name_of(c).ok_or(ProtocolError::UnknownCode(c))?;
        let mut f = Fields { name, it };
        Ok(match c {
            code::HELLO => {
                f.check_len(len, 3, 3, "3")?;
                Message::Hello {
                    realm: f.string("realm")?,
                    details: f.dict("details")?,
                }
            }
            code::WELCOME => {
                f.check_len(len, 3, 3, "3")?;
                Message::Welcome {
                    session: f.id("session")?,
                    details: f.dict("details")?,
                }
            }
            code::ABORT => {
                // A payload is allowed by the spec and ignored here.
                f.check_len(len, 3, 5, "3 to 5")?;
                Message::Abort {
                    details: f.dict("details")?,
                    reason: f.string("reason")?,
                }
            }
            code::CHALLENGE => {
                f.check_len(len, 3, 3, "3")?;
                Message::Challenge {
                    method: f.string("method")?,
                    extra: f.dict("extra")?,
                }
            }
            code::AUTHENTICATE => {
                f.check_len(len, 3, 3, "3")?;
                Message::Authenticate {
                    signature: f.string("signature")?,
                    extra: f.dict("extra")?,
                }
            }
            code::GOODBYE => {
                f.check_len(len, 3, 3, "3")?;
                Message::Goodbye {
                    details: f.dict("details")?,
                    reason: f.string("reason")?,
                }
            }
            code::ERROR => {
                f.check_len(len, 5, 7, "5 to 7")?;
                Message::Error {
                    request_type: f.request_type()?,
                    request: f.id("request")?,
                    details: f.dict("details")?,
                    error: f.string("error")?,
                    args: f.args()?,
                    kwargs: f.kwargs()?,
                }
            }
            code::PUBLISH => {
                f.check_len(len, 4, 6, "4 to 6")?;
                Message::Publish {
                    request: f.id("request")?,
                    options: f.dict("options")?,
                    topic: f.string("topic")?,
                    args: f.args()?,
                    kwargs: f.kwargs()?,
                }
            }
            code::PUBLISHED => {
                f.check_len(len, 3, 3, "3")?;
                Message::Published {
                    request: f.id("request")?,
                    publication: f.id("publication")?,
                }
            }
            code::SUBSCRIBE => {
                f.check_len(len, 4, 4, "4")?;
                Message::Subscribe {
                    request: f.id("request")?,
                    options: f.dict("options")?,
                    topic: f.string("topic")?,
                }
            }
            code::SUBSCRIBED => {
                f.check_len(len, 3, 3, "3")?;
                Message::Subscribed {
                    request: f.id("request")?,
                    subscription: f.id("subscription")?,
                }
            }
            code::UNSUBSCRIBE => {
                f.check_len(len, 3, 3, "3")?;
                Message::Unsubscribe {
                    request: f.id("request")?,
                    subscription: f.id("subscription")?,
                }
            }
            code::UNSUBSCRIBED => {
                let (request, details) = f.unsubscribed(len)?;
                Message::Unsubscribed { request, details }
            }
            code::EVENT => {
                f.check_len(len, 4, 6, "4 to 6")?;
                Message::Event {
                    subscription: f.id("subscription")?,
                    publication: f.id("publication")?,
                    details: f.dict("details")?,
                    args: f.args()?,
                    kwargs: f.kwargs()?,
                }
            }
            code::CALL => {
                f.check_len(len, 4, 6, "4 to 6")?;
                Message::Call {
                    request: f.id("request")?,
                    options: f.dict("options")?,
                    procedure: f.string("procedure")?,
                    args: f.args()?,
                    kwargs: f.kwargs()?,
                }
            }
            code::CANCEL => {
                f.check_len(len, 3, 3, "3")?;
                Message::Cancel {
                    request: f.id("request")?,
                    options: f.dict("options")?,
                }
            }
            code::RESULT => {
                f.check_len(len, 3, 5, "3 to 5")?;
                Message::Result {
                    request: f.id("request")?,
                    details: f.dict("details")?,
                    args: f.args()?,
                    kwargs: f.kwargs()?,
                }
            }
            code::REGISTER => {
                f.check_len(len, 4, 4, "4")?;
                Message::Register {
                    request: f.id("request")?,
                    options: f.dict("options")?,
                    procedure: f.string("procedure")?,
                }
            }
            code::REGISTERED => {
                f.check_len(len, 3, 3, "3")?;
                Message::Registered {
                    request: f.id("request")?,
                    registration: f.id("registration")?,
                }
            }
            code::UNREGISTER => {
                f.check_len(len, 3, 3, "3")?;
                Message::Unregister {
                    request: f.id("request")?,
                    registration: f.id("registration")?,
                }
            }
            code::UNREGISTERED => {
                let (request, details) = f.unsubscribed(len)?;
                Message::Unregistered { request, details }
            }
            code::INVOCATION => {
                f.check_len(len, 4, 6, "4 to 6")?;
                Message::Invocation {
                    request: f.id("request")?,
                    registration: f.id("registration")?,
                    details: f.dict("details")?,
                    args: f.args()?,
                    kwargs: f.kwargs()?,
                }
            }
            code::INTERRUPT => {
                f.check_len(len, 3, 3, "3")?;
                Message::Interrupt {
                    request: f.id("request")?,
                    options: f.dict("options")?,
                }
            }
            code::YIELD => {
                f.check_len(len, 3, 5, "3 to 5")?;
                Message::Yield {
                    request: f.id("request")?,
                    options: f.dict("options")?,
                    args: f.args()?,
                    kwargs: f.kwargs()?,
                }
            }
            _ => return Err(ProtocolError::UnknownCode(c)),
        })
    }

    /// Writes the wire list straight into a serde serializer, without building a [`Value`].
    ///
    /// With `JSON = true`, binary values are written as WAMP's NUL-prefixed base64 strings and
    /// values JSON cannot carry are errors.
    pub(crate) fn serialize_wire<S: Serializer, const JSON: bool>(
        &self,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let parts = self.parts();
        let payload_len = parts.payload_len();
        let mut seq = serializer.serialize_seq(Some(parts.len + payload_len))?;
        for f in parts.fixed() {
            match f {
                Field::Int(i) => seq.serialize_element(&i)?,
                Field::Str(s) => seq.serialize_element(&StrRef::<JSON>(s))?,
                Field::Dict(d) => seq.serialize_element(&DictRef::<JSON>(d))?,
            }
        }
        if let Some((args, kwargs)) = parts.payload {
            if payload_len >= 1 {
                seq.serialize_element(&ListRef::<JSON>(args))?;
            }
            if payload_len == 2 {
                seq.serialize_element(&DictRef::<JSON>(kwargs))?;
            }
        }
        seq.end()
    }
}

impl Serialize for Message {
    /// Writes the wire list (binary values through `serialize_bytes`) without building a
    /// [`Value`] tree.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_wire::<S, false>(serializer)
    }
}

/// The remaining elements of a message being decoded.
struct Fields<I> {
    name: &'static str,
    it: I,
}

impl<I: Iterator<Item = Value>> Fields<I> {
    fn check_len(
        &self,
        len: usize,
        min: usize,
        max: usize,
        expected: &'static str,
    ) -> Result<(), ProtocolError> {
        if (min..=max).contains(&len) {
            Ok(())
        } else {
            Err(ProtocolError::WrongLength {
                message: self.name,
                got: len,
                expected,
            })
        }
    }

    fn wrong_type(&self, field: &'static str, expected: &'static str) -> ProtocolError {
        ProtocolError::WrongType {
            message: self.name,
            field,
            expected,
        }
    }

    /// The next element; lengths are checked before any field is read.
    fn next(&mut self) -> Value {
        self.it.next().unwrap_or_default()
    }

    fn id(&mut self, field: &'static str) -> Result<Id, ProtocolError> {
        let v = self.next();
        self.to_id(v, field)
    }

    fn to_id(&self, v: Value, field: &'static str) -> Result<Id, ProtocolError> {
        let out_of_range = |value: i128| ProtocolError::IdOutOfRange {
            message: self.name,
            field,
            value,
        };
        match v {
            Value::Int(i) => match u64::try_from(i) {
                Ok(u) if (1..=MAX_ID).contains(&u) => Ok(u),
                _ => Err(out_of_range(i.into())),
            },
            Value::UInt(u) => Err(out_of_range(u.into())),
            _ => Err(self.wrong_type(field, "an integer id")),
        }
    }

    fn dict(&mut self, field: &'static str) -> Result<Dict, ProtocolError> {
        match self.next() {
            Value::Dict(d) => Ok(d),
            _ => Err(self.wrong_type(field, "a dict")),
        }
    }

    fn string(&mut self, field: &'static str) -> Result<Str, ProtocolError> {
        match self.next() {
            Value::String(s) => Ok(s),
            _ => Err(self.wrong_type(field, "a string")),
        }
    }

    fn request_type(&mut self) -> Result<RequestType, ProtocolError> {
        self.next()
            .as_u64()
            .and_then(RequestType::from_code)
            .ok_or_else(|| self.wrong_type("request_type", "one of 16, 32, 34, 48, 64, 66 or 68"))
    }

    /// Positional arguments: absent or `null` is empty.
    fn args(&mut self) -> Result<Vec<Value>, ProtocolError> {
        match self.it.next() {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::List(l)) => Ok(l),
            Some(_) => Err(self.wrong_type("args", "a list")),
        }
    }

    /// Keyword arguments: absent or `null` is empty.
    fn kwargs(&mut self) -> Result<Dict, ProtocolError> {
        match self.it.next() {
            None | Some(Value::Null) => Ok(Dict::new()),
            Some(Value::Dict(d)) => Ok(d),
            Some(_) => Err(self.wrong_type("kwargs", "a dict")),
        }
    }

    /// UNSUBSCRIBED and UNREGISTERED: `[code, request]` or, for a revocation,
    /// `[code, 0, details]`.
    fn unsubscribed(&mut self, len: usize) -> Result<(u64, Option<Dict>), ProtocolError> {
        self.check_len(len, 2, 3, "2, or 3 for a revocation")?;
        if len == 2 {
            return Ok((self.id("request")?, None));
        }
        let request = match self.next() {
            Value::Int(0) => 0,
            other => self.to_id(other, "request")?,
        };
        Ok((request, Some(self.dict("details")?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: Vec<Value>) -> Value {
        Value::List(items)
    }

    #[test]
    fn kwargs_without_args_are_sent_after_an_empty_args_list() {
        let mut kwargs = Dict::new();
        kwargs.insert("a".into(), Value::Int(1));
        let msg = Message::Yield {
            request: 3,
            options: Dict::new(),
            args: Vec::new(),
            kwargs: kwargs.clone(),
        };
        assert_eq!(
            msg.to_value(),
            list(vec![
                70.into(),
                3.into(),
                Value::Dict(Dict::new()),
                list(vec![]),
                Value::Dict(kwargs)
            ])
        );
    }

    #[test]
    fn revocation_unsubscribed_keeps_request_zero_and_its_details() {
        let v = list(vec![35.into(), 0.into(), Value::Dict(Dict::new())]);
        assert_eq!(
            Message::from_value(v),
            Ok(Message::Unsubscribed {
                request: 0,
                details: Some(Dict::new())
            })
        );
        let v = list(vec![35.into(), 0.into()]);
        assert!(matches!(
            Message::from_value(v),
            Err(ProtocolError::IdOutOfRange { .. })
        ));
    }

    #[test]
    fn abort_with_payload_is_accepted_and_the_payload_ignored() {
        let v = list(vec![
            3.into(),
            Value::Dict(Dict::new()),
            "wamp.error.no_such_realm".into(),
            list(vec![1.into()]),
        ]);
        assert_eq!(
            Message::from_value(v),
            Ok(Message::Abort {
                details: Dict::new(),
                reason: "wamp.error.no_such_realm".into()
            })
        );
    }
}
