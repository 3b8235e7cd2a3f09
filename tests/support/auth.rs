//! Credentials of the principals the harness's router authenticates, one set per method.
//!
//! Every [`Router`](crate::Router) (the shared [`router()`](crate::router) and each
//! [`Router::start`](crate::Router::start)) serves, besides its anonymous endpoints, one
//! WebSocket endpoint per [`AuthTransport`]: `ws://127.0.0.1:P/ws` from
//! [`Router::auth_url`](crate::Router::auth_url), realm `realm1` (also `crossbardemo`).
//! Every principal below gets role [`AUTHENTICATED_ROLE`], which may call, register, publish
//! and subscribe any URI, with caller and publisher disclosure on (like role `anonymous`).
//!
//! | transport | methods | principals |
//! |---|---|---|
//! | [`Ticket`](AuthTransport::Ticket) | `ticket` (static) | [`TICKET_AUTHID`] / [`TICKET_SECRET`] |
//! | [`TicketRotating`](AuthTransport::TicketRotating) | `ticket` (dynamic) | [`TICKET_ROTATING_AUTHID`] / the tickets of [`Router::set_valid_tickets`](crate::Router::set_valid_tickets), initially [`TICKET_ROTATING_INITIAL`] |
//! | [`Wampcra`](AuthTransport::Wampcra) | `wampcra` only | [`CRA_AUTHID`] / [`CRA_SECRET`]; [`CRA_SALTED_AUTHID`] / [`CRA_SALTED_SECRET`] with [`CRA_SALT`], [`CRA_ITERATIONS`], [`CRA_KEYLEN`] |
//! | [`Cryptosign`](AuthTransport::Cryptosign) | `cryptosign` | [`CRYPTOSIGN_AUTHID`] with the key of [`CRYPTOSIGN_SEED_HEX`] |
//! | [`Scram`](AuthTransport::Scram) | `scram` | [`SCRAM_AUTHID`] / [`SCRAM_PASSWORD`], kdf `argon2id-13` ([`SCRAM_ARGON2`]); [`SCRAM_IMPOSTOR_AUTHID`] (wrong server key) |
//! | [`ScramPbkdf2`](AuthTransport::ScramPbkdf2) | `scram` | [`SCRAM_AUTHID`] / [`SCRAM_PASSWORD`], kdf `pbkdf2` ([`SCRAM_PBKDF2`]); [`SCRAM_IMPOSTOR_AUTHID`] |
//! | [`AnonymousOrTicket`](AuthTransport::AnonymousOrTicket) | `anonymous`, `ticket` (static) | anyone (role `anonymous`); [`TICKET_AUTHID`] / [`TICKET_SECRET`] |
//!
//! A transport accepts only the methods listed (a client offering `ticket` then `wampcra` to
//! [`Wampcra`](AuthTransport::Wampcra) is challenged with `wampcra`; offering only methods the
//! transport lacks gets ABORT `wamp.error.no_auth_method`). Wrong credentials (unknown authid,
//! wrong ticket, signature, key or proof) get ABORT [`DENIED`] (`wamp.error.not_authorized`).
//!
//! All of this is test data: none of these secrets protects anything.

use serde_json::{json, Value};

use crate::router::AuthTransport;

/// The role of every authenticated principal (all permissions, disclosure on).
pub const AUTHENTICATED_ROLE: &str = "authenticated";

/// The ABORT reason Crossbar.io sends for wrong credentials of any method (and for an authid
/// it does not know).
pub const DENIED: &str = "wamp.error.not_authorized";

/// The ABORT reason Crossbar.io sends when the client offers no method the transport accepts.
pub const NO_AUTH_METHOD: &str = "wamp.error.no_auth_method";

/// WAMP-Ticket, static: the authid on [`AuthTransport::Ticket`] and
/// [`AuthTransport::AnonymousOrTicket`].
pub const TICKET_AUTHID: &str = "ticket-user";

/// WAMP-Ticket, static: the ticket of [`TICKET_AUTHID`].
pub const TICKET_SECRET: &str = "ticket-secret-1";

/// WAMP-Ticket, dynamic: the only authid [`AuthTransport::TicketRotating`] accepts.
///
/// Its valid tickets are those last given to
/// [`Router::set_valid_tickets`](crate::Router::set_valid_tickets), read on every
/// authentication, so a test can rotate them while the router runs.
pub const TICKET_ROTATING_AUTHID: &str = "ticket-rotating";

/// WAMP-Ticket, dynamic: the valid ticket of [`TICKET_ROTATING_AUTHID`] until a test calls
/// [`Router::set_valid_tickets`](crate::Router::set_valid_tickets).
pub const TICKET_ROTATING_INITIAL: &str = "rotating-ticket-0";

/// WAMP-CRA, unsalted: the authid on [`AuthTransport::Wampcra`].
pub const CRA_AUTHID: &str = "cra-user";

/// WAMP-CRA, unsalted: the secret of [`CRA_AUTHID`] (the HMAC key is its UTF-8 bytes).
pub const CRA_SECRET: &str = "cra-secret";

/// WAMP-CRA, salted: the authid on [`AuthTransport::Wampcra`]. Its CHALLENGE carries
/// `salt` [`CRA_SALT`], `iterations` [`CRA_ITERATIONS`] and `keylen` [`CRA_KEYLEN`].
pub const CRA_SALTED_AUTHID: &str = "cra-salted";

/// WAMP-CRA, salted: the secret (password) of [`CRA_SALTED_AUTHID`]; the client signs with
/// [`CRA_SALTED_KEY`] derived from it.
pub const CRA_SALTED_SECRET: &str = "cra-salted-secret";

/// WAMP-CRA, salted: the salt of [`CRA_SALTED_AUTHID`], used as its UTF-8 text (not decoded).
pub const CRA_SALT: &str = "cra-salt";

/// WAMP-CRA, salted: the PBKDF2 iterations of [`CRA_SALTED_AUTHID`].
pub const CRA_ITERATIONS: u32 = 1000;

/// WAMP-CRA, salted: the PBKDF2 key length in bytes of [`CRA_SALTED_AUTHID`].
pub const CRA_KEYLEN: u32 = 32;

/// WAMP-CRA, salted: the key the client signs with, the ASCII text of
/// `base64(PBKDF2-HMAC-SHA256(CRA_SALTED_SECRET, CRA_SALT, CRA_ITERATIONS, CRA_KEYLEN))`
/// (Autobahn's `auth.derive_key("cra-salted-secret", "cra-salt", 1000, 32)`).
///
/// Crossbar.io derives this key itself from the configured `secret` at every challenge, so its
/// static config holds [`CRA_SALTED_SECRET`], not this key.
pub const CRA_SALTED_KEY: &str = "U8hfERStaDfIDec9OOMgf7FjLhiEeM96yibMuLMr8wo=";

/// WAMP-Cryptosign: the authid on [`AuthTransport::Cryptosign`] (a client may also omit the
/// authid: Crossbar.io finds it from the public key in `authextra.pubkey`).
pub const CRYPTOSIGN_AUTHID: &str = "cryptosign-user";

/// WAMP-Cryptosign: the Ed25519 seed (private key) of [`CRYPTOSIGN_AUTHID`], 32 bytes in hex.
/// A fixed key made for these tests (`os.urandom(32).hex()`), never used anywhere else.
pub const CRYPTOSIGN_SEED_HEX: &str =
    "170d7cca6af5b06963dc2d63fb85a8f77e2db52633c1d7259837e99ea137142a";

/// WAMP-Cryptosign: the Ed25519 public key of [`CRYPTOSIGN_SEED_HEX`], in hex, the only entry
/// of [`CRYPTOSIGN_AUTHID`]'s `authorized_keys`.
pub const CRYPTOSIGN_PUBKEY_HEX: &str =
    "89bec73b2789decb681a9239c751e6d6a204f01f3e9e550757e4013a88dfce76";

/// WAMP-Cryptosign: the key of [`CRYPTOSIGN_SEED_HEX`] as an unencrypted OpenSSH private key
/// file (written by Python's `cryptography`, in the format `ssh-keygen -t ed25519` writes).
pub const CRYPTOSIGN_OPENSSH_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz
c2gtZWQyNTUxOQAAACCJvsc7J4ney2gakjnHUebWogTwHz6eVQdX5AE6iN/OdgAA
AIhfC664XwuuuAAAAAtzc2gtZWQyNTUxOQAAACCJvsc7J4ney2gakjnHUebWogTw
Hz6eVQdX5AE6iN/OdgAAAEAXDXzKavWwaWPcLWP7haj3fi21JjPB1yWYN+meoTcU
Kom+xzsnid7LaBqSOcdR5taiBPAfPp5VB1fkATqI3852AAAAAAECAwQF
-----END OPENSSH PRIVATE KEY-----
";

/// WAMP-SCRAM: the authid on [`AuthTransport::Scram`] and [`AuthTransport::ScramPbkdf2`].
pub const SCRAM_AUTHID: &str = "scram-user";

/// WAMP-SCRAM: the password of [`SCRAM_AUTHID`] on both SCRAM transports.
pub const SCRAM_PASSWORD: &str = "scram-password";

/// WAMP-SCRAM: an authid on both SCRAM transports whose router does not know the password.
///
/// Its credential has the right `stored_key` for [`SCRAM_PASSWORD`] (so Crossbar.io accepts the
/// client's proof and sends WELCOME) but a `server_key` that does not come from the password
/// ([`SCRAM_IMPOSTOR_SERVER_KEY_HEX`]), so the `scram_server_signature` in WELCOME is wrong, as
/// it would be from a router that only pretends to know the user. A client must refuse it.
pub const SCRAM_IMPOSTOR_AUTHID: &str = "scram-impostor";

/// The wrong `server_key` of [`SCRAM_IMPOSTOR_AUTHID`] (32 bytes, hex).
pub const SCRAM_IMPOSTOR_SERVER_KEY_HEX: &str =
    "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";

/// A static WAMP-SCRAM credential of Crossbar.io: what its config stores for a principal.
///
/// Crossbar.io never runs the KDF: it sends `kdf`, `iterations`, `memory` and the salt (base64
/// in the CHALLENGE, hex in the config) to the client and checks the client's proof against
/// `stored_key`. With `SaltedPassword` (`SP`) what the client's KDF gives:
/// `ClientKey = HMAC-SHA256(SP, "Client Key")`, `stored_key = SHA256(ClientKey)`,
/// `server_key = HMAC-SHA256(SP, "Server Key")`.
///
/// Crossbar.io's AuthMessage is `n=<authid>,r=<client nonce>,r=<nonce>,s=<salt>,i=<iterations>,c=,r=<nonce>`
/// (empty `c=`, no `=2C`/`=3D` escaping), and it puts the server signature
/// `base64(HMAC-SHA256(server_key, AuthMessage))` in `WELCOME.Details.authextra.scram_server_signature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScramCredential {
    /// The KDF as Crossbar.io names it: `argon2id-13` or `pbkdf2`.
    pub kdf: &'static str,
    /// Argon2 time cost, or PBKDF2 iterations.
    pub iterations: u32,
    /// Argon2 memory cost in KiB (0 for PBKDF2, which Crossbar.io still sends as `memory`).
    pub memory: u32,
    /// The salt, 16 bytes in hex (the CHALLENGE carries it in base64).
    pub salt_hex: &'static str,
    /// `SHA256(HMAC-SHA256(SP, "Client Key"))` in hex.
    pub stored_key_hex: &'static str,
    /// `HMAC-SHA256(SP, "Server Key")` in hex.
    pub server_key_hex: &'static str,
}

/// WAMP-SCRAM with argon2id (v1.3, parallelism 1, 32-byte output) on [`AuthTransport::Scram`],
/// for [`SCRAM_AUTHID`] / [`SCRAM_PASSWORD`].
///
/// `SP` follows Autobahn|Python (`auth._hash_argon2id13_secret`, which
/// `auth.derive_scram_credential` also uses): it is the **unpadded base64 text** (as ASCII
/// bytes) of the 32-byte argon2id output, here `7YbmJdDa5QYHCTAvAZvwmv3cyDERhdOX1E359NzuGn4`,
/// not the raw bytes. Small costs keep debug builds fast.
pub const SCRAM_ARGON2: ScramCredential = ScramCredential {
    kdf: "argon2id-13",
    iterations: 32,
    memory: 512,
    salt_hex: "ea8ed87725cc9ada8a413c24b811fa27",
    stored_key_hex: "b8a63c71d0155f00ca7d005fc32a13732df63e1dc3400827782951ea04a997a8",
    server_key_hex: "e36f39c7e6df65300b233b1eda9b9309f8527deb442ce83f03d5e6677b1155c3",
};

/// WAMP-SCRAM with PBKDF2-HMAC-SHA256 on [`AuthTransport::ScramPbkdf2`], for
/// [`SCRAM_AUTHID`] / [`SCRAM_PASSWORD`].
///
/// `SP` is the **raw** 32-byte `PBKDF2-HMAC-SHA256(password, salt bytes, 4096)`
/// (`1e33e11eba00063776b1e5d531fe1d54a7ce76a75a3d5189d2d362d67adc178c`), as RFC 5802 has it.
/// Autobahn|Python 26.10's client cannot log in with pbkdf2 at all (it passes the base64 salt
/// text to `pbkdf2()`, which rejects it), so no Autobahn convention exists to follow here.
pub const SCRAM_PBKDF2: ScramCredential = ScramCredential {
    kdf: "pbkdf2",
    iterations: 4096,
    memory: 0,
    salt_hex: "84e115959c84261e975c24d6f971cda2",
    stored_key_hex: "3f290270ae75d45351c3839ca7570c5193958ac4763b66a5772ee966916e8468",
    server_key_hex: "fb2f228ceeff5b4f19597a87fdec3bd9b4842cbb3bd39c52d0c0c6d60c2872d2",
};

/// The realm of the dynamic ticket authenticator (a component inside the router worker); test
/// clients have no role there.
pub(crate) const AUTHENTICATOR_REALM: &str = "wamp_suite.authenticator";

/// The procedure Crossbar.io calls to check a ticket on [`AuthTransport::TicketRotating`].
pub(crate) const AUTHENTICATOR_PROCEDURE: &str = "wamp_suite.authenticate_ticket";

/// The module (in the node's `.crossbar/`, on the router worker's `pythonpath`) holding
/// [`AUTHENTICATOR_PY`].
pub(crate) const AUTHENTICATOR_MODULE: &str = "wamp_suite_authenticator";

/// The dynamic ticket authenticator: a Twisted Autobahn component that Crossbar.io runs inside
/// the router worker (a `"type": "class"` router component). It registers
/// [`AUTHENTICATOR_PROCEDURE`] in [`AUTHENTICATOR_REALM`], then writes `ready_file`. Each call
/// reads `tickets_file` (a JSON list of strings) afresh and accepts `authid` with any ticket
/// of that list, with role `role` (or `<name>` for a ticket ending in `#role=<name>`, so that a
/// test can have a role assigned that the realm lacks); anything else is denied with `wamp.error.not_authorized`,
/// like Crossbar.io's static ticket check.
pub(crate) const AUTHENTICATOR_PY: &str = r##"
"""Dynamic WAMP-Ticket authenticator of the wamp-suite test harness (written by router.rs)."""

import json
import os

from autobahn.twisted.wamp import ApplicationSession
from autobahn.wamp.exception import ApplicationError
from twisted.internet.defer import inlineCallbacks

DENIED = "wamp.error.not_authorized"


class TicketAuthenticator(ApplicationSession):
    @inlineCallbacks
    def onJoin(self, details):
        extra = self.config.extra
        tickets_file = extra["tickets_file"]
        principal = extra["authid"]
        role = extra["role"]

        def authenticate(realm, authid, details):
            if authid != principal:
                raise ApplicationError(DENIED, 'no principal with authid "{}" exists'.format(authid))
            try:
                with open(tickets_file) as f:
                    valid = json.load(f)
            except (OSError, ValueError) as e:
                raise ApplicationError(DENIED, "cannot read the valid tickets: {}".format(e))
            ticket = details.get("ticket")
            if ticket in valid:
                # "<ticket>#role=<name>" assigns role <name> (which may not exist).
                if "#role=" in ticket:
                    return {"role": ticket.split("#role=", 1)[1]}
                return {"role": role}
            raise ApplicationError(DENIED, "ticket in dynamic WAMP-Ticket authentication is invalid")

        yield self.register(authenticate, extra["procedure"])
        ready = extra["ready_file"]
        with open(ready + ".tmp", "w") as f:
            f.write("ready\n")
        os.replace(ready + ".tmp", ready)
"##;

/// The `auth` object of `transport`'s WebSocket service in the node config.
pub(crate) fn crossbar_auth(transport: AuthTransport) -> Value {
    let role = AUTHENTICATED_ROLE;
    let ticket = json!({
        "type": "static",
        "principals": {TICKET_AUTHID: {"ticket": TICKET_SECRET, "role": role}},
    });
    let scram = |c: ScramCredential| {
        json!({
            "scram": {
                "type": "static",
                "principals": {
                    SCRAM_AUTHID: {
                        "kdf": c.kdf,
                        "iterations": c.iterations,
                        "memory": c.memory,
                        "salt": c.salt_hex,
                        "stored-key": c.stored_key_hex,
                        "server-key": c.server_key_hex,
                        "role": role,
                    },
                    SCRAM_IMPOSTOR_AUTHID: {
                        "kdf": c.kdf,
                        "iterations": c.iterations,
                        "memory": c.memory,
                        "salt": c.salt_hex,
                        "stored-key": c.stored_key_hex,
                        "server-key": SCRAM_IMPOSTOR_SERVER_KEY_HEX,
                        "role": role,
                    },
                },
            }
        })
    };
    match transport {
        AuthTransport::Ticket => json!({"ticket": ticket}),
        AuthTransport::TicketRotating => json!({
            "ticket": {
                "type": "dynamic",
                "authenticator": AUTHENTICATOR_PROCEDURE,
                "authenticator-realm": AUTHENTICATOR_REALM,
            }
        }),
        AuthTransport::Wampcra => json!({
            "wampcra": {
                "type": "static",
                "users": {
                    CRA_AUTHID: {"secret": CRA_SECRET, "role": role},
                    // Crossbar.io runs PBKDF2 over `secret` itself: configure the password.
                    CRA_SALTED_AUTHID: {
                        "secret": CRA_SALTED_SECRET,
                        "salt": CRA_SALT,
                        "iterations": CRA_ITERATIONS,
                        "keylen": CRA_KEYLEN,
                        "role": role,
                    },
                },
            }
        }),
        AuthTransport::Cryptosign => json!({
            "cryptosign": {
                "type": "static",
                "principals": {CRYPTOSIGN_AUTHID: {
                    "authorized_keys": [CRYPTOSIGN_PUBKEY_HEX],
                    "role": role,
                }},
            }
        }),
        AuthTransport::Scram => scram(SCRAM_ARGON2),
        AuthTransport::ScramPbkdf2 => scram(SCRAM_PBKDF2),
        AuthTransport::AnonymousOrTicket => json!({
            "anonymous": {"type": "static", "role": "anonymous"},
            "ticket": ticket,
        }),
    }
}
