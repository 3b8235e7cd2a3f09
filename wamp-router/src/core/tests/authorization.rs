//! Roles and permissions applied to every action.

use std::sync::Arc;

use wamp_core::message::RequestType;
use wamp_core::{Dict, Message, Value};

use super::harness::*;
use crate::core::{
    Allow, AuthConfig, ConnInfo, CoreConfig, Disclose, MatchPolicy, Permission, RealmConfig,
    RoleConfig,
};

const READ_ONLY: Allow = Allow {
    call: true,
    register: false,
    publish: false,
    subscribe: true,
};

/// A realm whose role `frontend` may call and subscribe under `com.example.` (disclosing
/// itself), nothing under `com.example.admin.`, anything on `*.*.open` where no prefix
/// decides; `backend` may do anything.
fn bench() -> Bench {
    let mut frontend = Permission::new("com.example.", MatchPolicy::Prefix, READ_ONLY);
    frontend.disclose = Disclose {
        caller: true,
        publisher: true,
    };
    let realm = RealmConfig {
        name: "realm1".into(),
        roles: vec![
            RoleConfig {
                name: "frontend".into(),
                permissions: vec![
                    frontend,
                    Permission::new("com.example.admin.", MatchPolicy::Prefix, Allow::NONE),
                    Permission::new("..open", MatchPolicy::Wildcard, Allow::ALL),
                ],
            },
            RoleConfig::allow_all("backend"),
        ],
    };
    Bench::new(CoreConfig {
        realms: vec![realm],
        ..CoreConfig::default()
    })
}

fn join_as(b: &mut Bench, role: &str) -> Client {
    let conn = b.connect_with(ConnInfo {
        auth: Arc::new(AuthConfig::anonymous_only(role)),
        transport: Dict::new(),
    });
    b.send(
        conn,
        Message::Hello {
            realm: "realm1".into(),
            details: hello_details(&[]),
        },
    );
    match b.one(conn) {
        Message::Welcome { session, .. } => Client { conn, session },
        other => panic!("expected WELCOME, got {other:?}"),
    }
}

#[test]
fn an_action_no_permission_grants_is_not_authorized() {
    let mut b = bench();
    let f = join_as(&mut b, "frontend");
    let reply = b.register(f, 1, "com.example.p", Dict::new());
    assert_eq!(
        error_uri_of(&reply, RequestType::Register),
        "wamp.error.not_authorized"
    );
    let reply = b.subscribe(f, 2, "org.example.t", Dict::new());
    assert_eq!(
        error_uri_of(&reply, RequestType::Subscribe),
        "wamp.error.not_authorized"
    );
    b.call(f, 3, "org.example.p", Dict::new(), vec![]);
    assert_eq!(
        error_uri_of(&b.one(f.conn), RequestType::Call),
        "wamp.error.not_authorized"
    );
    b.publish(
        f,
        4,
        "com.example.t",
        dict([("acknowledge", Value::Bool(true))]),
        vec![],
    );
    assert_eq!(
        error_uri_of(&b.one(f.conn), RequestType::Publish),
        "wamp.error.not_authorized"
    );
}

#[test]
fn an_unacknowledged_refused_publication_is_dropped_silently() {
    let mut b = bench();
    let f = join_as(&mut b, "frontend");
    let back = join_as(&mut b, "backend");
    b.subscribed(back, 1, "com.example.t", Dict::new());
    b.publish(f, 4, "com.example.t", Dict::new(), vec![]);
    assert!(b.received(f.conn).is_empty());
    assert!(b.received(back.conn).is_empty());
}

#[test]
fn the_longest_prefix_permission_decides() {
    let mut b = bench();
    let f = join_as(&mut b, "frontend");
    let back = join_as(&mut b, "backend");
    b.registered(back, 1, "com.example.admin.reset", Dict::new());
    b.call(f, 1, "com.example.admin.reset", Dict::new(), vec![]);
    assert_eq!(
        error_uri_of(&b.one(f.conn), RequestType::Call),
        "wamp.error.not_authorized"
    );
    assert!(b.received(back.conn).is_empty());
}

#[test]
fn a_permission_that_discloses_the_caller_adds_it_to_the_invocation() {
    let mut b = bench();
    let f = join_as(&mut b, "frontend");
    let back = join_as(&mut b, "backend");
    b.registered(back, 1, "com.example.p", Dict::new());
    b.call(f, 1, "com.example.p", Dict::new(), vec![]);
    let (_, _, details, _) = b.invocation(back);
    assert_eq!(details.get("caller"), Some(&Value::from(f.session)));
    assert_eq!(details.get("caller_authrole"), Some(&s("frontend")));
}

#[test]
fn a_wildcard_permission_applies_where_no_prefix_or_exact_one_matches() {
    let mut b = bench();
    let f = join_as(&mut b, "frontend");
    b.registered(f, 1, "org.x.open", Dict::new());
    // For com.example.x.open the prefix permission on com.example. decides.
    let reply = b.register(f, 2, "com.example.x.open", Dict::new());
    assert_eq!(
        error_uri_of(&reply, RequestType::Register),
        "wamp.error.not_authorized"
    );
}

#[test]
fn meta_procedures_need_the_call_permission_too() {
    let mut b = bench();
    let f = join_as(&mut b, "frontend");
    assert_eq!(
        b.meta(f, "wamp.session.count", vec![], Dict::new()),
        Err("wamp.error.not_authorized".into())
    );
    let back = join_as(&mut b, "backend");
    assert_eq!(
        b.meta(back, "wamp.session.count", vec![], Dict::new()),
        Ok(Value::Int(2))
    );
}

#[test]
fn realms_are_isolated() {
    let mut b = Bench::new(CoreConfig::open_realms(["realm1", "realm2"]));
    let a = b.join_with("realm1", &[]);
    let c = b.join_with("realm2", &[]);
    b.registered(a, 1, "com.example.p", Dict::new());
    b.subscribed(a, 2, "com.example.t", Dict::new());
    b.call(c, 1, "com.example.p", Dict::new(), vec![]);
    assert_eq!(
        error_uri_of(&b.one(c.conn), RequestType::Call),
        "wamp.error.no_such_procedure"
    );
    b.publish(c, 2, "com.example.t", Dict::new(), vec![]);
    assert!(b.received(a.conn).is_empty());
    // The same procedure may be registered in both realms.
    b.registered(c, 3, "com.example.p", Dict::new());
}
