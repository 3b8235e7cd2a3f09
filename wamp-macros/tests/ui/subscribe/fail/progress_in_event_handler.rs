use wamp::handler::Progress;

#[wamp::subscribe("com.example.topic")]
async fn on_event(_progress: Progress) {}

fn main() {}
