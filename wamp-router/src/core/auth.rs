//! The authentication step of the handshake, as the core sees it.
//!
//! PLACEHOLDER until `wamp_core::auth::server` lands: the same shape (see the interface notes,
//! section A), with anonymous authentication only. When the real module lands this file
//! re-exports it and keeps only the glue.

use wamp_core::id::Id;
use wamp_core::Dict;

/// Anonymous authentication: the role a session gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnonymousConfig {
    /// The `authrole` of anonymous sessions.
    pub role: String,
}

/// The authentication configuration of one transport (Crossbar.io's `auth` object).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    /// Anonymous sessions allowed, with this role.
    pub anonymous: Option<AnonymousConfig>,
}

impl AuthConfig {
    /// Anonymous authentication only, with `role`.
    pub fn anonymous_only(role: &str) -> Self {
        AuthConfig {
            anonymous: Some(AnonymousConfig { role: role.into() }),
        }
    }
}

/// Who a session is once authenticated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Identity {
    /// `authid` (empty: the core generates one).
    pub authid: String,
    /// `authrole`.
    pub authrole: String,
    /// `authmethod`.
    pub authmethod: String,
    /// `authprovider`.
    pub authprovider: String,
    /// `authextra` for WELCOME.
    pub authextra: Dict,
    /// A realm the authenticator assigns, if any.
    pub realm: Option<String>,
}

/// A refused handshake: ABORT with `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The ABORT reason URI.
    pub reason: String,
    /// A message for the client.
    pub message: String,
}

/// The state kept between CHALLENGE and AUTHENTICATE.
#[derive(Debug)]
pub struct Pending(());

/// What the router does after HELLO.
#[allow(dead_code)] // the placeholder only welcomes or refuses
#[derive(Debug)]
pub enum HelloOutcome {
    /// Welcome the session.
    Welcome(Identity),
    /// Send CHALLENGE and keep `pending`.
    Challenge {
        /// The method.
        method: String,
        /// The CHALLENGE extra.
        extra: Dict,
        /// What AUTHENTICATE is checked against.
        pending: Pending,
    },
    /// Ask the dynamic authenticator.
    Dynamic {
        /// The method.
        method: String,
        /// The authid the client claims.
        authid: String,
        /// HELLO details for the authenticator.
        details: Dict,
    },
    /// Send ABORT.
    Refuse(Refusal),
}

/// HELLO: anonymous only (placeholder).
pub fn hello(
    config: &AuthConfig,
    _realm: &str,
    details: &Dict,
    _session: Id,
    _random: [u8; 32],
    _timestamp: &str,
) -> HelloOutcome {
    let offered: Vec<&str> = match details.get("authmethods").and_then(|v| v.as_list()) {
        Some(l) => l.iter().filter_map(|v| v.as_str()).collect(),
        None => vec!["anonymous"],
    };
    if offered.contains(&"anonymous") {
        if let Some(a) = &config.anonymous {
            return HelloOutcome::Welcome(Identity {
                authid: String::new(),
                authrole: a.role.clone(),
                authmethod: "anonymous".into(),
                authprovider: "static".into(),
                authextra: Dict::new(),
                realm: None,
            });
        }
    }
    HelloOutcome::Refuse(Refusal {
        reason: wamp_core::uri::error_uri::NO_AUTH_METHOD.into(),
        message: format!("cannot authenticate using any of the offered authmethods {offered:?}"),
    })
}

/// AUTHENTICATE: never reached with the placeholder.
pub fn authenticate(
    _pending: Pending,
    _signature: &str,
    _extra: &Dict,
) -> Result<Identity, Refusal> {
    Err(Refusal {
        reason: wamp_core::uri::error_uri::NOT_AUTHORIZED.into(),
        message: "no pending authentication".into(),
    })
}
