//! Transport reach (issue 13): sessions and components reach the router through an HTTP
//! CONNECT proxy (Autobahn's `proxy=`), over WebSocket and RawSocket, with the proxy's
//! credentials from its URL; WebSocket headers come from a provider asked before every
//! attempt (rotating bearer tokens), for `Session::join` and across a component's reconnect.
//!
//! The proxy is a small CONNECT proxy of this file on 127.0.0.1 that records what it is asked
//! and the first bytes each client sends through its tunnel (the WebSocket opening request,
//! with its headers).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wamp_client::transport::{ConnectError, ProxyConfig};
use wamp_client::{
    Component, JoinError, JoinOptions, LifecycleEvent, RetryPolicy, Session, TransportConfig,
    TransportSpec,
};
use wamp_suite::within;

const LIMIT: Duration = Duration::from_secs(30);

/// What the proxy saw of one tunnel.
#[derive(Debug, Clone, Default)]
struct Seen {
    /// The CONNECT request (request line and headers).
    request: String,
    /// The first bytes the client sent through the tunnel.
    first: String,
}

/// A CONNECT proxy on a free port of 127.0.0.1.
struct Proxy {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Cuts every open tunnel when bumped.
    generation: Arc<tokio::sync::watch::Sender<u64>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Starts a proxy; with `credentials` (`user:password`) it asks for them (407).
    async fn start(credentials: Option<&str>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(generation);
        let expected = credentials.map(|c| {
            use base64::Engine as _;
            format!(
                "proxy-authorization: basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(c)
                    .to_lowercase()
            )
        });
        let task = tokio::spawn({
            let seen = seen.clone();
            let generation = generation.clone();
            async move {
                // Bounded: the test ends the proxy by dropping it.
                while let Ok((client, _)) = listener.accept().await {
                    let seen = seen.clone();
                    let expected = expected.clone();
                    let cut = generation.subscribe();
                    tokio::spawn(async move {
                        let _ = serve(client, seen, expected, cut).await;
                    });
                }
            }
        });
        Proxy {
            port,
            seen,
            generation,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Cuts every open tunnel.
    fn cut(&self) {
        self.generation.send_modify(|g| *g += 1);
    }
}

/// Serves one client: reads its CONNECT, checks the credentials, opens the tunnel and pipes
/// both ways until either side closes or the proxy cuts it.
async fn serve(
    mut client: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    expected: Option<String>,
    mut cut: tokio::sync::watch::Receiver<u64>,
) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") && request.len() < 8192 {
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        request.push(byte[0]);
    }
    let request = String::from_utf8_lossy(&request).into_owned();
    let index = {
        let mut seen = seen.lock().unwrap();
        seen.push(Seen {
            request: request.clone(),
            first: String::new(),
        });
        seen.len() - 1
    };
    if let Some(expected) = expected {
        if !request.to_lowercase().contains(&expected) {
            client
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
                .await?;
            return Ok(());
        }
    }
    let target = request
        .strip_prefix("CONNECT ")
        .and_then(|r| r.split(' ').next())
        .unwrap_or("")
        .to_owned();
    let Ok(mut server) = TcpStream::connect(&target).await else {
        client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    // The first bytes through the tunnel, for the test to read.
    let mut first = vec![0u8; 4096];
    let n = tokio::time::timeout(LIMIT, client.read(&mut first))
        .await
        .unwrap_or(Ok(0))?;
    seen.lock().unwrap()[index].first = String::from_utf8_lossy(&first[..n]).into_owned();
    server.write_all(&first[..n]).await?;
    tokio::select! {
        r = tokio::io::copy_bidirectional(&mut client, &mut server) => r.map(|_| ()),
        _ = cut.changed() => Ok(()),
    }
}

fn through(url: &str, proxy: &Proxy) -> TransportConfig {
    TransportConfig::new(url)
        .unwrap()
        .proxy(ProxyConfig::new(&proxy.url()).unwrap())
}

/// The `host:port` of a router URL.
fn authority(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap();
    rest.split('/').next().unwrap().to_owned()
}

async fn join(config: &TransportConfig) -> Result<Session, JoinError> {
    within(
        LIMIT,
        "join",
        Session::join(config, JoinOptions::new("realm1")),
    )
    .await
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn sessions_join_through_an_http_connect_proxy_over_websocket_and_rawsocket(router) {
        let proxy = Proxy::start(None).await;
        for url in [router.ws_url(), router.rs_url()] {
            let session = join(&through(&url, &proxy))
                .await
                .unwrap_or_else(|e| panic!("{url} through the proxy: {e}"));
            let count: u64 = session.call("wamp.session.count", ()).await.unwrap();
            assert!(count >= 1);
            session.leave().await.unwrap();
        }
        let seen = proxy.seen();
        assert_eq!(seen.len(), 2, "{seen:?}");
        let ws = authority(&router.ws_url());
        assert!(seen[0].request.starts_with(&format!("CONNECT {ws} HTTP/1.1\r\n")), "{seen:?}");
        assert!(seen[0].first.starts_with("GET "), "the websocket request goes through: {seen:?}");
        let rs = authority(&router.rs_url());
        assert!(seen[1].request.starts_with(&format!("CONNECT {rs} ")), "{seen:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_proxy_that_asks_for_credentials_takes_those_of_its_url_and_refuses_others(router) {
        let proxy = Proxy::start(Some("joe:s3cret")).await;
        let url = router.ws_url();
        let with = |userinfo: &str| {
            let proxy_url = proxy.url().replace("http://", &format!("http://{userinfo}@"));
            TransportConfig::new(&url)
                .unwrap()
                .proxy(ProxyConfig::new(&proxy_url).unwrap())
        };
        let session = join(&with("joe:s3cret")).await.expect("the right credentials");
        session.leave().await.unwrap();
        for config in [with("joe:wrong"), through(&url, &proxy)] {
            match join(&config).await {
                Err(JoinError::Connect(ConnectError::Proxy { status, reason })) => {
                    assert_eq!(status, Some(407), "{reason}");
                    assert!(!reason.contains("wrong"), "{reason}");
                }
                other => panic!("expected a proxy refusal, got {:?}", other.map(|s| s.id())),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_headers_provider_is_asked_before_every_attempt_of_sessions_and_components(router) {
        let proxy = Proxy::start(None).await;
        let asked = Arc::new(AtomicUsize::new(0));
        let config = through(&router.ws_url(), &proxy).headers_provider({
            let asked = asked.clone();
            move || {
                let n = asked.fetch_add(1, Ordering::SeqCst) + 1;
                async move { Ok(vec![("Authorization".to_owned(), format!("Bearer token-{n}"))]) }
            }
        });
        for _ in 0..2 {
            join(&config).await.expect("join").leave().await.unwrap();
        }
        // A component: the proxy cuts its connection, the next attempt asks again.
        let comp = Component::builder()
            .transport(TransportSpec::new(config.clone()).retry(
                RetryPolicy::default()
                    .initial_retry_delay(Duration::from_millis(50))
                    .max_retry_delay(Duration::from_millis(200)),
            ))
            .realm("realm1")
            .build()
            .unwrap();
        let handle = comp.start();
        let mut events = handle.events();
        within(LIMIT, "ready", handle.ready()).await.expect("ready");
        proxy.cut();
        within(LIMIT, "the rejoin", async {
            let mut joins = 0;
            while let Some(e) = events.next().await {
                if matches!(e, LifecycleEvent::Join { .. }) {
                    joins += 1;
                    if joins == 2 {
                        return;
                    }
                }
            }
        })
        .await;
        within(LIMIT, "stop", handle.stop()).await.unwrap();
        let tokens: Vec<String> = proxy
            .seen()
            .iter()
            .filter_map(|s| {
                s.first
                    .lines()
                    .find(|l| l.starts_with("Authorization: "))
                    .map(str::to_owned)
            })
            .collect();
        assert_eq!(
            tokens,
            (1..=4)
                .map(|n| format!("Authorization: Bearer token-{n}"))
                .collect::<Vec<_>>()
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failing_headers_provider_fails_the_attempt_without_connecting(router) {
        let proxy = Proxy::start(None).await;
        let config = through(&router.ws_url(), &proxy)
            .headers_provider(|| async { Err("the token service is down".to_owned()) });
        match join(&config).await {
            Err(JoinError::Connect(e @ ConnectError::Headers(_))) => {
                assert!(e.is_retryable());
                assert!(e.to_string().contains("the token service is down"), "{e}");
            }
            other => panic!("expected a headers failure, got {:?}", other.map(|s| s.id())),
        }
        assert!(proxy.seen().is_empty());
    }
}
