// The attribute's error is the only one reported: `joined::handler()` still resolves, to a
// fallback that never runs, so call sites add no errors of their own. Without the fallback,
// rustc 1.93 added E0433 "failed to resolve: function `joined` is not a crate or module" at
// every call site (rustc 1.95 hides those itself).
use wamp::{on_join, Component, Session};

#[on_join("com.example.joined")]
async fn joined(session: Session) {
    let _ = session;
}

fn main() {
    let _ = Component::builder()
        .transport("ws://127.0.0.1:8080/ws")
        .realm("realm1")
        .attach(joined::handler())
        .build();
}
