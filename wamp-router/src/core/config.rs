//! The routing core's configuration: realms, roles and permissions (Crossbar.io's model), the
//! handshake deadlines and the limits that keep every table bounded.

use std::time::Duration;

pub use wamp_core::uri::MatchPolicy;

/// The configuration of a [`Core`](super::Core).
///
/// ```
/// use wamp_router::core::{CoreConfig, RealmConfig};
///
/// let config = CoreConfig {
///     realms: vec![RealmConfig::open("realm1")],
///     ..CoreConfig::default()
/// };
/// assert_eq!(config.hello_timeout, std::time::Duration::from_secs(10));
/// ```
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// The realms a client may join (a name given twice: the first one counts).
    pub realms: Vec<RealmConfig>,
    /// How long a connection may take from its opening to WELCOME (HELLO and authentication);
    /// the core closes it after that. Default [`CoreConfig::DEFAULT_HELLO_TIMEOUT`].
    pub hello_timeout: Duration,
    /// How long the core waits for the reply to a GOODBYE it sent (shutdown, kill) before it
    /// closes the connection. Default [`CoreConfig::DEFAULT_GOODBYE_TIMEOUT`].
    pub goodbye_timeout: Duration,
    /// The most sessions joined (or authenticating) at once; a HELLO beyond it is refused with
    /// ABORT [`LIMIT_REACHED`](super::LIMIT_REACHED). Default
    /// [`CoreConfig::DEFAULT_MAX_SESSIONS`].
    pub max_sessions: usize,
    /// Per-session bounds.
    pub limits: Limits,
}

impl CoreConfig {
    /// The default [`CoreConfig::hello_timeout`]: 10 s.
    pub const DEFAULT_HELLO_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default [`CoreConfig::goodbye_timeout`]: 5 s.
    pub const DEFAULT_GOODBYE_TIMEOUT: Duration = Duration::from_secs(5);
    /// The default [`CoreConfig::max_sessions`]: 100,000.
    pub const DEFAULT_MAX_SESSIONS: usize = 100_000;

    /// A configuration with one open realm per name (see [`RealmConfig::open`]).
    pub fn open_realms<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CoreConfig {
            realms: names.into_iter().map(RealmConfig::open).collect(),
            ..CoreConfig::default()
        }
    }
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            realms: Vec::new(),
            hello_timeout: Self::DEFAULT_HELLO_TIMEOUT,
            goodbye_timeout: Self::DEFAULT_GOODBYE_TIMEOUT,
            max_sessions: Self::DEFAULT_MAX_SESSIONS,
            limits: Limits::default(),
        }
    }
}

/// Per-session bounds, so that no table grows without limit whatever a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Calls a session may have in flight as a caller; a CALL beyond it gets ERROR
    /// [`LIMIT_REACHED`](super::LIMIT_REACHED) at once. Default 65,536.
    pub max_calls_per_session: usize,
    /// Invocations a callee may have in flight; a CALL that would go beyond it gets ERROR
    /// [`LIMIT_REACHED`](super::LIMIT_REACHED) at once. Default 65,536.
    pub max_invocations_per_callee: usize,
    /// Registrations per session; beyond it REGISTER gets ERROR
    /// [`LIMIT_REACHED`](super::LIMIT_REACHED). Default 10,000.
    pub max_registrations_per_session: usize,
    /// Subscriptions per session; beyond it SUBSCRIBE gets ERROR
    /// [`LIMIT_REACHED`](super::LIMIT_REACHED). Default 10,000.
    pub max_subscriptions_per_session: usize,
    /// Testaments per session and scope (`wamp.session.add_testament`). Default 64.
    pub max_testaments_per_session: usize,
    /// Topics with a retained event per realm; a retained publication on a new topic beyond it
    /// is delivered but not retained. Default 10,000.
    pub max_retained_topics: usize,
    /// Retained events kept per topic when publications restrict their receivers (`eligible`,
    /// `exclude`); an unrestricted one replaces them all. Default 16.
    pub max_retained_per_topic: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_calls_per_session: 65_536,
            max_invocations_per_callee: 65_536,
            max_registrations_per_session: 10_000,
            max_subscriptions_per_session: 10_000,
            max_testaments_per_session: 64,
            max_retained_topics: 10_000,
            max_retained_per_topic: 16,
        }
    }
}

/// A realm: a routing namespace with its own roles.
#[derive(Debug, Clone, PartialEq)]
pub struct RealmConfig {
    /// The realm's name (a URI), as clients name it in HELLO.
    pub name: String,
    /// The roles a session of this realm may have (its `authrole`).
    pub roles: Vec<RoleConfig>,
}

impl RealmConfig {
    /// A realm whose role `anonymous` may do anything (`"uri": "", "match": "prefix"` with every
    /// action allowed and nothing disclosed), as `crossbar init` configures `realm1`.
    ///
    /// ```
    /// use wamp_router::core::RealmConfig;
    ///
    /// let realm = RealmConfig::open("realm1");
    /// assert_eq!(realm.roles[0].name, "anonymous");
    /// ```
    pub fn open(name: impl Into<String>) -> Self {
        RealmConfig {
            name: name.into(),
            roles: vec![RoleConfig::allow_all("anonymous")],
        }
    }

    /// Adds a role (builder style).
    pub fn with_role(mut self, role: RoleConfig) -> Self {
        self.roles.push(role);
        self
    }
}

/// A role and its permissions.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleConfig {
    /// The role's name (`authrole`).
    pub name: String,
    /// The permissions; for an action on a URI the most specific matching one decides (exact,
    /// then the longest prefix, then wildcard); none matching denies.
    pub permissions: Vec<Permission>,
}

impl RoleConfig {
    /// A role allowed every action on every URI (a prefix permission on `""`).
    pub fn allow_all(name: impl Into<String>) -> Self {
        RoleConfig {
            name: name.into(),
            permissions: vec![Permission::new("", MatchPolicy::Prefix, Allow::ALL)],
        }
    }
}

/// One permission of a role (Crossbar.io's `{"uri", "match", "allow", "disclose"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// The URI or pattern.
    pub uri: String,
    /// How [`Permission::uri`] matches.
    pub match_: MatchPolicy,
    /// The actions allowed.
    pub allow: Allow,
    /// What the router discloses about the caller or publisher.
    pub disclose: Disclose,
}

impl Permission {
    /// A permission disclosing nothing.
    pub fn new(uri: impl Into<String>, match_: MatchPolicy, allow: Allow) -> Self {
        Permission {
            uri: uri.into(),
            match_,
            allow,
            disclose: Disclose::default(),
        }
    }
}

/// The actions a permission allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Allow {
    /// CALL.
    pub call: bool,
    /// REGISTER.
    pub register: bool,
    /// PUBLISH.
    pub publish: bool,
    /// SUBSCRIBE.
    pub subscribe: bool,
}

impl Allow {
    /// Every action.
    pub const ALL: Allow = Allow {
        call: true,
        register: true,
        publish: true,
        subscribe: true,
    };
    /// No action.
    pub const NONE: Allow = Allow {
        call: false,
        register: false,
        publish: false,
        subscribe: false,
    };
}

/// What a permission discloses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Disclose {
    /// The caller's session, authid and authrole in INVOCATION details.
    pub caller: bool,
    /// The publisher's session, authid and authrole in EVENT details.
    pub publisher: bool,
}
