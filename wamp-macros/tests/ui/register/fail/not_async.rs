#[wamp::register("com.example.add2")]
fn add2(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
