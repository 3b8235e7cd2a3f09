//! Autobahn's "pubsub unsubscribe" example, frontend: subscribes to `com.myapp.topic1`,
//! takes five events, unsubscribes, pauses 2 seconds (Autobahn's original: 5), subscribes
//! again, takes five more events and leaves. The subscriptions come and go, so they are made
//! from the session (as event streams) rather than declared on the component.
//!
//! ```sh
//! cargo run --example pubsub_unsubscribe_backend     # first; wait for `backend ready`
//! cargo run --example pubsub_unsubscribe_frontend
//! ```
//!
//! Both join the realm `crossbardemo` on the router whose URL is in `AUTOBAHN_DEMO_ROUTER`
//! (default `ws://127.0.0.1:8080/ws`). `cargo run --example bench -- --role router` starts a
//! local Crossbar.io with that realm and prints its URLs. The printed lines and the messages
//! sent are those of `tests/peers/autobahn/EXAMPLES.md`, so this frontend works with
//! Autobahn|Python's backend too.

#[path = "support/demo.rs"]
mod demo;

use std::time::Duration;

use wamp_client::{on_ready, EventStream, Session, SubscribeOptions};

/// Events per run.
const EVENTS: usize = 5;
/// Subscribe, take the events, unsubscribe: that many times.
const RUNS: usize = 2;
/// The pause between two runs.
const PAUSE: Duration = Duration::from_secs(2);

/// Prints the next `EVENTS` events of `events`.
async fn take_events(events: &mut EventStream) {
    for _ in 0..EVENTS {
        let Some(event) = events.next().await else {
            demo::fail("the subscription ended before its events arrived");
        };
        match event.payload.arg::<i64>(0) {
            Ok(i) => println!("Got event: {}", demo::show(&i)),
            Err(e) => demo::fail(format!("an event without an integer: {e}")),
        }
    }
}

/// Once ready: the runs, then leave.
#[on_ready]
async fn ready(session: Session) {
    for run in 1..=RUNS {
        let subscribed = session
            .subscribe_stream("com.myapp.topic1", SubscribeOptions::default())
            .await;
        let mut events = match subscribed {
            Ok(events) => events,
            Err(e) => demo::fail(format!("cannot subscribe: {e}")),
        };
        if let Some(subscription) = events.subscription() {
            println!("Subscribed with subscription ID {}", subscription.id());
        }
        let bound = Duration::from_secs(15);
        if tokio::time::timeout(bound, take_events(&mut events))
            .await
            .is_err()
        {
            demo::fail(format!(
                "{EVENTS} events on com.myapp.topic1 did not arrive within 15 s"
            ));
        }
        if run == RUNS {
            // Leave still subscribed: the subscription ends with the session.
            demo::leave(&session).await;
            return;
        }
        if let Err(e) = events.unsubscribe().await {
            demo::fail(format!("cannot unsubscribe: {e}"));
        }
        println!("Unsubscribed .. continue in {}s ..", PAUSE.as_secs());
        tokio::time::sleep(PAUSE).await;
    }
}

fn main() {
    demo::frontend();
    demo::run(demo::component("pubsub_unsubscribe_frontend").attach(ready::handler()));
}
