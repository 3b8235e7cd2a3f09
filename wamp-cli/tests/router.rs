//! `wamp router`: the embedded router started from the command line, driven by the `wamp`
//! client subcommands, and its graceful stop on SIGTERM. No Crossbar.io involved.

mod common;

use common::{output, wamp, Output, Running};

/// `wamp router` on free ports with `args`; returns it with the URLs of its `listening` lines.
async fn router(args: &[&str], endpoints: usize) -> (Running, Vec<String>) {
    let mut all = vec!["router"];
    all.extend_from_slice(args);
    let mut router = Running::spawn(&all);
    let mut urls = Vec::new();
    for _ in 0..endpoints {
        let line = router.stdout_line().await;
        let url = line
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("not a listening line: {line:?}"));
        urls.push(url.to_owned());
    }
    (router, urls)
}

async fn client(url: &str, realm: &str, args: &[&str]) -> Output {
    let mut all = vec!["--url", url, "-r", realm];
    all.extend_from_slice(args);
    output(wamp(&all)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_router_serves_every_endpoint_and_realm_it_is_given_until_sigterm() {
    let dir = std::env::temp_dir().join(format!("wamp-cli-router-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let unix = format!("unix://{}", dir.join("router.sock").display());
    let (router, urls) = router(
        &[
            "--listen",
            "ws://127.0.0.1:0/ws",
            "--listen",
            "rs://127.0.0.1:0",
            "--listen",
            &unix,
            "--realm",
            "realm1",
            "--realm",
            "realm2",
        ],
        3,
    )
    .await;
    assert!(
        urls[0].starts_with("ws://127.0.0.1:") && urls[0].ends_with("/ws"),
        "{urls:?}"
    );
    assert!(!urls[0].contains(":0/"), "the real port: {urls:?}");
    assert!(urls[1].starts_with("rs://127.0.0.1:"), "{urls:?}");
    assert_eq!(urls[2], unix);

    // A registrar on the WebSocket endpoint answers callers on the other two.
    let mut callee = Running::spawn(&[
        "--url",
        &urls[0],
        "-r",
        "realm2",
        "register",
        "com.wampcli.router.hello",
        "--times",
        "2",
        "sh",
        "-c",
        "echo \"hello $WAMP_ARGS\"",
    ]);
    callee.stderr_line("registered:").await;
    for url in &urls[1..] {
        let out = client(url, "realm2", &["call", "com.wampcli.router.hello", "you"]).await;
        assert_eq!(out.code, Some(0), "{url}: {out:?}");
        assert_eq!(out.stdout, "{\"args\": [\"hello you\"], \"kwargs\": {}}\n");
    }
    assert_eq!(callee.exit_code().await, Some(0));

    // Realms are separate; an unknown one is refused.
    let out = client(&urls[0], "realm1", &["call", "com.wampcli.router.hello"]).await;
    assert_eq!(out.code, Some(5), "{out:?}");
    assert!(
        out.stderr.contains("wamp.error.no_such_procedure"),
        "{out:?}"
    );
    let out = client(&urls[0], "realm3", &["call", "com.wampcli.router.hello"]).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("wamp.error.no_such_realm"), "{out:?}");

    // SIGTERM: a joined subscriber is told the router shuts down, and the router exits 0;
    // the subscriber tries to join again, and gives up after --max-failures.
    let mut subscriber = Running::spawn(&[
        "--url",
        &urls[1],
        "-r",
        "realm1",
        "-m",
        "1",
        "subscribe",
        "com.wampcli.router.topic",
    ]);
    subscriber.stderr_line("subscribed:").await;
    router.terminate();
    assert_eq!(router.exit_code().await, Some(0));
    subscriber
        .stderr_line("connection lost: session ended: wamp.close.system_shutdown")
        .await;
    subscriber.stderr_line("too many failures (2)").await;
    assert_eq!(subscriber.exit_code().await, Some(1));
    assert!(
        !dir.join("router.sock").exists(),
        "the unix socket file is removed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn publications_through_the_router_reach_subscribers() {
    let (router, urls) = router(&["--listen", "rs://127.0.0.1:0"], 1).await;
    let mut subscriber = Running::spawn(&[
        "--url",
        &urls[0],
        "-r",
        "realm1",
        "subscribe",
        "com.wampcli.router",
        "--match",
        "prefix",
        "--times",
        "1",
    ]);
    subscriber.stderr_line("subscribed:").await;
    let out = client(
        &urls[0],
        "realm1",
        &[
            "--json",
            "publish",
            "com.wampcli.router.news",
            "1",
            "--keyword",
            "x",
            "[true]",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        subscriber.stdout_line().await,
        "{\"args\": [1], \"kwargs\": {\"x\": [true]}}"
    );
    assert_eq!(subscriber.exit_code().await, Some(0));
    router.terminate();
    assert_eq!(router.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_port_in_use_exits_1_with_the_reason() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let url = format!("rs://127.0.0.1:{port}");
    let out = output(wamp(&["router", "--listen", &url])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("cannot start the router"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn router_options_are_checked_before_anything_starts() {
    for args in [
        &["router", "--listen", "http://127.0.0.1:1/"][..],
        &["router", "--listen", "ws://127.0.0.1/ws"],
        &["router", "--realm", "bad realm"],
        &["router", "--strict"],
        &[
            "router",
            "--config",
            "x.json",
            "--listen",
            "ws://127.0.0.1:0/ws",
        ],
    ] {
        let out = output(wamp(args)).await;
        assert_eq!(out.code, Some(1), "{args:?}: {out:?}");
        assert!(out.stderr.contains("error"), "{args:?}: {out:?}");
    }
}

/// The repository's Crossbar.io example config, on a free port, in a directory of its own.
fn example_config(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> std::path::PathBuf {
    let text = include_str!("../../examples/crossbar/config.json");
    let mut config: serde_json::Value = serde_json::from_str(text).expect("json");
    config["workers"][0]["transports"][0]["endpoint"]["port"] =
        serde_json::json!(wamp_suite::free_port());
    edit(&mut config);
    let dir = std::env::temp_dir().join(format!("wamp-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("config.json");
    std::fs::write(&path, config.to_string()).expect("write config");
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn the_crossbar_example_config_runs_and_authenticates_every_method() {
    use wamp_suite::auth;
    let path = example_config("example", |_| {});
    let (router, urls) = router(&["--config", path.to_str().expect("utf-8")], 1).await;
    let url = &urls[0];
    let cases = [
        ("ticket", auth::TICKET_AUTHID, auth::TICKET_SECRET),
        ("wampcra", auth::CRA_AUTHID, auth::CRA_SECRET),
        ("wampcra", auth::CRA_SALTED_AUTHID, auth::CRA_SALTED_SECRET),
        ("scram", auth::SCRAM_AUTHID, auth::SCRAM_PASSWORD),
    ];
    for (method, authid, secret) in cases {
        let mut command = wamp(&[
            "--url",
            url,
            "-r",
            "realm1",
            "--authid",
            authid,
            "--authmethod",
            method,
            "call",
            "com.wampcli.nobody",
        ]);
        command.env("WAMP_SECRET", secret);
        let out = output(command).await;
        assert_eq!(out.code, Some(5), "{method} {authid}: {out:?}");
        assert!(
            out.stderr.contains(&format!(
                "connected: authrole=authenticated authmethod={method}"
            )),
            "{method} {authid}: {out:?}"
        );
    }
    let mut command = wamp(&[
        "--url",
        url,
        "-r",
        "realm1",
        "--authid",
        auth::CRYPTOSIGN_AUTHID,
        "call",
        "com.wampcli.nobody",
    ]);
    command.env("WAMP_PRIVATE_KEY", auth::CRYPTOSIGN_SEED_HEX);
    let out = output(command).await;
    assert_eq!(out.code, Some(5), "cryptosign: {out:?}");
    assert!(out.stderr.contains("authmethod=cryptosign"), "{out:?}");
    // Anonymous is not allowed on that transport; a wrong ticket is refused.
    let out = client(url, "realm1", &["call", "com.wampcli.nobody"]).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let mut command = wamp(&[
        "--url",
        url,
        "-r",
        "realm1",
        "--authid",
        auth::TICKET_AUTHID,
        "--authmethod",
        "ticket",
        "call",
        "com.wampcli.nobody",
    ]);
    command.env("WAMP_SECRET", "not-the-ticket-8812");
    let out = output(command).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("wamp.error.not_authorized"), "{out:?}");
    assert!(!out.stderr.contains("not-the-ticket-8812"), "{out:?}");
    router.terminate();
    assert_eq!(router.exit_code().await, Some(0));
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
}

#[tokio::test(flavor = "multi_thread")]
async fn unsupported_config_keys_are_warnings_and_errors_with_strict() {
    let path = example_config("strict", |config| {
        config["workers"][0]["transports"][0]["paths"]["/"] =
            serde_json::json!({"type": "static", "directory": ".."});
        config["workers"][0]["options"] = serde_json::json!({"pythonpath": [".."]});
    });
    let path_str = path.to_str().expect("utf-8");
    let out = output(wamp(&["router", "--config", path_str, "--strict"])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("workers[0].options"), "{out:?}");
    assert!(
        out.stderr.contains("workers[0].transports[0].paths./"),
        "{out:?}"
    );
    assert_eq!(out.stdout, "", "nothing listens: {out:?}");

    let mut router = Running::spawn(&["router", "--config", path_str]);
    router.stderr_line("warning: workers[0].options").await;
    assert!(router
        .stdout_line()
        .await
        .starts_with("listening ws://127.0.0.1:"));
    router.terminate();
    assert_eq!(router.exit_code().await, Some(0));
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribe_and_register_without_times_run_until_sigterm_and_exit_0() {
    let (router, urls) = router(&["--listen", "rs://127.0.0.1:0"], 1).await;
    let url = urls[0].as_str();
    let mut subscriber = Running::spawn(&[
        "--url",
        url,
        "-r",
        "realm1",
        "subscribe",
        "com.wampcli.forever",
    ]);
    subscriber.stderr_line("subscribed:").await;
    let mut callee = Running::spawn(&[
        "--url",
        url,
        "-r",
        "realm1",
        "register",
        "com.wampcli.forever",
        "echo",
        "still here",
    ]);
    callee.stderr_line("registered:").await;
    for _ in 0..3 {
        let out = client(url, "realm1", &["call", "com.wampcli.forever"]).await;
        assert_eq!(out.stdout, "{\"args\": [\"still here\"], \"kwargs\": {}}\n");
        let out = client(url, "realm1", &["publish", "com.wampcli.forever", "x"]).await;
        assert_eq!(out.code, Some(0), "{out:?}");
        assert_eq!(
            subscriber.stdout_line().await,
            "{\"args\": [\"x\"], \"kwargs\": {}}"
        );
    }
    subscriber.terminate();
    assert_eq!(subscriber.exit_code().await, Some(0));
    callee.terminate();
    assert_eq!(callee.exit_code().await, Some(0));
    // The registrar unregistered on its way out.
    let out = client(url, "realm1", &["call", "com.wampcli.forever"]).await;
    assert_eq!(out.code, Some(5), "{out:?}");
    assert!(
        out.stderr.contains("wamp.error.no_such_procedure"),
        "{out:?}"
    );
    router.terminate();
    assert_eq!(router.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscriber_and_a_registrar_join_again_when_the_router_comes_back() {
    let port = wamp_suite::free_port();
    let listen = format!("rs://127.0.0.1:{port}");
    let (first, urls) = router(&["--listen", &listen], 1).await;
    let url = urls[0].as_str();
    let mut subscriber = Running::spawn(&[
        "--url",
        url,
        "-r",
        "realm1",
        "subscribe",
        "com.wampcli.again",
        "--times",
        "2",
    ]);
    subscriber.stderr_line("subscribed:").await;
    let mut callee = Running::spawn(&[
        "--url",
        url,
        "-r",
        "realm1",
        "register",
        "com.wampcli.again",
        "--times",
        "2",
        "echo",
        "here",
    ]);
    callee.stderr_line("registered:").await;
    let out = client(url, "realm1", &["publish", "com.wampcli.again", "1"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        subscriber.stdout_line().await,
        "{\"args\": [\"1\"], \"kwargs\": {}}"
    );
    let out = client(url, "realm1", &["call", "com.wampcli.again"]).await;
    assert_eq!(
        out.stdout, "{\"args\": [\"here\"], \"kwargs\": {}}\n",
        "{out:?}"
    );

    first.terminate();
    assert_eq!(first.exit_code().await, Some(0));
    subscriber.stderr_line("connection lost").await;
    callee.stderr_line("connection lost").await;
    let (second, _) = router(&["--listen", &listen], 1).await;
    subscriber.stderr_line("subscribed:").await;
    callee.stderr_line("registered:").await;
    let out = client(url, "realm1", &["publish", "com.wampcli.again", "2"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        subscriber.stdout_line().await,
        "{\"args\": [\"2\"], \"kwargs\": {}}"
    );
    let out = client(url, "realm1", &["call", "com.wampcli.again"]).await;
    assert_eq!(
        out.stdout, "{\"args\": [\"here\"], \"kwargs\": {}}\n",
        "{out:?}"
    );
    // --times counts across sessions: both are done after the second of each.
    assert_eq!(subscriber.exit_code().await, Some(0));
    assert_eq!(callee.exit_code().await, Some(0));
    second.terminate();
    assert_eq!(second.exit_code().await, Some(0));
}
