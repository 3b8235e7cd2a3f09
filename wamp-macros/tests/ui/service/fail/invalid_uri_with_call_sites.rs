// The attributes' errors are the only ones reported: the type still implements `Service` and
// `Attach` (with no declarations), so `.attach(Greeter::default())` type-checks. Without the
// fallback, E0599 (no method `declarations`) and E0277 (`Greeter: Attach` not satisfied)
// followed.
use std::sync::Arc;

use wamp::component::Service;
use wamp::{service, Component};

#[derive(Default)]
struct Greeter;

#[service(realm = "realm1")]
impl Greeter {
    #[register("com.example..hello")]
    async fn hello(&self) -> String {
        "hello".into()
    }

    #[subscribe("com.example.greeted", queue_capacity = 0)]
    async fn greeted(&self) {}
}

fn main() {
    let declarations = Arc::new(Greeter).declarations();
    let _ = Component::builder()
        .transport("ws://127.0.0.1:8080/ws")
        .realm("realm1")
        .attach(Greeter::default())
        .attach(declarations)
        .build();
}
