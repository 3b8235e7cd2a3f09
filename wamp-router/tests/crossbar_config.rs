//! Crossbar.io node configs run on this router: the example the README gives
//! (`examples/crossbar/config.json`) and the config the test harness writes for Crossbar.io
//! (tests/support/router.rs and auth.rs: every transport kind, TLS, Unix socket and every
//! authentication method), read with `crossbar::from_file`, started, and joined by wamp-client
//! sessions.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{json, Value};
use wamp_client::{
    AuthMethod, Authentication, CryptosignKey, JoinError, JoinOptions, Session, TransportConfig,
};
use wamp_router::crossbar::{self, CrossbarConfigError};
use wamp_router::{Endpoint, Router, RouterConfig};

const WAIT: Duration = Duration::from_secs(20);

async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(WAIT, f).await.expect("timed out")
}

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let mut base = std::env::temp_dir();
        if base.as_os_str().len() > 60 {
            base = PathBuf::from("/tmp");
        }
        let dir = base.join(format!(
            "wamp-{what}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every TCP endpoint moved to 127.0.0.1 and a free port.
fn free_ports(config: &mut RouterConfig) {
    for l in &mut config.listeners {
        if let Endpoint::Tcp { host, port } = &mut l.endpoint {
            *host = "127.0.0.1".into();
            *port = 0;
        }
    }
}

async fn join(
    transport: &TransportConfig,
    realm: &str,
    auth: Option<(&str, AuthMethod)>,
) -> Result<Session, JoinError> {
    let mut options = JoinOptions::new(realm);
    if let Some((authid, method)) = auth {
        options = options.authentication(Authentication::new().authid(authid).method(method));
    }
    bounded(Session::join(transport, options)).await
}

async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

#[tokio::test]
async fn the_example_config_runs_and_its_principals_join_realm1() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/crossbar/config.json");
    let (mut config, warnings) = crossbar::from_file(&path, false).unwrap();
    let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings.len(),
        1,
        "only the permission's cache: {warnings:?}"
    );
    assert!(warnings[0].contains(".cache: "), "{warnings:?}");
    // Strict mode names that one setting.
    let err = crossbar::from_file(&path, true).unwrap_err();
    assert!(matches!(err, CrossbarConfigError::Unsupported(ref w) if w.len() == 1));

    free_ports(&mut config);
    let router = Router::start(config).await.unwrap();
    let url = router.urls()[0].clone();
    assert!(
        url.starts_with("ws://127.0.0.1:") && url.ends_with("/ws"),
        "{url}"
    );
    let transport = TransportConfig::new(&url).unwrap();

    let callee = join(
        &transport,
        "realm1",
        Some(("ticket-user", AuthMethod::ticket("ticket-secret-1"))),
    )
    .await
    .unwrap();
    assert_eq!(callee.details().authrole.as_deref(), Some("authenticated"));
    bounded(callee.register("com.example.add2", add2))
        .await
        .unwrap();
    let caller = join(
        &transport,
        "realm1",
        Some((
            "cryptosign-user",
            AuthMethod::cryptosign(CryptosignKey::hex(
                "170d7cca6af5b06963dc2d63fb85a8f77e2db52633c1d7259837e99ea137142a",
            )),
        )),
    )
    .await
    .unwrap();
    let sum: i64 = bounded(caller.call("com.example.add2", (2, 3)))
        .await
        .unwrap();
    assert_eq!(sum, 5);
    for (authid, method) in [
        ("cra-user", AuthMethod::wampcra("cra-secret")),
        ("cra-salted", AuthMethod::wampcra("cra-salted-secret")),
        ("scram-user", AuthMethod::scram("scram-password")),
    ] {
        let s = join(&transport, "realm1", Some((authid, method)))
            .await
            .unwrap_or_else(|e| panic!("{authid}: {e}"));
        bounded(s.leave()).await.unwrap();
    }
    // No anonymous access in this config; a wrong ticket is refused.
    assert!(join(&transport, "realm1", None).await.is_err());
    assert!(join(
        &transport,
        "realm1",
        Some(("ticket-user", AuthMethod::ticket("wrong")))
    )
    .await
    .is_err());
    bounded(caller.leave()).await.unwrap();
    bounded(callee.leave()).await.unwrap();
    bounded(router.stop()).await;
}

/// A CA and a certificate for 127.0.0.1 signed by it: (CA PEM, certificate PEM, key PEM).
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

/// A SCRAM principal of tests/support/auth.rs (`SCRAM_ARGON2`, `SCRAM_PBKDF2`).
fn scram(kdf: &str) -> Value {
    let (iterations, memory, salt, stored, server) = if kdf == "pbkdf2" {
        (
            4096,
            0,
            "84e115959c84261e975c24d6f971cda2",
            "3f290270ae75d45351c3839ca7570c5193958ac4763b66a5772ee966916e8468",
            "fb2f228ceeff5b4f19597a87fdec3bd9b4842cbb3bd39c52d0c0c6d60c2872d2",
        )
    } else {
        (
            32,
            512,
            "ea8ed87725cc9ada8a413c24b811fa27",
            "b8a63c71d0155f00ca7d005fc32a13732df63e1dc3400827782951ea04a997a8",
            "e36f39c7e6df65300b233b1eda9b9309f8527deb442ce83f03d5e6677b1155c3",
        )
    };
    json!({"scram": {"type": "static", "principals": {"scram-user": {
        "kdf": kdf, "iterations": iterations, "memory": memory, "salt": salt,
        "stored-key": stored, "server-key": server, "role": "authenticated"}}}})
}

/// The node config tests/support/router.rs (`node_config`) and auth.rs (`crossbar_auth`)
/// write for Crossbar.io, in the same shape, with port 0 everywhere.
fn harness_config(dir: &Path, unix_path: &Path) -> Value {
    let serializers = json!(["json", "msgpack", "cbor"]);
    let tcp = json!({"type": "tcp", "interface": "127.0.0.1", "port": 0});
    let mut tls_tcp = tcp.clone();
    tls_tcp["tls"] = json!({"key": "server.key", "certificate": "server.crt"});
    let websocket = json!({
        "type": "websocket",
        "serializers": serializers,
        "options": {"max_message_size": 64 * 1024 * 1024, "max_frame_size": 64 * 1024 * 1024},
    });
    let rawsocket_options = json!({"max_message_size": 16 * 1024 * 1024});
    let role = |name: &str| {
        json!({"name": name, "permissions": [{
            "uri": "", "match": "prefix",
            "allow": {"call": true, "register": true, "publish": true, "subscribe": true},
            "disclose": {"caller": true, "publisher": true},
            "cache": true,
        }]})
    };
    let realms = json!([
        {"name": "realm1", "roles": [role("anonymous"), role("authenticated")]},
        {"name": "crossbardemo", "roles": [role("anonymous"), role("authenticated")]},
        {"name": "wamp_suite.authenticator", "roles": []},
    ]);
    let ticket = json!({"type": "static",
                        "principals": {"ticket-user": {"ticket": "ticket-secret-1",
                                                       "role": "authenticated"}}});
    let auths = [
        ("ticket", json!({"ticket": ticket})),
        (
            "ticket_rotating",
            json!({"ticket": {"type": "dynamic", "authenticator": "wamp_suite.authenticate_ticket",
                              "authenticator-realm": "wamp_suite.authenticator"}}),
        ),
        (
            "wampcra",
            json!({"wampcra": {"type": "static", "users": {
                "cra-user": {"secret": "cra-secret", "role": "authenticated"},
                "cra-salted": {"secret": "cra-salted-secret", "salt": "cra-salt",
                               "iterations": 1000, "keylen": 32, "role": "authenticated"},
            }}}),
        ),
        (
            "cryptosign",
            json!({"cryptosign": {"type": "static", "principals": {"cryptosign-user": {
                "authorized_keys": ["89bec73b2789decb681a9239c751e6d6a204f01f3e9e550757e4013a88dfce76"],
                "role": "authenticated"}}}}),
        ),
        ("scram", scram("argon2id-13")),
        ("scram_pbkdf2", scram("pbkdf2")),
        (
            "anonymous_or_ticket",
            json!({"anonymous": {"type": "static", "role": "anonymous"}, "ticket": ticket}),
        ),
    ];
    let mut transports = vec![
        json!({"id": "transport_ws", "type": "web", "endpoint": tcp, "paths": {"ws": websocket}}),
        json!({"id": "transport_wss", "type": "web", "endpoint": tls_tcp, "paths": {"ws": websocket}}),
        json!({"id": "transport_rs", "type": "rawsocket", "endpoint": tcp,
               "serializers": serializers, "options": rawsocket_options}),
        json!({"id": "transport_rss", "type": "rawsocket", "endpoint": tls_tcp,
               "serializers": serializers, "options": rawsocket_options}),
        json!({"id": "transport_unix", "type": "rawsocket",
               "endpoint": {"type": "unix", "path": unix_path.display().to_string()},
               "serializers": serializers, "options": rawsocket_options}),
    ];
    for (name, auth) in auths {
        let mut ws = websocket.clone();
        ws["auth"] = auth;
        transports.push(
            json!({"id": format!("transport_auth_{name}"), "type": "web",
                               "endpoint": tcp, "paths": {"ws": ws}}),
        );
    }
    json!({
        "version": 2,
        "controller": {},
        "workers": [{
            "type": "router",
            "options": {"pythonpath": ["."]},
            "realms": realms,
            "components": [{
                "id": "ticket_authenticator",
                "type": "class",
                "classname": "wamp_suite_authenticator.TicketAuthenticator",
                "realm": "wamp_suite.authenticator",
                "role": "trusted",
                "extra": {"procedure": "wamp_suite.authenticate_ticket",
                          "tickets_file": dir.join("valid_tickets.json").display().to_string()},
            }],
            "transports": transports,
        }],
    })
}

#[tokio::test]
async fn the_config_the_harness_writes_for_crossbar_runs_with_tls_unix_and_every_auth_method() {
    let dir = TempDir::new("crossbar-harness");
    let cbdir = dir.0.join(".crossbar");
    std::fs::create_dir(&cbdir).unwrap();
    let (ca, cert, key) = test_certificate();
    std::fs::write(cbdir.join("server.crt"), cert).unwrap();
    std::fs::write(cbdir.join("server.key"), key).unwrap();
    let unix_path = dir.0.join("router.sock");
    let file = cbdir.join("config.json");
    let text = serde_json::to_string_pretty(&harness_config(&dir.0, &unix_path)).unwrap();
    std::fs::write(&file, text).unwrap();

    let (config, warnings) = crossbar::from_file(&file, false).unwrap();
    let mut paths: Vec<&str> = warnings.iter().map(|w| w.path.as_str()).collect();
    paths.sort_unstable();
    let mut expected = vec![
        "workers[0].options.pythonpath".to_owned(),
        "workers[0].components[0]".to_owned(),
        "workers[0].transports[6].paths.ws.auth".to_owned(),
    ];
    for realm in 0..2 {
        for role in 0..2 {
            expected.push(format!(
                "workers[0].realms[{realm}].roles[{role}].permissions[0].cache"
            ));
        }
    }
    for t in [0, 1, 5, 6, 7, 8, 9, 10, 11] {
        expected.push(format!(
            "workers[0].transports[{t}].paths.ws.options.max_frame_size"
        ));
    }
    expected.sort_unstable();
    assert_eq!(paths, expected, "{warnings:#?}");
    let dynamic = warnings.iter().find(|w| w.path.ends_with("auth")).unwrap();
    assert!(
        dynamic.message.starts_with("ticket: type \"dynamic\""),
        "{dynamic}"
    );
    assert_eq!(config.listeners.len(), 12);
    assert_eq!(
        config.listeners[4].endpoint,
        Endpoint::Unix {
            path: unix_path.clone()
        }
    );
    assert!(config.listeners[1].tls.is_some() && config.listeners[3].tls.is_some());
    assert_eq!(config.core.realms.len(), 3);
    assert!(config.core.realms[2].roles.is_empty());

    let router = Router::start(config).await.unwrap();
    let urls = router.urls();
    let tls = wamp_client::TlsConfig::default()
        .add_ca_pem(ca.as_bytes())
        .unwrap()
        .only_custom_roots();
    let transport = |i: usize, serializer: &str| {
        let t = TransportConfig::new(&urls[i])
            .unwrap()
            .serializer_names(&[serializer])
            .unwrap();
        if urls[i].starts_with("wss") || urls[i].starts_with("rss") {
            t.tls(tls.clone())
        } else {
            t
        }
    };

    // The anonymous transports, each serializer somewhere, both realms.
    for (i, serializer, realm) in [
        (0, "json", "realm1"),
        (1, "msgpack", "realm1"),
        (2, "cbor", "crossbardemo"),
        (3, "json", "realm1"),
        (4, "msgpack", "realm1"),
        (11, "cbor", "realm1"),
    ] {
        let s = join(&transport(i, serializer), realm, None)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", urls[i]));
        assert_eq!(s.details().authrole.as_deref(), Some("anonymous"));
        bounded(s.leave()).await.unwrap();
    }
    // Every static method on its transport.
    let principals = [
        (5, "ticket-user", AuthMethod::ticket("ticket-secret-1")),
        (7, "cra-user", AuthMethod::wampcra("cra-secret")),
        (7, "cra-salted", AuthMethod::wampcra("cra-salted-secret")),
        (
            8,
            "cryptosign-user",
            AuthMethod::cryptosign(CryptosignKey::hex(
                "170d7cca6af5b06963dc2d63fb85a8f77e2db52633c1d7259837e99ea137142a",
            )),
        ),
        (9, "scram-user", AuthMethod::scram("scram-password")),
        (10, "scram-user", AuthMethod::scram("scram-password")),
        (11, "ticket-user", AuthMethod::ticket("ticket-secret-1")),
    ];
    for (i, authid, method) in principals {
        let s = join(&transport(i, "json"), "realm1", Some((authid, method)))
            .await
            .unwrap_or_else(|e| panic!("{authid} on {}: {e}", urls[i]));
        assert_eq!(s.details().authrole.as_deref(), Some("authenticated"));
        bounded(s.leave()).await.unwrap();
    }
    // The dynamic ticket authenticator is a WAMP procedure this router does not call (the
    // warning above): refused.
    let refused = join(
        &transport(6, "json"),
        "realm1",
        Some(("ticket-rotating", AuthMethod::ticket("rotating-ticket-0"))),
    )
    .await;
    assert!(refused.is_err());
    // The authenticator's realm has no role for clients.
    let refused = join(&transport(0, "json"), "wamp_suite.authenticator", None).await;
    assert!(
        matches!(refused, Err(JoinError::Authentication { ref reason, .. }) if reason == "wamp.error.no_such_role"),
        "{refused:?}"
    );
    bounded(router.stop()).await;
}

#[tokio::test]
async fn a_bad_config_file_is_an_error_naming_the_file_or_the_key() {
    let dir = TempDir::new("crossbar-bad");
    let file = dir.0.join("config.json");
    std::fs::write(&file, "{\"version\": 2,\n \"workers\": [\n").unwrap();
    let err = crossbar::from_file(&file, false).unwrap_err();
    assert!(err.to_string().starts_with("invalid json: "), "{err}");
    assert!(err.to_string().contains("line 3"), "{err}");

    let config = json!({"version": 2, "workers": [{"type": "router",
        "transports": [{"type": "websocket",
                        "endpoint": {"type": "tcp", "port": 0,
                                     "tls": {"key": "absent.key", "certificate": "absent.crt"}}}]}]});
    std::fs::write(&file, config.to_string()).unwrap();
    let err = crossbar::from_file(&file, false).unwrap_err().to_string();
    let absent = dir.0.join("absent.key");
    assert!(
        err.starts_with(&format!(
            "workers[0].transports[0].endpoint.tls.key: cannot read {}",
            absent.display()
        )),
        "{err}"
    );
}
