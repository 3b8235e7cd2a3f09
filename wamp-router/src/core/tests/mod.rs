//! Unit tests of the core: scripted clients and virtual time, no sockets.

mod harness;

mod auth;
mod authorization;
mod lifecycle;
mod meta;
mod pubsub;
mod revocation;
mod robustness;
mod rpc;
