//! Authentication in the handshake: challenges, refusals, dynamic authenticators, roles.

use std::sync::Arc;

use wamp_core::{Dict, Message, Value};

use super::harness::*;
use crate::core::{
    AuthConfig, ConnInfo, CoreConfig, Identity, Output, RealmConfig, Refusal, RoleConfig,
};

fn info(json: &str) -> ConnInfo {
    let auth: AuthConfig = serde_json::from_str(json).unwrap();
    ConnInfo {
        auth: Arc::new(auth),
        transport: dict([("type", s("websocket"))]),
    }
}

const TICKET: &str = r#"{"ticket": {"type": "static", "principals": {
    "joe": {"ticket": "secret!", "role": "user"},
    "ghost": {"ticket": "boo", "role": "nobody"}}}}"#;

fn bench() -> Bench {
    Bench::new(CoreConfig {
        realms: vec![RealmConfig::open("realm1").with_role(RoleConfig::allow_all("user"))],
        ..CoreConfig::default()
    })
}

fn hello_ticket(b: &mut Bench, conn: u64, authid: &str) {
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
                ("authid", s(authid)),
            ]),
        },
    );
}

fn authenticate(b: &mut Bench, conn: u64, signature: &str) {
    b.send(
        conn,
        Message::Authenticate {
            signature: signature.into(),
            extra: Dict::new(),
        },
    );
}

#[test]
fn a_ticket_is_challenged_and_the_right_one_welcomed_with_its_role() {
    let mut b = bench();
    let conn = b.connect_with(info(TICKET));
    hello_ticket(&mut b, conn, "joe");
    match b.one(conn) {
        Message::Challenge { method, .. } => assert_eq!(method, "ticket"),
        other => panic!("expected CHALLENGE, got {other:?}"),
    }
    authenticate(&mut b, conn, "secret!");
    let Message::Welcome { details, .. } = b.one(conn) else {
        panic!("expected WELCOME");
    };
    assert_eq!(details.get("authid"), Some(&s("joe")));
    assert_eq!(details.get("authrole"), Some(&s("user")));
    assert_eq!(details.get("authmethod"), Some(&s("ticket")));
}

#[test]
fn a_wrong_ticket_is_aborted_with_not_authorized() {
    let mut b = bench();
    let conn = b.connect_with(info(TICKET));
    hello_ticket(&mut b, conn, "joe");
    b.received(conn);
    authenticate(&mut b, conn, "guess");
    assert_eq!(abort_reason(&b.one(conn)), "wamp.error.not_authorized");
    assert!(b.was_closed(conn));
    assert_eq!(b.core.session_count(), 0);
}

#[test]
fn a_role_the_realm_lacks_is_aborted_with_no_such_role() {
    let mut b = bench();
    let conn = b.connect_with(info(TICKET));
    hello_ticket(&mut b, conn, "ghost");
    b.received(conn);
    authenticate(&mut b, conn, "boo");
    assert_eq!(abort_reason(&b.one(conn)), "wamp.error.no_such_role");
}

#[test]
fn a_method_the_transport_lacks_is_aborted() {
    let mut b = bench();
    let conn = b.connect_with(info(TICKET));
    b.send(
        conn,
        Message::Hello {
            realm: "realm1".into(),
            details: hello_details(&[]),
        },
    );
    assert_eq!(abort_reason(&b.one(conn)), "wamp.error.no_auth_method");
}

#[test]
fn authenticate_without_a_challenge_is_a_protocol_violation() {
    let mut b = bench();
    let conn = b.connect();
    authenticate(&mut b, conn, "x");
    assert_eq!(abort_reason(&b.one(conn)), "wamp.error.protocol_violation");
}

#[test]
fn a_dynamic_authenticator_is_asked_and_its_identity_welcomed() {
    let mut b = bench();
    let conn = b.connect_with(info(
        r#"{"ticket": {"type": "dynamic", "authenticator": "com.example.authenticate"}}"#,
    ));
    hello_ticket(&mut b, conn, "joe");
    assert!(matches!(b.one(conn), Message::Challenge { .. }));
    authenticate(&mut b, conn, "secret!");
    let asked = b.outputs();
    let [Output::Authenticate {
        conn: c,
        method,
        realm,
        authid,
        details,
    }] = asked.as_slice()
    else {
        panic!("expected one Authenticate, got {asked:?}");
    };
    assert_eq!(
        (*c, method.as_str(), realm.as_str(), authid.as_str()),
        (conn, "ticket", "realm1", "joe")
    );
    assert_eq!(details.get("ticket"), Some(&s("secret!")));
    assert_eq!(
        details.get("transport"),
        Some(&Value::Dict(dict([("type", s("websocket"))])))
    );
    b.core.dynamic_auth_result(
        b.now,
        conn,
        Ok(Identity {
            authid: "joe".into(),
            authrole: "user".into(),
            authmethod: "ticket".into(),
            authprovider: "dynamic".into(),
            authextra: Dict::new(),
            realm: None,
        }),
    );
    let Message::Welcome { details, .. } = b.one(conn) else {
        panic!("expected WELCOME");
    };
    assert_eq!(details.get("authprovider"), Some(&s("dynamic")));
}

#[test]
fn a_dynamic_refusal_is_aborted_with_its_reason() {
    let mut b = bench();
    let conn = b.connect_with(info(
        r#"{"anonymous": {"type": "dynamic", "authenticator": "com.example.authenticate"}}"#,
    ));
    b.send(
        conn,
        Message::Hello {
            realm: "realm1".into(),
            details: hello_details(&[]),
        },
    );
    assert!(matches!(
        b.outputs().as_slice(),
        [Output::Authenticate { .. }]
    ));
    b.core.dynamic_auth_result(
        b.now,
        conn,
        Err(Refusal {
            reason: "com.example.go_away".into(),
            message: "no".into(),
        }),
    );
    assert_eq!(abort_reason(&b.one(conn)), "com.example.go_away");
    assert!(b.was_closed(conn));
    // A late second answer is ignored.
    b.core.dynamic_auth_result(
        b.now,
        conn,
        Err(Refusal {
            reason: "x".into(),
            message: "y".into(),
        }),
    );
    assert!(b.outputs().is_empty());
}

#[test]
fn an_authenticator_may_assign_another_realm_but_not_an_unknown_one() {
    let mut b = Bench::new(CoreConfig::open_realms(["realm1", "realm2"]));
    let dynamic =
        r#"{"anonymous": {"type": "dynamic", "authenticator": "com.example.authenticate"}}"#;
    let identity = |realm: &str| Identity {
        authid: "a".into(),
        authrole: "anonymous".into(),
        authmethod: "anonymous".into(),
        authprovider: "dynamic".into(),
        authextra: Dict::new(),
        realm: Some(realm.into()),
    };
    for (realm, ok) in [("realm2", true), ("realm9", false)] {
        let conn = b.connect_with(info(dynamic));
        b.send(
            conn,
            Message::Hello {
                realm: "realm1".into(),
                details: hello_details(&[]),
            },
        );
        b.outputs();
        b.core.dynamic_auth_result(b.now, conn, Ok(identity(realm)));
        match b.one(conn) {
            Message::Welcome { details, .. } if ok => {
                assert_eq!(details.get("realm"), Some(&s("realm2")))
            }
            Message::Abort { reason, .. } if !ok => {
                assert_eq!(reason, "wamp.error.no_such_realm")
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
