//! WAMP URIs: validation, pattern matching, and the predefined error and close URIs.
//!
//! The rules live in the dependency-free crate [`wamp_uri`] (so that `wamp-macros` can check
//! URIs at compile time without building this crate); they are re-exported here, beside the
//! [`Uri`] newtype, which serializes as a string.
//!
//! ```
//! use wamp_core::uri::{self, MatchPolicy, Uri};
//!
//! assert!(Uri::new("com.example.add2").is_ok());
//! assert!(Uri::new("com..add2").is_err());
//! assert!(uri::validate("com.example..evt", MatchPolicy::Wildcard, false).is_ok());
//! assert!(uri::matches("com.example..evt", MatchPolicy::Wildcard, "com.example.x.evt"));
//! ```

use std::fmt;

pub use wamp_uri::{
    close_uri, error_uri, is_reserved, matches, validate, validate_realm, InvalidUri, MatchPolicy,
};

/// A URI checked against the loose rule (or the strict one) with no empty components: a
/// procedure, topic, error or reason.
///
/// ```
/// use wamp_core::uri::Uri;
///
/// let uri = Uri::new("com.example.add2").unwrap();
/// assert_eq!(uri.as_str(), "com.example.add2");
/// assert!(Uri::strict("com.example.Add2").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uri(String);

impl Uri {
    /// Checks `uri` against the loose rule: no empty components, no whitespace or `#`.
    pub fn new(uri: impl Into<String>) -> Result<Uri, InvalidUri> {
        let uri = uri.into();
        validate(&uri, MatchPolicy::Exact, false)?;
        Ok(Uri(uri))
    }

    /// Checks `uri` against the strict rule: components of lowercase ASCII letters, digits and
    /// `_` only.
    pub fn strict(uri: impl Into<String>) -> Result<Uri, InvalidUri> {
        let uri = uri.into();
        validate(&uri, MatchPolicy::Exact, true)?;
        Ok(Uri(uri))
    }

    /// The URI as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URI as a `String`.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether the URI is in the reserved `wamp.` namespace; see [`is_reserved`].
    pub fn is_reserved(&self) -> bool {
        is_reserved(&self.0)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Uri {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Uri {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<Uri> for String {
    fn from(uri: Uri) -> String {
        uri.0
    }
}

impl TryFrom<String> for Uri {
    type Error = InvalidUri;

    fn try_from(s: String) -> Result<Uri, InvalidUri> {
        Uri::new(s)
    }
}

impl TryFrom<&str> for Uri {
    type Error = InvalidUri;

    fn try_from(s: &str) -> Result<Uri, InvalidUri> {
        Uri::new(s)
    }
}

impl std::str::FromStr for Uri {
    type Err = InvalidUri;

    fn from_str(s: &str) -> Result<Uri, InvalidUri> {
        Uri::new(s)
    }
}

impl PartialEq<str> for Uri {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Uri {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl serde::Serialize for Uri {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Uri {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Uri, D::Error> {
        let s = String::deserialize(deserializer)?;
        Uri::new(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_checks_the_loose_rule_and_strict_checks_the_strict_one() {
        assert_eq!(Uri::new("com.example.add2").unwrap(), "com.example.add2");
        assert!(Uri::new("com.Example.add-2").is_ok());
        let err = Uri::new("com..x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid uri \"com..x\": components may not be empty"
        );
        assert!(Uri::strict("com.example.add2").is_ok());
        let err = Uri::strict("com.X").unwrap_err();
        assert!(err.to_string().contains("strict rule"));
    }

    #[test]
    fn uris_in_the_wamp_namespace_are_reserved() {
        assert!(Uri::new(error_uri::CANCELED).unwrap().is_reserved());
        assert!(Uri::strict(close_uri::NORMAL).unwrap().is_reserved());
        assert!(!Uri::new("com.wamp.x").unwrap().is_reserved());
    }

    #[test]
    fn uris_convert_to_and_from_strings() {
        let uri: Uri = "com.example.x".parse().unwrap();
        assert_eq!(uri, "com.example.x");
        assert_eq!(String::from(uri.clone()), "com.example.x");
        assert!(Uri::try_from("com. x").is_err());
        let v = crate::value::to_value(&uri).unwrap();
        assert_eq!(v, crate::Value::String("com.example.x".into()));
        let back: Uri = crate::value::from_value(v).unwrap();
        assert_eq!(back, uri);
        assert!(crate::value::from_value::<Uri>(crate::Value::String("a..b".into())).is_err());
    }
}
