//! The dealer: registrations and the routing of calls.
//!
//! - A registration is one `(procedure, match)` pair with one id; shared registrations hold
//!   several callees under one invocation policy (`single`, `first`, `last`, `roundrobin`,
//!   `random`). The first REGISTER fixes the policy: with `single` any further REGISTER gets
//!   `wamp.error.procedure_already_exists`; with another policy a REGISTER asking a different
//!   one gets `wamp.error.procedure_exists_with_different_invocation_policy` (Crossbar.io's
//!   URI).
//! - A call goes to the best matching registration ([`matching`](super::matching)); INVOCATION
//!   request ids are sequential per callee; pattern registrations get `procedure` in the
//!   INVOCATION details.
//! - Caller disclosure (`caller`, `caller_authid`, `caller_authrole`) when the role's
//!   permission says `disclose.caller`, the CALL says `disclose_me`, or the registration says
//!   `disclose_caller`.
//! - Progressive results: a YIELD with `progress` becomes RESULT with `progress` if the caller
//!   asked `receive_progress` (else it is dropped); the final YIELD ends the call. RESULT
//!   details disclose the callee (`callee`, `callee_authid`, `callee_authrole`), as
//!   Crossbar.io's do.
//! - Timeout (`CALL.Options.timeout`, ms): the caller gets ERROR `wamp.error.canceled` ("timeout
//!   reached", as Crossbar.io) and a callee that announced `call_canceling` gets INTERRUPT
//!   `killnowait`.
//! - CANCEL modes: `skip` (ERROR now, no INTERRUPT), `kill` (INTERRUPT, ERROR
//!   `wamp.error.canceled` when the callee answers), `killnowait` (the default; INTERRUPT and
//!   ERROR now). A callee without `call_canceling` always gets `skip`.
//! - A callee leaving: each of its callers gets ERROR `wamp.error.canceled`. A caller leaving:
//!   the callee of each of its calls gets INTERRUPT `killnowait` if it announced
//!   `call_canceling`.
//! - A late YIELD or ERROR for an invocation that is over (canceled, timed out) is dropped.
//! - Revocation: a REGISTER with `force_reregister: true` (a Crossbar.io option) for a
//!   procedure already registered with the same match policy takes it over, as Crossbar.io
//!   does whatever the other callees' roles: every callee of the existing registration
//!   (the registering session too) is removed from it and gets
//!   `[UNREGISTERED, 0, {registration, reason: "wamp.error.unregistered"}]`, the registration
//!   is deleted, and a new one is made for the registering session alone.
//!   `wamp.registration.remove_callee` revokes one callee ([`Dealer::revoke`]). Unlike
//!   Crossbar.io, UNREGISTERED goes only to callees that announced `registration_revocation`
//!   (as the spec says; others would take it for a protocol error), and the meta events
//!   `on_unregister` / `on_delete` are published for revoked callees.

use std::collections::HashMap;

use std::hash::BuildHasherDefault;

use wamp_core::id::{Id, IdHasher, IdMap, IdSet, PeerIdMap};
use wamp_core::message::RequestType;
use wamp_core::uri::{error_uri, MatchPolicy};
use wamp_core::{Dict, Message, Str, Value};

use super::ids::SequentialIds;
use super::matching::MatchTable;
use super::meta::{self, MetaEvent};
use super::options::{self, error, Violation};
use super::realm::{is_restricted, Peer, Peers};
use super::{Ctx, TimerKey, TimerKind, LIMIT_REACHED};

/// How a shared registration picks its callee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invoke {
    Single,
    First,
    Last,
    RoundRobin,
    Random,
}

impl Invoke {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "single" => Invoke::Single,
            "first" => Invoke::First,
            "last" => Invoke::Last,
            "roundrobin" => Invoke::RoundRobin,
            "random" => Invoke::Random,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Invoke::Single => "single",
            Invoke::First => "first",
            Invoke::Last => "last",
            Invoke::RoundRobin => "roundrobin",
            Invoke::Random => "random",
        }
    }
}

/// One callee of a registration.
#[derive(Debug, Clone, Copy)]
struct Callee {
    session: Id,
    disclose_caller: bool,
    /// REGISTER's `concurrency` (a Crossbar.io option): the most invocations of this
    /// registration the callee runs at once; more calls get
    /// `crossbar.error.max_concurrency_reached`.
    concurrency: Option<u64>,
    /// Invocations of this registration running on this callee.
    running: u64,
}

impl Callee {
    fn is_free(&self) -> bool {
        self.concurrency.map_or(true, |max| self.running < max)
    }
}

/// The error of a call that finds its callee (every callee, for `roundrobin`) at its
/// `concurrency` (Crossbar.io's URI).
pub(crate) const MAX_CONCURRENCY_REACHED: &str = "crossbar.error.max_concurrency_reached";

/// One registration.
#[derive(Debug)]
pub(crate) struct Registration {
    pub(crate) id: Id,
    pub(crate) uri: Str,
    pub(crate) policy: MatchPolicy,
    pub(crate) invoke: Invoke,
    pub(crate) created: Option<String>,
    /// In the order they registered.
    callees: Vec<Callee>,
    /// The next index for `roundrobin`.
    next: usize,
}

impl Registration {
    /// `{id, created, uri, match, invoke}` for the meta API.
    pub(crate) fn details(&self) -> Dict {
        let mut d = Dict::from([
            ("id", Value::from(self.id)),
            ("uri", Value::String(self.uri.clone())),
            ("match", Value::from(self.policy.as_str())),
            ("invoke", Value::from(self.invoke.as_str())),
        ]);
        if let Some(c) = &self.created {
            d.insert("created".into(), Value::from(c.as_str()));
        }
        d
    }

    /// The callees' session ids, in registration order.
    pub(crate) fn callees(&self) -> Vec<Id> {
        self.callees.iter().map(|c| c.session).collect()
    }
}

/// A call in flight.
#[derive(Debug)]
struct Invocation {
    caller: Id,
    request: Id,
    /// The registration it runs under, for its callee's `concurrency` count.
    registration: Id,
    receive_progress: bool,
    timer: Option<TimerKey>,
    /// CANCEL `kill` sent: the callee's answer becomes ERROR `wamp.error.canceled`.
    killing: bool,
}

/// A session's dealer state.
#[derive(Debug, Default)]
struct SessionState {
    registrations: Vec<Id>,
    next_invocation: SequentialIds,
    /// Requests in flight as a caller, to the invocation `(callee, id)`.
    calls: PeerIdMap<(Id, Id)>,
    /// Invocations in flight as a callee.
    invocations: IdSet,
}

/// The dealer of one realm.
#[derive(Debug, Default)]
pub(crate) struct Dealer {
    registrations: IdMap<Registration>,
    table: MatchTable,
    sessions: IdMap<SessionState>,
    /// By `(callee, invocation id)`.
    invocations: HashMap<(Id, Id), Invocation, BuildHasherDefault<IdHasher>>,
}

/// The reason of a registration revoked by `force_reregister` (Crossbar.io's).
pub(crate) const UNREGISTERED_REASON: &str = "wamp.error.unregistered";

const CANCELED_MESSAGE: &str = "callee disconnected from in-flight request";

fn canceled(request: Id, message: &str) -> Message {
    error(RequestType::Call, request, error_uri::CANCELED, message)
}

/// RESULT details disclosing the callee, as Crossbar.io always does.
fn callee_details(peers: &Peers, callee: Id) -> Dict {
    match peers.get(&callee) {
        Some(p) => Dict::from([
            ("callee", Value::from(callee)),
            ("callee_authid", Value::String(p.authid.clone())),
            ("callee_authrole", Value::String(p.authrole.clone())),
        ]),
        None => Dict::new(),
    }
}

fn interrupt(request: Id, mode: &str) -> Message {
    Message::Interrupt {
        request,
        options: Dict::from([("mode", Value::from(mode))]),
    }
}

impl Dealer {
    /// REGISTER, authorized.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn register(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        meta_events: &mut Vec<MetaEvent>,
        session: Id,
        request: Id,
        options: &Dict,
        procedure: Str,
        policy: MatchPolicy,
    ) -> Result<(), Violation> {
        let invoke = match options::string(options, "invoke")? {
            None => Invoke::Single,
            Some(name) => Invoke::from_name(name)
                .ok_or_else(|| format!("invalid invocation policy {name:?}"))?,
        };
        let disclose_caller = options::flag(options, "disclose_caller")?.unwrap_or(false);
        let force_reregister = options::flag(options, "force_reregister")?.unwrap_or(false);
        let concurrency = match options::uint(options, "concurrency")? {
            Some(0) => return Err("concurrency must be at least 1".to_string()),
            other => other,
        };
        let Some(peer) = peers.get(&session) else {
            return Ok(());
        };
        let conn = peer.conn;
        let mut existing = self.table.get(&procedure, policy);
        if let (true, Some(id)) = (force_reregister, existing) {
            let callees = self
                .registrations
                .get(&id)
                .map(Registration::callees)
                .unwrap_or_default();
            for callee in callees {
                self.revoke(
                    ctx,
                    peers,
                    meta_events,
                    id,
                    callee,
                    Some(UNREGISTERED_REASON),
                );
            }
            existing = self.table.get(&procedure, policy);
        }
        if let Some(reg) = existing.and_then(|id| self.registrations.get(&id)) {
            if reg.invoke == Invoke::Single {
                ctx.send(
                    conn,
                    error(
                        RequestType::Register,
                        request,
                        error_uri::PROCEDURE_ALREADY_EXISTS,
                        format!("register for already registered procedure '{procedure}'"),
                    ),
                );
                return Ok(());
            }
            if reg.invoke != invoke {
                ctx.send(
                    conn,
                    error(
                        RequestType::Register,
                        request,
                        error_uri::PROCEDURE_EXISTS_WITH_DIFFERENT_INVOCATION_POLICY,
                        format!(
                            "register for already registered procedure '{procedure}' with conflicting invocation policy (has {} and {} was requested)",
                            reg.invoke.as_str(),
                            invoke.as_str()
                        ),
                    ),
                );
                return Ok(());
            }
        }
        let state = self.sessions.entry(session).or_default();
        let already = existing.is_some_and(|id| state.registrations.contains(&id));
        if !already && state.registrations.len() >= ctx.limits.max_registrations_per_session {
            ctx.send(
                conn,
                error(
                    RequestType::Register,
                    request,
                    LIMIT_REACHED,
                    format!(
                        "a session may have at most {} registrations",
                        ctx.limits.max_registrations_per_session
                    ),
                ),
            );
            return Ok(());
        }
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => {
                let regs = &self.registrations;
                let id = ctx.ids.unique(|id| regs.contains_key(&id));
                self.table.insert(&procedure, policy, id);
                self.registrations.insert(
                    id,
                    Registration {
                        id,
                        uri: procedure,
                        policy,
                        invoke,
                        created: ctx.wall.map(super::session::iso8601),
                        callees: Vec::new(),
                        next: 0,
                    },
                );
                (id, true)
            }
        };
        let Some(reg) = self.registrations.get_mut(&id) else {
            return Ok(());
        };
        if !already {
            reg.callees.push(Callee {
                session,
                disclose_caller,
                concurrency,
                running: 0,
            });
            state.registrations.push(id);
        }
        ctx.send(
            conn,
            Message::Registered {
                request,
                registration: id,
            },
        );
        if !is_restricted(&reg.uri) {
            if created {
                meta_events.push(MetaEvent::new(
                    meta::REGISTRATION_ON_CREATE,
                    vec![Value::from(session), Value::Dict(reg.details())],
                ));
            }
            if !already {
                meta_events.push(MetaEvent::new(
                    meta::REGISTRATION_ON_REGISTER,
                    vec![Value::from(session), Value::from(id)],
                ));
            }
        }
        Ok(())
    }

    /// UNREGISTER.
    pub(crate) fn unregister(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        meta_events: &mut Vec<MetaEvent>,
        session: Id,
        request: Id,
        registration: Id,
    ) {
        let Some(peer) = peers.get(&session) else {
            return;
        };
        let registered = self
            .registrations
            .get(&registration)
            .is_some_and(|r| r.callees.iter().any(|c| c.session == session));
        if !registered {
            ctx.send(
                peer.conn,
                error(
                    RequestType::Unregister,
                    request,
                    error_uri::NO_SUCH_REGISTRATION,
                    format!("no registration with ID {registration} exists for this session"),
                ),
            );
            return;
        }
        if let Some(state) = self.sessions.get_mut(&session) {
            state.registrations.retain(|&id| id != registration);
        }
        self.remove_callee(session, registration, meta_events);
        ctx.send(
            peer.conn,
            Message::Unregistered {
                request,
                details: None,
            },
        );
    }

    /// Revokes `callee`'s registration `registration` (force_reregister,
    /// `wamp.registration.remove_callee`): the callee is removed from it and, if it announced
    /// `registration_revocation`, gets UNREGISTERED with request 0 and the registration and
    /// `reason` in the details. False when `callee` was not registered there.
    pub(crate) fn revoke(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        meta_events: &mut Vec<MetaEvent>,
        registration: Id,
        callee: Id,
        reason: Option<&str>,
    ) -> bool {
        let registered = self
            .registrations
            .get(&registration)
            .is_some_and(|r| r.callees.iter().any(|c| c.session == callee));
        if !registered {
            return false;
        }
        if let Some(state) = self.sessions.get_mut(&callee) {
            state.registrations.retain(|&id| id != registration);
        }
        self.remove_callee(callee, registration, meta_events);
        if let Some(peer) = peers.get(&callee) {
            if peer.features.callee_revocation {
                let mut details = Dict::from([("registration", Value::from(registration))]);
                if let Some(reason) = reason {
                    details.insert("reason".into(), Value::from(reason));
                }
                ctx.send(
                    peer.conn,
                    Message::Unregistered {
                        request: 0,
                        details: Some(details),
                    },
                );
            }
        }
        true
    }

    fn remove_callee(&mut self, session: Id, registration: Id, meta_events: &mut Vec<MetaEvent>) {
        let Some(reg) = self.registrations.get_mut(&registration) else {
            return;
        };
        let before = reg.callees.len();
        reg.callees.retain(|c| c.session != session);
        if reg.callees.len() == before {
            return;
        }
        let restricted = is_restricted(&reg.uri);
        if !restricted {
            meta_events.push(MetaEvent::new(
                meta::REGISTRATION_ON_UNREGISTER,
                vec![Value::from(session), Value::from(registration)],
            ));
        }
        if reg.callees.is_empty() {
            let (uri, policy) = (reg.uri.clone(), reg.policy);
            self.table.remove(&uri, policy);
            self.registrations.remove(&registration);
            if !restricted {
                meta_events.push(MetaEvent::new(
                    meta::REGISTRATION_ON_DELETE,
                    vec![Value::from(session), Value::from(registration)],
                ));
            }
        }
    }

    /// CALL, authorized (`disclose`: the role's permission discloses the caller).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        caller: Id,
        request: Id,
        options: &Dict,
        procedure: Str,
        args: Vec<Value>,
        kwargs: Dict,
        disclose: bool,
    ) -> Result<(), Violation> {
        let receive_progress = options::flag(options, "receive_progress")?.unwrap_or(false);
        let disclose_me = options::flag(options, "disclose_me")?.unwrap_or(false);
        let timeout = options::uint(options, "timeout")?.unwrap_or(0);
        let progress = options::flag(options, "progress")?.unwrap_or(false);
        let Some(caller_peer) = peers.get(&caller) else {
            return Ok(());
        };
        let conn = caller_peer.conn;
        let state = self.sessions.entry(caller).or_default();
        if state.calls.contains_key(&request) {
            return Err(format!(
                "CALL with request ID {request} while a call with that ID is in flight"
            ));
        }
        if progress {
            ctx.send(
                conn,
                error(
                    RequestType::Call,
                    request,
                    error_uri::FEATURE_NOT_SUPPORTED,
                    "progressive call invocations are not supported by this router",
                ),
            );
            return Ok(());
        }
        if state.calls.len() >= ctx.limits.max_calls_per_session {
            ctx.send(
                conn,
                error(
                    RequestType::Call,
                    request,
                    LIMIT_REACHED,
                    format!(
                        "a session may have at most {} calls in flight",
                        ctx.limits.max_calls_per_session
                    ),
                ),
            );
            return Ok(());
        }
        let Some(reg) = self
            .table
            .best(&procedure)
            .and_then(|id| self.registrations.get_mut(&id))
        else {
            ctx.send(
                conn,
                error(
                    RequestType::Call,
                    request,
                    error_uri::NO_SUCH_PROCEDURE,
                    format!("no callee registered for procedure <{procedure}>"),
                ),
            );
            return Ok(());
        };
        let n = reg.callees.len();
        let index = match reg.invoke {
            Invoke::Single | Invoke::First => Some(0),
            Invoke::Last => Some(n.saturating_sub(1)),
            // The next callee in turn that is below its concurrency, as Crossbar.io does.
            Invoke::RoundRobin => {
                let start = reg.next % n.max(1);
                let found = (0..n)
                    .map(|k| (start + k) % n)
                    .find(|&i| reg.callees[i].is_free());
                if let Some(i) = found {
                    reg.next = (i + 1) % n;
                }
                found
            }
            Invoke::Random => Some(ctx.ids.index(n)),
        };
        let Some(&callee) = index.and_then(|i| reg.callees.get(i)) else {
            if n > 0 {
                ctx.send(
                    conn,
                    error(
                        RequestType::Call,
                        request,
                        MAX_CONCURRENCY_REACHED,
                        "maximum concurrency of every callee reached".to_string(),
                    ),
                );
            }
            return Ok(());
        };
        if !callee.is_free() {
            ctx.send(
                conn,
                error(
                    RequestType::Call,
                    request,
                    MAX_CONCURRENCY_REACHED,
                    format!(
                        "maximum concurrency {} of the callee reached",
                        callee.concurrency.unwrap_or(0)
                    ),
                ),
            );
            return Ok(());
        }
        let Some(callee_peer) = peers.get(&callee.session) else {
            return Ok(());
        };
        let callee_state = self.sessions.entry(callee.session).or_default();
        if callee_state.invocations.len() >= ctx.limits.max_invocations_per_callee {
            ctx.send(
                conn,
                error(
                    RequestType::Call,
                    request,
                    LIMIT_REACHED,
                    format!(
                        "the callee has {} invocations in flight, its limit",
                        ctx.limits.max_invocations_per_callee
                    ),
                ),
            );
            return Ok(());
        }
        let invocation = callee_state.next_invocation.next_id();
        callee_state.invocations.insert(invocation);
        if let Some(c) = reg.callees.get_mut(index.unwrap_or(0)) {
            c.running += 1;
        }
        let mut details = Dict::new();
        if receive_progress {
            details.insert("receive_progress".into(), Value::Bool(true));
        }
        if timeout > 0 {
            details.insert("timeout".into(), Value::from(timeout));
        }
        if disclose || disclose_me || callee.disclose_caller {
            details.insert("caller".into(), Value::from(caller));
            details.insert(
                "caller_authid".into(),
                Value::String(caller_peer.authid.clone()),
            );
            details.insert(
                "caller_authrole".into(),
                Value::String(caller_peer.authrole.clone()),
            );
        }
        if reg.policy != MatchPolicy::Exact {
            details.insert("procedure".into(), Value::String(procedure));
        }
        let registration = reg.id;
        // A timeout too far to represent is no timeout.
        let deadline = (timeout > 0)
            .then(|| {
                ctx.now
                    .checked_add(std::time::Duration::from_millis(timeout))
            })
            .flatten();
        let timer = deadline.map(|at| {
            ctx.timers.add(
                at,
                TimerKind::Call {
                    realm: ctx.realm,
                    callee: callee.session,
                    invocation,
                },
            )
        });
        self.invocations.insert(
            (callee.session, invocation),
            Invocation {
                caller,
                request,
                registration,
                receive_progress,
                timer,
                killing: false,
            },
        );
        if let Some(state) = self.sessions.get_mut(&caller) {
            state.calls.insert(request, (callee.session, invocation));
        }
        ctx.send(
            callee_peer.conn,
            Message::Invocation {
                request: invocation,
                registration,
                details,
                args,
                kwargs,
            },
        );
        Ok(())
    }

    /// One invocation of `registration` less runs on `callee`.
    fn not_running(&mut self, registration: Id, callee: Id) {
        if let Some(c) = self
            .registrations
            .get_mut(&registration)
            .and_then(|r| r.callees.iter_mut().find(|c| c.session == callee))
        {
            c.running = c.running.saturating_sub(1);
        }
    }

    /// Forgets an invocation; returns it.
    fn finish(&mut self, ctx: &mut Ctx<'_>, callee: Id, invocation: Id) -> Option<Invocation> {
        let inv = self.invocations.remove(&(callee, invocation))?;
        if let Some(t) = inv.timer {
            ctx.timers.cancel(t);
        }
        self.not_running(inv.registration, callee);
        if let Some(s) = self.sessions.get_mut(&callee) {
            s.invocations.remove(&invocation);
        }
        if let Some(s) = self.sessions.get_mut(&inv.caller) {
            s.calls.remove(&inv.request);
        }
        Some(inv)
    }

    fn send_to(ctx: &mut Ctx<'_>, peers: &Peers, session: Id, msg: Message) {
        if let Some(p) = peers.get(&session) {
            ctx.send(p.conn, msg);
        }
    }

    /// YIELD from a callee.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn yield_(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        callee: Id,
        invocation: Id,
        options: &Dict,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> Result<(), Violation> {
        let progress = options::flag(options, "progress")?.unwrap_or(false);
        let Some(inv) = self.invocations.get(&(callee, invocation)) else {
            // Over already (canceled, timed out, the caller left): dropped.
            return Ok(());
        };
        if progress {
            if inv.receive_progress && !inv.killing {
                let mut details = callee_details(peers, callee);
                details.insert("progress".into(), Value::Bool(true));
                let msg = Message::Result {
                    request: inv.request,
                    details,
                    args,
                    kwargs,
                };
                Self::send_to(ctx, peers, inv.caller, msg);
            }
            return Ok(());
        }
        let Some(inv) = self.finish(ctx, callee, invocation) else {
            return Ok(());
        };
        let msg = if inv.killing {
            canceled(inv.request, "call canceled")
        } else {
            Message::Result {
                request: inv.request,
                details: callee_details(peers, callee),
                args,
                kwargs,
            }
        };
        Self::send_to(ctx, peers, inv.caller, msg);
        Ok(())
    }

    /// ERROR from a callee, answering an INVOCATION.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn invocation_error(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        callee: Id,
        invocation: Id,
        error_uri: Str,
        args: Vec<Value>,
        kwargs: Dict,
    ) {
        let Some(inv) = self.finish(ctx, callee, invocation) else {
            return;
        };
        let msg = if inv.killing {
            canceled(inv.request, "call canceled")
        } else {
            Message::Error {
                request_type: RequestType::Call,
                request: inv.request,
                details: Dict::new(),
                error: error_uri,
                args,
                kwargs,
            }
        };
        Self::send_to(ctx, peers, inv.caller, msg);
    }

    /// CANCEL from a caller.
    pub(crate) fn cancel(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        caller: Id,
        request: Id,
        options: &Dict,
    ) -> Result<(), Violation> {
        let mode = match options::string(options, "mode")? {
            None => "killnowait",
            Some(m @ ("skip" | "kill" | "killnowait")) => m,
            Some(m) => return Err(format!("invalid cancel mode {m:?}")),
        };
        let Some(&(callee, invocation)) = self
            .sessions
            .get(&caller)
            .and_then(|s| s.calls.get(&request))
        else {
            // Not in flight (answered already): nothing to do.
            return Ok(());
        };
        let Some(inv) = self.invocations.get_mut(&(callee, invocation)) else {
            return Ok(());
        };
        if inv.killing {
            return Ok(());
        }
        let callee_cancels = peers
            .get(&callee)
            .is_some_and(|p| p.features.callee_canceling);
        let mode = if callee_cancels { mode } else { "skip" };
        match mode {
            "kill" => {
                inv.killing = true;
                Self::send_to(ctx, peers, callee, interrupt(invocation, "kill"));
            }
            _ => {
                if mode == "killnowait" {
                    Self::send_to(ctx, peers, callee, interrupt(invocation, "killnowait"));
                }
                self.finish(ctx, callee, invocation);
                Self::send_to(ctx, peers, caller, canceled(request, "call canceled"));
            }
        }
        Ok(())
    }

    /// A call's timeout fired.
    pub(crate) fn timeout(&mut self, ctx: &mut Ctx<'_>, peers: &Peers, callee: Id, invocation: Id) {
        if let Some(inv) = self.invocations.get_mut(&(callee, invocation)) {
            // The timer has fired: nothing to cancel.
            inv.timer = None;
        }
        let Some(inv) = self.finish(ctx, callee, invocation) else {
            return;
        };
        if peers
            .get(&callee)
            .is_some_and(|p| p.features.callee_canceling)
        {
            Self::send_to(ctx, peers, callee, interrupt(invocation, "killnowait"));
        }
        Self::send_to(
            ctx,
            peers,
            inv.caller,
            canceled(inv.request, "timeout reached"),
        );
    }

    /// A session left (it is no longer in `peers`): its calls are interrupted, its callers get
    /// ERROR `wamp.error.canceled`, its registrations go.
    pub(crate) fn detach(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        peer: &Peer,
        meta_events: &mut Vec<MetaEvent>,
    ) {
        let session = peer.session;
        let Some(state) = self.sessions.remove(&session) else {
            return;
        };
        // As a caller: interrupt the callees that can be interrupted.
        let mut calls: Vec<(Id, Id)> = state.calls.values().copied().collect();
        calls.sort_unstable();
        for (callee, invocation) in calls {
            if let Some(inv) = self.invocations.remove(&(callee, invocation)) {
                if let Some(t) = inv.timer {
                    ctx.timers.cancel(t);
                }
                self.not_running(inv.registration, callee);
                if let Some(s) = self.sessions.get_mut(&callee) {
                    s.invocations.remove(&invocation);
                }
                if callee != session
                    && peers
                        .get(&callee)
                        .is_some_and(|p| p.features.callee_canceling)
                {
                    Self::send_to(ctx, peers, callee, interrupt(invocation, "killnowait"));
                }
            }
        }
        // As a callee: its callers' calls end.
        let mut invocations: Vec<Id> = state.invocations.iter().copied().collect();
        invocations.sort_unstable();
        for invocation in invocations {
            if let Some(inv) = self.invocations.remove(&(session, invocation)) {
                if let Some(t) = inv.timer {
                    ctx.timers.cancel(t);
                }
                if let Some(s) = self.sessions.get_mut(&inv.caller) {
                    s.calls.remove(&inv.request);
                }
                Self::send_to(
                    ctx,
                    peers,
                    inv.caller,
                    canceled(inv.request, CANCELED_MESSAGE),
                );
            }
        }
        for registration in state.registrations {
            self.remove_callee(session, registration, meta_events);
        }
    }

    // ---- meta API queries ----

    pub(crate) fn get(&self, id: Id) -> Option<&Registration> {
        self.registrations.get(&id)
    }

    pub(crate) fn lookup(&self, uri: &str, policy: MatchPolicy) -> Option<Id> {
        self.table.get(uri, policy)
    }

    pub(crate) fn best(&self, uri: &str) -> Option<Id> {
        self.table.best(uri)
    }

    pub(crate) fn ids(&self, policy: MatchPolicy) -> Vec<Id> {
        self.table.ids(policy)
    }

    pub(crate) fn of_session(&self, session: Id) -> &[Id] {
        self.sessions
            .get(&session)
            .map_or(&[], |s| s.registrations.as_slice())
    }

    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.invocations.len()
    }

    /// Entries of every table (registrations, sessions, invocations).
    #[cfg(test)]
    pub(crate) fn entries(&self) -> usize {
        self.invocations.len() + self.registrations.len() + self.sessions.len()
    }
}
