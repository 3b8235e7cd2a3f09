#[wamp::register("com.example.echo")]
async fn echo<T: serde::Serialize>(value: T) -> T {
    value
}

fn main() {}
