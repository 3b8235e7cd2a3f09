//! No secret in any log, whatever subscriber the application installs: this binary installs
//! its own `tracing` subscriber (every target at TRACE, into a buffer, with the `log` bridge so
//! that crates logging through `log` are captured too), joins the fake router of
//! `wamp_client::testing` over WebSocket and over RawSocket with ticket authentication, an
//! `Authorization: Bearer` header on WebSocket, and calls with a payload; then the captured
//! output must hold neither the ticket, nor the token, nor the payload, in clear, hex or
//! base64 form.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use wamp_client::testing::{router_details, FakeRouter};
use wamp_client::{
    AuthMethod, Authentication, CallError, JoinOptions, Payload, Session, TransportConfig,
};
use wamp_core::message::{Message, RequestType};
use wamp_core::serializer::{Cbor, Json};
use wamp_core::{Dict, Value};

const TICKET: &str = "tkt-5ecr3t-Q9v7Zx1";
const TOKEN: &str = "tok-B3arer-W2k8Lm4";
const PAYLOAD: &str = "pay-c0nf1dential-R4n8";

/// Everything the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// Installs the test's subscriber: every target, every level, into the buffer; `log` records
/// too.
fn install() -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_target(true)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    tracing_log::LogTracer::init().expect("the only logger");
    captured
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
    for (name, secret) in [("ticket", TICKET), ("token", TOKEN), ("payload", PAYLOAD)] {
        for form in forms(secret) {
            assert!(
                !text.contains(&form),
                "the {name} appears in the logs as {form:?}:\n{text}"
            );
        }
    }
}
