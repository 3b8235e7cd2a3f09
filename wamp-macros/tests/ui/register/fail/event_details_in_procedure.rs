use wamp::handler::EventDetails;

#[wamp::register("com.example.who")]
async fn who(details: EventDetails) -> String {
    details.topic
}

fn main() {}
