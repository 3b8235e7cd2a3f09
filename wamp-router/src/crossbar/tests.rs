use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use wamp_core::uri::MatchPolicy;

use super::*;
use crate::config::{AutoPing, Endpoint, ListenerConfig, TransportKind};
use crate::core::{AnonymousConfig, AuthConfig, MethodConfig};

/// The environment the tests see.
fn env(name: &str) -> Option<String> {
    match name {
        "ROUTER_PORT" => Some("9001".into()),
        "NOT_A_PORT" => Some("http".into()),
        "TICKET" => Some("from-the-environment".into()),
        "SOCKETS" => Some("/run/sockets".into()),
        _ => None,
    }
}

fn read(config: &Value) -> Result<(RouterConfig, Vec<Warning>), CrossbarConfigError> {
    read_with_env(&config.to_string(), Path::new("/node/.crossbar"), &env)
}

fn read_ok(config: &Value) -> (RouterConfig, Vec<String>) {
    let (c, w) = read(config).unwrap_or_else(|e| panic!("{e}"));
    (c, w.iter().map(ToString::to_string).collect())
}

fn error(config: &Value) -> String {
    match read(config) {
        Ok(_) => panic!("read without error: {config}"),
        Err(e) => e.to_string(),
    }
}

/// A node with one router worker holding `realms` and `transports`.
fn node(realms: Value, transports: Value) -> Value {
    json!({"version": 2, "workers": [{"type": "router", "realms": realms, "transports": transports}]})
}

fn ws(port: u16) -> Value {
    json!({"type": "websocket", "endpoint": {"type": "tcp", "port": port}})
}

/// One websocket transport with `extra` keys merged in.
fn ws_with(extra: Value) -> Value {
    let mut t = ws(8080);
    for (k, v) in extra.as_object().unwrap() {
        t[k] = v.clone();
    }
    node(json!([]), json!([t]))
}

fn realm_with(permission: Value) -> Value {
    node(
        json!([{"name": "realm1", "roles": [{"name": "user", "permissions": [permission]}]}]),
        json!([ws(8080)]),
    )
}

#[test]
fn the_example_config_reads_with_only_the_cache_warning() {
    let text = include_str!("../../../examples/crossbar/config.json");
    let (config, warnings) = read_with_env(text, Path::new("."), &env).unwrap();
    assert_eq!(
        warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "workers[0].realms[0].roles[0].permissions[0].cache: not supported: authorization \
          decisions are not cached (the same decisions, made each time)"
        ]
    );
    let realm = &config.core.realms[0];
    assert_eq!(realm.name, "realm1");
    assert_eq!(realm.roles[0].name, "authenticated");
    let p = &realm.roles[0].permissions[0];
    assert_eq!((p.uri.as_str(), p.match_), ("", MatchPolicy::Prefix));
    assert_eq!(p.allow, crate::core::Allow::ALL);
    assert!(p.disclose.caller && p.disclose.publisher);
    assert_eq!(config.listeners.len(), 1);
    let l = &config.listeners[0];
    assert_eq!(l.kind, TransportKind::WebSocket);
    assert_eq!(
        l.endpoint,
        Endpoint::Tcp {
            host: "127.0.0.1".into(),
            port: 8080
        }
    );
    assert_eq!(l.path.as_deref(), Some("/ws"));
    let names: Vec<_> = l.serializers.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["json", "msgpack", "cbor"]);
    for method in ["ticket", "wampcra", "cryptosign", "scram"] {
        assert!(l.auth.has_method(method), "{method}");
    }
    assert!(!l.auth.has_method("anonymous"));
}

#[test]
fn every_unsupported_key_gets_one_warning_naming_its_path() {
    let config = json!({
        "version": 2,
        "$schema": "https://raw.githubusercontent.com/crossbario/crossbar/master/crossbar.json",
        "controller": {"id": "node1", "options": {"title": "x"}},
        "workers": [
            {
                "type": "router",
                "id": "worker1",
                "options": {"pythonpath": [".."]},
                "realms": [{
                    "name": "realm1",
                    "options": {"enable_meta_api": true, "event_dispatching_chunk_size": 100},
                    "roles": [
                        {"name": "a", "permissions": [{
                            "uri": "com.", "match": "prefix",
                            "allow": {"call": true, "maybe": true},
                            "disclose": {"caller": true},
                            "cache": true,
                            "validate": {"call": "int"},
                        }]},
                        {"name": "b", "authorizer": "com.example.authorize"},
                    ],
                }],
                "transports": [
                    {"type": "web", "id": "web1",
                     "endpoint": {"type": "tcp", "port": 8080, "backlog": 10},
                     "options": {"hsts": true},
                     "paths": {
                         "/": {"type": "static", "directory": "../web"},
                         "info": {"type": "nodeinfo"},
                         "ws": {"type": "websocket", "serializers": ["json", "ubjson"],
                                "options": {"max_frame_size": 1000, "compression": {}},
                                "cookie": {"store": {"type": "memory"}},
                                "auth": {"cookie": {},
                                         "ticket": {"type": "static", "principals": {
                                             "joe": {"ticket": "t", "role": "a", "extra": {}}}},
                                         "anonymous": {"type": "function", "create": "x"}}},
                         "ws2": {"type": "websocket"},
                     }},
                    {"type": "universal", "endpoint": {"type": "tcp", "port": 8081}},
                    {"type": "rawsocket", "endpoint": {"type": "twisted", "server_string": "x"},
                     "auth": {"whatever": {}}},
                    {"type": "rawsocket", "endpoint": {"type": "tcp", "portrange": [1, 2]}},
                    {"type": "rawsocket", "debug": true,
                     "endpoint": {"type": "tcp", "port": 8082, "shared": true},
                     "options": {"max_message_size": 1000, "other": 1}},
                ],
                "components": [{"type": "class", "classname": "x.Y", "realm": "realm1"}],
                "connections": [{"id": "c1"}],
                "manhole": {},
                "unknown": 1,
            },
            {"type": "container", "components": []},
            {"type": "guest", "executable": "/bin/true"},
        ],
        "extra_top": 1,
    });
    let (c, warnings) = read_ok(&config);
    let expected = [
        "controller.id: not supported (the node controller)",
        "controller.options: not supported (the node controller)",
        "workers[0].options.pythonpath: not supported (router worker options)",
        "workers[0].manhole: not supported",
        "workers[0].realms[0].roles[0].permissions[0].allow.maybe: not supported",
        "workers[0].realms[0].roles[0].permissions[0].cache: not supported: authorization \
         decisions are not cached (the same decisions, made each time)",
        "workers[0].realms[0].roles[0].permissions[0].validate: not supported (payload validation)",
        "workers[0].realms[0].roles[1].authorizer: dynamic authorization is not supported: the \
         role is allowed nothing",
        "workers[0].realms[0].options.event_dispatching_chunk_size: not supported (realm \
         options)",
        "workers[0].transports[0].endpoint.backlog: not supported (the system's default backlog)",
        "workers[0].transports[0].options.hsts: not supported (web transport options)",
        "workers[0].transports[0].paths./: type \"static\" is not supported",
        "workers[0].transports[0].paths.info: type \"nodeinfo\" is not supported",
        "workers[0].transports[0].paths.ws.serializers[1]: \"ubjson\" is not supported",
        "workers[0].transports[0].paths.ws.options.compression: not supported",
        "workers[0].transports[0].paths.ws.options.max_frame_size: not supported",
        "workers[0].transports[0].paths.ws.auth.anonymous.type: type \"function\" is not \
         supported: the method is off",
        "workers[0].transports[0].paths.ws.auth.cookie: method \"cookie\" is not supported",
        "workers[0].transports[0].paths.ws.auth.ticket.principals.joe.extra: not supported \
         (ignored)",
        "workers[0].transports[0].paths.ws.cookie: not supported (cookie tracking and \
         authentication)",
        "workers[0].transports[0].paths.ws2: a second websocket path on one web transport is \
         not supported (only /ws is served)",
        "workers[0].transports[1]: type \"universal\" is not supported",
        "workers[0].transports[2].endpoint: type \"twisted\" is not supported: the transport \
         is not started",
        "workers[0].transports[3].endpoint.portrange: not supported: the transport is not \
         started",
        "workers[0].transports[4].endpoint.shared: not supported (the port is not shared)",
        "workers[0].transports[4].options.other: not supported",
        "workers[0].transports[4].debug: not supported (the router logs through tracing)",
        "workers[0].components[0]: router components are not supported (type \"class\")",
        "workers[0].connections[0]: router connections are not supported",
        "workers[0].unknown: not supported",
        "workers[1]: type \"container\" is not supported (only router workers are read)",
        "workers[2]: type \"guest\" is not supported (only router workers are read)",
        "extra_top: not supported",
    ];
    for w in &warnings {
        assert!(expected.contains(&w.as_str()), "unexpected warning: {w}");
    }
    for e in expected {
        assert_eq!(
            warnings.iter().filter(|w| *w == e).count(),
            1,
            "expected once: {e}\nwarnings: {warnings:#?}"
        );
    }
    assert_eq!(warnings.len(), expected.len());
    // What is supported around them is read.
    assert_eq!(c.listeners.len(), 2);
    assert_eq!(c.listeners[0].path.as_deref(), Some("/ws"));
    assert_eq!(c.listeners[1].max_message_size, 1000);
    let auth = &c.listeners[0].auth;
    assert!(auth.ticket.is_some() && auth.anonymous.is_none());
    // The role with an authorizer exists, allowed nothing.
    assert!(c.core.realms[0].roles[1].permissions.is_empty());
}

#[test]
fn strict_reading_refuses_any_warning() {
    let (_, warnings) = read(&realm_with(
        json!({"uri": "", "match": "prefix", "cache": true}),
    ))
    .unwrap();
    let err = refuse_warnings(&warnings).unwrap_err();
    assert!(matches!(err, CrossbarConfigError::Unsupported(ref w) if w.len() == 1));
    assert!(
        err.to_string().starts_with(
            "1 unsupported setting (strict): workers[0].realms[0].roles[0].permissions[0].cache"
        ),
        "{err}"
    );
    // `cache: false` asks for what the router does: no warning.
    let (_, warnings) = read(&realm_with(
        json!({"uri": "", "match": "prefix", "cache": false}),
    ))
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn config_versions_other_than_2_are_errors() {
    let mut config = node(json!([]), json!([ws(1)]));
    config["version"] = json!(3);
    assert_eq!(
        error(&config),
        "version: unknown config version 3 (version 2 is read)"
    );
    config["version"] = json!(1);
    assert!(error(&config).starts_with("version: version 1 is too old"));
    config.as_object_mut().unwrap().remove("version");
    assert!(error(&config).starts_with("version: missing"));
    config["version"] = json!("2");
    assert!(error(&config).starts_with("version: unknown config version \"2\""));
}

#[test]
fn bad_json_is_an_error_with_its_line_and_column() {
    let err =
        read_with_env("{\"version\": 2,\n \"workers\": [}", Path::new("."), &env).unwrap_err();
    assert!(matches!(err, CrossbarConfigError::Json(_)));
    assert!(err.to_string().contains("line 2 column"), "{err}");
    let err = read_with_env("[]", Path::new("."), &env).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the top level: expected an object, found a list"
    );
}

#[test]
fn values_of_the_wrong_type_are_errors_naming_the_key() {
    let cases = [
        (
            ws_with(json!({"endpoint": {"type": "tcp", "port": "eighty"}})),
            "workers[0].transports[0].endpoint.port: a port is a number or \"$VAR\"",
        ),
        (
            ws_with(json!({"endpoint": {"type": "tcp", "port": 70000}})),
            "workers[0].transports[0].endpoint.port: 70000 is not a port (0 to 65535)",
        ),
        (
            ws_with(json!({"endpoint": {"type": "tcp"}})),
            "workers[0].transports[0].endpoint: missing \"port\"",
        ),
        (
            ws_with(json!({"endpoint": {"type": "tcp", "port": 1, "version": 5}})),
            "workers[0].transports[0].endpoint.version: 4 or 6 expected",
        ),
        (
            ws_with(json!({"serializers": "json"})),
            "workers[0].transports[0].serializers: expected a list, found a string",
        ),
        (
            ws_with(json!({"serializers": ["ubjson"]})),
            "workers[0].transports[0].serializers: no supported serializer (json, msgpack or cbor)",
        ),
        (
            ws_with(json!({"options": {"max_message_size": 0}})),
            "workers[0].transports[0].options.max_message_size: 0 is out of range (1 to 67108864, \
             as Crossbar.io)",
        ),
        (
            ws_with(json!({"options": {"auto_ping_interval": -1}})),
            "workers[0].transports[0].options.auto_ping_interval: expected a non-negative \
             integer, found -1",
        ),
        (
            ws_with(json!({"auth": {"ticket": {"type": "static", "principals": {
                "joe": {"role": "user"}}}}})),
            "workers[0].transports[0].auth.ticket.principals.joe: missing field `ticket`",
        ),
        (
            ws_with(json!({"auth": {"wampcra": {"type": "static", "users": {
                "joe": {"secret": "s", "role": "user", "iterations": "many"}}}}})),
            "workers[0].transports[0].auth.wampcra.users.joe: invalid type: string \"many\", \
             expected u32",
        ),
        (
            ws_with(json!({"auth": {"ticket": {"type": "dynamic"}}})),
            "workers[0].transports[0].auth.ticket: missing field `authenticator`",
        ),
        (
            ws_with(json!({"auth": []})),
            "workers[0].transports[0].auth: expected an object, found a list",
        ),
        (
            realm_with(json!({"uri": "com.", "match": "regex"})),
            "workers[0].realms[0].roles[0].permissions[0].match: unknown match policy \"regex\" \
             (exact, prefix or wildcard)",
        ),
        (
            realm_with(json!({"uri": "com.", "allow": {"call": "yes"}})),
            "workers[0].realms[0].roles[0].permissions[0].allow.call: expected true or false, \
             found a string",
        ),
        (
            realm_with(json!({"uri": "com. x"})),
            "workers[0].realms[0].roles[0].permissions[0].uri: invalid uri \"com. x\": \
             components may not hold whitespace or '#'",
        ),
        (
            realm_with(json!({"match": "exact"})),
            "workers[0].realms[0].roles[0].permissions[0]: missing \"uri\"",
        ),
        (
            node(json!([{"name": "1x"}]), json!([ws(1)])),
            "workers[0].realms[0].name: invalid uri \"1x\": a realm starts with a letter and \
             holds 3 to 255 ascii letters, digits, '_', '-', '@' or '.'",
        ),
        (
            node(json!([{"roles": []}]), json!([ws(1)])),
            "workers[0].realms[0]: missing \"name\"",
        ),
        (
            node(json!({}), json!([ws(1)])),
            "workers[0].realms: expected a list, found an object",
        ),
        (
            node(
                json!([]),
                json!([{"type": "web", "endpoint": {"type": "tcp", "port": 1},
                                    "paths": {"a/b": {"type": "websocket"}}}]),
            ),
            "workers[0].transports[0].paths.a/b: a path is \"/\" or letters, digits, '_' and \
             '-' (as Crossbar.io requires)",
        ),
        (
            json!({"version": 2, "workers": [{"realms": []}]}),
            "workers[0]: missing \"type\"",
        ),
    ];
    for (config, expected) in cases {
        assert_eq!(error(&config), expected, "{config}");
    }
}

#[test]
fn two_transports_on_one_endpoint_are_an_error() {
    let config = json!({"version": 2, "workers": [
        {"type": "router", "transports": [ws(8080)]},
        {"type": "router", "transports": [ws(8081), {"type": "rawsocket",
            "endpoint": {"type": "tcp", "port": 8080}}]},
    ]});
    assert_eq!(
        error(&config),
        "workers[1].transports[1].endpoint: the same endpoint as workers[0].transports[0].endpoint \
         (one transport per endpoint)"
    );
    // Port 0 picks a free port each time.
    let (c, _) = read_ok(&node(json!([]), json!([ws(0), ws(0)])));
    assert_eq!(c.listeners.len(), 2);
}

#[test]
fn a_config_with_nothing_to_listen_on_is_an_error() {
    let config = node(
        json!([]),
        json!([{"type": "mqtt", "endpoint": {"type": "tcp", "port": 1883}}]),
    );
    assert!(matches!(
        read(&config),
        Err(CrossbarConfigError::NoListener)
    ));
    let config = json!({"version": 2, "controller": {}});
    assert!(matches!(
        read(&config),
        Err(CrossbarConfigError::NoListener)
    ));
}

#[test]
fn a_realm_without_roles_exists_with_no_role() {
    let (c, warnings) = read_ok(&node(
        json!([{"name": "realm1"}, {"name": "realm2", "roles": []}]),
        json!([ws(1)]),
    ));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.core.realms.len(), 2);
    assert!(c.core.realms.iter().all(|r| r.roles.is_empty()));
}

#[test]
fn the_builtin_role_trusted_cannot_be_defined() {
    let config = node(
        json!([{"name": "realm1", "roles": [{"name": "trusted"}]}]),
        json!([ws(1)]),
    );
    assert!(error(&config).starts_with("workers[0].realms[0].roles[0].name: the role \"trusted\""));
}

#[test]
fn a_role_defined_twice_keeps_the_last_definition_with_a_warning() {
    let (c, warnings) = read_ok(&node(
        json!([{"name": "realm1", "roles": [
            {"name": "user", "permissions": [{"uri": "a", "allow": {"call": true}}]},
            {"name": "user", "permissions": [{"uri": "b", "allow": {"call": true}}]},
        ]}]),
        json!([ws(1)]),
    ));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("workers[0].realms[0].roles[1]: role \"user\" is defined twice")
    );
    assert_eq!(c.core.realms[0].roles.len(), 1);
    assert_eq!(c.core.realms[0].roles[0].permissions[0].uri, "b");
}

#[test]
fn permissions_without_match_use_starred_uris() {
    let (c, _) = read_ok(&node(
        json!([{"name": "realm1", "roles": [{"name": "user", "permissions": [
            {"uri": "com.example.add2"},
            {"uri": "com.example.*", "allow": {"publish": true}},
            {"uri": "com.*.topic", "disclose": {"publisher": true}},
            {"uri": "com.*", "match": "exact"},
        ]}]}]),
        json!([ws(1)]),
    ));
    let p = &c.core.realms[0].roles[0].permissions;
    let got: Vec<_> = p.iter().map(|p| (p.uri.as_str(), p.match_)).collect();
    assert_eq!(
        got,
        [
            ("com.example.add2", MatchPolicy::Exact),
            ("com.example.", MatchPolicy::Prefix),
            ("com..topic", MatchPolicy::Wildcard),
            ("com.*", MatchPolicy::Exact),
        ]
    );
    assert_eq!(p[0].allow, crate::core::Allow::NONE);
    assert!(p[1].allow.publish && !p[1].allow.subscribe);
    assert!(p[2].disclose.publisher && !p[2].disclose.caller);
}

#[test]
fn several_router_workers_are_merged_and_a_shared_realm_keeps_its_first_roles() {
    let worker = |role: &str, port: u16| {
        json!({"type": "router",
               "realms": [{"name": "realm1", "roles": [{"name": role}]}],
               "transports": [ws(port)]})
    };
    let config = json!({"version": 2, "workers": [worker("a", 1), worker("b", 2)]});
    let (c, warnings) = read_ok(&config);
    assert_eq!(c.listeners.len(), 2);
    assert_eq!(c.core.realms.len(), 1);
    assert_eq!(c.core.realms[0].roles[0].name, "a");
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .starts_with("workers[1].realms[0]: realm \"realm1\" is also defined by workers[0]"),
        "{warnings:?}"
    );
    // Twice in one worker: an error, as Crossbar.io refuses to start a realm twice.
    let config = node(
        json!([{"name": "realm1"}, {"name": "realm1"}]),
        json!([ws(1)]),
    );
    assert_eq!(
        error(&config),
        "workers[0].realms[1]: realm \"realm1\" is defined twice in this worker"
    );
}

#[test]
fn endpoints_read_interface_version_environment_ports_and_unix_paths() {
    let config = node(
        json!([]),
        json!([
            {"type": "rawsocket", "endpoint": {"type": "tcp", "port": "$ROUTER_PORT"}},
            {"type": "rawsocket", "endpoint": {"type": "tcp", "port": 2, "version": 6}},
            {"type": "rawsocket", "endpoint": {"type": "tcp", "port": 3, "version": 6,
                                               "interface": "::1"}},
            {"type": "rawsocket", "endpoint": {"type": "unix", "path": "router.sock"}},
            {"type": "rawsocket", "endpoint": {"type": "unix", "path": "$SOCKETS/r.sock"}},
            {"type": "rawsocket", "endpoint": {"type": "unix", "path": "/abs/${UNSET}.sock"}},
        ]),
    );
    let (c, warnings) = read_ok(&config);
    assert!(warnings.is_empty(), "{warnings:?}");
    let endpoints: Vec<_> = c.listeners.iter().map(|l| l.endpoint.clone()).collect();
    let tcp = |host: &str, port| Endpoint::Tcp {
        host: host.into(),
        port,
    };
    let unix = |p: &str| Endpoint::Unix { path: p.into() };
    assert_eq!(
        endpoints,
        [
            tcp("0.0.0.0", 9001),
            tcp("::", 2),
            tcp("::1", 3),
            unix("/node/.crossbar/router.sock"),
            unix("/run/sockets/r.sock"),
            unix("/abs/${UNSET}.sock"),
        ]
    );
    let bad = |port: &str| {
        error(&node(
            json!([]),
            json!([{"type": "rawsocket", "endpoint": {"type": "tcp", "port": port}}]),
        ))
    };
    assert_eq!(
        bad("$UNSET"),
        "workers[0].transports[0].endpoint.port: the environment variable UNSET is not set"
    );
    assert_eq!(
        bad("$NOT_A_PORT"),
        "workers[0].transports[0].endpoint.port: the environment variable NOT_A_PORT is not a \
         port: \"http\""
    );
}

#[test]
fn websocket_and_rawsocket_options_are_read() {
    let (c, warnings) = read_ok(&ws_with(json!({"options": {
        "max_message_size": 1048576,
        "auto_ping_interval": 10000,
        "auto_ping_timeout": 5000,
        "open_handshake_timeout": 2500,
    }})));
    assert!(warnings.is_empty(), "{warnings:?}");
    let l = &c.listeners[0];
    assert_eq!(l.max_message_size, 1 << 20);
    assert_eq!(
        l.auto_ping,
        Some(AutoPing {
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5)
        })
    );
    assert_eq!(l.handshake_timeout, Duration::from_millis(2500));
    assert!(l.path.is_none(), "a websocket transport serves any path");

    // An interval without a timeout: pings, and a day for the pong.
    let (c, _) = read_ok(&ws_with(json!({"options": {"auto_ping_interval": 1000}})));
    assert_eq!(c.listeners[0].auto_ping.unwrap().timeout, NO_PING_TIMEOUT);
    // A timeout without an interval, or interval 0: no pings, as Autobahn.
    let (c, _) = read_ok(&ws_with(
        json!({"options": {"auto_ping_interval": 0, "auto_ping_timeout": 1000}}),
    ));
    assert_eq!(c.listeners[0].auto_ping, None);
    // open_handshake_timeout 0 means no deadline in Autobahn: the default stays, warned.
    let (c, warnings) = read_ok(&ws_with(json!({"options": {"open_handshake_timeout": 0}})));
    assert_eq!(
        c.listeners[0].handshake_timeout,
        ListenerConfig::DEFAULT_HANDSHAKE_TIMEOUT
    );
    assert_eq!(warnings.len(), 1);

    // RawSocket has only max_message_size; auto pings are WebSocket options.
    let (c, warnings) = read_ok(&node(
        json!([]),
        json!([{"type": "rawsocket", "endpoint": {"type": "tcp", "port": 1},
                "serializers": ["cbor", "cbor", "json"],
                "options": {"max_message_size": 65536, "auto_ping_interval": 1000}}]),
    ));
    assert_eq!(
        warnings,
        ["workers[0].transports[0].options.auto_ping_interval: not supported"]
    );
    let l = &c.listeners[0];
    assert_eq!(l.kind, TransportKind::RawSocket);
    assert_eq!(l.max_message_size, 65536);
    assert_eq!(l.auto_ping, None);
    let names: Vec<_> = l.serializers.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["cbor", "json"]);
}

#[test]
fn a_web_transport_serves_its_websocket_path_at_root_or_under_its_key() {
    let web = |key: &str| {
        node(
            json!([]),
            json!([{"type": "web", "endpoint": {"type": "tcp", "port": 1},
                    "paths": {key: {"type": "websocket"}}}]),
        )
    };
    assert_eq!(read_ok(&web("/")).0.listeners[0].path.as_deref(), Some("/"));
    assert_eq!(
        read_ok(&web("my-ws_1")).0.listeners[0].path.as_deref(),
        Some("/my-ws_1")
    );
    // Only static content: a warning, and nothing to listen on.
    let config = node(
        json!([]),
        json!([{"type": "web", "endpoint": {"type": "tcp", "port": 1},
                "paths": {"/": {"type": "static", "directory": "."}}}]),
    );
    assert!(matches!(
        read(&config),
        Err(CrossbarConfigError::NoListener)
    ));
}

#[test]
fn auth_is_anonymous_without_an_auth_object_or_with_an_empty_one() {
    let (c, _) = read_ok(&ws_with(json!({})));
    assert_eq!(
        *c.listeners[0].auth,
        AuthConfig::anonymous_only("anonymous")
    );
    // Crossbar.io tests `if not auth_config`: an empty object is no auth.
    let (c, _) = read_ok(&ws_with(json!({"auth": {}})));
    assert_eq!(
        *c.listeners[0].auth,
        AuthConfig::anonymous_only("anonymous")
    );
    // Only unsupported methods: they are off, so nobody gets in (never anonymous).
    let (c, warnings) = read_ok(&ws_with(json!({"auth": {"tls": {"type": "static"}}})));
    assert_eq!(*c.listeners[0].auth, AuthConfig::default());
    assert_eq!(
        warnings,
        ["workers[0].transports[0].auth.tls: method \"tls\" is not supported"]
    );
    let (c, _) = read_ok(&ws_with(
        json!({"auth": {"anonymous": {"type": "static", "role": "guest"}}}),
    ));
    assert!(matches!(
        c.listeners[0].auth.anonymous,
        Some(AnonymousConfig::Static { ref role, .. }) if role == "guest"
    ));
}

#[test]
fn secrets_written_as_environment_variables_are_read_from_it() {
    let (c, _) = read_ok(&ws_with(json!({"auth": {
        "ticket": {"type": "static", "principals": {"joe": {"ticket": "${TICKET}", "role": "u"}}},
        "wampcra": {"type": "static", "users": {"ann": {"secret": "${TICKET}", "role": "u"}}},
    }})));
    let Some(MethodConfig::Static(p)) = &c.listeners[0].auth.ticket else {
        panic!("static ticket")
    };
    assert_eq!(p["joe"].ticket.expose(), "from-the-environment");
    let Some(MethodConfig::Static(p)) = &c.listeners[0].auth.wampcra else {
        panic!("static wampcra")
    };
    assert_eq!(p["ann"].secret.expose(), "from-the-environment");
    let err = error(&ws_with(json!({"auth": {
        "ticket": {"type": "static", "principals": {"joe": {"ticket": "${UNSET}", "role": "u"}}},
    }})));
    assert_eq!(
        err,
        "workers[0].transports[0].auth.ticket.principals.joe.ticket: the environment variable \
         UNSET is not set"
    );
}

#[test]
fn dynamic_authenticators_and_auth_problems_are_warned_about() {
    let (c, warnings) = read_ok(&ws_with(json!({"auth": {
        "ticket": {"type": "dynamic", "authenticator": "com.example.auth"},
        "wampcra": {"type": "dynamic", "authenticator": "com.example.auth"},
        "cryptosign": {"type": "static", "principals": {"k": {"authorized_keys": ["ab"],
                                                              "role": "u"}}},
    }})));
    assert!(c.listeners[0].auth.ticket.is_some());
    let expected = [
        "workers[0].transports[0].auth: wampcra: dynamic authenticators are not supported for \
         this method",
        "workers[0].transports[0].auth: cryptosign principal \"k\": authorized key 1 is not an \
         ed25519 public key (64 hex characters)",
    ];
    for e in expected {
        assert!(warnings.iter().any(|w| w == e), "{e}\n{warnings:#?}");
    }
    assert!(
        warnings.iter().any(|w| w.starts_with(
            "workers[0].transports[0].auth: ticket: type \"dynamic\" is not supported from a \
             config file"
        )),
        "{warnings:#?}"
    );
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
}

/// A CA and a leaf certificate signed by it: (CA PEM, leaf PEM, leaf key PEM).
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

#[test]
fn tls_files_are_read_relative_to_the_base_directory() {
    let dir = std::env::temp_dir().join(format!("wamp-crossbar-tls-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    let (ca, cert, key) = certificates();
    std::fs::write(dir.join("keys/server.key"), &key).unwrap();
    std::fs::write(dir.join("server.crt"), &cert).unwrap();
    std::fs::write(dir.join("ca.crt"), &ca).unwrap();
    let tls = |key: &str, certificate: &str| {
        ws_with(json!({"endpoint": {"type": "tcp", "port": 1, "tls": {
            "key": key, "certificate": certificate,
            "chain_certificates": ["ca.crt"],
            "ciphers": "ECDHE-RSA-AES128-GCM-SHA256", "dhparam": "dh.pem",
            "ca_certificates": ["clients.crt"],
        }}}))
    };
    let config = tls("keys/server.key", "server.crt");
    let (c, warnings) = read_with_env(&config.to_string(), &dir, &env).unwrap();
    let t = c.listeners[0].tls.as_ref().expect("tls");
    assert_eq!(t.cert_chain_pem, format!("{cert}\n{ca}").into_bytes());
    assert_eq!(t.key_pem.as_slice(), key.as_bytes());
    let keys: Vec<_> = warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        keys,
        [
            "workers[0].transports[0].endpoint.tls.ciphers",
            "workers[0].transports[0].endpoint.tls.dhparam",
            "workers[0].transports[0].endpoint.tls.ca_certificates",
        ]
    );
    let err = |config: &Value| {
        read_with_env(&config.to_string(), &dir, &env)
            .unwrap_err()
            .to_string()
    };
    // An absolute path stays absolute; a missing file is an error naming it.
    let missing = dir.join("missing.key");
    assert!(
        err(&tls(&missing.display().to_string(), "server.crt")).starts_with(&format!(
            "workers[0].transports[0].endpoint.tls.key: cannot read {}",
            missing.display()
        ))
    );
    // Files that do not hold what they should.
    assert_eq!(
        err(&tls("server.crt", "server.crt")),
        format!(
            "workers[0].transports[0].endpoint.tls.key: no pem private key in {}",
            dir.join("server.crt").display()
        )
    );
    assert_eq!(
        err(&tls("keys/server.key", "keys/server.key")),
        format!(
            "workers[0].transports[0].endpoint.tls.certificate: no pem certificate in {}",
            dir.join("keys/server.key").display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn from_file_reads_relative_to_the_file_and_refuses_warnings_when_strict() {
    let dir = std::env::temp_dir().join(format!("wamp-crossbar-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.json");
    let config = node(
        json!([{"name": "realm1", "store": {"type": "memory"}}]),
        json!([{"type": "rawsocket", "endpoint": {"type": "unix", "path": "r.sock"}}]),
    );
    std::fs::write(&file, config.to_string()).unwrap();
    let (c, warnings) = from_file(&file, false).unwrap();
    assert_eq!(
        c.listeners[0].endpoint,
        Endpoint::Unix {
            path: dir.join("r.sock")
        }
    );
    assert_eq!(warnings.len(), 1);
    let err = from_file(&file, true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 unsupported setting (strict): workers[0].realms[0].store: not supported (event \
         history)"
    );
    let err = from_file(&dir.join("absent.json"), false).unwrap_err();
    assert!(matches!(err, CrossbarConfigError::Read { .. }), "{err}");
    let err = from_file(&dir.join("config.yaml"), false).unwrap_err();
    assert!(
        err.to_string().contains("yaml configs are not supported"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
