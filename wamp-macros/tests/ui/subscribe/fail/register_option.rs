#[wamp::subscribe("com.example.topic", invoke = "roundrobin")]
async fn on_event(_n: u64) {}

fn main() {}
