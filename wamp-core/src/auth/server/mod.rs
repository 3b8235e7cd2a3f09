//! Router-side authentication: what a router answers to HELLO and AUTHENTICATE, as pure
//! functions, following Crossbar.io (`crossbar/router/session.py` and `crossbar/router/auth/`).
//!
//! 1. [`hello`] picks a method and returns a [`HelloOutcome`]: WELCOME at once (`anonymous`),
//!    a CHALLENGE to send (keeping the [`Pending`] state), a question for a dynamic
//!    authenticator, or ABORT.
//! 2. [`authenticate`] checks AUTHENTICATE's signature against the [`Pending`] state and returns
//!    an [`AuthenticateOutcome`].
//!
//! Like the rest of the crate, nothing here does IO, reads a clock or draws random numbers: the
//! caller passes 32 random bytes (from a secure source) and the current time as text.
//!
//! # Crossbar.io's rules
//!
//! - Methods are tried in the order of HELLO's `authmethods` (none or an empty list means
//!   `["anonymous"]`); the first one the config has is used, and only that one: a failure never
//!   falls back to the next method.
//! - A method name Crossbar.io does not know at all is refused at once (`not_authorized`, before
//!   any later method is looked at); the names it knows but this module does not implement
//!   (`cookie`, `tls`, `anonymous-proxy`, `cryptosign-proxy`) are skipped like unconfigured ones.
//! - No offered method configured: ABORT `wamp.error.no_auth_method`.
//! - An unknown authid, a wrong ticket, signature, key or proof: ABORT
//!   `wamp.error.not_authorized`.
//!
//! One difference: a principal with a `realm` may only join that realm (another realm is
//! `not_authorized`); Crossbar.io instead moves the session into the principal's realm.
//!
//! # The methods
//!
//! | method | HELLO needs | CHALLENGE extra | AUTHENTICATE signature | WELCOME authextra |
//! |---|---|---|---|---|
//! | `anonymous` | nothing | (no challenge) | | HELLO's authextra |
//! | `ticket` | `authid` | `{}` | the ticket | HELLO's authextra |
//! | `wampcra` | `authid` | `challenge` (Crossbar's JSON text), and `salt`, `iterations`, `keylen` when salted | `base64(HMAC-SHA256(key, challenge))` | the principal's `extra` |
//! | `cryptosign` | `authextra.pubkey`, and `authid` unless the key names one principal | `challenge` (the 32 random bytes in hex), `channel_binding: null` | `hex(signature ‖ challenge)` or `hex(signature)` | the principal's `extra` |
//! | `scram` | `authid` (printable ASCII), `authextra.nonce` | `nonce`, `salt`, `kdf`, `iterations`, `memory` | `base64(ClientProof)` | the principal's `extra` and `scram_server_signature` |
//!
//! The client side of each is in the sibling modules ([`wampcra`],
//! [`cryptosign`], [`scram`]), and the tests run every method
//! against it.
//!
//! Not supported (refused, and named by [`AuthConfig::problems`] when configured): channel
//! binding, dynamic authenticators for `wampcra`, `cryptosign` and `scram` (they would have to
//! return the secret to check the signature against), Crossbar.io's `function` authenticators,
//! cryptosign `trustroots` and certificates. A client's `authextra.challenge` (asking the
//! router to prove its own key) is ignored: the router has no key.
//!
//! # Cost
//!
//! [`hello`] runs PBKDF2 for a salted WAMP-CRA principal (Crossbar.io derives the key at every
//! challenge too): at most [`wampcra::MAX_ITERATIONS`] rounds, and 1000 by default (about a
//! millisecond). Nothing else does more than a few hashes; SCRAM's KDF runs only on the client.
//!
//! # Dynamic authenticators
//!
//! With `{"type": "dynamic", "authenticator": URI}`, `anonymous` returns
//! [`HelloOutcome::Dynamic`] from [`hello`], and `ticket` first sends a CHALLENGE, then returns
//! [`AuthenticateOutcome::Dynamic`] from [`authenticate`] with the ticket in the details. The
//! router then asks the authenticator, and [`dynamic_identity`] reads its answer the way
//! Crossbar.io does.
//!
//! ```
//! use wamp_core::auth::server::{self, AuthConfig, AuthenticateOutcome, HelloOutcome};
//! use wamp_core::{Dict, Value};
//!
//! let config: AuthConfig = serde_json::from_str(r#"{"ticket": {"type": "static",
//!     "principals": {"joe": {"ticket": "secret!", "role": "user"}}}}"#).unwrap();
//! let details = Dict::from([
//!     ("authmethods", Value::List(vec![Value::from("ticket")])),
//!     ("authid", Value::from("joe")),
//! ]);
//! let HelloOutcome::Challenge { method, pending, .. } =
//!     server::hello(&config, "realm1", &details, 42, [7; 32], "2026-12-07T08:00:00.000Z")
//! else {
//!     panic!("expected a challenge");
//! };
//! assert_eq!(method, "ticket");
//! let AuthenticateOutcome::Welcome(identity) = server::authenticate(pending, "secret!", &Dict::new())
//! else {
//!     panic!("expected a welcome");
//! };
//! assert_eq!((identity.authid.as_str(), identity.authrole.as_str()), ("joe", "user"));
//! ```

mod config;

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

pub use config::{
    AnonymousConfig, AuthConfig, CraPrincipal, CryptosignPrincipal, DynamicAuthenticator,
    MethodConfig, ScramPrincipal, Secret, TicketPrincipal,
};

use super::{cryptosign, hex_decode_into, hex_encode, scram, wampcra};
use crate::id::Id;
use crate::uri::error_uri;
use crate::value::{Dict, Value};

/// The method names Crossbar.io knows; any other name in `authmethods` is refused.
const KNOWN_METHODS: [&str; 9] = [
    "anonymous",
    "anonymous-proxy",
    "cookie",
    "ticket",
    "wampcra",
    "tls",
    "cryptosign",
    "cryptosign-proxy",
    "scram",
];

/// Who a session is, once authenticated: WELCOME's `authid`, `authrole`, `authmethod`,
/// `authprovider` and `authextra`.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The authentication id.
    pub authid: String,
    /// The role, which decides the permissions.
    pub authrole: String,
    /// The method used (`anonymous`, `ticket`, `wampcra`, `cryptosign`, `scram`).
    pub authmethod: String,
    /// `static` (from the config) or `dynamic` (from an authenticator).
    pub authprovider: String,
    /// WELCOME's `authextra` (empty: none).
    pub authextra: Dict,
    /// The realm to join: the one HELLO asked for, or (from a dynamic authenticator) another
    /// one it assigns. `None`: the one HELLO asked for.
    pub realm: Option<String>,
}

/// Why a session is refused: ABORT's reason and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The ABORT reason, e.g. `wamp.error.not_authorized`.
    pub reason: String,
    /// A message for ABORT's details (never a secret).
    pub message: String,
}

impl Refusal {
    /// A refusal with this reason and message.
    pub fn new(reason: &str, message: impl Into<String>) -> Self {
        Refusal {
            reason: reason.to_owned(),
            message: message.into(),
        }
    }

    /// `wamp.error.not_authorized` with `message`.
    pub fn not_authorized(message: impl Into<String>) -> Self {
        Refusal::new(error_uri::NOT_AUTHORIZED, message)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason, self.message)
    }
}

/// What the router does after HELLO.
#[derive(Debug)]
pub enum HelloOutcome {
    /// Send WELCOME with this identity (`anonymous`).
    Welcome(Identity),
    /// Send `[CHALLENGE, method, extra]`, keep `pending` and pass it to [`authenticate`] with
    /// the AUTHENTICATE that follows.
    Challenge {
        /// The method.
        method: String,
        /// CHALLENGE's extra.
        extra: Dict,
        /// What [`authenticate`] needs.
        pending: Pending,
    },
    /// Ask the dynamic authenticator (call `authenticator` with `(realm, authid, details)`),
    /// then WELCOME or ABORT with its answer ([`dynamic_identity`] reads Crossbar.io's answer).
    Dynamic(DynamicRequest),
    /// Send ABORT.
    Refuse(Refusal),
}

/// What the router does after AUTHENTICATE.
#[derive(Debug)]
pub enum AuthenticateOutcome {
    /// Send WELCOME with this identity.
    Welcome(Identity),
    /// Ask the dynamic authenticator (dynamic `ticket`: `details.ticket` holds the ticket).
    Dynamic(DynamicRequest),
    /// Send ABORT.
    Refuse(Refusal),
}

impl AuthenticateOutcome {
    /// The identity, or the refusal; `None` for [`AuthenticateOutcome::Dynamic`].
    pub fn into_result(self) -> Option<Result<Identity, Refusal>> {
        match self {
            AuthenticateOutcome::Welcome(identity) => Some(Ok(identity)),
            AuthenticateOutcome::Refuse(refusal) => Some(Err(refusal)),
            AuthenticateOutcome::Dynamic(_) => None,
        }
    }
}

/// A question for a dynamic authenticator: Crossbar.io calls the procedure `authenticator`
/// with the positional arguments `(realm, authid, details)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicRequest {
    /// The method (`anonymous` or `ticket`).
    pub method: String,
    /// Which procedure to call, and where.
    pub authenticator: DynamicAuthenticator,
    /// The realm HELLO asked for.
    pub realm: String,
    /// The authid HELLO gave (for `anonymous`, the generated one).
    pub authid: String,
    /// Crossbar.io's session details: `session`, `authmethod`, `authid`, `authrole`,
    /// `authextra` from HELLO, and `ticket` for `ticket` (the router adds `transport`).
    pub details: Dict,
}

/// The state between CHALLENGE and AUTHENTICATE. `Debug` never shows a secret.
pub struct Pending {
    identity: Identity,
    check: Box<Check>,
}

enum Check {
    Ticket(Secret),
    DynamicTicket(DynamicRequest),
    Cra(Secret),
    Cryptosign {
        key: ed25519_dalek::VerifyingKey,
        message: [u8; 32],
    },
    Scram {
        credential: scram::Credential,
        auth_message: String,
    },
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("method", &self.identity.authmethod)
            .field("authid", &self.identity.authid)
            .field("authrole", &self.identity.authrole)
            .finish_non_exhaustive()
    }
}

impl Pending {
    /// The method being authenticated.
    pub fn method(&self) -> &str {
        &self.identity.authmethod
    }

    /// The authid being authenticated.
    pub fn authid(&self) -> &str {
        &self.identity.authid
    }
}

/// What HELLO's details say about authentication.
struct HelloDetails<'a> {
    authid: Option<&'a str>,
    authrole: Option<&'a str>,
    authextra: Dict,
}

/// Answers HELLO: picks among the methods the client offers (in the client's order) the first
/// this config has, and starts it. Never falls back to another method after a failure.
///
/// - `realm`: the realm HELLO asks for;
/// - `details`: HELLO's details (`authmethods`, `authid`, `authrole`, `authextra`);
/// - `session`: the session id WELCOME will carry (WAMP-CRA's challenge includes it);
/// - `random`: 32 bytes from a secure random source (challenge, nonce, anonymous authid);
/// - `timestamp`: the current UTC time as ISO 8601 text, e.g. `2026-12-07T08:00:00.000Z`
///   (WAMP-CRA's challenge includes it).
pub fn hello(
    config: &AuthConfig,
    realm: &str,
    details: &Dict,
    session: Id,
    random: [u8; 32],
    timestamp: &str,
) -> HelloOutcome {
    let methods: Vec<&str> = match details.get("authmethods") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::List(list)) => {
            let mut names = Vec::with_capacity(list.len());
            for v in list {
                match v.as_str() {
                    Some(name) => names.push(name),
                    None => {
                        return HelloOutcome::Refuse(Refusal::not_authorized(
                            "invalid authmethod (not a string)",
                        ))
                    }
                }
            }
            names
        }
        Some(_) => {
            return HelloOutcome::Refuse(Refusal::not_authorized(
                "invalid authmethods (not a list)",
            ))
        }
    };
    let methods = if methods.is_empty() {
        vec!["anonymous"]
    } else {
        methods
    };
    let hello = match hello_details(details) {
        Ok(h) => h,
        Err(refusal) => return HelloOutcome::Refuse(refusal),
    };
    let ctx = Context {
        realm,
        hello: &hello,
        session,
        random: &random,
        timestamp,
    };
    for &method in &methods {
        if !KNOWN_METHODS.contains(&method) {
            return HelloOutcome::Refuse(Refusal::not_authorized(format!(
                "invalid authmethod \"{}\"",
                shorten(method)
            )));
        }
        match method {
            "anonymous" => {
                if let Some(c) = &config.anonymous {
                    return anonymous(c, &ctx);
                }
            }
            "ticket" => {
                if let Some(c) = &config.ticket {
                    return ticket(c, &ctx);
                }
            }
            "wampcra" => {
                if let Some(c) = &config.wampcra {
                    return wampcra_hello(c, &ctx);
                }
            }
            "cryptosign" => {
                if let Some(c) = &config.cryptosign {
                    return cryptosign_hello(c, &ctx);
                }
            }
            "scram" => {
                if let Some(c) = &config.scram {
                    return scram_hello(c, &ctx);
                }
            }
            // Known to Crossbar.io but not implemented here: like an unconfigured method.
            _ => {}
        }
    }
    // At most 10 names, each cut to 100 characters: the message stays small.
    let offered: Vec<&str> = methods.iter().take(10).map(|m| shorten(m)).collect();
    let more = if methods.len() > 10 { " and more" } else { "" };
    HelloOutcome::Refuse(Refusal::new(
        error_uri::NO_AUTH_METHOD,
        format!("cannot authenticate using any of the offered authmethods {offered:?}{more}"),
    ))
}

/// Checks AUTHENTICATE's `signature` against what [`hello`] remembered. `extra` is
/// AUTHENTICATE's extra (no method here reads it, as in Crossbar.io).
///
/// Tickets and signatures are compared in constant time.
pub fn authenticate(pending: Pending, signature: &str, extra: &Dict) -> AuthenticateOutcome {
    let _ = extra;
    let Pending {
        mut identity,
        check,
    } = pending;
    let ok = match *check {
        Check::Ticket(expected) => ct_str_eq(expected.expose(), signature),
        Check::DynamicTicket(mut request) => {
            request
                .details
                .insert("ticket".into(), Value::from(signature));
            return AuthenticateOutcome::Dynamic(request);
        }
        Check::Cra(expected) => ct_str_eq(expected.expose(), signature),
        Check::Cryptosign { key, message } => cryptosign_verify(&key, &message, signature),
        Check::Scram {
            credential,
            auth_message,
        } => {
            let ok = credential.verify_proof(&auth_message, signature);
            if ok {
                identity.authextra.insert(
                    "scram_server_signature".into(),
                    Value::from(credential.server_signature(&auth_message)),
                );
            }
            ok
        }
    };
    if ok {
        AuthenticateOutcome::Welcome(identity)
    } else {
        AuthenticateOutcome::Refuse(Refusal::not_authorized(format!(
            "{} signature is invalid",
            identity.authmethod
        )))
    }
}

/// Reads a dynamic authenticator's answer as Crossbar.io does: a role name, or a dict with
/// `role` (required), and optionally `realm`, `authid` and `extra` (WELCOME's authextra).
///
/// ```
/// use wamp_core::auth::server::dynamic_identity;
/// use wamp_core::{Dict, Value};
///
/// let identity = dynamic_identity("ticket", "joe", &Value::from("user")).unwrap();
/// assert_eq!((identity.authrole.as_str(), identity.authprovider.as_str()), ("user", "dynamic"));
/// let answer = Value::Dict(Dict::from([("role", Value::from("admin")), ("authid", Value::from("j"))]));
/// assert_eq!(dynamic_identity("ticket", "joe", &answer).unwrap().authid, "j");
/// assert!(dynamic_identity("ticket", "joe", &Value::from(3)).is_err());
/// ```
pub fn dynamic_identity(method: &str, authid: &str, answer: &Value) -> Result<Identity, Refusal> {
    let mut identity = Identity {
        authid: authid.to_owned(),
        authrole: String::new(),
        authmethod: method.to_owned(),
        authprovider: "dynamic".to_owned(),
        authextra: Dict::new(),
        realm: None,
    };
    let invalid = || {
        Refusal::new(
            error_uri::AUTHENTICATION_FAILED,
            "invalid answer from the dynamic authenticator",
        )
    };
    match answer {
        Value::String(role) => identity.authrole = role.as_str().to_owned(),
        Value::Dict(d) => {
            for (key, field) in [("role", 0), ("realm", 1), ("authid", 2)] {
                match d.get(key) {
                    None | Some(Value::Null) => {}
                    Some(v) => {
                        let text = v.as_str().ok_or_else(invalid)?.to_owned();
                        match field {
                            0 => identity.authrole = text,
                            1 => identity.realm = Some(text),
                            _ => identity.authid = text,
                        }
                    }
                }
            }
            match d.get("extra") {
                None | Some(Value::Null) => {}
                Some(Value::Dict(extra)) => identity.authextra = extra.clone(),
                Some(_) => return Err(invalid()),
            }
        }
        _ => return Err(invalid()),
    }
    if identity.authid.is_empty() {
        return Err(Refusal::new(
            error_uri::NO_SUCH_PRINCIPAL,
            "no authid assigned",
        ));
    }
    if identity.authrole.is_empty() {
        return Err(Refusal::new(
            error_uri::NO_SUCH_ROLE,
            "no authrole assigned",
        ));
    }
    Ok(identity)
}

impl AuthConfig {
    /// What in this config cannot work, one lowercase sentence per problem, for a config reader
    /// to report at start: dynamic authenticators for `wampcra`, `cryptosign` and `scram` (not
    /// supported: [`hello`] refuses them), malformed `authorized_keys`, SCRAM principals that
    /// do not parse, and key derivation costs outside what clients accept.
    ///
    /// ```
    /// use wamp_core::auth::server::AuthConfig;
    ///
    /// let config: AuthConfig = serde_json::from_str(r#"{"cryptosign": {"type": "static",
    ///     "principals": {"joe": {"authorized_keys": ["abc"], "role": "user"}}}}"#).unwrap();
    /// assert_eq!(
    ///     config.problems(),
    ///     ["cryptosign principal \"joe\": authorized key 1 is not an ed25519 public key (64 hex characters)"],
    /// );
    /// assert!(AuthConfig::anonymous_only("anonymous").problems().is_empty());
    /// ```
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let dynamic = |method: &str, out: &mut Vec<String>| {
            out.push(format!(
                "{method}: dynamic authenticators are not supported for this method"
            ));
        };
        match &self.wampcra {
            Some(MethodConfig::Dynamic(_)) => dynamic(wampcra::METHOD, &mut out),
            Some(MethodConfig::Static(principals)) => {
                for (authid, p) in principals {
                    if p.salt.is_some() {
                        let iterations = p.iterations.unwrap_or(wampcra::DEFAULT_ITERATIONS);
                        let keylen = p.keylen.unwrap_or(wampcra::DEFAULT_KEYLEN);
                        if let Some(problem) = cra_cost_problem(iterations, keylen) {
                            out.push(format!("wampcra principal \"{authid}\": {problem}"));
                        }
                    }
                }
            }
            None => {}
        }
        match &self.cryptosign {
            Some(MethodConfig::Dynamic(_)) => dynamic(cryptosign::METHOD, &mut out),
            Some(MethodConfig::Static(principals)) => {
                for (authid, p) in principals {
                    if p.authorized_keys.is_empty() {
                        out.push(format!(
                            "cryptosign principal \"{authid}\": no authorized_keys"
                        ));
                    }
                    for (i, key) in p.authorized_keys.iter().enumerate() {
                        let valid = parse_pubkey(key)
                            .is_some_and(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).is_ok());
                        if !valid {
                            out.push(format!(
                                "cryptosign principal \"{authid}\": authorized key {} is not an ed25519 public key (64 hex characters)",
                                i + 1
                            ));
                        }
                    }
                }
            }
            None => {}
        }
        match &self.scram {
            Some(MethodConfig::Dynamic(_)) => dynamic(scram::METHOD, &mut out),
            Some(MethodConfig::Static(principals)) => {
                for (authid, p) in principals {
                    let problem = match scram_credential(p) {
                        Err(problem) => Some(problem.to_owned()),
                        Ok(c) => c
                            .kdf
                            .check(c.salt.len())
                            .err()
                            .map(|e| format!("{e} (clients refuse it)")),
                    };
                    if let Some(problem) = problem {
                        out.push(format!("scram principal \"{authid}\": {problem}"));
                    }
                }
            }
            None => {}
        }
        out
    }
}

/// What every method's HELLO needs.
struct Context<'a> {
    realm: &'a str,
    hello: &'a HelloDetails<'a>,
    session: Id,
    random: &'a [u8; 32],
    timestamp: &'a str,
}

impl Context<'_> {
    fn identity(&self, authid: &str, role: &str, method: &str, extra: Option<&Dict>) -> Identity {
        Identity {
            authid: authid.to_owned(),
            authrole: role.to_owned(),
            authmethod: method.to_owned(),
            authprovider: "static".to_owned(),
            authextra: extra.cloned().unwrap_or_default(),
            realm: Some(self.realm.to_owned()),
        }
    }

    /// Crossbar.io's session details for a dynamic authenticator.
    fn dynamic(
        &self,
        method: &str,
        authenticator: &DynamicAuthenticator,
        authid: &str,
    ) -> DynamicRequest {
        let opt = |v: Option<&str>| v.map(Value::from).unwrap_or(Value::Null);
        DynamicRequest {
            method: method.to_owned(),
            authenticator: authenticator.clone(),
            realm: self.realm.to_owned(),
            authid: authid.to_owned(),
            details: Dict::from([
                ("session", Value::from(self.session)),
                ("authmethod", Value::from(method)),
                ("authid", opt(self.hello.authid)),
                ("authrole", opt(self.hello.authrole)),
                ("authextra", Value::Dict(self.hello.authextra.clone())),
            ]),
        }
    }

    /// The authid HELLO gave, or the refusal Crossbar.io sends without one.
    fn authid(&self) -> Result<&str, Refusal> {
        self.hello
            .authid
            .ok_or_else(|| Refusal::not_authorized("no authid given"))
    }

    /// Refuses a principal bound to another realm.
    fn check_realm(&self, bound: Option<&str>) -> Result<(), Refusal> {
        match bound {
            Some(r) if r != self.realm => Err(Refusal::not_authorized(format!(
                "the principal may not join realm \"{}\"",
                shorten(self.realm)
            ))),
            _ => Ok(()),
        }
    }
}

/// Reads `authid`, `authrole` and `authextra` from HELLO's details.
fn hello_details(details: &Dict) -> Result<HelloDetails<'_>, Refusal> {
    let text = |key: &'static str| match details.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_str()
            .map(Some)
            .ok_or_else(|| Refusal::not_authorized(format!("invalid {key} (not a string)"))),
    };
    let authextra = match details.get("authextra") {
        None | Some(Value::Null) => Dict::new(),
        Some(Value::Dict(d)) => d.clone(),
        Some(_) => return Err(Refusal::not_authorized("invalid authextra (not a dict)")),
    };
    Ok(HelloDetails {
        authid: text("authid")?,
        authrole: text("authrole")?,
        authextra,
    })
}

/// At most 100 characters of a client-given name, for messages.
fn shorten(text: &str) -> &str {
    match text.char_indices().nth(100) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// Constant-time comparison of two texts of any lengths (their SHA-256 hashes are compared).
fn ct_str_eq(a: &str, b: &str) -> bool {
    let ha: [u8; 32] = Sha256::digest(a.as_bytes()).into();
    let hb: [u8; 32] = Sha256::digest(b.as_bytes()).into();
    ha.ct_eq(&hb).into()
}

/// The characters of an anonymous authid (Autobahn's `generate_serial_number`).
const SERIAL_CHARS: &[u8; 27] = b"345679ACEFGHJKLMNPQRSTUVWXY";

/// An authid such as `JG3T-XWPE-SCVK-9KFC` from 16 random bytes.
fn serial_number(random: &[u8]) -> String {
    let mut out = String::with_capacity(19);
    for (i, b) in random.iter().take(16).enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(
            SERIAL_CHARS[usize::from(*b) % SERIAL_CHARS.len()],
        ));
    }
    out
}

fn anonymous(config: &AnonymousConfig, ctx: &Context<'_>) -> HelloOutcome {
    match config {
        AnonymousConfig::Static { role, authid } => {
            let authid = authid.clone().unwrap_or_else(|| serial_number(ctx.random));
            // Crossbar.io hands HELLO's authextra back in WELCOME.
            HelloOutcome::Welcome(ctx.identity(
                &authid,
                role,
                "anonymous",
                Some(&ctx.hello.authextra),
            ))
        }
        AnonymousConfig::Dynamic(authenticator) => {
            let authid = serial_number(ctx.random);
            HelloOutcome::Dynamic(ctx.dynamic("anonymous", authenticator, &authid))
        }
    }
}

/// The principal of `authid` in a static config, or Crossbar.io's refusal.
fn principal<'p, P>(
    principals: &'p std::collections::BTreeMap<String, P>,
    authid: &str,
) -> Result<&'p P, Refusal> {
    principals.get(authid).ok_or_else(|| {
        Refusal::not_authorized(format!(
            "no principal with authid \"{}\" exists",
            shorten(authid)
        ))
    })
}

fn ticket(config: &MethodConfig<TicketPrincipal>, ctx: &Context<'_>) -> HelloOutcome {
    let result = (|| {
        let authid = ctx.authid()?;
        match config {
            MethodConfig::Static(principals) => {
                let p = principal(principals, authid)?;
                ctx.check_realm(p.realm.as_deref())?;
                // Crossbar.io hands HELLO's authextra back in WELCOME.
                Ok(Pending {
                    identity: ctx.identity(authid, &p.role, "ticket", Some(&ctx.hello.authextra)),
                    check: Box::new(Check::Ticket(p.ticket.clone())),
                })
            }
            MethodConfig::Dynamic(authenticator) => {
                let mut identity = ctx.identity(authid, "", "ticket", None);
                identity.authprovider = "dynamic".to_owned();
                Ok(Pending {
                    identity,
                    check: Box::new(Check::DynamicTicket(ctx.dynamic(
                        "ticket",
                        authenticator,
                        authid,
                    ))),
                })
            }
        }
    })();
    match result {
        Ok(pending) => HelloOutcome::Challenge {
            method: "ticket".to_owned(),
            extra: Dict::new(),
            pending,
        },
        Err(refusal) => HelloOutcome::Refuse(refusal),
    }
}

fn unsupported_dynamic(method: &str) -> HelloOutcome {
    HelloOutcome::Refuse(Refusal::not_authorized(format!(
        "dynamic authenticators are not supported for {method}"
    )))
}

fn wampcra_hello(config: &MethodConfig<CraPrincipal>, ctx: &Context<'_>) -> HelloOutcome {
    let MethodConfig::Static(principals) = config else {
        return unsupported_dynamic(wampcra::METHOD);
    };
    let result = (|| {
        let authid = ctx.authid()?;
        let p = principal(principals, authid)?;
        ctx.check_realm(p.realm.as_deref())?;
        let identity = ctx.identity(authid, &p.role, wampcra::METHOD, p.extra.as_ref());
        let challenge = cra_challenge(&identity, ctx);
        let mut extra = Dict::from([("challenge", Value::from(challenge.as_str()))]);
        let signature = match &p.salt {
            None => wampcra::sign(p.secret.expose().as_bytes(), &challenge),
            Some(salt) => {
                let iterations = p.iterations.unwrap_or(wampcra::DEFAULT_ITERATIONS);
                let keylen = p.keylen.unwrap_or(wampcra::DEFAULT_KEYLEN);
                if cra_cost_problem(iterations, keylen).is_some() {
                    // A client would refuse the challenge; do not compute it either.
                    return Err(Refusal::not_authorized(
                        "the principal's key derivation parameters are out of bounds",
                    ));
                }
                extra.insert("salt".into(), Value::from(salt.as_str()));
                extra.insert("iterations".into(), Value::from(iterations));
                extra.insert("keylen".into(), Value::from(keylen as u64));
                let key = Secret::from(wampcra::derive_key(
                    p.secret.expose(),
                    salt,
                    iterations,
                    keylen,
                ));
                wampcra::sign(key.expose().as_bytes(), &challenge)
            }
        };
        Ok((
            extra,
            Pending {
                identity,
                check: Box::new(Check::Cra(Secret::from(signature))),
            },
        ))
    })();
    match result {
        Ok((extra, pending)) => HelloOutcome::Challenge {
            method: wampcra::METHOD.to_owned(),
            extra,
            pending,
        },
        Err(refusal) => HelloOutcome::Refuse(refusal),
    }
}

/// What is wrong with salted WAMP-CRA parameters a client would refuse.
fn cra_cost_problem(iterations: u32, keylen: usize) -> Option<String> {
    if iterations == 0 || iterations > wampcra::MAX_ITERATIONS {
        Some(format!(
            "iterations must be in 1..={} (clients refuse more)",
            wampcra::MAX_ITERATIONS
        ))
    } else if keylen == 0 || keylen > wampcra::MAX_KEYLEN {
        Some(format!(
            "keylen must be in 1..={} (clients refuse more)",
            wampcra::MAX_KEYLEN
        ))
    } else {
        None
    }
}

/// Crossbar.io's WAMP-CRA challenge: Python's `json.dumps` (`", "` and `": "` separators,
/// non-ASCII as is) of `{authid, authrole, authmethod, authprovider, session, nonce,
/// timestamp}`; the nonce is the random bytes in hex.
fn cra_challenge(identity: &Identity, ctx: &Context<'_>) -> String {
    let s = |text: &str| serde_json::Value::from(text).to_string();
    format!(
        "{{\"authid\": {}, \"authrole\": {}, \"authmethod\": {}, \"authprovider\": {}, \"session\": {}, \"nonce\": {}, \"timestamp\": {}}}",
        s(&identity.authid),
        s(&identity.authrole),
        s(&identity.authmethod),
        s(&identity.authprovider),
        ctx.session,
        s(&hex_encode(ctx.random)),
        s(ctx.timestamp),
    )
}

/// Parses 64 hex characters into an Ed25519 public key's bytes.
fn parse_pubkey(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex_decode_into(text, &mut out).then_some(out)
}

fn cryptosign_hello(config: &MethodConfig<CryptosignPrincipal>, ctx: &Context<'_>) -> HelloOutcome {
    let MethodConfig::Static(principals) = config else {
        return unsupported_dynamic(cryptosign::METHOD);
    };
    let result = (|| {
        let extra = &ctx.hello.authextra;
        match extra.get("channel_binding") {
            None | Some(Value::Null) => {}
            Some(_) => return Err(Refusal::not_authorized("channel binding is not supported")),
        }
        let pubkey = match extra.get("pubkey") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_str()
                    .and_then(parse_pubkey)
                    .ok_or_else(|| Refusal::not_authorized("invalid extra.pubkey"))?,
            ),
        };
        let authorized = |p: &CryptosignPrincipal, key: &[u8; 32]| {
            p.authorized_keys
                .iter()
                .any(|k| parse_pubkey(k).is_some_and(|k| bool::from(k.ct_eq(key))))
        };
        let authid: &str = match (ctx.hello.authid, &pubkey) {
            (Some(authid), _) => authid,
            (None, Some(key)) => {
                let mut found = principals.iter().filter(|(_, p)| authorized(p, key));
                match (found.next(), found.next()) {
                    (Some((authid, _)), None) => authid,
                    (Some(_), Some(_)) => {
                        return Err(Refusal::not_authorized(
                            "cannot infer client identity from pubkey: multiple authids in principal database have this pubkey",
                        ))
                    }
                    (None, _) => {
                        return Err(Refusal::not_authorized(
                            "cannot identify client: no authid requested and no principal found for provided extra.pubkey",
                        ))
                    }
                }
            }
            (None, None) => {
                return Err(Refusal::not_authorized(
                    "cannot identify client: no authid requested and no extra.pubkey provided",
                ))
            }
        };
        let p = principal(principals, authid)?;
        let Some(key) = pubkey else {
            return Err(Refusal::not_authorized("no extra.pubkey provided"));
        };
        if !authorized(p, &key) {
            return Err(Refusal::not_authorized(
                "extra.pubkey provided does not match any one of authorized_keys for the principal",
            ));
        }
        ctx.check_realm(p.realm.as_deref())?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&key)
            .map_err(|_| Refusal::not_authorized("invalid extra.pubkey"))?;
        let identity = ctx.identity(authid, &p.role, cryptosign::METHOD, p.extra.as_ref());
        Ok(Pending {
            identity,
            check: Box::new(Check::Cryptosign {
                key,
                message: *ctx.random,
            }),
        })
    })();
    match result {
        Ok(pending) => HelloOutcome::Challenge {
            method: cryptosign::METHOD.to_owned(),
            extra: Dict::from([
                ("challenge", Value::from(hex_encode(ctx.random))),
                ("channel_binding", Value::Null),
            ]),
            pending,
        },
        Err(refusal) => HelloOutcome::Refuse(refusal),
    }
}

/// Verifies a cryptosign AUTHENTICATE signature: `hex(signature)` or `hex(signature ‖
/// message)` (what Autobahn sends), where the message must be the challenge.
fn cryptosign_verify(
    key: &ed25519_dalek::VerifyingKey,
    message: &[u8; 32],
    signature: &str,
) -> bool {
    let mut bytes = [0u8; 96];
    let signature_bytes: [u8; 64] = if signature.len() == 192 {
        if !hex_decode_into(signature, &mut bytes) {
            return false;
        }
        if !bool::from(bytes[64..].ct_eq(message)) {
            return false;
        }
        let mut s = [0u8; 64];
        s.copy_from_slice(&bytes[..64]);
        s
    } else {
        let mut s = [0u8; 64];
        if !hex_decode_into(signature, &mut s) {
            return false;
        }
        s
    };
    let signature = ed25519_dalek::Signature::from_bytes(&signature_bytes);
    key.verify_strict(message, &signature).is_ok()
}

/// The [`scram::Credential`] of a principal, checked.
fn scram_credential(p: &ScramPrincipal) -> Result<scram::Credential, &'static str> {
    let invalid = |what: &'static str| what;
    let kdf = match p.kdf.as_str() {
        "argon2id-13" | "argon2id13" => scram::Kdf::Argon2id13 {
            iterations: p.iterations,
            memory: p.memory,
        },
        "pbkdf2" => scram::Kdf::Pbkdf2 {
            iterations: p.iterations,
        },
        _ => return Err(invalid("unknown kdf")),
    };
    let salt = hex_decode(&p.salt).ok_or_else(|| invalid("salt is not hex"))?;
    let mut stored_key = [0u8; 32];
    let mut server_key = [0u8; 32];
    if !hex_decode_into(p.stored_key.expose(), &mut stored_key) {
        return Err(invalid("stored-key is not 64 hex characters"));
    }
    if !hex_decode_into(p.server_key.expose(), &mut server_key) {
        return Err(invalid("server-key is not 64 hex characters"));
    }
    Ok(scram::Credential {
        kdf,
        salt,
        stored_key,
        server_key,
    })
}

/// Decodes hex of any even length.
fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    let mut out = vec![0u8; text.len() / 2];
    hex_decode_into(text, &mut out).then_some(out)
}

fn scram_hello(config: &MethodConfig<ScramPrincipal>, ctx: &Context<'_>) -> HelloOutcome {
    let MethodConfig::Static(principals) = config else {
        return unsupported_dynamic(scram::METHOD);
    };
    let result = (|| {
        let client_nonce = match ctx.hello.authextra.get("nonce") {
            None | Some(Value::Null) => {
                return Err(Refusal::not_authorized("client must send a nonce"))
            }
            Some(v) => v
                .as_str()
                .and_then(|t| STANDARD.decode(t).ok())
                .ok_or_else(|| Refusal::not_authorized("client nonce must be base64"))?,
        };
        let authid = ctx.authid()?;
        let p = principal(principals, authid)?;
        ctx.check_realm(p.realm.as_deref())?;
        if authid.is_empty() || !authid.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            // Crossbar.io encodes the AuthMessage as ASCII and fails on anything else.
            return Err(Refusal::not_authorized(
                "the scram authid must be printable ascii",
            ));
        }
        let credential = scram_credential(p).map_err(|problem| {
            Refusal::not_authorized(format!("invalid scram principal: {problem}"))
        })?;
        let mut nonce = client_nonce.clone();
        nonce.extend_from_slice(&ctx.random[..16]);
        let extra = credential.challenge_extra(&nonce);
        let salt = STANDARD.encode(&credential.salt);
        let iterations = credential.kdf.iterations();
        let nonce_text = STANDARD.encode(&nonce);
        let auth_message = scram::auth_message(
            authid,
            &STANDARD.encode(&client_nonce),
            &nonce_text,
            &salt,
            iterations,
            "",
        );
        let identity = ctx.identity(authid, &p.role, scram::METHOD, p.extra.as_ref());
        Ok((
            extra,
            Pending {
                identity,
                check: Box::new(Check::Scram {
                    credential,
                    auth_message,
                }),
            },
        ))
    })();
    match result {
        Ok((extra, pending)) => HelloOutcome::Challenge {
            method: scram::METHOD.to_owned(),
            extra,
            pending,
        },
        Err(refusal) => HelloOutcome::Refuse(refusal),
    }
}

#[cfg(test)]
mod tests;
