//! [`Str`]: the string of WAMP values and dictionary keys.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use compact_str::CompactString;

/// An immutable-by-default UTF-8 string that keeps up to 24 bytes inline, without a heap
/// allocation.
///
/// Most strings in WAMP messages are short: dictionary keys (`callee_authid`, `disclose_me`),
/// roles, match policies, many values. Decoding them as `Str` costs no allocation, which is
/// most of what a message's decoding used to cost. It derefs to `str` and converts from and
/// into `String`.
///
/// ```
/// use wamp_core::value::{Str, Value};
///
/// let s = Str::from("callee_authrole");
/// assert_eq!(s, "callee_authrole");
/// assert_eq!(s.len(), 15);
/// let v = Value::String("two".into());
/// assert_eq!(v.as_str(), Some("two"));
/// let owned: String = s.into();
/// assert_eq!(owned, "callee_authrole");
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(CompactString);

impl Str {
    /// A string of `text`.
    pub fn new(text: &str) -> Self {
        Str(CompactString::new(text))
    }

    /// A string of a `'static` text, usable in constants (a long text is borrowed, not copied).
    pub const fn from_static(text: &'static str) -> Self {
        Str(CompactString::const_new(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The text as a `String` (allocates when it was kept inline).
    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    /// Whether the text is kept on the heap (longer than 24 bytes).
    pub fn is_heap_allocated(&self) -> bool {
        self.0.is_heap_allocated()
    }
}

impl Deref for Str {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl From<&str> for Str {
    fn from(text: &str) -> Self {
        Str::new(text)
    }
}

impl From<&String> for Str {
    fn from(text: &String) -> Self {
        Str::new(text)
    }
}

impl From<String> for Str {
    /// Keeps a short text inline (the `String`'s buffer is freed) and a long one in the
    /// `String`'s own buffer.
    fn from(text: String) -> Self {
        Str(CompactString::from(text))
    }
}

impl From<Box<str>> for Str {
    fn from(text: Box<str>) -> Self {
        Str(CompactString::from(text))
    }
}

impl From<char> for Str {
    fn from(c: char) -> Self {
        Str(CompactString::from(c.encode_utf8(&mut [0; 4]) as &str))
    }
}

impl From<Str> for String {
    fn from(s: Str) -> Self {
        s.into_string()
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Str> for str {
    fn eq(&self, other: &Str) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Str> for &str {
    fn eq(&self, other: &Str) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Str> for String {
    fn eq(&self, other: &Str) -> bool {
        self == other.as_str()
    }
}

impl std::str::FromStr for Str {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Str::new(s))
    }
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Str {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Str;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Str, E> {
                Ok(Str::new(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Str, E> {
                Ok(Str::from(v))
            }
        }
        deserializer.deserialize_string(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::Str;

    #[test]
    fn short_texts_stay_inline_and_long_ones_go_to_the_heap() {
        assert!(!Str::from("callee_authrole").is_heap_allocated());
        assert!(!Str::from("x".repeat(24)).is_heap_allocated());
        assert!(Str::from("x".repeat(25)).is_heap_allocated());
        assert_eq!(Str::from("x".repeat(25)), "x".repeat(25));
    }

    #[test]
    fn compares_and_orders_as_its_text() {
        let mut v = vec![Str::from("b"), Str::from("a"), Str::from("ab")];
        v.sort();
        assert_eq!(v, ["a", "ab", "b"]);
        assert_eq!(Str::from('é'), "é");
        assert_eq!(
            format!("{:?} {}", Str::from("q\""), Str::from("q")),
            "\"q\\\"\" q"
        );
    }
}
