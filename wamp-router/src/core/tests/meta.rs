//! The meta API: session, registration and subscription procedures and events, testaments.

use wamp_core::{Dict, Message, Value};

use super::harness::*;

fn ids(list: &[u64]) -> Value {
    Value::List(list.iter().map(|&i| Value::from(i)).collect())
}

/// The `(topic-subscription, args)` of every EVENT `c` received.
fn meta_events(b: &mut Bench, c: Client) -> Vec<(u64, Vec<Value>)> {
    b.received(c.conn)
        .into_iter()
        .map(|m| match m {
            Message::Event {
                subscription, args, ..
            } => (subscription, args),
            other => panic!("expected EVENT, got {other:?}"),
        })
        .collect()
}

#[test]
fn session_count_counts_the_joined_sessions() {
    let mut b = Bench::open_realm();
    let a = b.join();
    b.join();
    assert_eq!(
        b.meta(a, "wamp.session.count", vec![], Dict::new()),
        Ok(Value::Int(2))
    );
    assert_eq!(
        b.meta(
            a,
            "wamp.session.count",
            vec![Value::List(vec![s("nobody")])],
            Dict::new()
        ),
        Ok(Value::Int(0))
    );
}

#[test]
fn session_list_and_get_describe_the_joined_sessions() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    let mut expected = vec![a.session, c.session];
    expected.sort_unstable();
    assert_eq!(
        b.meta(a, "wamp.session.list", vec![], Dict::new()),
        Ok(ids(&expected))
    );
    let Ok(Value::Dict(d)) = b.meta(
        a,
        "wamp.session.get",
        vec![Value::from(c.session)],
        Dict::new(),
    ) else {
        panic!("expected session details");
    };
    assert_eq!(d.get("session"), Some(&Value::from(c.session)));
    assert_eq!(d.get("authrole"), Some(&s("anonymous")));
    assert_eq!(d.get("authmethod"), Some(&s("anonymous")));
    assert_eq!(d.get("realm"), Some(&s("realm1")));
    assert_eq!(
        b.meta(a, "wamp.session.get", vec![Value::Int(12345)], Dict::new()),
        Err("wamp.error.no_such_session".into())
    );
    assert_eq!(
        b.meta(a, "wamp.session.get", vec![s("x")], Dict::new()),
        Err("wamp.error.invalid_argument".into())
    );
}

#[test]
fn session_kill_ends_the_other_session_with_goodbye() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    assert_eq!(
        b.meta(
            a,
            "wamp.session.kill",
            vec![Value::from(c.session)],
            dict([("message", s("bye"))])
        ),
        Ok(Value::Null)
    );
    match b.one(c.conn) {
        Message::Goodbye { reason, details } => {
            assert_eq!(reason, "wamp.close.killed");
            assert_eq!(details.get("message"), Some(&s("bye")));
        }
        other => panic!("expected GOODBYE, got {other:?}"),
    }
    assert_eq!(b.core.session_count(), 1);
    b.goodbye(c);
    assert!(b.was_closed(c.conn));
    // One's own session cannot be killed.
    assert_eq!(
        b.meta(
            a,
            "wamp.session.kill",
            vec![Value::from(a.session)],
            Dict::new()
        ),
        Err("wamp.error.no_such_session".into())
    );
}

#[test]
fn kill_by_authrole_kills_every_other_session_of_the_role() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    let d = b.join();
    let mut expected = vec![c.session, d.session];
    expected.sort_unstable();
    assert_eq!(
        b.meta(
            a,
            "wamp.session.kill_by_authrole",
            vec![s("anonymous")],
            dict([("reason", s("com.example.go"))])
        ),
        Ok(ids(&expected))
    );
    for x in [c, d] {
        assert!(
            matches!(b.one(x.conn), Message::Goodbye { reason, .. } if reason == "com.example.go")
        );
    }
    assert_eq!(b.core.session_count(), 1);
}

#[test]
fn kill_by_authid_kills_the_sessions_of_that_authid() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    let Ok(Value::Dict(d)) = b.meta(
        a,
        "wamp.session.get",
        vec![Value::from(c.session)],
        Dict::new(),
    ) else {
        panic!()
    };
    let authid = d.get("authid").cloned().unwrap();
    assert_eq!(
        b.meta(a, "wamp.session.kill_by_authid", vec![authid], Dict::new()),
        Ok(ids(&[c.session]))
    );
    assert!(matches!(b.one(c.conn), Message::Goodbye { .. }));
}

#[test]
fn on_join_and_on_leave_are_published() {
    let mut b = Bench::open_realm();
    let watcher = b.join();
    let on_join = b.subscribed(watcher, 1, "wamp.session.on_join", Dict::new());
    let on_leave = b.subscribed(watcher, 2, "wamp.session.on_leave", Dict::new());
    let c = b.join();
    let got = meta_events(&mut b, watcher);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, on_join);
    let Value::Dict(details) = &got[0].1[0] else {
        panic!("on_join carries the session details");
    };
    assert_eq!(details.get("session"), Some(&Value::from(c.session)));
    b.close(c.conn);
    let got = meta_events(&mut b, watcher);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, on_leave);
    assert_eq!(got[0].1[0], Value::from(c.session));
}

#[test]
fn registration_events_follow_a_registration_from_creation_to_deletion() {
    let mut b = Bench::open_realm();
    let watcher = b.join();
    let mut names = std::collections::HashMap::new();
    for (i, topic) in ["on_create", "on_register", "on_unregister", "on_delete"]
        .iter()
        .enumerate()
    {
        let id = b.subscribed(
            watcher,
            i as u64 + 1,
            &format!("wamp.registration.{topic}"),
            Dict::new(),
        );
        names.insert(id, *topic);
    }
    let a = b.join();
    let c = b.join();
    b.received(watcher.conn);
    let reg = b.registered(a, 1, "com.example.p", dict([("invoke", s("roundrobin"))]));
    b.registered(c, 1, "com.example.p", dict([("invoke", s("roundrobin"))]));
    b.send(
        a.conn,
        Message::Unregister {
            request: 2,
            registration: reg,
        },
    );
    b.received(a.conn);
    b.close(c.conn);
    let got: Vec<(&str, Vec<Value>)> = meta_events(&mut b, watcher)
        .into_iter()
        .map(|(sub, args)| (names[&sub], args))
        .collect();
    let Value::Dict(created) = &got[0].1[1] else {
        panic!("on_create carries the registration details");
    };
    assert_eq!(created.get("uri"), Some(&s("com.example.p")));
    assert_eq!(created.get("invoke"), Some(&s("roundrobin")));
    assert_eq!(created.get("match"), Some(&s("exact")));
    let order: Vec<(&str, Value)> = got.iter().map(|(n, a)| (*n, a[0].clone())).collect();
    let (sa, sc) = (Value::from(a.session), Value::from(c.session));
    assert_eq!(
        order,
        vec![
            ("on_create", sa.clone()),
            ("on_register", sa.clone()),
            ("on_register", sc.clone()),
            ("on_unregister", sa),
            ("on_unregister", sc.clone()),
            ("on_delete", sc),
        ]
    );
}

#[test]
fn subscription_events_follow_a_subscription_from_creation_to_deletion() {
    let mut b = Bench::open_realm();
    let watcher = b.join();
    let all = b.subscribed(
        watcher,
        1,
        "wamp.subscription.",
        dict([("match", s("prefix"))]),
    );
    let a = b.join();
    b.received(watcher.conn);
    let sub = b.subscribed(a, 1, "com.example.t", Dict::new());
    b.send(
        a.conn,
        Message::Unsubscribe {
            request: 2,
            subscription: sub,
        },
    );
    b.received(a.conn);
    let topics: Vec<String> = b
        .received(watcher.conn)
        .into_iter()
        .map(|m| match m {
            Message::Event {
                subscription,
                details,
                ..
            } => {
                assert_eq!(subscription, all);
                details
                    .get("topic")
                    .and_then(Value::as_str)
                    .unwrap()
                    .to_owned()
            }
            other => panic!("expected EVENT, got {other:?}"),
        })
        .collect();
    assert_eq!(
        topics,
        [
            "wamp.subscription.on_create",
            "wamp.subscription.on_subscribe",
            "wamp.subscription.on_unsubscribe",
            "wamp.subscription.on_delete"
        ]
    );
}

#[test]
fn no_meta_events_are_published_for_wamp_uris() {
    let mut b = Bench::open_realm();
    let watcher = b.join();
    b.subscribed(watcher, 1, "wamp.subscription.on_create", Dict::new());
    b.subscribed(watcher, 2, "wamp.session.on_join", Dict::new());
    assert!(b.received(watcher.conn).is_empty());
}

#[test]
fn registration_procedures_describe_the_registrations() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    let exact = b.registered(a, 1, "com.example.p", dict([("invoke", s("first"))]));
    b.registered(c, 1, "com.example.p", dict([("invoke", s("first"))]));
    let prefix = b.registered(a, 2, "com.example.", dict([("match", s("prefix"))]));
    let list = b
        .meta(a, "wamp.registration.list", vec![], Dict::new())
        .unwrap();
    assert_eq!(
        list,
        Value::Dict(dict([
            ("exact", ids(&[exact])),
            ("prefix", ids(&[prefix])),
            ("wildcard", ids(&[]))
        ]))
    );
    let mine = b
        .meta(
            c,
            "wamp.registration.list",
            vec![Value::from(c.session)],
            Dict::new(),
        )
        .unwrap();
    assert_eq!(
        mine,
        Value::Dict(dict([
            ("exact", ids(&[exact])),
            ("prefix", ids(&[])),
            ("wildcard", ids(&[]))
        ]))
    );
    assert_eq!(
        b.meta(
            a,
            "wamp.registration.lookup",
            vec![s("com.example.p")],
            Dict::new()
        ),
        Ok(Value::from(exact))
    );
    assert_eq!(
        b.meta(
            a,
            "wamp.registration.lookup",
            vec![
                s("com.example."),
                Value::Dict(dict([("match", s("prefix"))]))
            ],
            Dict::new()
        ),
        Ok(Value::from(prefix))
    );
    assert_eq!(
        b.meta(
            a,
            "wamp.registration.lookup",
            vec![s("com.example.q")],
            Dict::new()
        ),
        Ok(Value::Null)
    );
    assert_eq!(
        b.meta(
            a,
            "wamp.registration.match",
            vec![s("com.example.q")],
            Dict::new()
        ),
        Ok(Value::from(prefix))
    );
    assert_eq!(
        b.meta(a, "wamp.registration.match", vec![s("org.q")], Dict::new()),
        Ok(Value::Null)
    );
    let Ok(Value::Dict(d)) = b.meta(
        a,
        "wamp.registration.get",
        vec![Value::from(exact)],
        Dict::new(),
    ) else {
        panic!()
    };
    assert_eq!(d.get("invoke"), Some(&s("first")));
    assert_eq!(d.get("uri"), Some(&s("com.example.p")));
    assert_eq!(
        b.meta(
            a,
            "wamp.registration.list_callees",
            vec![Value::from(exact)],
            Dict::new()
        ),
        Ok(ids(&[a.session, c.session]))
    );
    assert_eq!(
        b.meta(
            a,
            "wamp.registration.count_callees",
            vec![Value::from(exact)],
            Dict::new()
        ),
        Ok(Value::Int(2))
    );
    assert_eq!(
        b.meta(a, "wamp.registration.get", vec![Value::Int(1)], Dict::new()),
        Err("wamp.error.no_such_registration".into())
    );
}

#[test]
fn subscription_procedures_describe_the_subscriptions() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    let exact = b.subscribed(a, 1, "com.example.t", Dict::new());
    b.subscribed(c, 1, "com.example.t", Dict::new());
    let wild = b.subscribed(a, 2, "com..t", dict([("match", s("wildcard"))]));
    let list = b
        .meta(a, "wamp.subscription.list", vec![], Dict::new())
        .unwrap();
    assert_eq!(
        list,
        Value::Dict(dict([
            ("exact", ids(&[exact])),
            ("prefix", ids(&[])),
            ("wildcard", ids(&[wild]))
        ]))
    );
    assert_eq!(
        b.meta(
            a,
            "wamp.subscription.lookup",
            vec![s("com.example.t")],
            Dict::new()
        ),
        Ok(Value::from(exact))
    );
    assert_eq!(
        b.meta(
            a,
            "wamp.subscription.match",
            vec![s("com.example.t")],
            Dict::new()
        ),
        Ok(ids(&[exact, wild]))
    );
    assert_eq!(
        b.meta(a, "wamp.subscription.match", vec![s("org.t")], Dict::new()),
        Ok(Value::Null)
    );
    let mut subscribers = vec![a.session, c.session];
    subscribers.sort_unstable();
    assert_eq!(
        b.meta(
            a,
            "wamp.subscription.list_subscribers",
            vec![Value::from(exact)],
            Dict::new()
        ),
        Ok(ids(&subscribers))
    );
    assert_eq!(
        b.meta(
            a,
            "wamp.subscription.count_subscribers",
            vec![Value::from(wild)],
            Dict::new()
        ),
        Ok(Value::Int(1))
    );
    let Ok(Value::Dict(d)) = b.meta(
        a,
        "wamp.subscription.get",
        vec![Value::from(wild)],
        Dict::new(),
    ) else {
        panic!()
    };
    assert_eq!(d.get("match"), Some(&s("wildcard")));
    assert_eq!(
        b.meta(a, "wamp.subscription.get", vec![Value::Int(1)], Dict::new()),
        Err("wamp.error.no_such_subscription".into())
    );
}

#[test]
fn testaments_are_published_when_the_session_goes_away() {
    for abnormal in [false, true] {
        let mut b = Bench::open_realm();
        let watcher = b.join();
        let sub = b.subscribed(watcher, 1, "com.example.gone", Dict::new());
        let a = b.join();
        b.received(watcher.conn);
        let added = b.meta(
            a,
            "wamp.session.add_testament",
            vec![
                s("com.example.gone"),
                Value::List(vec![s("destroyed")]),
                Value::Dict(Dict::new()),
            ],
            Dict::new(),
        );
        assert!(matches!(added, Ok(Value::Int(_))));
        b.meta(
            a,
            "wamp.session.add_testament",
            vec![
                s("com.example.gone"),
                Value::List(vec![s("detached")]),
                Value::Dict(Dict::new()),
            ],
            dict([("scope", s("detached"))]),
        )
        .unwrap();
        if abnormal {
            b.close(a.conn);
        } else {
            b.goodbye(a);
        }
        let got = meta_events(&mut b, watcher);
        assert_eq!(
            got,
            vec![(sub, vec![s("detached")]), (sub, vec![s("destroyed")])],
            "abnormal: {abnormal}"
        );
    }
}

#[test]
fn flushed_testaments_are_not_published() {
    let mut b = Bench::open_realm();
    let watcher = b.join();
    b.subscribed(watcher, 1, "com.example.gone", Dict::new());
    let a = b.join();
    b.meta(
        a,
        "wamp.session.add_testament",
        vec![
            s("com.example.gone"),
            Value::List(vec![]),
            Value::Dict(Dict::new()),
        ],
        Dict::new(),
    )
    .unwrap();
    assert_eq!(
        b.meta(a, "wamp.session.flush_testaments", vec![], Dict::new()),
        Ok(Value::Int(1))
    );
    b.received(watcher.conn);
    b.close(a.conn);
    assert!(b.received(watcher.conn).is_empty());
}

#[test]
fn testaments_are_bounded_and_scopes_checked() {
    let mut config = crate::core::CoreConfig::open_realms(["realm1"]);
    config.limits.max_testaments_per_session = 1;
    let mut b = Bench::new(config);
    let a = b.join();
    let add = |b: &mut Bench, kwargs: Dict| {
        b.meta(
            a,
            "wamp.session.add_testament",
            vec![
                s("com.example.gone"),
                Value::List(vec![]),
                Value::Dict(Dict::new()),
            ],
            kwargs,
        )
    };
    assert!(add(&mut b, Dict::new()).is_ok());
    assert_eq!(
        add(&mut b, Dict::new()),
        Err("wamp.error.testament_error".into())
    );
    assert_eq!(
        add(&mut b, dict([("scope", s("forever"))])),
        Err("wamp.error.testament_error".into())
    );
}

#[test]
fn an_unknown_wamp_procedure_is_no_such_procedure() {
    let mut b = Bench::open_realm();
    let a = b.join();
    assert_eq!(
        b.meta(a, "wamp.session.teleport", vec![], Dict::new()),
        Err("wamp.error.no_such_procedure".into())
    );
}

#[test]
fn registrations_and_subscriptions_carry_their_creation_time_when_the_clock_is_known() {
    let mut b = Bench::open_realm();
    let noon = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_765_108_800);
    b.core.set_clock(b.now, noon);
    b.now += std::time::Duration::from_millis(1500);
    let a = b.join();
    let reg = b.registered(a, 1, "com.example.p", Dict::new());
    let Ok(Value::Dict(d)) = b.meta(
        a,
        "wamp.registration.get",
        vec![Value::from(reg)],
        Dict::new(),
    ) else {
        panic!()
    };
    assert_eq!(d.get("created"), Some(&s("2025-12-07T12:00:01.500Z")));
}
