//! Testaments, through Crossbar.io 26.10.1 and through our router: an event the router
//! publishes for a session when it goes away, whether it leaves or its connection drops
//! (`wamp.session.add_testament`), unless flushed first (`wamp.session.flush_testaments`);
//! and a component's declarative testament, set on every new session.

use std::time::Duration;

use wamp_client::{
    Component, EventStream, LifecycleEvent, Payload, PublishOptions, Session, Testament,
    TestamentScope,
};
use wamp_suite::{within, Endpoint, FaultProxy, TestRouter};

const LIMIT: Duration = Duration::from_secs(20);

async fn subscriber(router: &dyn TestRouter, topic: &str) -> (Session, EventStream) {
    let session = Session::connect(&router.ws_url(), "realm1").await.unwrap();
    let events = session
        .subscribe_stream(topic, Default::default())
        .await
        .unwrap();
    (session, events)
}

/// A proxy in front of the router's WebSocket endpoint, to drop a connection abruptly.
fn proxy(router: &dyn TestRouter) -> FaultProxy {
    FaultProxy::start(router.addr(Endpoint::Ws).expect("a TCP endpoint"))
}

async fn next_args(events: &mut EventStream) -> Vec<String> {
    let event = within(LIMIT, "an event", events.next())
        .await
        .expect("the subscription lives");
    event.payload.args_as().unwrap()
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_testament_is_published_when_the_connection_drops(router) {
        let (_sub, mut events) = subscriber(router, "com.testament.dropped").await;
        let proxy = proxy(router);
        let worker = Session::connect(&proxy.url(Endpoint::Ws), "realm1").await.unwrap();
        worker
            .add_testament(
                "com.testament.dropped",
                Payload::args(&("worker gone",)).unwrap(),
                PublishOptions::default(),
                TestamentScope::Destroyed,
            )
            .await
            .unwrap();
        proxy.drop_connections();
        assert_eq!(next_args(&mut events).await, ["worker gone"]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn testaments_of_both_scopes_are_published_in_order_when_the_session_leaves(router) {
        let (_sub, mut events) = subscriber(router, "com.testament.left").await;
        let worker = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        for (text, scope) in [
            ("destroyed 1", TestamentScope::Destroyed),
            ("detached", TestamentScope::Detached),
            ("destroyed 2", TestamentScope::Destroyed),
        ] {
            let t = Testament::new("com.testament.left", Payload::args(&(text,)).unwrap()).scope(scope);
            worker.set_testament(&t).await.unwrap();
        }
        worker.leave().await.unwrap();
        // Detached first, then destroyed, each scope in the order added.
        assert_eq!(next_args(&mut events).await, ["detached"]);
        assert_eq!(next_args(&mut events).await, ["destroyed 1"]);
        assert_eq!(next_args(&mut events).await, ["destroyed 2"]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn flushed_testaments_are_not_published(router) {
        let (sub, mut events) = subscriber(router, "com.testament.flushed").await;
        let worker = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        let payload = Payload::args(&("never",)).unwrap();
        for _ in 0..2 {
            worker
                .add_testament("com.testament.flushed", payload.clone(), PublishOptions::default(), TestamentScope::Destroyed)
                .await
                .unwrap();
        }
        assert_eq!(worker.flush_testaments(TestamentScope::Destroyed).await.unwrap(), 2);
        assert_eq!(worker.flush_testaments(TestamentScope::Detached).await.unwrap(), 0);
        worker.leave().await.unwrap();
        // The first event after the worker's leave is this one, not a testament.
        let publisher = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        publisher
            .publish_with(
                "com.testament.flushed",
                Payload::args(&("after",)).unwrap(),
                PublishOptions::acknowledged(),
            )
            .await
            .unwrap();
        assert_eq!(next_args(&mut events).await, ["after"]);
        drop(sub);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_component_sets_its_testament_on_every_new_session(router) {
        let (_sub, mut events) = subscriber(router, "com.testament.component").await;
        let proxy = proxy(router);
        let comp = Component::builder()
            .transport(proxy.url(Endpoint::Ws))
            .realm("realm1")
            .testament(Testament::new(
                "com.testament.component",
                Payload::args(&("component gone",)).unwrap(),
            ))
            .build()
            .unwrap();
        let handle = comp.start();
        let mut lifecycle = handle.events();
        within(LIMIT, "ready", handle.ready()).await.unwrap();
        proxy.drop_connections();
        assert_eq!(next_args(&mut events).await, ["component gone"]);
        // The component reconnects, and its new session has the testament too.
        within(LIMIT, "the second session", async {
            let mut joins = 0;
            while let Some(e) = lifecycle.next().await {
                if matches!(e, LifecycleEvent::Ready { .. }) {
                    joins += 1;
                    if joins == 2 {
                        break;
                    }
                }
            }
        })
        .await;
        proxy.drop_connections();
        assert_eq!(next_args(&mut events).await, ["component gone"]);
        within(LIMIT, "the stop", handle.stop()).await.unwrap();
    }
}
