//! The `wamp` binary against a real Crossbar.io router (the test harness's, shared by the tests
//! of this file): call, publish, subscribe and register, their output and exit codes, usage
//! errors and authentication. Every wait is bounded.

mod common;

use std::time::{Duration, Instant};

use common::{output, wamp, within, Output, Running};
use wamp_client::{Invocation, Payload, Session, WampError};
use wamp_suite::{auth, router, AuthTransport, REALM};

/// `wamp --url <ws> -r realm1 <args>`, run to its end.
async fn run(args: &[&str]) -> Output {
    let url = router().ws_url();
    let mut all = vec!["--url", url.as_str(), "-r", REALM];
    all.extend_from_slice(args);
    output(wamp(&all)).await
}

/// `wamp --url <ws> -r realm1 <args>`, left running.
fn start(args: &[&str]) -> Running {
    let url = router().ws_url();
    let mut all = vec!["--url", url.as_str(), "-r", REALM];
    all.extend_from_slice(args);
    Running::spawn(&all)
}

/// A Rust session on the harness's router.
async fn session() -> Session {
    let url = router().ws_url();
    within(
        Duration::from_secs(20),
        "join",
        Session::connect(&url, REALM),
    )
    .await
    .expect("join")
}

/// Registers `uri` to answer with the payload it was called with.
async fn echo(session: &Session, uri: &str) {
    session
        .register_with(uri, Default::default(), |inv: Invocation| async move {
            Ok::<Payload, WampError>(inv.payload)
        })
        .await
        .expect("register");
}

#[tokio::test(flavor = "multi_thread")]
async fn call_prints_the_result_as_one_json_line_with_string_args_and_kwargs() {
    let s = session().await;
    echo(&s, "com.wampcli.echo1").await;
    let out = run(&[
        "call",
        "com.wampcli.echo1",
        "1",
        "two",
        "--keyword",
        "k",
        "v",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "{\"args\": [\"1\", \"two\"], \"kwargs\": {\"k\": \"v\"}}\n"
    );
    assert!(
        out.stderr
            .contains("connected: authrole=anonymous authmethod=anonymous"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn call_with_json_sends_numbers_lists_and_maps() {
    let s = session().await;
    echo(&s, "com.wampcli.echo2").await;
    let out = run(&[
        "--json",
        "call",
        "com.wampcli.echo2",
        "-5",
        "[1, 2.5, null]",
        "--keyword",
        "opts",
        r#"{"deep": true}"#,
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "{\"args\": [-5, [1, 2.5, null]], \"kwargs\": {\"opts\": {\"deep\": true}}}\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn calling_a_missing_procedure_exits_5_with_the_error_on_stderr() {
    let out = run(&["call", "com.wampcli.nobody_here"]).await;
    assert_eq!(out.code, Some(5), "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("wamp.error.no_such_procedure {\"args\": ["),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_past_its_timeout_exits_5_without_waiting_for_the_callee() {
    let s = session().await;
    s.register_with(
        "com.wampcli.slow",
        Default::default(),
        |_: Invocation| async move {
            tokio::time::sleep(Duration::from_secs(20)).await;
            Ok::<Payload, WampError>(Payload::new())
        },
    )
    .await
    .expect("register");
    let started = Instant::now();
    let out = run(&["call", "com.wampcli.slow", "--timeout", "500ms"]).await;
    assert_eq!(out.code, Some(5), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "{out:?}");
    // Whoever noticed first: the router (canceled) or the client (timeout).
    assert!(
        out.stderr.contains("wamp.error.timeout") || out.stderr.contains("wamp.error.canceled"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn published_events_reach_a_subscriber_that_exits_after_times_events() {
    let mut sub = start(&["subscribe", "com.wampcli.topic1", "--times", "2"]);
    sub.stderr_line("subscribed: com.wampcli.topic1").await;
    let first = run(&["publish", "com.wampcli.topic1", "a", "--keyword", "k", "v"]).await;
    assert_eq!(first.code, Some(0), "{first:?}");
    assert_eq!(first.stdout, "");
    let second = run(&["--json", "publish", "com.wampcli.topic1", "2"]).await;
    assert_eq!(second.code, Some(0), "{second:?}");
    assert_eq!(
        sub.stdout_line().await,
        "{\"args\": [\"a\"], \"kwargs\": {\"k\": \"v\"}}"
    );
    assert_eq!(sub.stdout_line().await, "{\"args\": [2], \"kwargs\": {}}");
    assert_eq!(sub.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prefix_subscription_sees_events_of_every_topic_under_it() {
    let mut sub = start(&[
        "subscribe",
        "com.wampcli.prefix",
        "--match",
        "prefix",
        "--times",
        "1",
    ]);
    sub.stderr_line("subscribed:").await;
    let out = run(&["publish", "com.wampcli.prefix.deeper.topic", "x"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        sub.stdout_line().await,
        "{\"args\": [\"x\"], \"kwargs\": {}}"
    );
    assert_eq!(sub.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registered_shell_command_answers_calls_with_its_output() {
    let mut reg = start(&[
        "register",
        "com.wampcli.shell",
        "--times",
        "1",
        "sh",
        "-c",
        "echo \"hello $WAMP_ARGS\"; echo \"$WAMP_KWARGS $WAMP_KWARGS_JSON $WAMP_ARGS_JSON\"",
    ]);
    reg.stderr_line("registered: com.wampcli.shell").await;
    let out = run(&[
        "call",
        "com.wampcli.shell",
        "a",
        "b c",
        "--keyword",
        "k",
        "v",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let line: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("json");
    assert_eq!(
        line,
        serde_json::json!({
            "args": ["hello a b c\nk=v {\"k\": \"v\"} [\"a\", \"b c\"]"],
            "kwargs": {}
        })
    );
    // Autobahn's registrar passes the command's output on too.
    assert_eq!(reg.stdout_line().await, "hello a b c");
    assert_eq!(reg.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn with_json_the_output_of_a_registered_command_is_a_json_result() {
    let mut reg = start(&[
        "--json",
        "register",
        "com.wampcli.jsonout",
        "--times",
        "1",
        "sh",
        "-c",
        "echo \"{\\\"sum\\\": $(( $(echo $WAMP_ARGS | tr ' ' '+') ))}\"",
    ]);
    reg.stderr_line("registered:").await;
    let out = run(&["--json", "call", "com.wampcli.jsonout", "2", "3"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stdout, "{\"args\": [{\"sum\": 5}], \"kwargs\": {}}\n");
    assert_eq!(reg.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_command_reaches_the_caller_with_its_exit_code_and_stderr() {
    let mut reg = start(&[
        "register",
        "com.wampcli.failing",
        "--times",
        "1",
        "sh",
        "-c",
        "echo 'it went wrong' >&2; exit 3",
    ]);
    reg.stderr_line("registered:").await;
    let out = run(&["call", "com.wampcli.failing"]).await;
    assert_eq!(out.code, Some(5), "{out:?}");
    assert!(
        out.stderr.contains(
            "wamp.error.runtime_error {\"args\": [\"command exited with code 3\"], \
             \"kwargs\": {\"exit_code\": 3, \"stderr\": \"it went wrong\\n\"}}"
        ),
        "{out:?}"
    );
    reg.stderr_line("Failed with exit-code 3").await;
    assert_eq!(reg.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_past_its_deadline_is_killed_and_the_call_fails() {
    let mut reg = start(&[
        "register",
        "com.wampcli.sleepy",
        "--times",
        "1",
        "--deadline",
        "300ms",
        "sleep",
        "30",
    ]);
    reg.stderr_line("registered:").await;
    let started = Instant::now();
    let out = run(&["call", "com.wampcli.sleepy"]).await;
    assert_eq!(out.code, Some(5), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        out.stderr.contains("command did not finish within 300ms"),
        "{out:?}"
    );
    assert_eq!(reg.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn registering_a_missing_executable_exits_1_before_connecting() {
    let out = run(&["register", "com.wampcli.none", "/no/such/executable"]).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("executable not found: /no/such/executable"),
        "{out:?}"
    );
    assert!(!out.stderr.contains("connected:"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_usage_exits_1_and_help_exits_0() {
    // clap's own code for usage errors is 2; `wamp` says 1, as for the other failures.
    for args in [
        &["call"][..],
        &["--no-such-option", "call", "x"],
        &["frobnicate"],
        &[
            "--url",
            "ws://127.0.0.1:9/ws",
            "subscribe",
            "x",
            "--match",
            "fuzzy",
        ],
        &[
            "--url",
            "ws://127.0.0.1:9/ws",
            "call",
            "x",
            "--timeout",
            "soon",
        ],
        &["--url", "http://example.com", "call", "x"],
        &["router", "--listen", "tcp://0.0.0.0:1"],
    ] {
        let out = output(wamp(args)).await;
        assert_eq!(out.code, Some(1), "{args:?}: {out:?}");
        assert!(out.stderr.contains("error"), "{args:?}: {out:?}");
    }
    // --url is required by every client subcommand, as in Autobahn.
    let out = output(wamp(&["call", "com.example.f"])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("--url"), "{out:?}");
    let help = output(wamp(&["--help"])).await;
    assert_eq!(help.code, Some(0), "{help:?}");
    for option in [
        "--url",
        "--realm",
        "--private-key",
        "--authid",
        "--authrole",
        "--max-failures",
        "--serializer",
        "--authmethod",
        "--json",
    ] {
        assert!(help.stdout.contains(option), "{option} missing: {help:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_connection_exits_1_after_max_failures() {
    let port = wamp_suite::free_port();
    let url = format!("ws://127.0.0.1:{port}/ws");
    let out = output(wamp(&["--url", &url, "-m", "1", "call", "com.example.f"])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.stderr.matches("connect failure").count(), 2, "{out:?}");
    assert!(out.stderr.contains("too many failures (2)"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_exits_1_and_the_secret_is_never_printed() {
    let url = router().auth_url(AuthTransport::Ticket);
    let secret = "wrong-ticket-3f9a1c";
    let mut command = wamp(&[
        "--url",
        &url,
        "-r",
        REALM,
        "--authid",
        auth::TICKET_AUTHID,
        "--authmethod",
        "ticket",
        "call",
        "com.wampcli.anything",
    ]);
    command.env("WAMP_SECRET", secret).env("RUST_LOG", "trace");
    let out = output(command).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains(auth::DENIED), "{out:?}");
    assert!(!out.stderr.contains(secret), "secret printed: {out:?}");
    assert!(!out.stdout.contains(secret), "secret printed: {out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_right_credentials_join_with_each_method() {
    let router = router();
    let cases = [
        (
            AuthTransport::Ticket,
            "ticket",
            auth::TICKET_AUTHID,
            auth::TICKET_SECRET,
        ),
        (
            AuthTransport::Wampcra,
            "wampcra",
            auth::CRA_AUTHID,
            auth::CRA_SECRET,
        ),
        (
            AuthTransport::Scram,
            "scram",
            auth::SCRAM_AUTHID,
            auth::SCRAM_PASSWORD,
        ),
    ];
    for (transport, method, authid, secret) in cases {
        let url = router.auth_url(transport);
        let mut command = wamp(&[
            "--url",
            &url,
            "-r",
            REALM,
            "--authid",
            authid,
            "--authmethod",
            method,
            "call",
            "com.wampcli.nobody_here",
        ]);
        command.env("WAMP_SECRET", secret).env("RUST_LOG", "trace");
        let out = output(command).await;
        // Joined (then the call fails as an application error).
        assert_eq!(out.code, Some(5), "{method}: {out:?}");
        assert!(
            out.stderr.contains(&format!(
                "connected: authrole={} authmethod={method}",
                auth::AUTHENTICATED_ROLE
            )),
            "{method}: {out:?}"
        );
        assert!(!out.stderr.contains(secret), "{method}: secret printed");
    }
    // Cryptosign, with the key from WAMP_PRIVATE_KEY as Autobahn reads it.
    let url = router.auth_url(AuthTransport::Cryptosign);
    let mut command = wamp(&[
        "--url",
        &url,
        "-r",
        REALM,
        "--authid",
        auth::CRYPTOSIGN_AUTHID,
        "call",
        "com.wampcli.nobody_here",
    ]);
    command
        .env("WAMP_PRIVATE_KEY", auth::CRYPTOSIGN_SEED_HEX)
        .env("RUST_LOG", "trace");
    let out = output(command).await;
    assert_eq!(out.code, Some(5), "cryptosign: {out:?}");
    assert!(
        out.stderr.contains("authmethod=cryptosign"),
        "cryptosign: {out:?}"
    );
    assert!(!out.stderr.contains(auth::CRYPTOSIGN_SEED_HEX));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_serializer_and_the_rawsocket_transport_carry_a_call() {
    let s = session().await;
    echo(&s, "com.wampcli.echo3").await;
    let router = router();
    for (url, serializer) in [
        (router.ws_url(), "json"),
        (router.ws_url(), "msgpack"),
        (router.ws_url(), "cbor"),
        (router.rs_url(), "json"),
        (router.rs_url(), "msgpack"),
        (router.unix_url(), "cbor"),
    ] {
        let out = output(wamp(&[
            "--url",
            &url,
            "-r",
            REALM,
            "--serializer",
            serializer,
            "--json",
            "call",
            "com.wampcli.echo3",
            "\"é\"",
        ]))
        .await;
        assert_eq!(out.code, Some(0), "{url} {serializer}: {out:?}");
        assert_eq!(
            out.stdout, "{\"args\": [\"\\u00e9\"], \"kwargs\": {}}\n",
            "{url} {serializer}"
        );
    }
}
