//! The in-process transport as a user's unit test of their own component would use it: a
//! router in the same process, no socket, no Python.

use std::time::Duration;

use wamp_client::{Component, Session, TransportConfig};
use wamp_router::{Router, IN_PROCESS_URL};

const WAIT: Duration = Duration::from_secs(10);

async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

#[tokio::test]
async fn a_component_joins_an_embedded_router_in_process_and_serves_calls() {
    let router = Router::builder().realm("realm1").start().await.unwrap();
    let transport = TransportConfig::new(IN_PROCESS_URL)
        .unwrap()
        .connector(router.connector());
    let component = Component::builder()
        .name("calculator")
        .transport(transport.clone())
        .realm("realm1")
        .procedure("com.example.add2", add2)
        .build()
        .unwrap();
    let handle = component.start();
    tokio::time::timeout(WAIT, handle.ready())
        .await
        .unwrap()
        .unwrap();

    let client = Session::join(&transport, wamp_client::JoinOptions::new("realm1"))
        .await
        .unwrap();
    let sum: i64 = client.call("com.example.add2", (20, 22)).await.unwrap();
    assert_eq!(sum, 42);

    client.leave().await.unwrap();
    handle.stop().await.unwrap();
    router.stop().await;
}

#[tokio::test]
async fn a_stopped_router_sends_its_components_to_the_next_transport() {
    let first = Router::builder().realm("realm1").start().await.unwrap();
    let second = Router::builder().realm("realm1").start().await.unwrap();
    let to = |r: &Router| {
        TransportConfig::new(IN_PROCESS_URL)
            .unwrap()
            .connector(r.connector())
    };
    let component = Component::builder()
        .transport(to(&first))
        .transport(to(&second))
        .realm("realm1")
        .procedure("com.example.add2", add2)
        .build()
        .unwrap();
    let handle = component.start();
    tokio::time::timeout(WAIT, handle.ready())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.stats().sessions, 1);

    tokio::time::timeout(WAIT, first.stop()).await.unwrap();
    // the component leaves with the router's GOODBYE and joins the second router
    let deadline = tokio::time::Instant::now() + WAIT;
    while second.stats().sessions == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never joined the second router"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = Session::join(&to(&second), wamp_client::JoinOptions::new("realm1"))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match client.call::<_, i64>("com.example.add2", (1, 2)).await {
            Ok(3) => break,
            other => {
                assert!(tokio::time::Instant::now() < deadline, "{other:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    handle.stop().await.unwrap();
    second.stop().await;
}

#[tokio::test]
async fn the_connector_of_a_stopped_router_refuses_to_connect() {
    let router = Router::builder().realm("realm1").start().await.unwrap();
    let connect = router.connector();
    assert!(connect().await.is_ok());
    router.stop().await;
    let err = connect().await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}
