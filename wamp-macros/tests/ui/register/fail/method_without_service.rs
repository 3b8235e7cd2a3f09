struct Calculator;

impl Calculator {
    #[wamp::register("com.example.add2")]
    async fn add2(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

fn main() {}
