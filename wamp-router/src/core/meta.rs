//! The meta API: procedures the router answers itself and the events it publishes.
//!
//! Procedures (a caller needs the `call` permission on them, like any other):
//!
//! | procedure | arguments | result |
//! |---|---|---|
//! | `wamp.session.count` | `[authroles]` | number of joined sessions (with one of `authroles`) |
//! | `wamp.session.list` | `[authroles]` | their ids |
//! | `wamp.session.get` | `session` | `{session, realm, authid, authrole, authmethod, authprovider, authextra, transport}` |
//! | `wamp.session.kill` | `session`, kwargs `reason`, `message` | null (the session gets GOODBYE, default reason `wamp.close.killed`); one's own id gives `no_such_session` |
//! | `wamp.session.kill_by_authid` / `kill_by_authrole` | `authid` / `authrole`, kwargs `reason`, `message` | the killed ids (as Crossbar.io), the caller excepted |
//! | `wamp.session.add_testament` | `topic, args, kwargs`, kwargs `publish_options`, `scope` (`destroyed` default, or `detached`) | a publication id |
//! | `wamp.session.flush_testaments` | kwarg `scope` | how many were dropped |
//! | `wamp.registration.list` / `wamp.subscription.list` | `[session]` | `{exact: [ids], prefix: [ids], wildcard: [ids]}` |
//! | `wamp.registration.lookup` / `wamp.subscription.lookup` | `uri, [{match}]` | id or null |
//! | `wamp.registration.match` | `uri` | the id a call would go to, or null |
//! | `wamp.subscription.match` | `uri` | the matching ids, or null |
//! | `wamp.registration.get` / `wamp.subscription.get` | `id` | `{id, created, uri, match[, invoke]}` |
//! | `wamp.registration.list_callees` / `wamp.subscription.list_subscribers` | `id` | session ids |
//! | `wamp.registration.count_callees` / `wamp.subscription.count_subscribers` | `id` | a number |
//! | `wamp.registration.remove_callee` / `wamp.subscription.remove_subscriber` | `id`, `session`, kwarg `reason` | null (the session is removed from it and, if it announced `registration_revocation` / `subscription_revocation`, gets UNREGISTERED / UNSUBSCRIBED with request 0 and `{registration / subscription, reason}`); `no_such_session`, `no_such_registration` / `no_such_subscription` (also when the session is not on it), `not_authorized` for `wamp.` URIs |
//!
//! Events: `wamp.session.on_join(details)`, `wamp.session.on_leave(session)` (Crossbar.io's
//! one argument; the spec adds authid and authrole); `wamp.registration.on_create(session, details)`, `on_register(session, id)`,
//! `on_unregister(session, id)`, `on_delete(session, id)`, and the same four under
//! `wamp.subscription.` with `on_subscribe` / `on_unsubscribe`. None is published for `wamp.*`
//! URIs.

use wamp_core::id::Id;
use wamp_core::message::RequestType;
use wamp_core::uri::{close_uri, error_uri, validate, MatchPolicy};
use wamp_core::{Dict, Message, Str, Value};

use super::options::error;
use super::realm::{is_restricted, Realm, Testament};
use super::{Ctx, Effect};

/// `wamp.session.on_join`
pub(crate) const SESSION_ON_JOIN: &str = "wamp.session.on_join";
/// `wamp.session.on_leave`
pub(crate) const SESSION_ON_LEAVE: &str = "wamp.session.on_leave";
/// `wamp.registration.on_create`
pub(crate) const REGISTRATION_ON_CREATE: &str = "wamp.registration.on_create";
/// `wamp.registration.on_register`
pub(crate) const REGISTRATION_ON_REGISTER: &str = "wamp.registration.on_register";
/// `wamp.registration.on_unregister`
pub(crate) const REGISTRATION_ON_UNREGISTER: &str = "wamp.registration.on_unregister";
/// `wamp.registration.on_delete`
pub(crate) const REGISTRATION_ON_DELETE: &str = "wamp.registration.on_delete";
/// `wamp.subscription.on_create`
pub(crate) const SUBSCRIPTION_ON_CREATE: &str = "wamp.subscription.on_create";
/// `wamp.subscription.on_subscribe`
pub(crate) const SUBSCRIPTION_ON_SUBSCRIBE: &str = "wamp.subscription.on_subscribe";
/// `wamp.subscription.on_unsubscribe`
pub(crate) const SUBSCRIPTION_ON_UNSUBSCRIBE: &str = "wamp.subscription.on_unsubscribe";
/// `wamp.subscription.on_delete`
pub(crate) const SUBSCRIPTION_ON_DELETE: &str = "wamp.subscription.on_delete";

/// The testament scopes.
const DESTROYED: &str = "destroyed";
const DETACHED: &str = "detached";
/// The error of a bad testament scope or too many testaments (Crossbar.io's URI).
const TESTAMENT_ERROR: &str = "wamp.error.testament_error";

/// A meta event to publish.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetaEvent {
    pub(crate) topic: &'static str,
    pub(crate) args: Vec<Value>,
}

impl MetaEvent {
    pub(crate) fn new(topic: &'static str, args: Vec<Value>) -> Self {
        MetaEvent { topic, args }
    }
}

const PROCEDURES: &[&str] = &[
    "wamp.session.count",
    "wamp.session.list",
    "wamp.session.get",
    "wamp.session.kill",
    "wamp.session.kill_by_authid",
    "wamp.session.kill_by_authrole",
    "wamp.session.add_testament",
    "wamp.session.flush_testaments",
    "wamp.registration.list",
    "wamp.registration.lookup",
    "wamp.registration.match",
    "wamp.registration.get",
    "wamp.registration.list_callees",
    "wamp.registration.count_callees",
    "wamp.registration.remove_callee",
    "wamp.subscription.list",
    "wamp.subscription.lookup",
    "wamp.subscription.match",
    "wamp.subscription.get",
    "wamp.subscription.list_subscribers",
    "wamp.subscription.count_subscribers",
    "wamp.subscription.remove_subscriber",
];

/// Whether the router answers `procedure` itself.
pub(crate) fn is_meta_procedure(procedure: &str) -> bool {
    procedure.starts_with("wamp.") && PROCEDURES.contains(&procedure)
}

/// A failed meta call: the ERROR's URI and message.
type Failure = (&'static str, String);

fn invalid(message: impl Into<String>) -> Failure {
    (error_uri::INVALID_ARGUMENT, message.into())
}

/// The arguments of a meta call: positional, or by keyword.
struct Args {
    args: Vec<Value>,
    kwargs: Dict,
}

impl Args {
    fn get(&self, index: usize, name: &str) -> Option<&Value> {
        self.args
            .get(index)
            .or_else(|| self.kwargs.get(name))
            .filter(|v| !v.is_null())
    }

    fn id(&self, index: usize, name: &str) -> Result<Id, Failure> {
        self.get(index, name)
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid(format!("argument {name:?} must be an id")))
    }

    fn opt_id(&self, index: usize, name: &str) -> Result<Option<Id>, Failure> {
        match self.get(index, name) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| invalid(format!("argument {name:?} must be an id"))),
        }
    }

    fn string(&self, index: usize, name: &str) -> Result<&str, Failure> {
        self.get(index, name)
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("argument {name:?} must be a string")))
    }

    fn opt_string(&self, name: &str) -> Result<Option<&str>, Failure> {
        match self.kwargs.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(invalid(format!("argument {name:?} must be a string"))),
        }
    }

    fn opt_strings(&self, index: usize, name: &str) -> Result<Option<Vec<&str>>, Failure> {
        match self.get(index, name) {
            None => Ok(None),
            Some(Value::List(l)) => l
                .iter()
                .map(|v| {
                    v.as_str().ok_or_else(|| {
                        invalid(format!("argument {name:?} must be a list of strings"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(invalid(format!(
                "argument {name:?} must be a list of strings"
            ))),
        }
    }
}

fn ids(list: Vec<Id>) -> Value {
    Value::List(list.into_iter().map(Value::from).collect())
}

fn by_policy(exact: Vec<Id>, prefix: Vec<Id>, wildcard: Vec<Id>) -> Value {
    Value::Dict(Dict::from([
        ("exact", ids(exact)),
        ("prefix", ids(prefix)),
        ("wildcard", ids(wildcard)),
    ]))
}

fn split_by_policy(
    list: &[Id],
    policy_of: impl Fn(Id) -> Option<MatchPolicy>,
) -> (Vec<Id>, Vec<Id>, Vec<Id>) {
    let (mut e, mut p, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for &id in list {
        match policy_of(id) {
            Some(MatchPolicy::Exact) => e.push(id),
            Some(MatchPolicy::Prefix) => p.push(id),
            Some(MatchPolicy::Wildcard) => w.push(id),
            None => {}
        }
    }
    (e, p, w)
}

fn no_such_session(id: Id) -> Failure {
    (
        error_uri::NO_SUCH_SESSION,
        format!("no session with ID {id} exists on this router"),
    )
}

fn no_such_registration(id: Id) -> Failure {
    (
        error_uri::NO_SUCH_REGISTRATION,
        format!("no registration with ID {id} exists on this dealer"),
    )
}

fn no_such_subscription(id: Id) -> Failure {
    (
        error_uri::NO_SUCH_SUBSCRIPTION,
        format!("no subscription with ID {id} exists on this broker"),
    )
}

fn protected(what: &str, uri: &str) -> Failure {
    (
        error_uri::NOT_AUTHORIZED,
        format!("not authorized to {what} for protected URI \"{uri}\""),
    )
}

/// The `match` of a lookup's options (second argument).
fn lookup_policy(a: &Args) -> Result<MatchPolicy, Failure> {
    match a.get(1, "options") {
        None => Ok(MatchPolicy::Exact),
        Some(Value::Dict(o)) => match o.get("match") {
            None | Some(Value::Null) => Ok(MatchPolicy::Exact),
            Some(Value::String(m)) => MatchPolicy::from_name(m)
                .ok_or_else(|| invalid(format!("invalid match policy {m:?}"))),
            Some(_) => Err(invalid("option \"match\" must be a string")),
        },
        Some(_) => Err(invalid("argument \"options\" must be a dictionary")),
    }
}

fn scope(a: &Args, index: usize) -> Result<&'static str, Failure> {
    match a.get(index, "scope") {
        None => Ok(DESTROYED),
        Some(Value::String(s)) if s == DESTROYED => Ok(DESTROYED),
        Some(Value::String(s)) if s == DETACHED => Ok(DETACHED),
        Some(_) => Err((
            TESTAMENT_ERROR,
            "scope must be destroyed or detached".into(),
        )),
    }
}

/// The reason and message of a kill.
fn kill_reason(a: &Args) -> Result<(String, Option<String>), Failure> {
    let reason = a.opt_string("reason")?.unwrap_or(close_uri::KILLED);
    if validate(reason, MatchPolicy::Exact, false).is_err() {
        return Err((
            error_uri::INVALID_URI,
            format!("invalid reason URI '{reason}'"),
        ));
    }
    Ok((
        reason.to_owned(),
        a.opt_string("message")?.map(str::to_owned),
    ))
}

/// Answers a meta procedure call (authorized already).
pub(crate) fn call(
    realm: &mut Realm,
    ctx: &mut Ctx<'_>,
    caller: Id,
    request: Id,
    procedure: &str,
    args: Vec<Value>,
    kwargs: Dict,
) {
    let Some(conn) = realm.peers.get(&caller).map(|p| p.conn) else {
        return;
    };
    let a = Args { args, kwargs };
    let msg = match answer(realm, ctx, caller, procedure, &a) {
        Ok(value) => Message::Result {
            request,
            details: Dict::new(),
            args: vec![value],
            kwargs: Dict::new(),
        },
        Err((uri, message)) => error(RequestType::Call, request, uri, message),
    };
    ctx.send(conn, msg);
}

fn answer(
    realm: &mut Realm,
    ctx: &mut Ctx<'_>,
    caller: Id,
    procedure: &str,
    a: &Args,
) -> Result<Value, Failure> {
    match procedure {
        "wamp.session.count" | "wamp.session.list" => {
            let roles = a.opt_strings(0, "filter_authroles")?;
            let mut list: Vec<Id> = realm
                .peers
                .values()
                .filter(|p| {
                    roles
                        .as_ref()
                        .map_or(true, |r| r.contains(&p.authrole.as_str()))
                })
                .map(|p| p.session)
                .collect();
            if procedure == "wamp.session.count" {
                Ok(Value::from(list.len() as u64))
            } else {
                list.sort_unstable();
                Ok(ids(list))
            }
        }
        "wamp.session.get" => {
            let id = a.id(0, "session_id")?;
            let peer = realm.peers.get(&id).ok_or_else(|| no_such_session(id))?;
            Ok(Value::Dict(peer.details(&realm.name)))
        }
        "wamp.session.kill" => {
            let id = a.id(0, "session_id")?;
            let (reason, message) = kill_reason(a)?;
            if id == caller || !realm.peers.contains_key(&id) {
                return Err(no_such_session(id));
            }
            ctx.effects.push(Effect::Kill {
                session: id,
                reason,
                message,
            });
            Ok(Value::Null)
        }
        "wamp.session.kill_by_authid" | "wamp.session.kill_by_authrole" => {
            let by_authid = procedure == "wamp.session.kill_by_authid";
            let key = a.string(0, if by_authid { "authid" } else { "authrole" })?;
            let (reason, message) = kill_reason(a)?;
            let mut killed: Vec<Id> = realm
                .peers
                .values()
                .filter(|p| p.session != caller)
                .filter(|p| {
                    if by_authid {
                        p.authid == key
                    } else {
                        p.authrole == key
                    }
                })
                .map(|p| p.session)
                .collect();
            killed.sort_unstable();
            for &session in &killed {
                ctx.effects.push(Effect::Kill {
                    session,
                    reason: reason.clone(),
                    message: message.clone(),
                });
            }
            Ok(ids(killed))
        }
        "wamp.session.add_testament" => {
            let topic = a.string(0, "topic")?;
            if validate(topic, MatchPolicy::Exact, false).is_err() {
                return Err((
                    error_uri::INVALID_URI,
                    format!("invalid topic URI '{topic}'"),
                ));
            }
            let t_args = match a.get(1, "args") {
                None => Vec::new(),
                Some(Value::List(l)) => l.clone(),
                Some(_) => return Err(invalid("argument \"args\" must be a list")),
            };
            let t_kwargs = match a.get(2, "kwargs") {
                None => Dict::new(),
                Some(Value::Dict(d)) => d.clone(),
                Some(_) => return Err(invalid("argument \"kwargs\" must be a dictionary")),
            };
            let mut options = match a.get(3, "publish_options") {
                None => Dict::new(),
                Some(Value::Dict(d)) => d.clone(),
                Some(_) => {
                    return Err(invalid("argument \"publish_options\" must be a dictionary"))
                }
            };
            options.remove("acknowledge");
            options.remove("exclude_me");
            let scope = scope(a, 4)?;
            let limit = ctx.limits.max_testaments_per_session;
            let peer = realm
                .peers
                .get_mut(&caller)
                .ok_or_else(|| no_such_session(caller))?;
            let list = if scope == DETACHED {
                &mut peer.testaments.detached
            } else {
                &mut peer.testaments.destroyed
            };
            if list.len() >= limit {
                return Err((
                    TESTAMENT_ERROR,
                    format!("a session may have at most {limit} testaments per scope"),
                ));
            }
            list.push(Testament {
                topic: Str::new(topic),
                args: t_args,
                kwargs: t_kwargs,
                options,
            });
            Ok(Value::from(ctx.ids.random()))
        }
        "wamp.session.flush_testaments" => {
            let scope = scope(a, 0)?;
            let peer = realm
                .peers
                .get_mut(&caller)
                .ok_or_else(|| no_such_session(caller))?;
            let list = if scope == DETACHED {
                &mut peer.testaments.detached
            } else {
                &mut peer.testaments.destroyed
            };
            let n = list.len();
            list.clear();
            Ok(Value::from(n as u64))
        }
        "wamp.registration.list" => {
            let dealer = &realm.dealer;
            match a.opt_id(0, "session_id")? {
                Some(session) => {
                    if !realm.peers.contains_key(&session) {
                        return Err(no_such_session(session));
                    }
                    let (e, p, w) = split_by_policy(dealer.of_session(session), |id| {
                        dealer.get(id).map(|r| r.policy)
                    });
                    Ok(by_policy(e, p, w))
                }
                None => Ok(by_policy(
                    dealer.ids(MatchPolicy::Exact),
                    dealer.ids(MatchPolicy::Prefix),
                    dealer.ids(MatchPolicy::Wildcard),
                )),
            }
        }
        "wamp.subscription.list" => {
            let broker = &realm.broker;
            match a.opt_id(0, "session_id")? {
                Some(session) => {
                    if !realm.peers.contains_key(&session) {
                        return Err(no_such_session(session));
                    }
                    let (e, p, w) = split_by_policy(broker.of_session(session), |id| {
                        broker.get(id).map(|s| s.policy)
                    });
                    Ok(by_policy(e, p, w))
                }
                None => Ok(by_policy(
                    broker.ids(MatchPolicy::Exact),
                    broker.ids(MatchPolicy::Prefix),
                    broker.ids(MatchPolicy::Wildcard),
                )),
            }
        }
        "wamp.registration.lookup" => {
            let uri = a.string(0, "procedure")?;
            let policy = lookup_policy(a)?;
            Ok(realm
                .dealer
                .lookup(uri, policy)
                .map_or(Value::Null, Value::from))
        }
        "wamp.subscription.lookup" => {
            let uri = a.string(0, "topic")?;
            let policy = lookup_policy(a)?;
            Ok(realm
                .broker
                .lookup(uri, policy)
                .map_or(Value::Null, Value::from))
        }
        "wamp.registration.match" => {
            let uri = a.string(0, "procedure")?;
            Ok(realm.dealer.best(uri).map_or(Value::Null, Value::from))
        }
        "wamp.subscription.match" => {
            let uri = a.string(0, "topic")?;
            let list = realm.broker.matching(uri);
            Ok(if list.is_empty() {
                Value::Null
            } else {
                ids(list)
            })
        }
        "wamp.registration.get" => {
            let id = a.id(0, "registration_id")?;
            let reg = realm
                .dealer
                .get(id)
                .ok_or_else(|| no_such_registration(id))?;
            Ok(Value::Dict(reg.details()))
        }
        "wamp.subscription.get" => {
            let id = a.id(0, "subscription_id")?;
            let sub = realm
                .broker
                .get(id)
                .ok_or_else(|| no_such_subscription(id))?;
            Ok(Value::Dict(sub.details()))
        }
        "wamp.registration.list_callees" | "wamp.registration.count_callees" => {
            let id = a.id(0, "registration_id")?;
            let reg = realm
                .dealer
                .get(id)
                .ok_or_else(|| no_such_registration(id))?;
            let callees = reg.callees();
            Ok(if procedure.ends_with("count_callees") {
                Value::from(callees.len() as u64)
            } else {
                ids(callees)
            })
        }
        "wamp.subscription.list_subscribers" | "wamp.subscription.count_subscribers" => {
            let id = a.id(0, "subscription_id")?;
            let sub = realm
                .broker
                .get(id)
                .ok_or_else(|| no_such_subscription(id))?;
            Ok(if procedure.ends_with("count_subscribers") {
                Value::from(sub.subscribers.len() as u64)
            } else {
                ids(sub.subscribers.iter().copied().collect())
            })
        }
        "wamp.registration.remove_callee" => {
            let id = a.id(0, "registration_id")?;
            let callee = a.id(1, "callee_id")?;
            let reason = a.opt_string("reason")?;
            if !realm.peers.contains_key(&callee) {
                return Err(no_such_session(callee));
            }
            let reg = realm
                .dealer
                .get(id)
                .ok_or_else(|| no_such_registration(id))?;
            if is_restricted(&reg.uri) {
                return Err(protected("remove callee", &reg.uri));
            }
            if !reg.callees().contains(&callee) {
                return Err((
                    error_uri::NO_SUCH_REGISTRATION,
                    format!(
                        "session {callee} is not registered on registration {id} on this dealer"
                    ),
                ));
            }
            realm
                .dealer
                .revoke(ctx, &realm.peers, &mut realm.meta, id, callee, reason);
            Ok(Value::Null)
        }
        "wamp.subscription.remove_subscriber" => {
            let id = a.id(0, "subscription_id")?;
            let subscriber = a.id(1, "subscriber_id")?;
            let reason = a.opt_string("reason")?;
            let Some(peer) = realm.peers.get(&subscriber) else {
                return Err(no_such_session(subscriber));
            };
            let (conn, revocation) = (peer.conn, peer.features.subscriber_revocation);
            let sub = realm
                .broker
                .get(id)
                .ok_or_else(|| no_such_subscription(id))?;
            if is_restricted(&sub.uri) {
                return Err(protected("remove subscriber", &sub.uri));
            }
            if !sub.subscribers.contains(&subscriber) {
                return Err((
                    error_uri::NO_SUCH_SUBSCRIPTION,
                    format!("session {subscriber} is not subscribed on subscription {id} on this broker"),
                ));
            }
            // The broker's UNSUBSCRIBE path, answered with the revocation instead of the
            // answer to a request.
            let queued = ctx.out.len();
            realm
                .broker
                .unsubscribe(ctx, &realm.peers, &mut realm.meta, subscriber, 0, id);
            ctx.out.truncate(queued);
            if revocation {
                let mut details = Dict::from([("subscription", Value::from(id))]);
                if let Some(reason) = reason {
                    details.insert("reason".into(), Value::from(reason));
                }
                ctx.send(
                    conn,
                    Message::Unsubscribed {
                        request: 0,
                        details: Some(details),
                    },
                );
            }
            Ok(Value::Null)
        }
        _ => Err((
            error_uri::NO_SUCH_PROCEDURE,
            format!("no callee registered for procedure <{procedure}>"),
        )),
    }
}
