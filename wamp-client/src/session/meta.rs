//! The WAMP meta API, typed: what the router knows about sessions, registrations and
//! subscriptions (`wamp.session.*`, `wamp.registration.*`, `wamp.subscription.*`), and the
//! events it publishes when they change. [`Session::meta`] gives a [`Meta`] with one method
//! per meta procedure and one event stream per meta topic. The answers are those Crossbar.io
//! and our router (`wamp-router`) give; the caller needs the `call` (and for the events the
//! `subscribe`) permission on the meta URIs, like on any other.

use std::pin::Pin;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use wamp_core::uri::MatchPolicy;
use wamp_core::value::{Dict, Str, Value, ValueError};
use wamp_core::Id;

use super::registration::EventStream;
use super::Session;
use crate::error::{CallError, SubscribeError};
use crate::options::{CallOptions, SubscribeOptions};
use crate::payload::{Event, Payload};
use crate::revocation::Revocations;

/// A session as the meta API describes it (`wamp.session.get`, `wamp.session.on_join`).
/// Fields a router does not send are `None`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session id.
    pub session: Id,
    /// The realm.
    #[serde(default)]
    pub realm: Option<String>,
    /// The authenticated id.
    #[serde(default)]
    pub authid: Option<String>,
    /// The role.
    #[serde(default)]
    pub authrole: Option<String>,
    /// How it authenticated (`anonymous`, `ticket`, ...).
    #[serde(default)]
    pub authmethod: Option<String>,
    /// Who authenticated it (`static`, `dynamic`, ...).
    #[serde(default)]
    pub authprovider: Option<String>,
    /// The authentication's extra details.
    #[serde(default)]
    pub authextra: Option<Dict>,
    /// The transport's details, as the router describes them.
    #[serde(default)]
    pub transport: Option<Dict>,
}

/// A session that left (`wamp.session.on_leave`). Crossbar.io and our router send the session
/// id only; the WAMP spec adds the authid and authrole.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionLeft {
    /// The session id.
    pub session: Id,
    /// Its authid, when the router says.
    pub authid: Option<String>,
    /// Its role, when the router says.
    pub authrole: Option<String>,
}

fn match_policy<'de, D: Deserializer<'de>>(d: D) -> Result<MatchPolicy, D::Error> {
    let name = Option::<String>::deserialize(d)?;
    match name.as_deref() {
        None => Ok(MatchPolicy::Exact),
        Some(n) => MatchPolicy::from_name(n)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown match policy {n:?}"))),
    }
}

/// A registration as the meta API describes it (`wamp.registration.get`, `on_create`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RegistrationInfo {
    /// The registration id.
    pub id: Id,
    /// When it was created (ISO 8601), if the router says.
    #[serde(default)]
    pub created: Option<String>,
    /// The procedure URI or pattern.
    pub uri: String,
    /// How it matches.
    #[serde(rename = "match", default, deserialize_with = "match_policy")]
    pub match_policy: MatchPolicy,
    /// The invocation policy (`single`, `roundrobin`, ...).
    #[serde(default)]
    pub invoke: Option<String>,
}

/// A subscription as the meta API describes it (`wamp.subscription.get`, `on_create`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionInfo {
    /// The subscription id.
    pub id: Id,
    /// When it was created (ISO 8601), if the router says.
    #[serde(default)]
    pub created: Option<String>,
    /// The topic URI or pattern.
    pub uri: String,
    /// How it matches.
    #[serde(rename = "match", default, deserialize_with = "match_policy")]
    pub match_policy: MatchPolicy,
}

/// Registration or subscription ids by match policy (`wamp.registration.list`,
/// `wamp.subscription.list`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IdsByPolicy {
    /// Exact matches.
    #[serde(default)]
    pub exact: Vec<Id>,
    /// Prefix matches.
    #[serde(default)]
    pub prefix: Vec<Id>,
    /// Wildcard matches.
    #[serde(default)]
    pub wildcard: Vec<Id>,
}

impl IdsByPolicy {
    /// Every id, exact first.
    pub fn all(&self) -> impl Iterator<Item = Id> + '_ {
        self.exact
            .iter()
            .chain(&self.prefix)
            .chain(&self.wildcard)
            .copied()
    }
}

/// A registration or subscription created (`on_create`): by which session, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Created<T> {
    /// The session whose request created it.
    pub session: Id,
    /// What was created.
    pub info: T,
}

/// A session added to or removed from a registration or subscription, or the session whose
/// leaving deleted it (`on_register`, `on_unregister`, `on_delete`, `on_subscribe`,
/// `on_unsubscribe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attachment {
    /// The session.
    pub session: Id,
    /// The registration or subscription id.
    pub id: Id,
}

/// The typed meta API of a session: see [`Session::meta`].
#[derive(Debug, Clone, Copy)]
pub struct Meta<'a> {
    session: &'a Session,
}

impl Session {
    /// The typed meta API: the router's sessions, registrations and subscriptions, and the
    /// event streams of their changes.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// use wamp_client::MatchPolicy;
    /// let meta = session.meta();
    /// println!("{} sessions", meta.session_count().await?);
    /// let me = meta.session_get(session.id()).await?;
    /// println!("I am {:?} with role {:?}", me.authid, me.authrole);
    /// if let Some(id) = meta.registration_lookup("com.example.add2", MatchPolicy::Exact).await? {
    ///     println!("callees: {:?}", meta.registration_list_callees(id).await?);
    /// }
    /// let mut joins = meta.on_session_join().await?;
    /// while let Some(joined) = joins.next().await {
    ///     println!("session {} joined", joined.session);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn meta(&self) -> Meta<'_> {
        Meta { session: self }
    }
}

fn list(v: impl IntoIterator<Item = Value>) -> Value {
    Value::List(v.into_iter().collect())
}

fn roles(authroles: &[&str]) -> Value {
    list(authroles.iter().map(|r| Value::from(*r)))
}

fn reason_kwargs(reason: Option<&str>, message: Option<&str>) -> Dict {
    let mut kwargs = Dict::new();
    if let Some(r) = reason {
        kwargs.insert(Str::from_static("reason"), Value::from(r));
    }
    if let Some(m) = message {
        kwargs.insert(Str::from_static("message"), Value::from(m));
    }
    kwargs
}

impl Meta<'_> {
    async fn call<T: DeserializeOwned>(
        &self,
        procedure: &str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> Result<T, CallError> {
        let result = self
            .session
            .call_with(
                procedure,
                Payload::from_parts(args, kwargs),
                CallOptions::default(),
            )
            .await?;
        result.payload.decode().map_err(CallError::Deserialize)
    }

    /// A meta procedure whose one argument is what it is about (an id, a URI).
    async fn about<T: DeserializeOwned>(
        &self,
        procedure: &str,
        arg: impl Into<Value>,
    ) -> Result<T, CallError> {
        self.call(procedure, vec![arg.into()], Dict::new()).await
    }

    /// A meta procedure called for its effect (its answer, if any, is not looked at).
    async fn act(&self, procedure: &str, args: Vec<Value>, kwargs: Dict) -> Result<(), CallError> {
        let _: Value = self.call(procedure, args, kwargs).await?;
        Ok(())
    }

    /// `wamp.registration.lookup` or `wamp.subscription.lookup` of `uri` with `policy`.
    async fn lookup(
        &self,
        procedure: &str,
        uri: &str,
        policy: MatchPolicy,
    ) -> Result<Option<Id>, CallError> {
        let options = Dict::from([("match", Value::from(policy.as_str()))]);
        self.call(
            procedure,
            vec![Value::from(uri), Value::Dict(options)],
            Dict::new(),
        )
        .await
    }

    async fn subscribe<T>(
        &self,
        topic: &str,
        decode: fn(Event) -> Result<T, ValueError>,
    ) -> Result<MetaStream<T>, SubscribeError> {
        let events = self
            .session
            .subscribe_stream(topic, SubscribeOptions::default())
            .await?;
        Ok(MetaStream { events, decode })
    }

    /// `wamp.session.count`: how many sessions are joined to the realm (the router's own
    /// service sessions excepted).
    pub async fn session_count(&self) -> Result<u64, CallError> {
        self.call("wamp.session.count", Vec::new(), Dict::new())
            .await
    }

    /// `wamp.session.count` of the sessions with one of `authroles`.
    pub async fn session_count_with_roles(&self, authroles: &[&str]) -> Result<u64, CallError> {
        self.call("wamp.session.count", vec![roles(authroles)], Dict::new())
            .await
    }

    /// `wamp.session.list`: the ids of the joined sessions (in no particular order).
    pub async fn session_list(&self) -> Result<Vec<Id>, CallError> {
        self.call("wamp.session.list", Vec::new(), Dict::new())
            .await
    }

    /// `wamp.session.list` of the sessions with one of `authroles`.
    pub async fn session_list_with_roles(&self, authroles: &[&str]) -> Result<Vec<Id>, CallError> {
        self.call("wamp.session.list", vec![roles(authroles)], Dict::new())
            .await
    }

    /// `wamp.session.get`: one session's details; `wamp.error.no_such_session` when there is
    /// none with this id.
    pub async fn session_get(&self, session: Id) -> Result<SessionInfo, CallError> {
        self.about("wamp.session.get", session).await
    }

    /// `wamp.session.kill`: ends another session (GOODBYE with `reason`, default
    /// `wamp.close.killed`). Our own id gives `wamp.error.no_such_session`.
    pub async fn session_kill(
        &self,
        session: Id,
        reason: Option<&str>,
        message: Option<&str>,
    ) -> Result<(), CallError> {
        self.act(
            "wamp.session.kill",
            vec![Value::from(session)],
            reason_kwargs(reason, message),
        )
        .await
    }

    /// `wamp.registration.list`: every registration's id, by match policy.
    pub async fn registration_list(&self) -> Result<IdsByPolicy, CallError> {
        self.call("wamp.registration.list", Vec::new(), Dict::new())
            .await
    }

    /// `wamp.registration.list` of one session's registrations.
    pub async fn registration_list_of(&self, session: Id) -> Result<IdsByPolicy, CallError> {
        self.about("wamp.registration.list", session).await
    }

    /// `wamp.registration.lookup`: the registration of exactly this URI and match policy
    /// (what a REGISTER would join), if any.
    pub async fn registration_lookup(
        &self,
        procedure: &str,
        policy: MatchPolicy,
    ) -> Result<Option<Id>, CallError> {
        self.lookup("wamp.registration.lookup", procedure, policy)
            .await
    }

    /// `wamp.registration.match`: the registration a call of `procedure` would go to, if any.
    pub async fn registration_match(&self, procedure: &str) -> Result<Option<Id>, CallError> {
        self.about("wamp.registration.match", procedure).await
    }

    /// `wamp.registration.get`: one registration's details;
    /// `wamp.error.no_such_registration` when there is none with this id.
    pub async fn registration_get(&self, registration: Id) -> Result<RegistrationInfo, CallError> {
        self.about("wamp.registration.get", registration).await
    }

    /// `wamp.registration.list_callees`: the sessions registered on a registration.
    pub async fn registration_list_callees(&self, registration: Id) -> Result<Vec<Id>, CallError> {
        self.about("wamp.registration.list_callees", registration)
            .await
    }

    /// `wamp.registration.count_callees`: how many sessions are registered on a registration.
    pub async fn registration_count_callees(&self, registration: Id) -> Result<u64, CallError> {
        self.about("wamp.registration.count_callees", registration)
            .await
    }

    /// `wamp.registration.remove_callee`: revokes `callee`'s registration; the callee gets
    /// UNREGISTERED with `reason` (when it announced `registration_revocation`).
    ///
    /// Crossbar.io 26.10.1 removes the callee but then fails (the caller gets
    /// `wamp.error.runtime_error`) and never tells the callee; our router does both.
    pub async fn registration_remove_callee(
        &self,
        registration: Id,
        callee: Id,
        reason: Option<&str>,
    ) -> Result<(), CallError> {
        self.act(
            "wamp.registration.remove_callee",
            vec![Value::from(registration), Value::from(callee)],
            reason_kwargs(reason, None),
        )
        .await
    }

    /// `wamp.subscription.list`: every subscription's id, by match policy.
    pub async fn subscription_list(&self) -> Result<IdsByPolicy, CallError> {
        self.call("wamp.subscription.list", Vec::new(), Dict::new())
            .await
    }

    /// `wamp.subscription.list` of one session's subscriptions.
    pub async fn subscription_list_of(&self, session: Id) -> Result<IdsByPolicy, CallError> {
        self.about("wamp.subscription.list", session).await
    }

    /// `wamp.subscription.lookup`: the subscription of exactly this URI and match policy, if
    /// any.
    pub async fn subscription_lookup(
        &self,
        topic: &str,
        policy: MatchPolicy,
    ) -> Result<Option<Id>, CallError> {
        self.lookup("wamp.subscription.lookup", topic, policy).await
    }

    /// `wamp.subscription.match`: every subscription a publication to `topic` would reach
    /// (empty when none).
    pub async fn subscription_match(&self, topic: &str) -> Result<Vec<Id>, CallError> {
        let ids: Option<Vec<Id>> = self
            .call(
                "wamp.subscription.match",
                vec![Value::from(topic)],
                Dict::new(),
            )
            .await?;
        Ok(ids.unwrap_or_default())
    }

    /// `wamp.subscription.get`: one subscription's details;
    /// `wamp.error.no_such_subscription` when there is none with this id.
    pub async fn subscription_get(&self, subscription: Id) -> Result<SubscriptionInfo, CallError> {
        self.about("wamp.subscription.get", subscription).await
    }

    /// `wamp.subscription.list_subscribers`: the sessions subscribed on a subscription.
    pub async fn subscription_list_subscribers(
        &self,
        subscription: Id,
    ) -> Result<Vec<Id>, CallError> {
        self.about("wamp.subscription.list_subscribers", subscription)
            .await
    }

    /// `wamp.subscription.count_subscribers`: how many sessions are subscribed on a
    /// subscription.
    pub async fn subscription_count_subscribers(&self, subscription: Id) -> Result<u64, CallError> {
        self.about("wamp.subscription.count_subscribers", subscription)
            .await
    }

    /// `wamp.subscription.remove_subscriber`: revokes `subscriber`'s subscription; the
    /// subscriber gets UNSUBSCRIBED with `reason` (when it announced
    /// `subscription_revocation`).
    pub async fn subscription_remove_subscriber(
        &self,
        subscription: Id,
        subscriber: Id,
        reason: Option<&str>,
    ) -> Result<(), CallError> {
        self.act(
            "wamp.subscription.remove_subscriber",
            vec![Value::from(subscription), Value::from(subscriber)],
            reason_kwargs(reason, None),
        )
        .await
    }

    /// `wamp.session.on_join`: each session that joins the realm.
    pub async fn on_session_join(&self) -> Result<MetaStream<SessionInfo>, SubscribeError> {
        self.subscribe("wamp.session.on_join", |e| e.payload.arg(0))
            .await
    }

    /// `wamp.session.on_leave`: each session that leaves the realm.
    pub async fn on_session_leave(&self) -> Result<MetaStream<SessionLeft>, SubscribeError> {
        self.subscribe("wamp.session.on_leave", |e| {
            let text = |i: usize| e.payload.arg::<Option<String>>(i).ok().flatten();
            Ok(SessionLeft {
                session: e.payload.arg(0)?,
                authid: text(1),
                authrole: text(2),
            })
        })
        .await
    }

    /// `wamp.registration.on_create`: each registration created.
    pub async fn on_registration_create(
        &self,
    ) -> Result<MetaStream<Created<RegistrationInfo>>, SubscribeError> {
        self.subscribe("wamp.registration.on_create", created).await
    }

    /// `wamp.registration.on_register`: each session added to a registration.
    pub async fn on_registration_register(&self) -> Result<MetaStream<Attachment>, SubscribeError> {
        self.subscribe("wamp.registration.on_register", attachment)
            .await
    }

    /// `wamp.registration.on_unregister`: each session removed from a registration.
    pub async fn on_registration_unregister(
        &self,
    ) -> Result<MetaStream<Attachment>, SubscribeError> {
        self.subscribe("wamp.registration.on_unregister", attachment)
            .await
    }

    /// `wamp.registration.on_delete`: each registration deleted (its last callee gone).
    pub async fn on_registration_delete(&self) -> Result<MetaStream<Attachment>, SubscribeError> {
        self.subscribe("wamp.registration.on_delete", attachment)
            .await
    }

    /// `wamp.subscription.on_create`: each subscription created.
    pub async fn on_subscription_create(
        &self,
    ) -> Result<MetaStream<Created<SubscriptionInfo>>, SubscribeError> {
        self.subscribe("wamp.subscription.on_create", created).await
    }

    /// `wamp.subscription.on_subscribe`: each session added to a subscription.
    pub async fn on_subscription_subscribe(
        &self,
    ) -> Result<MetaStream<Attachment>, SubscribeError> {
        self.subscribe("wamp.subscription.on_subscribe", attachment)
            .await
    }

    /// `wamp.subscription.on_unsubscribe`: each session removed from a subscription.
    pub async fn on_subscription_unsubscribe(
        &self,
    ) -> Result<MetaStream<Attachment>, SubscribeError> {
        self.subscribe("wamp.subscription.on_unsubscribe", attachment)
            .await
    }

    /// `wamp.subscription.on_delete`: each subscription deleted (its last subscriber gone).
    pub async fn on_subscription_delete(&self) -> Result<MetaStream<Attachment>, SubscribeError> {
        self.subscribe("wamp.subscription.on_delete", attachment)
            .await
    }
}

fn created<T: DeserializeOwned>(e: Event) -> Result<Created<T>, ValueError> {
    Ok(Created {
        session: e.payload.arg(0)?,
        info: e.payload.arg(1)?,
    })
}

fn attachment(e: Event) -> Result<Attachment, ValueError> {
    Ok(Attachment {
        session: e.payload.arg(0)?,
        id: e.payload.arg(1)?,
    })
}

/// The typed events of one meta topic, from the `on_*` methods of [`Meta`]. Events the router
/// sends in another shape are skipped (and logged). Dropping it unsubscribes.
#[derive(Debug)]
pub struct MetaStream<T> {
    events: EventStream,
    decode: fn(Event) -> Result<T, ValueError>,
}

impl<T> MetaStream<T> {
    /// The next event; `None` once the subscription or the session has ended.
    pub async fn next(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_typed(cx)).await
    }

    /// The subscription's id, and the topic.
    pub fn subscription(&self) -> Option<&super::registration::Subscription> {
        self.events.subscription()
    }

    /// Unsubscribes and waits for the router's answer.
    pub async fn unsubscribe(self) -> Result<(), SubscribeError> {
        self.events.unsubscribe().await
    }

    fn poll_typed(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        loop {
            match futures_util::Stream::poll_next(Pin::new(&mut self.events), cx) {
                Poll::Ready(Some(e)) => {
                    let topic = e.topic.clone();
                    match (self.decode)(e) {
                        Ok(t) => return Poll::Ready(Some(t)),
                        Err(error) => {
                            tracing::warn!(%topic, %error, "meta event of an unexpected shape skipped")
                        }
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T> futures_util::Stream for MetaStream<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.poll_typed(cx)
    }
}

impl Session {
    /// The registrations and subscriptions the router revokes from now on (a component
    /// re-establishes its own by itself: see
    /// [`LifecycleEvent::Revoked`](crate::LifecycleEvent::Revoked)). Up to 64 wait for a slow
    /// reader; beyond that the oldest are lost and counted.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) {
    /// let mut revocations = session.revocations();
    /// while let Some(r) = revocations.next().await {
    ///     println!("the router revoked {} {} ({:?})", r.kind.as_str(), r.uri, r.reason);
    /// }
    /// # }
    /// ```
    pub fn revocations(&self) -> Revocations {
        Revocations::new(self.inner.revocations.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wamp_core::value::from_value;

    #[test]
    fn registration_details_of_both_routers_decode() {
        let d = Value::Dict(Dict::from([
            ("id", Value::from(7u64)),
            ("created", Value::from("2026-12-07T10:00:00.000Z")),
            ("uri", Value::from("com.example.add2")),
            ("match", Value::from("prefix")),
            ("invoke", Value::from("roundrobin")),
        ]));
        let info: RegistrationInfo = from_value(d).unwrap();
        assert_eq!(info.id, 7);
        assert_eq!(info.match_policy, MatchPolicy::Prefix);
        assert_eq!(info.invoke.as_deref(), Some("roundrobin"));
    }

    #[test]
    fn session_details_with_nulls_decode() {
        let d = Value::Dict(Dict::from([
            ("session", Value::from(5u64)),
            ("authid", Value::from("joe")),
            ("authextra", Value::Null),
            ("transport", Value::Null),
            ("resumed", Value::Null),
        ]));
        let info: SessionInfo = from_value(d).unwrap();
        assert_eq!(info.session, 5);
        assert_eq!(info.authid.as_deref(), Some("joe"));
        assert_eq!(info.transport, None);
    }
}
