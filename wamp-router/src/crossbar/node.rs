//! The node, its workers, realms, roles and permissions.

use serde_json::Value;
use wamp_core::uri::MatchPolicy;

use super::{index_path, invalid, transport, Obj, Reader, Res as Result};
use crate::config::{Endpoint, RouterConfig};
use crate::core::{Allow, CoreConfig, Disclose, Permission, RealmConfig, RoleConfig};

/// The config version this reader knows (Crossbar.io's `LATEST_CONFIG_VERSION`).
const VERSION: u64 = 2;

/// The role every realm has built in (Crossbar.io refuses to define it).
const TRUSTED: &str = "trusted";

/// What the router workers add up to.
#[derive(Default)]
struct Node {
    config: RouterConfig,
    /// The worker path that defined each realm of `config.core.realms`, in order.
    realm_workers: Vec<String>,
    /// The transport path of each listener of `config.listeners`, in order.
    listener_paths: Vec<String>,
}

pub(super) fn read_node(r: &mut Reader, root: &Value) -> Result<RouterConfig> {
    let mut top = Obj::new(root, "")?;
    top.skip("$schema");
    match top.take("version") {
        None => {
            return Err(invalid(
                "version",
                "missing: that means version 1, which Crossbar.io refuses too \
                 (`crossbar upgrade` converts it to version 2)",
            ))
        }
        Some(v) if v.as_u64() == Some(VERSION) => {}
        Some(v) if v.as_u64() == Some(1) => {
            return Err(invalid(
                "version",
                "version 1 is too old (`crossbar upgrade` converts it to version 2)",
            ))
        }
        Some(v) => {
            return Err(invalid(
                "version",
                format!("unknown config version {v} (version {VERSION} is read)"),
            ))
        }
    }
    top.unsupported_each(r, "controller", "not supported (the node controller)")?;
    let mut node = Node {
        config: RouterConfig {
            core: CoreConfig::default(),
            listeners: Vec::new(),
        },
        ..Node::default()
    };
    if let Some(workers) = top.list("workers")? {
        for (i, w) in workers.iter().enumerate() {
            read_worker(r, w, &index_path("workers", i), &mut node)?;
        }
    }
    top.rest(r);
    Ok(node.config)
}

fn read_worker(r: &mut Reader, value: &Value, path: &str, node: &mut Node) -> Result<()> {
    let mut w = Obj::new(value, path)?;
    let kind = w.required_string("type")?;
    if kind != "router" {
        r.warn(
            path,
            format!("type {kind:?} is not supported (only router workers are read)"),
        );
        return Ok(());
    }
    w.skip("id");
    w.unsupported_each(r, "options", "not supported (router worker options)")?;
    w.unsupported(r, "manhole", "not supported");
    let mut names = Vec::new();
    if let Some(realms) = w.list("realms")? {
        for (i, realm) in realms.iter().enumerate() {
            let rpath = index_path(&w.at("realms"), i);
            let realm = read_realm(r, realm, &rpath)?;
            if names.contains(&realm.name) {
                return Err(invalid(
                    &rpath,
                    format!("realm {:?} is defined twice in this worker", realm.name),
                ));
            }
            names.push(realm.name.clone());
            match node
                .config
                .core
                .realms
                .iter()
                .position(|x| x.name == realm.name)
            {
                Some(j) => r.warn(
                    rpath,
                    format!(
                        "realm {:?} is also defined by {}: Crossbar.io runs the two workers as \
                         separate routers, this router merges them, so the realm is shared and \
                         keeps the roles of the first definition",
                        realm.name, node.realm_workers[j]
                    ),
                ),
                None => {
                    node.config.core.realms.push(realm);
                    node.realm_workers.push(path.to_owned());
                }
            }
        }
    }
    if let Some(transports) = w.list("transports")? {
        for (i, t) in transports.iter().enumerate() {
            let tpath = index_path(&w.at("transports"), i);
            let Some(l) = transport::read_transport(r, t, &tpath)? else {
                continue;
            };
            let same = |e: &Endpoint| match (e, &l.endpoint) {
                (Endpoint::Tcp { host, port }, Endpoint::Tcp { host: h, port: p }) => {
                    *port != 0 && port == p && host == h
                }
                (Endpoint::Unix { path }, Endpoint::Unix { path: p }) => path == p,
                _ => false,
            };
            if let Some(j) = node.config.listeners.iter().position(|x| same(&x.endpoint)) {
                return Err(invalid(
                    &format!("{tpath}.endpoint"),
                    format!(
                        "the same endpoint as {}.endpoint (one transport per endpoint)",
                        node.listener_paths[j]
                    ),
                ));
            }
            node.config.listeners.push(l);
            node.listener_paths.push(tpath);
        }
    }
    for key in ["components", "connections"] {
        if let Some(items) = w.list(key)? {
            for (i, item) in items.iter().enumerate() {
                let what = match item.get("type").and_then(Value::as_str) {
                    Some(t) => format!("router {key} are not supported (type {t:?})"),
                    None => format!("router {key} are not supported"),
                };
                r.warn(index_path(&w.at(key), i), what);
            }
        }
    }
    w.rest(r);
    Ok(())
}

fn read_realm(r: &mut Reader, value: &Value, path: &str) -> Result<RealmConfig> {
    let mut o = Obj::new(value, path)?;
    let name = o.required_string("name")?;
    wamp_uri::validate_realm(name).map_err(|e| invalid(&o.at("name"), e.to_string()))?;
    o.skip("id");
    let mut roles: Vec<RoleConfig> = Vec::new();
    if let Some(list) = o.list("roles")? {
        for (i, role) in list.iter().enumerate() {
            let rpath = index_path(&o.at("roles"), i);
            let role = read_role(r, role, &rpath)?;
            if let Some(j) = roles.iter().position(|x| x.name == role.name) {
                r.warn(
                    rpath,
                    format!(
                        "role {:?} is defined twice: the last definition counts (as in Crossbar.io)",
                        role.name
                    ),
                );
                roles.remove(j);
            }
            roles.push(role);
        }
    }
    if let Some(mut opts) = o.object("options")? {
        if opts.boolean("enable_meta_api")? == Some(false) {
            r.warn(
                opts.at("enable_meta_api"),
                "false is not supported: the meta API is always on",
            );
        }
        opts.rest_with(r, "not supported (realm options)");
    }
    o.unsupported(r, "store", "not supported (event history)");
    o.rest(r);
    Ok(RealmConfig {
        name: name.to_owned(),
        roles,
    })
}

fn read_role(r: &mut Reader, value: &Value, path: &str) -> Result<RoleConfig> {
    let mut o = Obj::new(value, path)?;
    let name = o.required_string("name")?;
    if name == TRUSTED {
        return Err(invalid(
            &o.at("name"),
            "the role \"trusted\" is built in (Crossbar.io refuses to define it)",
        ));
    }
    o.skip("id");
    let authorizer = o.take("authorizer").is_some();
    let mut permissions = Vec::new();
    if let Some(list) = o.list("permissions")? {
        if authorizer {
            return Err(invalid(
                path,
                "a role has either \"authorizer\" or \"permissions\", not both",
            ));
        }
        for (i, p) in list.iter().enumerate() {
            permissions.push(read_permission(r, p, &index_path(&o.at("permissions"), i))?);
        }
    }
    if authorizer {
        r.warn(
            o.at("authorizer"),
            "dynamic authorization is not supported: the role is allowed nothing",
        );
    }
    o.rest(r);
    Ok(RoleConfig {
        name: name.to_owned(),
        permissions,
    })
}

fn read_permission(r: &mut Reader, value: &Value, path: &str) -> Result<Permission> {
    let mut o = Obj::new(value, path)?;
    let uri = o.required_string("uri")?;
    let (uri, match_) = match o.string("match")? {
        Some(m) => (
            uri.to_owned(),
            MatchPolicy::from_name(m).ok_or_else(|| {
                invalid(
                    &o.at("match"),
                    format!("unknown match policy {m:?} (exact, prefix or wildcard)"),
                )
            })?,
        ),
        None => starred(uri),
    };
    // Crossbar.io's loose rule for permission URIs: any component may be empty.
    wamp_uri::validate(&uri, MatchPolicy::Wildcard, false)
        .map_err(|e| invalid(&o.at("uri"), e.to_string()))?;
    let mut allow = Allow::NONE;
    if let Some(mut a) = o.object("allow")? {
        allow.call = a.boolean("call")?.unwrap_or(false);
        allow.register = a.boolean("register")?.unwrap_or(false);
        allow.publish = a.boolean("publish")?.unwrap_or(false);
        allow.subscribe = a.boolean("subscribe")?.unwrap_or(false);
        a.rest(r);
    }
    let mut disclose = Disclose::default();
    if let Some(mut d) = o.object("disclose")? {
        disclose.caller = d.boolean("caller")?.unwrap_or(false);
        disclose.publisher = d.boolean("publisher")?.unwrap_or(false);
        d.rest(r);
    }
    if o.boolean("cache")? == Some(true) {
        r.warn(
            o.at("cache"),
            "not supported: authorization decisions are not cached (the same decisions, made \
             each time)",
        );
    }
    o.unsupported(r, "validate", "not supported (payload validation)");
    o.rest(r);
    Ok(Permission {
        uri,
        match_,
        allow,
        disclose,
    })
}

/// Crossbar.io's (autobahn's) starred URIs, for a permission without `match`: no star is
/// exact, one star at the end is a prefix, other stars make a wildcard (stars removed).
fn starred(uri: &str) -> (String, MatchPolicy) {
    match uri.matches('*').count() {
        0 => (uri.to_owned(), MatchPolicy::Exact),
        1 if uri.ends_with('*') => (uri[..uri.len() - 1].to_owned(), MatchPolicy::Prefix),
        _ => (uri.replace('*', ""), MatchPolicy::Wildcard),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starred_uris_convert_as_autobahn_does() {
        assert_eq!(
            starred("com.example.add"),
            ("com.example.add".into(), MatchPolicy::Exact)
        );
        assert_eq!(
            starred("com.example.*"),
            ("com.example.".into(), MatchPolicy::Prefix)
        );
        assert_eq!(
            starred("com.*.foobar.*"),
            ("com..foobar.".into(), MatchPolicy::Wildcard)
        );
        assert_eq!(starred("*"), ("".into(), MatchPolicy::Prefix));
    }
}
