//! `wamp`: a WAMP router, and call, publish, subscribe and register from a shell.

fn main() {}
