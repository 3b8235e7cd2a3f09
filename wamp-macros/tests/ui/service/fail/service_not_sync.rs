use std::cell::Cell;

struct Counter {
    n: Cell<u64>,
}

#[wamp::service]
impl Counter {
    #[register("com.example.next")]
    async fn next(&self) -> u64 {
        self.n.get()
    }
}

fn main() {}
