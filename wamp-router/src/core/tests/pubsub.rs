//! The broker: SUBSCRIBE, PUBLISH, EVENT, exclusion and black/white listing, acknowledgement,
//! pattern subscriptions, retention.

use wamp_core::message::RequestType;
use wamp_core::{Dict, Message, Value};

use super::harness::*;

fn events(msgs: Vec<Message>) -> Vec<(u64, Dict, Vec<Value>)> {
    msgs.into_iter()
        .map(|m| match m {
            Message::Event {
                subscription,
                details,
                args,
                ..
            } => (subscription, details, args),
            other => panic!("expected EVENT, got {other:?}"),
        })
        .collect()
}

#[test]
fn a_publication_reaches_every_subscriber_but_the_publisher() {
    let mut b = Bench::open_realm();
    let s1 = b.join();
    let s2 = b.join();
    let sub1 = b.subscribed(s1, 1, "com.example.topic", Dict::new());
    let sub2 = b.subscribed(s2, 1, "com.example.topic", Dict::new());
    assert_eq!(sub1, sub2, "one subscription id per topic, shared");
    b.publish(
        s1,
        2,
        "com.example.topic",
        Dict::new(),
        vec![Value::Int(42)],
    );
    assert!(b.received(s1.conn).is_empty());
    let got = events(b.received(s2.conn));
    assert_eq!(got, vec![(sub2, Dict::new(), vec![Value::Int(42)])]);
}

#[test]
fn an_acknowledged_publication_gets_published() {
    let mut b = Bench::open_realm();
    let p = b.join();
    b.publish(
        p,
        3,
        "com.example.topic",
        dict([("acknowledge", Value::Bool(true))]),
        vec![],
    );
    match b.one(p.conn) {
        Message::Published {
            request: 3,
            publication,
        } => {
            assert!((1..=1u64 << 53).contains(&publication))
        }
        other => panic!("expected PUBLISHED, got {other:?}"),
    }
}

#[test]
fn an_invalid_topic_gets_invalid_uri_when_acknowledged() {
    let mut b = Bench::open_realm();
    let p = b.join();
    b.publish(
        p,
        3,
        "com..topic",
        dict([("acknowledge", Value::Bool(true))]),
        vec![],
    );
    assert_eq!(
        error_uri_of(&b.one(p.conn), RequestType::Publish),
        "wamp.error.invalid_uri"
    );
    b.publish(p, 4, "com..topic", Dict::new(), vec![]);
    assert!(b.received(p.conn).is_empty());
}

#[test]
fn unsubscribed_sessions_receive_nothing() {
    let mut b = Bench::open_realm();
    let s1 = b.join();
    let p = b.join();
    let sub = b.subscribed(s1, 1, "com.example.topic", Dict::new());
    b.send(
        s1.conn,
        Message::Unsubscribe {
            request: 2,
            subscription: sub,
        },
    );
    assert_eq!(
        b.one(s1.conn),
        Message::Unsubscribed {
            request: 2,
            details: None
        }
    );
    b.publish(p, 1, "com.example.topic", Dict::new(), vec![]);
    assert!(b.received(s1.conn).is_empty());
    b.send(
        s1.conn,
        Message::Unsubscribe {
            request: 3,
            subscription: sub,
        },
    );
    assert_eq!(
        error_uri_of(&b.one(s1.conn), RequestType::Unsubscribe),
        "wamp.error.no_such_subscription"
    );
}
