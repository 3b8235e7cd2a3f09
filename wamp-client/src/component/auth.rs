//! How a component authenticates: Autobahn's `authentication={method: settings}` as a typed
//! list of methods with their settings.

use std::fmt;

use wamp_core::value::{Dict, Str, Value};

use crate::options::JoinOptions;

/// One authentication method a component offers, with its settings. Only `anonymous` for
/// now; ticket, WAMP-CRA, cryptosign and SCRAM come with their settings as new variants.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum AuthMethod {
    /// `anonymous`: no credentials.
    Anonymous,
}

impl AuthMethod {
    /// The method's name in HELLO's `authmethods`.
    pub fn name(&self) -> &'static str {
        match self {
            AuthMethod::Anonymous => "anonymous",
        }
    }
}

impl fmt::Debug for AuthMethod {
    // Variants with secrets print their name only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The authentication settings of a component: the methods offered, in order of preference,
/// and the `authid`, `authrole` and `authextra` announced (all methods share them, as in
/// Autobahn). The default offers nothing, which routers treat as anonymous.
///
/// ```
/// use wamp_client::{AuthMethod, Authentication, Component};
///
/// let comp = Component::builder()
///     .transport("ws://127.0.0.1:8080/ws")
///     .realm("realm1")
///     .authentication(Authentication::new().method(AuthMethod::Anonymous).authrole("anonymous"))
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Authentication {
    methods: Vec<AuthMethod>,
    authid: Option<String>,
    authrole: Option<String>,
    authextra: Dict,
}

impl Authentication {
    /// No method offered yet.
    pub fn new() -> Self {
        Authentication::default()
    }

    /// Offers `method` (after those added before).
    pub fn method(mut self, method: AuthMethod) -> Self {
        if !self.methods.contains(&method) {
            self.methods.push(method);
        }
        self
    }

    /// The `authid` to announce.
    pub fn authid(mut self, authid: impl Into<String>) -> Self {
        self.authid = Some(authid.into());
        self
    }

    /// The `authrole` to ask for.
    pub fn authrole(mut self, authrole: impl Into<String>) -> Self {
        self.authrole = Some(authrole.into());
        self
    }

    /// Adds an `authextra` entry.
    pub fn authextra(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.authextra.insert(Str::new(key), value.into());
        self
    }

    /// The methods offered.
    pub fn methods(&self) -> &[AuthMethod] {
        &self.methods
    }

    /// Writes the settings into the join options.
    pub(crate) fn apply(&self, join: &mut JoinOptions) {
        join.authmethods = self.methods.iter().map(|m| m.name().to_owned()).collect();
        if self.authid.is_some() {
            join.authid.clone_from(&self.authid);
        }
        if self.authrole.is_some() {
            join.authrole.clone_from(&self.authrole);
        }
        for (k, v) in self.authextra.iter() {
            join.authextra.insert(k.clone(), v.clone());
        }
    }
}
