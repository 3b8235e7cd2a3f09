//! Revocation: `force_reregister` takes a procedure over, `wamp.registration.remove_callee`
//! and `wamp.subscription.remove_subscriber` remove one session; the revoked session gets
//! UNREGISTERED / UNSUBSCRIBED with request 0 when it announced the feature.

use wamp_core::{Dict, Message, Value};

use super::harness::*;

fn revocable(b: &mut Bench) -> Client {
    b.join_with(
        "realm1",
        &["registration_revocation", "subscription_revocation"],
    )
}

fn force() -> Dict {
    dict([("force_reregister", Value::Bool(true))])
}

#[test]
fn force_reregister_revokes_the_existing_callee_and_registers_anew() {
    let mut b = Bench::open_realm();
    let old = revocable(&mut b);
    let new = b.join();
    let first = b.registered(old, 1, "com.example.p", Dict::new());
    let second = b.registered(new, 1, "com.example.p", force());
    assert_ne!(first, second);
    assert_eq!(
        b.received(old.conn),
        [Message::Unregistered {
            request: 0,
            details: Some(dict([
                ("registration", Value::from(first)),
                ("reason", s("wamp.error.unregistered")),
            ])),
        }]
    );
    // Calls go to the new callee; the old one holds nothing any more.
    b.call(old, 5, "com.example.p", Dict::new(), vec![]);
    let (_, registration, _, _) = b.invocation(new);
    assert_eq!(registration, second);
    assert_eq!(
        b.meta(
            old,
            "wamp.registration.list_callees",
            vec![Value::from(second)],
            Dict::new()
        ),
        Ok(Value::List(vec![Value::from(new.session)]))
    );
    assert_eq!(
        b.meta(
            old,
            "wamp.registration.list",
            vec![Value::from(old.session)],
            Dict::new()
        )
        .map(|v| matches!(v, Value::Dict(d) if d.get("exact") == Some(&Value::List(vec![])))),
        Ok(true)
    );
}

#[test]
fn force_reregister_ignores_a_different_invocation_policy_and_revokes_every_callee() {
    let mut b = Bench::open_realm();
    let shared = dict([("invoke", s("roundrobin"))]);
    let a = revocable(&mut b);
    let c = revocable(&mut b);
    let id = b.registered(a, 1, "com.example.shared", shared.clone());
    assert_eq!(b.registered(c, 1, "com.example.shared", shared), id);
    let new = b.join();
    b.registered(new, 1, "com.example.shared", force());
    for old in [a, c] {
        assert!(matches!(
            b.received(old.conn).as_slice(),
            [Message::Unregistered { request: 0, .. }]
        ));
    }
}

#[test]
fn a_callee_without_registration_revocation_is_removed_without_a_message() {
    let mut b = Bench::open_realm();
    let old = b.join();
    let new = b.join();
    b.registered(old, 1, "com.example.quiet", Dict::new());
    b.registered(new, 1, "com.example.quiet", force());
    assert!(b.received(old.conn).is_empty());
}

#[test]
fn remove_callee_revokes_one_callee_with_the_reason_given() {
    let mut b = Bench::open_realm();
    let callee = revocable(&mut b);
    let admin = b.join();
    let id = b.registered(callee, 1, "com.example.r", Dict::new());
    let kwargs = dict([("reason", s("com.example.maintenance"))]);
    assert_eq!(
        b.meta(
            admin,
            "wamp.registration.remove_callee",
            vec![Value::from(id), Value::from(callee.session)],
            kwargs,
        ),
        Ok(Value::Null)
    );
    assert_eq!(
        b.received(callee.conn),
        [Message::Unregistered {
            request: 0,
            details: Some(dict([
                ("registration", Value::from(id)),
                ("reason", s("com.example.maintenance")),
            ])),
        }]
    );
    // The registration had one callee: it is gone.
    assert_eq!(
        b.meta(
            admin,
            "wamp.registration.get",
            vec![Value::from(id)],
            Dict::new()
        ),
        Err("wamp.error.no_such_registration".into())
    );
    // Removing it again: not registered there any more.
    assert_eq!(
        b.meta(
            admin,
            "wamp.registration.remove_callee",
            vec![Value::from(id), Value::from(callee.session)],
            Dict::new(),
        ),
        Err("wamp.error.no_such_registration".into())
    );
    assert_eq!(
        b.meta(
            admin,
            "wamp.registration.remove_callee",
            vec![Value::from(id), Value::from(1u64)],
            Dict::new(),
        ),
        Err("wamp.error.no_such_session".into())
    );
}

#[test]
fn remove_subscriber_revokes_one_subscriber_and_leaves_the_others() {
    let mut b = Bench::open_realm();
    let gone = revocable(&mut b);
    let stays = revocable(&mut b);
    let admin = b.join();
    let id = b.subscribed(gone, 1, "com.example.t", Dict::new());
    assert_eq!(b.subscribed(stays, 1, "com.example.t", Dict::new()), id);
    assert_eq!(
        b.meta(
            admin,
            "wamp.subscription.remove_subscriber",
            vec![Value::from(id), Value::from(gone.session)],
            Dict::new(),
        ),
        Ok(Value::Null)
    );
    assert_eq!(
        b.received(gone.conn),
        [Message::Unsubscribed {
            request: 0,
            details: Some(dict([("subscription", Value::from(id))])),
        }]
    );
    assert!(b.received(stays.conn).is_empty());
    assert_eq!(
        b.meta(
            admin,
            "wamp.subscription.list_subscribers",
            vec![Value::from(id)],
            Dict::new()
        ),
        Ok(Value::List(vec![Value::from(stays.session)]))
    );
    b.publish(admin, 2, "com.example.t", Dict::new(), vec![]);
    assert!(b.received(gone.conn).is_empty());
    assert_eq!(b.received(stays.conn).len(), 1);
}
