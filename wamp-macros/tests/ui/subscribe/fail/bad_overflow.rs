#[wamp::subscribe("com.example.topic", overflow = "drop_everything")]
async fn on_event(_n: u64) {}

fn main() {}
