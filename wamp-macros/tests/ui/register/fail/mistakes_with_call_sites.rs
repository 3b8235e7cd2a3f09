// The attributes' errors (a bad URI, an unknown option, a fn that is not async) are the only
// ones reported: `add2::handler()` still resolves, to a fallback that never runs, so call sites
// add no errors of their own. Without the fallback, rustc 1.93 added E0433 "failed to resolve:
// function `add2` is not a crate or module" at every call site (rustc 1.95 hides those itself).
use wamp::{register, Component};

#[register("com..add2")]
async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

#[register("com.example.mul2", invok = "roundrobin")]
pub async fn mul2(a: i64, b: i64) -> i64 {
    a * b
}

#[register("com.example.sub2")]
fn sub2(a: i64, b: i64) -> i64 {
    a - b
}

fn main() {
    let declarations = vec![add2::handler(), mul2::handler()];
    let _ = Component::builder()
        .transport("ws://127.0.0.1:8080/ws")
        .realm("realm1")
        .attach(add2::handler())
        .attach(declarations)
        .attach(sub2::handler())
        .build();
}
