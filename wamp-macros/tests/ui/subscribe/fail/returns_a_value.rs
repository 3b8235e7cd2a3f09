#[wamp::subscribe("com.example.topic")]
async fn on_event(n: u64) -> u64 {
    n
}

fn main() {}
