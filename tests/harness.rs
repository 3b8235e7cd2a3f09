//! Tests of the test harness itself (tests/support): the Crossbar.io router it starts and our
//! router it embeds (each endpoint test runs against both: `crossbar::NAME`, `ours::NAME`),
//! their endpoints, their lifecycles, and the Autobahn|Python peers.
//!
//! Needs Python 3 with pip and access to PyPI: the harness installs Crossbar.io into a
//! virtualenv with scripts/crossbar-venv.sh on first use (about two minutes).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use wamp_suite::{bytes_from_json, bytes_to_json, Endpoint, Ours, Peer, Router, TestRouter};

const IO_TIMEOUT: Duration = Duration::from_secs(10);
const PEER_TIMEOUT: Duration = Duration::from_secs(30);
const SERIALIZERS: [&str; 3] = ["json", "msgpack", "cbor"];

/// A byte stream to one endpoint: plain TCP, TLS over TCP, or a Unix socket.
trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// Connects to `endpoint`, doing the TLS handshake (trusting only the router's CA, checking the
/// certificate for `server_name`) for the TLS endpoints.
fn connect(router: &dyn TestRouter, endpoint: Endpoint, server_name: &str) -> Box<dyn Stream> {
    if endpoint == Endpoint::Unix {
        let stream = UnixStream::connect(router.unix_path()).expect("connecting the unix socket");
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        return Box::new(stream);
    }
    let addr = router.addr(endpoint).expect("a TCP endpoint");
    let tcp = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("connecting {endpoint} at {addr}: {e}"));
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    if !endpoint.is_tls() {
        return Box::new(tcp);
    }
    let mut tls = rustls::StreamOwned::new(tls_client(router, server_name), tcp);
    // Complete the handshake now, so that a certificate problem shows up here.
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .unwrap_or_else(|e| panic!("TLS handshake with {endpoint} as {server_name}: {e}"));
    }
    Box::new(tls)
}

fn tls_client(router: &dyn TestRouter, server_name: &str) -> rustls::ClientConnection {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(router.ca_cert_der().to_vec()))
        .expect("the generated CA is a valid trust anchor");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(server_name.to_string()).expect("a valid server name");
    rustls::ClientConnection::new(Arc::new(config), name).expect("a TLS client")
}

/// The HELLO the raw protocol checks send.
fn hello() -> Vec<u8> {
    serde_json::to_vec(&json!([1, "realm1", {"roles": {"caller": {}, "subscriber": {}}}])).unwrap()
}

/// RawSocket: handshake asking for `serializer` (1 json, 2 msgpack, 3 cbor) and the largest
/// messages; returns the router's reply (its length exponent and serializer).
fn rawsocket_handshake(stream: &mut dyn Stream, serializer: u8) -> (u8, u8) {
    stream.write_all(&[0x7f, 0xf0 | serializer, 0, 0]).unwrap();
    let mut reply = [0u8; 4];
    stream
        .read_exact(&mut reply)
        .expect("rawsocket handshake reply");
    assert_eq!(reply[0], 0x7f, "rawsocket magic octet, reply {reply:?}");
    assert_eq!(&reply[2..], &[0, 0], "reserved octets, reply {reply:?}");
    (reply[1] >> 4, reply[1] & 0x0f)
}

/// RawSocket with JSON: HELLO in, the first message out.
fn rawsocket_hello(stream: &mut dyn Stream) -> Value {
    let (exponent, serializer) = rawsocket_handshake(stream, 1);
    assert_eq!(serializer, 1, "the router must accept JSON");
    assert_eq!(
        exponent, 15,
        "the router must accept messages of 2^24 octets"
    );
    let hello = hello();
    let mut frame = vec![0u8, 0, 0, 0];
    frame[1..].copy_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    frame.extend_from_slice(&hello);
    stream.write_all(&frame).unwrap();
    let mut header = [0u8; 4];
    stream
        .read_exact(&mut header)
        .expect("rawsocket frame header");
    assert_eq!(header[0] & 0x07, 0, "a regular WAMP message, not a ping");
    let len = u32::from_be_bytes([0, header[1], header[2], header[3]]) as usize;
    let mut payload = vec![0u8; len];
    stream
        .read_exact(&mut payload)
        .expect("rawsocket frame payload");
    serde_json::from_slice(&payload).expect("a JSON message")
}

/// WebSocket: the opening handshake for `protocol`; returns the response head.
fn websocket_handshake(stream: &mut dyn Stream, host: &str, protocol: &str) -> String {
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: {protocol}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream
            .read_exact(&mut byte)
            .expect("websocket handshake response");
        head.push(byte[0]);
        assert!(head.len() < 16 * 1024, "runaway handshake response");
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    assert!(
        head.starts_with("HTTP/1.1 101"),
        "not switching protocols:\n{head}"
    );
    let chosen = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-protocol")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    assert_eq!(chosen, protocol, "negotiated subprotocol:\n{head}");
    head
}

/// WebSocket with JSON: HELLO in (one masked text frame), the first message out.
fn websocket_hello(stream: &mut dyn Stream, host: &str) -> Value {
    websocket_handshake(stream, host, "wamp.2.json");
    let hello = hello();
    assert!(hello.len() < 126);
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut frame = vec![0x81, 0x80 | hello.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(hello.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).unwrap();

    let mut head = [0u8; 2];
    stream
        .read_exact(&mut head)
        .expect("websocket frame header");
    assert_eq!(head[0], 0x81, "a final text frame");
    assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
    let len = match head[1] & 0x7f {
        126 => {
            let mut ext = [0u8; 2];
            stream.read_exact(&mut ext).unwrap();
            u16::from_be_bytes(ext) as usize
        }
        127 => {
            let mut ext = [0u8; 8];
            stream.read_exact(&mut ext).unwrap();
            u64::from_be_bytes(ext) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    stream
        .read_exact(&mut payload)
        .expect("websocket frame payload");
    serde_json::from_slice(&payload).expect("a JSON message")
}

fn assert_welcome(message: &Value, endpoint: Endpoint) {
    assert_eq!(
        message[0], 2,
        "WELCOME expected on {endpoint}, got {message}"
    );
    assert!(message[1].as_u64().is_some(), "a session id: {message}");
    let roles = &message[2]["roles"];
    assert!(
        roles.get("dealer").is_some() && roles.get("broker").is_some(),
        "the router announces dealer and broker roles: {message}"
    );
}

fn hello_gets_welcome(router: &dyn TestRouter, endpoint: Endpoint, server_name: &str) {
    let mut stream = connect(router, endpoint, server_name);
    let welcome = if endpoint.is_websocket() {
        let host = router.addr(endpoint).unwrap().to_string();
        websocket_hello(&mut *stream, &host)
    } else {
        rawsocket_hello(&mut *stream)
    };
    assert_welcome(&welcome, endpoint);
}

fn all_endpoints_accept(router: &dyn TestRouter) -> bool {
    Endpoint::ALL.iter().all(|&e| match router.addr(e) {
        Some(addr) => TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok(),
        None => UnixStream::connect(router.unix_path()).is_ok(),
    })
}

/// The endpoints that still accept connections, polled for up to 5 s (a dying process may
/// hold its listener a moment), each with the processes that listen on it.
fn endpoints_still_accepting(router: &dyn TestRouter) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let accepting: Vec<Endpoint> = Endpoint::ALL
            .into_iter()
            .filter(|&e| match router.addr(e) {
                Some(addr) => TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok(),
                None => UnixStream::connect(router.unix_path()).is_ok(),
            })
            .collect();
        if accepting.is_empty() || Instant::now() >= deadline {
            return accepting
                .into_iter()
                .map(|e| {
                    let owners = router.addr(e).map(|a| tcp_listeners(a.port()));
                    format!("{e:?} (listening: {owners:?})")
                })
                .collect();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `pid comm` of every process holding a TCP socket that listens on `port`, from /proc.
fn tcp_listeners(port: u16) -> Vec<String> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let local_port = f.get(1)?.rsplit_once(':')?.1;
            let listening = f.get(3) == Some(&"0A");
            let inode = f.get(9)?;
            (listening && u16::from_str_radix(local_port, 16).ok()? == port)
                .then(|| format!("socket:[{inode}]"))
        })
        .collect();
    let mut owners = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
        });
        if holds {
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            owners.push(format!(
                "{} {}",
                entry.file_name().to_string_lossy(),
                comm.trim()
            ));
        }
    }
    owners
}

/// Pids of the live (not zombie) processes whose process group is `pgid`, from /proc.
fn processes_in_group(pgid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string() {
            found.push(pid);
        }
    }
    found
}

fn peer_args(
    router: &dyn TestRouter,
    endpoint: Endpoint,
    serializer: &str,
    extra: &[&str],
) -> Vec<String> {
    let mut args = router.peer_args(endpoint, serializer);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn call(router: &dyn TestRouter, endpoint: Endpoint, serializer: &str, extra: &[&str]) -> Peer {
    Peer::spawn("caller.py", peer_args(router, endpoint, serializer, extra))
}

#[test]
#[should_panic(expected = "could not connect to rs://127.0.0.1:1")]
fn a_failing_peer_panics_with_its_reason() {
    let mut caller = Peer::spawn(
        "caller.py",
        [
            "--url",
            "rs://127.0.0.1:1",
            "--procedure",
            "com.nowhere",
            "--timeout",
            "5",
        ],
    );
    caller.expect_line("RESULT", PEER_TIMEOUT);
}

// Crossbar.io only: the node's processes (its pid, its process group) are checked.
#[test]
fn a_killed_router_restarts_on_the_same_ports() {
    let router = Router::start();
    let urls: Vec<String> = Endpoint::ALL.iter().map(|&e| router.url(e)).collect();
    let first_pid = router.pid().expect("running");

    router.kill();
    assert!(!router.is_running());
    let accepting = endpoints_still_accepting(&router);
    assert!(
        accepting.is_empty(),
        "after kill(), still accepting: {accepting:?}"
    );
    assert!(
        processes_in_group(first_pid).is_empty(),
        "no process of the node is left"
    );

    router.restart();
    assert!(router.is_running());
    assert!(all_endpoints_accept(&router));
    let urls_again: Vec<String> = Endpoint::ALL.iter().map(|&e| router.url(e)).collect();
    assert_eq!(urls, urls_again);
    for endpoint in Endpoint::ALL {
        hello_gets_welcome(&router, endpoint, "127.0.0.1");
    }

    router.stop();
    let accepting = endpoints_still_accepting(&router);
    assert!(
        accepting.is_empty(),
        "after stop(), still accepting: {accepting:?}\n{}",
        router.log_tail(30)
    );
    router.restart();
    hello_gets_welcome(&router, Endpoint::Rs, "127.0.0.1");
}

#[test]
fn our_killed_router_restarts_on_the_same_ports() {
    let router = Ours::start();
    let urls: Vec<String> = Endpoint::ALL.iter().map(|&e| router.url(e)).collect();
    router.kill();
    assert!(!router.is_running());
    let accepting = endpoints_still_accepting(&router);
    assert!(
        accepting.is_empty(),
        "after kill(), still accepting: {accepting:?}"
    );
    router.restart();
    assert!(router.is_running());
    assert!(all_endpoints_accept(&router));
    let urls_again: Vec<String> = Endpoint::ALL.iter().map(|&e| router.url(e)).collect();
    assert_eq!(urls, urls_again);
    for endpoint in Endpoint::ALL {
        hello_gets_welcome(&router, endpoint, "127.0.0.1");
    }
    router.stop();
    let accepting = endpoints_still_accepting(&router);
    assert!(
        accepting.is_empty(),
        "after stop(), still accepting: {accepting:?}"
    );
    router.restart();
    hello_gets_welcome(&router, Endpoint::Rs, "127.0.0.1");
}

#[test]
fn dropping_our_router_closes_its_endpoints_and_removes_its_directory() {
    let router = Ours::start();
    let dir = router.dir().to_path_buf();
    let addrs: Vec<_> = Endpoint::ALL
        .iter()
        .filter_map(|&e| router.addr(e))
        .collect();
    assert!(router.unix_path().exists());
    drop(router);
    for addr in addrs {
        assert!(
            TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
            "{addr} still accepts"
        );
    }
    assert!(!Path::new(&dir).exists(), "{} is removed", dir.display());
}

// Crossbar.io only: the node's processes are checked.
#[test]
fn dropping_a_router_leaves_no_process_and_no_directory() {
    let router = Router::start();
    let pid = router.pid().expect("running");
    let dir = router.dir().to_path_buf();
    assert!(
        processes_in_group(pid).len() >= 2,
        "a controller and a router worker run"
    );
    drop(router);
    assert!(
        processes_in_group(pid).is_empty(),
        "no process of the node is left"
    );
    assert!(!Path::new(&dir).exists(), "{} is removed", dir.display());
}

wamp_suite::on_both_routers! {
    #[test]
    fn router_urls_point_at_loopback(router) {
        let port = |e: Endpoint| router.addr(e).unwrap().port();
        assert_eq!(
            router.ws_url(),
            format!("ws://127.0.0.1:{}/ws", port(Endpoint::Ws))
        );
        assert_eq!(
            router.wss_url(),
            format!("wss://127.0.0.1:{}/ws", port(Endpoint::Wss))
        );
        assert_eq!(
            router.rs_url(),
            format!("rs://127.0.0.1:{}", port(Endpoint::Rs))
        );
        assert_eq!(
            router.rss_url(),
            format!("rss://127.0.0.1:{}", port(Endpoint::Rss))
        );
        assert_eq!(
            router.unix_url(),
            format!("rs://unix:{}", router.unix_path().display())
        );
        assert_eq!(router.realm(), "realm1");
        for endpoint in Endpoint::ALL {
            if let Some(addr) = router.addr(endpoint) {
                assert!(addr.ip().is_loopback(), "{endpoint} listens on {addr}");
            }
        }
        assert!(router.unix_path().starts_with(router.dir()));
        assert!(router
            .ca_cert_pem()
            .starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(
            std::fs::read_to_string(router.ca_cert_path()).unwrap(),
            router.ca_cert_pem()
        );
        assert!(router.is_running());
    }

    #[test]
    fn every_endpoint_welcomes_a_session_on_realm1(router) {
        for endpoint in Endpoint::ALL {
            hello_gets_welcome(router, endpoint, "127.0.0.1");
        }
    }

    #[test]
    fn tls_endpoints_present_a_certificate_for_localhost_signed_by_the_ca(router) {
        hello_gets_welcome(router, Endpoint::Wss, "localhost");
        hello_gets_welcome(router, Endpoint::Rss, "localhost");
    }

    #[test]
    fn tls_endpoints_are_not_trusted_without_the_ca(router) {
        let addr = router.addr(Endpoint::Rss).unwrap();
        let mut tcp = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
        tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let mut result = Ok((0, 0));
        while conn.is_handshaking() && result.is_ok() {
            result = conn.complete_io(&mut tcp);
        }
        let error = result.expect_err("the handshake must fail without the router's CA");
        assert!(
            error.to_string().contains("UnknownIssuer"),
            "unexpected error: {error}"
        );
    }

    #[test]
    fn every_endpoint_negotiates_every_serializer(router) {
        for endpoint in Endpoint::ALL {
            for (id, name) in [(1u8, "json"), (2, "msgpack"), (3, "cbor")] {
                let mut stream = connect(router, endpoint, "127.0.0.1");
                if endpoint.is_websocket() {
                    let host = router.addr(endpoint).unwrap().to_string();
                    websocket_handshake(&mut *stream, &host, &format!("wamp.2.{name}"));
                } else {
                    let (exponent, serializer) = rawsocket_handshake(&mut *stream, id);
                    assert_eq!(serializer, id, "{endpoint} with {name}");
                    assert_eq!(exponent, 15, "{endpoint} accepts 16 MiB messages");
                }
            }
        }
    }

    #[test]
    fn python_caller_reaches_python_callee_on_every_endpoint_and_serializer(router) {
        let mut callee = Peer::spawn(
            "callee.py",
            peer_args(
                router,
                Endpoint::Ws,
                "json",
                &["--prefix", "com.harness.matrix"],
            ),
        );
        callee.expect_line("READY", PEER_TIMEOUT);

        let mut callers = Vec::new();
        for endpoint in Endpoint::ALL {
            for serializer in SERIALIZERS {
                let a = format!("{endpoint}-{serializer}");
                let args = json!([a, 2]).to_string();
                let peer = call(
                    router,
                    endpoint,
                    serializer,
                    &[
                        "--procedure",
                        "com.harness.matrix.echo",
                        "--args",
                        &args,
                        "--kwargs",
                        r#"{"k": null}"#,
                    ],
                );
                callers.push((endpoint, serializer, a, peer));
            }
        }
        for (endpoint, serializer, a, mut caller) in callers {
            let result = caller.expect_json("RESULT", PEER_TIMEOUT);
            assert_eq!(
                result,
                json!({"args": [a, 2], "kwargs": {"k": null}}),
                "{endpoint} with {serializer}"
            );
            caller.expect_success(PEER_TIMEOUT);
        }
    }

    #[test]
    fn python_peers_pass_binary_values_and_application_errors(router) {
        let mut callee = Peer::spawn(
            "callee.py",
            peer_args(
                router,
                Endpoint::Rs,
                "msgpack",
                &["--prefix", "com.harness.values"],
            ),
        );
        callee.expect_line("READY", PEER_TIMEOUT);

        for serializer in SERIALIZERS {
            let input = bytes_to_json(&[0, 1, 0xfe, 0xff]);
            let args = json!([input]).to_string();
            let mut caller = call(
                router,
                Endpoint::Unix,
                serializer,
                &["--procedure", "com.harness.values.binary", "--args", &args],
            );
            let result = caller.expect_json("RESULT", PEER_TIMEOUT);
            let all: Vec<u8> = (0..=255).collect();
            assert_eq!(
                bytes_from_json(&result["args"][0]),
                Some(all),
                "{serializer}"
            );
            assert_eq!(
                bytes_from_json(&result["args"][1]),
                Some(vec![0, 1, 0xfe, 0xff]),
                "{serializer}"
            );

            let mut caller = call(
                router,
                Endpoint::Wss,
                serializer,
                &["--procedure", "com.harness.values.fail"],
            );
            let error = caller.expect_json("ERROR", PEER_TIMEOUT);
            assert_eq!(
                error,
                json!({
                    "uri": "com.peer.error.failed",
                    "args": ["first", 2, {"nested": [1, 2]}],
                    "kwargs": {"detail": "kw", "code": 7},
                }),
                "{serializer}"
            );
            caller.expect_success(PEER_TIMEOUT);
        }

        let mut caller = call(
            router,
            Endpoint::Rss,
            "cbor",
            &[
                "--procedure",
                "com.harness.values.add2",
                "--args",
                "[40, 2]",
            ],
        );
        assert_eq!(
            caller.expect_json("RESULT", PEER_TIMEOUT),
            json!({"args": [42], "kwargs": {}})
        );
    }

    #[test]
    fn python_publisher_reaches_python_subscribers(router) {
        let topic = "com.harness.pubsub.topic";
        let mut exact = Peer::spawn(
            "subscriber.py",
            peer_args(
                router,
                Endpoint::Rss,
                "cbor",
                &["--topic", topic, "--count", "2"],
            ),
        );
        let mut prefix = Peer::spawn(
            "subscriber.py",
            peer_args(
                router,
                Endpoint::Ws,
                "json",
                &[
                    "--topic",
                    "com.harness.pubsub",
                    "--match",
                    "prefix",
                    "--count",
                    "2",
                ],
            ),
        );
        exact.expect_line("READY", PEER_TIMEOUT);
        prefix.expect_line("READY", PEER_TIMEOUT);

        let args = json!([bytes_to_json(b"\x00hi"), 1.5]).to_string();
        let mut publisher = Peer::spawn(
            "publisher.py",
            peer_args(
                router,
                Endpoint::Unix,
                "msgpack",
                &[
                    "--topic",
                    topic,
                    "--count",
                    "2",
                    "--args",
                    &args,
                    "--kwargs",
                    r#"{"n": null}"#,
                    "--wait-subscriber",
                    "--subscribers",
                    "2",
                ],
            ),
        );
        assert_eq!(publisher.expect_line("PUBLISHED", PEER_TIMEOUT), "2");
        publisher.expect_success(PEER_TIMEOUT);

        for (subscriber, concrete_topic) in [(&mut exact, Value::Null), (&mut prefix, json!(topic))] {
            for _ in 0..2 {
                let event = subscriber.expect_json("EVENT", PEER_TIMEOUT);
                assert_eq!(event["args"], json!([{"__bytes__": "006869"}, 1.5]));
                assert_eq!(event["kwargs"], json!({"n": null}));
                assert_eq!(event["topic"], concrete_topic);
                assert!(event["publisher"].is_u64(), "publisher disclosed: {event}");
            }
            subscriber.expect_success(PEER_TIMEOUT);
        }
    }
}
