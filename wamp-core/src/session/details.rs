//! What the two sides say about a session: the client's HELLO, the router's WELCOME, and why
//! a session ended.

use crate::id::Id;
use crate::uri::close_uri;
use crate::value::{Dict, Value};

/// What the client says in HELLO.
#[derive(Debug, Clone, PartialEq)]
pub struct HelloConfig {
    /// The realm to join.
    pub realm: String,
    /// `authid`, if any.
    pub authid: Option<String>,
    /// `authrole`, if any.
    pub authrole: Option<String>,
    /// Authentication methods offered, in order (empty = anonymous).
    pub authmethods: Vec<String>,
    /// `authextra`, sent only when not empty.
    pub authextra: Dict,
    /// The `agent` string.
    pub agent: String,
    /// The roles and their features; [`HelloConfig::new`] fills in what this library implements.
    pub roles: Dict,
}

impl HelloConfig {
    /// A HELLO for `realm` with the four client roles and the features this library implements.
    pub fn new(realm: impl Into<String>) -> Self {
        HelloConfig {
            realm: realm.into(),
            authid: None,
            authrole: None,
            authmethods: Vec::new(),
            authextra: Dict::new(),
            agent: concat!("wamp-rs-", env!("CARGO_PKG_VERSION")).to_owned(),
            roles: default_roles(),
        }
    }

    pub(super) fn details(&self) -> Dict {
        let mut d = Dict::new();
        d.insert("agent".into(), Value::from(self.agent.as_str()));
        d.insert("roles".into(), Value::Dict(self.roles.clone()));
        if !self.authmethods.is_empty() {
            d.insert(
                "authmethods".into(),
                Value::List(
                    self.authmethods
                        .iter()
                        .map(|m| Value::from(m.as_str()))
                        .collect(),
                ),
            );
        }
        if let Some(authid) = &self.authid {
            d.insert("authid".into(), Value::from(authid.as_str()));
        }
        if let Some(authrole) = &self.authrole {
            d.insert("authrole".into(), Value::from(authrole.as_str()));
        }
        if !self.authextra.is_empty() {
            d.insert("authextra".into(), Value::Dict(self.authextra.clone()));
        }
        d
    }
}

fn features(flags: &[&str]) -> Value {
    let f: Dict = flags
        .iter()
        .map(|f| ((*f).to_owned(), Value::Bool(true)))
        .collect();
    let mut role = Dict::new();
    role.insert("features".into(), Value::Dict(f));
    Value::Dict(role)
}

/// The caller's features: progressive results (`Session::call_with_progress`), canceling (a
/// dropped call, an explicit cancel, a timed-out call), call timeouts (sent to the dealer and
/// enforced by the client as well), and asking the router to disclose us (`disclose_me`).
pub const CALLER_FEATURES: &[&str] = &[
    "progressive_call_results",
    "call_canceling",
    "call_timeout",
    "caller_identification",
];

/// The callee's features: progressive results sent while an invocation runs, INTERRUPT (the
/// handler is aborted and `wamp.error.canceled` answered), `INVOCATION.Details.timeout` (the
/// handler is aborted and `wamp.error.timeout` answered), caller disclosure, pattern-based and
/// shared registrations, and revocation by the router.
pub const CALLEE_FEATURES: &[&str] = &[
    "progressive_call_results",
    "call_canceling",
    "call_timeout",
    "caller_identification",
    "pattern_based_registration",
    "shared_registration",
    "registration_revocation",
];

/// The publisher's features.
pub const PUBLISHER_FEATURES: &[&str] = &[
    "publisher_exclusion",
    "publisher_identification",
    "subscriber_blackwhite_listing",
];

/// The subscriber's features.
pub const SUBSCRIBER_FEATURES: &[&str] = &[
    "pattern_based_subscription",
    "publisher_identification",
    "subscription_revocation",
];

/// The roles and features this library implements, as announced in HELLO: every feature the
/// client implements, caller and callee alike.
pub fn default_roles() -> Dict {
    let mut roles = Dict::new();
    roles.insert("caller".into(), features(CALLER_FEATURES));
    roles.insert("callee".into(), features(CALLEE_FEATURES));
    roles.insert("publisher".into(), features(PUBLISHER_FEATURES));
    roles.insert("subscriber".into(), features(SUBSCRIBER_FEATURES));
    roles
}

/// What the router said in WELCOME.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionDetails {
    /// The session id.
    pub session: Id,
    /// The realm actually joined.
    pub realm: String,
    /// The authenticated id, if the router said.
    pub authid: Option<String>,
    /// The role granted.
    pub authrole: Option<String>,
    /// The authentication method used.
    pub authmethod: Option<String>,
    /// The authentication provider.
    pub authprovider: Option<String>,
    /// Extra authentication data from the router.
    pub authextra: Dict,
    /// The router's roles and features (`broker`, `dealer`).
    pub router_roles: Dict,
    /// The router's agent string.
    pub router_agent: Option<String>,
    /// The whole WELCOME details dictionary.
    pub details: Dict,
}

impl SessionDetails {
    pub(super) fn from_welcome(session: Id, realm: &str, details: Dict) -> Self {
        let text = |k: &str| details.get(k).and_then(Value::as_str).map(str::to_owned);
        let dict = |k: &str| {
            details
                .get(k)
                .and_then(Value::as_dict)
                .cloned()
                .unwrap_or_default()
        };
        SessionDetails {
            session,
            realm: text("realm").unwrap_or_else(|| realm.to_owned()),
            authid: text("authid"),
            authrole: text("authrole"),
            authmethod: text("authmethod"),
            authprovider: text("authprovider"),
            authextra: dict("authextra"),
            router_roles: dict("roles"),
            router_agent: text("agent"),
            details,
        }
    }

    /// Whether the router announced `feature` for `role` (`broker` or `dealer`).
    pub fn router_has_feature(&self, role: &str, feature: &str) -> bool {
        self.router_roles
            .get(role)
            .and_then(Value::as_dict)
            .and_then(|r| r.get("features"))
            .and_then(Value::as_dict)
            .and_then(|f| f.get(feature))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseDetails {
    /// The reason URI (`wamp.close.normal`, `wamp.error.not_authorized`, ...).
    pub reason: String,
    /// The human readable message, if any.
    pub message: Option<String>,
    /// Who ended it.
    pub initiator: CloseInitiator,
}

impl CloseDetails {
    /// Whether this is a clean end (GOODBYE with `wamp.close.normal` or
    /// `wamp.close.goodbye_and_out`, in either direction).
    pub fn is_clean(&self) -> bool {
        self.initiator != CloseInitiator::Transport
            && self.initiator != CloseInitiator::ProtocolViolation
            && (self.reason == close_uri::NORMAL || self.reason == close_uri::GOODBYE_AND_OUT)
    }
}

/// Who ended a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseInitiator {
    /// We sent GOODBYE and the router answered.
    Client,
    /// The router sent GOODBYE (and we answered).
    Router,
    /// The router sent ABORT.
    RouterAbort,
    /// We aborted (e.g. we could not authenticate).
    ClientAbort,
    /// Someone broke the protocol; ABORT `wamp.error.protocol_violation` was sent if the
    /// router was at fault.
    ProtocolViolation,
    /// The transport went away (or stopped answering: a liveness probe or our GOODBYE went
    /// unanswered in time).
    Transport,
    /// The router did not answer HELLO in time; ABORT `wamp.error.timeout` was sent.
    Timeout,
}
