//! Durable streams (`ComponentBuilder::subscription_stream`): a component's subscription read
//! as one stream across sessions. Through Crossbar.io 26.10.1 and through our router
//! (`crossbar::NAME`, `ours::NAME`): events before and after a router restart with exactly
//! one gap between the sessions' events; a revoked subscription subscribed again after one
//! gap; dropping the stream unsubscribes, and the next session does not subscribe it again;
//! the stream ends when the component stops. On paused time against the fake router of
//! `wamp_client::testing`: the same across a lost connection, message by message, and the
//! stream's bounded queue.

use std::sync::Arc;
use std::time::Duration;

use wamp_client::testing::FakeRouter;
use wamp_client::{
    Component, ComponentHandle, DurableStream, GapCause, LifecycleEvent, LifecycleEvents,
    MatchPolicy, Overflow, Payload, PublishOptions, RetryPolicy, RevocationKind, Session,
    StreamItem, SubscribeOptions, TransportConfig, TransportSpec,
};
use wamp_core::message::Message;
use wamp_core::serializer::Json;
use wamp_core::{Dict, Value};
use wamp_suite::{within, Endpoint, FaultProxy};

const LIMIT: Duration = Duration::from_secs(30);

/// Retries quickly, so that tests do not wait for Autobahn's 1.5 s and more.
fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .initial_retry_delay(Duration::from_millis(100))
        .max_retry_delay(Duration::from_millis(500))
}

/// A component whose one subscription is a durable stream on `topic`, over `url`.
fn streaming(url: &str, topic: &str) -> (Component, DurableStream) {
    let transport = TransportSpec::new(TransportConfig::new(url).unwrap()).retry(fast());
    let (builder, stream) = Component::builder()
        .name("durable")
        .transport(transport)
        .realm("realm1")
        .subscription_stream(topic, SubscribeOptions::default());
    (builder.build().unwrap(), stream)
}

/// Starts `comp` and waits until it is ready; its lifecycle events after that `Ready`.
async fn started(comp: &Component) -> (ComponentHandle, LifecycleEvents) {
    let handle = comp.start();
    let mut events = handle.events();
    ready_again(&mut events).await;
    (handle, events)
}

/// Waits for the next `Ready` event.
async fn ready_again(events: &mut LifecycleEvents) -> Session {
    within(LIMIT, "ready again", async {
        loop {
            match events.next().await {
                Some(LifecycleEvent::Ready { session, .. }) => return session,
                Some(_) => {}
                None => panic!("the component ended"),
            }
        }
    })
    .await
}

async fn publish(session: &Session, topic: &str, n: i64) {
    session
        .publish_with(
            topic,
            Payload::args(&(n,)).unwrap(),
            PublishOptions::acknowledged(),
        )
        .await
        .unwrap();
}

/// The next item, as the number an event carries, or `None` for a gap.
async fn next_number(stream: &mut DurableStream) -> Option<i64> {
    match within(LIMIT, "the next item", stream.next()).await {
        Some(StreamItem::Event(e)) => Some(e.payload.args_as::<(i64,)>().unwrap().0),
        Some(StreamItem::Gap { .. }) => None,
        Some(other) => panic!("unexpected item {other:?}"),
        None => panic!("the stream ended"),
    }
}

/// Whether `topic` has a subscription on the router, asked through the meta API, waiting
/// (within the limit) until it is `expected`.
async fn until_subscribed(observer: &Session, topic: &str, expected: bool) {
    within(LIMIT, "the router's subscriptions", async {
        loop {
            let found = observer
                .meta()
                .subscription_lookup(topic, MatchPolicy::Exact)
                .await
                .unwrap();
            if found.is_some() == expected {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_stream_carries_on_across_a_router_restart_with_one_gap_between_the_sessions(router) {
        let kind = router.kind();
        let router = Arc::new(tokio::task::spawn_blocking(move || kind.start()).await.unwrap());
        let topic = "com.durable.restart";
        let (comp, mut stream) = streaming(&router.ws_url(), topic);
        let (handle, mut events) = started(&comp).await;
        let first = handle.session().unwrap().id();
        assert_eq!(stream.session(), None, "nothing read yet");
        let publisher = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        for n in 1..=3 {
            publish(&publisher, topic, n).await;
        }
        for n in 1..=3 {
            assert_eq!(next_number(&mut stream).await, Some(n));
        }
        assert_eq!(stream.session(), Some(first));

        let r = router.clone();
        tokio::task::spawn_blocking(move || r.restart()).await.unwrap();
        // The loss is told at once, before the next session.
        match within(LIMIT, "the gap", stream.next()).await {
            Some(StreamItem::Gap { session, cause: GapCause::SessionLost(details) }) => {
                assert_eq!(session, first);
                assert!(!details.is_clean(), "{details:?}");
            }
            other => panic!("expected a gap, got {other:?}"),
        }
        let second = ready_again(&mut events).await.id();
        assert_ne!(second, first);
        let publisher = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        for n in 4..=6 {
            publish(&publisher, topic, n).await;
        }
        for n in 4..=6 {
            assert_eq!(next_number(&mut stream).await, Some(n), "no second gap");
        }
        assert_eq!(stream.session(), Some(second));
        assert_eq!(stream.dropped(), 0);
        assert_eq!(stream.pending(), 0);

        within(LIMIT, "the stop", handle.stop()).await.unwrap();
        assert!(within(LIMIT, "the end", stream.next()).await.is_none());
        publisher.leave().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn dropping_the_stream_unsubscribes_and_the_next_session_does_not_subscribe_it_again(router) {
        let proxy = FaultProxy::start(router.addr(Endpoint::Rs).unwrap());
        let (topic, other) = ("com.durable.dropped", "com.durable.kept");
        let transport = TransportSpec::new(TransportConfig::new(&proxy.url(Endpoint::Rs)).unwrap())
            .retry(fast());
        let (builder, stream) = Component::builder()
            .transport(transport)
            .realm("realm1")
            .subscription_stream(topic, SubscribeOptions::default());
        let (builder, kept) = builder.subscription_stream(other, SubscribeOptions::default());
        let comp = builder.build().unwrap();
        let (handle, mut events) = started(&comp).await;
        let observer = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        until_subscribed(&observer, topic, true).await;

        drop(stream);
        until_subscribed(&observer, topic, false).await;
        until_subscribed(&observer, other, true).await;

        // A new session subscribes the other stream again, not the dropped one.
        let first = handle.session().unwrap().id();
        proxy.drop_connections();
        let session = ready_again(&mut events).await;
        assert_ne!(session.id(), first);
        // Ready means every subscription is confirmed: the other one is there again, and
        // the dropped one is not.
        until_subscribed(&observer, other, true).await;
        let found = observer.meta().subscription_lookup(topic, MatchPolicy::Exact).await.unwrap();
        assert_eq!(found, None);

        within(LIMIT, "the stop", handle.stop()).await.unwrap();
        drop(kept);
        observer.leave().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_revoked_stream_is_subscribed_again_after_one_gap(router) {
        let topic = "com.durable.revoked";
        let (comp, mut stream) = streaming(&router.rs_url(), topic);
        let (handle, mut events) = started(&comp).await;
        let session = handle.session().unwrap().id();
        let admin = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        publish(&admin, topic, 1).await;
        assert_eq!(next_number(&mut stream).await, Some(1));

        let id = admin
            .meta()
            .subscription_lookup(topic, MatchPolicy::Exact)
            .await
            .unwrap()
            .expect("the stream's subscription");
        admin
            .meta()
            .subscription_remove_subscriber(id, session, None)
            .await
            .unwrap();
        match within(LIMIT, "the gap", stream.next()).await {
            Some(StreamItem::Gap { session: s, cause: GapCause::Revoked(r) }) => {
                assert_eq!(s, session);
                assert_eq!(r.kind, RevocationKind::Subscription);
                assert_eq!(r.uri, topic);
            }
            other => panic!("expected a gap, got {other:?}"),
        }
        within(LIMIT, "re-established", async {
            loop {
                match events.next().await {
                    Some(LifecycleEvent::Reestablished { .. }) => return,
                    Some(_) => {}
                    None => panic!("the component ended"),
                }
            }
        })
        .await;
        publish(&admin, topic, 2).await;
        assert_eq!(next_number(&mut stream).await, Some(2), "one gap only");
        assert_eq!(handle.session().unwrap().id(), session, "the same session");

        within(LIMIT, "the stop", handle.stop()).await.unwrap();
        assert!(within(LIMIT, "the end", stream.next()).await.is_none());
        admin.leave().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_stream_ends_when_its_component_stops_after_its_last_events_are_read(router) {
        let topic = "com.durable.stop";
        let (comp, mut stream) = streaming(&router.ws_url(), topic);
        let (handle, _events) = started(&comp).await;
        let publisher = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        publish(&publisher, topic, 1).await;
        publish(&publisher, topic, 2).await;
        // Both delivered before the stop, read after it.
        within(LIMIT, "delivery", async {
            while stream.pending() < 2 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        within(LIMIT, "the stop", handle.stop()).await.unwrap();
        assert_eq!(next_number(&mut stream).await, Some(1));
        assert_eq!(next_number(&mut stream).await, Some(2));
        assert!(within(LIMIT, "the end", stream.next()).await.is_none());
        assert!(stream.next().await.is_none(), "and stays ended");
        publisher.leave().await.unwrap();
    }
}

// ---- on paused time, against the fake router ----

/// Far beyond every bound tested here (virtual time): a test that reaches it has hung.
const HUNG: Duration = Duration::from_secs(24 * 3600);

async fn bounded<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(HUNG, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

fn event(subscription: u64, publication: u64, n: i64) -> Message {
    Message::Event {
        subscription,
        publication,
        details: Dict::new(),
        args: vec![Value::Int(n)],
        kwargs: Dict::new(),
    }
}

fn fake_streaming(router: &FakeRouter, options: SubscribeOptions) -> (Component, DurableStream) {
    let retry = RetryPolicy::default()
        .initial_retry_delay(Duration::from_millis(100))
        .retry_delay_jitter(0.0);
    let (builder, stream) = Component::builder()
        .transport(TransportSpec::new(router.config().no_keepalive()).retry(retry))
        .realm("realm1")
        .subscription_stream("com.example.ticks", options);
    (builder.build().unwrap(), stream)
}

#[tokio::test(start_paused = true)]
async fn across_a_lost_connection_the_stream_gives_one_gap_and_once_dropped_is_unsubscribed_and_never_subscribed_again(
) {
    let mut router = FakeRouter::rawsocket(Json);
    let (comp, mut stream) = fake_streaming(&router, SubscribeOptions::default());
    let handle = comp.start();

    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    assert_eq!(peer.answer_subscribe(5).await, "com.example.ticks");
    bounded("ready", handle.ready()).await.unwrap();
    peer.send(&event(5, 1, 1)).await;
    peer.send(&event(5, 2, 2)).await;
    assert_eq!(bounded("1", next_number(&mut stream)).await, Some(1));
    assert_eq!(bounded("2", next_number(&mut stream)).await, Some(2));

    // The connection is lost: one gap, then the next session's events.
    drop(peer);
    let item = bounded("the gap", stream.next()).await;
    assert!(matches!(
        item,
        Some(StreamItem::Gap {
            cause: GapCause::SessionLost(_),
            ..
        })
    ));
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    assert_eq!(peer.answer_subscribe(6).await, "com.example.ticks");
    bounded("ready", handle.ready()).await.unwrap();
    peer.send(&event(6, 3, 3)).await;
    assert_eq!(bounded("3", next_number(&mut stream)).await, Some(3));

    // Dropped: UNSUBSCRIBE at once.
    drop(stream);
    match bounded("unsubscribe", peer.recv()).await {
        Some(Message::Unsubscribe {
            request,
            subscription,
        }) => {
            assert_eq!(subscription, 6);
            peer.send(&Message::Unsubscribed {
                request,
                details: None,
            })
            .await;
        }
        other => panic!("expected UNSUBSCRIBE, got {other:?}"),
    }

    // The next session subscribes nothing: ready at once; the first message is the stop's
    // GOODBYE.
    drop(peer);
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    bounded("ready", handle.ready()).await.unwrap();
    let stop = tokio::spawn({
        let handle = handle.clone();
        async move { handle.stop().await }
    });
    match bounded("goodbye", peer.recv()).await {
        Some(Message::Goodbye { .. }) => peer.goodbye().await,
        other => panic!("expected GOODBYE and no SUBSCRIBE, got {other:?}"),
    }
    while bounded("close", peer.recv()).await.is_some() {}
    bounded("stop", stop).await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_stream_holds_at_most_its_queue_capacity_and_counts_the_events_dropped_beyond() {
    let mut router = FakeRouter::rawsocket(Json);
    let options = SubscribeOptions::default().queue_capacity(2);
    let (comp, mut stream) = fake_streaming(&router, options);
    let handle = comp.start();
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    peer.answer_subscribe(5).await;
    bounded("ready", handle.ready()).await.unwrap();
    for n in 1..=5 {
        peer.send(&event(5, n as u64, n)).await;
    }
    bounded("delivery", async {
        while stream.pending() as u64 + stream.dropped() < 5 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_eq!((stream.pending(), stream.dropped()), (2, 3));
    assert_eq!(bounded("1", next_number(&mut stream)).await, Some(1));
    assert_eq!(bounded("2", next_number(&mut stream)).await, Some(2));
    assert_eq!(stream.pending(), 0);

    // The lost session's count stays in the total.
    drop(peer);
    assert!(bounded("the gap", stream.next()).await.unwrap().is_gap());
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    peer.answer_subscribe(6).await;
    bounded("ready", handle.ready()).await.unwrap();
    peer.send(&event(6, 6, 6)).await;
    assert_eq!(bounded("6", next_number(&mut stream)).await, Some(6));
    assert_eq!(stream.dropped(), 3);

    let stop = tokio::spawn({
        let handle = handle.clone();
        async move { handle.stop().await }
    });
    while let Some(msg) = bounded("recv", peer.recv()).await {
        if let Message::Goodbye { .. } = msg {
            peer.goodbye().await;
        }
    }
    bounded("stop", stop).await.unwrap().unwrap();
    assert!(bounded("the end", stream.next()).await.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_session_whose_events_were_not_read_when_the_next_one_subscribed_is_dropped_counted_and_marked_by_one_gap(
) {
    let mut router = FakeRouter::rawsocket(Json);
    let (comp, mut stream) = fake_streaming(&router, SubscribeOptions::default());
    let handle = comp.start();

    // Session 1: two events, one read.
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    peer.answer_subscribe(5).await;
    bounded("ready", handle.ready()).await.unwrap();
    peer.send(&event(5, 1, 1)).await;
    peer.send(&event(5, 2, 2)).await;
    assert_eq!(bounded("1", next_number(&mut stream)).await, Some(1));

    // Session 2: one event, not read before session 3 subscribes.
    drop(peer);
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    peer.answer_subscribe(6).await;
    bounded("ready", handle.ready()).await.unwrap();
    peer.send(&event(6, 3, 3)).await;
    bounded("delivery", async {
        while stream.pending() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;

    // Session 3 replaces session 2's unread events.
    drop(peer);
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    peer.answer_subscribe(7).await;
    bounded("ready", handle.ready()).await.unwrap();
    peer.send(&event(7, 4, 4)).await;
    bounded("delivery", async {
        while stream.pending() + (stream.dropped() as usize) < 3 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_eq!((stream.pending(), stream.dropped()), (2, 1));

    assert_eq!(bounded("2", next_number(&mut stream)).await, Some(2));
    assert_eq!(bounded("the gap", next_number(&mut stream)).await, None);
    assert_eq!(
        bounded("4", next_number(&mut stream)).await,
        Some(4),
        "one gap"
    );
    assert_eq!(stream.dropped(), 1);

    let stop = tokio::spawn({
        let handle = handle.clone();
        async move { handle.stop().await }
    });
    while let Some(msg) = bounded("recv", peer.recv()).await {
        if let Message::Goodbye { .. } = msg {
            peer.goodbye().await;
        }
    }
    bounded("stop", stop).await.unwrap().unwrap();
    assert!(bounded("the end", stream.next()).await.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_stream_applies_its_subscriptions_overflow_policy_dropping_the_oldest_when_asked() {
    let mut router = FakeRouter::rawsocket(Json);
    let options = SubscribeOptions::default()
        .queue_capacity(2)
        .overflow(Overflow::DropOldest);
    let (comp, mut stream) = fake_streaming(&router, options);
    let handle = comp.start();
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    peer.answer_subscribe(5).await;
    bounded("ready", handle.ready()).await.unwrap();
    for n in 1..=5 {
        peer.send(&event(5, n as u64, n)).await;
    }
    bounded("delivery", async {
        while stream.dropped() < 3 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_eq!((stream.pending(), stream.dropped()), (2, 3));
    assert_eq!(bounded("4", next_number(&mut stream)).await, Some(4));
    assert_eq!(bounded("5", next_number(&mut stream)).await, Some(5));

    let stop = tokio::spawn({
        let handle = handle.clone();
        async move { handle.stop().await }
    });
    while let Some(msg) = bounded("recv", peer.recv()).await {
        if let Message::Goodbye { .. } = msg {
            peer.goodbye().await;
        }
    }
    bounded("stop", stop).await.unwrap().unwrap();
    assert!(bounded("the end", stream.next()).await.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_stream_of_a_component_dropped_without_being_started_ends_at_once() {
    let router = FakeRouter::rawsocket(Json);
    let (comp, mut stream) = fake_streaming(&router, SubscribeOptions::default());
    drop(comp);
    assert!(bounded("the end", stream.next()).await.is_none());
    assert_eq!((stream.pending(), stream.dropped()), (0, 0));
}
