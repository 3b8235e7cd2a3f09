//! A scripted test bench: a core, virtual time, and helpers to join clients and read what the
//! core sends them.

use std::time::{Duration, Instant};

use wamp_core::id::Id;
use wamp_core::message::RequestType;
use wamp_core::{Dict, Message, Str, Value};

use crate::core::{ConnId, ConnInfo, Core, CoreConfig, Output};

/// The bench.
pub(crate) struct Bench {
    pub(crate) core: Core,
    pub(crate) now: Instant,
    next_conn: ConnId,
    /// Outputs drained but not yet looked at, in order.
    pending: Vec<Output>,
}

/// A joined client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Client {
    pub(crate) conn: ConnId,
    pub(crate) session: Id,
}

pub(crate) fn dict<const N: usize>(entries: [(&str, Value); N]) -> Dict {
    entries.into_iter().collect()
}

/// HELLO details announcing every client role, with `features` for callee and caller.
pub(crate) fn hello_details(features: &[&str]) -> Dict {
    let f: Dict = features.iter().map(|n| (*n, Value::Bool(true))).collect();
    let role = || Value::Dict(dict([("features", Value::Dict(f.clone()))]));
    dict([(
        "roles",
        Value::Dict(dict([
            ("publisher", role()),
            ("subscriber", role()),
            ("caller", role()),
            ("callee", role()),
        ])),
    )])
}

impl Bench {
    pub(crate) fn new(config: CoreConfig) -> Self {
        Bench {
            core: Core::new(config, 1),
            now: Instant::now(),
            next_conn: 1,
            pending: Vec::new(),
        }
    }

    /// A core with one open realm `realm1`.
    pub(crate) fn open_realm() -> Self {
        Bench::new(CoreConfig::open_realms(["realm1"]))
    }

    pub(crate) fn advance(&mut self, d: Duration) {
        self.now += d;
        self.core.handle_timeout(self.now);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(o) = self.core.poll_output() {
            self.pending.push(o);
        }
    }

    /// Opens a connection.
    pub(crate) fn connect(&mut self) -> ConnId {
        self.connect_with(ConnInfo::anonymous())
    }

    pub(crate) fn connect_with(&mut self, info: ConnInfo) -> ConnId {
        let conn = self.next_conn;
        self.next_conn += 1;
        self.core.open(self.now, conn, info);
        self.drain();
        conn
    }

    pub(crate) fn send(&mut self, conn: ConnId, msg: Message) {
        self.core.receive(self.now, conn, msg);
        self.drain();
    }

    pub(crate) fn close(&mut self, conn: ConnId) {
        self.core.closed(self.now, conn);
        self.drain();
    }

    /// Every output so far, taken.
    pub(crate) fn outputs(&mut self) -> Vec<Output> {
        self.drain();
        std::mem::take(&mut self.pending)
    }

    /// The messages sent to `conn` so far, taken (outputs for other connections stay).
    pub(crate) fn received(&mut self, conn: ConnId) -> Vec<Message> {
        self.drain();
        let mut mine = Vec::new();
        let mut rest = Vec::new();
        for o in std::mem::take(&mut self.pending) {
            match o {
                Output::Send { conn: c, msg } if c == conn => mine.push(msg),
                other => rest.push(other),
            }
        }
        self.pending = rest;
        mine
    }

    /// The one message sent to `conn`.
    pub(crate) fn one(&mut self, conn: ConnId) -> Message {
        let mut got = self.received(conn);
        assert_eq!(
            got.len(),
            1,
            "expected one message for conn {conn}, got {got:?}"
        );
        got.remove(0)
    }

    /// Whether a Close for `conn` was emitted (taken).
    pub(crate) fn was_closed(&mut self, conn: ConnId) -> bool {
        self.drain();
        let before = self.pending.len();
        self.pending
            .retain(|o| !matches!(o, Output::Close { conn: c } if *c == conn));
        before != self.pending.len()
    }

    /// Joins `realm` anonymously with every role and `features`.
    pub(crate) fn join_with(&mut self, realm: &str, features: &[&str]) -> Client {
        let conn = self.connect();
        self.send(
            conn,
            Message::Hello {
                realm: realm.into(),
                details: hello_details(features),
            },
        );
        match self.one(conn) {
            Message::Welcome { session, .. } => Client { conn, session },
            other => panic!("expected WELCOME, got {other:?}"),
        }
    }

    /// Joins `realm1` with call canceling and progressive results announced.
    pub(crate) fn join(&mut self) -> Client {
        self.join_with("realm1", &["call_canceling", "progressive_call_results"])
    }

    /// Joins `realm1` announcing no feature.
    pub(crate) fn join_plain(&mut self) -> Client {
        self.join_with("realm1", &[])
    }

    // ---- client actions ----

    pub(crate) fn register(
        &mut self,
        c: Client,
        request: Id,
        procedure: &str,
        options: Dict,
    ) -> Message {
        self.send(
            c.conn,
            Message::Register {
                request,
                options,
                procedure: procedure.into(),
            },
        );
        self.one(c.conn)
    }

    /// Registers and returns the registration id.
    pub(crate) fn registered(
        &mut self,
        c: Client,
        request: Id,
        procedure: &str,
        options: Dict,
    ) -> Id {
        match self.register(c, request, procedure, options) {
            Message::Registered { registration, .. } => registration,
            other => panic!("expected REGISTERED, got {other:?}"),
        }
    }

    pub(crate) fn subscribe(
        &mut self,
        c: Client,
        request: Id,
        topic: &str,
        options: Dict,
    ) -> Message {
        self.send(
            c.conn,
            Message::Subscribe {
                request,
                options,
                topic: topic.into(),
            },
        );
        self.one(c.conn)
    }

    /// Subscribes and returns the subscription id.
    pub(crate) fn subscribed(&mut self, c: Client, request: Id, topic: &str, options: Dict) -> Id {
        match self.subscribe(c, request, topic, options) {
            Message::Subscribed { subscription, .. } => subscription,
            other => panic!("expected SUBSCRIBED, got {other:?}"),
        }
    }

    pub(crate) fn call(
        &mut self,
        c: Client,
        request: Id,
        procedure: &str,
        options: Dict,
        args: Vec<Value>,
    ) {
        self.send(
            c.conn,
            Message::Call {
                request,
                options,
                procedure: procedure.into(),
                args,
                kwargs: Dict::new(),
            },
        );
    }

    /// Calls a procedure the router answers (meta API) and returns the RESULT's first argument
    /// or the ERROR's URI.
    pub(crate) fn meta(
        &mut self,
        c: Client,
        procedure: &str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> Result<Value, String> {
        self.send(
            c.conn,
            Message::Call {
                request: 999,
                options: Dict::new(),
                procedure: procedure.into(),
                args,
                kwargs,
            },
        );
        let got = self.received(c.conn);
        let answer = got
            .into_iter()
            .find(|m| {
                matches!(
                    m,
                    Message::Result { request: 999, .. } | Message::Error { request: 999, .. }
                )
            })
            .expect("an answer to the meta call");
        match answer {
            Message::Result { mut args, .. } => Ok(if args.is_empty() {
                Value::Null
            } else {
                args.remove(0)
            }),
            Message::Error { error, .. } => Err(error.into_string()),
            _ => unreachable!(),
        }
    }

    pub(crate) fn publish(
        &mut self,
        c: Client,
        request: Id,
        topic: &str,
        options: Dict,
        args: Vec<Value>,
    ) {
        self.send(
            c.conn,
            Message::Publish {
                request,
                options,
                topic: topic.into(),
                args,
                kwargs: Dict::new(),
            },
        );
    }

    pub(crate) fn yield_(&mut self, c: Client, invocation: Id, options: Dict, args: Vec<Value>) {
        self.send(
            c.conn,
            Message::Yield {
                request: invocation,
                options,
                args,
                kwargs: Dict::new(),
            },
        );
    }

    /// Expects one INVOCATION on `c`; returns `(request, registration, details, args)`.
    pub(crate) fn invocation(&mut self, c: Client) -> (Id, Id, Dict, Vec<Value>) {
        match self.one(c.conn) {
            Message::Invocation {
                request,
                registration,
                details,
                args,
                ..
            } => (request, registration, details, args),
            other => panic!("expected INVOCATION, got {other:?}"),
        }
    }

    pub(crate) fn goodbye(&mut self, c: Client) {
        self.send(
            c.conn,
            Message::Goodbye {
                details: Dict::new(),
                reason: "wamp.close.normal".into(),
            },
        );
    }
}

/// The URI of an ERROR answering `request_type`.
pub(crate) fn error_uri_of(msg: &Message, request_type: RequestType) -> String {
    match msg {
        Message::Error {
            request_type: rt,
            error,
            ..
        } if *rt == request_type => error.to_string(),
        other => panic!("expected ERROR for {request_type:?}, got {other:?}"),
    }
}

/// The reason of an ABORT.
pub(crate) fn abort_reason(msg: &Message) -> String {
    match msg {
        Message::Abort { reason, .. } => reason.to_string(),
        other => panic!("expected ABORT, got {other:?}"),
    }
}

pub(crate) fn s(text: &str) -> Value {
    Value::String(Str::new(text))
}
