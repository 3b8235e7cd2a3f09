struct NotSerde;

#[wamp::register("com.example.take")]
async fn take(_value: NotSerde) {}

fn main() {
    let _ = take::handler();
}
