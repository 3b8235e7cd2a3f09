//! Reading `Options` and `Details` dictionaries of client messages.
//!
//! A key the spec defines but with a value of the wrong type is a protocol violation (as in
//! Autobahn's message parsing, which Crossbar.io uses); unknown keys are ignored.

use wamp_core::id::Id;
use wamp_core::message::RequestType;
use wamp_core::uri::MatchPolicy;
use wamp_core::{Dict, Message, Str, Value};

/// A protocol violation: the ABORT message.
pub(crate) type Violation = String;

/// `options[key]` as a boolean; absent is `None`.
pub(crate) fn flag(options: &Dict, key: &str) -> Result<Option<bool>, Violation> {
    match options.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(format!("option {key:?} must be a boolean")),
    }
}

/// `options[key]` as a string; absent is `None`.
pub(crate) fn string<'a>(options: &'a Dict, key: &str) -> Result<Option<&'a str>, Violation> {
    match options.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("option {key:?} must be a string")),
    }
}

/// `options.match`: exact (the default), prefix or wildcard.
pub(crate) fn match_policy(options: &Dict) -> Result<MatchPolicy, Violation> {
    match string(options, "match")? {
        None => Ok(MatchPolicy::Exact),
        Some(m) => MatchPolicy::from_name(m).ok_or_else(|| format!("invalid match policy {m:?}")),
    }
}

/// `options[key]` as a list of ids; absent is `None`.
pub(crate) fn id_list(options: &Dict, key: &str) -> Result<Option<Vec<Id>>, Violation> {
    match options.get(key) {
        None => Ok(None),
        Some(Value::List(l)) => l
            .iter()
            .map(|v| {
                v.as_u64()
                    .ok_or_else(|| format!("option {key:?} must be a list of session ids"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!("option {key:?} must be a list of session ids")),
    }
}

/// `options[key]` as a list of strings; absent is `None`.
pub(crate) fn str_list(options: &Dict, key: &str) -> Result<Option<Vec<Str>>, Violation> {
    match options.get(key) {
        None => Ok(None),
        Some(Value::List(l)) => l
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(format!("option {key:?} must be a list of strings")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!("option {key:?} must be a list of strings")),
    }
}

/// `options[key]` as a non-negative integer; absent is `None`.
pub(crate) fn uint(options: &Dict, key: &str) -> Result<Option<u64>, Violation> {
    match options.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("option {key:?} must be a non-negative integer")),
    }
}

/// `text` cut to at most 100 bytes (at a character boundary), for messages that quote what a
/// client sent.
pub(crate) fn clip(text: &str) -> &str {
    if text.len() <= 100 {
        return text;
    }
    let mut end = 100;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An ERROR message with a human readable message as its only argument (as Crossbar.io
/// sends them).
pub(crate) fn error(
    request_type: RequestType,
    request: Id,
    uri: &str,
    message: impl Into<String>,
) -> Message {
    Message::Error {
        request_type,
        request,
        details: Dict::new(),
        error: Str::new(uri),
        args: vec![Value::from(message.into())],
        kwargs: Dict::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_of_the_wrong_type_is_a_violation() {
        let d = Dict::from([("acknowledge", Value::Int(1))]);
        assert!(flag(&d, "acknowledge").is_err());
        assert_eq!(flag(&Dict::new(), "acknowledge"), Ok(None));
    }

    #[test]
    fn an_unknown_match_policy_is_a_violation() {
        let d = Dict::from([("match", Value::from("regex"))]);
        assert!(match_policy(&d).is_err());
        assert_eq!(match_policy(&Dict::new()), Ok(MatchPolicy::Exact));
    }

    #[test]
    fn clipped_text_stays_short_and_valid() {
        let long = "é".repeat(100);
        let c = clip(&long);
        assert!(c.len() <= 100);
        assert!(long.starts_with(c));
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn id_lists_reject_negative_numbers() {
        let d = Dict::from([("eligible", Value::List(vec![Value::Int(-1)]))]);
        assert!(id_list(&d, "eligible").is_err());
    }
}
