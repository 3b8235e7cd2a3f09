use wamp::handler::{EventDetails, Kwargs};
use std::collections::BTreeMap;

use wamp::subscribe;

#[subscribe("com.example..topic", match = "wildcard", get_retained = true, queue_capacity = 64, overflow = "drop_oldest")]
async fn on_any(n: u64, extra: Kwargs<BTreeMap<String, u64>>, details: EventDetails) {
    let _ = (n, extra, details.publisher);
}

#[subscribe("com.example.", match = "prefix")]
async fn on_prefix() {}

fn main() {
    let _ = on_any::handler();
    let _ = on_prefix::handler();
}
