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

fn hello(b: &mut Bench, conn: u64) {
    b.send(
        conn,
        Message::Hello {
            realm: "realm1".into(),
            details: hello_details(&[]),
        },
    );
}

#[test]
fn a_second_hello_is_a_protocol_violation() {
    let mut b = Bench::open_realm();
    let c = b.join();
    hello(&mut b, c.conn);
    assert_eq!(
        abort_reason(&b.one(c.conn)),
        "wamp.error.protocol_violation"
    );
    assert!(b.was_closed(c.conn));
    assert_eq!(b.core.session_count(), 0);
}

#[test]
fn a_message_before_hello_is_a_protocol_violation() {
    let mut b = Bench::open_realm();
    let conn = b.connect();
    b.send(
        conn,
        Message::Subscribe {
            request: 1,
            options: Dict::new(),
            topic: "com.example.t".into(),
        },
    );
    assert_eq!(abort_reason(&b.one(conn)), "wamp.error.protocol_violation");
    assert!(b.was_closed(conn));
}

#[test]
fn a_message_only_a_router_sends_is_a_protocol_violation() {
    let mut b = Bench::open_realm();
    let c = b.join();
    b.send(
        c.conn,
        Message::Result {
            request: 1,
            details: Dict::new(),
            args: vec![],
            kwargs: Dict::new(),
        },
    );
    assert_eq!(
        abort_reason(&b.one(c.conn)),
        "wamp.error.protocol_violation"
    );
    assert!(b.was_closed(c.conn));
}

#[test]
fn an_error_answering_anything_but_an_invocation_is_a_protocol_violation() {
    let mut b = Bench::open_realm();
    let c = b.join();
    b.send(
        c.conn,
        Message::Error {
            request_type: wamp_core::message::RequestType::Call,
            request: 1,
            details: Dict::new(),
            error: "com.example.error".into(),
            args: vec![],
            kwargs: Dict::new(),
        },
    );
    assert_eq!(
        abort_reason(&b.one(c.conn)),
        "wamp.error.protocol_violation"
    );
}

#[test]
fn hello_without_roles_is_a_protocol_violation() {
    let mut b = Bench::open_realm();
    let conn = b.connect();
    b.send(
        conn,
        Message::Hello {
            realm: "realm1".into(),
            details: Dict::new(),
        },
    );
    assert_eq!(abort_reason(&b.one(conn)), "wamp.error.protocol_violation");
}

#[test]
fn an_abort_from_the_client_closes_the_session() {
    let mut b = Bench::open_realm();
    let c = b.join();
    b.send(
        c.conn,
        Message::Abort {
            details: Dict::new(),
            reason: "wamp.error.whatever".into(),
        },
    );
    assert!(b.received(c.conn).is_empty());
    assert!(b.was_closed(c.conn));
    assert_eq!(b.core.session_count(), 0);
}

#[test]
fn sessions_beyond_the_limit_are_aborted() {
    let mut b = Bench::new(CoreConfig {
        max_sessions: 2,
        ..CoreConfig::open_realms(["realm1"])
    });
    b.join();
    let second = b.join();
    let conn = b.connect();
    hello(&mut b, conn);
    assert_eq!(abort_reason(&b.one(conn)), crate::core::LIMIT_REACHED);
    // A place frees up when a session leaves.
    b.goodbye(second);
    b.outputs();
    b.join();
    assert_eq!(b.core.session_count(), 2);
}

#[test]
fn session_ids_are_unique_and_in_range() {
    let mut b = Bench::open_realm();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let c = b.join();
        assert!((1..=1u64 << 53).contains(&c.session));
        assert!(seen.insert(c.session), "session id {} twice", c.session);
    }
}

#[test]
fn shutdown_says_goodbye_to_every_session_and_closes_after_the_reply() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    let pending = b.connect();
    b.core.shutdown(b.now);
    for client in [a, c] {
        match b.one(client.conn) {
            Message::Goodbye { reason, .. } => assert_eq!(reason, "wamp.close.system_shutdown"),
            other => panic!("expected GOODBYE, got {other:?}"),
        }
    }
    assert!(
        b.was_closed(pending),
        "a connection without a session closes at once"
    );
    assert_eq!(b.core.session_count(), 0);
    b.goodbye(a);
    assert!(b.was_closed(a.conn));
    assert!(!b.was_closed(c.conn));
    b.advance(CoreConfig::DEFAULT_GOODBYE_TIMEOUT);
    assert!(
        b.was_closed(c.conn),
        "closed at the deadline without a reply"
    );
    assert_eq!(b.core.connection_count(), 0);
    // New connections are refused from now on.
    let late = b.connect();
    assert!(b.was_closed(late));
}

#[test]
fn messages_after_our_goodbye_are_ignored() {
    let mut b = Bench::open_realm();
    let a = b.join();
    b.core.shutdown(b.now);
    b.received(a.conn);
    b.publish(
        a,
        1,
        "com.example.t",
        dict([("acknowledge", Value::Bool(true))]),
        vec![],
    );
    assert!(b.received(a.conn).is_empty());
    assert!(!b.was_closed(a.conn));
}

#[test]
fn a_handshake_that_never_finishes_is_closed_at_the_deadline() {
    let mut b = Bench::new(CoreConfig::open_realms(["realm1"]));
    let info = crate::core::ConnInfo {
        auth: std::sync::Arc::new(
            serde_json::from_str(
                r#"{"ticket": {"type": "static", "principals": {"joe": {"ticket": "t", "role": "anonymous"}}}}"#,
            )
            .unwrap(),
        ),
        transport: Dict::new(),
    };
    let conn = b.connect_with(info);
    b.send(
        conn,
        Message::Hello {
            realm: "realm1".into(),
            details: dict([
                (
                    "roles",
                    Value::Dict(dict([("caller", Value::Dict(Dict::new()))])),
                ),
                ("authmethods", Value::List(vec![s("ticket")])),
                ("authid", s("joe")),
            ]),
        },
    );
    assert!(matches!(b.one(conn), Message::Challenge { .. }));
    assert_eq!(b.core.session_count(), 1, "the session id is reserved");
    b.advance(CoreConfig::DEFAULT_HELLO_TIMEOUT);
    assert!(b.was_closed(conn));
    assert_eq!(b.core.session_count(), 0);
}
