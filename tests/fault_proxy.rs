//! Tests of the fault-injecting proxy of the test support library ([`FaultProxy`]), against a
//! small echo server; no router needed. Every wait is bounded by socket timeouts or deadlines.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use wamp_suite::{FaultMode, FaultProxy};

/// Bound on any single socket operation that is expected to succeed.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// An echo server on 127.0.0.1 that stops (within ~100 ms) when dropped.
struct Echo {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Echo {
    fn start() -> Echo {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind echo server");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, flag) = (Arc::clone(&accepted), Arc::clone(&stop));
        thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        let flag = Arc::clone(&flag);
                        thread::spawn(move || echo(stream, &flag));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Echo {
            addr,
            accepted,
            stop,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Echoes one connection until end-of-stream, an error or the server's stop.
fn echo(mut stream: TcpStream, stop: &AtomicBool) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut buf = [0u8; 8192];
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if stream.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
            Err(e) if is_timeout(&e) => {}
            Err(_) => return,
        }
    }
    let _ = stream.shutdown(Shutdown::Write);
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Connects to `addr` with bounded connect, read and write times.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect to the proxy");
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

/// Sends `data` and reads as many bytes back.
fn round_trip(stream: &mut TcpStream, data: &[u8]) -> Vec<u8> {
    stream.write_all(data).expect("write");
    let mut back = vec![0u8; data.len()];
    stream.read_exact(&mut back).expect("read the echo");
    back
}

/// Asserts that a read gets nothing within `within`: a timeout, not data nor end-of-stream.
fn assert_silent(stream: &mut TcpStream, within: Duration) {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Err(e) if is_timeout(&e) => {}
        other => panic!("expected a read timeout, got {other:?}"),
    }
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
}

/// Asserts that the connection was closed: a read gets end-of-stream or an error (a reset),
/// not a timeout. Any bytes still in flight are skipped.
fn assert_closed(stream: &mut TcpStream) {
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if is_timeout(&e) => panic!("the connection was not closed: {e}"),
            Err(_) => return,
        }
    }
}

/// Waits (at most 5 s) until `condition` holds.
fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + IO_TIMEOUT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn forward_echoes_both_ways() {
    let echo = Echo::start();
    let proxy = FaultProxy::start(echo.addr);
    assert_eq!(proxy.mode(), FaultMode::Forward);
    assert_eq!(proxy.upstream(), echo.addr);
    assert!(proxy.addr().ip().is_loopback());

    let mut client = connect(proxy.addr());
    assert_eq!(round_trip(&mut client, b"hello"), b"hello");

    // A larger payload, written by another thread while this one reads, so that neither
    // direction's buffers can fill up and stall the exchange.
    let payload: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut writer = client.try_clone().unwrap();
    let sent = payload.clone();
    let write = thread::spawn(move || writer.write_all(&sent));
    let mut back = vec![0u8; payload.len()];
    client.read_exact(&mut back).expect("read the echo");
    write.join().unwrap().expect("write");
    assert!(back == payload, "the echo differs from what was sent");
    assert_eq!(echo.accepted(), 1);
}

#[test]
fn refuse_then_forward_on_the_same_port() {
    let echo = Echo::start();
    let proxy = FaultProxy::start(echo.addr);
    let addr = proxy.addr();

    // Leave a connection that the proxy closed first (in TIME_WAIT on the proxy's port),
    // which must not keep the port from being bound again.
    let mut client = connect(addr);
    assert_eq!(round_trip(&mut client, b"x"), b"x");
    proxy.drop_connections();
    assert_closed(&mut client);

    proxy.set_mode(FaultMode::Refuse);
    let err = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect_err("connect while refusing");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");

    proxy.set_mode(FaultMode::Forward);
    assert_eq!(proxy.addr(), addr);
    let mut client = connect(addr);
    assert_eq!(round_trip(&mut client, b"again"), b"again");
}

#[test]
fn silent_accepts_but_never_answers() {
    let echo = Echo::start();
    let proxy = FaultProxy::start(echo.addr);
    proxy.set_mode(FaultMode::Silent);

    let mut client = connect(proxy.addr());
    client
        .write_all(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    assert_silent(&mut client, Duration::from_millis(300));
    wait_until("the proxy accepted", || proxy.accepted() == 1);
    assert_eq!(proxy.live(), 1);
    assert_eq!(echo.accepted(), 0, "nothing may reach the upstream");

    // The socket stays open until the proxy goes away.
    drop(proxy);
    assert_closed(&mut client);
}

#[test]
fn black_hole_swallows_live_traffic_and_heals() {
    let echo = Echo::start();
    let proxy = FaultProxy::start(echo.addr);
    let mut client = connect(proxy.addr());
    assert_eq!(round_trip(&mut client, b"before"), b"before");

    proxy.set_mode(FaultMode::BlackHole);
    client.write_all(b"lost").expect("writes still succeed");
    assert_silent(&mut client, Duration::from_millis(300));
    assert_eq!(proxy.live(), 1, "the connection stays open");

    // Back to forwarding: the same connection works again (what was sent meanwhile is lost).
    proxy.set_mode(FaultMode::Forward);
    assert_eq!(round_trip(&mut client, b"after"), b"after");
}

#[test]
fn http_error_answers_the_status_and_closes() {
    let echo = Echo::start();
    let proxy = FaultProxy::start(echo.addr);
    proxy.set_mode(FaultMode::HttpError(503));

    let mut client = connect(proxy.addr());
    client
        .write_all(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\r\n")
        .unwrap();
    let mut response = Vec::new();
    client
        .read_to_end(&mut response)
        .expect("the proxy answers and closes");
    let response = String::from_utf8(response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{response:?}"
    );
    assert!(response.contains("Content-Length: 0\r\n"), "{response:?}");
    assert!(response.ends_with("\r\n\r\n"), "{response:?}");
    assert_eq!(echo.accepted(), 0, "nothing may reach the upstream");
}

#[test]
fn delay_slows_each_chunk_down() {
    let echo = Echo::start();
    let proxy = FaultProxy::start(echo.addr);
    let mut client = connect(proxy.addr());
    assert_eq!(round_trip(&mut client, b"warm-up"), b"warm-up");

    let delay = Duration::from_millis(200);
    proxy.set_delay(delay);
    let started = Instant::now();
    assert_eq!(round_trip(&mut client, b"slow"), b"slow");
    // Each direction is delayed, so at least twice the delay (a lower bound only).
    let elapsed = started.elapsed();
    assert!(
        elapsed >= 2 * delay,
        "a delayed round trip took {elapsed:?}"
    );

    proxy.set_delay(Duration::ZERO);
    assert_eq!(round_trip(&mut client, b"fast"), b"fast");
}

#[test]
fn drop_connections_closes_live_connections_only() {
    let echo = Echo::start();
    let proxy = FaultProxy::start(echo.addr);
    let mut first = connect(proxy.addr());
    let mut second = connect(proxy.addr());
    assert_eq!(round_trip(&mut first, b"1"), b"1");
    assert_eq!(round_trip(&mut second, b"2"), b"2");
    assert_eq!(proxy.live(), 2);

    proxy.drop_connections();
    assert_closed(&mut first);
    assert_closed(&mut second);
    wait_until("no connection is live", || proxy.live() == 0);

    // New connections are unaffected.
    let mut third = connect(proxy.addr());
    assert_eq!(round_trip(&mut third, b"3"), b"3");
}

#[test]
fn counters_follow_connections() {
    let echo = Echo::start();
    let proxy = FaultProxy::start(echo.addr);
    assert_eq!((proxy.accepted(), proxy.live()), (0, 0));

    let mut first = connect(proxy.addr());
    assert_eq!(round_trip(&mut first, b"a"), b"a");
    assert_eq!((proxy.accepted(), proxy.live()), (1, 1));
    let mut second = connect(proxy.addr());
    assert_eq!(round_trip(&mut second, b"b"), b"b");
    assert_eq!((proxy.accepted(), proxy.live()), (2, 2));

    // The client closes: the proxy passes the end-of-stream on, the echo server closes too.
    drop(first);
    wait_until("one connection is live", || proxy.live() == 1);
    drop(second);
    wait_until("no connection is live", || proxy.live() == 0);
    assert_eq!(proxy.accepted(), 2);

    // Connections in the other modes count too.
    proxy.set_mode(FaultMode::Silent);
    let _silent = connect(proxy.addr());
    wait_until("the silent connection is accepted", || {
        proxy.accepted() == 3
    });
    assert_eq!(proxy.live(), 1);
}

#[test]
fn drop_stops_listening_and_closes_everything() {
    let echo = Echo::start();
    let proxy = FaultProxy::start(echo.addr);
    let addr = proxy.addr();
    let mut forwarded = connect(addr);
    assert_eq!(round_trip(&mut forwarded, b"x"), b"x");
    proxy.set_mode(FaultMode::BlackHole);
    let mut black_holed = connect(addr);
    proxy.set_mode(FaultMode::Silent);
    let mut silent = connect(addr);
    wait_until("three connections are live", || proxy.live() == 3);

    // The drop returns within its bound (5 s for the threads); run it on another thread so
    // that a hang fails the test instead of blocking it.
    let (done, dropped) = mpsc::channel();
    thread::spawn(move || {
        drop(proxy);
        let _ = done.send(());
    });
    dropped
        .recv_timeout(Duration::from_secs(10))
        .expect("dropping the proxy hangs");

    assert_closed(&mut forwarded);
    assert_closed(&mut black_holed);
    assert_closed(&mut silent);
    let err = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect_err("connect after the drop");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
}
