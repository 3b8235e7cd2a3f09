//! The per-connection session state machine: HELLO (within a deadline), CHALLENGE and
//! AUTHENTICATE or the dynamic authenticator, WELCOME, GOODBYE both ways, ABORT, and protocol
//! violations.
//!
//! ```text
//! Opened --HELLO--> (Challenged --AUTHENTICATE--> | Authenticating --result--> | ) Joined
//! Joined --GOODBYE--> reply goodbye_and_out, Close
//! Joined --kill/shutdown--> GOODBYE sent: Leaving --GOODBYE or deadline--> Close
//! any handshake phase --deadline--> Close;  anything unexpected --> ABORT protocol_violation
//! ```
//!
//! A session leaves its realm (testaments, in-flight calls canceled, meta events) the moment
//! it ends, whichever way: GOODBYE, ABORT, violation, kill, shutdown or lost transport.

use std::time::{Instant, SystemTime};

use wamp_core::id::Id;
use wamp_core::message::RequestType;
use wamp_core::uri::{close_uri, error_uri};
use wamp_core::{Dict, Message, Str, Value};

use super::auth::{
    self, AuthenticateOutcome, DynamicRequest, HelloOutcome, Identity, Pending, Refusal,
};
use super::realm::Peer;
use super::{ConnId, ConnInfo, Core, Output, TimerKey, TimerKind, LIMIT_REACHED};

/// The agent string in WELCOME.
const AGENT: &str = concat!("wamp-router-", env!("CARGO_PKG_VERSION"));

/// One connection.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) info: ConnInfo,
    pub(crate) phase: Phase,
    /// The handshake or GOODBYE deadline.
    pub(crate) timer: Option<TimerKey>,
}

/// Where a connection is in its session's life.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Waiting for HELLO.
    Opened,
    /// CHALLENGE sent, waiting for AUTHENTICATE.
    Challenged {
        realm: usize,
        session: Id,
        features: Features,
        pending: Pending,
    },
    /// Waiting for the dynamic authenticator.
    Authenticating {
        realm: usize,
        session: Id,
        features: Features,
    },
    /// Joined a realm.
    Joined { realm: usize, session: Id },
    /// We sent GOODBYE (kill, shutdown) and wait for the reply; the session has left.
    Leaving,
}

impl Phase {
    pub(crate) fn is_handshake(&self) -> bool {
        matches!(
            self,
            Phase::Opened | Phase::Challenged { .. } | Phase::Authenticating { .. }
        )
    }
}

/// The advanced features a client announced in HELLO that the router acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Features {
    /// `callee.features.call_canceling`: the callee understands INTERRUPT.
    pub(crate) callee_canceling: bool,
    /// `callee.features.progressive_call_results`.
    pub(crate) callee_progress: bool,
    /// `callee.features.registration_revocation`.
    pub(crate) callee_revocation: bool,
    /// `caller.features.call_canceling`.
    pub(crate) caller_canceling: bool,
    /// `subscriber.features.subscription_revocation`.
    pub(crate) subscriber_revocation: bool,
}

const CLIENT_ROLES: [&str; 4] = ["publisher", "subscriber", "caller", "callee"];

/// Reads `HELLO.Details.roles`: a dictionary with at least one of the four client roles, each
/// a dictionary whose `features`, if present, is a dictionary.
pub(crate) fn parse_roles(details: &Dict) -> Result<Features, String> {
    let Some(Value::Dict(roles)) = details.get("roles") else {
        return Err("HELLO without a roles dictionary".into());
    };
    let mut any = false;
    let mut f = Features::default();
    for (name, role) in roles.iter() {
        let Value::Dict(role) = role else {
            return Err(format!("HELLO role {name:?} is not a dictionary"));
        };
        let features = match role.get("features") {
            None => None,
            Some(Value::Dict(d)) => Some(d),
            Some(_) => {
                return Err(format!(
                    "HELLO role {name:?} has features that are not a dictionary"
                ))
            }
        };
        let flag = |key: &str| {
            features
                .and_then(|d| d.get(key))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        if CLIENT_ROLES.contains(&name.as_str()) {
            any = true;
        }
        match name.as_str() {
            "callee" => {
                f.callee_canceling = flag("call_canceling");
                f.callee_progress = flag("progressive_call_results");
                f.callee_revocation = flag("registration_revocation");
            }
            "caller" => f.caller_canceling = flag("call_canceling"),
            "subscriber" => f.subscriber_revocation = flag("subscription_revocation"),
            _ => {}
        }
    }
    if !any {
        return Err(
            "HELLO announces none of the roles publisher, subscriber, caller, callee".into(),
        );
    }
    Ok(f)
}

/// The router's roles and features, as announced in WELCOME.
pub(crate) fn router_roles() -> Dict {
    let flags = |names: &[&str]| -> Value {
        Value::Dict(Dict::from([(
            "features",
            Value::Dict(names.iter().map(|n| (*n, Value::Bool(true))).collect()),
        )]))
    };
    Dict::from([
        (
            "broker",
            flags(&[
                "event_retention",
                "pattern_based_subscription",
                "publisher_exclusion",
                "publisher_identification",
                "session_meta_api",
                "subscriber_blackwhite_listing",
                "subscription_meta_api",
                "subscription_revocation",
                "testament_meta_api",
            ]),
        ),
        (
            "dealer",
            flags(&[
                "call_canceling",
                "call_timeout",
                "caller_identification",
                "pattern_based_registration",
                "progressive_call_results",
                "registration_meta_api",
                "registration_revocation",
                "session_meta_api",
                "shared_registration",
                "testament_meta_api",
            ]),
        ),
    ])
}

/// `2014-06-22T16:36:25.448Z` for a wall-clock time (UTC, milliseconds).
pub(crate) fn iso8601(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

fn abort_message(reason: &str, message: &str) -> Message {
    Message::Abort {
        details: Dict::from([("message", Value::from(message))]),
        reason: Str::new(reason),
    }
}

impl Core {
    /// Every message from a connection, by phase.
    pub(crate) fn handle_message(&mut self, now: Instant, conn: ConnId, msg: Message) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        match &c.phase {
            Phase::Opened => match msg {
                Message::Hello { realm, details } => self.on_hello(now, conn, &realm, details),
                Message::Abort { .. } => self.close_conn(now, conn, true),
                other => self.violation(
                    now,
                    conn,
                    &format!("{} message received before HELLO", other.name()),
                ),
            },
            Phase::Challenged { .. } => match msg {
                Message::Authenticate { signature, extra } => {
                    self.on_authenticate(now, conn, &signature, &extra)
                }
                Message::Abort { .. } => self.close_conn(now, conn, true),
                other => self.violation(
                    now,
                    conn,
                    &format!("{} message received during authentication", other.name()),
                ),
            },
            Phase::Authenticating { .. } => match msg {
                Message::Abort { .. } => self.close_conn(now, conn, true),
                other => self.violation(
                    now,
                    conn,
                    &format!("{} message received during authentication", other.name()),
                ),
            },
            Phase::Leaving => {
                if matches!(msg, Message::Goodbye { .. } | Message::Abort { .. }) {
                    self.close_conn(now, conn, true);
                }
                // Anything else after our GOODBYE is ignored, as the spec says.
            }
            &Phase::Joined { realm, session } => match msg {
                Message::Goodbye { .. } => {
                    self.out.push_back(Output::Send {
                        conn,
                        msg: Message::Goodbye {
                            details: Dict::new(),
                            reason: Str::from_static(close_uri::GOODBYE_AND_OUT),
                        },
                    });
                    self.close_conn(now, conn, true);
                }
                Message::Abort { .. } => self.close_conn(now, conn, true),
                Message::Hello { .. } => self.violation(
                    now,
                    conn,
                    &format!("HELLO message received while session {session} is already joined"),
                ),
                Message::Error {
                    request_type: rt, ..
                } if rt != RequestType::Invocation => self.violation(
                    now,
                    conn,
                    "ERROR message from a client may only answer an INVOCATION",
                ),
                msg @ (Message::Publish { .. }
                | Message::Subscribe { .. }
                | Message::Unsubscribe { .. }
                | Message::Call { .. }
                | Message::Cancel { .. }
                | Message::Register { .. }
                | Message::Unregister { .. }
                | Message::Yield { .. }
                | Message::Error { .. }) => {
                    let result = self.with_realm(now, realm, |r, ctx| r.handle(ctx, session, msg));
                    if let Some(Err(violation)) = result {
                        self.violation(now, conn, &violation);
                    }
                }
                other => self.violation(
                    now,
                    conn,
                    &format!("{} message may not be sent by a client", other.name()),
                ),
            },
        }
    }

    fn on_hello(&mut self, now: Instant, conn: ConnId, realm_name: &str, details: Dict) {
        if self.shutting_down {
            return self.abort(
                now,
                conn,
                close_uri::SYSTEM_SHUTDOWN,
                "the router is shutting down",
            );
        }
        let features = match parse_roles(&details) {
            Ok(f) => f,
            Err(e) => return self.violation(now, conn, &e),
        };
        let Some(&realm) = self.realm_index.get(realm_name) else {
            return self.abort(
                now,
                conn,
                error_uri::NO_SUCH_REALM,
                &format!(
                    "no realm \"{}\" exists on this router",
                    super::options::clip(realm_name)
                ),
            );
        };
        if self.sessions.len() >= self.max_sessions {
            return self.abort(
                now,
                conn,
                LIMIT_REACHED,
                &format!(
                    "the router has reached its limit of {} sessions",
                    self.max_sessions
                ),
            );
        }
        let sessions = &self.sessions;
        let session = self.ids.unique(|id| sessions.contains_key(&id));
        let random = self.ids.bytes32();
        let timestamp = iso8601(self.wall(now).unwrap_or(SystemTime::UNIX_EPOCH));
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        // From here on the session id is reserved; the phase owns it, so that closing the
        // connection releases it.
        self.sessions.insert(session, conn);
        c.phase = Phase::Authenticating {
            realm,
            session,
            features,
        };
        let outcome = auth::hello(
            &c.info.auth,
            realm_name,
            &details,
            session,
            random,
            &timestamp,
        );
        match outcome {
            HelloOutcome::Welcome(identity) => self.finish_auth(now, conn, Ok(identity)),
            HelloOutcome::Challenge {
                method,
                extra,
                pending,
            } => {
                c.phase = Phase::Challenged {
                    realm,
                    session,
                    features,
                    pending,
                };
                self.out.push_back(Output::Send {
                    conn,
                    msg: Message::Challenge {
                        method: method.into(),
                        extra,
                    },
                });
            }
            HelloOutcome::Dynamic(request) => self.ask_authenticator(conn, request),
            HelloOutcome::Refuse(r) => self.abort(now, conn, &r.reason, &r.message),
        }
    }

    fn on_authenticate(&mut self, now: Instant, conn: ConnId, signature: &str, extra: &Dict) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let Phase::Challenged {
            realm,
            session,
            features,
            ..
        } = c.phase
        else {
            return;
        };
        let Phase::Challenged { pending, .. } = std::mem::replace(
            &mut c.phase,
            Phase::Authenticating {
                realm,
                session,
                features,
            },
        ) else {
            return;
        };
        match auth::authenticate(pending, signature, extra) {
            AuthenticateOutcome::Welcome(identity) => self.finish_auth(now, conn, Ok(identity)),
            AuthenticateOutcome::Refuse(refusal) => self.finish_auth(now, conn, Err(refusal)),
            AuthenticateOutcome::Dynamic(request) => self.ask_authenticator(conn, request),
        }
    }

    /// [`Output::Authenticate`]: the net layer asks the dynamic authenticator and answers with
    /// [`Core::dynamic_auth_result`]; the connection stays in [`Phase::Authenticating`].
    fn ask_authenticator(&mut self, conn: ConnId, request: DynamicRequest) {
        let DynamicRequest {
            method,
            realm,
            authid,
            mut details,
            ..
        } = request;
        if let Some(c) = self.conns.get(&conn) {
            if !c.info.transport.is_empty() {
                details.insert("transport".into(), Value::Dict(c.info.transport.clone()));
            }
        }
        self.out.push_back(Output::Authenticate {
            conn,
            method,
            realm,
            authid,
            details,
        });
    }

    pub(crate) fn handle_dynamic_auth_result(
        &mut self,
        now: Instant,
        conn: ConnId,
        result: Result<Identity, Refusal>,
    ) {
        self.finish_auth(now, conn, result);
    }

    /// Welcome or refuse a connection in [`Phase::Authenticating`].
    fn finish_auth(&mut self, now: Instant, conn: ConnId, result: Result<Identity, Refusal>) {
        let Some(Conn {
            phase:
                Phase::Authenticating {
                    realm,
                    session,
                    features,
                },
            ..
        }) = self.conns.get(&conn)
        else {
            return;
        };
        let (realm, session, features) = (*realm, *session, *features);
        match result {
            Ok(identity) => self.welcome(now, conn, realm, session, features, identity),
            Err(r) => self.abort(now, conn, &r.reason, &r.message),
        }
    }

    /// Checks the realm and role of an authenticated session, sends WELCOME and joins it.
    fn welcome(
        &mut self,
        now: Instant,
        conn: ConnId,
        mut realm: usize,
        session: Id,
        features: Features,
        mut identity: Identity,
    ) {
        if let Some(name) = identity.realm.as_deref() {
            match self.realm_index.get(name) {
                Some(&r) => realm = r,
                None => {
                    return self.abort(
                        now,
                        conn,
                        error_uri::NO_SUCH_REALM,
                        &format!("no realm \"{name}\" exists on this router"),
                    )
                }
            }
        }
        let Some(r) = self.realms.get(realm) else {
            return;
        };
        if !r.authorizer.has_role(&identity.authrole) {
            let msg = format!(
                "no role \"{}\" exists on realm \"{}\"",
                identity.authrole, r.name
            );
            return self.abort(now, conn, error_uri::NO_SUCH_ROLE, &msg);
        }
        let realm_name = r.name.clone();
        if identity.authid.is_empty() {
            identity.authid = self.serial_number();
        }
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if let Some(t) = c.timer.take() {
            self.timers.cancel(t);
        }
        c.phase = Phase::Joined { realm, session };
        let transport = c.info.transport.clone();
        let mut details = Dict::from([
            ("roles", Value::Dict(router_roles())),
            ("realm", Value::from(realm_name.as_str())),
            ("authid", Value::from(identity.authid.as_str())),
            ("authrole", Value::from(identity.authrole.as_str())),
            ("authmethod", Value::from(identity.authmethod.as_str())),
            ("authprovider", Value::from(identity.authprovider.as_str())),
            ("agent", Value::from(AGENT)),
        ]);
        if !identity.authextra.is_empty() {
            details.insert("authextra".into(), Value::Dict(identity.authextra.clone()));
        }
        self.out.push_back(Output::Send {
            conn,
            msg: Message::Welcome { session, details },
        });
        let peer = Peer::new(session, conn, identity, transport, features);
        self.with_realm(now, realm, |r, ctx| r.join(ctx, peer));
    }

    /// An authid for an anonymous session: `XXXX-XXXX-XXXX-XXXX` (as Crossbar.io's serial
    /// numbers).
    fn serial_number(&mut self) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXY3456789XZ";
        let mut n = self.ids.random();
        let mut s = String::with_capacity(19);
        for i in 0..16 {
            if i > 0 && i % 4 == 0 {
                s.push('-');
            }
            if i == 10 {
                n ^= self.ids.random();
            }
            s.push(char::from(ALPHABET[(n & 31) as usize]));
            n >>= 5;
        }
        s
    }

    /// Sends ABORT and closes.
    pub(crate) fn abort(&mut self, now: Instant, conn: ConnId, reason: &str, message: &str) {
        if !self.conns.contains_key(&conn) {
            return;
        }
        self.out.push_back(Output::Send {
            conn,
            msg: abort_message(reason, message),
        });
        self.close_conn(now, conn, true);
    }

    /// ABORT `wamp.error.protocol_violation`.
    pub(crate) fn violation(&mut self, now: Instant, conn: ConnId, message: &str) {
        tracing::debug!(conn, message, "protocol violation");
        self.abort(now, conn, error_uri::PROTOCOL_VIOLATION, message);
    }

    /// Ends a joined session with GOODBYE: it leaves its realm now and the connection is
    /// closed on the reply or at the deadline. A connection still in its handshake gets ABORT.
    pub(crate) fn goodbye(
        &mut self,
        now: Instant,
        conn: ConnId,
        reason: &str,
        message: Option<String>,
    ) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        match c.phase {
            Phase::Joined { realm, session } => {
                let mut details = Dict::new();
                if let Some(m) = message {
                    details.insert("message".into(), Value::from(m));
                }
                self.out.push_back(Output::Send {
                    conn,
                    msg: Message::Goodbye {
                        details,
                        reason: Str::new(reason),
                    },
                });
                c.phase = Phase::Leaving;
                if let Some(t) = c.timer.take() {
                    self.timers.cancel(t);
                }
                c.timer = now
                    .checked_add(self.goodbye_timeout)
                    .map(|at| self.timers.add(at, TimerKind::Goodbye(conn)));
                self.leave_realm(now, realm, session);
            }
            Phase::Leaving => {}
            _ => {
                let m = message.unwrap_or_default();
                self.abort(now, conn, reason, &m);
            }
        }
    }

    /// Forgets a connection (its session leaves its realm), emitting Close if asked.
    pub(crate) fn close_conn(&mut self, now: Instant, conn: ConnId, emit_close: bool) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        if let Some(t) = c.timer {
            self.timers.cancel(t);
        }
        match c.phase {
            Phase::Joined { realm, session } => self.leave_realm(now, realm, session),
            Phase::Challenged { session, .. } | Phase::Authenticating { session, .. } => {
                self.sessions.remove(&session);
            }
            Phase::Opened | Phase::Leaving => {}
        }
        if emit_close {
            self.out.push_back(Output::Close { conn });
        }
    }

    fn leave_realm(&mut self, now: Instant, realm: usize, session: Id) {
        self.with_realm(now, realm, |r, ctx| r.leave(ctx, session));
        self.sessions.remove(&session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_403_454_985_448);
        assert_eq!(iso8601(t), "2014-06-22T16:36:25.448Z");
        assert_eq!(iso8601(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn roles_need_at_least_one_client_role() {
        let d = Dict::from([(
            "roles",
            Value::Dict(Dict::from([("x", Value::Dict(Dict::new()))])),
        )]);
        assert!(parse_roles(&d).is_err());
        assert!(parse_roles(&Dict::new()).is_err());
    }

    #[test]
    fn features_are_read_from_each_role() {
        let callee = Dict::from([(
            "features",
            Value::Dict(Dict::from([("call_canceling", Value::Bool(true))])),
        )]);
        let d = Dict::from([(
            "roles",
            Value::Dict(Dict::from([("callee", Value::Dict(callee))])),
        )]);
        let f = parse_roles(&d).unwrap();
        assert!(f.callee_canceling);
        assert!(!f.caller_canceling);
    }
}
