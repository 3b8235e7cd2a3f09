//! Shared registrations, frontend: calls `com.example.shared.whoami` six times and prints who
//! answered (the two callees of the backend in turn: the registration is `roundrobin`), then
//! tries to register the same procedure with the policy `single`, which the router refuses
//! (`wamp.error.procedure_exists_with_different_invocation_policy`: the first registration
//! fixed the policy), and leaves.
//! Autobahn|Python has no example of this; this pair follows the suite's conventions.
//!
//! ```sh
//! cargo run --example rpc_shared_backend     # first; wait for `backend ready`
//! cargo run --example rpc_shared_frontend
//! ```
//!
//! Both join the realm `crossbardemo` on the router whose URL is in `AUTOBAHN_DEMO_ROUTER`
//! (default `ws://127.0.0.1:8080/ws`). `cargo run --example bench -- --role router` starts a
//! local Crossbar.io with that realm and prints its URLs. The printed lines and the messages
//! sent are those of `tests/peers/autobahn/EXAMPLES.md`, so this frontend works with
//! Autobahn|Python's backend too.

#[path = "support/demo.rs"]
mod demo;

use wamp_client::{
    on_ready, Invocation, InvocationPolicy, Payload, RegisterError, RegisterOptions, Session,
    WampError,
};

/// How many calls to make.
const CALLS: usize = 6;

/// Once joined: the calls, the refused registration, then leave.
#[on_ready]
async fn ready(session: Session) {
    for _ in 0..CALLS {
        match session
            .call::<_, String>("com.example.shared.whoami", ())
            .await
        {
            Ok(name) => println!("call answered by: {}", demo::show(&name)),
            Err(e) => demo::fail(format!("com.example.shared.whoami failed: {e}")),
        }
    }
    let single = RegisterOptions::default().invoke(InvocationPolicy::Single);
    let attempt = session
        .register_with(
            "com.example.shared.whoami",
            single,
            |_call: Invocation| async { Ok::<_, WampError>(Payload::new()) },
        )
        .await;
    match attempt {
        Ok(_) => demo::fail("registering with invoke single was accepted"),
        Err(RegisterError::Application(e)) => println!(
            "register with invoke single failed: {} args={} kwargs={}",
            e.uri,
            demo::show(&e.args),
            demo::show(&e.kwargs)
        ),
        Err(e) => demo::fail(format!("register with invoke single: {e}")),
    }
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("rpc_shared_frontend").attach(ready::handler()));
}
