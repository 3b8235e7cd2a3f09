#[wamp::subscribe("com.example..topic")]
async fn on_event(_n: u64) {}

fn main() {}
