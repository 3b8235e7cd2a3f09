#[wamp::register("com.example.add2", invoke = "sometimes", concurrency = 0, match = "regex")]
async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
