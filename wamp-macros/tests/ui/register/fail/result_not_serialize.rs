struct NotSerde;

#[wamp::register("com.example.give")]
async fn give() -> NotSerde {
    NotSerde
}

fn main() {
    let _ = give::handler();
}
