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

// ---- WAMP-CRA ----

/// The principals of the integration suite's WAMP-CRA transport (tests/support/auth.rs).
const CRA_CONFIG: &str = r#"{"wampcra": {"type": "static", "users": {
    "cra-user": {"secret": "cra-secret", "role": "authenticated"},
    "cra-salted": {"secret": "cra-salted-secret", "salt": "cra-salt", "iterations": 1000,
                   "keylen": 32, "role": "authenticated"},
    "cra-extra": {"secret": "s", "role": "r", "extra": {"greeting": "hi"}}
}}}"#;

#[test]
fn wampcra_challenge_is_crossbars_json_text() {
    let c = config(CRA_CONFIG);
    let (method, extra, _) = challenge(run_hello(
        &c,
        &details(&["wampcra"], Some("cra-user"), None),
    ));
    assert_eq!(method, "wampcra");
    assert_eq!(extra.len(), 1, "unsalted: only the challenge");
    let text = extra.get("challenge").and_then(Value::as_str).unwrap();
    assert_eq!(
        text,
        format!(
            "{{\"authid\": \"cra-user\", \"authrole\": \"authenticated\", \"authmethod\": \"wampcra\", \
             \"authprovider\": \"static\", \"session\": 4242, \"nonce\": \"{}\", \"timestamp\": \"{TIMESTAMP}\"}}",
            "5a".repeat(32)
        )
    );
    let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(parsed["session"], 4242);
}

#[test]
fn wampcra_accepts_the_clients_answer_and_refuses_a_wrong_secret() {
    let c = config(CRA_CONFIG);
    let d = details(&["wampcra"], Some("cra-user"), None);
    let (_, extra, pending) = challenge(run_hello(&c, &d));
    let signature = wampcra::answer("cra-secret", &extra).unwrap();
    let identity = welcome(authenticate(pending, &signature, &Dict::new()));
    assert_eq!(
        (identity.authid.as_str(), identity.authrole.as_str()),
        ("cra-user", "authenticated")
    );
    assert_eq!(identity.authmethod, "wampcra");
    assert!(identity.authextra.is_empty());

    let (_, extra, pending) = challenge(run_hello(&c, &d));
    let wrong = wampcra::answer("cra-secreT", &extra).unwrap();
    let r = refused(authenticate(pending, &wrong, &Dict::new()));
    assert_eq!(r.reason, "wamp.error.not_authorized");
    // A signature for another challenge (another nonce) is refused too.
    let (_, _, pending) = challenge(hello(&c, "realm1", &d, 4242, [1; 32], TIMESTAMP));
    assert!(matches!(
        authenticate(pending, &signature, &Dict::new()),
        AuthenticateOutcome::Refuse(_)
    ));
}

#[test]
fn salted_wampcra_sends_the_kdf_parameters_and_accepts_the_derived_key() {
    let c = config(CRA_CONFIG);
    let d = details(&["wampcra"], Some("cra-salted"), None);
    let (_, extra, pending) = challenge(run_hello(&c, &d));
    assert_eq!(extra.get("salt"), Some(&Value::from("cra-salt")));
    assert_eq!(extra.get("iterations"), Some(&Value::from(1000)));
    assert_eq!(extra.get("keylen"), Some(&Value::from(32)));
    // The client's answer from the password.
    let signature = wampcra::answer("cra-salted-secret", &extra).unwrap();
    welcome(authenticate(pending, &signature, &Dict::new()));
    // The suite's CRA_SALTED_KEY: signing with the derived key text directly works as well.
    let key = "U8hfERStaDfIDec9OOMgf7FjLhiEeM96yibMuLMr8wo=";
    assert_eq!(
        wampcra::derive_key("cra-salted-secret", "cra-salt", 1000, 32),
        key
    );
    let (_, extra, pending) = challenge(run_hello(&c, &d));
    let text = extra.get("challenge").and_then(Value::as_str).unwrap();
    welcome(authenticate(
        pending,
        &wampcra::sign(key.as_bytes(), text),
        &Dict::new(),
    ));
    // The password itself as an unsalted key is wrong.
    let (_, _, pending) = challenge(run_hello(&c, &d));
    let unsalted = wampcra::sign(b"cra-salted-secret", text);
    assert!(matches!(
        authenticate(pending, &unsalted, &Dict::new()),
        AuthenticateOutcome::Refuse(_)
    ));
}

#[test]
fn salted_wampcra_defaults_to_1000_iterations_and_32_bytes() {
    let c = config(
        r#"{"wampcra": {"type": "static", "users": {"u": {"secret": "secret123", "salt": "salt123", "role": "r"}}}}"#,
    );
    let (_, extra, pending) = challenge(run_hello(&c, &details(&["wampcra"], Some("u"), None)));
    assert_eq!(extra.get("iterations"), Some(&Value::from(1000)));
    assert_eq!(extra.get("keylen"), Some(&Value::from(32)));
    let text = extra.get("challenge").and_then(Value::as_str).unwrap();
    // The protocol notes' vector: this salt and secret give this key text.
    let key = "Eu7CQLfR+/Ffb+275A4s9/6H/RGKYxM4s6IMrsNKzC8=";
    welcome(authenticate(
        pending,
        &wampcra::sign(key.as_bytes(), text),
        &Dict::new(),
    ));
}

#[test]
fn salted_wampcra_with_a_cost_a_client_would_refuse_is_refused_at_hello() {
    let c = config(
        r#"{"wampcra": {"type": "static", "users": {"u": {"secret": "s", "salt": "x", "iterations": 4000000000, "role": "r"}}}}"#,
    );
    let r = refusal(run_hello(&c, &details(&["wampcra"], Some("u"), None)));
    assert_eq!(r.reason, "wamp.error.not_authorized");
}

#[test]
fn wampcra_welcome_carries_the_principals_extra() {
    let c = config(CRA_CONFIG);
    let (_, extra, pending) = challenge(run_hello(
        &c,
        &details(&["wampcra"], Some("cra-extra"), None),
    ));
    let signature = wampcra::answer("s", &extra).unwrap();
    let identity = welcome(authenticate(pending, &signature, &Dict::new()));
    assert_eq!(identity.authextra.get("greeting"), Some(&Value::from("hi")));
}

#[test]
fn wampcra_refuses_unknown_authids_and_never_shows_secrets() {
    let c = config(CRA_CONFIG);
    let r = refusal(run_hello(&c, &details(&["wampcra"], Some("nobody"), None)));
    assert_eq!(r.reason, "wamp.error.not_authorized");
    let (_, _, pending) = challenge(run_hello(
        &c,
        &details(&["wampcra"], Some("cra-salted"), None),
    ));
    let shown = format!("{c:?} {pending:?}");
    assert!(!shown.contains("cra-secret"), "{shown}");
    assert!(!shown.contains("cra-salted-secret"), "{shown}");
    let r = refused(authenticate(pending, "garbage", &Dict::new()));
    assert!(!r.message.contains("secret"), "{}", r.message);
}

// ---- WAMP-Cryptosign ----

use crate::auth::cryptosign::SigningKey;

/// The integration suite's cryptosign principal (tests/support/auth.rs).
const CS_SEED: &str = "170d7cca6af5b06963dc2d63fb85a8f77e2db52633c1d7259837e99ea137142a";
const CS_PUBKEY: &str = "89bec73b2789decb681a9239c751e6d6a204f01f3e9e550757e4013a88dfce76";
/// The spec's seed 1 and its public key (protocol notes §8).
const SPEC_SEED_1: &str = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510";
const SPEC_PUBKEY_1: &str = "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d";

fn cryptosign_config() -> AuthConfig {
    config(&format!(
        r#"{{"cryptosign": {{"type": "static", "principals": {{
            "cryptosign-user": {{"authorized_keys": ["{CS_PUBKEY}"], "role": "authenticated"}},
            "spec": {{"authorized_keys": ["0000000000000000000000000000000000000000000000000000000000000000",
                                          "{}"], "role": "user", "extra": {{"k": 1}}}}
        }}}}}}"#,
        SPEC_PUBKEY_1.to_uppercase()
    ))
}

fn cs_details(authid: Option<&str>, key: &SigningKey) -> Dict {
    details(&["cryptosign"], authid, Some(key.hello_extra(None)))
}

#[test]
fn cryptosign_accepts_the_clients_signature() {
    let c = cryptosign_config();
    let key = SigningKey::from_hex(CS_SEED).unwrap();
    assert_eq!(key.public_key_hex(), CS_PUBKEY);
    let (method, extra, pending) =
        challenge(run_hello(&c, &cs_details(Some("cryptosign-user"), &key)));
    assert_eq!(method, "cryptosign");
    assert_eq!(extra.get("challenge"), Some(&Value::from("5a".repeat(32))));
    assert_eq!(extra.get("channel_binding"), Some(&Value::Null));
    let signature = key.answer(&extra, None).unwrap();
    let identity = welcome(authenticate(pending, &signature, &Dict::new()));
    assert_eq!(identity.authid, "cryptosign-user");
    assert_eq!(identity.authrole, "authenticated");
    assert_eq!(identity.authmethod, "cryptosign");
}

#[test]
fn cryptosign_finds_the_authid_from_the_public_key() {
    let c = cryptosign_config();
    let key = SigningKey::from_hex(CS_SEED).unwrap();
    let (_, extra, pending) = challenge(run_hello(&c, &cs_details(None, &key)));
    let identity = welcome(authenticate(
        pending,
        &key.answer(&extra, None).unwrap(),
        &Dict::new(),
    ));
    assert_eq!(identity.authid, "cryptosign-user");
    // Keys are compared as bytes: the config's upper-case hex matches.
    let spec = SigningKey::from_hex(SPEC_SEED_1).unwrap();
    let (_, extra, pending) = challenge(run_hello(&c, &cs_details(None, &spec)));
    let identity = welcome(authenticate(
        pending,
        &spec.answer(&extra, None).unwrap(),
        &Dict::new(),
    ));
    assert_eq!(identity.authid, "spec");
    assert_eq!(identity.authextra.get("k"), Some(&Value::from(1)));
}

#[test]
fn cryptosign_matches_the_spec_vector_and_accepts_the_bare_signature() {
    let c = cryptosign_config();
    let key = SigningKey::from_hex(SPEC_SEED_1).unwrap();
    let d = cs_details(Some("spec"), &key);
    let (_, extra, pending) = challenge(hello(&c, "realm1", &d, 1, [0xff; 32], TIMESTAMP));
    assert_eq!(extra.get("challenge"), Some(&Value::from("ff".repeat(32))));
    let expected = "b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03";
    let signature = key.answer(&extra, None).unwrap();
    assert_eq!(signature, format!("{expected}{}", "ff".repeat(32)));
    welcome(authenticate(pending, &signature, &Dict::new()));
    // The 64-byte signature alone is accepted as well, in either case.
    let (_, _, pending) = challenge(hello(&c, "realm1", &d, 1, [0xff; 32], TIMESTAMP));
    welcome(authenticate(
        pending,
        &expected.to_uppercase(),
        &Dict::new(),
    ));
}

#[test]
fn cryptosign_refuses_a_wrong_key_a_wrong_message_and_garbage() {
    let c = cryptosign_config();
    let key = SigningKey::from_hex(CS_SEED).unwrap();
    let other = SigningKey::from_seed(&[9; 32]).unwrap();
    let d = cs_details(Some("cryptosign-user"), &key);
    // Another key signs, claiming the authorized public key.
    let (_, extra, pending) = challenge(run_hello(&c, &d));
    let r = refused(authenticate(
        pending,
        &other.answer(&extra, None).unwrap(),
        &Dict::new(),
    ));
    assert_eq!(r.reason, "wamp.error.not_authorized");
    // The right key, but over another challenge.
    let (_, _, pending) = challenge(run_hello(&c, &d));
    let stale = key.sign_challenge(&"00".repeat(32), None).unwrap();
    assert!(matches!(
        authenticate(pending, &stale, &Dict::new()),
        AuthenticateOutcome::Refuse(_)
    ));
    // A valid signature whose appended message is not the challenge.
    let (_, extra, pending) = challenge(run_hello(&c, &d));
    let good = key.answer(&extra, None).unwrap();
    let tampered = format!("{}{}", &good[..128], "00".repeat(32));
    assert!(matches!(
        authenticate(pending, &tampered, &Dict::new()),
        AuthenticateOutcome::Refuse(_)
    ));
    for garbage in [
        "",
        "zz",
        &"g".repeat(128),
        &"0".repeat(191),
        &"0".repeat(256),
        "\u{e9}\u{e9}",
    ] {
        let (_, _, pending) = challenge(run_hello(&c, &d));
        assert!(matches!(
            authenticate(pending, garbage, &Dict::new()),
            AuthenticateOutcome::Refuse(_)
        ));
    }
}

#[test]
fn cryptosign_refuses_at_hello_an_unauthorized_or_missing_key() {
    let c = cryptosign_config();
    let other = SigningKey::from_seed(&[9; 32]).unwrap();
    for d in [
        // A key the principal does not list.
        cs_details(Some("cryptosign-user"), &other),
        // A key no principal lists.
        cs_details(None, &other),
        // No key, no authid; no key with an authid.
        details(&["cryptosign"], None, None),
        details(&["cryptosign"], Some("cryptosign-user"), None),
        // An unknown authid.
        cs_details(Some("nobody"), &other),
        // A malformed key.
        details(
            &["cryptosign"],
            Some("cryptosign-user"),
            Some(Dict::from([("pubkey", Value::from("abc"))])),
        ),
    ] {
        let r = refusal(run_hello(&c, &d));
        assert_eq!(r.reason, "wamp.error.not_authorized", "{d:?}");
    }
}

#[test]
fn cryptosign_refuses_a_channel_binding() {
    let c = cryptosign_config();
    let key = SigningKey::from_hex(CS_SEED).unwrap();
    let d = details(
        &["cryptosign"],
        Some("cryptosign-user"),
        Some(key.hello_extra(Some("tls-unique"))),
    );
    let r = refusal(run_hello(&c, &d));
    assert_eq!(r.reason, "wamp.error.not_authorized");
    // null is no binding.
    let mut extra = key.hello_extra(None);
    extra.insert("channel_binding".into(), Value::Null);
    let d = details(&["cryptosign"], Some("cryptosign-user"), Some(extra));
    assert!(matches!(run_hello(&c, &d), HelloOutcome::Challenge { .. }));
}

#[test]
fn a_public_key_listed_by_two_principals_cannot_identify_a_client() {
    let c = config(&format!(
        r#"{{"cryptosign": {{"type": "static", "principals": {{
            "a": {{"authorized_keys": ["{CS_PUBKEY}"], "role": "r"}},
            "b": {{"authorized_keys": ["{CS_PUBKEY}"], "role": "r"}}
        }}}}}}"#
    ));
    let key = SigningKey::from_hex(CS_SEED).unwrap();
    let r = refusal(run_hello(&c, &cs_details(None, &key)));
    assert_eq!(r.reason, "wamp.error.not_authorized");
    assert!(r.message.contains("multiple authids"), "{}", r.message);
    // Naming the authid works.
    assert!(matches!(
        run_hello(&c, &cs_details(Some("b"), &key)),
        HelloOutcome::Challenge { .. }
    ));
}

// ---- WAMP-SCRAM ----

use crate::auth::scram::{self as client_scram, ScramClient};

/// The integration suite's SCRAM principals (tests/support/auth.rs `SCRAM_ARGON2`,
/// `SCRAM_PBKDF2`, `SCRAM_IMPOSTOR_SERVER_KEY_HEX`).
fn suite_scram_config(kdf: &str) -> AuthConfig {
    let (iterations, memory, salt, stored, server) = match kdf {
        "argon2id-13" => (
            32,
            512,
            "ea8ed87725cc9ada8a413c24b811fa27",
            "b8a63c71d0155f00ca7d005fc32a13732df63e1dc3400827782951ea04a997a8",
            "e36f39c7e6df65300b233b1eda9b9309f8527deb442ce83f03d5e6677b1155c3",
        ),
        _ => (
            4096,
            0,
            "84e115959c84261e975c24d6f971cda2",
            "3f290270ae75d45351c3839ca7570c5193958ac4763b66a5772ee966916e8468",
            "fb2f228ceeff5b4f19597a87fdec3bd9b4842cbb3bd39c52d0c0c6d60c2872d2",
        ),
    };
    let impostor = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";
    config(&format!(
        r#"{{"scram": {{"type": "static", "principals": {{
            "scram-user": {{"kdf": "{kdf}", "iterations": {iterations}, "memory": {memory},
                "salt": "{salt}", "stored-key": "{stored}", "server-key": "{server}",
                "role": "authenticated"}},
            "scram-impostor": {{"kdf": "{kdf}", "iterations": {iterations}, "memory": {memory},
                "salt": "{salt}", "stored-key": "{stored}", "server-key": "{impostor}",
                "role": "authenticated"}}
        }}}}}}"#
    ))
}

/// Runs a whole SCRAM exchange with our client; returns the client and the outcome.
fn scram_exchange(
    c: &AuthConfig,
    authid: &str,
    password: &str,
) -> (ScramClient, AuthenticateOutcome) {
    let mut client = ScramClient::new(authid, password, &client_scram::client_nonce([0x11; 16]));
    let d = details(&["scram"], Some(authid), Some(client.hello_extra()));
    let (method, extra, pending) = challenge(run_hello(c, &d));
    assert_eq!(method, "scram");
    let (proof, authenticate_extra) = client.answer(&extra).unwrap();
    let outcome = authenticate(pending, &proof, &authenticate_extra);
    (client, outcome)
}

#[test]
fn scram_accepts_the_suites_argon2_and_pbkdf2_principals_and_proves_itself() {
    for kdf in ["argon2id-13", "pbkdf2"] {
        let c = suite_scram_config(kdf);
        let (client, outcome) = scram_exchange(&c, "scram-user", "scram-password");
        let identity = welcome(outcome);
        assert_eq!(identity.authid, "scram-user");
        assert_eq!(identity.authrole, "authenticated");
        assert_eq!(identity.authmethod, "scram");
        assert_eq!(client.verify_welcome(&identity.authextra), Ok(()), "{kdf}");
    }
}

#[test]
fn scram_refuses_a_wrong_password() {
    for kdf in ["argon2id-13", "pbkdf2"] {
        let c = suite_scram_config(kdf);
        let (_, outcome) = scram_exchange(&c, "scram-user", "scram-passwort");
        assert_eq!(refused(outcome).reason, "wamp.error.not_authorized");
    }
}

#[test]
fn scram_with_a_wrong_server_key_gives_a_signature_the_client_refuses() {
    let c = suite_scram_config("argon2id-13");
    let (client, outcome) = scram_exchange(&c, "scram-impostor", "scram-password");
    let identity = welcome(outcome);
    assert!(client.verify_welcome(&identity.authextra).is_err());
}

#[test]
fn scram_challenge_is_crossbars() {
    let c = suite_scram_config("argon2id-13");
    let d = details(
        &["scram"],
        Some("scram-user"),
        Some(Dict::from([(
            "nonce",
            Value::from(client_scram::client_nonce([0x11; 16])),
        )])),
    );
    let (_, extra, _) = challenge(run_hello(&c, &d));
    let mut nonce = vec![0x11u8; 16];
    nonce.extend_from_slice(&RANDOM[..16]);
    assert_eq!(
        extra,
        Dict::from([
            ("nonce", Value::from(STANDARD.encode(&nonce))),
            ("kdf", Value::from("argon2id-13")),
            (
                "salt",
                Value::from(STANDARD.encode([
                    0xea, 0x8e, 0xd8, 0x77, 0x25, 0xcc, 0x9a, 0xda, 0x8a, 0x41, 0x3c, 0x24, 0xb8,
                    0x11, 0xfa, 0x27
                ]))
            ),
            ("iterations", Value::from(32)),
            ("memory", Value::from(512)),
        ])
    );
}

/// Exchanges recorded against Crossbar.io 26.10.1's `PendingAuthScram` (see
/// `auth/scram/tests.rs`): client nonce bytes 0x11 × 16, router bytes 0x22 × 16. Our router
/// accepts the same proofs and sends the same server signatures.
#[test]
fn scram_accepts_proofs_crossbar_accepted_and_signs_as_crossbar_did() {
    let cases = [
        // Autobahn's derive_scram_credential("foobar@example.com", "secret123").
        (
            "foobar@example.com",
            "argon2id-13",
            4096,
            512,
            "3bc3ca01dd1d501ca1c22e1c5d7d16fe",
            "e796c2f0a51770303ee4616bc630a66774d51a55003154aff2a54ec7c4ac0e38",
            "8de7864c316f3c2356fd76cfdab696db55bc70e680fe5180e2f731e2345acca2",
            "qfsc/5YoLgn14LlwtSZHdxVEfhd7zFP9YhihmFvc/gM=",
            "ZuSu8dyfxuLu8WvF+EB/jSzhYhXUQwnqbJEy7lpmuYQ=",
        ),
        (
            "alice",
            "argon2id-13",
            4,
            64,
            "000102030405060708090a0b0c0d0e0f",
            "37ed2e27d8a23270b20fb0a34290555cbe72a1b0763232c953f057af26ecd2e7",
            "6b68d046b10dbf0af42051b26ae2235e5e65629c3ad237a135754725b7dc1460",
            "1JIoGhDl7Jq8umocOWPOgaPTI8M/Qy0U42SXvVpKOcw=",
            "GnBhtRgPcFAVUVUg/PxO4LGpH/bIasBT9DGB7sSxe7U=",
        ),
        (
            "bob@example.com",
            "pbkdf2",
            4096,
            0,
            "000102030405060708090a0b0c0d0e0f",
            "cc709da25db4e38fd9c96ccf2e2ee8c40a4291a98ac3d67e13853f400a5dff96",
            "75de697813a2b559cb345bbb566c0ff8788369ac383940afdfde9e5425a16221",
            "wyvCmZCWKD6A81Gxp6vylbQmKdBVoiPe23jF+ErUxX8=",
            "tvlM/AgMeORK8JmJYujRamVOUbB9OSgxT3+myuq3qHg=",
        ),
    ];
    for (authid, kdf, iterations, memory, salt, stored, server, proof, signature) in cases {
        let c = config(&format!(
            r#"{{"scram": {{"type": "static", "principals": {{"{authid}": {{"kdf": "{kdf}",
                "iterations": {iterations}, "memory": {memory}, "salt": "{salt}",
                "stored-key": "{stored}", "server-key": "{server}", "role": "user"}}}}}}}}"#
        ));
        let d = details(
            &["scram"],
            Some(authid),
            Some(Dict::from([(
                "nonce",
                Value::from(client_scram::client_nonce([0x11; 16])),
            )])),
        );
        let (_, _, pending) = challenge(hello(&c, "realm1", &d, 1, [0x22; 32], TIMESTAMP));
        let identity = welcome(authenticate(pending, proof, &Dict::new()));
        assert_eq!(
            identity.authextra.get("scram_server_signature"),
            Some(&Value::from(signature)),
            "{authid}"
        );
    }
}

#[test]
fn scram_refuses_a_missing_nonce_an_unknown_authid_and_a_garbage_proof() {
    let c = suite_scram_config("pbkdf2");
    let nonce = Dict::from([("nonce", Value::from(client_scram::client_nonce([0x11; 16])))]);
    for d in [
        details(&["scram"], Some("scram-user"), None),
        details(
            &["scram"],
            Some("scram-user"),
            Some(Dict::from([("nonce", Value::from("not base64!"))])),
        ),
        details(&["scram"], Some("nobody"), Some(nonce.clone())),
        details(&["scram"], None, Some(nonce.clone())),
    ] {
        assert_eq!(
            refusal(run_hello(&c, &d)).reason,
            "wamp.error.not_authorized",
            "{d:?}"
        );
    }
    for garbage in ["", "!!", "AAAA", &"A".repeat(1000)] {
        let d = details(&["scram"], Some("scram-user"), Some(nonce.clone()));
        let (_, _, pending) = challenge(run_hello(&c, &d));
        assert_eq!(
            refused(authenticate(pending, garbage, &Dict::new())).reason,
            "wamp.error.not_authorized"
        );
    }
}

#[test]
fn a_malformed_scram_principal_is_refused_not_a_panic() {
    let nonce = Dict::from([("nonce", Value::from(client_scram::client_nonce([0x11; 16])))]);
    for (kdf, salt, key) in [
        (
            "bcrypt",
            "00112233445566778899aabbccddeeff",
            "00".repeat(32),
        ),
        ("pbkdf2", "0g", "00".repeat(32)),
        ("pbkdf2", "00", "00".repeat(31)),
    ] {
        let c = config(&format!(
            r#"{{"scram": {{"type": "static", "principals": {{"u": {{"kdf": "{kdf}",
                "iterations": 1, "salt": "{salt}", "stored-key": "{key}", "server-key": "{key}",
                "role": "r"}}}}}}}}"#
        ));
        let d = details(&["scram"], Some("u"), Some(nonce.clone()));
        assert_eq!(
            refusal(run_hello(&c, &d)).reason,
            "wamp.error.not_authorized"
        );
    }
}

#[test]
fn debug_of_scram_config_and_pending_shows_no_key() {
    let c = suite_scram_config("pbkdf2");
    let nonce = Dict::from([("nonce", Value::from(client_scram::client_nonce([0x11; 16])))]);
    let (_, _, pending) = challenge(run_hello(
        &c,
        &details(&["scram"], Some("scram-user"), Some(nonce)),
    ));
    let shown = format!("{c:?} {pending:?}");
    assert!(!shown.contains("3f290270ae75d453"), "{shown}");
    assert!(!shown.contains("fb2f228ceeff5b4f"), "{shown}");
}

// ---- config ----

#[test]
fn the_suites_crossbar_auth_objects_deserialize() {
    let c = config(
        r#"{"anonymous": {"type": "static", "role": "anonymous"},
            "ticket": {"type": "static", "principals": {"ticket-user": {"ticket": "ticket-secret-1", "role": "authenticated"}}}}"#,
    );
    assert!(c.has_method("anonymous") && c.has_method("ticket"));
    assert!(!c.has_method("wampcra") && !c.has_method("nonsense"));
    let c = config(
        r#"{"ticket": {"type": "dynamic", "authenticator": "wamp_suite.authenticate_ticket",
            "authenticator-realm": "wamp_suite.authenticator", "authenticator-role": "auth"}}"#,
    );
    assert_eq!(
        c.ticket,
        Some(MethodConfig::Dynamic(DynamicAuthenticator {
            authenticator: "wamp_suite.authenticate_ticket".into(),
            authenticator_realm: Some("wamp_suite.authenticator".into()),
            authenticator_role: Some("auth".into()),
        }))
    );
    let c = suite_scram_config("argon2id-13");
    let Some(MethodConfig::Static(p)) = &c.scram else {
        panic!("static scram");
    };
    assert_eq!(p["scram-user"].memory, 512);
    assert_eq!(p["scram-user"].kdf, "argon2id-13");
}

#[test]
fn bad_configs_are_serde_errors() {
    for bad in [
        r#"{"ticket": {"type": "function", "create": "x.y"}}"#,
        r#"{"ticket": {"type": "dynamic"}}"#,
        r#"{"ticket": {"principals": {}}}"#,
        r#"{"ticket": {"type": "static", "principals": {"u": {"role": "r"}}}}"#,
        r#"{"ticket": {"type": "static", "principals": {}, "users": {}}}"#,
        r#"{"anonymous": {"type": "other"}}"#,
        r#"{"scram": {"type": "static", "principals": {"u": {"kdf": "pbkdf2", "iterations": 1, "salt": "00", "stored-key": "00", "role": "r"}}}}"#,
    ] {
        assert!(serde_json::from_str::<AuthConfig>(bad).is_err(), "{bad}");
    }
}

#[test]
fn dynamic_wampcra_cryptosign_and_scram_are_refused_not_waved_through() {
    for method in ["wampcra", "cryptosign", "scram"] {
        let c = config(&format!(
            r#"{{"{method}": {{"type": "dynamic", "authenticator": "com.example.auth"}}}}"#
        ));
        let d = details(&[method], Some("u"), None);
        assert_eq!(
            refusal(run_hello(&c, &d)).reason,
            "wamp.error.not_authorized"
        );
    }
}

#[test]
fn problems_names_what_cannot_work() {
    let c = config(&format!(
        r#"{{
        "wampcra": {{"type": "static", "users": {{
            "ok": {{"secret": "s", "salt": "x", "role": "r"}},
            "costly": {{"secret": "s", "salt": "x", "iterations": 2000000, "role": "r"}},
            "short": {{"secret": "s", "salt": "x", "keylen": 0, "role": "r"}}
        }}}},
        "cryptosign": {{"type": "dynamic", "authenticator": "com.example.auth"}},
        "scram": {{"type": "static", "principals": {{
            "bad-kdf": {{"kdf": "md5", "iterations": 1, "salt": "00", "stored-key": "{k}", "server-key": "{k}", "role": "r"}},
            "bad-key": {{"kdf": "pbkdf2", "iterations": 1, "salt": "00", "stored-key": "zz", "server-key": "{k}", "role": "r"}},
            "costly": {{"kdf": "argon2id-13", "iterations": 100000, "memory": 512, "salt": "0011223344556677", "stored-key": "{k}", "server-key": "{k}", "role": "r"}},
            "ok": {{"kdf": "pbkdf2", "iterations": 4096, "salt": "00", "stored-key": "{k}", "server-key": "{k}", "role": "r"}}
        }}}}}}"#,
        k = "00".repeat(32)
    ));
    let problems = c.problems();
    assert_eq!(
        problems,
        [
            "wampcra principal \"costly\": iterations must be in 1..=1000000 (clients refuse more)",
            "wampcra principal \"short\": keylen must be in 1..=64 (clients refuse more)",
            "cryptosign: dynamic authenticators are not supported for this method",
            "scram principal \"bad-kdf\": unknown kdf",
            "scram principal \"bad-key\": stored-key is not 64 hex characters",
            "scram principal \"costly\": scram: `iterations` is 100000, above the limit of 65536 (clients refuse it)",
        ]
    );
    assert!(cryptosign_config().problems().is_empty());
    assert!(suite_scram_config("argon2id-13").problems().is_empty());
    assert!(config(CRA_CONFIG).problems().is_empty());
    let no_keys = config(
        r#"{"cryptosign": {"type": "static", "principals": {"x": {"authorized_keys": [], "role": "r"}}}}"#,
    );
    assert_eq!(
        no_keys.problems(),
        ["cryptosign principal \"x\": no authorized_keys"]
    );
}

/// 0x02 × 32 is 64 hex characters but no point of the curve.
const NOT_A_POINT: &str = "0202020202020202020202020202020202020202020202020202020202020202";

#[test]
fn a_configured_key_that_is_not_a_curve_point_is_a_problem_and_refused_at_hello() {
    let c = config(&format!(
        r#"{{"cryptosign": {{"type": "static", "principals": {{"x": {{"authorized_keys": ["{NOT_A_POINT}"], "role": "r"}}}}}}}}"#
    ));
    assert_eq!(
        c.problems(),
        ["cryptosign principal \"x\": authorized key 1 is not an ed25519 public key (64 hex characters)"]
    );
    let d = details(
        &["cryptosign"],
        Some("x"),
        Some(Dict::from([("pubkey", Value::from(NOT_A_POINT))])),
    );
    assert_eq!(
        refusal(run_hello(&c, &d)).reason,
        "wamp.error.not_authorized"
    );
}

#[test]
fn refusal_messages_stay_small_whatever_the_client_sends() {
    let c = config(TICKET_CONFIG);
    let long = "x".repeat(10_000);
    let many: Vec<&str> = std::iter::repeat("cookie").take(10_000).collect();
    let r = refusal(run_hello(&c, &details(&many, None, None)));
    assert_eq!(r.reason, "wamp.error.no_auth_method");
    assert!(r.message.len() < 300, "{}", r.message.len());
    assert!(r.message.ends_with("and more"));
    let r = refusal(run_hello(&c, &details(&[&long], None, None)));
    assert!(r.message.len() < 300, "{}", r.message.len());
    let r = refusal(run_hello(&c, &details(&["ticket"], Some(&long), None)));
    assert!(r.message.len() < 300, "{}", r.message.len());
    // Multi-byte characters are cut on a character boundary.
    let wide = "\u{e9}".repeat(500);
    let r = refusal(run_hello(&c, &details(&["ticket"], Some(&wide), None)));
    assert!(r.message.contains(&"\u{e9}".repeat(100)));
    assert!(!r.message.contains(&"\u{e9}".repeat(101)));
}

#[test]
fn hello_details_of_the_wrong_types_are_refused() {
    let c = config(TICKET_CONFIG);
    for (key, value) in [
        ("authid", Value::from(7)),
        ("authrole", Value::List(vec![])),
        ("authextra", Value::from("x")),
    ] {
        let mut d = details(&["anonymous"], None, None);
        d.insert(key.into(), value);
        assert_eq!(
            refusal(run_hello(&c, &d)).reason,
            "wamp.error.not_authorized",
            "{key}"
        );
    }
    // null is absent.
    let mut d = details(&["anonymous"], None, None);
    d.insert("authid".into(), Value::Null);
    d.insert("authextra".into(), Value::Null);
    assert!(matches!(run_hello(&c, &d), HelloOutcome::Welcome(_)));
}

fn every_method_config() -> AuthConfig {
    let mut c = config(TICKET_CONFIG);
    c.wampcra = config(CRA_CONFIG).wampcra;
    c.cryptosign = cryptosign_config().cryptosign;
    c.scram = suite_scram_config("pbkdf2").scram;
    c
}

proptest::proptest! {
    /// Whatever HELLO and AUTHENTICATE hold, the outcome is a value, never a panic, and a
    /// random signature is never accepted.
    #[test]
    fn random_hellos_and_signatures_never_panic_nor_pass(
        methods in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just("ticket".to_owned()),
                proptest::strategy::Just("wampcra".to_owned()),
                proptest::strategy::Just("cryptosign".to_owned()),
                proptest::strategy::Just("scram".to_owned()),
                proptest::strategy::Just("cookie".to_owned()),
                ".{0,12}",
            ],
            0..4,
        ),
        authid in proptest::option::of(proptest::prop_oneof![
            proptest::strategy::Just("ticket-user".to_owned()),
            proptest::strategy::Just("cra-salted".to_owned()),
            proptest::strategy::Just("cryptosign-user".to_owned()),
            proptest::strategy::Just("scram-user".to_owned()),
            ".{0,12}",
        ]),
        nonce in proptest::option::of("[A-Za-z0-9+/=]{0,30}"),
        pubkey in proptest::option::of(proptest::prop_oneof![
            proptest::strategy::Just(CS_PUBKEY.to_owned()),
            "[0-9a-f]{0,70}",
        ]),
        signature in ".{0,200}",
        random in proptest::array::uniform32(proptest::num::u8::ANY),
    ) {
        let c = every_method_config();
        let mut extra = Dict::new();
        if let Some(n) = nonce {
            extra.insert("nonce".into(), Value::from(n));
        }
        if let Some(k) = pubkey {
            extra.insert("pubkey".into(), Value::from(k));
        }
        let names: Vec<&str> = methods.iter().map(String::as_str).collect();
        let d = details(&names, authid.as_deref(), Some(extra));
        if let HelloOutcome::Challenge { pending, .. } = hello(&c, "realm1", &d, 1, random, TIMESTAMP) {
            let outcome = authenticate(pending, &signature, &Dict::new());
            proptest::prop_assert!(matches!(outcome, AuthenticateOutcome::Refuse(_)));
        }
    }
}

#[test]
fn secrets_compare_by_value() {
    assert_eq!(Secret::new("a"), Secret::from("a".to_owned()));
    assert_ne!(Secret::new("a"), Secret::new("ab"));
    assert_eq!(config(TICKET_CONFIG), config(TICKET_CONFIG));
    assert_ne!(config(TICKET_CONFIG), AuthConfig::default());
}

/// Answers computed by Autobahn|Python 26.10's own client code (`auth.AuthScram.on_challenge`
/// with client nonce bytes 0x11 × 16, `auth.derive_key` + `auth.compute_wcs`) for the
/// challenges this router sends with random bytes 0x5a × 32, session 4242 and `TIMESTAMP`:
/// the router accepts them, and its SCRAM server signature is the one Autobahn expects.
#[test]
fn answers_computed_by_autobahns_client_are_accepted() {
    let c = suite_scram_config("argon2id-13");
    let d = details(
        &["scram"],
        Some("scram-user"),
        Some(Dict::from([(
            "nonce",
            Value::from("ERERERERERERERERERERcareful"),
        )])),
    );
    // (A nonce that is not base64 is refused, as by Crossbar.io.)
    assert!(matches!(run_hello(&c, &d), HelloOutcome::Refuse(_)));
    let d = details(
        &["scram"],
        Some("scram-user"),
        Some(Dict::from([(
            "nonce",
            Value::from(client_scram::client_nonce([0x11; 16])),
        )])),
    );
    let (_, _, pending) = challenge(run_hello(&c, &d));
    let identity = welcome(authenticate(
        pending,
        "b93z2yL+o+BuLY/wWQEuxcikv8+I6JhMOsPpVHhCH1Q=",
        &Dict::new(),
    ));
    assert_eq!(
        identity.authextra.get("scram_server_signature"),
        Some(&Value::from("jiI9GzE3bqbHsqN0gQgxdnTomcLMOW+HRhmmvdRqZAw="))
    );

    let c = config(CRA_CONFIG);
    let (_, extra, pending) = challenge(run_hello(
        &c,
        &details(&["wampcra"], Some("cra-salted"), None),
    ));
    assert_eq!(
        extra.get("challenge").and_then(Value::as_str),
        Some(
            "{\"authid\": \"cra-salted\", \"authrole\": \"authenticated\", \"authmethod\": \"wampcra\", \
             \"authprovider\": \"static\", \"session\": 4242, \"nonce\": \
             \"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a\", \
             \"timestamp\": \"2026-12-07T08:00:00.000Z\"}"
        )
    );
    welcome(authenticate(
        pending,
        "LNtu6NcSuOVllyCLuFhZuFGqRflZR8Zvii5XA4oI94M=",
        &Dict::new(),
    ));
}

#[test]
fn unsupported_keys_lists_what_deserializing_ignores() {
    let auth: serde_json::Value = serde_json::from_str(
        r#"{
        "anonymous": {"type": "static", "role": "anonymous", "authid": "a", "cookie": true},
        "ticket": {"type": "static", "principals": {"joe": {"ticket": "t", "role": "r", "realm": "x", "extra": {}, "authid": "j"}}},
        "wampcra": {"type": "static", "users": {"u": {"secret": "s", "role": "r", "salt": "x", "iterations": 1, "keylen": 32, "extra": {}}}},
        "cryptosign": {"type": "static", "trustroots": {}, "principals": {"p": {"authorized_keys": [], "role": "r"}}},
        "scram": {"type": "function", "create": "m.f"},
        "tls": {"type": "static"},
        "cookie": {}
    }"#,
    )
    .unwrap();
    assert_eq!(
        AuthConfig::unsupported_keys(&auth),
        [
            "anonymous.cookie",
            "cookie",
            "cryptosign.trustroots",
            "scram.type",
            "ticket.principals.joe.authid",
            "ticket.principals.joe.extra",
            "tls",
        ]
    );
    let suite =
        r#"{"ticket": {"type": "dynamic", "authenticator": "a.b", "authenticator-realm": "r"}}"#;
    assert!(AuthConfig::unsupported_keys(&serde_json::from_str(suite).unwrap()).is_empty());
}

#[test]
fn the_outcomes_and_the_config_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<AuthConfig>();
    send_sync::<HelloOutcome>();
    send_sync::<AuthenticateOutcome>();
    send_sync::<Pending>();
    send_sync::<DynamicRequest>();
    send_sync::<Identity>();
    send_sync::<Refusal>();
}
