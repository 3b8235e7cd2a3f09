use super::*;

const TIMESTAMP: &str = "2026-12-07T08:00:00.000Z";
const RANDOM: [u8; 32] = [0x5a; 32];

fn config(json: &str) -> AuthConfig {
    serde_json::from_str(json).unwrap()
}

fn details(methods: &[&str], authid: Option<&str>, authextra: Option<Dict>) -> Dict {
    let mut d = Dict::from([(
        "authmethods",
        Value::List(methods.iter().map(|m| Value::from(*m)).collect()),
    )]);
    if let Some(authid) = authid {
        d.insert("authid".into(), Value::from(authid));
    }
    if let Some(extra) = authextra {
        d.insert("authextra".into(), Value::Dict(extra));
    }
    d
}

fn run_hello(config: &AuthConfig, details: &Dict) -> HelloOutcome {
    hello(config, "realm1", details, 4242, RANDOM, TIMESTAMP)
}

fn challenge(outcome: HelloOutcome) -> (String, Dict, Pending) {
    match outcome {
        HelloOutcome::Challenge {
            method,
            extra,
            pending,
        } => (method, extra, pending),
        other => panic!("expected a challenge, got {other:?}"),
    }
}

fn refusal(outcome: HelloOutcome) -> Refusal {
    match outcome {
        HelloOutcome::Refuse(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn welcome(outcome: AuthenticateOutcome) -> Identity {
    match outcome {
        AuthenticateOutcome::Welcome(identity) => identity,
        other => panic!("expected a welcome, got {other:?}"),
    }
}

fn refused(outcome: AuthenticateOutcome) -> Refusal {
    match outcome {
        AuthenticateOutcome::Refuse(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

const TICKET_CONFIG: &str = r#"{
    "anonymous": {"type": "static", "role": "guest"},
    "ticket": {"type": "static", "principals": {
        "ticket-user": {"ticket": "ticket-secret-1", "role": "authenticated"},
        "bound": {"ticket": "t2", "role": "user", "realm": "realm2"}
    }}
}"#;

#[test]
fn anonymous_welcomes_at_once_with_the_configured_role_and_a_random_authid() {
    let c = AuthConfig::anonymous_only("anonymous");
    let HelloOutcome::Welcome(identity) = run_hello(&c, &Dict::new()) else {
        panic!("expected a welcome");
    };
    assert_eq!(identity.authrole, "anonymous");
    assert_eq!(identity.authmethod, "anonymous");
    assert_eq!(identity.authprovider, "static");
    assert_eq!(identity.realm.as_deref(), Some("realm1"));
    assert_eq!(identity.authid.len(), 19);
    assert!(identity
        .authid
        .split('-')
        .all(|g| g.len() == 4 && g.bytes().all(|b| SERIAL_CHARS.contains(&b))));
    // Another random source, another authid; HELLO's authid is ignored.
    let d = details(&["anonymous"], Some("someone"), None);
    let HelloOutcome::Welcome(other) = hello(&c, "realm1", &d, 1, [1; 32], TIMESTAMP) else {
        panic!("expected a welcome");
    };
    assert_ne!(other.authid, identity.authid);
    assert_ne!(other.authid, "someone");
}

#[test]
fn anonymous_with_a_fixed_authid_uses_it() {
    let c = config(r#"{"anonymous": {"type": "static", "authid": "visitor"}}"#);
    let HelloOutcome::Welcome(identity) = run_hello(&c, &details(&["anonymous"], None, None))
    else {
        panic!("expected a welcome");
    };
    assert_eq!(identity.authid, "visitor");
    assert_eq!(identity.authrole, "anonymous", "crossbar's default role");
}

#[test]
fn the_default_config_allows_nothing() {
    let r = refusal(run_hello(&AuthConfig::default(), &Dict::new()));
    assert_eq!(r.reason, "wamp.error.no_auth_method");
}

#[test]
fn a_ticket_principal_gets_a_challenge_and_the_right_ticket_is_welcomed() {
    let c = config(TICKET_CONFIG);
    let extra = Dict::from([("x", Value::from(1))]);
    let (method, extra_out, pending) = challenge(run_hello(
        &c,
        &details(&["ticket"], Some("ticket-user"), Some(extra.clone())),
    ));
    assert_eq!(method, "ticket");
    assert!(extra_out.is_empty());
    assert_eq!(
        (pending.method(), pending.authid()),
        ("ticket", "ticket-user")
    );
    let identity = welcome(authenticate(pending, "ticket-secret-1", &Dict::new()));
    assert_eq!(identity.authid, "ticket-user");
    assert_eq!(identity.authrole, "authenticated");
    assert_eq!(identity.authmethod, "ticket");
    assert_eq!(identity.authprovider, "static");
    // Crossbar.io hands HELLO's authextra back.
    assert_eq!(identity.authextra, extra);
}

#[test]
fn a_wrong_ticket_is_not_authorized() {
    let c = config(TICKET_CONFIG);
    for wrong in ["ticket-secret-2", "", "ticket-secret-1 ", "ticket-secret-"] {
        let (_, _, pending) = challenge(run_hello(
            &c,
            &details(&["ticket"], Some("ticket-user"), None),
        ));
        let r = refused(authenticate(pending, wrong, &Dict::new()));
        assert_eq!(r.reason, "wamp.error.not_authorized");
        assert!(!r.message.contains("ticket-secret"));
    }
}

#[test]
fn an_unknown_or_missing_authid_is_not_authorized() {
    let c = config(TICKET_CONFIG);
    let r = refusal(run_hello(&c, &details(&["ticket"], Some("nobody"), None)));
    assert_eq!(r.reason, "wamp.error.not_authorized");
    assert_eq!(r.message, "no principal with authid \"nobody\" exists");
    let r = refusal(run_hello(&c, &details(&["ticket"], None, None)));
    assert_eq!(r.reason, "wamp.error.not_authorized");
}

#[test]
fn a_principal_bound_to_another_realm_is_not_authorized() {
    let c = config(TICKET_CONFIG);
    let d = details(&["ticket"], Some("bound"), None);
    let r = refusal(run_hello(&c, &d));
    assert_eq!(r.reason, "wamp.error.not_authorized");
    let (_, _, pending) = challenge(hello(&c, "realm2", &d, 1, RANDOM, TIMESTAMP));
    let identity = welcome(authenticate(pending, "t2", &Dict::new()));
    assert_eq!(identity.realm.as_deref(), Some("realm2"));
}

#[test]
fn methods_are_tried_in_the_clients_order() {
    let c = config(TICKET_CONFIG);
    // Both configured: the client's first wins.
    let d = details(&["ticket", "anonymous"], Some("ticket-user"), None);
    assert!(matches!(run_hello(&c, &d), HelloOutcome::Challenge { .. }));
    let d = details(&["anonymous", "ticket"], Some("ticket-user"), None);
    assert!(matches!(run_hello(&c, &d), HelloOutcome::Welcome(_)));
    // Unconfigured methods are skipped.
    let d = details(&["wampcra", "scram", "ticket"], Some("ticket-user"), None);
    let (method, _, _) = challenge(run_hello(&c, &d));
    assert_eq!(method, "ticket");
    // Known to Crossbar.io but not implemented here: skipped too.
    let d = details(&["cookie", "tls", "anonymous"], None, None);
    assert!(matches!(run_hello(&c, &d), HelloOutcome::Welcome(_)));
}

#[test]
fn no_method_in_common_is_no_auth_method() {
    let c = config(TICKET_CONFIG);
    let r = refusal(run_hello(
        &c,
        &details(&["wampcra", "scram"], Some("x"), None),
    ));
    assert_eq!(r.reason, "wamp.error.no_auth_method");
    assert!(r.message.contains("wampcra"), "{}", r.message);
    let only_ticket = config(r#"{"ticket": {"type": "static", "principals": {}}}"#);
    // No authmethods means anonymous, which this transport lacks.
    let r = refusal(run_hello(&only_ticket, &Dict::new()));
    assert_eq!(r.reason, "wamp.error.no_auth_method");
    let r = refusal(run_hello(&only_ticket, &details(&[], None, None)));
    assert_eq!(r.reason, "wamp.error.no_auth_method");
}

#[test]
fn an_unknown_method_name_is_refused_before_later_methods() {
    let c = config(TICKET_CONFIG);
    let r = refusal(run_hello(&c, &details(&["magic", "anonymous"], None, None)));
    assert_eq!(r.reason, "wamp.error.not_authorized");
    assert_eq!(r.message, "invalid authmethod \"magic\"");
    let mut d = details(&[], None, None);
    d.insert("authmethods".into(), Value::from("anonymous"));
    assert_eq!(
        refusal(run_hello(&c, &d)).reason,
        "wamp.error.not_authorized"
    );
    d.insert("authmethods".into(), Value::List(vec![Value::from(3)]));
    assert_eq!(
        refusal(run_hello(&c, &d)).reason,
        "wamp.error.not_authorized"
    );
}

#[test]
fn a_failure_never_falls_back_to_the_next_method() {
    let c = config(TICKET_CONFIG);
    // Unknown authid for ticket: refused although anonymous follows and is configured.
    let d = details(&["ticket", "anonymous"], Some("nobody"), None);
    assert_eq!(
        refusal(run_hello(&c, &d)).reason,
        "wamp.error.not_authorized"
    );
    // A wrong ticket: refused, nothing else is tried (authenticate has nothing to try).
    let d = details(&["ticket", "anonymous"], Some("ticket-user"), None);
    let (_, _, pending) = challenge(run_hello(&c, &d));
    assert!(matches!(
        authenticate(pending, "wrong", &Dict::new()),
        AuthenticateOutcome::Refuse(_)
    ));
}

#[test]
fn dynamic_ticket_challenges_then_asks_the_authenticator_with_the_ticket() {
    let c = config(
        r#"{"ticket": {"type": "dynamic", "authenticator": "wamp_suite.authenticate_ticket",
            "authenticator-realm": "wamp_suite.authenticator"}}"#,
    );
    let (method, _, pending) = challenge(run_hello(
        &c,
        &details(&["ticket"], Some("ticket-rotating"), None),
    ));
    assert_eq!(method, "ticket");
    let AuthenticateOutcome::Dynamic(request) =
        authenticate(pending, "rotating-ticket-0", &Dict::new())
    else {
        panic!("expected a dynamic request");
    };
    assert_eq!(request.method, "ticket");
    assert_eq!(request.realm, "realm1");
    assert_eq!(request.authid, "ticket-rotating");
    assert_eq!(
        request.authenticator.authenticator,
        "wamp_suite.authenticate_ticket"
    );
    assert_eq!(
        request.authenticator.authenticator_realm.as_deref(),
        Some("wamp_suite.authenticator")
    );
    assert_eq!(
        request.details.get("ticket"),
        Some(&Value::from("rotating-ticket-0"))
    );
    assert_eq!(request.details.get("session"), Some(&Value::from(4242)));
    assert_eq!(
        request.details.get("authmethod"),
        Some(&Value::from("ticket"))
    );
    let identity =
        dynamic_identity(&request.method, &request.authid, &Value::from("user")).unwrap();
    assert_eq!(identity.authid, "ticket-rotating");
    assert_eq!(identity.authprovider, "dynamic");
}

#[test]
fn dynamic_anonymous_asks_the_authenticator_at_hello() {
    let c = config(r#"{"anonymous": {"type": "dynamic", "authenticator": "com.example.auth"}}"#);
    let HelloOutcome::Dynamic(request) = run_hello(&c, &Dict::new()) else {
        panic!("expected a dynamic request");
    };
    assert_eq!(request.method, "anonymous");
    assert_eq!(request.authid.len(), 19);
    assert_eq!(
        request.authenticator,
        DynamicAuthenticator::new("com.example.auth")
    );
}

#[test]
fn dynamic_identity_reads_crossbars_answers() {
    let answer = Value::Dict(Dict::from([
        ("role", Value::from("admin")),
        ("realm", Value::from("realm9")),
        ("extra", Value::Dict(Dict::from([("a", Value::from(1))]))),
    ]));
    let identity = dynamic_identity("ticket", "joe", &answer).unwrap();
    assert_eq!(identity.authrole, "admin");
    assert_eq!(identity.realm.as_deref(), Some("realm9"));
    assert_eq!(identity.authextra.get("a"), Some(&Value::from(1)));
    let no_role = Value::Dict(Dict::from([("realm", Value::from("r"))]));
    assert_eq!(
        dynamic_identity("ticket", "joe", &no_role)
            .unwrap_err()
            .reason,
        "wamp.error.no_such_role"
    );
    assert_eq!(
        dynamic_identity("ticket", "joe", &Value::List(vec![]))
            .unwrap_err()
            .reason,
        "wamp.error.authentication_failed"
    );
}

#[test]
fn debug_of_the_config_and_of_pending_shows_no_secret() {
    let c = config(TICKET_CONFIG);
    let shown = format!("{c:?}");
    assert!(shown.contains("ticket-user"));
    assert!(!shown.contains("ticket-secret-1"), "{shown}");
    let (_, _, pending) = challenge(run_hello(
        &c,
        &details(&["ticket"], Some("ticket-user"), None),
    ));
    let shown = format!("{pending:?}");
    assert!(shown.contains("ticket-user"));
    assert!(!shown.contains("ticket-secret-1"), "{shown}");
}
