//! Autobahn's "rpc decorators" example, backend: a service whose methods are procedures,
//! registered in one go. `#[service]` on the `impl` block makes the methods marked
//! `#[register(...)]` its procedures (Autobahn: methods decorated with `@wamp.register`,
//! registered by `session.register(self)`); the component attaches the whole service.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_decorators_backend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`), prints each procedure's registration id and `backend ready`
//! once they are registered, and serves until it is stopped. Run `rpc_decorators_frontend`
//! (or Autobahn|Python's) next.
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use wamp_client::{service, ReadyDetails, Session, Value};

struct MathService;

#[service]
impl MathService {
    #[register("com.mathservice.add2")]
    async fn add2(&self, x: i64, y: i64) -> i64 {
        x + y
    }

    #[register("com.mathservice.mul2")]
    async fn mul2(&self, x: i64, y: i64) -> i64 {
        x * y
    }

    /// A float quotient, or the integer 0 when `y` is 0.
    #[register("com.mathservice.div2")]
    async fn div2(&self, x: i64, y: i64) -> Value {
        if y == 0 {
            Value::from(0)
        } else {
            Value::from(x as f64 / y as f64)
        }
    }

    /// Runs once every procedure is registered.
    #[on_ready]
    async fn ready(&self, _session: Session, details: ReadyDetails) {
        for r in &details.registrations {
            println!("Ok, registered procedure with registration ID {}", r.id());
        }
        println!("backend ready");
    }
}

fn main() {
    demo::backend();
    demo::run(demo::component("rpc_decorators_backend").attach(MathService));
}
