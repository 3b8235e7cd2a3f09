//! The "session meta" example, frontend: looks itself and the backend's worker session up in
//! the typed meta API (`Session::meta`), counts the callees of `com.myapp.worker`, kills the
//! worker, and waits for its `wamp.session.on_leave` event and its testament. The pair is
//! ours, in the style of Autobahn's suite (`tests/peers/autobahn/EXAMPLES.md`, session_meta).
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example session_meta_frontend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`); start `session_meta_backend` first. Exit status 0 when done, 1
//! on a failure.

#[path = "support/demo.rs"]
mod demo;

use std::time::Duration;

use wamp_client::{on_ready, MatchPolicy, Session, SubscribeOptions};

fn text(value: Option<String>) -> String {
    value.unwrap_or_else(|| "<none>".into())
}

#[on_ready]
async fn ready(session: Session) {
    let fail = |what: &str, e: &dyn std::fmt::Display| -> ! { demo::fail(format!("{what}: {e}")) };
    let meta = session.meta();
    let me = meta
        .session_get(session.id())
        .await
        .unwrap_or_else(|e| fail("wamp.session.get", &e));
    println!(
        "Me: realm={} authrole={} authmethod={}",
        text(me.realm),
        text(me.authrole),
        text(me.authmethod)
    );
    let worker: u64 = session
        .call("com.myapp.worker", ())
        .await
        .unwrap_or_else(|e| fail("com.myapp.worker", &e));
    let info = meta
        .session_get(worker)
        .await
        .unwrap_or_else(|e| fail("wamp.session.get", &e));
    println!("Worker: authrole={}", text(info.authrole));
    let registration = match meta
        .registration_lookup("com.myapp.worker", MatchPolicy::Exact)
        .await
    {
        Ok(Some(id)) => id,
        Ok(None) => demo::fail("com.myapp.worker is not registered"),
        Err(e) => fail("wamp.registration.lookup", &e),
    };
    let callees = meta
        .registration_count_callees(registration)
        .await
        .unwrap_or_else(|e| fail("wamp.registration.count_callees", &e));
    println!("Callees of com.myapp.worker: {callees}");

    let mut left = meta
        .on_session_leave()
        .await
        .unwrap_or_else(|e| fail("subscribe to wamp.session.on_leave", &e));
    let mut testament = session
        .subscribe_stream("com.myapp.worker_gone", SubscribeOptions::default())
        .await
        .unwrap_or_else(|e| fail("subscribe to com.myapp.worker_gone", &e));
    meta.session_kill(worker, None, None)
        .await
        .unwrap_or_else(|e| fail("wamp.session.kill", &e));
    println!("Killed the worker");
    let bound = Duration::from_secs(10);
    let gone = async {
        while let Some(l) = left.next().await {
            if l.session == worker {
                return true;
            }
        }
        false
    };
    if !matches!(tokio::time::timeout(bound, gone).await, Ok(true)) {
        demo::fail("no wamp.session.on_leave event for the worker within 10 s");
    }
    let event = match tokio::time::timeout(bound, testament.next()).await {
        Ok(Some(event)) => event,
        _ => demo::fail("no testament of the worker within 10 s"),
    };
    let words: String = event
        .payload
        .arg(0)
        .unwrap_or_else(|e| fail("a testament without a text", &e));
    println!("Left: the worker");
    println!("Testament: {}", demo::show(&words));
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("session_meta_frontend").attach(ready::handler()));
}
