//! The router's tokio layer against real clients (wamp-client sessions over every transport
//! and serializer) and hand-made bytes (handshake refusals, deadlines, slow consumers).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use wamp_client::{Event, JoinOptions, Payload, PublishOptions, Session, TransportConfig};
use wamp_core::framing::rawsocket;
use wamp_core::serializer::{Json, Serializer};
use wamp_core::Message;
use wamp_router::{ListenerConfig, Router, TlsConfig, IN_PROCESS_URL};

const WAIT: Duration = Duration::from_secs(10);

async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(WAIT, f).await.expect("timed out")
}

async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

/// Joins two sessions over `config`: one registers and subscribes, the other calls and
/// publishes; both leave.
async fn call_and_publish(config: &TransportConfig) {
    let callee = bounded(Session::join(config, JoinOptions::new("realm1")))
        .await
        .expect("join");
    bounded(callee.register("com.example.add2", add2))
        .await
        .expect("register");
    let (tx, mut rx) = mpsc::unbounded_channel();
    bounded(callee.subscribe("com.example.topic", move |event: Event| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(event.payload.args);
        }
    }))
    .await
    .expect("subscribe");
    let caller = bounded(Session::join(config, JoinOptions::new("realm1")))
        .await
        .expect("join");
    let sum: i64 = bounded(caller.call("com.example.add2", (2, 3)))
        .await
        .expect("call");
    assert_eq!(sum, 5);
    bounded(caller.publish_with(
        "com.example.topic",
        Payload::args(&("hello", 42)).unwrap(),
        PublishOptions::acknowledged(),
    ))
    .await
    .expect("publish");
    let args = bounded(rx.recv()).await.expect("event");
    assert!(format!("{args:?}").contains("hello"), "{args:?}");
    bounded(caller.leave()).await.expect("leave");
    bounded(callee.leave()).await.expect("leave");
}

fn client(url: &str, serializer: &str) -> TransportConfig {
    TransportConfig::new(url)
        .unwrap()
        .serializer_names(&[serializer])
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_call_and_publish_over_websocket_and_rawsocket_with_every_serializer() {
    let router = Router::builder()
        .realm("realm1")
        .listen("ws://127.0.0.1:0/ws")
        .unwrap()
        .listen("rs://127.0.0.1:0")
        .unwrap()
        .start()
        .await
        .unwrap();
    let urls = router.urls();
    assert!(
        urls[0].starts_with("ws://127.0.0.1:") && urls[0].ends_with("/ws"),
        "{urls:?}"
    );
    assert!(urls[1].starts_with("rs://127.0.0.1:"), "{urls:?}");
    assert!(router.local_addrs().iter().all(|a| a.port() != 0));
    for url in &urls {
        for serializer in ["json", "msgpack", "cbor"] {
            call_and_publish(&client(url, serializer)).await;
        }
    }
    bounded(router.stop()).await;
}

#[cfg(unix)]
#[tokio::test]
async fn sessions_call_and_publish_over_a_unix_socket_which_is_removed_at_stop() {
    let dir = std::env::temp_dir().join(format!("wamp-router-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("router.sock");
    let url = format!("unix://{}", path.display());
    let router = Router::builder()
        .realm("realm1")
        .listen(&url)
        .unwrap()
        .start()
        .await
        .unwrap();
    assert_eq!(router.urls(), vec![url.clone()]);
    call_and_publish(&client(&url, "cbor")).await;
    bounded(router.stop()).await;
    assert!(!path.exists());
    let _ = std::fs::remove_dir(&dir);
}

#[tokio::test]
async fn sessions_call_and_publish_in_process_without_a_socket() {
    let router = Router::builder().realm("realm1").start().await.unwrap();
    assert!(router.urls().is_empty());
    for serializer in ["json", "msgpack", "cbor"] {
        let config = client(IN_PROCESS_URL, serializer).connector(router.connector());
        call_and_publish(&config).await;
    }
    bounded(router.stop()).await;
}

/// A CA and a certificate for `localhost` and 127.0.0.1 signed by it: (CA PEM, chain PEM,
/// key PEM).
fn test_certificate() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn sessions_call_and_publish_over_tls_websocket_and_rawsocket() {
    let (ca, chain, key) = test_certificate();
    let router = Router::builder()
        .realm("realm1")
        .listen("wss://127.0.0.1:0/ws")
        .unwrap()
        .listen("rss://127.0.0.1:0")
        .unwrap()
        .tls(TlsConfig::from_pem(chain, key))
        .start()
        .await
        .unwrap();
    let urls = router.urls();
    assert!(
        urls[0].starts_with("wss://") && urls[1].starts_with("rss://"),
        "{urls:?}"
    );
    let tls = wamp_client::TlsConfig::default()
        .add_ca_pem(ca.as_bytes())
        .unwrap()
        .only_custom_roots();
    for (url, serializer) in [(&urls[0], "json"), (&urls[1], "msgpack")] {
        call_and_publish(&client(url, serializer).tls(tls.clone())).await;
    }
    bounded(router.stop()).await;
}

#[tokio::test]
async fn a_tls_url_without_a_certificate_does_not_start() {
    let err = Router::builder()
        .realm("realm1")
        .listen("wss://127.0.0.1:0/ws")
        .unwrap()
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no certificate"), "{err}");
}

#[tokio::test]
async fn stop_sends_system_shutdown_and_the_client_sees_it() {
    let router = Router::builder()
        .realm("realm1")
        .listen("rs://127.0.0.1:0")
        .unwrap()
        .start()
        .await
        .unwrap();
    let url = router.urls()[0].clone();
    let session = bounded(Session::join(
        &client(&url, "json"),
        JoinOptions::new("realm1"),
    ))
    .await
    .unwrap();
    let started = std::time::Instant::now();
    bounded(router.stop()).await;
    // the client answered the GOODBYE: no wait for the shutdown timeout
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let details = bounded(session.closed()).await;
    assert_eq!(details.reason, "wamp.close.system_shutdown");
    // nothing listens any more
    assert!(TcpStream::connect(url.trim_start_matches("rs://"))
        .await
        .is_err());
}

// ---- hand-made bytes ----

async fn read_http_response(stream: &mut TcpStream) -> String {
    let mut resp = Vec::new();
    bounded(stream.read_to_end(&mut resp)).await.unwrap();
    String::from_utf8_lossy(&resp).into_owned()
}

fn upgrade_request(path: &str, protocols: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: {protocols}\r\n\r\n"
    )
}

#[tokio::test]
async fn a_websocket_upgrade_picks_the_clients_first_served_subprotocol_or_answers_400() {
    let router = Router::builder()
        .realm("realm1")
        .listen("ws://127.0.0.1:0/ws")
        .unwrap()
        .start()
        .await
        .unwrap();
    let addr = router.local_addrs()[0];

    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(upgrade_request("/ws", "wamp.2.foo, wamp.2.cbor, wamp.2.json").as_bytes())
        .await
        .unwrap();
    let mut head = vec![0u8; 512];
    let n = bounded(s.read(&mut head)).await.unwrap();
    let head = String::from_utf8_lossy(&head[..n]).into_owned();
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(
        head.contains("Sec-WebSocket-Protocol: wamp.2.cbor\r\n"),
        "{head}"
    );
    assert!(
        head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
        "{head}"
    );

    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(upgrade_request("/ws", "wamp.2.foo").as_bytes())
        .await
        .unwrap();
    let resp = read_http_response(&mut s).await;
    assert!(resp.starts_with("HTTP/1.1 400 "), "{resp}");

    // a client offering only CBOR to an endpoint serving only JSON sees the 400
    let (mut only_json, _) = ListenerConfig::from_url("ws://127.0.0.1:0/ws").unwrap();
    only_json.serializers = vec![Arc::new(Json)];
    let json_router = Router::builder()
        .realm("realm1")
        .listener(only_json)
        .start()
        .await
        .unwrap();
    let err = bounded(Session::join(
        &client(&json_router.urls()[0], "cbor"),
        JoinOptions::new("realm1"),
    ))
    .await
    .unwrap_err();
    assert!(err.to_string().contains("400"), "{err}");
    bounded(json_router.stop()).await;

    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(upgrade_request("/other", "wamp.2.json").as_bytes())
        .await
        .unwrap();
    let resp = read_http_response(&mut s).await;
    assert!(resp.starts_with("HTTP/1.1 404 "), "{resp}");
    bounded(router.stop()).await;
}

async fn rawsocket_reply(addr: std::net::SocketAddr, hello: [u8; 4]) -> [u8; 4] {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&hello).await.unwrap();
    let mut reply = [0u8; 4];
    bounded(s.read_exact(&mut reply)).await.unwrap();
    reply
}

#[tokio::test]
async fn a_bad_rawsocket_handshake_gets_the_error_nibble() {
    let (mut only_json, _) = ListenerConfig::from_url("rs://127.0.0.1:0").unwrap();
    only_json.serializers = vec![Arc::new(Json)];
    only_json.max_message_size = 1 << 16;
    let router = Router::builder()
        .realm("realm1")
        .listener(only_json)
        .start()
        .await
        .unwrap();
    let addr = router.local_addrs()[0];
    // CBOR is not served: error 1
    assert_eq!(
        rawsocket_reply(addr, [0x7F, 0xF3, 0, 0]).await,
        [0x7F, 0x10, 0, 0]
    );
    // serializer 0 is illegal: error 1
    assert_eq!(
        rawsocket_reply(addr, [0x7F, 0xF0, 0, 0]).await,
        [0x7F, 0x10, 0, 0]
    );
    // reserved octets: error 3
    assert_eq!(
        rawsocket_reply(addr, [0x7F, 0xF1, 0, 1]).await,
        [0x7F, 0x30, 0, 0]
    );
    // JSON: our limit 2^16 = 2^(9+7), and the serializer echoed
    assert_eq!(
        rawsocket_reply(addr, [0x7F, 0xF1, 0, 0]).await,
        [0x7F, 0x71, 0, 0]
    );
    bounded(router.stop()).await;
}

#[tokio::test]
async fn the_connection_limit_is_rawsocket_error_4() {
    let router = Router::builder()
        .realm("realm1")
        .listen("rs://127.0.0.1:0")
        .unwrap()
        .max_connections(1)
        .start()
        .await
        .unwrap();
    let addr = router.local_addrs()[0];
    let mut first = TcpStream::connect(addr).await.unwrap();
    first.write_all(&[0x7F, 0xF1, 0, 0]).await.unwrap();
    let mut reply = [0u8; 4];
    bounded(first.read_exact(&mut reply)).await.unwrap();
    assert_eq!(reply[1] & 0x0F, 1);
    assert_eq!(
        rawsocket_reply(addr, [0x7F, 0xF1, 0, 0]).await,
        [0x7F, 0x40, 0, 0]
    );
    bounded(router.stop()).await;
}

/// A RawSocket JSON client made by hand.
struct RawClient {
    s: TcpStream,
}

impl RawClient {
    async fn connect(addr: std::net::SocketAddr, recv_buffer: Option<u32>) -> RawClient {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).unwrap();
        }
        let mut s = socket.connect(addr).await.unwrap();
        s.write_all(&[0x7F, 0xF1, 0, 0]).await.unwrap();
        let mut reply = [0u8; 4];
        bounded(s.read_exact(&mut reply)).await.unwrap();
        assert_eq!(reply[1] & 0x0F, 1);
        RawClient { s }
    }

    async fn send(&mut self, msg: &Message) {
        let mut bytes = Vec::new();
        Json.encode(msg, &mut bytes).unwrap();
        self.send_frame(rawsocket::TYPE_MESSAGE, &bytes).await;
    }

    async fn send_frame(&mut self, kind: u8, payload: &[u8]) {
        let mut frame = rawsocket::encode_header(kind, payload.len()).to_vec();
        frame.extend_from_slice(payload);
        self.s.write_all(&frame).await.unwrap();
    }

    /// The next frame (type, payload), or `None` at the end of the stream.
    async fn recv_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        let mut h = [0u8; 4];
        bounded(self.s.read_exact(&mut h)).await.ok()?;
        let header = rawsocket::parse_header(h, rawsocket::MAX_LEN).unwrap();
        let mut payload = vec![0u8; header.len];
        bounded(self.s.read_exact(&mut payload)).await.ok()?;
        Some((header.kind, payload))
    }

    async fn recv(&mut self) -> Message {
        let (kind, payload) = self.recv_frame().await.expect("a frame");
        assert_eq!(kind, rawsocket::TYPE_MESSAGE);
        Json.decode(&payload).unwrap()
    }
}

fn hello(realm: &str) -> Message {
    let roles = wamp_core::Dict::from([
        ("subscriber", wamp_core::Value::Dict(wamp_core::Dict::new())),
        ("caller", wamp_core::Value::Dict(wamp_core::Dict::new())),
    ]);
    Message::Hello {
        realm: realm.into(),
        details: wamp_core::Dict::from([("roles", wamp_core::Value::Dict(roles))]),
    }
}

#[tokio::test]
async fn a_rawsocket_ping_gets_a_pong_with_the_same_payload() {
    let router = Router::builder()
        .realm("realm1")
        .listen("rs://127.0.0.1:0")
        .unwrap()
        .start()
        .await
        .unwrap();
    let mut c = RawClient::connect(router.local_addrs()[0], None).await;
    c.send_frame(rawsocket::TYPE_PING, b"are you there").await;
    assert_eq!(
        c.recv_frame().await,
        Some((rawsocket::TYPE_PONG, b"are you there".to_vec()))
    );
    bounded(router.stop()).await;
}

#[tokio::test]
async fn a_client_that_never_sends_hello_is_closed_after_the_deadline() {
    let router = Router::builder()
        .realm("realm1")
        .listen("rs://127.0.0.1:0")
        .unwrap()
        .hello_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut c = RawClient::connect(router.local_addrs()[0], None).await;
    let started = std::time::Instant::now();
    assert_eq!(c.recv_frame().await, None);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    // and one that joins in time is welcomed
    let mut c = RawClient::connect(router.local_addrs()[0], None).await;
    c.send(&hello("realm1")).await;
    assert!(matches!(c.recv().await, Message::Welcome { .. }));
    bounded(router.stop()).await;
}

#[tokio::test]
async fn a_client_that_never_finishes_the_transport_handshake_is_closed_after_the_deadline() {
    let (mut l, _) = ListenerConfig::from_url("ws://127.0.0.1:0/ws").unwrap();
    l.handshake_timeout = Duration::from_millis(300);
    let router = Router::builder()
        .realm("realm1")
        .listener(l)
        .start()
        .await
        .unwrap();
    let mut s = TcpStream::connect(router.local_addrs()[0]).await.unwrap();
    s.write_all(b"GET /ws HTTP/1.1\r\n").await.unwrap();
    let mut rest = Vec::new();
    let started = std::time::Instant::now();
    bounded(s.read_to_end(&mut rest)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    bounded(router.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_keeps_up_gets_every_event_of_a_publisher_at_full_speed() {
    const EVENTS: usize = 50_000;
    let router = Router::builder()
        .realm("realm1")
        .listen("rs://127.0.0.1:0")
        .unwrap()
        .start()
        .await
        .unwrap();
    let config = client(&router.urls()[0], "msgpack");
    let subscriber = bounded(Session::join(&config, JoinOptions::new("realm1")))
        .await
        .unwrap();
    let received = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = received.clone();
    let subscription = bounded(subscriber.subscribe_with(
        "com.example.burst",
        wamp_client::SubscribeOptions::default().queue_capacity(EVENTS),
        move |_: Event| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async {}
        },
    ))
    .await
    .unwrap();
    let publisher = bounded(Session::join(&config, JoinOptions::new("realm1")))
        .await
        .unwrap();
    // Fire-and-forget, as fast as the client queues them: hundreds of PUBLISHes per read.
    for i in 0..EVENTS {
        publisher.publish("com.example.burst", (i,)).await.unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while received.load(std::sync::atomic::Ordering::Relaxed) < EVENTS {
        let got = received.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(
            router.stats().slow_consumers,
            0,
            "the subscriber was cut off after {got} of {EVENTS} events"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "{got} of {EVENTS} events arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(subscription.dropped(), 0);
    bounded(publisher.leave()).await.unwrap();
    bounded(subscriber.leave()).await.unwrap();
    bounded(router.stop()).await;
}

#[tokio::test]
async fn a_slow_subscriber_is_cut_off_while_another_subscriber_gets_every_event() {
    const EVENTS: usize = 400;
    let (mut l, _) = ListenerConfig::from_url("rs://127.0.0.1:0").unwrap();
    l.outgoing_queue = 8;
    // The publisher waits this long for the slow one's queue before it is cut off.
    l.slow_consumer_timeout = Duration::from_millis(200);
    let router = Router::builder()
        .realm("realm1")
        .listener(l)
        .start()
        .await
        .unwrap();
    let addr = router.local_addrs()[0];
    let url = router.urls()[0].clone();

    // The slow one subscribes, then never reads again (and has a tiny receive buffer).
    let mut slow = RawClient::connect(addr, Some(4096)).await;
    slow.send(&hello("realm1")).await;
    assert!(matches!(slow.recv().await, Message::Welcome { .. }));
    slow.send(&Message::Subscribe {
        request: 1,
        options: wamp_core::Dict::new(),
        topic: "com.example.topic".into(),
    })
    .await;
    assert!(matches!(slow.recv().await, Message::Subscribed { .. }));

    let good = bounded(Session::join(
        &client(&url, "cbor"),
        JoinOptions::new("realm1"),
    ))
    .await
    .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    bounded(good.subscribe("com.example.topic", move |event: Event| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(event.payload.args.len());
        }
    }))
    .await
    .unwrap();

    let publisher = bounded(Session::join(
        &client(&url, "cbor"),
        JoinOptions::new("realm1"),
    ))
    .await
    .unwrap();
    let blob = "x".repeat(32 * 1024);
    for i in 0..EVENTS {
        bounded(publisher.publish_with(
            "com.example.topic",
            Payload::args(&(i, &blob)).unwrap(),
            PublishOptions::acknowledged(),
        ))
        .await
        .expect("publish");
    }
    for _ in 0..EVENTS {
        assert_eq!(bounded(rx.recv()).await, Some(2));
    }
    assert_eq!(router.stats().slow_consumers, 1);
    // the slow one's connection ends once what the kernel buffered is read
    drop(slow);
    bounded(router.stop()).await;
}

#[tokio::test]
async fn a_dynamic_ticket_is_checked_by_the_embedders_authenticator() {
    use wamp_client::{AuthMethod, Authentication};
    use wamp_router::core::{AuthConfig, DynamicAuthenticator, Identity, MethodConfig, Refusal};
    use wamp_router::AuthRequest;

    let (mut l, _) = ListenerConfig::from_url("rs://127.0.0.1:0").unwrap();
    l.auth = Arc::new(AuthConfig {
        ticket: Some(MethodConfig::Dynamic(DynamicAuthenticator {
            authenticator: "com.example.authenticate".into(),
            authenticator_realm: None,
            authenticator_role: None,
        })),
        ..AuthConfig::default()
    });
    let router = Router::builder()
        .realm("realm1")
        .listener(l)
        .authenticator(|req: AuthRequest| async move {
            let ticket = req
                .details
                .get("ticket")
                .and_then(|v| v.as_str().map(str::to_owned));
            if req.method == "ticket" && ticket.as_deref() == Some("open sesame") {
                Ok(Identity {
                    authid: req.authid,
                    authrole: "anonymous".into(),
                    authmethod: req.method,
                    authprovider: "dynamic".into(),
                    authextra: wamp_core::Dict::new(),
                    realm: None,
                })
            } else {
                Err(Refusal {
                    reason: "wamp.error.not_authorized".into(),
                    message: "wrong ticket".into(),
                })
            }
        })
        .start()
        .await
        .unwrap();
    let url = router.urls()[0].clone();
    let join = |ticket: &str| {
        let auth = Authentication::new()
            .authid("joe")
            .method(AuthMethod::ticket(ticket));
        let transport = client(&url, "json");
        async move { Session::join(&transport, JoinOptions::new("realm1").authentication(auth)).await }
    };
    let session = bounded(join("open sesame"))
        .await
        .expect("the right ticket joins");
    assert_eq!(session.details().authid.as_deref(), Some("joe"));
    assert_eq!(session.details().authmethod.as_deref(), Some("ticket"));
    let err = bounded(join("wrong")).await.unwrap_err();
    assert!(err.to_string().contains("not_authorized"), "{err}");
    bounded(router.stop()).await;
}

#[tokio::test]
async fn a_websocket_client_that_answers_no_ping_is_closed() {
    use wamp_core::framing::websocket::{Role, WsCodec};
    use wamp_core::framing::{Decoded, Inbox};

    let (mut l, _) = ListenerConfig::from_url("ws://127.0.0.1:0/ws").unwrap();
    l.auto_ping = Some(wamp_router::AutoPing {
        interval: Duration::from_millis(100),
        timeout: Duration::from_millis(100),
    });
    let router = Router::builder()
        .realm("realm1")
        .listener(l)
        .start()
        .await
        .unwrap();
    // A client answering pings stays joined past many intervals.
    let session = bounded(Session::join(
        &client(&router.urls()[0], "json"),
        JoinOptions::new("realm1"),
    ))
    .await
    .unwrap();

    // A hand-made one that reads pings but never answers is closed.
    let mut s = TcpStream::connect(router.local_addrs()[0]).await.unwrap();
    s.write_all(upgrade_request("/ws", "wamp.2.json").as_bytes())
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        bounded(s.read_exact(&mut b)).await.unwrap();
        head.push(b[0]);
    }
    let mut inbox = Inbox::new(bytes::BytesMut::new());
    let mut codec = WsCodec::new(Role::Client, 1 << 20, true);
    let mut pings = 0;
    loop {
        let mut chunk = [0u8; 4096];
        let n = bounded(s.read(&mut chunk)).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        let (buf, _) = inbox.read_target();
        buf.extend_from_slice(&chunk[..n]);
        inbox.filled(n);
        while let Some(d) = codec.decode(&mut inbox).unwrap() {
            match d {
                Decoded::Ping(_) => pings += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(pings, 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(session.is_joined());
    bounded(router.stop()).await;
}

#[tokio::test]
async fn stop_closes_a_session_that_never_answers_goodbye_after_the_goodbye_timeout() {
    let router = Router::builder()
        .realm("realm1")
        .listen("rs://127.0.0.1:0")
        .unwrap()
        .goodbye_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut c = RawClient::connect(router.local_addrs()[0], None).await;
    c.send(&hello("realm1")).await;
    assert!(matches!(c.recv().await, Message::Welcome { .. }));
    let started = std::time::Instant::now();
    let stopping = tokio::spawn(router.stop());
    match c.recv().await {
        Message::Goodbye { reason, .. } => assert_eq!(&*reason, "wamp.close.system_shutdown"),
        other => panic!("{other:?}"),
    }
    // no reply: the connection is closed once the goodbye timeout has passed
    assert_eq!(c.recv_frame().await, None);
    bounded(stopping).await.unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(1200),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_peer_that_begins_a_frame_and_stalls_is_closed_after_the_frame_timeout() {
    let (mut l, _) = ListenerConfig::from_url("rs://127.0.0.1:0").unwrap();
    l.frame_timeout = Duration::from_millis(300);
    let router = Router::builder()
        .realm("realm1")
        .listener(l)
        .start()
        .await
        .unwrap();
    let mut c = RawClient::connect(router.local_addrs()[0], None).await;
    c.send(&hello("realm1")).await;
    assert!(matches!(c.recv().await, Message::Welcome { .. }));
    // complete frames keep it open past the timeout
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        c.send_frame(rawsocket::TYPE_PING, b"x").await;
        assert_eq!(
            c.recv_frame().await,
            Some((rawsocket::TYPE_PONG, b"x".to_vec()))
        );
    }
    // 100 bytes announced, 10 sent
    c.s.write_all(&rawsocket::encode_header(0, 100))
        .await
        .unwrap();
    c.s.write_all(&[b' '; 10]).await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(c.recv_frame().await, None);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(2),
        "{took:?}"
    );
    bounded(router.stop()).await;
}

#[tokio::test]
async fn a_message_over_the_max_message_size_closes_the_connection() {
    let (mut l, _) = ListenerConfig::from_url("rs://127.0.0.1:0").unwrap();
    l.max_message_size = 1024;
    let router = Router::builder()
        .realm("realm1")
        .listener(l)
        .start()
        .await
        .unwrap();
    let mut c = RawClient::connect(router.local_addrs()[0], None).await;
    c.send(&hello("realm1")).await;
    assert!(matches!(c.recv().await, Message::Welcome { .. }));
    // refused from the header alone: the payload never comes
    c.s.write_all(&rawsocket::encode_header(0, 2000))
        .await
        .unwrap();
    assert_eq!(c.recv_frame().await, None);
    bounded(router.stop()).await;
}
