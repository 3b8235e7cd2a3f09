// wamp-client under yet another name, given to the macros with `crate`.
extern crate wamp as other;

use std::sync::atomic::{AtomicU64, Ordering};

use other::handler::Kwargs;
use other::{Component, Session, SessionDetails};

#[derive(Default)]
struct MathService {
    calls: AtomicU64,
}

#[derive(serde::Deserialize)]
struct Scale {
    factor: f64,
}

#[other::service(crate = "::other")]
impl MathService {
    #[register("com.mathservice.add2")]
    async fn add2(&self, x: i64, y: i64) -> i64 {
        self.calls.fetch_add(1, Ordering::Relaxed);
        x + y
    }

    #[register("com.mathservice.scale", invoke = "single")]
    async fn scale(&self, x: f64, scale: Kwargs<Scale>) -> f64 {
        x * scale.0.factor
    }

    #[register("com.mathservice.version")]
    async fn version() -> &'static str {
        "1"
    }

    #[subscribe("com.mathservice.reset")]
    async fn reset(&self) {
        self.calls.store(0, Ordering::Relaxed);
    }

    #[on_join]
    async fn joined(&self, session: Session, details: SessionDetails) {
        let _ = (session, details);
    }

    #[on_ready]
    async fn ready(&self) {}

    /// Not a handler.
    fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

#[other::register("com.example.add2", crate = "::other")]
async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {
    let service = MathService::default();
    let _ = service.calls();
    let _ = Component::builder()
        .transport("ws://127.0.0.1:1/ws")
        .realm("realm1")
        .attach(service)
        .attach(add2::handler())
        .build();
}
