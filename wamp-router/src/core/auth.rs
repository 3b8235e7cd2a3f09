//! The authentication step of the handshake: the core drives
//! [`wamp_core::auth::server`] (HELLO → WELCOME, CHALLENGE or a dynamic authenticator;
//! AUTHENTICATE → WELCOME, ABORT or a dynamic authenticator) and re-exports the types the net
//! layer and embedders need.

pub use wamp_core::auth::server::{
    authenticate, dynamic_identity, hello, AnonymousConfig, AuthConfig, AuthenticateOutcome,
    CraPrincipal, CryptosignPrincipal, DynamicAuthenticator, DynamicRequest, HelloOutcome,
    Identity, MethodConfig, Pending, Refusal, ScramPrincipal, Secret, TicketPrincipal,
};
