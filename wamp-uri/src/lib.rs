//! The rules of WAMP URIs, with no dependencies: validation, pattern matching, and the
//! predefined error and close URIs.
//!
//! ```
//! use wamp_uri::{error_uri, is_reserved, matches, validate, validate_realm, MatchPolicy};
//!
//! // A procedure or topic: every component present, no whitespace or '#'.
//! assert!(validate("com.example.add2", MatchPolicy::Exact, false).is_ok());
//! let err = validate("com..add2", MatchPolicy::Exact, false).unwrap_err();
//! assert_eq!(err.to_string(), "invalid uri \"com..add2\": components may not be empty");
//!
//! // The strict rule: lowercase ASCII letters, digits and '_' only.
//! assert!(validate("com.Example.add2", MatchPolicy::Exact, true).is_err());
//!
//! // Patterns: a wildcard's empty component matches any one component.
//! assert!(validate("com.example..evt", MatchPolicy::Wildcard, false).is_ok());
//! assert!(matches("com.example..evt", MatchPolicy::Wildcard, "com.example.x.evt"));
//! assert!(matches("com.example.", MatchPolicy::Prefix, "com.example.x.y"));
//!
//! // Realm names, and the namespace reserved for the protocol.
//! assert!(validate_realm("realm1").is_ok());
//! assert!(is_reserved(error_uri::NO_SUCH_PROCEDURE));
//! ```
//!
//! A URI is a sequence of components separated by `.`. A component may contain no `.`, no `#`
//! (reserved for routers) and no whitespace. The *loose* rule is what the spec requires; the
//! *strict* rule (lowercase ASCII letters, digits and `_` only) is what it recommends. Which
//! components may be empty depends on how the URI is matched:
//!
//! | [`MatchPolicy`] | empty components | loose regex (from the spec and autobahn) |
//! |---|---|---|
//! | `Exact` | none | `^([^\s\.#]+\.)*([^\s\.#]+)$` |
//! | `Prefix` | the last one only | `^([^\s\.#]+\.)*([^\s\.#]*)$` |
//! | `Wildcard` | any | `^(([^\s\.#]+\.)\|\.)*([^\s\.#]+)?$` |
//!
//! `wamp-core` re-exports everything here as `wamp_core::uri`, beside its `Uri` newtype; the
//! attribute macros of `wamp-macros` check URIs at compile time with these same rules.

use std::fmt;

/// Predefined error URIs (`wamp.error.*`), used in ERROR and ABORT messages.
pub mod error_uri {
    /// A realm, topic, procedure or reason URI is malformed.
    pub const INVALID_URI: &str = "wamp.error.invalid_uri";
    /// No registration matches the called procedure.
    pub const NO_SUCH_PROCEDURE: &str = "wamp.error.no_such_procedure";
    /// REGISTER refused: the procedure is already registered (policy `single` or a different
    /// policy).
    pub const PROCEDURE_ALREADY_EXISTS: &str = "wamp.error.procedure_already_exists";
    /// REGISTER refused because of a different invocation policy (autobahn only).
    pub const PROCEDURE_EXISTS_WITH_DIFFERENT_INVOCATION_POLICY: &str =
        "wamp.error.procedure_exists_with_different_invocation_policy";
    /// UNREGISTER of an unknown registration, or a meta API lookup of one.
    pub const NO_SUCH_REGISTRATION: &str = "wamp.error.no_such_registration";
    /// UNSUBSCRIBE of an unknown subscription, or a meta API lookup of one.
    pub const NO_SUCH_SUBSCRIPTION: &str = "wamp.error.no_such_subscription";
    /// The callee rejects the arguments, or the router's payload validation fails.
    pub const INVALID_ARGUMENT: &str = "wamp.error.invalid_argument";
    /// The call was canceled, or the callee left.
    pub const CANCELED: &str = "wamp.error.canceled";
    /// A message exceeds the transport's size limit.
    pub const PAYLOAD_SIZE_EXCEEDED: &str = "wamp.error.payload_size_exceeded";
    /// The ABORT reason for a protocol error.
    pub const PROTOCOL_VIOLATION: &str = "wamp.error.protocol_violation";
    /// The action is not allowed.
    pub const NOT_AUTHORIZED: &str = "wamp.error.not_authorized";
    /// The authorizer failed (a technical error, not a refusal).
    pub const AUTHORIZATION_FAILED: &str = "wamp.error.authorization_failed";
    /// The action is denied (Advanced Profile).
    pub const AUTHORIZATION_DENIED: &str = "wamp.error.authorization_denied";
    /// The action needs authorization (Advanced Profile).
    pub const AUTHORIZATION_REQUIRED: &str = "wamp.error.authorization_required";
    /// The realm does not exist.
    pub const NO_SUCH_REALM: &str = "wamp.error.no_such_realm";
    /// The authrole does not exist.
    pub const NO_SUCH_ROLE: &str = "wamp.error.no_such_role";
    /// The authid does not exist.
    pub const NO_SUCH_PRINCIPAL: &str = "wamp.error.no_such_principal";
    /// None of the offered authentication methods is accepted.
    pub const NO_MATCHING_AUTH_METHOD: &str = "wamp.error.no_matching_auth_method";
    /// Autobahn's name for [`NO_MATCHING_AUTH_METHOD`].
    pub const NO_AUTH_METHOD: &str = "wamp.error.no_auth_method";
    /// The credentials are wrong.
    pub const AUTHENTICATION_DENIED: &str = "wamp.error.authentication_denied";
    /// Authentication failed for a technical reason.
    pub const AUTHENTICATION_FAILED: &str = "wamp.error.authentication_failed";
    /// Anonymous access is refused.
    pub const AUTHENTICATION_REQUIRED: &str = "wamp.error.authentication_required";
    /// The call timed out.
    pub const TIMEOUT: &str = "wamp.error.timeout";
    /// An option is refused.
    pub const OPTION_NOT_ALLOWED: &str = "wamp.error.option_not_allowed";
    /// The `disclose_me` option is refused.
    pub const OPTION_DISALLOWED_DISCLOSE_ME: &str = "wamp.error.option_disallowed.disclose_me";
    /// A router-side network failure.
    pub const NETWORK_FAILURE: &str = "wamp.error.network_failure";
    /// Call rerouting: this callee is busy.
    pub const UNAVAILABLE: &str = "wamp.error.unavailable";
    /// Call rerouting: every callee is busy.
    pub const NO_AVAILABLE_CALLEE: &str = "wamp.error.no_available_callee";
    /// The callee cannot handle a feature the CALL uses.
    pub const FEATURE_NOT_SUPPORTED: &str = "wamp.error.feature_not_supported";
    /// The session meta API names an unknown session.
    pub const NO_SUCH_SESSION: &str = "wamp.error.no_such_session";
    /// A callee failed with something other than an application error (autobahn).
    pub const RUNTIME_ERROR: &str = "wamp.error.runtime_error";
    /// A result could not be serialized (autobahn).
    pub const INVALID_PAYLOAD: &str = "wamp.error.invalid_payload";
    /// The arguments do not match the handler's signature (autobahn).
    pub const TYPE_CHECK_ERROR: &str = "wamp.error.type_check_error";
    /// No callee is eligible for the call (autobahn).
    pub const NO_ELIGIBLE_CALLEE: &str = "wamp.error.no_eligible_callee";
    /// The client cannot answer the router's CHALLENGE (autobahn, sent in ABORT).
    pub const CANNOT_AUTHENTICATE: &str = "wamp.error.cannot_authenticate";
}

/// Predefined close reasons (`wamp.close.*`), used in GOODBYE and ABORT messages.
pub mod close_uri {
    /// A normal close; what we send when leaving.
    pub const NORMAL: &str = "wamp.close.normal";
    /// The router is shutting down.
    pub const SYSTEM_SHUTDOWN: &str = "wamp.close.system_shutdown";
    /// The router closes the realm.
    pub const CLOSE_REALM: &str = "wamp.close.close_realm";
    /// The reply to a GOODBYE.
    pub const GOODBYE_AND_OUT: &str = "wamp.close.goodbye_and_out";
    /// The session was killed through the meta API.
    pub const KILLED: &str = "wamp.close.killed";
    /// The transport was lost; local only, never sent.
    pub const TRANSPORT_LOST: &str = "wamp.close.transport_lost";
}

/// How a subscription or registration matches URIs (`Options.match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MatchPolicy {
    /// The URI must be equal (the default).
    #[default]
    Exact,
    /// The URI must start with the pattern, as a plain string prefix.
    Prefix,
    /// Empty pattern components match any one component; the component counts must be equal.
    Wildcard,
}

impl MatchPolicy {
    /// The wire name: `exact`, `prefix` or `wildcard`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchPolicy::Exact => "exact",
            MatchPolicy::Prefix => "prefix",
            MatchPolicy::Wildcard => "wildcard",
        }
    }

    /// The policy of a wire name, if it is one of `exact`, `prefix` or `wildcard`.
    ///
    /// ```
    /// use wamp_uri::MatchPolicy;
    /// assert_eq!(MatchPolicy::from_name("prefix"), Some(MatchPolicy::Prefix));
    /// assert_eq!(MatchPolicy::from_name("regex"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "exact" => Some(MatchPolicy::Exact),
            "prefix" => Some(MatchPolicy::Prefix),
            "wildcard" => Some(MatchPolicy::Wildcard),
            _ => None,
        }
    }
}

impl fmt::Display for MatchPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A URI or realm name that breaks the rules.
///
/// ```
/// let err = wamp_uri::validate("com.my app", wamp_uri::MatchPolicy::Exact, false).unwrap_err();
/// assert_eq!(err.uri, "com.my app");
/// assert_eq!(
///     err.to_string(),
///     "invalid uri \"com.my app\": components may not hold whitespace or '#'"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUri {
    /// The offending URI.
    pub uri: String,
    /// The rule it breaks.
    pub rule: &'static str,
}

impl fmt::Display for InvalidUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid uri {:?}: {}", self.uri, self.rule)
    }
}

impl std::error::Error for InvalidUri {}

impl InvalidUri {
    fn new(uri: &str, rule: &'static str) -> Self {
        InvalidUri {
            uri: uri.to_owned(),
            rule,
        }
    }
}

/// Whitespace as Python's `\s` sees it: Unicode whitespace plus the information separators
/// U+001C to U+001F, so we agree with the spec's regexes as autobahn runs them.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn loose_char(c: char) -> bool {
    c != '.' && c != '#' && !is_space(c)
}

fn strict_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

/// Checks a URI against the loose (`strict = false`) or strict rule for a match policy.
///
/// - [`MatchPolicy::Exact`]: no empty components, so the empty string is invalid.
/// - [`MatchPolicy::Prefix`]: only the last component may be empty (`com.example.` is valid).
/// - [`MatchPolicy::Wildcard`]: any component may be empty (`com..evt`).
///
/// ```
/// use wamp_uri::{validate, MatchPolicy};
///
/// assert!(validate("com.example.add2", MatchPolicy::Exact, true).is_ok());
/// assert!(validate("com.Example.add2", MatchPolicy::Exact, true).is_err());
/// assert!(validate("com.example.", MatchPolicy::Prefix, false).is_ok());
/// assert!(validate("com..add2", MatchPolicy::Exact, false).is_err());
/// ```
pub fn validate(uri: &str, policy: MatchPolicy, strict: bool) -> Result<(), InvalidUri> {
    if valid_ascii(uri.as_bytes(), policy, strict) {
        return Ok(());
    }
    validate_chars(uri, policy, strict)
}

/// The fast path of [`validate`], one pass over the bytes: true when `uri` is ASCII and valid.
/// Anything else (non-ASCII, or invalid) goes to [`validate_chars`], which explains the error.
fn valid_ascii(uri: &[u8], policy: MatchPolicy, strict: bool) -> bool {
    let mut component_len = 0usize;
    for &b in uri {
        if b == b'.' {
            let empty_ok = match policy {
                MatchPolicy::Exact | MatchPolicy::Prefix => false,
                MatchPolicy::Wildcard => true,
            };
            if component_len == 0 && !empty_ok {
                return false;
            }
            component_len = 0;
            continue;
        }
        let ok = if strict {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'
        } else {
            // The ASCII characters `is_space` refuses, and '#'.
            b.is_ascii() && !matches!(b, b'#' | b' ' | b'\t'..=b'\r' | 0x1c..=0x1f)
        };
        if !ok {
            return false;
        }
        component_len += 1;
    }
    // The last component: empty only for a prefix or a wildcard pattern.
    component_len > 0 || policy != MatchPolicy::Exact
}

fn validate_chars(uri: &str, policy: MatchPolicy, strict: bool) -> Result<(), InvalidUri> {
    let allowed: fn(char) -> bool = if strict { strict_char } else { loose_char };
    let bad_char = if strict {
        "components may hold only lowercase letters, digits and '_' (strict rule)"
    } else {
        "components may not hold whitespace or '#'"
    };
    let mut components = uri.split('.').peekable();
    while let Some(component) = components.next() {
        let last = components.peek().is_none();
        if component.is_empty() {
            let empty_ok = match policy {
                MatchPolicy::Exact => false,
                MatchPolicy::Prefix => last,
                MatchPolicy::Wildcard => true,
            };
            if !empty_ok {
                return Err(InvalidUri::new(
                    uri,
                    match policy {
                        MatchPolicy::Prefix => "only the last component of a prefix may be empty",
                        _ => "components may not be empty",
                    },
                ));
            }
        } else if !component.chars().all(allowed) {
            return Err(InvalidUri::new(uri, bad_char));
        }
    }
    Ok(())
}

/// Checks a realm name: `^[A-Za-z][A-Za-z\d_\-@\.]{2,254}$` (as autobahn does), with ASCII
/// digits only.
///
/// ```
/// use wamp_uri::validate_realm;
///
/// assert!(validate_realm("realm1").is_ok());
/// assert!(validate_realm("1realm").is_err());
/// assert!(validate_realm("ab").is_err());
/// ```
pub fn validate_realm(realm: &str) -> Result<(), InvalidUri> {
    const RULE: &str = "a realm starts with a letter and holds 3 to 255 ascii letters, digits, \
                        '_', '-', '@' or '.'";
    let mut chars = realm.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@' | '.'));
    // All accepted characters are ASCII, so the byte length is the character count.
    if first_ok && rest_ok && (3..=255).contains(&realm.len()) {
        Ok(())
    } else {
        Err(InvalidUri::new(realm, RULE))
    }
}

/// Whether `uri` starts with the component `wamp`, which is reserved for the protocol:
/// applications must not register, subscribe or publish there.
///
/// ```
/// assert!(wamp_uri::is_reserved("wamp.session.count"));
/// assert!(!wamp_uri::is_reserved("wampx.app"));
/// ```
pub fn is_reserved(uri: &str) -> bool {
    uri.split('.').next() == Some("wamp")
}

/// Whether a concrete `uri` matches a subscription or registration `pattern` under `policy`.
///
/// - [`MatchPolicy::Exact`]: equal strings.
/// - [`MatchPolicy::Prefix`]: a plain string prefix, so `com.a.obj1` matches `com.a.obj1.x`
///   and also `com.a.obj1-sub`.
/// - [`MatchPolicy::Wildcard`]: the same number of components, and every non-empty pattern
///   component equal to the URI's.
///
/// ```
/// use wamp_uri::{matches, MatchPolicy};
///
/// assert!(matches("com.myapp..evt", MatchPolicy::Wildcard, "com.myapp.x.evt"));
/// assert!(!matches("com.myapp..evt", MatchPolicy::Wildcard, "com.myapp.x.evt.y"));
/// assert!(matches("com.a.obj1", MatchPolicy::Prefix, "com.a.obj1-sub"));
/// ```
pub fn matches(pattern: &str, policy: MatchPolicy, uri: &str) -> bool {
    match policy {
        MatchPolicy::Exact => pattern == uri,
        MatchPolicy::Prefix => uri.starts_with(pattern),
        MatchPolicy::Wildcard => {
            let mut p = pattern.split('.');
            let mut u = uri.split('.');
            loop {
                match (p.next(), u.next()) {
                    (None, None) => return true,
                    (Some(pc), Some(uc)) => {
                        if !pc.is_empty() && pc != uc {
                            return false;
                        }
                    }
                    _ => return false,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_agrees_with_the_character_rules_on_every_short_ascii_uri() {
        let alphabet = [b'a', b'.', b'#', b'_', b' ', b'Z', b'1', 0x0b, 0x1c, b'-'];
        let mut uris: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=4 {
            let mut next = Vec::new();
            for u in uris.iter().filter(|u| u.len() == len - 1) {
                for &c in &alphabet {
                    let mut v = u.clone();
                    v.push(c);
                    next.push(v);
                }
            }
            uris.extend(next);
        }
        for uri in &uris {
            let text = std::str::from_utf8(uri).unwrap();
            for policy in [
                MatchPolicy::Exact,
                MatchPolicy::Prefix,
                MatchPolicy::Wildcard,
            ] {
                for strict in [false, true] {
                    assert_eq!(
                        valid_ascii(uri, policy, strict),
                        validate_chars(text, policy, strict).is_ok(),
                        "{text:?} {policy:?} strict={strict}"
                    );
                }
            }
        }
    }

    fn loose(uri: &str, policy: MatchPolicy) -> bool {
        validate(uri, policy, false).is_ok()
    }

    fn strict(uri: &str, policy: MatchPolicy) -> bool {
        validate(uri, policy, true).is_ok()
    }

    #[test]
    fn exact_uris_need_every_component() {
        use MatchPolicy::Exact;
        assert!(loose("com.myapp.topic1", Exact));
        assert!(loose("a", Exact));
        assert!(loose("com.MyApp.Topic-1", Exact));
        assert!(loose("com.myapp.ünïcode", Exact));
        assert!(!loose("", Exact));
        assert!(!loose(".", Exact));
        assert!(!loose("com..topic", Exact));
        assert!(!loose(".com.topic", Exact));
        assert!(!loose("com.topic.", Exact));
    }

    #[test]
    fn whitespace_and_hash_are_never_allowed_in_a_component() {
        for policy in [
            MatchPolicy::Exact,
            MatchPolicy::Prefix,
            MatchPolicy::Wildcard,
        ] {
            assert!(!loose("com.my app", policy));
            assert!(!loose("com.my\tapp", policy));
            assert!(!loose("com.my\u{a0}app", policy));
            assert!(!loose("com.my\u{2003}app", policy));
            assert!(!loose("com.my\u{1f}app", policy));
            assert!(!loose("com.my#app", policy));
            assert!(!loose("com.myapp\n", policy));
        }
    }

    #[test]
    fn prefix_uris_may_end_with_an_empty_component() {
        use MatchPolicy::Prefix;
        assert!(loose("com.myapp.", Prefix));
        assert!(loose("com.myapp", Prefix));
        assert!(loose("", Prefix));
        assert!(!loose("com..myapp", Prefix));
        assert!(!loose(".myapp", Prefix));
        assert!(!loose("com.myapp..", Prefix));
    }

    #[test]
    fn wildcard_uris_may_have_any_empty_component() {
        use MatchPolicy::Wildcard;
        assert!(loose("com.myapp..evt", Wildcard));
        assert!(loose(".myapp.", Wildcard));
        assert!(loose("..", Wildcard));
        assert!(loose("", Wildcard));
        assert!(!loose("com.my app..evt", Wildcard));
    }

    #[test]
    fn strict_uris_hold_only_lowercase_letters_digits_and_underscores() {
        assert!(strict("com.myapp.topic_1", MatchPolicy::Exact));
        assert!(!strict("com.myApp.topic", MatchPolicy::Exact));
        assert!(!strict("com.my-app.topic", MatchPolicy::Exact));
        assert!(!strict("com.myapp.ü", MatchPolicy::Exact));
        assert!(strict("com.myapp.", MatchPolicy::Prefix));
        assert!(strict("com..topic", MatchPolicy::Wildcard));
        assert!(!strict("com..Topic", MatchPolicy::Wildcard));
    }

    #[test]
    fn invalid_uri_messages_name_the_uri_and_the_rule() {
        let err = validate("com..x", MatchPolicy::Exact, false).unwrap_err();
        assert_eq!(err.uri, "com..x");
        assert_eq!(
            err.to_string(),
            "invalid uri \"com..x\": components may not be empty"
        );
        let err = validate("com.X", MatchPolicy::Exact, true).unwrap_err();
        assert!(err.to_string().starts_with("invalid uri \"com.X\": "));
        assert!(err.to_string().contains("strict rule"));
    }

    #[test]
    fn an_invalid_uri_is_a_std_error_without_a_source() {
        let err: Box<dyn std::error::Error> =
            validate("", MatchPolicy::Exact, false).unwrap_err().into();
        assert!(err.source().is_none());
        assert_eq!(
            err.to_string(),
            "invalid uri \"\": components may not be empty"
        );
    }

    #[test]
    fn realm_names_follow_the_autobahn_rule() {
        assert!(validate_realm("realm1").is_ok());
        assert!(validate_realm("my.realm-1_@x").is_ok());
        assert!(validate_realm("abc").is_ok());
        assert!(validate_realm(&("a".to_owned() + &"b".repeat(254))).is_ok());
        assert!(validate_realm(&("a".to_owned() + &"b".repeat(255))).is_err());
        assert!(validate_realm("ab").is_err());
        assert!(validate_realm("").is_err());
        assert!(validate_realm("1realm").is_err());
        assert!(validate_realm("_realm").is_err());
        assert!(validate_realm("realm one").is_err());
        assert!(validate_realm("réalm").is_err());
        assert!(validate_realm("realm#1").is_err());
    }

    #[test]
    fn prefix_matching_is_a_plain_string_prefix() {
        use MatchPolicy::Prefix;
        assert!(matches("com.a.obj1", Prefix, "com.a.obj1"));
        assert!(matches("com.a.obj1", Prefix, "com.a.obj1.x"));
        assert!(matches("com.a.obj1", Prefix, "com.a.obj1-sub"));
        assert!(!matches("com.a.obj1", Prefix, "com.a.obj"));
        assert!(matches("", Prefix, "anything"));
    }

    #[test]
    fn wildcard_matching_needs_the_same_component_count() {
        use MatchPolicy::Wildcard;
        assert!(matches("com.myapp..evt", Wildcard, "com.myapp.x.evt"));
        assert!(matches("com.myapp..evt", Wildcard, "com.myapp.y.evt"));
        assert!(!matches("com.myapp..evt", Wildcard, "com.myapp.x.evt.y"));
        assert!(!matches("com.myapp..evt", Wildcard, "com.myapp.evt"));
        assert!(!matches("com.myapp..evt", Wildcard, "com.other.x.evt"));
        assert!(matches("..", Wildcard, "a.b.c"));
        assert!(matches("a.b", Wildcard, "a.b"));
    }

    #[test]
    fn exact_matching_compares_whole_strings() {
        assert!(matches("com.a", MatchPolicy::Exact, "com.a"));
        assert!(!matches("com.a", MatchPolicy::Exact, "com.a.b"));
    }

    #[test]
    fn match_policy_names_round_trip() {
        for p in [
            MatchPolicy::Exact,
            MatchPolicy::Prefix,
            MatchPolicy::Wildcard,
        ] {
            assert_eq!(MatchPolicy::from_name(p.as_str()), Some(p));
            assert_eq!(p.to_string(), p.as_str());
        }
        assert_eq!(MatchPolicy::default(), MatchPolicy::Exact);
    }

    #[test]
    fn the_wamp_namespace_is_reserved() {
        assert!(is_reserved("wamp.error.canceled"));
        assert!(is_reserved("wamp"));
        assert!(!is_reserved("com.wamp.x"));
        assert!(is_reserved(error_uri::CANCELED));
    }

    #[test]
    fn every_predefined_uri_is_a_valid_strict_uri() {
        let all = [
            error_uri::INVALID_URI,
            error_uri::NO_SUCH_PROCEDURE,
            error_uri::PROCEDURE_ALREADY_EXISTS,
            error_uri::PROCEDURE_EXISTS_WITH_DIFFERENT_INVOCATION_POLICY,
            error_uri::NO_SUCH_REGISTRATION,
            error_uri::NO_SUCH_SUBSCRIPTION,
            error_uri::INVALID_ARGUMENT,
            error_uri::CANCELED,
            error_uri::PAYLOAD_SIZE_EXCEEDED,
            error_uri::PROTOCOL_VIOLATION,
            error_uri::NOT_AUTHORIZED,
            error_uri::AUTHORIZATION_FAILED,
            error_uri::AUTHORIZATION_DENIED,
            error_uri::AUTHORIZATION_REQUIRED,
            error_uri::NO_SUCH_REALM,
            error_uri::NO_SUCH_ROLE,
            error_uri::NO_SUCH_PRINCIPAL,
            error_uri::NO_MATCHING_AUTH_METHOD,
            error_uri::NO_AUTH_METHOD,
            error_uri::AUTHENTICATION_DENIED,
            error_uri::AUTHENTICATION_FAILED,
            error_uri::AUTHENTICATION_REQUIRED,
            error_uri::TIMEOUT,
            error_uri::OPTION_NOT_ALLOWED,
            error_uri::OPTION_DISALLOWED_DISCLOSE_ME,
            error_uri::NETWORK_FAILURE,
            error_uri::UNAVAILABLE,
            error_uri::NO_AVAILABLE_CALLEE,
            error_uri::FEATURE_NOT_SUPPORTED,
            error_uri::NO_SUCH_SESSION,
            error_uri::RUNTIME_ERROR,
            error_uri::INVALID_PAYLOAD,
            error_uri::TYPE_CHECK_ERROR,
            error_uri::NO_ELIGIBLE_CALLEE,
            error_uri::CANNOT_AUTHENTICATE,
            close_uri::NORMAL,
            close_uri::SYSTEM_SHUTDOWN,
            close_uri::CLOSE_REALM,
            close_uri::GOODBYE_AND_OUT,
            close_uri::KILLED,
            close_uri::TRANSPORT_LOST,
        ];
        for uri in all {
            assert!(validate(uri, MatchPolicy::Exact, true).is_ok(), "{uri}");
        }
        assert_eq!(close_uri::TRANSPORT_LOST, "wamp.close.transport_lost");
    }
}
