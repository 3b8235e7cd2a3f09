//! HELLO, WELCOME, GOODBYE, ABORT and the handshake deadline.

use std::time::Duration;

use wamp_core::{Dict, Message, Value};

use super::harness::*;
use crate::core::{CoreConfig, Output};

#[test]
fn hello_to_an_open_realm_is_welcomed_with_broker_and_dealer_roles() {
    let mut b = Bench::open_realm();
    let conn = b.connect();
    b.send(
        conn,
        Message::Hello {
            realm: "realm1".into(),
            details: hello_details(&[]),
        },
    );
    let Message::Welcome { session, details } = b.one(conn) else {
        panic!("expected WELCOME");
    };
    assert!((1..=1u64 << 53).contains(&session));
    let roles = details.get("roles").and_then(Value::as_dict).unwrap();
    assert!(roles.contains_key("broker"));
    assert!(roles.contains_key("dealer"));
    assert_eq!(details.get("authrole"), Some(&s("anonymous")));
    assert_eq!(details.get("authmethod"), Some(&s("anonymous")));
    assert_eq!(details.get("realm"), Some(&s("realm1")));
    assert_eq!(b.core.session_count(), 1);
}

#[test]
fn goodbye_is_answered_with_goodbye_and_out_then_the_connection_is_closed() {
    let mut b = Bench::open_realm();
    let c = b.join();
    b.goodbye(c);
    let out = b.outputs();
    assert_eq!(
        out,
        vec![
            Output::Send {
                conn: c.conn,
                msg: Message::Goodbye {
                    details: Dict::new(),
                    reason: "wamp.close.goodbye_and_out".into()
                }
            },
            Output::Close { conn: c.conn }
        ]
    );
    assert_eq!(b.core.session_count(), 0);
}

#[test]
fn a_connection_without_hello_is_closed_at_the_deadline() {
    let mut b = Bench::new(CoreConfig {
        hello_timeout: Duration::from_secs(3),
        ..CoreConfig::open_realms(["realm1"])
    });
    let conn = b.connect();
    assert_eq!(b.core.poll_timeout(), Some(b.now + Duration::from_secs(3)));
    b.advance(Duration::from_secs(2));
    assert!(!b.was_closed(conn));
    b.advance(Duration::from_secs(1));
    assert!(b.was_closed(conn));
    assert_eq!(b.core.connection_count(), 0);
}

#[test]
fn hello_to_an_unknown_realm_is_aborted_with_no_such_realm() {
    let mut b = Bench::open_realm();
    let conn = b.connect();
    b.send(
        conn,
        Message::Hello {
            realm: "nowhere".into(),
            details: hello_details(&[]),
        },
    );
    assert_eq!(abort_reason(&b.one(conn)), "wamp.error.no_such_realm");
    assert!(b.was_closed(conn));
    assert_eq!(b.core.session_count(), 0);
}

#[test]
fn leaving_releases_every_timer_and_table_entry() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.subscribed(callee, 2, "com.example.t", Dict::new());
    b.call(
        caller,
        1,
        "com.example.p",
        dict([("timeout", Value::Int(10_000))]),
        vec![],
    );
    b.close(callee.conn);
    b.close(caller.conn);
    let realm = &b.core.realms[0];
    assert_eq!(realm.dealer.in_flight(), 0);
    assert_eq!(realm.broker.subscription_count(), 0);
    assert_eq!(b.core.timers.len(), 0);
    assert_eq!(b.core.session_count(), 0);
}
