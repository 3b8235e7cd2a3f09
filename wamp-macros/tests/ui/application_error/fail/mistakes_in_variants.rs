use wamp::handler::ApplicationError;

#[derive(Debug, ApplicationError)]
enum ShopError {
    #[wamp(uri = "com.shop.error.closed")]
    Closed,
    Busy(u32),
    #[wamp(uri = "com.shop..bad")]
    Bad,
    #[wamp(uri = "com.shop.error.closed", colour = "red")]
    Again,
}

fn main() {}
