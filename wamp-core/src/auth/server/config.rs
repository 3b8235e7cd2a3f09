//! The static authentication config of one transport, as Crossbar.io's `auth` object spells it.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::value::Dict;

/// A secret from the config (a ticket, a WAMP-CRA secret, a SCRAM key): `Debug` shows
/// `<redacted>`, the memory is wiped on drop, `==` takes the same time wherever the texts
/// differ, and it deserializes from a JSON string.
///
/// ```
/// use wamp_core::auth::server::Secret;
///
/// let secret = Secret::new("hunter2");
/// assert_eq!(secret.expose(), "hunter2");
/// assert_eq!(format!("{secret:?}"), "<redacted>");
/// ```
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        super::ct_str_eq(&self.0, &other.0)
    }
}

impl Eq for Secret {}

impl Secret {
    /// Wraps `text`.
    pub fn new(text: &str) -> Self {
        Secret(Zeroizing::new(text.to_owned()))
    }

    /// The secret's text. Use it only to compute or compare, never to log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Secret::new(text)
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Secret(Zeroizing::new(text))
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::from)
    }
}

/// The static authentication config of one transport: Crossbar.io's `auth` object, which maps
/// each method name to its config. A method that is absent is refused.
///
/// [`AuthConfig::default()`] allows nothing (every HELLO is refused with
/// `wamp.error.no_auth_method`); Crossbar.io lets anyone in as `anonymous` when a transport has
/// no `auth` object at all, which is [`AuthConfig::anonymous_only`]`("anonymous")`.
///
/// Deserializes from Crossbar.io's JSON. Keys this type does not know (`cookie`, `tls`, a
/// principal's `extra` for ticket, ...) are ignored here, so a config reader that wants to warn
/// about them must look for them itself.
///
/// ```
/// use wamp_core::auth::server::{AuthConfig, MethodConfig};
///
/// let config: AuthConfig = serde_json::from_str(r#"{
///     "anonymous": {"type": "static", "role": "anonymous"},
///     "ticket": {"type": "static", "principals": {"joe": {"ticket": "secret!", "role": "user"}}},
///     "wampcra": {"type": "dynamic", "authenticator": "com.example.authenticate"}
/// }"#).unwrap();
/// assert!(matches!(config.ticket, Some(MethodConfig::Static(ref p)) if p.contains_key("joe")));
/// assert!(!format!("{config:?}").contains("secret!"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AuthConfig {
    /// `anonymous`: anyone may join, with a fixed role.
    #[serde(default)]
    pub anonymous: Option<AnonymousConfig>,
    /// `ticket`: a shared secret sent in clear text.
    #[serde(default)]
    pub ticket: Option<MethodConfig<TicketPrincipal>>,
    /// `wampcra`: an HMAC of a challenge under a shared secret (Crossbar's key is `users`).
    #[serde(default)]
    pub wampcra: Option<MethodConfig<CraPrincipal>>,
    /// `cryptosign`: an Ed25519 signature of a challenge.
    #[serde(default)]
    pub cryptosign: Option<MethodConfig<CryptosignPrincipal>>,
    /// `scram`: SCRAM-SHA-256 over a password the router never stores.
    #[serde(default)]
    pub scram: Option<MethodConfig<ScramPrincipal>>,
}

impl AuthConfig {
    /// A config that lets anyone in with `anonymous` and role `role` (what Crossbar.io does for
    /// a transport without an `auth` object, with role `anonymous`).
    ///
    /// ```
    /// use wamp_core::auth::server::{AnonymousConfig, AuthConfig};
    ///
    /// let config = AuthConfig::anonymous_only("anonymous");
    /// assert!(matches!(
    ///     config.anonymous,
    ///     Some(AnonymousConfig::Static { ref role, authid: None }) if role == "anonymous"
    /// ));
    /// assert!(config.ticket.is_none());
    /// ```
    pub fn anonymous_only(role: &str) -> Self {
        AuthConfig {
            anonymous: Some(AnonymousConfig::Static {
                role: role.to_owned(),
                authid: None,
            }),
            ..AuthConfig::default()
        }
    }

    /// The keys of Crossbar.io's `auth` object (as JSON) that deserializing into [`AuthConfig`]
    /// ignores, as dotted paths inside it, sorted: methods this module
    /// does not implement (`cookie`, `tls`, ...), `type`s other than `static` and `dynamic`,
    /// cryptosign `trustroots`, and principal keys such as `authid` or a ticket principal's
    /// `extra`. A config reader warns about each (or refuses them when strict); anything else
    /// that does not fit is a deserialization error.
    ///
    /// ```
    /// use wamp_core::auth::server::AuthConfig;
    ///
    /// let auth = serde_json::json!({
    ///     "cookie": {},
    ///     "ticket": {"type": "static", "principals": {"joe": {"ticket": "t", "role": "user", "x": 1}}},
    /// });
    /// assert_eq!(AuthConfig::unsupported_keys(&auth), ["cookie", "ticket.principals.joe.x"]);
    /// ```
    pub fn unsupported_keys(auth: &serde_json::Value) -> Vec<String> {
        const DYNAMIC: [&str; 4] = [
            "type",
            "authenticator",
            "authenticator-realm",
            "authenticator-role",
        ];
        let mut out = Vec::new();
        let Some(methods) = auth.as_object() else {
            return out;
        };
        for (method, config) in methods {
            let principal_keys: &[&str] = match method.as_str() {
                "anonymous" => &[],
                "ticket" => &["ticket", "role", "realm"],
                "wampcra" => &[
                    "secret",
                    "role",
                    "realm",
                    "salt",
                    "iterations",
                    "keylen",
                    "extra",
                ],
                "cryptosign" => &["authorized_keys", "role", "realm", "extra"],
                "scram" => &[
                    "kdf",
                    "iterations",
                    "memory",
                    "salt",
                    "stored-key",
                    "server-key",
                    "role",
                    "realm",
                    "extra",
                ],
                _ => {
                    out.push(method.clone());
                    continue;
                }
            };
            let Some(config) = config.as_object() else {
                continue;
            };
            match config.get("type").and_then(|t| t.as_str()) {
                Some("static") | Some("dynamic") | None => {}
                Some(_) => {
                    out.push(format!("{method}.type"));
                    continue;
                }
            }
            for (key, value) in config {
                let known = DYNAMIC.contains(&key.as_str())
                    || match method.as_str() {
                        "anonymous" => key == "role" || key == "authid",
                        _ => key == "principals" || key == "users",
                    };
                if !known {
                    out.push(format!("{method}.{key}"));
                    continue;
                }
                if key != "principals" && key != "users" {
                    continue;
                }
                let Some(principals) = value.as_object() else {
                    continue;
                };
                for (authid, principal) in principals {
                    let Some(principal) = principal.as_object() else {
                        continue;
                    };
                    for field in principal.keys() {
                        if !principal_keys.contains(&field.as_str()) {
                            out.push(format!("{method}.{key}.{authid}.{field}"));
                        }
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// Whether the method `name` is configured.
    pub fn has_method(&self, name: &str) -> bool {
        match name {
            "anonymous" => self.anonymous.is_some(),
            "ticket" => self.ticket.is_some(),
            "wampcra" => self.wampcra.is_some(),
            "cryptosign" => self.cryptosign.is_some(),
            "scram" => self.scram.is_some(),
            _ => false,
        }
    }
}

/// A dynamic authenticator: a WAMP procedure the router calls with `(realm, authid, details)`
/// (Crossbar.io's `{"type": "dynamic", "authenticator": URI}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DynamicAuthenticator {
    /// The procedure URI.
    pub authenticator: String,
    /// The realm the procedure is registered on (`authenticator-realm`); `None` means the realm
    /// the client joins.
    #[serde(default, rename = "authenticator-realm")]
    pub authenticator_realm: Option<String>,
    /// The role of the router's session that calls it (`authenticator-role`); `None`: the
    /// router chooses (Crossbar.io's own service session).
    #[serde(default, rename = "authenticator-role")]
    pub authenticator_role: Option<String>,
}

impl DynamicAuthenticator {
    /// An authenticator at procedure `uri`, on the client's realm.
    pub fn new(uri: &str) -> Self {
        DynamicAuthenticator {
            authenticator: uri.to_owned(),
            authenticator_realm: None,
            authenticator_role: None,
        }
    }
}

/// The config of the `anonymous` method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnonymousConfig {
    /// `{"type": "static", "role": ..., "authid"?: ...}`: everyone gets `role`, and `authid`
    /// or else a random authid such as `JG3T-XWPE-SCVK-9KFC` (HELLO's authid is ignored).
    Static {
        /// The role (Crossbar's default: `anonymous`).
        role: String,
        /// A fixed authid for everyone, or `None` for a random one per session.
        authid: Option<String>,
    },
    /// `{"type": "dynamic", "authenticator": ...}`.
    Dynamic(DynamicAuthenticator),
}

impl<'de> Deserialize<'de> for AnonymousConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(rename = "type")]
            kind: String,
            #[serde(default)]
            role: Option<String>,
            #[serde(default)]
            authid: Option<String>,
            #[serde(default)]
            authenticator: Option<String>,
            #[serde(default, rename = "authenticator-realm")]
            authenticator_realm: Option<String>,
            #[serde(default, rename = "authenticator-role")]
            authenticator_role: Option<String>,
        }
        let raw = Raw::deserialize(deserializer)?;
        match raw.kind.as_str() {
            "static" => Ok(AnonymousConfig::Static {
                role: raw.role.unwrap_or_else(|| "anonymous".to_owned()),
                authid: raw.authid,
            }),
            "dynamic" => Ok(AnonymousConfig::Dynamic(DynamicAuthenticator {
                authenticator: raw
                    .authenticator
                    .ok_or_else(|| de::Error::missing_field("authenticator"))?,
                authenticator_realm: raw.authenticator_realm,
                authenticator_role: raw.authenticator_role,
            })),
            other => Err(de::Error::unknown_variant(other, &["static", "dynamic"])),
        }
    }
}

/// The config of a method with principals: static (a map from authid to principal) or
/// dynamic.
///
/// Deserializes from `{"type": "static", "principals": {...}}` (`"users"` for `wampcra`, as
/// Crossbar.io names it; either key is accepted for any method) or
/// `{"type": "dynamic", "authenticator": URI, "authenticator-realm"?, "authenticator-role"?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodConfig<P> {
    /// The principals by authid.
    Static(BTreeMap<String, P>),
    /// A dynamic authenticator decides.
    Dynamic(DynamicAuthenticator),
}

impl<'de, P: Deserialize<'de>> Deserialize<'de> for MethodConfig<P> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(bound = "P: Deserialize<'de>")]
        struct Raw<P> {
            #[serde(rename = "type")]
            kind: String,
            #[serde(default = "Option::default")]
            principals: Option<BTreeMap<String, P>>,
            #[serde(default = "Option::default")]
            users: Option<BTreeMap<String, P>>,
            #[serde(default)]
            authenticator: Option<String>,
            #[serde(default, rename = "authenticator-realm")]
            authenticator_realm: Option<String>,
            #[serde(default, rename = "authenticator-role")]
            authenticator_role: Option<String>,
        }
        let raw = Raw::<P>::deserialize(deserializer)?;
        match raw.kind.as_str() {
            "static" => match (raw.principals, raw.users) {
                (Some(_), Some(_)) => Err(de::Error::custom(
                    "give either `principals` or `users`, not both",
                )),
                (Some(p), None) | (None, Some(p)) => Ok(MethodConfig::Static(p)),
                (None, None) => Ok(MethodConfig::Static(BTreeMap::new())),
            },
            "dynamic" => Ok(MethodConfig::Dynamic(DynamicAuthenticator {
                authenticator: raw
                    .authenticator
                    .ok_or_else(|| de::Error::missing_field("authenticator"))?,
                authenticator_realm: raw.authenticator_realm,
                authenticator_role: raw.authenticator_role,
            })),
            other => Err(de::Error::unknown_variant(other, &["static", "dynamic"])),
        }
    }
}

/// A `ticket` principal: `{"ticket": ..., "role": ..., "realm"?: ...}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TicketPrincipal {
    /// The ticket the client must send.
    pub ticket: Secret,
    /// The role granted.
    pub role: String,
    /// The only realm the principal may join (`None`: any).
    #[serde(default)]
    pub realm: Option<String>,
}

/// A `wampcra` principal: `{"secret", "role", "realm"?, "salt"?, "iterations"?, "keylen"?,
/// "extra"?}`.
///
/// With a `salt`, the client signs with the key derived from the secret
/// ([`wampcra::derive_key`](crate::auth::wampcra::derive_key)), which the router computes at
/// every challenge as Crossbar.io does (`iterations` and `keylen` default to 1000 and 32, the
/// client's defaults).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CraPrincipal {
    /// The shared secret (the password, also when salted).
    pub secret: Secret,
    /// The role granted.
    pub role: String,
    /// The only realm the principal may join (`None`: any).
    #[serde(default)]
    pub realm: Option<String>,
    /// The PBKDF2 salt, used as UTF-8 text.
    #[serde(default)]
    pub salt: Option<String>,
    /// The PBKDF2 rounds.
    #[serde(default)]
    pub iterations: Option<u32>,
    /// The derived key length in bytes.
    #[serde(default)]
    pub keylen: Option<usize>,
    /// WELCOME's `authextra`.
    #[serde(default)]
    pub extra: Option<Dict>,
}

/// A `cryptosign` principal: `{"authorized_keys": [hex, ...], "role", "realm"?, "extra"?}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CryptosignPrincipal {
    /// The Ed25519 public keys (64 hex characters each) that may log in as this principal.
    pub authorized_keys: Vec<String>,
    /// The role granted.
    pub role: String,
    /// The only realm the principal may join (`None`: any).
    #[serde(default)]
    pub realm: Option<String>,
    /// WELCOME's `authextra`.
    #[serde(default)]
    pub extra: Option<Dict>,
}

/// A `scram` principal as Crossbar.io stores it: `{"kdf", "iterations", "memory", "salt",
/// "stored-key", "server-key", "role", "realm"?, "extra"?}`, the salt and keys in hex.
/// [`scram::Credential::to_crossbar_principal`](crate::auth::scram::Credential::to_crossbar_principal)
/// makes one from a password.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScramPrincipal {
    /// `argon2id-13` or `pbkdf2`.
    pub kdf: String,
    /// Argon2 passes or PBKDF2 rounds.
    pub iterations: u32,
    /// Argon2 memory in KiB (Crossbar.io sends it for PBKDF2 too; absent means 0).
    #[serde(default)]
    pub memory: u32,
    /// The salt, hex.
    pub salt: String,
    /// `SHA256(ClientKey)`, hex.
    #[serde(rename = "stored-key")]
    pub stored_key: Secret,
    /// `HMAC(SaltedPassword, "Server Key")`, hex.
    #[serde(rename = "server-key")]
    pub server_key: Secret,
    /// The role granted.
    pub role: String,
    /// The only realm the principal may join (`None`: any).
    #[serde(default)]
    pub realm: Option<String>,
    /// WELCOME's `authextra` (besides `scram_server_signature`).
    #[serde(default)]
    pub extra: Option<Dict>,
}
