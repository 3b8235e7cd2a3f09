// `#[wamp(name = "...")]` is the only attribute a handler parameter takes from us.
#[wamp::register("com.example.add2")]
async fn add2(#[wamp(rename = "x")] a: i64, #[wamp(name = "")] b: i64) -> i64 {
    a + b
}

fn main() {
    let _ = add2::handler();
}

#[wamp::register("com.example.sub2")]
async fn sub2(a: i64, #[wamp(name = "a")] b: i64) -> i64 {
    a - b
}
