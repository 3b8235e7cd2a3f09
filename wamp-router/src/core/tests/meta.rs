//! The meta API: session, registration and subscription procedures and events, testaments.

use wamp_core::{Dict, Value};

use super::harness::*;

#[test]
fn session_count_counts_the_joined_sessions() {
    let mut b = Bench::open_realm();
    let a = b.join();
    b.join();
    assert_eq!(
        b.meta(a, "wamp.session.count", vec![], Dict::new()),
        Ok(Value::Int(2))
    );
}
