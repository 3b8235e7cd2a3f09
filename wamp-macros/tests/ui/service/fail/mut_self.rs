struct Counter {
    n: u64,
}

#[wamp::service]
impl Counter {
    #[register("com.example.next")]
    async fn next(&mut self) -> u64 {
        self.n += 1;
        self.n
    }
}

fn main() {}
