//! Connect and frame tests: the RawSocket handshake and framing against the fake router of
//! [`crate::testing`] over an in-memory pipe (on paused time); refused connections, connect
//! timeouts, Unix sockets, TLS and WebSocket (tokio-tungstenite as an independent server)
//! against peers on 127.0.0.1 (and a Unix socket).

// tungstenite's server callback returns `Result<Response, ErrorResponse>` by design.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::Message;
use wamp_core::serializer::{Cbor, Json, MsgPack};

use super::*;
use crate::testing::{FakePeer, FakeRouter, Frame as PeerFrame, RawPeer};

const WAIT: Duration = Duration::from_secs(10);

async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(WAIT, f)
        .await
        .expect("test step timed out")
}

async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

fn rs_config(addr: SocketAddr) -> TransportConfig {
    TransportConfig::new(&format!("rs://{addr}")).unwrap()
}

/// A fake RawSocket router over an in-memory pipe, and a configuration reaching it with the
/// default serializers (CBOR, MessagePack, JSON), as a TCP one has.
fn rs_pipe() -> (FakeRouter, TransportConfig) {
    let router = FakeRouter::rawsocket(Cbor);
    let config = router
        .config()
        .serializer_names(&["cbor", "msgpack", "json"])
        .unwrap();
    (router, config)
}

/// Connects with `config` while `router` reads the client's RawSocket handshake and answers
/// `reply`; returns the connection (or why not), the router's end of the pipe, and the
/// client's handshake.
async fn rs_handshake(
    router: &mut FakeRouter,
    config: &TransportConfig,
    reply: &[u8],
) -> (Result<Connection, ConnectError>, RawPeer, Vec<u8>) {
    let answer = async {
        let mut raw = router.accept_raw().await;
        let hello = raw.read_exact(4).await.expect("the client's handshake");
        raw.write_bytes(reply).await;
        (raw, hello)
    };
    let (conn, (raw, hello)) = bounded(async { tokio::join!(connect(config), answer) }).await;
    (conn, raw, hello)
}

/// A connection over the pipe (its configuration changed by `configure`) to a router that
/// answered 16 MiB and CBOR; the router's end, framing RawSocket; the client's handshake.
async fn rs_connected(
    configure: impl FnOnce(TransportConfig) -> TransportConfig,
) -> (Connection, FakePeer, Vec<u8>) {
    let (mut router, config) = rs_pipe();
    let config = configure(config);
    let (conn, raw, hello) = rs_handshake(&mut router, &config, &[0x7F, 0xF3, 0, 0]).await;
    (conn.unwrap(), raw.into_peer(), hello)
}

// ---- defaults ----

#[test]
fn the_defaults_are_16_mib_minus_1_ten_seconds_and_cbor_msgpack_json() {
    assert_eq!(DEFAULT_MAX_MESSAGE_SIZE, 16 * 1024 * 1024 - 1);
    assert_eq!(RAWSOCKET_MAX_MESSAGE_SIZE, 16 * 1024 * 1024 - 1);
    assert_eq!(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs(10));
    assert_eq!(CLOSE_TIMEOUT, Duration::from_secs(5));
    let config = TransportConfig::new("ws://localhost/ws").unwrap();
    let names: Vec<_> = config.serializer_list().iter().map(|s| s.name()).collect();
    assert_eq!(names, ["cbor", "msgpack", "json"]);
    assert_eq!(config.message_size_limit(), DEFAULT_MAX_MESSAGE_SIZE);
    assert_eq!(config.timeout(), DEFAULT_CONNECT_TIMEOUT);
    assert!(config.tls_config().is_none());
}

#[test]
fn keepalive_is_on_by_default_on_every_transport_and_the_io_timeouts_are_ten_seconds() {
    assert_eq!(
        DEFAULT_KEEPALIVE,
        Keepalive {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10)
        }
    );
    assert_eq!(DEFAULT_WRITE_TIMEOUT, Duration::from_secs(10));
    assert_eq!(DEFAULT_READ_TIMEOUT, Duration::from_secs(10));
    for url in [
        "ws://localhost/ws",
        "rs://localhost:8081",
        "unix:/tmp/r.sock",
    ] {
        let config = TransportConfig::new(url).unwrap();
        assert_eq!(
            config.keepalive_settings(),
            Some(DEFAULT_KEEPALIVE),
            "{url}"
        );
        assert_eq!(config.write_timeout_setting(), DEFAULT_WRITE_TIMEOUT);
        assert_eq!(config.read_timeout_setting(), DEFAULT_READ_TIMEOUT);
        assert!(config.validate().is_ok(), "{url}");
        // RawSocket accepts a keepalive too now (probed at the WAMP level by the driver)
        let custom = config.keepalive(Duration::from_secs(5), Duration::from_secs(2));
        assert!(custom.validate().is_ok(), "{url}");
        assert_eq!(custom.no_keepalive().keepalive_settings(), None);
    }
}

#[test]
fn zero_keepalive_durations_and_zero_io_timeouts_are_refused_naming_the_setting() {
    let config = TransportConfig::new("rs://localhost:8081").unwrap();
    let field = |c: TransportConfig| match c.validate() {
        Err(ConfigError::InvalidSetting { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(
            config
                .clone()
                .keepalive(Duration::ZERO, Duration::from_secs(1))
        ),
        "keepalive"
    );
    assert_eq!(
        field(
            config
                .clone()
                .keepalive(Duration::from_secs(1), Duration::ZERO)
        ),
        "keepalive"
    );
    assert_eq!(
        field(config.clone().write_timeout(Duration::ZERO)),
        "write_timeout"
    );
    assert_eq!(field(config.read_timeout(Duration::ZERO)), "read_timeout");
}

#[tokio::test(start_paused = true)]
async fn a_connection_carries_the_keepalive_and_the_timeouts_of_its_config() {
    let (conn, _router, _) = rs_connected(|c| {
        c.write_timeout(Duration::from_secs(3))
            .read_timeout(Duration::from_secs(4))
    })
    .await;
    assert_eq!(conn.keepalive, Some(DEFAULT_KEEPALIVE));
    assert_eq!(conn.write_timeout, Duration::from_secs(3));
    assert_eq!(conn.read_timeout, Duration::from_secs(4));
    let (conn, _router, _) = rs_connected(TransportConfig::no_keepalive).await;
    assert_eq!(conn.keepalive, None);
}

#[test]
fn transport_config_debug_shows_header_names_but_not_their_values() {
    let config = TransportConfig::new("ws://localhost/ws")
        .unwrap()
        .header("Authorization", "Bearer s3cret");
    let dbg = format!("{config:?}");
    assert!(dbg.contains("Authorization"), "{dbg}");
    assert!(!dbg.contains("s3cret"), "{dbg}");
}

#[test]
fn connections_and_the_connect_future_can_move_between_tasks() {
    fn send<T: Send>(_: &T) {}
    fn send_static<T: Send + 'static>() {}
    let config = TransportConfig::new("ws://localhost/ws").unwrap();
    send(&connect(&config));
    send_static::<Connection>();
    send_static::<TransportConfig>();
    send_static::<ConnectError>();
    send_static::<TransportError>();
}

// ---- TLS configuration ----

fn testdata(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/src/transport/testdata/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn a_bad_pem_is_a_config_error() {
    let err = TlsConfig::default().add_ca_pem(b"hello").unwrap_err();
    assert!(matches!(err, ConfigError::InvalidPem(_)), "{err:?}");
    let armored_garbage = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    let err = TlsConfig::default()
        .add_ca_pem(armored_garbage)
        .unwrap_err();
    assert!(matches!(err, ConfigError::InvalidPem(_)), "{err:?}");
    let not_a_cert = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let err = TlsConfig::default().add_ca_pem(not_a_cert).unwrap_err();
    assert!(matches!(err, ConfigError::InvalidCertificate(_)), "{err:?}");
    let err = TlsConfig::default()
        .client_cert_pem(b"nope", &testdata("client.key"))
        .unwrap_err();
    assert!(matches!(err, ConfigError::InvalidPem(_)), "{err:?}");
    let err = TlsConfig::default()
        .client_cert_pem(&testdata("client.pem"), b"nope")
        .unwrap_err();
    assert!(matches!(err, ConfigError::InvalidClientKey(_)), "{err:?}");
    assert!(err.to_string().starts_with("invalid client key: "), "{err}");
}

#[test]
fn a_client_key_that_does_not_match_the_certificate_is_refused() {
    let other = rcgen::KeyPair::generate().unwrap();
    let err = TlsConfig::default()
        .client_cert_pem(&testdata("client.pem"), other.serialize_pem().as_bytes())
        .unwrap_err();
    assert!(matches!(err, ConfigError::InvalidClientKey(_)), "{err:?}");
}

#[test]
fn tls_config_debug_with_a_client_key_shows_no_key() {
    let key_pem = testdata("client.key");
    let tls = TlsConfig::default()
        .add_ca_pem(&testdata("ca.pem"))
        .unwrap()
        .client_cert_pem(&testdata("client.pem"), &key_pem)
        .unwrap();
    let dbg = format!(
        "{tls:?} {:?}",
        TransportConfig::new("wss://h/").unwrap().tls(tls.clone())
    );
    assert!(dbg.contains("<redacted>"), "{dbg}");
    let key_text = String::from_utf8(key_pem).unwrap();
    for line in key_text.lines().filter(|l| !l.starts_with("-----")) {
        assert!(
            !dbg.contains(line),
            "debug output leaks key material: {dbg}"
        );
    }
    assert!(!dbg.contains("PrivateKey"), "{dbg}");
}

#[test]
fn only_custom_roots_without_any_root_cannot_build() {
    let err = TlsConfig::default()
        .only_custom_roots()
        .build()
        .unwrap_err();
    assert!(matches!(err, ConfigError::NoRootCertificates), "{err:?}");
}

#[test]
fn tls_server_names_may_be_dns_names_or_ip_addresses() {
    let tls = TlsConfig::default();
    assert!(tls.server_name_for("example.com").is_ok());
    assert!(tls.server_name_for("127.0.0.1").is_ok());
    assert!(tls.server_name_for("::1").is_ok());
    assert!(matches!(
        tls.server_name_for("bad name"),
        Err(ConfigError::InvalidServerName(_))
    ));
}

// ---- RawSocket handshake ----

#[tokio::test(start_paused = true)]
async fn rawsocket_handshake_succeeds_and_takes_the_routers_limit() {
    let (mut router, config) = rs_pipe();
    let (conn, _raw, hello) = rs_handshake(&mut router, &config, &[0x7F, 0x73, 0, 0]).await;
    let mut conn = conn.unwrap();
    // L = 15 (16 MiB), S = 3 (CBOR, the first default serializer)
    assert_eq!(hello, [0x7F, 0xF3, 0, 0]);
    assert_eq!(conn.kind, TransportKind::RawSocket);
    assert_eq!(conn.serializer.name(), "cbor");
    // the router's L = 7: 2^16
    assert_eq!(conn.max_send_size, 65_536);
    match conn.queue_message(&vec![0; 65_537]) {
        Err(TransportError::TooLarge { size, limit }) => {
            assert_eq!((size, limit), (65_537, 65_536))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(conn.unsent(), 0);
    conn.queue_message(&vec![0; 65_536]).unwrap();
}

#[tokio::test(start_paused = true)]
async fn rawsocket_never_sends_more_than_2_pow_24_minus_1_even_if_allowed_more() {
    let (mut router, config) = rs_pipe();
    let config = config
        .serializer_names(&["msgpack"])
        .unwrap()
        .max_message_size(100 << 20);
    let (conn, _raw, hello) = rs_handshake(&mut router, &config, &[0x7F, 0xF2, 0, 0]).await;
    let conn = conn.unwrap();
    assert_eq!(hello, [0x7F, 0xF2, 0, 0]);
    assert_eq!(conn.max_send_size, (1 << 24) - 1);
}

#[tokio::test(start_paused = true)]
async fn rawsocket_announces_the_smallest_length_exponent_covering_our_limit() {
    let (mut router, config) = rs_pipe();
    let config = config
        .serializers(vec![Arc::new(Json), Arc::new(Cbor)])
        .max_message_size(1000);
    let (conn, _raw, hello) = rs_handshake(&mut router, &config, &[0x7F, 0xF1, 0, 0]).await;
    let conn = conn.unwrap();
    // 2^(9+1) = 1024 >= 1000; JSON = 1
    assert_eq!(hello, [0x7F, 0x11, 0, 0]);
    assert_eq!(conn.serializer.name(), "json");
    // our own cap is lower than the router's
    assert_eq!(conn.max_send_size, 1000);
}

#[tokio::test(start_paused = true)]
async fn each_rawsocket_handshake_error_code_is_reported_with_its_reason() {
    let reasons = [
        (1, "serializer unsupported"),
        (2, "maximum message length unacceptable"),
        (3, "use of reserved bits (unsupported feature)"),
        (4, "maximum connection count reached"),
        (9, "unknown error code"),
    ];
    for (code, want) in reasons {
        let (mut router, config) = rs_pipe();
        let (conn, _raw, _) = rs_handshake(&mut router, &config, &[0x7F, code << 4, 0, 0]).await;
        match conn {
            Err(e @ ConnectError::RawSocketRefused { .. }) => {
                let ConnectError::RawSocketRefused { code: c, reason } = &e else {
                    unreachable!()
                };
                assert_eq!((*c, *reason), (code, want));
                assert_eq!(e.is_retryable(), code == 4, "code {code}");
                assert!(e.to_string().contains(want));
            }
            other => panic!("code {code}: {other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_rawsocket_error_reply_with_code_0_is_an_invalid_handshake() {
    let (mut router, config) = rs_pipe();
    let (conn, _raw, _) = rs_handshake(&mut router, &config, &[0x7F, 0x00, 0, 0]).await;
    let err = conn.unwrap_err();
    assert!(matches!(err, ConnectError::InvalidHandshake(_)), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn a_reply_not_starting_with_0x7f_means_the_peer_does_not_speak_rawsocket() {
    let (mut router, config) = rs_pipe();
    let reply = b"HTTP/1.1 400 Bad Request\r\n\r\n";
    let (conn, _raw, _) = rs_handshake(&mut router, &config, reply).await;
    let err = conn.unwrap_err();
    assert!(matches!(err, ConnectError::NotRawSocket), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn a_router_echoing_another_serializer_is_an_invalid_handshake() {
    let (mut router, config) = rs_pipe();
    let (conn, _raw, _) = rs_handshake(&mut router, &config, &[0x7F, 0xF1, 0, 0]).await;
    let err = conn.unwrap_err();
    match &err {
        ConnectError::InvalidHandshake(m) => {
            assert!(m.contains("serializer 1 instead of 3"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn nonzero_reserved_handshake_octets_are_an_invalid_handshake() {
    for reply in [[0x7F, 0xF3, 1, 0], [0x7F, 0xF3, 0, 0x80]] {
        let (mut router, config) = rs_pipe();
        let (conn, _raw, _) = rs_handshake(&mut router, &config, &reply).await;
        let err = conn.unwrap_err();
        assert!(matches!(err, ConnectError::InvalidHandshake(_)), "{err:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_router_closing_during_the_handshake_is_a_retryable_io_error() {
    let (mut router, config) = rs_pipe();
    let half_an_answer = async {
        let mut raw = router.accept_raw().await;
        raw.read_exact(4).await.expect("the client's handshake");
        raw.write_bytes(&[0x7F, 0xF3]).await;
        // and the connection closes
    };
    let (conn, ()) = bounded(async { tokio::join!(connect(&config), half_an_answer) }).await;
    let err = conn.unwrap_err();
    match &err {
        ConnectError::Io(e) => assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof),
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    let (l, addr) = listener().await;
    drop(l);
    let err = bounded(connect(&rs_config(addr))).await.unwrap_err();
    assert!(matches!(err, ConnectError::Io(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_silent_peer_makes_connect_time_out() {
    let (l, addr) = listener().await;
    let _keep = tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    });
    let config = rs_config(addr).connect_timeout(Duration::from_millis(200));
    let err = bounded(connect(&config)).await.unwrap_err();
    assert!(matches!(err, ConnectError::Timeout), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_empty_serializer_list_is_a_config_error() {
    let config = TransportConfig::new("rs://127.0.0.1:1")
        .unwrap()
        .serializers(vec![]);
    let err = connect(&config).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Config(ConfigError::NoSerializer)),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

// ---- RawSocket frames ----

#[tokio::test(start_paused = true)]
async fn three_queued_frames_reach_the_peer_in_one_transfer() {
    let (mut conn, mut peer, _) = rs_connected(|c| c).await;
    for m in [&b"one"[..], b"two", b"three"] {
        conn.queue_message(m).unwrap();
    }
    let early = tokio::time::timeout(Duration::from_millis(50), peer.recv_frame()).await;
    assert!(early.is_err(), "queued frames must wait for a transfer");
    assert_eq!(peer.buffered(), 0);
    let t = bounded(std::future::poll_fn(|cx| conn.poll_transfer(cx, false)))
        .await
        .unwrap();
    assert_eq!(t.written, 4 * 3 + 11);
    for want in [&b"one"[..], b"two", b"three"] {
        let frame = bounded(peer.recv_frame()).await;
        assert_eq!(frame, Some(PeerFrame::Message(want.to_vec())));
    }
}

#[tokio::test(start_paused = true)]
async fn a_ping_is_answered_inside_with_an_echoing_pong() {
    let (mut conn, mut peer, _) = rs_connected(|c| c).await;
    peer.write_bytes(b"\x01\0\0\x04ping\x00\0\0\x02hi").await;
    let msg = bounded(conn.read_frame()).await.unwrap();
    assert_eq!(msg, Some(Frame::Message(Bytes::from_static(b"hi"))));
    bounded(conn.write_all()).await.unwrap();
    let frame = bounded(peer.recv_frame()).await;
    assert_eq!(frame, Some(PeerFrame::Pong(b"ping".to_vec())));
}

#[tokio::test(start_paused = true)]
async fn frames_with_reserved_bits_set_fail_the_stream() {
    let (mut conn, mut peer, _) = rs_connected(|c| c).await;
    peer.write_bytes(b"\x10\0\0\x01x").await;
    let err = bounded(conn.read_frame()).await.unwrap_err();
    assert!(matches!(err, TransportError::Protocol(_)), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn an_oversized_incoming_frame_is_too_large_without_waiting_for_its_payload() {
    let (mut conn, mut peer, hello) = rs_connected(|c| c.max_message_size(1024)).await;
    assert_eq!(hello[1] >> 4, 1);
    // 16 MiB - 1 announced, never sent
    peer.write_bytes(&[0, 0xFF, 0xFF, 0xFF]).await;
    match bounded(conn.read_frame()).await {
        Err(TransportError::TooLarge { size, limit }) => {
            assert_eq!((size, limit), ((1 << 24) - 1, 1024))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn closing_shuts_down_and_the_peer_closing_ends_the_stream() {
    let (mut conn, mut peer, _) = rs_connected(|c| c).await;
    conn.queue_message(b"bye").unwrap();
    bounded(conn.close()).await.unwrap();
    let frame = bounded(peer.recv_frame()).await;
    assert_eq!(frame, Some(PeerFrame::Message(b"bye".to_vec())));
    // Nothing more: the stream ends.
    assert_eq!(bounded(peer.recv_frame()).await, None);
    assert_eq!(peer.buffered(), 0);
    assert!(matches!(
        conn.queue_message(b"x"),
        Err(TransportError::Closed)
    ));
    conn.close().await.unwrap();
    drop(peer);
    assert_eq!(bounded(conn.read_frame()).await.unwrap(), None);
}

#[cfg(unix)]
#[tokio::test]
async fn rawsocket_works_over_a_unix_socket() {
    let dir = std::env::temp_dir().join(format!("wamp-transport-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("router.sock");
    let _ = std::fs::remove_file(&path);
    let l = tokio::net::UnixListener::bind(&path).unwrap();
    let router = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut hello = [0u8; 4];
        s.read_exact(&mut hello).await.unwrap();
        s.write_all(&[0x7F, 0xF2, 0, 0]).await.unwrap();
        s.write_all(b"\0\0\0\x05hello").await.unwrap();
        let mut back = [0u8; 7];
        s.read_exact(&mut back).await.unwrap();
        (hello, back)
    });
    for url in [
        format!("unix://{}", path.display()),
        format!("unix:{}", path.display()),
    ] {
        let config = TransportConfig::new(&url)
            .unwrap()
            .serializers(vec![Arc::new(MsgPack)]);
        assert_eq!(config.unix_path(), Some(path.as_path()));
    }
    let config = TransportConfig::new(&format!("unix:{}", path.display()))
        .unwrap()
        .serializers(vec![Arc::new(MsgPack)]);
    let mut conn = bounded(connect(&config)).await.unwrap();
    assert_eq!(conn.serializer.name(), "msgpack");
    let got = bounded(conn.read_frame()).await.unwrap();
    assert_eq!(got, Some(Frame::Message(Bytes::from_static(b"hello"))));
    conn.queue_message(b"abc").unwrap();
    bounded(conn.write_all()).await.unwrap();
    let (hello, back) = bounded(router).await.unwrap();
    assert_eq!(hello, [0x7F, 0xF2, 0, 0]);
    assert_eq!(&back, b"\0\0\0\x03abc");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- WebSocket ----

/// A WebSocket server for one connection: `pick` chooses the answer to the opening request.
async fn fake_ws_server<P>(
    pick: P,
) -> (
    SocketAddr,
    JoinHandle<Option<(tokio_tungstenite::WebSocketStream<TcpStream>, Request)>>,
)
where
    P: FnOnce(&Request) -> Result<Option<&'static str>, StatusCode> + Send + Unpin + 'static,
{
    let (l, addr) = listener().await;
    let task = tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        let mut seen = None;
        let cb = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
            seen = Some(req.clone());
            match pick(req) {
                Ok(Some(proto)) => {
                    resp.headers_mut()
                        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(proto));
                    Ok(resp)
                }
                Ok(None) => Ok(resp),
                Err(status) => {
                    let mut err = ErrorResponse::new(Some("no".into()));
                    *err.status_mut() = status;
                    Err(err)
                }
            }
        };
        let ws = tokio_tungstenite::accept_hdr_async(s, cb).await.ok()?;
        Some((ws, seen?))
    });
    (addr, task)
}

fn ws_config(addr: SocketAddr) -> TransportConfig {
    TransportConfig::new(&format!("ws://{addr}/ws")).unwrap()
}

#[tokio::test]
async fn websocket_offers_the_subprotocols_in_order_and_uses_the_one_picked() {
    use futures_util::{SinkExt, StreamExt};
    let (addr, server) = fake_ws_server(|_| Ok(Some("wamp.2.json"))).await;
    let config = ws_config(addr).header("X-Test", "yes");
    let mut conn = bounded(connect(&config)).await.unwrap();
    let (mut ws, req) = server.await.unwrap().unwrap();
    assert_eq!(
        req.headers().get("Sec-WebSocket-Protocol").unwrap(),
        "wamp.2.cbor, wamp.2.msgpack, wamp.2.json"
    );
    assert_eq!(req.headers().get("X-Test").unwrap(), "yes");
    assert_eq!(req.uri().path(), "/ws");
    assert_eq!(conn.kind, TransportKind::WebSocket);
    assert_eq!(conn.serializer.name(), "json");
    assert_eq!(conn.max_send_size, DEFAULT_MAX_MESSAGE_SIZE);

    // JSON goes out as text frames, batched until a transfer
    conn.queue_message(b"[1]").unwrap();
    conn.queue_message(b"[2]").unwrap();
    bounded(conn.write_all()).await.unwrap();
    for want in ["[1]", "[2]"] {
        match bounded(ws.next()).await.unwrap().unwrap() {
            Message::Text(t) => assert_eq!(t.as_str(), want),
            other => panic!("{other:?}"),
        }
    }
    // a text frame must be UTF-8
    assert!(matches!(
        conn.queue_message(&[0xFF]),
        Err(TransportError::Protocol(_))
    ));
    // both text and binary messages come in as bytes; pings are answered underneath
    ws.send(Message::Ping(b"p".to_vec().into())).await.unwrap();
    ws.send(Message::text("[3]")).await.unwrap();
    ws.send(Message::binary(b"\x01\x02".to_vec()))
        .await
        .unwrap();
    assert_eq!(
        bounded(conn.read_frame()).await.unwrap(),
        Some(Frame::Message(Bytes::from_static(b"[3]")))
    );
    assert_eq!(
        bounded(conn.read_frame()).await.unwrap(),
        Some(Frame::Message(Bytes::from_static(&[1, 2])))
    );
    bounded(conn.write_all()).await.unwrap();
    match bounded(ws.next()).await.unwrap().unwrap() {
        Message::Pong(p) => assert_eq!(&p[..], b"p"),
        other => panic!("{other:?}"),
    }

    // close: the server sees a close frame and answers (tungstenite answers while reading on)
    let server = tokio::spawn(async move {
        let first = ws.next().await;
        for _ in 0..10 {
            if ws.next().await.is_none() {
                break;
            }
        }
        first
    });
    bounded(conn.close()).await.unwrap();
    match bounded(server).await.unwrap().unwrap().unwrap() {
        Message::Close(_) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        conn.queue_message(b"[4]"),
        Err(TransportError::Closed)
    ));
}

#[tokio::test]
async fn binary_serializers_send_binary_websocket_frames() {
    use futures_util::StreamExt;
    let (addr, server) = fake_ws_server(|_| Ok(Some("wamp.2.msgpack"))).await;
    let mut conn = bounded(connect(&ws_config(addr))).await.unwrap();
    let (mut ws, _) = server.await.unwrap().unwrap();
    assert_eq!(conn.serializer.name(), "msgpack");
    conn.queue_message(&[0x91, 0x01]).unwrap();
    bounded(conn.write_all()).await.unwrap();
    match bounded(ws.next()).await.unwrap().unwrap() {
        Message::Binary(b) => assert_eq!(&b[..], &[0x91, 0x01]),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_server_picking_no_subprotocol_means_no_serializer() {
    let (addr, _server) = fake_ws_server(|_| Ok(None)).await;
    let err = bounded(connect(&ws_config(addr))).await.unwrap_err();
    assert!(matches!(err, ConnectError::NoSerializer), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_server_picking_a_subprotocol_we_did_not_offer_means_no_serializer() {
    let (addr, _server) = fake_ws_server(|_| Ok(Some("wamp.2.ubjson"))).await;
    let err = bounded(connect(&ws_config(addr))).await.unwrap_err();
    assert!(matches!(err, ConnectError::NoSerializer), "{err:?}");
}

#[tokio::test]
async fn http_error_statuses_are_websocket_errors_retryable_only_for_server_trouble() {
    for (status, retryable) in [
        (StatusCode::NOT_FOUND, false),
        (StatusCode::SERVICE_UNAVAILABLE, true),
    ] {
        let (addr, _server) = fake_ws_server(move |_| Err(status)).await;
        let err = bounded(connect(&ws_config(addr))).await.unwrap_err();
        match &err {
            ConnectError::WebSocket {
                status: Some(s),
                reason,
            } => {
                assert_eq!(*s, status.as_u16());
                assert!(
                    reason.starts_with(&format!("http status {}", status.as_u16())),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.is_retryable(), retryable, "{status}");
    }
}

#[tokio::test]
async fn an_invalid_header_is_a_config_error() {
    let (addr, _server) = fake_ws_server(|_| Ok(Some("wamp.2.json"))).await;
    let config = ws_config(addr).header("Bad Header", "x");
    let err = bounded(connect(&config)).await.unwrap_err();
    assert!(
        matches!(&err, ConnectError::Config(ConfigError::InvalidHeader { name }) if name == "Bad Header"),
        "{err:?}"
    );
}

#[tokio::test]
async fn websocket_messages_over_our_limit_are_too_large_both_ways() {
    use futures_util::SinkExt;
    let (addr, server) = fake_ws_server(|_| Ok(Some("wamp.2.cbor"))).await;
    let mut conn = bounded(connect(&ws_config(addr).max_message_size(100)))
        .await
        .unwrap();
    let (mut ws, _) = server.await.unwrap().unwrap();
    assert_eq!(conn.max_send_size, 100);
    assert!(matches!(
        conn.queue_message(&[0; 101]),
        Err(TransportError::TooLarge {
            size: 101,
            limit: 100
        })
    ));
    ws.send(Message::binary(vec![0u8; 101])).await.unwrap();
    match bounded(conn.read_frame()).await {
        Err(TransportError::TooLarge { size, limit }) => {
            assert_eq!(limit, 100);
            assert!(size > 100);
        }
        other => panic!("{other:?}"),
    }
}

// ---- TLS ----

struct TestPki {
    ca_pem: String,
    server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    server_key: rustls::pki_types::PrivateKeyDer<'static>,
    ca: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &ca, &ca_key)
        .unwrap();
    TestPki {
        ca_pem: ca.pem(),
        server_chain: vec![server.der().clone()],
        server_key: rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        ca,
        ca_key,
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS server answering the RawSocket handshake; reports whether the client sent a cert.
async fn tls_rawsocket_router(
    server_config: rustls::ServerConfig,
) -> (SocketAddr, JoinHandle<Result<bool, std::io::Error>>) {
    let (l, addr) = listener().await;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let task = tokio::spawn(async move {
        let (s, _) = l.accept().await?;
        let mut tls = acceptor.accept(s).await?;
        let had_cert = tls.get_ref().1.peer_certificates().is_some();
        let mut hello = [0u8; 4];
        tls.read_exact(&mut hello).await?;
        tls.write_all(&[0x7F, 0xF3, 0, 0]).await?;
        tls.write_all(b"\0\0\0\x02ok").await?;
        tls.flush().await?;
        let mut rest = Vec::new();
        let _ = tls.read_to_end(&mut rest).await;
        Ok(had_cert)
    });
    (addr, task)
}

fn plain_server_config(pki: &TestPki) -> rustls::ServerConfig {
    rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .unwrap()
}

#[tokio::test]
async fn rawsocket_over_tls_verifies_the_server_by_ip_address_with_a_custom_root() {
    let pki = test_pki();
    let (addr, router) = tls_rawsocket_router(plain_server_config(&pki)).await;
    let tls = TlsConfig::default()
        .add_ca_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .only_custom_roots();
    let config = TransportConfig::new(&format!("rss://{addr}"))
        .unwrap()
        .tls(tls);
    let mut conn = bounded(connect(&config)).await.unwrap();
    assert_eq!(
        bounded(conn.read_frame()).await.unwrap(),
        Some(Frame::Message(Bytes::from_static(b"ok")))
    );
    bounded(conn.close()).await.unwrap();
    assert!(!bounded(router).await.unwrap().unwrap());
}

#[tokio::test]
async fn tls_uses_the_server_name_override_for_verification() {
    let pki = test_pki();
    let (addr, _router) = tls_rawsocket_router(plain_server_config(&pki)).await;
    let ca = pki.ca_pem.as_bytes();
    // the certificate names localhost and 127.0.0.1, not example.com
    let wrong = TlsConfig::default()
        .add_ca_pem(ca)
        .unwrap()
        .server_name("example.com");
    let config = TransportConfig::new(&format!("tcps://{addr}"))
        .unwrap()
        .tls(wrong);
    let err = bounded(connect(&config)).await.unwrap_err();
    assert!(matches!(err, ConnectError::Tls(_)), "{err:?}");

    let (addr, _router) = tls_rawsocket_router(plain_server_config(&pki)).await;
    let right = TlsConfig::default()
        .add_ca_pem(ca)
        .unwrap()
        .server_name("localhost");
    let config = TransportConfig::new(&format!("tcps://{addr}"))
        .unwrap()
        .tls(right);
    bounded(connect(&config)).await.unwrap();
}

#[tokio::test]
async fn an_untrusted_server_certificate_is_a_tls_error_that_is_not_retryable() {
    let pki = test_pki();
    let (addr, _router) = tls_rawsocket_router(plain_server_config(&pki)).await;
    let config = TransportConfig::new(&format!("rss://{addr}")).unwrap();
    let err = bounded(connect(&config)).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Tls(rustls::Error::InvalidCertificate(_))),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert!(
        err.to_string().starts_with("tls handshake failed: "),
        "{err}"
    );
}

#[tokio::test]
async fn a_client_certificate_is_presented_when_configured() {
    use rcgen::{CertificateParams, KeyPair};
    let pki = test_pki();
    let client_key = KeyPair::generate().unwrap();
    let client = CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .signed_by(&client_key, &pki.ca, &pki.ca_key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.der().clone()).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .unwrap();
    let server_config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .unwrap();
    let (addr, router) = tls_rawsocket_router(server_config).await;
    let tls = TlsConfig::default()
        .add_ca_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .client_cert_pem(
            client.pem().as_bytes(),
            client_key.serialize_pem().as_bytes(),
        )
        .unwrap();
    let config = TransportConfig::new(&format!("rss://localhost:{}", addr.port()))
        .unwrap()
        .tls(tls);
    let mut conn = bounded(connect(&config)).await.unwrap();
    assert_eq!(
        bounded(conn.read_frame()).await.unwrap(),
        Some(Frame::Message(Bytes::from_static(b"ok")))
    );
    bounded(conn.close()).await.unwrap();
    assert!(bounded(router).await.unwrap().unwrap());
}

#[tokio::test]
async fn websocket_over_tls_connects_and_reuses_the_cached_tls_config() {
    let pki = test_pki();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(plain_server_config(&pki)));
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        for _ in 0..2 {
            let (s, _) = l.accept().await.unwrap();
            let tls = acceptor.accept(s).await.unwrap();
            let cb = |_: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
                resp.headers_mut().insert(
                    "Sec-WebSocket-Protocol",
                    HeaderValue::from_static("wamp.2.cbor"),
                );
                Ok(resp)
            };
            let ws = tokio_tungstenite::accept_hdr_async(tls, cb).await.unwrap();
            drop(ws);
        }
    });
    let tls = TlsConfig::default()
        .add_ca_pem(pki.ca_pem.as_bytes())
        .unwrap();
    let config = TransportConfig::new(&format!("wss://localhost:{}/ws", addr.port()))
        .unwrap()
        .tls(tls);
    let first = bounded(connect(&config)).await.unwrap();
    assert_eq!(first.serializer.name(), "cbor");
    let cached = config.rustls_config().await.unwrap();
    let again = config.clone();
    let second = bounded(connect(&again)).await.unwrap();
    assert!(Arc::ptr_eq(&cached, &again.rustls_config().await.unwrap()));
    drop((first, second));
    bounded(server).await.unwrap();
}

// ---- connector and connect_over (in-memory streams) ----

/// A config whose connector hands out one end of a fresh pipe per attempt and sends the other
/// end to the returned receiver.
fn piped(
    url: &str,
) -> (
    TransportConfig,
    tokio::sync::mpsc::UnboundedReceiver<tokio::io::DuplexStream>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let config = TransportConfig::new(url).unwrap().connector(move || {
        let tx = tx.clone();
        async move {
            let (ours, theirs) = tokio::io::duplex(64 * 1024);
            tx.send(theirs)
                .map_err(|_| std::io::Error::other("no router"))?;
            Ok(ours)
        }
    });
    (config, rx)
}

#[tokio::test]
async fn a_connector_supplies_the_stream_for_rawsocket_instead_of_tcp() {
    // Nothing listens on port 1: only the connector's pipe can work.
    let (config, mut routers) = piped("rs://127.0.0.1:1");
    let router = tokio::spawn(async move {
        let mut s = routers.recv().await.unwrap();
        let mut hello = [0u8; 4];
        s.read_exact(&mut hello).await.unwrap();
        s.write_all(&[0x7F, 0xF3, 0, 0]).await.unwrap();
        s.write_all(b"\0\0\0\x02hi").await.unwrap();
        let mut back = [0u8; 6];
        s.read_exact(&mut back).await.unwrap();
        (hello, back)
    });
    let mut conn = bounded(connect(&config)).await.unwrap();
    assert_eq!(conn.kind, TransportKind::RawSocket);
    assert_eq!(
        bounded(conn.read_frame()).await.unwrap(),
        Some(Frame::Message(Bytes::from_static(b"hi")))
    );
    conn.queue_message(b"yo").unwrap();
    bounded(conn.write_all()).await.unwrap();
    let (hello, back) = bounded(router).await.unwrap();
    assert_eq!(hello, [0x7F, 0xF3, 0, 0]);
    assert_eq!(&back, b"\0\0\0\x02yo");
}

#[tokio::test]
async fn a_connector_error_is_a_retryable_io_error_and_debug_shows_only_custom() {
    let config = TransportConfig::new("ws://router/ws")
        .unwrap()
        .connector(|| async {
            Err::<tokio::io::DuplexStream, _>(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "refused",
            ))
        });
    assert!(format!("{config:?}").contains("connector: <custom>"));
    assert!(
        format!("{:?}", TransportConfig::new("ws://router/ws").unwrap())
            .contains("connector: None")
    );
    let err = bounded(connect(&config)).await.unwrap_err();
    assert!(matches!(err, ConnectError::Io(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn the_connect_timeout_covers_a_connector_that_never_finishes() {
    let config = TransportConfig::new("rs://router:1")
        .unwrap()
        .connect_timeout(Duration::from_secs(3))
        .connector(std::future::pending::<std::io::Result<tokio::io::DuplexStream>>);
    let err = connect(&config).await.unwrap_err();
    assert!(matches!(err, ConnectError::Timeout), "{err:?}");
}

#[tokio::test]
async fn a_connector_stream_gets_tls_when_the_url_says_wss() {
    let pki = test_pki();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(plain_server_config(&pki)));
    let tls = TlsConfig::default()
        .add_ca_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .only_custom_roots();
    let (config, mut routers) = piped("wss://localhost/ws");
    let config = config.tls(tls);
    let server = tokio::spawn(async move {
        use futures_util::{SinkExt, StreamExt};
        let s = routers.recv().await.unwrap();
        let tls = acceptor.accept(s).await.unwrap();
        let cb = |_: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
            resp.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_static("wamp.2.msgpack"),
            );
            Ok(resp)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(tls, cb).await.unwrap();
        let got = ws.next().await.unwrap().unwrap();
        ws.send(got).await.unwrap();
        // read on until our close, which tungstenite answers
        while let Some(Ok(_)) = ws.next().await {}
    });
    let mut conn = bounded(connect(&config)).await.unwrap();
    assert_eq!(conn.serializer.name(), "msgpack");
    conn.queue_message(&[0x93, 1, 2, 3]).unwrap();
    bounded(conn.write_all()).await.unwrap();
    assert_eq!(
        bounded(conn.read_frame()).await.unwrap(),
        Some(Frame::Message(Bytes::from_static(&[0x93, 1, 2, 3])))
    );
    bounded(conn.close()).await.unwrap();
    bounded(server).await.unwrap();
}

#[tokio::test]
async fn connect_over_runs_websocket_against_an_independent_server_implementation() {
    use futures_util::{SinkExt, StreamExt};
    let (ours, theirs) = tokio::io::duplex(1 << 20);
    let server = tokio::spawn(async move {
        let cb = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
            assert_eq!(req.headers().get("X-Client").unwrap(), "test");
            resp.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_static("wamp.2.json"),
            );
            Ok(resp)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(theirs, cb)
            .await
            .unwrap();
        // a ping, a small and a large text message; our messages echoed back
        ws.send(Message::Ping(b"p1".to_vec().into())).await.unwrap();
        ws.send(Message::text("[2,1,{}]")).await.unwrap();
        ws.send(Message::text(format!("[\"{}\"]", "z".repeat(200_000))))
            .await
            .unwrap();
        let mut got = Vec::new();
        while let Some(msg) = ws.next().await {
            match msg.unwrap() {
                Message::Text(t) => got.push(t.to_string()),
                Message::Pong(p) => got.push(format!("pong {}", String::from_utf8_lossy(&p))),
                Message::Close(c) => {
                    got.push(format!("close {}", c.map_or(0, |c| u16::from(c.code))));
                }
                _ => {}
            }
        }
        got
    });
    let config = TransportConfig::new("ws://in-memory/ws")
        .unwrap()
        .serializer_names(&["json"])
        .unwrap()
        .header("X-Client", "test");
    let mut conn = bounded(connect_over(&config, Box::new(ours)))
        .await
        .unwrap();
    assert_eq!(conn.serializer.name(), "json");
    assert_eq!(
        bounded(conn.read_frame()).await.unwrap(),
        Some(Frame::Message(Bytes::from_static(b"[2,1,{}]")))
    );
    match bounded(conn.read_frame()).await.unwrap() {
        Some(Frame::Message(m)) => assert_eq!(m.len(), 200_004),
        other => panic!("{other:?}"),
    }
    let big = format!("[\"{}\"]", "y".repeat(100_000));
    conn.queue_message(b"[64,1,{},\"a\"]").unwrap();
    conn.queue_message(big.as_bytes()).unwrap();
    bounded(conn.close()).await.unwrap();
    let got = bounded(server).await.unwrap();
    assert_eq!(got.len(), 4, "{:?}", &got[..got.len().min(2)]);
    assert_eq!(got[0], "pong p1");
    assert_eq!(got[1], "[64,1,{},\"a\"]");
    assert_eq!(got[2], big);
    assert_eq!(got[3], "close 1000");
}

#[tokio::test]
async fn connect_over_refuses_an_invalid_header_before_sending_anything() {
    let (ours, mut theirs) = tokio::io::duplex(1024);
    let config = TransportConfig::new("ws://in-memory/ws")
        .unwrap()
        .header("X-Evil", "a\r\nHost: b");
    let err = connect_over(&config, Box::new(ours)).await.unwrap_err();
    assert!(
        matches!(&err, ConnectError::Config(ConfigError::InvalidHeader { name }) if name == "X-Evil"),
        "{err:?}"
    );
    let mut rest = Vec::new();
    bounded(theirs.read_to_end(&mut rest)).await.unwrap();
    assert!(rest.is_empty());
}

/// A `tracing` writer that keeps everything written.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn nothing_logged_at_trace_level_carries_a_header_value_or_a_payload() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // A server written here by hand, so that only our side logs.
    let (ours, mut theirs) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(async move {
        let mut req = Vec::new();
        while !req.ends_with(b"\r\n\r\n") {
            let mut b = [0u8; 1];
            theirs.read_exact(&mut b).await.unwrap();
            req.push(b[0]);
        }
        let text = String::from_utf8(req).unwrap();
        let key = text
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .unwrap()
            .to_string();
        let mut sha = <sha1::Sha1 as sha1::Digest>::new();
        sha1::Digest::update(&mut sha, key.as_bytes());
        sha1::Digest::update(&mut sha, b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
        let accept = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            sha1::Digest::finalize(sha),
        );
        let resp = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n"
        );
        theirs.write_all(resp.as_bytes()).await.unwrap();
        // a message carrying a secret, then a close
        let payload = b"[4,\"ticket\",{\"secret\":\"CHALLENGE-SECRET\"}]";
        let mut frame = vec![0x81, payload.len() as u8];
        frame.extend(payload);
        theirs.write_all(&frame).await.unwrap();
        theirs.write_all(&[0x88, 2, 0x03, 0xE8]).await.unwrap();
        let mut rest = Vec::new();
        let _ = theirs.read_to_end(&mut rest).await;
    });
    let config = TransportConfig::new("ws://in-memory/ws")
        .unwrap()
        .serializer_names(&["json"])
        .unwrap()
        .header("Authorization", "Bearer HEADER-SECRET");
    let mut conn = bounded(connect_over(&config, Box::new(ours)))
        .await
        .unwrap();
    conn.queue_message(b"[5,\"TICKET-SECRET\",{}]").unwrap();
    bounded(conn.write_all()).await.unwrap();
    assert!(matches!(
        bounded(conn.read_frame()).await.unwrap(),
        Some(Frame::Message(_))
    ));
    assert_eq!(
        bounded(conn.read_frame()).await.unwrap(),
        Some(Frame::Close)
    );
    bounded(conn.close()).await.unwrap();
    bounded(server).await.unwrap();
    drop(_guard);

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("websocket handshake done"), "{text}");
    for secret in [
        "HEADER-SECRET",
        "TICKET-SECRET",
        "CHALLENGE-SECRET",
        "Sec-WebSocket-Key",
    ] {
        assert!(!text.contains(secret), "{secret} logged: {text}");
    }
}
