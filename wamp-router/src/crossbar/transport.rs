//! Transports, endpoints, TLS, serializers, options and `auth`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use wamp_core::auth::server::{
    AnonymousConfig, AuthConfig, CraPrincipal, CryptosignPrincipal, MethodConfig, ScramPrincipal,
    TicketPrincipal,
};

use super::{index_path, invalid, key_path, kind, Obj, Reader, Res as Result, NO_PING_TIMEOUT};
use crate::config::{AutoPing, Endpoint, ListenerConfig, TlsConfig, TransportKind};

/// Crossbar.io's largest `max_message_size` (64 MiB).
const MAX_MESSAGE_SIZE: u64 = 64 * 1024 * 1024;

/// The listener of one transport (none, with a warning, when it is not supported).
pub(super) fn read_transport(
    r: &mut Reader,
    value: &Value,
    path: &str,
) -> Result<Option<ListenerConfig>> {
    let mut o = Obj::new(value, path)?;
    let kind = o.required_string("type")?;
    let kind = match kind {
        "websocket" => TransportKind::WebSocket,
        "rawsocket" => TransportKind::RawSocket,
        "web" => return read_web(r, o),
        other => {
            r.warn(path, format!("type {other:?} is not supported"));
            return Ok(None);
        }
    };
    o.skip("id");
    let Some((endpoint, tls)) = read_endpoint_of(r, &mut o)? else {
        o.skip_all();
        return Ok(None);
    };
    let mut l = ListenerConfig::new(kind, endpoint);
    l.tls = tls;
    read_service(r, &mut o, &mut l)?;
    o.rest(r);
    Ok(Some(l))
}

/// A `web` transport: its first `websocket` path (in key order).
fn read_web(r: &mut Reader, mut o: Obj) -> Result<Option<ListenerConfig>> {
    o.skip("id");
    let Some((endpoint, tls)) = read_endpoint_of(r, &mut o)? else {
        o.skip_all();
        return Ok(None);
    };
    o.unsupported_each(r, "options", "not supported (web transport options)")?;
    let paths_at = o.at("paths");
    let mut paths = o
        .object("paths")?
        .ok_or_else(|| invalid(&o.path, "missing \"paths\""))?;
    let mut listener: Option<ListenerConfig> = None;
    for (key, service) in paths.map {
        let spath = key_path(&paths_at, key);
        let valid_key = key == "/"
            || (!key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        if !valid_key {
            return Err(invalid(
                &spath,
                "a path is \"/\" or letters, digits, '_' and '-' (as Crossbar.io requires)",
            ));
        }
        let mut s = Obj::new(service, &spath)?;
        let kind = s.required_string("type")?;
        if kind != "websocket" {
            r.warn(spath, format!("type {kind:?} is not supported"));
            continue;
        }
        if let Some(first) = &listener {
            r.warn(
                spath,
                format!(
                    "a second websocket path on one web transport is not supported (only {} is \
                     served)",
                    first.path.as_deref().unwrap_or("/")
                ),
            );
            continue;
        }
        let mut l = ListenerConfig::new(TransportKind::WebSocket, endpoint.clone());
        l.tls = tls.clone();
        l.path = Some(if key == "/" {
            "/".to_owned()
        } else {
            format!("/{key}")
        });
        read_service(r, &mut s, &mut l)?;
        s.rest(r);
        listener = Some(l);
    }
    paths.skip_all();
    o.rest(r);
    Ok(listener)
}

/// The transport's `endpoint`, or `None` (with a warning) when it is not supported.
fn read_endpoint_of(r: &mut Reader, o: &mut Obj) -> Result<Option<(Endpoint, Option<TlsConfig>)>> {
    let path = o.at("endpoint");
    let mut e = o
        .object("endpoint")?
        .ok_or_else(|| invalid(&o.path, "missing \"endpoint\""))?;
    match e.required_string("type")? {
        "tcp" => {
            if e.take("portrange").is_some() {
                r.warn(
                    e.at("portrange"),
                    "not supported: the transport is not started",
                );
                e.skip_all();
                return Ok(None);
            }
            let port = read_port(r, &mut e)?;
            let version = e.integer("version")?.unwrap_or(4);
            if version != 4 && version != 6 {
                return Err(invalid(&e.at("version"), "4 or 6 expected"));
            }
            let host = match e.string("interface")?.map(str::trim) {
                Some(i) if !i.is_empty() => i.to_owned(),
                _ if version == 6 => "::".to_owned(),
                _ => "0.0.0.0".to_owned(),
            };
            let tls = match e.object("tls")? {
                Some(t) => Some(read_tls(r, t)?),
                None => None,
            };
            e.unsupported(r, "backlog", "not supported (the system's default backlog)");
            e.unsupported(r, "shared", "not supported (the port is not shared)");
            e.unsupported(r, "user_timeout", "not supported");
            e.rest(r);
            Ok(Some((Endpoint::Tcp { host, port }, tls)))
        }
        "unix" => {
            let p = e.required_string("path")?;
            let p = r.file(&r.expand_vars(p));
            e.unsupported(r, "backlog", "not supported (the system's default backlog)");
            e.rest(r);
            Ok(Some((Endpoint::Unix { path: p }, None)))
        }
        other => {
            r.warn(
                path,
                format!("type {other:?} is not supported: the transport is not started"),
            );
            e.skip_all();
            Ok(None)
        }
    }
}

/// `port`: a number, or `"$VAR"` read from the environment (as Crossbar.io does).
fn read_port(r: &mut Reader, e: &mut Obj) -> Result<u16> {
    let at = e.at("port");
    let port = match e.take("port") {
        None => return Err(invalid(&e.path, "missing \"port\"")),
        Some(Value::String(s)) => {
            let var = s
                .strip_prefix('$')
                .filter(|v| !v.is_empty())
                .ok_or_else(|| invalid(&at, "a port is a number or \"$VAR\""))?;
            let text = (r.env)(var).ok_or_else(|| {
                invalid(&at, format!("the environment variable {var} is not set"))
            })?;
            text.trim().parse::<u64>().map_err(|_| {
                invalid(
                    &at,
                    format!("the environment variable {var} is not a port: {text:?}"),
                )
            })?
        }
        Some(v) => v
            .as_u64()
            .ok_or_else(|| invalid(&at, format!("expected a port number, found {}", kind(v))))?,
    };
    u16::try_from(port).map_err(|_| invalid(&at, format!("{port} is not a port (0 to 65535)")))
}

/// `tls`: the files read (relative to the base directory) and checked to hold PEM
/// certificates and a private key, so that a wrong file is named here rather than at start.
fn read_tls(r: &mut Reader, mut t: Obj) -> Result<TlsConfig> {
    let read = |r: &Reader, at: &str, name: &str| -> Result<(PathBuf, Vec<u8>)> {
        let file: PathBuf = r.file(name);
        match std::fs::read(&file) {
            Ok(bytes) => Ok((file, bytes)),
            Err(e) => Err(invalid(at, format!("cannot read {}: {e}", file.display()))),
        }
    };
    let certificates = |at: &str, file: &PathBuf, pem: &[u8]| -> Result<()> {
        let mut n = 0;
        for c in rustls_pemfile::certs(&mut &pem[..]) {
            c.map_err(|e| invalid(at, format!("{}: {e}", file.display())))?;
            n += 1;
        }
        if n == 0 {
            return Err(invalid(
                at,
                format!("no pem certificate in {}", file.display()),
            ));
        }
        Ok(())
    };
    let key_at = t.at("key");
    let cert_at = t.at("certificate");
    let key_name = t.required_string("key")?;
    let cert_name = t.required_string("certificate")?;
    let (file, key) = read(r, &key_at, key_name)?;
    match rustls_pemfile::private_key(&mut &key[..]) {
        Ok(Some(_)) => {}
        Ok(None) => {
            return Err(invalid(
                &key_at,
                format!("no pem private key in {}", file.display()),
            ))
        }
        Err(e) => return Err(invalid(&key_at, format!("{}: {e}", file.display()))),
    }
    let (file, mut chain) = read(r, &cert_at, cert_name)?;
    certificates(&cert_at, &file, &chain)?;
    if let Some(list) = t.list("chain_certificates")? {
        for (i, c) in list.iter().enumerate() {
            let at = index_path(&t.at("chain_certificates"), i);
            let name = c
                .as_str()
                .ok_or_else(|| invalid(&at, format!("expected a file name, found {}", kind(c))))?;
            let (file, pem) = read(r, &at, name)?;
            certificates(&at, &file, &pem)?;
            chain.push(b'\n');
            chain.extend(pem);
        }
    }
    t.unsupported(r, "ciphers", "not supported (rustls's cipher suites)");
    t.unsupported(
        r,
        "dhparam",
        "not supported (rustls has no finite-field DH)",
    );
    t.unsupported(
        r,
        "ca_certificates",
        "not supported: client certificates are neither asked for nor verified",
    );
    t.rest(r);
    Ok(TlsConfig::from_pem(chain, key))
}

/// What a WebSocket or RawSocket service reads, standalone or as a web path: serializers,
/// options, auth.
fn read_service(r: &mut Reader, o: &mut Obj, l: &mut ListenerConfig) -> Result<()> {
    o.skip("id");
    if let Some(list) = o.list("serializers")? {
        let at = o.at("serializers");
        l.serializers.clear();
        for (i, s) in list.iter().enumerate() {
            let spath = index_path(&at, i);
            let name = s
                .as_str()
                .ok_or_else(|| invalid(&spath, format!("expected a name, found {}", kind(s))))?;
            match wamp_core::serializer::by_name(name) {
                Some(ser) => {
                    if !l.serializers.iter().any(|x| x.name() == ser.name()) {
                        l.serializers.push(ser);
                    }
                }
                None => r.warn(spath, format!("{name:?} is not supported")),
            }
        }
        if l.serializers.is_empty() {
            return Err(invalid(
                &at,
                "no supported serializer (json, msgpack or cbor)",
            ));
        }
    }
    if let Some(opts) = o.object("options")? {
        match l.kind {
            TransportKind::WebSocket => read_websocket_options(r, opts, l)?,
            TransportKind::RawSocket => read_rawsocket_options(r, opts, l)?,
        }
    }
    match o.take("auth") {
        // Crossbar.io lets anyone in as `anonymous` when `auth` is absent or empty (falsy).
        None => {}
        Some(Value::Object(m)) if m.is_empty() => {}
        Some(auth) => l.auth = Arc::new(read_auth(r, auth, &o.at("auth"))?),
    }
    if o.boolean("debug")? == Some(true) {
        r.warn(
            o.at("debug"),
            "not supported (the router logs through tracing)",
        );
    }
    if l.kind == TransportKind::WebSocket {
        o.unsupported(r, "url", "not supported");
        o.unsupported(
            r,
            "cookie",
            "not supported (cookie tracking and authentication)",
        );
    }
    Ok(())
}

fn read_max_message_size(o: &mut Obj, l: &mut ListenerConfig) -> Result<()> {
    if let Some(n) = o.integer("max_message_size")? {
        if n == 0 || n > MAX_MESSAGE_SIZE {
            return Err(invalid(
                &o.at("max_message_size"),
                format!("{n} is out of range (1 to {MAX_MESSAGE_SIZE}, as Crossbar.io)"),
            ));
        }
        l.max_message_size = usize::try_from(n).unwrap_or(usize::MAX);
    }
    Ok(())
}

fn read_rawsocket_options(r: &mut Reader, mut o: Obj, l: &mut ListenerConfig) -> Result<()> {
    read_max_message_size(&mut o, l)?;
    o.rest(r);
    Ok(())
}

fn read_websocket_options(r: &mut Reader, mut o: Obj, l: &mut ListenerConfig) -> Result<()> {
    read_max_message_size(&mut o, l)?;
    let interval = o.integer("auto_ping_interval")?.unwrap_or(0);
    let timeout = o.integer("auto_ping_timeout")?.unwrap_or(0);
    if interval > 0 {
        l.auto_ping = Some(AutoPing {
            interval: Duration::from_millis(interval),
            timeout: if timeout > 0 {
                Duration::from_millis(timeout)
            } else {
                NO_PING_TIMEOUT
            },
        });
    }
    match o.integer("open_handshake_timeout")? {
        Some(0) => r.warn(
            o.at("open_handshake_timeout"),
            format!(
                "0 (no deadline) is not supported: the default {:?} applies",
                ListenerConfig::DEFAULT_HANDSHAKE_TIMEOUT
            ),
        ),
        Some(ms) => l.handshake_timeout = Duration::from_millis(ms),
        None => {}
    }
    o.rest(r);
    Ok(())
}

/// A transport's `auth`: warnings for what [`AuthConfig`] ignores or cannot do; unsupported
/// methods are left out (so they refuse, never let in).
fn read_auth(r: &mut Reader, value: &Value, path: &str) -> Result<AuthConfig> {
    let Value::Object(map) = value else {
        return Err(invalid(
            path,
            format!("expected an object, found {}", kind(value)),
        ));
    };
    let mut clean = map.clone();
    for key in AuthConfig::unsupported_keys(value) {
        let at = key_path(path, &key);
        match key.split_once('.') {
            None => {
                r.warn(at, format!("method {key:?} is not supported"));
                clean.remove(&key);
            }
            Some((method, "type")) => {
                let t = map
                    .get(method)
                    .and_then(|m| m.get("type"))
                    .map(ToString::to_string)
                    .unwrap_or_default();
                r.warn(at, format!("type {t} is not supported: the method is off"));
                clean.remove(method);
            }
            Some(_) => r.warn(at, "not supported (ignored)"),
        }
    }
    from_env(r, &mut clean, path)?;
    let config = deserialize_auth(&clean, path)?;
    for problem in config.problems() {
        r.warn(path, problem);
    }
    let dynamic = |m: &str| {
        format!(
            "{m}: type \"dynamic\" is not supported from a config file: this router does not \
             call WAMP procedures to authenticate (an embedding application gives a \
             Router::authenticator), so these sessions are refused"
        )
    };
    if matches!(config.anonymous, Some(AnonymousConfig::Dynamic(_))) {
        r.warn(path, dynamic("anonymous"));
    }
    if matches!(config.ticket, Some(MethodConfig::Dynamic(_))) {
        r.warn(path, dynamic("ticket"));
    }
    Ok(config)
}

/// Ticket and WAMP-CRA secrets written `"${VAR}"` come from the environment (Crossbar.io's
/// `maybe_from_env`); an unset variable is an error here (Crossbar.io logs it and fails every
/// login of that principal).
fn from_env(r: &Reader, auth: &mut Map<String, Value>, path: &str) -> Result<()> {
    for (method, group, field) in [
        ("ticket", "principals", "ticket"),
        ("wampcra", "users", "secret"),
        ("wampcra", "principals", "secret"),
    ] {
        let Some(Value::Object(principals)) = auth.get_mut(method).and_then(|m| m.get_mut(group))
        else {
            continue;
        };
        for (authid, principal) in principals.iter_mut() {
            let Some(Value::String(s)) = principal.get_mut(field) else {
                continue;
            };
            let Some(var) = s.strip_prefix("${").and_then(|v| v.strip_suffix('}')) else {
                continue;
            };
            let value = (r.env)(var).ok_or_else(|| {
                invalid(
                    &format!("{path}.{method}.{group}.{authid}.{field}"),
                    format!("the environment variable {var} is not set"),
                )
            })?;
            *s = value;
        }
    }
    Ok(())
}

/// Deserializes `auth`; on error, finds the method and principal at fault for the path.
fn deserialize_auth(auth: &Map<String, Value>, path: &str) -> Result<AuthConfig> {
    let err = match serde_json::from_value::<AuthConfig>(Value::Object(auth.clone())) {
        Ok(config) => return Ok(config),
        Err(e) => e,
    };
    for (method, config) in auth {
        let mpath = key_path(path, method);
        let mut one = Map::new();
        one.insert(method.clone(), config.clone());
        let Err(e) = serde_json::from_value::<AuthConfig>(Value::Object(one)) else {
            continue;
        };
        for group in ["principals", "users"] {
            let Some(Value::Object(principals)) = config.get(group) else {
                continue;
            };
            for (authid, p) in principals {
                let problem = match method.as_str() {
                    "ticket" => check::<TicketPrincipal>(p),
                    "wampcra" => check::<CraPrincipal>(p),
                    "cryptosign" => check::<CryptosignPrincipal>(p),
                    "scram" => check::<ScramPrincipal>(p),
                    _ => None,
                };
                if let Some(problem) = problem {
                    return Err(invalid(&format!("{mpath}.{group}.{authid}"), problem));
                }
            }
        }
        return Err(invalid(&mpath, e.to_string()));
    }
    Err(invalid(path, err.to_string()))
}

fn check<P: DeserializeOwned>(principal: &Value) -> Option<String> {
    serde_json::from_value::<P>(principal.clone())
        .err()
        .map(|e| e.to_string())
}
