//! A realm: its joined sessions, its roles, its broker and its dealer.
//!
//! The realm checks what every action needs before the broker or dealer sees it: the URI
//! (`wamp.error.invalid_uri`, with the `wamp.` namespace reserved to the router for REGISTER
//! and PUBLISH) and the session's role (`wamp.error.not_authorized`); it answers the meta
//! procedures (`wamp.session.*`, `wamp.registration.*`, `wamp.subscription.*`) itself and
//! publishes the meta events the broker and dealer report.

use wamp_core::id::{Id, IdMap};
use wamp_core::message::RequestType;
use wamp_core::uri::{error_uri, validate, MatchPolicy};
use wamp_core::{Dict, Message, Str, Value};

use super::auth::Identity;
use super::authorize::{Action, Authorizer, Grant, TRUSTED};
use super::broker::{Broker, Publication};
use super::config::RealmConfig;
use super::dealer::Dealer;
use super::meta::{self, MetaEvent};
use super::options::{self, error, Violation};
use super::session::Features;
use super::{ConnId, Ctx};

/// One testament: a publication made for a session when it goes away.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Testament {
    pub(crate) topic: Str,
    pub(crate) args: Vec<Value>,
    pub(crate) kwargs: Dict,
    pub(crate) options: Dict,
}

/// A session's testaments by scope.
#[derive(Debug, Default)]
pub(crate) struct Testaments {
    /// Published when the session detaches (first).
    pub(crate) detached: Vec<Testament>,
    /// Published when the session is destroyed.
    pub(crate) destroyed: Vec<Testament>,
}

/// A joined session as its realm sees it.
#[derive(Debug)]
pub(crate) struct Peer {
    pub(crate) session: Id,
    pub(crate) conn: ConnId,
    pub(crate) authid: Str,
    pub(crate) authrole: Str,
    pub(crate) authmethod: Str,
    pub(crate) authprovider: Str,
    pub(crate) authextra: Dict,
    pub(crate) transport: Dict,
    pub(crate) features: Features,
    pub(crate) testaments: Testaments,
}

impl Peer {
    pub(crate) fn new(
        session: Id,
        conn: ConnId,
        identity: Identity,
        transport: Dict,
        features: Features,
    ) -> Self {
        Peer {
            session,
            conn,
            authid: identity.authid.into(),
            authrole: identity.authrole.into(),
            authmethod: identity.authmethod.into(),
            authprovider: identity.authprovider.into(),
            authextra: identity.authextra,
            transport,
            features,
            testaments: Testaments::default(),
        }
    }

    /// The session's details as the meta API shows them (`wamp.session.get`, `on_join`).
    pub(crate) fn details(&self, realm: &str) -> Dict {
        Dict::from([
            ("session", Value::from(self.session)),
            ("realm", Value::from(realm)),
            ("authid", Value::String(self.authid.clone())),
            ("authrole", Value::String(self.authrole.clone())),
            ("authmethod", Value::String(self.authmethod.clone())),
            ("authprovider", Value::String(self.authprovider.clone())),
            ("authextra", Value::Dict(self.authextra.clone())),
            ("transport", Value::Dict(self.transport.clone())),
        ])
    }
}

/// The joined sessions of a realm.
pub(crate) type Peers = IdMap<Peer>;

/// A realm.
#[derive(Debug)]
pub(crate) struct Realm {
    pub(crate) name: String,
    pub(crate) authorizer: Authorizer,
    pub(crate) peers: Peers,
    pub(crate) broker: Broker,
    pub(crate) dealer: Dealer,
    /// Meta events waiting to be published once the current message is handled.
    pub(crate) meta: Vec<MetaEvent>,
}

impl Realm {
    pub(crate) fn new(config: &RealmConfig) -> Self {
        Realm {
            name: config.name.clone(),
            authorizer: Authorizer::new(&config.roles),
            peers: IdMap::default(),
            broker: Broker::default(),
            dealer: Dealer::default(),
            meta: Vec::new(),
        }
    }

    /// The decision on `action` on `uri` for `peer`; a refusal is answered with ERROR
    /// `wamp.error.not_authorized` (Crossbar.io's message) and gives `None`.
    fn authorize(
        &self,
        ctx: &mut Ctx<'_>,
        session: Id,
        peer: &Peer,
        request: Id,
        action: Action,
        uri: &str,
    ) -> Option<Grant> {
        let grant = self.authorizer.authorize(&peer.authrole, uri, action);
        if grant.allow {
            return Some(grant);
        }
        let (request_type, what) = match action {
            Action::Call => (RequestType::Call, "call procedure"),
            Action::Register => (RequestType::Register, "register procedure"),
            Action::Publish => (RequestType::Publish, "publish to topic"),
            Action::Subscribe => (RequestType::Subscribe, "subscribe to topic"),
        };
        let message = format!(
            "session (session_id={session}, authid=\"{}\", authrole=\"{}\") is not authorized to {what} \"{uri}\" on realm \"{}\"",
            peer.authid, peer.authrole, self.name
        );
        ctx.send(
            peer.conn,
            error(request_type, request, error_uri::NOT_AUTHORIZED, message),
        );
        None
    }

    /// A session joins: `wamp.session.on_join`.
    pub(crate) fn join(&mut self, ctx: &mut Ctx<'_>, peer: Peer) {
        let details = peer.details(&self.name);
        self.peers.insert(peer.session, peer);
        self.meta.push(MetaEvent::new(
            meta::SESSION_ON_JOIN,
            vec![Value::Dict(details)],
        ));
        self.flush_meta(ctx);
    }

    /// A session leaves, whichever way: its testaments are published (detached, then
    /// destroyed), its calls and invocations end, its registrations and subscriptions go, and
    /// `wamp.session.on_leave` is published before the registration and subscription events.
    pub(crate) fn leave(&mut self, ctx: &mut Ctx<'_>, session: Id) {
        let Some(peer) = self.peers.get_mut(&session) else {
            return;
        };
        let testaments = std::mem::take(&mut peer.testaments);
        for t in testaments.detached.into_iter().chain(testaments.destroyed) {
            // A testament is published as the session's own publication, authorized by its
            // role; it cannot be acknowledged, and the session is excluded (it is gone).
            let _ = self.publish(ctx, session, None, t.options, t.topic, t.args, t.kwargs);
        }
        let Some(peer) = self.peers.remove(&session) else {
            return;
        };
        let mut events = Vec::new();
        self.dealer.detach(ctx, &self.peers, &peer, &mut events);
        self.broker.detach(&peer, &mut events);
        // Crossbar.io publishes the session id only (the spec adds authid and authrole; a
        // Python handler taking one argument would fail on three).
        self.meta.push(MetaEvent::new(
            meta::SESSION_ON_LEAVE,
            vec![Value::from(session)],
        ));
        self.meta.extend(events);
        self.flush_meta(ctx);
    }

    /// A call's timeout fired.
    pub(crate) fn call_timeout(&mut self, ctx: &mut Ctx<'_>, callee: Id, invocation: Id) {
        self.dealer.timeout(ctx, &self.peers, callee, invocation);
    }

    /// Publishes the meta events reported so far.
    fn flush_meta(&mut self, ctx: &mut Ctx<'_>) {
        while !self.meta.is_empty() {
            let events = std::mem::take(&mut self.meta);
            for e in events {
                self.broker.publish_meta(ctx, &self.peers, e.topic, e.args);
            }
        }
    }

    /// A routing message from a joined session.
    pub(crate) fn handle(
        &mut self,
        ctx: &mut Ctx<'_>,
        session: Id,
        msg: Message,
    ) -> Result<(), Violation> {
        let result = match msg {
            Message::Publish {
                request,
                options,
                topic,
                args,
                kwargs,
            } => self.publish(ctx, session, Some(request), options, topic, args, kwargs),
            Message::Subscribe {
                request,
                options,
                topic,
            } => self.subscribe(ctx, session, request, &options, topic),
            Message::Unsubscribe {
                request,
                subscription,
            } => {
                self.broker.unsubscribe(
                    ctx,
                    &self.peers,
                    &mut self.meta,
                    session,
                    request,
                    subscription,
                );
                Ok(())
            }
            Message::Call {
                request,
                options,
                procedure,
                args,
                kwargs,
            } => self.call(ctx, session, request, options, procedure, args, kwargs),
            Message::Cancel { request, options } => {
                self.dealer
                    .cancel(ctx, &self.peers, session, request, &options)
            }
            Message::Register {
                request,
                options,
                procedure,
            } => self.register(ctx, session, request, &options, procedure),
            Message::Unregister {
                request,
                registration,
            } => {
                self.dealer.unregister(
                    ctx,
                    &self.peers,
                    &mut self.meta,
                    session,
                    request,
                    registration,
                );
                Ok(())
            }
            Message::Yield {
                request,
                options,
                args,
                kwargs,
            } => self
                .dealer
                .yield_(ctx, &self.peers, session, request, &options, args, kwargs),
            Message::Error {
                request_type: RequestType::Invocation,
                request,
                details: _,
                error,
                args,
                kwargs,
            } => {
                self.dealer.invocation_error(
                    ctx,
                    &self.peers,
                    session,
                    request,
                    error,
                    args,
                    kwargs,
                );
                Ok(())
            }
            other => Err(format!(
                "{} message may not be sent by a client",
                other.name()
            )),
        };
        self.flush_meta(ctx);
        result
    }

    /// PUBLISH (or a testament when `request` is `None`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn publish(
        &mut self,
        ctx: &mut Ctx<'_>,
        session: Id,
        request: Option<Id>,
        options: Dict,
        topic: Str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> Result<(), Violation> {
        let acknowledge =
            options::flag(&options, "acknowledge")?.unwrap_or(false) && request.is_some();
        let exclude_me = options::flag(&options, "exclude_me")?.unwrap_or(true);
        let disclose_me = options::flag(&options, "disclose_me")?.unwrap_or(false);
        let retain = options::flag(&options, "retain")?.unwrap_or(false);
        let filter = super::broker::Filter::from_options(&options)?;
        let Some(peer) = self.peers.get(&session) else {
            return Ok(());
        };
        let conn = peer.conn;
        let refuse = |ctx: &mut Ctx<'_>, uri: &str, message: String| {
            if let (true, Some(request)) = (acknowledge, request) {
                ctx.send(conn, error(RequestType::Publish, request, uri, message));
            }
        };
        if validate(&topic, MatchPolicy::Exact, false).is_err() {
            refuse(
                ctx,
                error_uri::INVALID_URI,
                format!("publish with invalid topic URI '{topic}'"),
            );
            return Ok(());
        }
        let role = peer.authrole.as_str();
        if role != TRUSTED && is_restricted(&topic) {
            refuse(
                ctx,
                error_uri::INVALID_URI,
                format!("publish with restricted topic URI '{topic}'"),
            );
            return Ok(());
        }
        let grant = self.authorizer.authorize(role, &topic, Action::Publish);
        if !grant.allow {
            refuse(
                ctx,
                error_uri::NOT_AUTHORIZED,
                format!("session not authorized to publish to topic '{topic}'"),
            );
            return Ok(());
        }
        let publication = Publication {
            publisher: session,
            topic,
            args,
            kwargs,
            exclude_me,
            disclose: grant.disclose || disclose_me,
            retain,
            filter,
        };
        let id = self.broker.publish(ctx, &self.peers, publication);
        if acknowledge {
            if let Some(request) = request {
                ctx.send(
                    conn,
                    Message::Published {
                        request,
                        publication: id,
                    },
                );
            }
        }
        Ok(())
    }

    fn subscribe(
        &mut self,
        ctx: &mut Ctx<'_>,
        session: Id,
        request: Id,
        options: &Dict,
        topic: Str,
    ) -> Result<(), Violation> {
        let policy = options::match_policy(options)?;
        let get_retained = options::flag(options, "get_retained")?.unwrap_or(false);
        let Some(peer) = self.peers.get(&session) else {
            return Ok(());
        };
        let conn = peer.conn;
        if validate(&topic, policy, false).is_err() {
            ctx.send(
                conn,
                error(
                    RequestType::Subscribe,
                    request,
                    error_uri::INVALID_URI,
                    format!("subscribe for invalid topic URI '{topic}'"),
                ),
            );
            return Ok(());
        }
        if self
            .authorize(ctx, session, peer, request, Action::Subscribe, &topic)
            .is_none()
        {
            return Ok(());
        }
        self.broker.subscribe(
            ctx,
            &self.peers,
            &mut self.meta,
            session,
            request,
            topic,
            policy,
            get_retained,
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        ctx: &mut Ctx<'_>,
        session: Id,
        request: Id,
        options: Dict,
        procedure: Str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> Result<(), Violation> {
        let Some(peer) = self.peers.get(&session) else {
            return Ok(());
        };
        let conn = peer.conn;
        if validate(&procedure, MatchPolicy::Exact, false).is_err() {
            ctx.send(
                conn,
                error(
                    RequestType::Call,
                    request,
                    error_uri::INVALID_URI,
                    format!("call with invalid procedure URI '{procedure}'"),
                ),
            );
            return Ok(());
        }
        let Some(grant) = self.authorize(ctx, session, peer, request, Action::Call, &procedure)
        else {
            return Ok(());
        };
        if meta::is_meta_procedure(&procedure) {
            meta::call(self, ctx, session, request, &procedure, args, kwargs);
            return Ok(());
        }
        self.dealer.call(
            ctx,
            &self.peers,
            session,
            request,
            &options,
            procedure,
            args,
            kwargs,
            grant.disclose,
        )
    }

    fn register(
        &mut self,
        ctx: &mut Ctx<'_>,
        session: Id,
        request: Id,
        options: &Dict,
        procedure: Str,
    ) -> Result<(), Violation> {
        let policy = options::match_policy(options)?;
        let Some(peer) = self.peers.get(&session) else {
            return Ok(());
        };
        let conn = peer.conn;
        if validate(&procedure, policy, false).is_err() {
            ctx.send(
                conn,
                error(
                    RequestType::Register,
                    request,
                    error_uri::INVALID_URI,
                    format!("register for invalid procedure URI '{procedure}'"),
                ),
            );
            return Ok(());
        }
        if peer.authrole != TRUSTED && is_restricted(&procedure) {
            ctx.send(
                conn,
                error(
                    RequestType::Register,
                    request,
                    error_uri::INVALID_URI,
                    format!("register for restricted procedure URI '{procedure}'"),
                ),
            );
            return Ok(());
        }
        if self
            .authorize(ctx, session, peer, request, Action::Register, &procedure)
            .is_none()
        {
            return Ok(());
        }
        self.dealer.register(
            ctx,
            &self.peers,
            &mut self.meta,
            session,
            request,
            options,
            procedure,
            policy,
        )
    }
}

/// Whether `uri` is in the namespace reserved to the router (`wamp.`), which clients may not
/// register or publish to.
pub(crate) fn is_restricted(uri: &str) -> bool {
    uri.starts_with("wamp.")
}
