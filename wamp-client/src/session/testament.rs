//! Testaments: events the router publishes for a session when it goes away, however it goes
//! (a clean leave, a lost transport, a kill). The WAMP meta procedures
//! `wamp.session.add_testament` and `wamp.session.flush_testaments`, which Crossbar.io and our
//! router answer.

use wamp_core::uri::{self, MatchPolicy};
use wamp_core::value::{Dict, Str, Value};
use wamp_core::Id;

use super::Session;
use crate::error::CallError;
use crate::options::{CallOptions, PublishOptions};
use crate::payload::Payload;

/// `wamp.session.add_testament`
const ADD_TESTAMENT: &str = "wamp.session.add_testament";
/// `wamp.session.flush_testaments`
const FLUSH_TESTAMENTS: &str = "wamp.session.flush_testaments";

/// When the router publishes a testament: when the session detaches from its transport, or
/// when it is destroyed (the default). Both happen when a session ends, `detached` first;
/// they differ only on routers that resume sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TestamentScope {
    /// Published when the session is destroyed (Autobahn's and the routers' default).
    #[default]
    Destroyed,
    /// Published when the session detaches.
    Detached,
}

impl TestamentScope {
    /// The wire name: `destroyed` or `detached`.
    pub fn as_str(self) -> &'static str {
        match self {
            TestamentScope::Destroyed => "destroyed",
            TestamentScope::Detached => "detached",
        }
    }
}

/// A testament to set on a session: a topic, a payload and publish options. A component sets
/// its testaments on every new session ([`ComponentBuilder::testament`]).
///
/// [`ComponentBuilder::testament`]: crate::ComponentBuilder::testament
#[derive(Debug, Clone)]
pub struct Testament {
    /// The topic the event is published to.
    pub topic: String,
    /// Its arguments.
    pub payload: Payload,
    /// Its publish options (`acknowledge` and `exclude_me` are ignored by the routers).
    pub options: PublishOptions,
    /// When it is published.
    pub scope: TestamentScope,
}

impl Testament {
    /// A testament for `topic` with `payload`, default options, scope `destroyed`.
    ///
    /// ```
    /// use wamp_client::{Payload, Testament};
    /// let t = Testament::new("com.example.gone", Payload::args(&("worker-1",)).unwrap());
    /// assert_eq!(t.topic, "com.example.gone");
    /// ```
    pub fn new(topic: impl Into<String>, payload: Payload) -> Self {
        Testament {
            topic: topic.into(),
            payload,
            options: PublishOptions::default(),
            scope: TestamentScope::Destroyed,
        }
    }

    /// Sets the publish options (e.g. `exclude`, `eligible`, `retain`).
    pub fn options(mut self, options: PublishOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets the scope.
    pub fn scope(mut self, scope: TestamentScope) -> Self {
        self.scope = scope;
        self
    }
}

impl Session {
    /// Asks the router to publish an event to `topic` with `payload` when this session goes
    /// away, whichever way it goes (a clean leave, a lost connection, a kill): Autobahn's
    /// `session.call("wamp.session.add_testament", ...)`. Returns the id the router gave the
    /// testament. Testaments of the same scope are published in the order they were added.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// use wamp_client::{Payload, PublishOptions, TestamentScope};
    /// let payload = Payload::args(&(session.id(), "worker gone")).expect("serializable");
    /// session
    ///     .add_testament("com.example.worker.gone", payload, PublishOptions::default(), TestamentScope::Destroyed)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn add_testament(
        &self,
        topic: &str,
        payload: Payload,
        options: PublishOptions,
        scope: TestamentScope,
    ) -> Result<Id, CallError> {
        uri::validate(topic, MatchPolicy::Exact, false)?;
        let mut publish_options = options.to_dict();
        publish_options.remove("acknowledge");
        publish_options.remove("exclude_me");
        let args = vec![
            Value::from(topic),
            Value::List(payload.args),
            Value::Dict(payload.kwargs),
        ];
        let mut kwargs = Dict::new();
        kwargs.insert(
            Str::from_static("publish_options"),
            Value::Dict(publish_options),
        );
        kwargs.insert(Str::from_static("scope"), Value::from(scope.as_str()));
        let result = self
            .call_with(
                ADD_TESTAMENT,
                Payload::from_parts(args, kwargs),
                CallOptions::default(),
            )
            .await?;
        result.payload.decode().map_err(CallError::Deserialize)
    }

    /// Sets `testament` on this session (see [`add_testament`](Self::add_testament)).
    pub async fn set_testament(&self, testament: &Testament) -> Result<Id, CallError> {
        self.add_testament(
            &testament.topic,
            testament.payload.clone(),
            testament.options.clone(),
            testament.scope,
        )
        .await
    }

    /// Drops every testament of `scope` set on this session; returns how many there were.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// use wamp_client::TestamentScope;
    /// let dropped = session.flush_testaments(TestamentScope::Destroyed).await?;
    /// println!("{dropped} testaments dropped");
    /// # Ok(()) }
    /// ```
    pub async fn flush_testaments(&self, scope: TestamentScope) -> Result<u64, CallError> {
        let mut kwargs = Dict::new();
        kwargs.insert(Str::from_static("scope"), Value::from(scope.as_str()));
        let result = self
            .call_with(
                FLUSH_TESTAMENTS,
                Payload::from_parts(Vec::new(), kwargs),
                CallOptions::default(),
            )
            .await?;
        result.payload.decode().map_err(CallError::Deserialize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_scope_is_destroyed() {
        assert_eq!(TestamentScope::default().as_str(), "destroyed");
        assert_eq!(TestamentScope::Detached.as_str(), "detached");
        let t = Testament::new("com.x", Payload::new()).scope(TestamentScope::Detached);
        assert_eq!(t.scope, TestamentScope::Detached);
    }
}
