//! Attribute macros for WAMP components: `#[register]`, `#[subscribe]` and the lifecycle hooks.
//!
//! Empty for now: the macros arrive with the macros issue.
