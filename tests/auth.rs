//! Authentication against a real Crossbar.io (issue 5): every method joins with the right
//! credentials; wrong credentials end in one attempt with an error naming the method and the
//! router's reason; a router that does not know the SCRAM password is refused; a credential
//! provider serves a rotating ticket across a router restart and is asked again after an
//! authentication failure; two methods offered where the router accepts only the second.
//!
//! The router's principals are in `tests/support/auth.rs` (`wamp_suite::auth`). Every test
//! runs against Crossbar.io and against our router (`crossbar::NAME`, `ours::NAME`), with the
//! same expected outcomes; the README's auth examples run against the README's Crossbar.io
//! config and against our router configured from the same JSON.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wamp_client::{
    AuthFuture, AuthMethod, Authentication, Authenticator, Component, ComponentError,
    CryptosignKey, Failure, JoinError, JoinOptions, LifecycleEvent, RetryPolicy, Session,
    SessionDetails, TransportConfig, TransportSpec, WampError,
};
use wamp_core::Dict;
use wamp_suite::auth::*;
use wamp_suite::{example_binary, within, AuthTransport, FaultProxy, Peer};

const LIMIT: Duration = Duration::from_secs(60);

/// Retries quickly, so that a wrongly retried refusal would show up as extra connections.
fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .initial_retry_delay(Duration::from_millis(50))
        .max_retry_delay(Duration::from_millis(200))
        .max_retries(5)
}

fn spec(url: &str) -> TransportSpec {
    TransportSpec::new(TransportConfig::new(url).unwrap()).retry(fast())
}

fn component(url: &str, auth: Authentication) -> Component {
    Component::builder()
        .name("auth-test")
        .transport(spec(url))
        .realm("realm1")
        .authentication(auth)
        .build()
        .unwrap()
}

/// Starts `comp`, waits until it is ready, returns its session's details and stops it.
async fn join_details(comp: &Component) -> SessionDetails {
    let handle = comp.start();
    let session = within(LIMIT, "ready", handle.ready())
        .await
        .unwrap_or_else(|e| panic!("the component should join: {e}"));
    let details = session.details().clone();
    within(LIMIT, "stop", handle.stop()).await.expect("stop");
    details
}

/// Runs `comp` until it gives up, returns its error.
async fn run_to_failure(comp: &Component) -> ComponentError {
    let handle = comp.start();
    match within(LIMIT, "the component's end", handle.wait()).await {
        Ok(()) => panic!("the component should fail"),
        Err(e) => e,
    }
}

/// The one transport's outcome of a failed component: (fatal, attempts, last failure).
fn outcome(e: &ComponentError) -> (bool, u32, Arc<Failure>) {
    match e {
        ComponentError::Exhausted { transports, .. } => {
            assert_eq!(transports.len(), 1, "{e}");
            let t = &transports[0];
            let failure = t.last_failure.clone().unwrap_or_else(|| panic!("{e}"));
            (t.fatal, t.attempts as u32, failure)
        }
        other => panic!("expected Exhausted, got {other}"),
    }
}

/// The method and reason of an authentication failure.
fn auth_failure(failure: &Failure) -> (String, String, Option<String>) {
    match failure {
        Failure::Join(JoinError::Authentication {
            method,
            reason,
            message,
        }) => (method.clone(), reason.clone(), message.clone()),
        other => panic!("expected an authentication failure, got {other:?}"),
    }
}

fn assert_joined(details: &SessionDetails, authid: &str, authrole: &str, authmethod: &str) {
    assert_eq!(details.authid.as_deref(), Some(authid), "{details:?}");
    assert_eq!(details.authrole.as_deref(), Some(authrole), "{details:?}");
    assert_eq!(
        details.authmethod.as_deref(),
        Some(authmethod),
        "{details:?}"
    );
}

/// Every method with its right credentials, on its own transport.
fn right_credentials() -> Vec<(&'static str, AuthTransport, &'static str, AuthMethod)> {
    vec![
        (
            "ticket",
            AuthTransport::Ticket,
            TICKET_AUTHID,
            AuthMethod::ticket(TICKET_SECRET),
        ),
        (
            "wampcra",
            AuthTransport::Wampcra,
            CRA_AUTHID,
            AuthMethod::wampcra(CRA_SECRET),
        ),
        (
            "wampcra salted",
            AuthTransport::Wampcra,
            CRA_SALTED_AUTHID,
            AuthMethod::wampcra(CRA_SALTED_SECRET),
        ),
        (
            "cryptosign hex seed",
            AuthTransport::Cryptosign,
            CRYPTOSIGN_AUTHID,
            AuthMethod::cryptosign(CryptosignKey::hex(CRYPTOSIGN_SEED_HEX)),
        ),
        (
            "cryptosign raw seed",
            AuthTransport::Cryptosign,
            CRYPTOSIGN_AUTHID,
            AuthMethod::cryptosign(CryptosignKey::seed(hex(CRYPTOSIGN_SEED_HEX))),
        ),
        (
            "scram argon2id",
            AuthTransport::Scram,
            SCRAM_AUTHID,
            AuthMethod::scram(SCRAM_PASSWORD),
        ),
        (
            "scram pbkdf2",
            AuthTransport::ScramPbkdf2,
            SCRAM_AUTHID,
            AuthMethod::scram(SCRAM_PASSWORD),
        ),
    ]
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A token issuer for the provider tests: hands out the ticket it holds and counts requests.
#[derive(Clone, Default)]
struct Issuer {
    ticket: Arc<Mutex<String>>,
    asked: Arc<AtomicUsize>,
}

impl Issuer {
    fn new(ticket: &str) -> Issuer {
        let issuer = Issuer::default();
        issuer.set(ticket);
        issuer
    }

    fn set(&self, ticket: &str) {
        *self.ticket.lock().unwrap() = ticket.to_owned();
    }

    fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }

    async fn credentials(&self) -> Result<Authentication, String> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        let ticket = self.ticket.lock().unwrap().clone();
        Ok(Authentication::new()
            .authid(TICKET_ROTATING_AUTHID)
            .method(AuthMethod::ticket(ticket)))
    }
}

fn provided(url: &str, issuer: &Issuer) -> Component {
    let issuer = issuer.clone();
    // Retries without a count, to outlast a router restart however long it takes on a loaded
    // machine (the test's own time bound applies).
    let retry = fast().max_retries(-1);
    Component::builder()
        .name("rotating")
        .transport(TransportSpec::new(TransportConfig::new(url).unwrap()).retry(retry))
        .realm("realm1")
        .credentials(move || {
            let issuer = issuer.clone();
            async move { issuer.credentials().await }
        })
        .build()
        .unwrap()
}

#[test]
fn bad_keys_are_reported_at_build_naming_the_setting() {
    let e = Component::builder()
        .transport("ws://127.0.0.1:1/ws")
        .realm("realm1")
        .authentication(
            Authentication::new().method(AuthMethod::cryptosign(CryptosignKey::hex("zz"))),
        )
        .build()
        .expect_err("a bad seed fails the build");
    let text = e.to_string();
    assert!(
        text.contains("authentication") && text.contains("cryptosign hex seed"),
        "{text}"
    );
    assert!(!text.contains("zz"), "{text}");
}

/// The four examples as the README runs them, against the README's Crossbar.io config
/// (`examples/crossbar/config.json`, on a free port instead of 8080): the right secret prints
/// who joined, a wrong one prints the error and exits non-zero; no secret is logged even with
/// `RUST_LOG=trace`.
#[test]
fn the_auth_examples_join_the_readme_router_and_report_refusals() {
    let mut config = readme_config();
    let port = wamp_suite::free_port();
    let endpoint = &mut config["workers"][0]["transports"][0]["endpoint"];
    assert_eq!(
        endpoint["port"], 8080,
        "the README's config listens on 8080"
    );
    endpoint["port"] = port.into();
    let node = wamp_suite::CrossbarNode::start(&config, port);
    let url = format!("ws://127.0.0.1:{port}/ws");
    run_the_auth_examples(&url, &|| node.log_tail(30));
}

/// The README's Crossbar.io config, `examples/crossbar/config.json`.
fn readme_config() -> serde_json::Value {
    let path = wamp_suite::repo_dir().join("examples/crossbar/config.json");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The same as [`the_auth_examples_join_the_readme_router_and_report_refusals`] with our
/// router started from the README's Crossbar.io config, read by `wamp_router::crossbar` (on
/// a free port instead of 8080), which it runs without a warning but the permission's `cache`.
#[test]
fn the_auth_examples_join_our_router_started_from_the_readme_config() {
    let mut config = readme_config();
    config["workers"][0]["transports"][0]["endpoint"]["port"] = 0.into();
    let base = wamp_suite::repo_dir().join("examples/crossbar");
    let (config, warnings) =
        wamp_router::crossbar::read_crossbar_config(&config.to_string(), &base).unwrap();
    assert!(
        warnings.iter().all(|w| w.path.ends_with(".cache")),
        "{warnings:?}"
    );
    let node = wamp_suite::OursNode::start(wamp_router::Router::builder().config(config));
    run_the_auth_examples(&node.urls()[0], &String::new);
}

/// Runs the four auth examples against `url` with the right and wrong secrets; `router_log` gives
/// the router's log for failure messages.
fn run_the_auth_examples(url: &str, router_log: &dyn Fn() -> String) {
    let cases = [
        ("auth_ticket", TICKET_AUTHID, TICKET_SECRET, "ticket"),
        ("auth_wampcra", CRA_AUTHID, CRA_SECRET, "wampcra"),
        (
            "auth_wampcra",
            CRA_SALTED_AUTHID,
            CRA_SALTED_SECRET,
            "wampcra",
        ),
        (
            "auth_cryptosign",
            CRYPTOSIGN_AUTHID,
            CRYPTOSIGN_SEED_HEX,
            "cryptosign",
        ),
        ("auth_scram", SCRAM_AUTHID, SCRAM_PASSWORD, "scram"),
    ];
    let wrong_seed = "22".repeat(32);
    for (example, authid, secret, method) in cases {
        let run = |secret: &str| {
            let mut cmd = std::process::Command::new(example_binary(example));
            cmd.env("WAMP_URL", url)
                .env("WAMP_REALM", "realm1")
                .env("WAMP_AUTHID", authid)
                .env("WAMP_SECRET", secret)
                // Everything logged, to check that no secret is.
                .env("RUST_LOG", "trace");
            Peer::command(example, cmd)
        };
        let mut ok = run(secret);
        let lines = ok.finish(LIMIT);
        let log = ok.stderr();
        assert_eq!(
            lines,
            [format!(
                "joined authid={authid} authrole={AUTHENTICATED_ROLE} authmethod={method}"
            )],
            "{example}: {log}\nrouter: {}",
            router_log()
        );
        assert!(log.contains("joined"), "{example}: the trace log: {log}");
        assert!(!log.contains(secret), "{example} logged the secret: {log}");

        let wrong = if method == "cryptosign" {
            wrong_seed.as_str()
        } else {
            "wrong"
        };
        let mut refused = run(wrong);
        let status = refused.wait(LIMIT);
        assert!(!status.success(), "{example} with a wrong secret: {status}");
        let stderr = refused.stderr();
        assert!(
            stderr.contains(&format!("{method} authentication failed: {DENIED}")),
            "{example}: {stderr}"
        );
        assert!(
            !stderr.contains(wrong),
            "{example} logged the secret: {stderr}"
        );
    }
}

/// A directory of the test's own, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("wamp-auth-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn join(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn every_method_joins_with_the_right_credentials_and_the_session_shows_who_joined(router) {
        for (case, transport, authid, method) in right_credentials() {
            let name = method.name();
            let comp = component(
                &router.auth_url(transport),
                Authentication::new().authid(authid).method(method),
            );
            let details = join_details(&comp).await;
            eprintln!("{case}: {details:?}");
            assert_joined(&details, authid, AUTHENTICATED_ROLE, name);
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_cryptosign_key_file_in_hex_or_openssh_format_joins(router) {
        let dir = TempDir::new("cryptosign-keys");
        let hex_file = dir.join("client.seed");
        std::fs::write(&hex_file, format!("{CRYPTOSIGN_SEED_HEX}\n")).unwrap();
        let openssh_file = dir.join("client_ed25519");
        std::fs::write(&openssh_file, CRYPTOSIGN_OPENSSH_KEY).unwrap();
        for file in [hex_file, openssh_file] {
            let comp = component(
                &router.auth_url(AuthTransport::Cryptosign),
                Authentication::new()
                    .authid(CRYPTOSIGN_AUTHID)
                    .method(AuthMethod::cryptosign(CryptosignKey::file(&file))),
            );
            let details = join_details(&comp).await;
            assert_joined(
                &details,
                CRYPTOSIGN_AUTHID,
                AUTHENTICATED_ROLE,
                "cryptosign",
            );
        }
    }

    /// Without an authid, Crossbar.io finds the cryptosign principal from the public key.
    #[tokio::test(flavor = "multi_thread")]
    async fn cryptosign_without_an_authid_is_found_by_its_public_key(router) {
        let comp = component(
            &router.auth_url(AuthTransport::Cryptosign),
            Authentication::new().method(AuthMethod::cryptosign(CryptosignKey::hex(
                CRYPTOSIGN_SEED_HEX,
            ))),
        );
        let details = join_details(&comp).await;
        assert_joined(
            &details,
            CRYPTOSIGN_AUTHID,
            AUTHENTICATED_ROLE,
            "cryptosign",
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn wrong_credentials_end_after_one_attempt_with_the_method_and_the_routers_reason(router) {
        let wrong_seed = "11".repeat(32);
        let cases = vec![
            (
                AuthTransport::Ticket,
                TICKET_AUTHID,
                AuthMethod::ticket("wrong-ticket"),
            ),
            (
                AuthTransport::Ticket,
                "nobody",
                AuthMethod::ticket(TICKET_SECRET),
            ),
            (
                AuthTransport::Wampcra,
                CRA_AUTHID,
                AuthMethod::wampcra("wrong-secret"),
            ),
            (
                AuthTransport::Wampcra,
                CRA_SALTED_AUTHID,
                AuthMethod::wampcra("wrong-secret"),
            ),
            (
                AuthTransport::Cryptosign,
                CRYPTOSIGN_AUTHID,
                AuthMethod::cryptosign(CryptosignKey::hex(wrong_seed)),
            ),
            (
                AuthTransport::Scram,
                SCRAM_AUTHID,
                AuthMethod::scram("wrong-password"),
            ),
            (
                AuthTransport::ScramPbkdf2,
                SCRAM_AUTHID,
                AuthMethod::scram("wrong-password"),
            ),
        ];
        for (transport, authid, method) in cases {
            let name = method.name();
            let proxy = FaultProxy::start(router.auth_addr(transport));
            let comp = component(
                &format!("ws://{}/ws", proxy.addr()),
                Authentication::new().authid(authid).method(method),
            );
            let e = run_to_failure(&comp).await;
            let text = e.to_string();
            eprintln!("{}: {text}", transport.name());
            let (fatal, attempts, failure) = outcome(&e);
            let (method, reason, _) = auth_failure(&failure);
            assert_eq!(method, name, "{text}");
            assert_eq!(reason, DENIED, "{text}");
            assert!(fatal && attempts == 1, "{text}");
            assert!(
                text.contains(&format!("{name} authentication failed: {DENIED}")),
                "{text}"
            );
            // The component has ended: no retry can follow (that none is scheduled is checked
            // on paused time in tests/component_timing.rs).
            assert_eq!(
                proxy.accepted(),
                1,
                "{}: one connection only",
                transport.name()
            );
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn is_fatal_can_make_an_authentication_failure_retryable(router) {
        let proxy = FaultProxy::start(router.auth_addr(AuthTransport::Ticket));
        let comp = Component::builder()
            .transport(
                TransportSpec::new(TransportConfig::new(&format!("ws://{}/ws", proxy.addr())).unwrap())
                    .retry(fast().max_retries(2)),
            )
            .realm("realm1")
            .authentication(
                Authentication::new()
                    .authid(TICKET_AUTHID)
                    .method(AuthMethod::ticket("wrong")),
            )
            .is_fatal(|f| f.is_authentication().then_some(false))
            .build()
            .unwrap();
        let e = run_to_failure(&comp).await;
        let (fatal, attempts, failure) = outcome(&e);
        auth_failure(&failure);
        assert!(!fatal && attempts == 3, "{e}");
        assert_eq!(proxy.accepted(), 3);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn offering_only_methods_the_transport_lacks_is_refused_naming_them(router) {
        let proxy = FaultProxy::start(router.auth_addr(AuthTransport::Ticket));
        let comp = component(
            &format!("ws://{}/ws", proxy.addr()),
            Authentication::new()
                .authid(CRA_AUTHID)
                .method(AuthMethod::wampcra(CRA_SECRET))
                .method(AuthMethod::scram("pw")),
        );
        let e = run_to_failure(&comp).await;
        let (fatal, attempts, failure) = outcome(&e);
        let (method, reason, _) = auth_failure(&failure);
        assert_eq!(method, "wampcra, scram", "{e}");
        assert_eq!(reason, NO_AUTH_METHOD, "{e}");
        assert!(fatal && attempts == 1, "{e}");
        assert_eq!(proxy.accepted(), 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn two_methods_offered_where_the_router_accepts_only_the_second(router) {
        // The wampcra transport does not accept ticket: it challenges for wampcra.
        let comp = component(
            &router.auth_url(AuthTransport::Wampcra),
            Authentication::new()
                .authid(CRA_AUTHID)
                .method(AuthMethod::ticket("not-used"))
                .method(AuthMethod::wampcra(CRA_SECRET)),
        );
        let details = join_details(&comp).await;
        assert_joined(&details, CRA_AUTHID, AUTHENTICATED_ROLE, "wampcra");

        // Anonymous first, ticket second, where anonymous is not accepted.
        let comp = component(
            &router.auth_url(AuthTransport::Ticket),
            Authentication::new()
                .authid(TICKET_AUTHID)
                .method(AuthMethod::Anonymous)
                .method(AuthMethod::ticket(TICKET_SECRET)),
        );
        let details = join_details(&comp).await;
        assert_joined(&details, TICKET_AUTHID, AUTHENTICATED_ROLE, "ticket");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_router_that_does_not_know_the_scram_password_is_refused(router) {
        for transport in [AuthTransport::Scram, AuthTransport::ScramPbkdf2] {
            let proxy = FaultProxy::start(router.auth_addr(transport));
            let comp = component(
                &format!("ws://{}/ws", proxy.addr()),
                Authentication::new()
                    .authid(SCRAM_IMPOSTOR_AUTHID)
                    .method(AuthMethod::scram(SCRAM_PASSWORD)),
            );
            let joined = Arc::new(AtomicUsize::new(0));
            let handle = comp.start();
            let mut events = handle.events();
            let e = within(LIMIT, "the component's end", handle.wait())
                .await
                .expect_err("the router's signature is wrong: the component must fail");
            while let Some(ev) = events.next().await {
                if matches!(ev, LifecycleEvent::Join { .. }) {
                    joined.fetch_add(1, Ordering::SeqCst);
                }
            }
            let (fatal, attempts, failure) = outcome(&e);
            let (method, _, message) = auth_failure(&failure);
            assert_eq!(method, "scram", "{e}");
            let message = message.unwrap_or_default();
            assert!(message.contains("signature"), "{e}");
            assert!(fatal && attempts == 1, "{e}");
            assert_eq!(joined.load(Ordering::SeqCst), 0, "no join listener ran");
            assert_eq!(proxy.accepted(), 1);
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_rotating_ticket_from_the_provider_works_across_a_router_restart(router) {
        let router = router.kind().start();
        router.set_valid_tickets(&["ticket-1"]);
        let issuer = Issuer::new("ticket-1");
        let comp = provided(&router.auth_url(AuthTransport::TicketRotating), &issuer);
        let handle = comp.start();
        let mut events = handle.events();
        let first = within(LIMIT, "ready", handle.ready()).await.expect("joins");
        assert_joined(
            first.details(),
            TICKET_ROTATING_AUTHID,
            AUTHENTICATED_ROLE,
            "ticket",
        );
        assert_eq!(issuer.asked(), 1);

        // The issuer rotates: the old ticket is no longer valid anywhere.
        router.set_valid_tickets(&["ticket-2"]);
        issuer.set("ticket-2");
        router.restart();

        let seen = Mutex::new(Vec::new());
        // The event stream keeps the latest events only (the retries during a slow restart can
        // push the first `ready` out): wait for a `ready` of another session.
        let rejoined = tokio::time::timeout(LIMIT, async {
            while let Some(ev) = events.next().await {
                seen.lock().unwrap().push(format!("{ev:?}"));
                if let LifecycleEvent::Ready { session, .. } = ev {
                    if session.id() != first.id() {
                        return;
                    }
                }
            }
            panic!("the component ended: {:?}", handle.wait().await);
        })
        .await;
        if rejoined.is_err() {
            let seen = seen.lock().unwrap();
            panic!(
                "no rejoin within {LIMIT:?} after the restart; events: {}\nrouter log: {}",
                seen.join("\n"),
                router.log_tail(40)
            );
        }
        let second = handle.session().expect("joined again");
        assert_ne!(first.id(), second.id());
        assert_joined(
            second.details(),
            TICKET_ROTATING_AUTHID,
            AUTHENTICATED_ROLE,
            "ticket",
        );
        assert!(issuer.asked() >= 2, "asked {} times", issuer.asked());
        within(LIMIT, "stop", handle.stop()).await.expect("stop");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn after_an_authentication_failure_the_provider_is_asked_once_more(router) {
        let router = router.kind().start();
        router.set_valid_tickets(&["fresh"]);
        let proxy = FaultProxy::start(router.auth_addr(AuthTransport::TicketRotating));
        let url = format!("ws://{}/ws", proxy.addr());

        // The first ticket handed out is stale; the one asked for after the refusal is fresh.
        let issuer = Issuer::new("stale");
        let stale_then_fresh = {
            let issuer = issuer.clone();
            Component::builder()
                .transport(spec(&url))
                .realm("realm1")
                .credentials(move || {
                    let issuer = issuer.clone();
                    async move {
                        let auth = issuer.credentials().await;
                        issuer.set("fresh");
                        auth
                    }
                })
                .build()
                .unwrap()
        };
        let details = join_details(&stale_then_fresh).await;
        assert_joined(
            &details,
            TICKET_ROTATING_AUTHID,
            AUTHENTICATED_ROLE,
            "ticket",
        );
        assert_eq!(issuer.asked(), 2);
        assert_eq!(proxy.accepted(), 2);

        // A provider that keeps handing out a refused ticket: one fresh retry, then fatal.
        let before = proxy.accepted();
        let issuer = Issuer::new("always-stale");
        let e = run_to_failure(&provided(&url, &issuer)).await;
        let (fatal, _, failure) = outcome(&e);
        let (method, reason, _) = auth_failure(&failure);
        assert_eq!(
            (method.as_str(), reason.as_str()),
            ("ticket", DENIED),
            "{e}"
        );
        assert!(fatal, "{e}");
        assert_eq!(issuer.asked(), 2);
        // The component has ended: two connections, and no more can follow (checked on paused
        // time in tests/component_timing.rs).
        assert_eq!(proxy.accepted() - before, 2);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failing_provider_fails_the_attempt_and_is_retried(router) {
        let asked = Arc::new(AtomicUsize::new(0));
        let comp = {
            let asked = asked.clone();
            Component::builder()
                .transport(spec(&router.auth_url(AuthTransport::Ticket)))
                .realm("realm1")
                .credentials(move || {
                    let n = asked.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n < 2 {
                            Err("the token issuer is down".to_owned())
                        } else {
                            Ok(Authentication::new()
                                .authid(TICKET_AUTHID)
                                .method(AuthMethod::ticket(TICKET_SECRET)))
                        }
                    }
                })
                .build()
                .unwrap()
        };
        let details = join_details(&comp).await;
        assert_joined(&details, TICKET_AUTHID, AUTHENTICATED_ROLE, "ticket");
        assert_eq!(asked.load(Ordering::SeqCst), 3);

        // A provider handing out a bad key: the error names the setting.
        let comp = Component::builder()
            .transport(spec(&router.auth_url(AuthTransport::Cryptosign)))
            .realm("realm1")
            .credentials(|| async {
                Ok::<_, String>(
                    Authentication::new().method(AuthMethod::cryptosign(CryptosignKey::hex("abc"))),
                )
            })
            .build()
            .unwrap();
        let e = run_to_failure(&comp).await;
        let (_, attempts, failure) = outcome(&e);
        assert!(matches!(&*failure, Failure::Credentials(_)), "{e}");
        assert!(e.to_string().contains("cryptosign hex seed"), "{e}");
        assert_eq!(attempts, 6, "{e}");
    }

    /// Autobahn|Python's own authenticators (`tests/peers/auth_join.py`) and ours get the same
    /// outcome from Crossbar.io for every method, with right and wrong credentials: the same
    /// authid, authrole and authmethod, or the same ABORT reason.
    #[tokio::test(flavor = "multi_thread")]
    async fn every_method_has_the_same_outcome_as_with_autobahn_python(router) {
        // (transport, authid, method name, right secret); SCRAM pbkdf2 is left out: Autobahn's
        // client cannot do it (see auth_join.py).
        let cases = [
            (
                AuthTransport::Ticket,
                TICKET_AUTHID,
                "ticket",
                TICKET_SECRET,
            ),
            (AuthTransport::Wampcra, CRA_AUTHID, "wampcra", CRA_SECRET),
            (
                AuthTransport::Wampcra,
                CRA_SALTED_AUTHID,
                "wampcra",
                CRA_SALTED_SECRET,
            ),
            (
                AuthTransport::Cryptosign,
                CRYPTOSIGN_AUTHID,
                "cryptosign",
                CRYPTOSIGN_SEED_HEX,
            ),
            (AuthTransport::Scram, SCRAM_AUTHID, "scram", SCRAM_PASSWORD),
        ];
        let wrong_seed = "33".repeat(32);
        let mut runs = Vec::new();
        for (transport, authid, method, right) in cases {
            let wrong = if method == "cryptosign" {
                wrong_seed.clone()
            } else {
                "wrong".to_owned()
            };
            for secret in [right.to_owned(), wrong] {
                let mut args = router.auth_peer_args(transport, "json");
                args.extend(["--authmethod", method, "--authid", authid, "--secret"].map(String::from));
                args.push(secret.clone());
                let peer = Peer::spawn("auth_join.py", args);
                runs.push((transport, authid, method, secret, peer));
            }
        }
        for (transport, authid, method, secret, mut peer) in runs {
            let python = match peer.expect_line("", LIMIT) {
                line if line.starts_with("JOINED ") => {
                    let v: serde_json::Value = serde_json::from_str(&line[7..]).unwrap();
                    Ok(format!(
                        "{} {} {}",
                        v["authid"].as_str().unwrap_or("-"),
                        v["authrole"].as_str().unwrap_or("-"),
                        v["authmethod"].as_str().unwrap_or("-")
                    ))
                }
                line if line.starts_with("FAILED ") => {
                    let v: serde_json::Value = serde_json::from_str(&line[7..]).unwrap();
                    Err(v["error"].as_str().unwrap_or("-").to_owned())
                }
                other => panic!("auth_join.py printed {other:?}"),
            };
            let auth_method = match method {
                "ticket" => AuthMethod::ticket(secret),
                "wampcra" => AuthMethod::wampcra(secret),
                "cryptosign" => AuthMethod::cryptosign(CryptosignKey::hex(secret)),
                _ => AuthMethod::scram(secret),
            };
            let comp = component(
                &router.auth_url(transport),
                Authentication::new().authid(authid).method(auth_method),
            );
            let handle = comp.start();
            let ours = match within(LIMIT, "ready or failure", handle.ready()).await {
                Ok(session) => {
                    let d = session.details().clone();
                    within(LIMIT, "stop", handle.stop()).await.expect("stop");
                    Ok(format!(
                        "{} {} {}",
                        d.authid.unwrap_or_default(),
                        d.authrole.unwrap_or_default(),
                        d.authmethod.unwrap_or_default()
                    ))
                }
                Err(e) => Err(auth_failure(&outcome(&e).2).1),
            };
            assert_eq!(ours, python, "{} {authid} {method}", transport.name());
        }
    }

    /// The router assigns a role its realm does not have: ABORT `wamp.error.no_such_role`, one
    /// attempt, named as an authentication failure.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_role_the_realm_lacks_is_an_authentication_failure(router) {
        let router = router.kind().start();
        let ticket = "ticket-for-a-missing-role#role=no-such-role";
        router.set_valid_tickets(&[ticket]);
        let proxy = FaultProxy::start(router.auth_addr(AuthTransport::TicketRotating));
        let comp = component(
            &format!("ws://{}/ws", proxy.addr()),
            Authentication::new()
                .authid(TICKET_ROTATING_AUTHID)
                .method(AuthMethod::ticket(ticket)),
        );
        let e = run_to_failure(&comp).await;
        let (fatal, attempts, failure) = outcome(&e);
        let (method, reason, _) = auth_failure(&failure);
        assert_eq!(method, "ticket", "{e}");
        assert_eq!(reason, "wamp.error.no_such_role", "{e}");
        assert!(fatal && attempts == 1, "{e}");
        assert_eq!(proxy.accepted(), 1);
    }

    /// A custom method whose authenticator awaits its answer (a signer elsewhere): the
    /// component and a session joined with `Session::join` both wait for it.
    #[tokio::test(flavor = "multi_thread")]
    async fn an_authenticator_that_awaits_a_remote_signer_joins(router) {
        let signer = RemoteSigner::start();
        let method = || AuthMethod::custom("wampcra", Arc::new(signer.clone()));
        let url = router.auth_url(AuthTransport::Wampcra);
        let comp = component(&url, Authentication::new().authid(CRA_AUTHID).method(method()));
        let details = join_details(&comp).await;
        assert_joined(&details, CRA_AUTHID, AUTHENTICATED_ROLE, "wampcra");

        let session = within(
            LIMIT,
            "join",
            Session::join(
                &TransportConfig::new(&url).unwrap(),
                JoinOptions::new("realm1")
                    .authentication(Authentication::new().authid(CRA_AUTHID).method(method())),
            ),
        )
        .await
        .expect("the session should join");
        assert_joined(session.details(), CRA_AUTHID, AUTHENTICATED_ROLE, "wampcra");
        assert_eq!(signer.signed.load(Ordering::SeqCst), 2);
        let _ = session.leave().await;
    }

    /// An authenticator that never answers: the join ends at its timeout, not later.
    #[tokio::test(flavor = "multi_thread")]
    async fn an_authenticator_that_never_answers_ends_the_join_at_its_timeout(router) {
        let url = router.auth_url(AuthTransport::Ticket);
        let started = std::time::Instant::now();
        let joined = within(
            LIMIT,
            "join",
            Session::join(
                &TransportConfig::new(&url).unwrap(),
                JoinOptions::new("realm1")
                    .timeout(Duration::from_millis(500))
                    .authentication(
                        Authentication::new()
                            .authid(TICKET_AUTHID)
                            .method(AuthMethod::custom("ticket", Arc::new(Silent))),
                    ),
            ),
        )
        .await;
        assert!(
            matches!(joined, Err(JoinError::Timeout(_))),
            "{:?}",
            joined.map(|s| s.id())
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

/// Signs WAMP-CRA challenges in a task of its own, as a remote signer would: the
/// authenticator sends the challenge and awaits the signature.
#[derive(Clone)]
struct RemoteSigner {
    requests: tokio::sync::mpsc::Sender<(Dict, tokio::sync::oneshot::Sender<String>)>,
    signed: Arc<AtomicUsize>,
}

impl RemoteSigner {
    fn start() -> RemoteSigner {
        let (requests, mut rx) =
            tokio::sync::mpsc::channel::<(Dict, tokio::sync::oneshot::Sender<String>)>(4);
        tokio::spawn(async move {
            while let Some((extra, reply)) = rx.recv().await {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let signature = wamp_core::auth::wampcra::answer(CRA_SECRET, &extra)
                    .expect("a valid wampcra challenge");
                let _ = reply.send(signature);
            }
        });
        RemoteSigner {
            requests,
            signed: Arc::default(),
        }
    }
}

impl Authenticator for RemoteSigner {
    fn authenticate_async(&self, _method: &str, extra: &Dict) -> AuthFuture {
        let requests = self.requests.clone();
        let signed = self.signed.clone();
        let extra = extra.clone();
        Box::pin(async move {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let gone = || WampError::with_message("wamp.error.cannot_authenticate", "signer gone");
            requests.send((extra, tx)).await.map_err(|_| gone())?;
            let signature = rx.await.map_err(|_| gone())?;
            signed.fetch_add(1, Ordering::SeqCst);
            Ok((signature, Dict::new()))
        })
    }
}

/// Never answers.
struct Silent;

impl Authenticator for Silent {
    fn authenticate_async(&self, _method: &str, _extra: &Dict) -> AuthFuture {
        Box::pin(std::future::pending())
    }
}
