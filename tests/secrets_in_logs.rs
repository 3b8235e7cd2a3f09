//! No secret in any log, whatever subscriber the application installs: this binary installs
//! its own `tracing` subscriber (every target at TRACE, into a buffer, with the `log` bridge so
//! that crates logging through `log` are captured too), joins the fake router of
//! `wamp_client::testing` over WebSocket and over RawSocket with ticket authentication, an
//! `Authorization: Bearer` header on WebSocket, and calls with a payload; then the captured
//! output must hold neither the ticket, nor the token, nor the payload, in clear, hex or
//! base64 form.
//!
//! The same for our router (wamp-router, in this process, so that its TRACE output is
//! captured too) and the client against it: clients join with every authentication method
//! (ticket, WAMP-CRA plain and salted, WAMP-Cryptosign, WAMP-SCRAM with argon2id and with
//! PBKDF2), and with wrong credentials, and neither side may log a secret, a private key, a
//! derived key or a SCRAM server key.

use std::time::Duration;

use base64::Engine as _;
use wamp_client::testing::{router_details, FakeRouter};
use wamp_client::{
    AuthMethod, Authentication, CallError, CryptosignKey, JoinOptions, Payload, Session,
    TransportConfig,
};
use wamp_core::message::{Message, RequestType};
use wamp_core::serializer::{Cbor, Json};
use wamp_core::{Dict, Value};
use wamp_suite::auth::{
    CRA_AUTHID, CRA_SALTED_AUTHID, CRA_SALTED_KEY, CRA_SALTED_SECRET, CRA_SECRET,
    CRYPTOSIGN_AUTHID, CRYPTOSIGN_SEED_HEX, SCRAM_ARGON2, SCRAM_AUTHID, SCRAM_PASSWORD,
    SCRAM_PBKDF2, TICKET_AUTHID, TICKET_SECRET,
};
use wamp_suite::{AuthTransport, CapturedLog};

const TICKET: &str = "tkt-5ecr3t-Q9v7Zx1";
const TOKEN: &str = "tok-B3arer-W2k8Lm4";
const PAYLOAD: &str = "pay-c0nf1dential-R4n8";

/// Installs the test's subscriber (once for the binary): every target, every level, into the
/// buffer, spans' fields and closes included; `log` records too.
fn install() -> CapturedLog {
    static CAPTURED: std::sync::OnceLock<CapturedLog> = std::sync::OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = CapturedLog::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_target(true)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
            tracing_log::LogTracer::init().expect("the only logger");
            captured
        })
        .clone()
}

/// The forms a secret could take in a log: as is, hex (both cases), base64 (standard and
/// URL-safe, at each of the three alignments within a longer encoded string), and a byte
/// slice's `Debug` (`[116, 107, ...]`).
fn forms(secret: &str) -> Vec<String> {
    let bytes = secret.as_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut forms = vec![secret.to_owned(), hex.clone(), hex.to_uppercase()];
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ] {
        for offset in 0..3 {
            let mut shifted = vec![0u8; offset];
            shifted.extend_from_slice(bytes);
            let encoded = engine.encode(&shifted);
            // Leave out the groups that also encode the prefix or the padding.
            let start = if offset == 0 { 0 } else { 4 };
            let end = encoded.len() - 4;
            forms.push(encoded[start..end].to_owned());
        }
    }
    let debug: Vec<String> = bytes.iter().take(8).map(u8::to_string).collect();
    forms.push(debug.join(", "));
    forms
}

/// The forms of a secret given as hex (a key): the text's forms and the bytes' own (base64 of
/// the bytes, their `Debug`).
fn forms_of_hex(secret_hex: &str) -> Vec<String> {
    let bytes: Vec<u8> = (0..secret_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&secret_hex[i..i + 2], 16).expect("hex"))
        .collect();
    let mut forms = forms(secret_hex);
    forms.push(secret_hex.to_uppercase());
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        let encoded = engine.encode(&bytes);
        forms.push(encoded[..encoded.len() - 4].to_owned());
    }
    let debug: Vec<String> = bytes.iter().take(8).map(u8::to_string).collect();
    forms.push(format!("[{}", debug.join(", ")));
    forms
}

/// Asserts that `text` holds none of `secrets` in any of its forms.
fn assert_no_secret(text: &str, secrets: &[(&str, Vec<String>)]) {
    for (name, forms) in secrets {
        for form in forms {
            assert!(
                !text.contains(form.as_str()),
                "the {name} appears in the logs as {form:?}:\n{text}"
            );
        }
    }
}

fn ticket_auth() -> JoinOptions {
    let auth = Authentication::new()
        .authid("joe")
        .method(AuthMethod::ticket(TICKET));
    JoinOptions::new("realm1").authentication(auth)
}

/// Joins with the ticket (the router challenges), calls with the payload twice (a RESULT and
/// an ERROR carry it back), leaves.
async fn session_with_secrets(mut router: FakeRouter, config: TransportConfig) {
    let join = tokio::spawn(async move { Session::join(&config, ticket_auth()).await });
    let mut peer = router.accept().await;
    if let Some(head) = peer.request_head() {
        let header = format!("\r\nAuthorization: Bearer {TOKEN}\r\n");
        assert!(head.contains(&header), "the token must reach the router");
    }
    let (_, hello) = peer.expect_hello().await;
    assert_eq!(
        hello.get("authmethods").and_then(Value::as_list),
        Some(&[Value::from("ticket")][..])
    );
    let (signature, _) = peer.challenge("ticket", Dict::new()).await;
    assert_eq!(signature, TICKET);
    peer.send_welcome(router_details()).await;
    let session = join.await.unwrap().expect("join");

    let s = session.clone();
    let call =
        tokio::spawn(async move { s.call::<_, String>("com.example.secret", (PAYLOAD,)).await });
    let Some(Message::Call { request, args, .. }) = peer.recv().await else {
        panic!("expected CALL")
    };
    assert_eq!(args, [Value::from(PAYLOAD)]);
    peer.send(&Message::Result {
        request,
        details: Dict::new(),
        args: args.clone(),
        kwargs: Dict::new(),
    })
    .await;
    assert_eq!(call.await.unwrap().unwrap(), PAYLOAD);

    let s = session.clone();
    let call = tokio::spawn(async move {
        s.call_with(
            "com.example.secret",
            Payload::args(&(PAYLOAD,)).unwrap(),
            Default::default(),
        )
        .await
    });
    let Some(Message::Call { request, .. }) = peer.recv().await else {
        panic!("expected CALL")
    };
    peer.send(&Message::Error {
        request_type: RequestType::Call,
        request,
        details: Dict::new(),
        error: "com.example.refused".into(),
        args: vec![Value::from(PAYLOAD)],
        kwargs: Dict::new(),
    })
    .await;
    assert!(matches!(
        call.await.unwrap(),
        Err(CallError::Application(e)) if e.uri == "com.example.refused"
    ));

    let leave = tokio::spawn(async move { session.leave().await });
    let Some(Message::Goodbye { .. }) = peer.recv().await else {
        panic!("expected GOODBYE")
    };
    peer.goodbye().await;
    leave.await.unwrap().expect("leave");
    while peer.recv().await.is_some() {}
}

/// A component whose ticket the router refuses (ABORT after AUTHENTICATE): the failure is
/// logged, the ticket must not be.
async fn refused_component(mut router: FakeRouter, config: TransportConfig) {
    let auth = Authentication::new()
        .authid("joe")
        .method(AuthMethod::ticket(TICKET));
    let comp = wamp_client::Component::builder()
        .transport(config)
        .realm("realm1")
        .authentication(auth)
        .build()
        .unwrap();
    let handle = comp.start();
    let mut peer = router.accept().await;
    peer.expect_hello().await;
    let (signature, _) = peer.challenge("ticket", Dict::new()).await;
    assert_eq!(signature, TICKET);
    let mut details = Dict::new();
    details.insert("message".into(), Value::from("invalid ticket"));
    peer.send(&Message::Abort {
        details,
        reason: "wamp.error.not_authorized".into(),
    })
    .await;
    let failed = handle.wait().await;
    assert!(failed.is_err(), "{failed:?}");
}

#[tokio::test(start_paused = true)]
async fn no_ticket_token_or_payload_appears_in_trace_logs_in_clear_hex_or_base64() {
    let captured = install();
    let ws = FakeRouter::websocket(Json);
    let ws_config = ws
        .config()
        .header("Authorization", &format!("Bearer {TOKEN}"));
    assert!(!format!("{ws_config:?}").contains(TOKEN));
    tokio::time::timeout(Duration::from_secs(60), session_with_secrets(ws, ws_config))
        .await
        .expect("the websocket session hung");
    let rs = FakeRouter::rawsocket(Cbor);
    let rs_config = rs.config();
    tokio::time::timeout(Duration::from_secs(60), session_with_secrets(rs, rs_config))
        .await
        .expect("the rawsocket session hung");
    let refused = FakeRouter::websocket(Json);
    let refused_config = refused
        .config()
        .header("Authorization", &format!("Bearer {TOKEN}"));
    tokio::time::timeout(
        Duration::from_secs(60),
        refused_component(refused, refused_config),
    )
    .await
    .expect("the refused component hung");
    // Let the sessions' tasks finish (and log) before reading the capture.
    tokio::time::sleep(Duration::from_secs(10)).await;

    let text = captured.text();
    // The capture works: the client's own logs are there, at every level down to TRACE.
    for expected in [
        "joined",
        "TRACE",
        "DEBUG",
        "INFO",
        "wamp_client",
        "not_authorized",
    ] {
        assert!(text.contains(expected), "{expected} not captured:\n{text}");
    }
    assert_no_secret(
        &text,
        &[
            ("ticket", forms(TICKET)),
            ("token", forms(TOKEN)),
            ("payload", forms(PAYLOAD)),
        ],
    );
}

/// A ticket our router refuses.
const WRONG_TICKET: &str = "wr0ng-t1cket-Jx5Pq";
/// A WAMP-CRA secret our router refuses.
const WRONG_CRA_SECRET: &str = "wr0ng-cra-Vb7Ns2";
/// A SCRAM password our router refuses.
const WRONG_SCRAM_PASSWORD: &str = "wr0ng-scram-Hk3Yd8";

/// Joins our router on `transport` as `authid` with `method`, calls a procedure that is not
/// there (with the payload), and leaves; or, when `refused`, expects the join to fail.
async fn join_ours(transport: AuthTransport, authid: &str, method: AuthMethod, refused: bool) {
    let url = wamp_suite::ours().auth_url(transport);
    let config = TransportConfig::new(&url).unwrap();
    let auth = Authentication::new().authid(authid).method(method);
    let options = JoinOptions::new("realm1").authentication(auth);
    let joined = tokio::time::timeout(Duration::from_secs(30), Session::join(&config, options))
        .await
        .expect("the join hung");
    if refused {
        assert!(
            joined.is_err(),
            "{transport:?} {authid}: joined with wrong credentials"
        );
        return;
    }
    let session = joined.unwrap_or_else(|e| panic!("{transport:?} {authid}: {e}"));
    let r = session
        .call::<_, String>("com.example.secret.nowhere", (PAYLOAD,))
        .await;
    assert_eq!(r.unwrap_err().uri(), Some("wamp.error.no_such_procedure"));
    session.leave().await.expect("leave");
}

#[tokio::test(flavor = "multi_thread")]
async fn our_router_and_its_clients_log_no_secret_or_key_of_any_authentication_method_at_trace() {
    let captured = install();
    let cases = [
        (
            AuthTransport::Ticket,
            TICKET_AUTHID,
            AuthMethod::ticket(TICKET_SECRET),
            false,
        ),
        (
            AuthTransport::Ticket,
            TICKET_AUTHID,
            AuthMethod::ticket(WRONG_TICKET),
            true,
        ),
        (
            AuthTransport::Wampcra,
            CRA_AUTHID,
            AuthMethod::wampcra(CRA_SECRET),
            false,
        ),
        (
            AuthTransport::Wampcra,
            CRA_AUTHID,
            AuthMethod::wampcra(WRONG_CRA_SECRET),
            true,
        ),
        (
            AuthTransport::Wampcra,
            CRA_SALTED_AUTHID,
            AuthMethod::wampcra(CRA_SALTED_SECRET),
            false,
        ),
        (
            AuthTransport::Cryptosign,
            CRYPTOSIGN_AUTHID,
            AuthMethod::cryptosign(CryptosignKey::hex(CRYPTOSIGN_SEED_HEX)),
            false,
        ),
        (
            AuthTransport::Scram,
            SCRAM_AUTHID,
            AuthMethod::scram(SCRAM_PASSWORD),
            false,
        ),
        (
            AuthTransport::Scram,
            SCRAM_AUTHID,
            AuthMethod::scram(WRONG_SCRAM_PASSWORD),
            true,
        ),
        (
            AuthTransport::ScramPbkdf2,
            SCRAM_AUTHID,
            AuthMethod::scram(SCRAM_PASSWORD),
            false,
        ),
    ];
    for (transport, authid, method, refused) in cases {
        join_ours(transport, authid, method, refused).await;
    }
    // Let the router's connections close (and log) before reading the capture.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let text = captured.text();
    // The capture works: both sides' logs are there, the client's spans down to TRACE.
    for expected in [
        "wamp_router",
        "wamp_client",
        "TRACE",
        "wamp_call",
        "not_authorized",
    ] {
        assert!(text.contains(expected), "{expected} not captured:\n{text}");
    }
    let mut secrets = vec![
        ("ticket", forms(TICKET_SECRET)),
        ("wrong ticket", forms(WRONG_TICKET)),
        ("wampcra secret", forms(CRA_SECRET)),
        ("wrong wampcra secret", forms(WRONG_CRA_SECRET)),
        ("salted wampcra secret", forms(CRA_SALTED_SECRET)),
        ("salted wampcra key", forms(CRA_SALTED_KEY)),
        ("cryptosign private key", forms_of_hex(CRYPTOSIGN_SEED_HEX)),
        ("scram password", forms(SCRAM_PASSWORD)),
        ("wrong scram password", forms(WRONG_SCRAM_PASSWORD)),
        ("payload", forms(PAYLOAD)),
    ];
    // The salted passwords the clients derive (see `wamp_suite::auth::SCRAM_ARGON2`, `SCRAM_PBKDF2`).
    secrets.push((
        "scram argon2id salted password",
        forms("7YbmJdDa5QYHCTAvAZvwmv3cyDERhdOX1E359NzuGn4"),
    ));
    secrets.push((
        "scram pbkdf2 salted password",
        forms_of_hex("1e33e11eba00063776b1e5d531fe1d54a7ce76a75a3d5189d2d362d67adc178c"),
    ));
    for (name, credential) in [("argon2id", SCRAM_ARGON2), ("pbkdf2", SCRAM_PBKDF2)] {
        secrets.push((name, forms_of_hex(credential.server_key_hex)));
        secrets.push((name, forms_of_hex(credential.stored_key_hex)));
    }
    assert_no_secret(&text, &secrets);
    if std::env::var_os("WAMP_SUITE_SHOW_LOGS").is_some() {
        println!("{text}");
    }
}
