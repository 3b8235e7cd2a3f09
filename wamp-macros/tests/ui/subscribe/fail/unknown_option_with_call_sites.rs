// The attribute's error is the only one reported: `on_tick::handler()` still resolves, to a
// fallback that never runs, so call sites add no errors of their own. Without the fallback,
// rustc 1.93 added E0433 "failed to resolve: function `on_tick` is not a crate or module" at
// every call site (rustc 1.95 hides those itself).
use wamp::{subscribe, Component};

#[subscribe("com.example.tick", get_retaned = true)]
async fn on_tick(n: u64) {
    let _ = n;
}

fn main() {
    let _ = Component::builder()
        .transport("ws://127.0.0.1:8080/ws")
        .realm("realm1")
        .attach(on_tick::handler())
        .build();
}
