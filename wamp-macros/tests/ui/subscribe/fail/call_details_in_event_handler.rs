use wamp::handler::CallDetails;

#[wamp::subscribe("com.example.topic")]
async fn on_event(_details: CallDetails) {}

fn main() {}
