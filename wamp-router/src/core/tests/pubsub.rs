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

fn opts<const N: usize>(entries: [(&str, Value); N]) -> Dict {
    dict(entries)
}

#[test]
fn exclude_me_false_lets_the_publisher_receive_its_own_event() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let sub = b.subscribed(a, 1, "com.example.t", Dict::new());
    b.publish(
        a,
        2,
        "com.example.t",
        opts([("exclude_me", Value::Bool(false))]),
        vec![],
    );
    assert_eq!(events(b.received(a.conn)), vec![(sub, Dict::new(), vec![])]);
}

#[test]
fn pattern_subscriptions_get_the_topic_and_each_matching_one_gets_an_event() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let p = b.join();
    let exact = b.subscribed(a, 1, "com.example.a.t", Dict::new());
    let prefix = b.subscribed(a, 2, "com.example.", opts([("match", s("prefix"))]));
    let wild = b.subscribed(a, 3, "com..a.t", opts([("match", s("wildcard"))]));
    let other = b.subscribed(a, 4, "com.other.", opts([("match", s("prefix"))]));
    assert_eq!(
        [exact, prefix, wild]
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        3
    );
    b.publish(p, 1, "com.example.a.t", Dict::new(), vec![Value::Int(1)]);
    let mut got = events(b.received(a.conn));
    got.sort_by_key(|e| e.0);
    let topic = dict([("topic", s("com.example.a.t"))]);
    let mut expected = vec![
        (exact, Dict::new(), vec![Value::Int(1)]),
        (prefix, topic.clone(), vec![Value::Int(1)]),
        (wild, topic, vec![Value::Int(1)]),
    ];
    expected.sort_by_key(|e| e.0);
    assert_eq!(got, expected);
    assert!(!got.iter().any(|e| e.0 == other));
}

#[test]
fn subscribing_twice_gives_the_same_subscription() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let first = b.subscribed(a, 1, "com.example.t", Dict::new());
    let second = b.subscribed(a, 2, "com.example.t", Dict::new());
    assert_eq!(first, second);
    let p = b.join();
    b.publish(p, 1, "com.example.t", Dict::new(), vec![]);
    assert_eq!(b.received(a.conn).len(), 1, "one event, not two");
}

fn fan_out(b: &mut Bench, options: Dict) -> Vec<bool> {
    let subs: Vec<Client> = (0..3).map(|_| b.join()).collect();
    for &c in &subs {
        b.subscribed(c, 1, "com.example.t", Dict::new());
    }
    let p = b.join();
    b.publish(p, 1, "com.example.t", options, vec![]);
    subs.iter()
        .map(|c| !b.received(c.conn).is_empty())
        .collect()
}

#[test]
fn eligible_and_exclude_filter_receivers_by_session_id() {
    let mut b = Bench::open_realm();
    let probe: Vec<Client> = (0..3).map(|_| b.join()).collect();
    for &c in &probe {
        b.subscribed(c, 1, "com.example.t", Dict::new());
    }
    let p = b.join();
    let ids = |l: &[Client]| Value::List(l.iter().map(|c| Value::from(c.session)).collect());
    b.publish(
        p,
        1,
        "com.example.t",
        opts([
            ("eligible", ids(&probe[0..2])),
            ("exclude", ids(&probe[1..2])),
        ]),
        vec![],
    );
    let got: Vec<bool> = probe
        .iter()
        .map(|c| !b.received(c.conn).is_empty())
        .collect();
    assert_eq!(got, vec![true, false, false]);
}

#[test]
fn authid_and_authrole_lists_filter_receivers() {
    let mut b = Bench::open_realm();
    // Every anonymous session has role "anonymous" and its own random authid.
    assert_eq!(
        fan_out(
            &mut b,
            opts([("exclude_authrole", Value::List(vec![s("anonymous")]))])
        ),
        vec![false, false, false]
    );
    assert_eq!(
        fan_out(
            &mut b,
            opts([("eligible_authrole", Value::List(vec![s("anonymous")]))])
        ),
        vec![true, true, true]
    );
    assert_eq!(
        fan_out(
            &mut b,
            opts([("eligible_authid", Value::List(vec![s("nobody")]))])
        ),
        vec![false, false, false]
    );
    assert_eq!(
        fan_out(
            &mut b,
            opts([("exclude_authid", Value::List(vec![s("nobody")]))])
        ),
        vec![true, true, true]
    );
}

#[test]
fn a_malformed_black_or_white_list_is_a_protocol_violation() {
    let mut b = Bench::open_realm();
    let p = b.join();
    b.publish(
        p,
        1,
        "com.example.t",
        opts([("eligible", s("everyone"))]),
        vec![],
    );
    assert_eq!(
        abort_reason(&b.one(p.conn)),
        "wamp.error.protocol_violation"
    );
}

#[test]
fn the_publisher_is_disclosed_when_it_asks() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let p = b.join();
    b.subscribed(a, 1, "com.example.t", Dict::new());
    b.publish(
        p,
        1,
        "com.example.t",
        opts([("disclose_me", Value::Bool(true))]),
        vec![],
    );
    let (_, details, _) = events(b.received(a.conn)).remove(0);
    assert_eq!(details.get("publisher"), Some(&Value::from(p.session)));
    assert!(details.get("publisher_authid").is_some());
    assert_eq!(details.get("publisher_authrole"), Some(&s("anonymous")));
}

#[test]
fn a_retained_event_is_replayed_to_a_subscriber_asking_for_it() {
    let mut b = Bench::open_realm();
    let p = b.join();
    b.publish(
        p,
        1,
        "com.example.t",
        opts([("retain", Value::Bool(true))]),
        vec![Value::Int(1)],
    );
    b.publish(
        p,
        2,
        "com.example.t",
        opts([("retain", Value::Bool(true))]),
        vec![Value::Int(2)],
    );
    b.publish(p, 3, "com.example.t", Dict::new(), vec![Value::Int(3)]);
    let late = b.join();
    b.send(
        late.conn,
        Message::Subscribe {
            request: 1,
            options: opts([("get_retained", Value::Bool(true))]),
            topic: "com.example.t".into(),
        },
    );
    let got = b.received(late.conn);
    assert_eq!(got.len(), 2, "SUBSCRIBED then the retained EVENT: {got:?}");
    let Message::Subscribed { subscription, .. } = got[0] else {
        panic!("expected SUBSCRIBED first");
    };
    let evs = events(got[1..].to_vec());
    assert_eq!(
        evs,
        vec![(
            subscription,
            dict([("retained", Value::Bool(true))]),
            vec![Value::Int(2)]
        )]
    );
    // Without get_retained, nothing is replayed.
    let other = b.join();
    b.subscribed(other, 1, "com.example.t", Dict::new());
    assert!(b.received(other.conn).is_empty());
}

#[test]
fn a_retained_event_is_replayed_only_to_sessions_it_was_meant_for() {
    let mut b = Bench::open_realm();
    let p = b.join();
    let a = b.join();
    let c = b.join();
    b.publish(
        p,
        1,
        "com.example.t",
        opts([
            ("retain", Value::Bool(true)),
            ("eligible", Value::List(vec![Value::from(a.session)])),
        ]),
        vec![],
    );
    for (client, expect) in [(a, 2), (c, 1)] {
        b.send(
            client.conn,
            Message::Subscribe {
                request: 1,
                options: opts([("get_retained", Value::Bool(true))]),
                topic: "com.example.t".into(),
            },
        );
        assert_eq!(b.received(client.conn).len(), expect);
    }
}

#[test]
fn retained_topics_are_bounded() {
    let mut config = crate::core::CoreConfig::open_realms(["realm1"]);
    config.limits.max_retained_topics = 2;
    let mut b = Bench::new(config);
    let p = b.join();
    for (i, t) in ["a.a", "a.b", "a.c"].iter().enumerate() {
        b.publish(
            p,
            i as u64 + 1,
            t,
            opts([("retain", Value::Bool(true))]),
            vec![],
        );
    }
    let s1 = b.join();
    b.send(
        s1.conn,
        Message::Subscribe {
            request: 1,
            options: opts([("get_retained", Value::Bool(true))]),
            topic: "a.c".into(),
        },
    );
    assert_eq!(
        b.received(s1.conn).len(),
        1,
        "the third topic was not retained"
    );
}

#[test]
fn topics_in_the_wamp_namespace_cannot_be_published_to() {
    let mut b = Bench::open_realm();
    let p = b.join();
    b.publish(
        p,
        1,
        "wamp.session.on_join",
        opts([("acknowledge", Value::Bool(true))]),
        vec![],
    );
    assert_eq!(
        error_uri_of(&b.one(p.conn), RequestType::Publish),
        "wamp.error.invalid_uri"
    );
}

#[test]
fn an_invalid_subscription_pattern_gets_invalid_uri() {
    let mut b = Bench::open_realm();
    let a = b.join();
    for (topic, policy) in [
        ("com..t", "exact"),
        ("com..t.", "prefix"),
        ("com t", "wildcard"),
    ] {
        let reply = b.subscribe(a, 1, topic, opts([("match", s(policy))]));
        assert_eq!(
            error_uri_of(&reply, RequestType::Subscribe),
            "wamp.error.invalid_uri",
            "{topic} {policy}"
        );
    }
}

#[test]
fn subscriptions_beyond_the_limit_are_refused() {
    let mut config = crate::core::CoreConfig::open_realms(["realm1"]);
    config.limits.max_subscriptions_per_session = 2;
    let mut b = Bench::new(config);
    let a = b.join();
    b.subscribed(a, 1, "a.a", Dict::new());
    b.subscribed(a, 2, "a.b", Dict::new());
    assert_eq!(
        error_uri_of(
            &b.subscribe(a, 3, "a.c", Dict::new()),
            RequestType::Subscribe
        ),
        crate::core::LIMIT_REACHED
    );
    // Subscribing again to one it has is no new subscription.
    b.subscribed(a, 4, "a.a", Dict::new());
}

#[test]
fn a_subscriber_that_leaves_receives_nothing_more_and_others_still_do() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    let p = b.join();
    b.subscribed(a, 1, "com.example.t", Dict::new());
    b.subscribed(c, 1, "com.example.t", Dict::new());
    b.close(a.conn);
    b.publish(p, 1, "com.example.t", Dict::new(), vec![]);
    assert!(b.received(a.conn).is_empty());
    assert_eq!(b.received(c.conn).len(), 1);
}
