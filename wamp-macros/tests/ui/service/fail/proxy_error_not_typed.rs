// A proxy method's error type must be a typed application error.
#[derive(Debug)]
struct Oops;

impl From<Oops> for wamp::WampError {
    fn from(_: Oops) -> Self {
        wamp::WampError::new("com.example.error.oops")
    }
}

struct Shop;

#[wamp::service(proxy)]
impl Shop {
    #[register("com.shop.buy")]
    async fn buy(&self) -> Result<u32, Oops> {
        Err(Oops)
    }
}

fn main() {}
