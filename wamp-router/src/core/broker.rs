//! The broker: subscriptions and the routing of publications.
//!
//! As in Crossbar.io, a subscription is one `(topic, match)` pair with one id, shared by every
//! session subscribed to it; a publication reaches every matching subscription once per
//! subscriber (a session with two matching subscriptions gets two EVENTs). Pattern
//! subscriptions get the published `topic` in EVENT details.
//!
//! Receivers are filtered by `exclude_me` (default true), `eligible` / `exclude` (session ids),
//! `eligible_authid` / `exclude_authid` and `eligible_authrole` / `exclude_authrole`: a
//! session receives only if it is in every eligible list given and in no exclude list.
//!
//! Retention (`retain`): the latest retained publication per topic is kept, with those before
//! it while publications restrict their receivers (bounded); `get_retained` on an exact
//! subscription replays the newest one the subscriber may see, with `retained: true`.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use wamp_core::id::{Id, IdMap};
use wamp_core::message::RequestType;
use wamp_core::uri::{error_uri, MatchPolicy};
use wamp_core::{Dict, Message, Str, Value};

use super::matching::MatchTable;
use super::meta::{self, MetaEvent};
use super::options::{self, error, Violation};
use super::realm::{is_restricted, Peer, Peers};
use super::{Ctx, LIMIT_REACHED};

/// One subscription.
#[derive(Debug)]
pub(crate) struct Subscription {
    pub(crate) id: Id,
    pub(crate) uri: Str,
    pub(crate) policy: MatchPolicy,
    pub(crate) created: Option<String>,
    pub(crate) subscribers: BTreeSet<Id>,
}

impl Subscription {
    /// `{id, created, uri, match}` for the meta API.
    pub(crate) fn details(&self) -> Dict {
        let mut d = Dict::from([
            ("id", Value::from(self.id)),
            ("uri", Value::String(self.uri.clone())),
            ("match", Value::from(self.policy.as_str())),
        ]);
        if let Some(c) = &self.created {
            d.insert("created".into(), Value::from(c.as_str()));
        }
        d
    }
}

/// Who may receive a publication.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Filter {
    eligible: Option<HashSet<Id>>,
    exclude: Option<HashSet<Id>>,
    eligible_authid: Option<Vec<Str>>,
    exclude_authid: Option<Vec<Str>>,
    eligible_authrole: Option<Vec<Str>>,
    exclude_authrole: Option<Vec<Str>>,
}

impl Filter {
    /// The black- and whitelists of PUBLISH options.
    pub(crate) fn from_options(o: &Dict) -> Result<Filter, Violation> {
        Ok(Filter {
            eligible: options::id_list(o, "eligible")?.map(|l| l.into_iter().collect()),
            exclude: options::id_list(o, "exclude")?.map(|l| l.into_iter().collect()),
            eligible_authid: options::str_list(o, "eligible_authid")?,
            exclude_authid: options::str_list(o, "exclude_authid")?,
            eligible_authrole: options::str_list(o, "eligible_authrole")?,
            exclude_authrole: options::str_list(o, "exclude_authrole")?,
        })
    }

    fn admits(&self, peer: &Peer) -> bool {
        let id = peer.session;
        if self.eligible.as_ref().is_some_and(|s| !s.contains(&id)) {
            return false;
        }
        if self.exclude.as_ref().is_some_and(|s| s.contains(&id)) {
            return false;
        }
        if let Some(l) = &self.eligible_authid {
            if !l.contains(&peer.authid) {
                return false;
            }
        }
        if let Some(l) = &self.exclude_authid {
            if l.contains(&peer.authid) {
                return false;
            }
        }
        if let Some(l) = &self.eligible_authrole {
            if !l.contains(&peer.authrole) {
                return false;
            }
        }
        if let Some(l) = &self.exclude_authrole {
            if l.contains(&peer.authrole) {
                return false;
            }
        }
        true
    }

    /// Whether the publication restricts its receivers by session id (retention keeps such
    /// publications beside the latest unrestricted one, as Crossbar.io does).
    fn restricts_sessions(&self) -> bool {
        self.eligible.is_some() || self.exclude.is_some()
    }
}

/// A publication, authorized, to route.
#[derive(Debug)]
pub(crate) struct Publication {
    pub(crate) publisher: Id,
    pub(crate) topic: Str,
    pub(crate) args: Vec<Value>,
    pub(crate) kwargs: Dict,
    pub(crate) exclude_me: bool,
    pub(crate) disclose: bool,
    pub(crate) retain: bool,
    pub(crate) filter: Filter,
}

/// A retained publication.
#[derive(Debug)]
struct Retained {
    args: Vec<Value>,
    kwargs: Dict,
    /// `publisher`, `publisher_authid`, `publisher_authrole` if disclosed.
    publisher: Dict,
    filter: Filter,
}

/// The broker of one realm.
#[derive(Debug, Default)]
pub(crate) struct Broker {
    subscriptions: IdMap<Subscription>,
    table: MatchTable,
    /// Each session's subscriptions.
    by_session: IdMap<Vec<Id>>,
    /// Retained publications by topic, oldest first.
    retained: HashMap<Str, VecDeque<Retained>>,
}

fn publisher_details(peer: &Peer) -> Dict {
    Dict::from([
        ("publisher", Value::from(peer.session)),
        ("publisher_authid", Value::String(peer.authid.clone())),
        ("publisher_authrole", Value::String(peer.authrole.clone())),
    ])
}

impl Broker {
    /// SUBSCRIBE, authorized.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn subscribe(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        meta_events: &mut Vec<MetaEvent>,
        session: Id,
        request: Id,
        topic: Str,
        policy: MatchPolicy,
        get_retained: bool,
    ) {
        let Some(peer) = peers.get(&session) else {
            return;
        };
        let mine = self.by_session.entry(session).or_default();
        let existing = self.table.get(&topic, policy);
        let already = existing.is_some_and(|id| mine.contains(&id));
        if !already && mine.len() >= ctx.limits.max_subscriptions_per_session {
            ctx.send(
                peer.conn,
                error(
                    RequestType::Subscribe,
                    request,
                    LIMIT_REACHED,
                    format!(
                        "a session may have at most {} subscriptions",
                        ctx.limits.max_subscriptions_per_session
                    ),
                ),
            );
            return;
        }
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => {
                let subs = &self.subscriptions;
                let id = ctx.ids.unique(|id| subs.contains_key(&id));
                self.table.insert(&topic, policy, id);
                self.subscriptions.insert(
                    id,
                    Subscription {
                        id,
                        uri: topic.clone(),
                        policy,
                        created: ctx.wall.map(super::session::iso8601),
                        subscribers: BTreeSet::new(),
                    },
                );
                (id, true)
            }
        };
        let Some(sub) = self.subscriptions.get_mut(&id) else {
            return;
        };
        if !already {
            sub.subscribers.insert(session);
            mine.push(id);
        }
        ctx.send(
            peer.conn,
            Message::Subscribed {
                request,
                subscription: id,
            },
        );
        if get_retained && policy == MatchPolicy::Exact {
            if let Some(list) = self.retained.get(&topic) {
                // The newest retained publication this subscriber may see.
                if let Some(r) = list.iter().rev().find(|r| r.filter.admits(peer)) {
                    let publication = ctx.ids.random();
                    let mut details = r.publisher.clone();
                    details.insert("retained".into(), Value::Bool(true));
                    ctx.send(
                        peer.conn,
                        Message::Event {
                            subscription: id,
                            publication,
                            details,
                            args: r.args.clone(),
                            kwargs: r.kwargs.clone(),
                        },
                    );
                }
            }
        }
        if !is_restricted(&sub.uri) {
            if created {
                meta_events.push(MetaEvent::new(
                    meta::SUBSCRIPTION_ON_CREATE,
                    vec![Value::from(session), Value::Dict(sub.details())],
                ));
            }
            if !already {
                meta_events.push(MetaEvent::new(
                    meta::SUBSCRIPTION_ON_SUBSCRIBE,
                    vec![Value::from(session), Value::from(id)],
                ));
            }
        }
    }

    /// UNSUBSCRIBE.
    pub(crate) fn unsubscribe(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        meta_events: &mut Vec<MetaEvent>,
        session: Id,
        request: Id,
        subscription: Id,
    ) {
        let Some(peer) = peers.get(&session) else {
            return;
        };
        let subscribed = self
            .subscriptions
            .get(&subscription)
            .is_some_and(|s| s.subscribers.contains(&session));
        if !subscribed {
            ctx.send(
                peer.conn,
                error(
                    RequestType::Unsubscribe,
                    request,
                    error_uri::NO_SUCH_SUBSCRIPTION,
                    format!("no subscription with ID {subscription} exists for this session"),
                ),
            );
            return;
        }
        if let Some(mine) = self.by_session.get_mut(&session) {
            mine.retain(|&id| id != subscription);
        }
        self.remove_subscriber(session, subscription, meta_events);
        ctx.send(
            peer.conn,
            Message::Unsubscribed {
                request,
                details: None,
            },
        );
    }

    /// Drops `session` from `subscription`, deleting it when it was the last subscriber.
    fn remove_subscriber(
        &mut self,
        session: Id,
        subscription: Id,
        meta_events: &mut Vec<MetaEvent>,
    ) {
        let Some(sub) = self.subscriptions.get_mut(&subscription) else {
            return;
        };
        if !sub.subscribers.remove(&session) {
            return;
        }
        let restricted = is_restricted(&sub.uri);
        if !restricted {
            meta_events.push(MetaEvent::new(
                meta::SUBSCRIPTION_ON_UNSUBSCRIBE,
                vec![Value::from(session), Value::from(subscription)],
            ));
        }
        if sub.subscribers.is_empty() {
            let (uri, policy) = (sub.uri.clone(), sub.policy);
            self.table.remove(&uri, policy);
            self.subscriptions.remove(&subscription);
            if !restricted {
                meta_events.push(MetaEvent::new(
                    meta::SUBSCRIPTION_ON_DELETE,
                    vec![Value::from(session), Value::from(subscription)],
                ));
            }
        }
    }

    /// A session left: it is dropped from every subscription.
    pub(crate) fn detach(&mut self, peer: &Peer, meta_events: &mut Vec<MetaEvent>) {
        let Some(mine) = self.by_session.remove(&peer.session) else {
            return;
        };
        for id in mine {
            self.remove_subscriber(peer.session, id, meta_events);
        }
    }

    /// Routes a publication; returns its id.
    pub(crate) fn publish(&mut self, ctx: &mut Ctx<'_>, peers: &Peers, p: Publication) -> Id {
        let publication = ctx.ids.random();
        let publisher = match (p.disclose, peers.get(&p.publisher)) {
            (true, Some(peer)) => publisher_details(peer),
            _ => Dict::new(),
        };
        for sub_id in self.table.all(&p.topic) {
            let Some(sub) = self.subscriptions.get(&sub_id) else {
                continue;
            };
            let mut details = publisher.clone();
            if sub.policy != MatchPolicy::Exact {
                details.insert("topic".into(), Value::String(p.topic.clone()));
            }
            for &receiver in &sub.subscribers {
                if p.exclude_me && receiver == p.publisher {
                    continue;
                }
                let Some(peer) = peers.get(&receiver) else {
                    continue;
                };
                if !p.filter.admits(peer) {
                    continue;
                }
                ctx.send(
                    peer.conn,
                    Message::Event {
                        subscription: sub_id,
                        publication,
                        details: details.clone(),
                        args: p.args.clone(),
                        kwargs: p.kwargs.clone(),
                    },
                );
            }
        }
        if p.retain {
            self.retain(ctx, p.topic, p.args, p.kwargs, publisher, p.filter);
        }
        publication
    }

    fn retain(
        &mut self,
        ctx: &mut Ctx<'_>,
        topic: Str,
        args: Vec<Value>,
        kwargs: Dict,
        publisher: Dict,
        filter: Filter,
    ) {
        let limits = ctx.limits;
        if !self.retained.contains_key(&topic) && self.retained.len() >= limits.max_retained_topics
        {
            tracing::debug!(%topic, "retained topics limit reached: publication not retained");
            return;
        }
        let restricted = filter.restricts_sessions();
        let list = self.retained.entry(topic).or_default();
        if !restricted {
            list.clear();
        }
        list.push_back(Retained {
            args,
            kwargs,
            publisher,
            filter,
        });
        while list.len() > limits.max_retained_per_topic.max(1) {
            list.pop_front();
        }
    }

    /// Publishes a meta event of the router: to every matching subscription, with no
    /// exclusion or disclosure.
    pub(crate) fn publish_meta(
        &mut self,
        ctx: &mut Ctx<'_>,
        peers: &Peers,
        topic: &str,
        args: Vec<Value>,
    ) {
        let ids = self.table.all(topic);
        if ids.is_empty() {
            return;
        }
        let publication = ctx.ids.random();
        for sub_id in ids {
            let Some(sub) = self.subscriptions.get(&sub_id) else {
                continue;
            };
            let mut details = Dict::new();
            if sub.policy != MatchPolicy::Exact {
                details.insert("topic".into(), Value::from(topic));
            }
            for receiver in &sub.subscribers {
                if let Some(peer) = peers.get(receiver) {
                    ctx.send(
                        peer.conn,
                        Message::Event {
                            subscription: sub_id,
                            publication,
                            details: details.clone(),
                            args: args.clone(),
                            kwargs: Dict::new(),
                        },
                    );
                }
            }
        }
    }

    // ---- meta API queries ----

    pub(crate) fn get(&self, id: Id) -> Option<&Subscription> {
        self.subscriptions.get(&id)
    }

    pub(crate) fn lookup(&self, uri: &str, policy: MatchPolicy) -> Option<Id> {
        self.table.get(uri, policy)
    }

    pub(crate) fn matching(&self, uri: &str) -> Vec<Id> {
        self.table.all(uri)
    }

    pub(crate) fn ids(&self, policy: MatchPolicy) -> Vec<Id> {
        self.table.ids(policy)
    }

    pub(crate) fn of_session(&self, session: Id) -> &[Id] {
        self.by_session.get(&session).map_or(&[], Vec::as_slice)
    }

    #[cfg(test)]
    pub(crate) fn subscription_count(&self) -> usize {
        self.subscriptions.len()
    }

    /// Entries of the per-session tables (retained events are kept on purpose).
    #[cfg(test)]
    pub(crate) fn entries(&self) -> usize {
        self.subscriptions.len() + self.by_session.len()
    }
}
