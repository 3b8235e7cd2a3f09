//! Autobahn's "rpc complex" example, frontend: reads keyword results
//! (`com.myapp.add_complex`) and several positional results (`com.myapp.split_name`) from
//! the whole [`CallResult`](wamp_client::CallResult), then leaves.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_complex_frontend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`); start `rpc_complex_backend` (or Autobahn|Python's) first.
//! Exit status 0 when done, 1 on a failure (a call error, a result of another shape).
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use wamp_client::{on_ready, CallOptions, Payload, Session};

async fn calls(session: &Session) -> Result<(), String> {
    let args = Payload::args(&(2, 3, 4, 5)).expect("integers serialize");
    let result = session
        .call_with("com.myapp.add_complex", args, CallOptions::default())
        .await
        .map_err(|e| format!("add_complex failed: {e}"))?;
    let kwargs = &result.payload.kwargs;
    let (Some(c), Some(ci)) = (kwargs.get("c"), kwargs.get("ci")) else {
        return Err(format!(
            "add_complex: keyword results c and ci expected, got {:?}",
            result.payload
        ));
    };
    println!("Result: {} + {}i", demo::show(c), demo::show(ci));

    let args = Payload::args(&("Homer Simpson",)).expect("a string serializes");
    let result = session
        .call_with("com.myapp.split_name", args, CallOptions::default())
        .await
        .map_err(|e| format!("split_name failed: {e}"))?;
    let [forename, surname] = result.payload.args.as_slice() else {
        return Err(format!(
            "split_name: two positional results expected, got {:?}",
            result.payload
        ));
    };
    println!(
        "Forename: {}, Surname: {}",
        demo::show(forename),
        demo::show(surname)
    );
    Ok(())
}

#[on_ready]
async fn ready(session: Session) {
    demo::finish(&session, calls(&session).await).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("rpc_complex_frontend").attach(ready::handler()));
}
