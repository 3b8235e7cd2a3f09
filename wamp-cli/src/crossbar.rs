//! Crossbar.io's node configuration (`.crossbar/config.json`) read into a
//! [`RouterConfig`]: router workers' realms, roles and permissions; `websocket`, `rawsocket`
//! and the `websocket` paths of `web` transports; TCP (with TLS) and Unix endpoints;
//! serializers; `max_message_size` and WebSocket auto pings; `auth` with static principals.
//!
//! Whatever the router does not support is named in one warning per key (a path such as
//! `workers[0].transports[1].paths./`), never dropped silently; the caller prints them, or
//! refuses to start when strict. A config that is wrong (not merely unsupported) is an error.
//!
//! No dependency on the command line: this module could live in `wamp-router` as is.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use wamp_core::serializer::{Cbor, Json, MsgPack, Serializer};
use wamp_router::core::{
    Allow, AnonymousConfig, AuthConfig, Disclose, MatchPolicy, MethodConfig, Permission,
    RealmConfig, RoleConfig,
};
use wamp_router::{AutoPing, Endpoint, ListenerConfig, RouterConfig, TlsConfig, TransportKind};

/// A configuration read, and what in it the router ignores.
#[derive(Debug)]
pub struct Loaded {
    /// What the router runs.
    pub config: RouterConfig,
    /// One line per key not supported: `<path>: <why>`.
    pub warnings: Vec<String>,
}

/// Reads the configuration file at `path`; relative paths in it (TLS keys and certificates,
/// Unix sockets) are relative to its directory, as Crossbar.io's node directory.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parse(&text, base).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a configuration from its JSON text.
pub fn parse(text: &str, base: &Path) -> Result<Loaded, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("not json: {e}"))?;
    let mut reader = Reader {
        base: base.to_path_buf(),
        warnings: Vec::new(),
        config: RouterConfig::default(),
    };
    reader.node(&root)?;
    if reader.config.listeners.is_empty() {
        return Err(
            "no transport to listen on (a router worker with a websocket, rawsocket \
                    or web transport)"
                .to_owned(),
        );
    }
    Ok(Loaded {
        config: reader.config,
        warnings: reader.warnings,
    })
}

struct Reader {
    base: PathBuf,
    warnings: Vec<String>,
    config: RouterConfig,
}

type Obj = Map<String, Value>;

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Obj, String> {
    v.as_object()
        .ok_or_else(|| format!("{path}: expected an object"))
}

fn list<'a>(v: Option<&'a Value>, path: &str) -> Result<&'a [Value], String> {
    match v {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("{path}: expected a list")),
    }
}

fn string<'a>(obj: &'a Obj, key: &str, path: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{path}.{key}: expected a string")),
    }
}

fn required_string<'a>(obj: &'a Obj, key: &str, path: &str) -> Result<&'a str, String> {
    string(obj, key, path)?.ok_or_else(|| format!("{path}.{key}: missing"))
}

fn boolean(obj: &Obj, key: &str, path: &str) -> Result<bool, String> {
    match obj.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{path}.{key}: expected true or false")),
    }
}

fn unsigned(v: &Value, path: &str) -> Result<u64, String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("{path}: expected a non-negative integer")),
        // Crossbar accepts ports as strings too.
        Value::String(s) => s
            .parse()
            .map_err(|_| format!("{path}: expected a non-negative integer")),
        _ => Err(format!("{path}: expected a non-negative integer")),
    }
}

impl Reader {
    fn warn(&mut self, path: &str, why: &str) {
        self.warnings.push(format!("{path}: {why}"));
    }

    /// Warns about each key of `obj` not in `known`.
    fn other_keys(&mut self, obj: &Obj, path: &str, known: &[&str]) {
        for key in obj.keys() {
            if !known.contains(&key.as_str()) {
                self.warn(&format!("{path}.{key}"), "not supported (ignored)");
            }
        }
    }

    fn node(&mut self, root: &Value) -> Result<(), String> {
        let root = object(root, "the configuration")?;
        self.other_keys(
            root,
            "config",
            &["$schema", "version", "controller", "workers"],
        );
        match root.get("version") {
            None => {}
            Some(v) if v.as_u64() == Some(2) => {}
            Some(v) => self.warn("config.version", &format!("version {v} read as version 2")),
        }
        if let Some(controller) = root.get("controller") {
            let controller = object(controller, "controller")?;
            self.other_keys(controller, "controller", &[]);
        }
        for (i, worker) in list(root.get("workers"), "workers")?.iter().enumerate() {
            let path = format!("workers[{i}]");
            let worker = object(worker, &path)?;
            match required_string(worker, "type", &path)? {
                "router" => self.router(worker, &path)?,
                other => self.warn(
                    &path,
                    &format!("{other} workers are not supported (ignored)"),
                ),
            }
        }
        Ok(())
    }

    fn router(&mut self, worker: &Obj, path: &str) -> Result<(), String> {
        self.other_keys(worker, path, &["type", "id", "realms", "transports"]);
        let realms_path = format!("{path}.realms");
        for (i, realm) in list(worker.get("realms"), &realms_path)?.iter().enumerate() {
            let realm = self.realm(realm, &format!("{realms_path}[{i}]"))?;
            if self.config.core.realms.iter().any(|r| r.name == realm.name) {
                return Err(format!(
                    "{realms_path}[{i}]: realm {:?} is configured twice",
                    realm.name
                ));
            }
            self.config.core.realms.push(realm);
        }
        let transports_path = format!("{path}.transports");
        for (i, transport) in list(worker.get("transports"), &transports_path)?
            .iter()
            .enumerate()
        {
            self.transport(transport, &format!("{transports_path}[{i}]"))?;
        }
        Ok(())
    }

    fn realm(&mut self, realm: &Value, path: &str) -> Result<RealmConfig, String> {
        let realm = object(realm, path)?;
        self.other_keys(realm, path, &["name", "roles"]);
        let name = required_string(realm, "name", path)?;
        wamp_core::uri::validate_realm(name).map_err(|e| format!("{path}.name: {e}"))?;
        let mut config = RealmConfig {
            name: name.to_owned(),
            roles: Vec::new(),
        };
        let roles_path = format!("{path}.roles");
        for (i, role) in list(realm.get("roles"), &roles_path)?.iter().enumerate() {
            let role_path = format!("{roles_path}[{i}]");
            let role = object(role, &role_path)?;
            self.other_keys(role, &role_path, &["name", "permissions"]);
            let name = required_string(role, "name", &role_path)?;
            let mut permissions = Vec::new();
            let perms_path = format!("{role_path}.permissions");
            for (j, p) in list(role.get("permissions"), &perms_path)?
                .iter()
                .enumerate()
            {
                permissions.push(self.permission(p, &format!("{perms_path}[{j}]"))?);
            }
            config.roles.push(RoleConfig {
                name: name.to_owned(),
                permissions,
            });
        }
        Ok(config)
    }

    fn permission(&mut self, p: &Value, path: &str) -> Result<Permission, String> {
        let p = object(p, path)?;
        // `cache` is a hint to Crossbar's authorizer cache: nothing to do here.
        self.other_keys(p, path, &["uri", "match", "allow", "disclose", "cache"]);
        let uri = required_string(p, "uri", path)?;
        let (uri, match_) = match string(p, "match", path)? {
            Some("exact") => (uri.to_owned(), MatchPolicy::Exact),
            Some("prefix") => (uri.to_owned(), MatchPolicy::Prefix),
            Some("wildcard") => (uri.to_owned(), MatchPolicy::Wildcard),
            Some(other) => {
                return Err(format!(
                    "{path}.match: {other:?} is not exact, prefix or wildcard"
                ))
            }
            // Crossbar's starred URIs: `com.example.*` is a prefix, other stars wildcards.
            None => match uri.matches('*').count() {
                0 => (uri.to_owned(), MatchPolicy::Exact),
                1 if uri.ends_with('*') => (uri[..uri.len() - 1].to_owned(), MatchPolicy::Prefix),
                _ => (uri.replace('*', ""), MatchPolicy::Wildcard),
            },
        };
        let allow = match p.get("allow") {
            None => Allow::NONE,
            Some(a) => {
                let a_path = format!("{path}.allow");
                let a = object(a, &a_path)?;
                self.other_keys(a, &a_path, &["call", "register", "publish", "subscribe"]);
                Allow {
                    call: boolean(a, "call", &a_path)?,
                    register: boolean(a, "register", &a_path)?,
                    publish: boolean(a, "publish", &a_path)?,
                    subscribe: boolean(a, "subscribe", &a_path)?,
                }
            }
        };
        let disclose = match p.get("disclose") {
            None => Disclose::default(),
            Some(d) => {
                let d_path = format!("{path}.disclose");
                let d = object(d, &d_path)?;
                self.other_keys(d, &d_path, &["caller", "publisher"]);
                Disclose {
                    caller: boolean(d, "caller", &d_path)?,
                    publisher: boolean(d, "publisher", &d_path)?,
                }
            }
        };
        Ok(Permission {
            uri,
            match_,
            allow,
            disclose,
        })
    }

    fn transport(&mut self, t: &Value, path: &str) -> Result<(), String> {
        let t = object(t, path)?;
        match required_string(t, "type", path)? {
            "websocket" => {
                self.other_keys(
                    t,
                    path,
                    &["type", "id", "endpoint", "serializers", "options", "auth"],
                );
                let endpoint = self.endpoint(t, path)?;
                let l = self.listener(TransportKind::WebSocket, endpoint, t, path)?;
                self.config.listeners.push(l);
            }
            "rawsocket" => {
                self.other_keys(
                    t,
                    path,
                    &[
                        "type",
                        "id",
                        "endpoint",
                        "serializers",
                        "options",
                        "auth",
                        "max_message_size",
                    ],
                );
                let endpoint = self.endpoint(t, path)?;
                let mut l = self.listener(TransportKind::RawSocket, endpoint, t, path)?;
                if let Some(size) = t.get("max_message_size") {
                    l.max_message_size = message_size(size, &format!("{path}.max_message_size"))?;
                }
                self.config.listeners.push(l);
            }
            "web" => {
                self.other_keys(t, path, &["type", "id", "endpoint", "paths"]);
                let endpoint = self.endpoint(t, path)?;
                let paths_path = format!("{path}.paths");
                let paths = match t.get("paths") {
                    Some(p) => object(p, &paths_path)?,
                    None => return Err(format!("{paths_path}: missing")),
                };
                let mut served = false;
                for (name, service) in paths {
                    let service_path = format!("{paths_path}.{name}");
                    let service = object(service, &service_path)?;
                    let kind = required_string(service, "type", &service_path)?;
                    if kind != "websocket" {
                        self.warn(
                            &service_path,
                            &format!("web services of type {kind} are not supported (ignored)"),
                        );
                        continue;
                    }
                    if served {
                        // One WebSocket path per endpoint: the router serves one path per
                        // listener, and a port is bound once.
                        self.warn(
                            &service_path,
                            "a second websocket path on the same endpoint is not supported (ignored)",
                        );
                        continue;
                    }
                    self.other_keys(
                        service,
                        &service_path,
                        &["type", "serializers", "options", "auth"],
                    );
                    let mut l = self.listener(
                        TransportKind::WebSocket,
                        endpoint.clone(),
                        service,
                        &service_path,
                    )?;
                    l.path = Some(if name == "/" {
                        "/".to_owned()
                    } else {
                        format!("/{}", name.trim_start_matches('/'))
                    });
                    self.config.listeners.push(l);
                    served = true;
                }
                if !served {
                    self.warn(path, "a web transport without a websocket path (ignored)");
                }
            }
            other => self.warn(
                path,
                &format!("{other} transports are not supported (ignored)"),
            ),
        }
        Ok(())
    }

    /// A listener of `kind` on the endpoint, with `serializers`, `options` and `auth` read
    /// from `settings` (the transport, or a web transport's websocket path).
    fn listener(
        &mut self,
        kind: TransportKind,
        (endpoint, tls): (Endpoint, Option<TlsConfig>),
        settings: &Obj,
        path: &str,
    ) -> Result<ListenerConfig, String> {
        let mut l = ListenerConfig::new(kind, endpoint);
        l.tls = tls;
        if let Some(names) = settings.get("serializers") {
            let s_path = format!("{path}.serializers");
            let mut serializers: Vec<Arc<dyn Serializer>> = Vec::new();
            for (i, name) in list(Some(names), &s_path)?.iter().enumerate() {
                match name.as_str() {
                    Some("json") => serializers.push(Arc::new(Json)),
                    Some("msgpack") => serializers.push(Arc::new(MsgPack)),
                    Some("cbor") => serializers.push(Arc::new(Cbor)),
                    Some(other) => self.warn(
                        &format!("{s_path}[{i}]"),
                        &format!("serializer {other} is not supported (ignored)"),
                    ),
                    None => return Err(format!("{s_path}[{i}]: expected a string")),
                }
            }
            if serializers.is_empty() {
                return Err(format!(
                    "{s_path}: no supported serializer (json, msgpack, cbor)"
                ));
            }
            l.serializers = serializers;
        }
        if let Some(options) = settings.get("options") {
            let o_path = format!("{path}.options");
            let options = object(options, &o_path)?;
            let known: &[&str] = match kind {
                TransportKind::WebSocket => &[
                    "max_message_size",
                    "auto_ping_interval",
                    "auto_ping_timeout",
                ],
                TransportKind::RawSocket => &["max_message_size"],
            };
            self.other_keys(options, &o_path, known);
            if let Some(size) = options.get("max_message_size") {
                l.max_message_size = message_size(size, &format!("{o_path}.max_message_size"))?;
            }
            if let Some(interval) = options.get("auto_ping_interval") {
                let interval = unsigned(interval, &format!("{o_path}.auto_ping_interval"))?;
                let timeout = match options.get("auto_ping_timeout") {
                    Some(t) => unsigned(t, &format!("{o_path}.auto_ping_timeout"))?,
                    None => interval,
                };
                if interval > 0 {
                    l.auto_ping = Some(AutoPing {
                        interval: Duration::from_millis(interval),
                        timeout: Duration::from_millis(timeout.max(1)),
                    });
                }
            }
        }
        l.auth = Arc::new(match settings.get("auth") {
            None => AuthConfig::anonymous_only("anonymous"),
            Some(auth) => self.auth(auth, &format!("{path}.auth"))?,
        });
        Ok(l)
    }

    fn auth(&mut self, auth: &Value, path: &str) -> Result<AuthConfig, String> {
        object(auth, path)?;
        for key in AuthConfig::unsupported_keys(auth) {
            self.warn(&format!("{path}.{key}"), "not supported (ignored)");
        }
        let mut config: AuthConfig =
            serde_json::from_value(auth.clone()).map_err(|e| format!("{path}: {e}"))?;
        // A dynamic authenticator is a WAMP procedure Crossbar calls; this router takes one
        // only as Rust code (the embedding API).
        let dynamic = "a dynamic authenticator (a WAMP procedure) is not supported: the method \
                       is refused";
        if matches!(config.anonymous, Some(AnonymousConfig::Dynamic(_))) {
            config.anonymous = None;
            self.warn(&format!("{path}.anonymous"), dynamic);
        }
        if matches!(config.ticket, Some(MethodConfig::Dynamic(_))) {
            config.ticket = None;
            self.warn(&format!("{path}.ticket"), dynamic);
        }
        if matches!(config.wampcra, Some(MethodConfig::Dynamic(_))) {
            config.wampcra = None;
            self.warn(&format!("{path}.wampcra"), dynamic);
        }
        if matches!(config.cryptosign, Some(MethodConfig::Dynamic(_))) {
            config.cryptosign = None;
            self.warn(&format!("{path}.cryptosign"), dynamic);
        }
        if matches!(config.scram, Some(MethodConfig::Dynamic(_))) {
            config.scram = None;
            self.warn(&format!("{path}.scram"), dynamic);
        }
        Ok(config)
    }

    /// The transport's `endpoint`: TCP (with its TLS) or Unix.
    fn endpoint(&mut self, t: &Obj, path: &str) -> Result<(Endpoint, Option<TlsConfig>), String> {
        let e_path = format!("{path}.endpoint");
        let e = object(
            t.get("endpoint")
                .ok_or_else(|| format!("{e_path}: missing"))?,
            &e_path,
        )?;
        match required_string(e, "type", &e_path)? {
            "tcp" => {
                self.other_keys(e, &e_path, &["type", "port", "interface", "version", "tls"]);
                let port = unsigned(
                    e.get("port")
                        .ok_or_else(|| format!("{e_path}.port: missing"))?,
                    &format!("{e_path}.port"),
                )?;
                let port = u16::try_from(port).map_err(|_| format!("{e_path}.port: not a port"))?;
                let version = match e.get("version") {
                    None => 4,
                    Some(v) => unsigned(v, &format!("{e_path}.version"))?,
                };
                let host = match string(e, "interface", &e_path)? {
                    Some(i) if !i.is_empty() => i.to_owned(),
                    _ if version == 6 => "::".to_owned(),
                    _ => "0.0.0.0".to_owned(),
                };
                let tls = match e.get("tls") {
                    None => None,
                    Some(tls) => Some(self.tls(tls, &format!("{e_path}.tls"))?),
                };
                Ok((Endpoint::Tcp { host, port }, tls))
            }
            "unix" => {
                self.other_keys(e, &e_path, &["type", "path"]);
                let p = required_string(e, "path", &e_path)?;
                Ok((
                    Endpoint::Unix {
                        path: self.base.join(p),
                    },
                    None,
                ))
            }
            other => Err(format!(
                "{e_path}.type: {other:?} endpoints are not supported (tcp or unix)"
            )),
        }
    }

    fn tls(&mut self, tls: &Value, path: &str) -> Result<TlsConfig, String> {
        let tls = object(tls, path)?;
        self.other_keys(tls, path, &["key", "certificate", "chain_certificates"]);
        let key = self.base.join(required_string(tls, "key", path)?);
        let certificate = self.base.join(required_string(tls, "certificate", path)?);
        let mut chain = Vec::new();
        let c_path = format!("{path}.chain_certificates");
        for (i, c) in list(tls.get("chain_certificates"), &c_path)?
            .iter()
            .enumerate()
        {
            let c = c
                .as_str()
                .ok_or_else(|| format!("{c_path}[{i}]: expected a path"))?;
            chain.push(self.base.join(c));
        }
        TlsConfig::from_files(&certificate, &chain, &key)
            .map_err(|e| format!("{path}: cannot read the certificate or key: {e}"))
    }
}

fn message_size(v: &Value, path: &str) -> Result<usize, String> {
    let size = unsigned(v, path)?;
    // Crossbar's 0 means no limit: the largest a RawSocket frame can carry.
    if size == 0 {
        return Ok(ListenerConfig::DEFAULT_MAX_MESSAGE_SIZE);
    }
    usize::try_from(size).map_err(|_| format!("{path}: too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Loaded {
        parse(json, Path::new("/etc/node")).unwrap()
    }

    #[test]
    fn the_example_config_of_this_repository_is_read_without_warnings() {
        let text = include_str!("../../examples/crossbar/config.json");
        let loaded = read(text);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let realm = &loaded.config.core.realms[0];
        assert_eq!(realm.name, "realm1");
        assert_eq!(realm.roles[0].name, "authenticated");
        let p = &realm.roles[0].permissions[0];
        assert_eq!((p.uri.as_str(), p.match_), ("", MatchPolicy::Prefix));
        assert_eq!(p.allow, Allow::ALL);
        assert!(p.disclose.caller && p.disclose.publisher);
        let l = &loaded.config.listeners[0];
        assert_eq!(l.kind, TransportKind::WebSocket);
        assert_eq!(
            l.endpoint,
            Endpoint::Tcp {
                host: "127.0.0.1".into(),
                port: 8080
            }
        );
        assert_eq!(l.path.as_deref(), Some("/ws"));
        for method in ["ticket", "wampcra", "cryptosign", "scram"] {
            assert!(l.auth.has_method(method), "{method}");
        }
        assert!(!l.auth.has_method("anonymous"));
    }

    #[test]
    fn what_is_not_supported_is_named_once_per_key() {
        let loaded = read(
            r#"{"version": 2, "controller": {"id": "node1"},
                "workers": [
                  {"type": "container"},
                  {"type": "router", "options": {"title": "r"},
                   "realms": [{"name": "realm1", "store": {},
                               "roles": [{"name": "anonymous", "authorizer": "com.x.authorize",
                                          "permissions": [{"uri": "com.example.*",
                                                           "allow": {"call": true},
                                                           "validate": {}}]}]}],
                   "transports": [
                     {"type": "web", "endpoint": {"type": "tcp", "port": 8080, "backlog": 10},
                      "paths": {"/": {"type": "static", "directory": ".."},
                                "ws": {"type": "websocket", "serializers": ["ubjson", "cbor"],
                                       "options": {"auto_ping_interval": 10000,
                                                   "compression": {}},
                                       "auth": {"cookie": {},
                                                "ticket": {"type": "dynamic",
                                                           "authenticator": "com.x.auth"}}},
                                "ws2": {"type": "websocket"}}},
                     {"type": "rawsocket", "endpoint": {"type": "unix", "path": "rs.sock"},
                      "options": {"max_message_size": 1024}},
                     {"type": "universal", "endpoint": {"type": "tcp", "port": 8082}}]}]}"#,
        );
        let mut warnings = loaded.warnings.clone();
        warnings.sort();
        let keys: Vec<&str> = warnings
            .iter()
            .map(|w| w.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "controller.id",
                "workers[0]",
                "workers[1].options",
                "workers[1].realms[0].roles[0].authorizer",
                "workers[1].realms[0].roles[0].permissions[0].validate",
                "workers[1].realms[0].store",
                "workers[1].transports[0].endpoint.backlog",
                "workers[1].transports[0].paths./",
                "workers[1].transports[0].paths.ws.auth.cookie",
                "workers[1].transports[0].paths.ws.auth.ticket",
                "workers[1].transports[0].paths.ws.options.compression",
                "workers[1].transports[0].paths.ws.serializers[0]",
                "workers[1].transports[0].paths.ws2",
                "workers[1].transports[2]",
            ],
            "{warnings:#?}"
        );
        let p = &loaded.config.core.realms[0].roles[0].permissions[0];
        assert_eq!(
            (p.uri.as_str(), p.match_),
            ("com.example.", MatchPolicy::Prefix)
        );
        assert!(p.allow.call && !p.allow.register);
        let ws = &loaded.config.listeners[0];
        assert_eq!(ws.serializers.len(), 1);
        assert_eq!(
            ws.endpoint,
            Endpoint::Tcp {
                host: "0.0.0.0".into(),
                port: 8080
            }
        );
        assert_eq!(
            ws.auto_ping.map(|p| p.interval),
            Some(Duration::from_secs(10))
        );
        assert!(!ws.auth.has_method("ticket"), "dynamic ticket refused");
        let rs = &loaded.config.listeners[1];
        assert_eq!(rs.kind, TransportKind::RawSocket);
        assert_eq!(
            rs.endpoint,
            Endpoint::Unix {
                path: "/etc/node/rs.sock".into()
            }
        );
        assert_eq!(rs.max_message_size, 1024);
        assert!(rs.auth.has_method("anonymous"), "no auth object: anonymous");
    }

    #[test]
    fn wrong_configs_are_errors_naming_the_place() {
        for (json, expected) in [
            ("[]", "the configuration: expected an object"),
            (r#"{"workers": [{"type": "router"}]}"#, "no transport"),
            (
                r#"{"workers": [{"type": "router", "realms": [{"roles": []}]}]}"#,
                "workers[0].realms[0].name: missing",
            ),
            (
                r#"{"workers": [{"type": "router", "realms": [{"name": "realm1", "roles": [{"name": "a", "permissions": [{"uri": "x", "match": "fuzzy"}]}]}]}]}"#,
                "permissions[0].match",
            ),
            (
                r#"{"workers": [{"type": "router", "transports": [{"type": "websocket", "endpoint": {"type": "tcp", "port": 70000}}]}]}"#,
                "endpoint.port: not a port",
            ),
            (
                r#"{"workers": [{"type": "router", "transports": [{"type": "websocket", "endpoint": {"type": "tcp", "port": 1, "tls": {"key": "k.pem", "certificate": "c.pem"}}}]}]}"#,
                "cannot read the certificate or key",
            ),
        ] {
            let e = parse(json, Path::new("/nonexistent")).unwrap_err();
            assert!(e.contains(expected), "{json}: {e}");
        }
    }
}
