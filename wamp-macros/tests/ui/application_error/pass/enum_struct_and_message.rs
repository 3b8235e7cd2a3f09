use std::fmt;

use wamp::handler::ApplicationError;
use wamp::WampError;

/// Every kind of variant, a renamed field, and the `Display` text as the message.
#[derive(Debug, PartialEq, ApplicationError)]
#[wamp(message)]
enum ShopError {
    #[wamp(uri = "com.shop.error.not_found")]
    NotFound {
        #[wamp(name = "type")]
        kind: String,
        id: Option<u64>,
    },
    #[wamp(uri = "com.shop.error.busy")]
    Busy(u32),
    #[wamp(uri = "com.shop.error.closed")]
    Closed,
}

impl fmt::Display for ShopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shop error")
    }
}

/// A struct is one error.
#[derive(Debug, PartialEq, ApplicationError)]
#[wamp(uri = "com.shop.error.limit", crate = "::wamp")]
struct Limit {
    max: u32,
}

#[wamp::register("com.shop.buy")]
async fn buy(n: u32) -> Result<u32, ShopError> {
    if n > 3 {
        return Err(ShopError::Busy(n));
    }
    Ok(n)
}

fn main() {
    let e: WampError = ShopError::NotFound { kind: "fruit".into(), id: None }.into();
    assert_eq!(e.args[0], "shop error".into());
    assert!(e.kwargs.get("type").is_some());
    assert_eq!(
        ShopError::from_wamp(&e),
        Some(ShopError::NotFound { kind: "fruit".into(), id: None })
    );
    let e: WampError = Limit { max: 3 }.into();
    assert_eq!(Limit::try_from(e), Ok(Limit { max: 3 }));
    assert_eq!(ShopError::uris().len(), 3);
    let _ = buy::handler();
}
