// The prefix goes before every URI, and the result is checked.
struct Shop;

#[wamp::service(prefix = "com.shop..", proxy)]
impl Shop {
    #[register("buy")]
    async fn buy(&self) {}
}

fn main() {}
