// A prefixed service with a named proxy: every kind of parameter and result.
use wamp::handler::{Args, CallDetails, Kwargs, Progress, TypedCallError};
use wamp::{CallError, Dict, Payload, Session, Value, WampError};

#[derive(serde::Serialize, serde::Deserialize)]
struct Opts {
    shout: bool,
}

struct Shop;

#[wamp::service(prefix = "com.shop.", proxy = "ShopClient")]
impl Shop {
    #[register("echo")]
    async fn echo(&self, word: String, opts: Kwargs<Opts>, _call: CallDetails) -> String {
        if opts.0.shout { word.to_uppercase() } else { word }
    }

    #[register("sum")]
    async fn sum(first: i64, rest: Args<Vec<i64>>, _progress: Progress) -> Result<i64, WampError> {
        Ok(first + rest.0.iter().sum::<i64>())
    }

    #[register("raw")]
    async fn raw(&self, #[wamp(name = "type")] kind: String) -> Result<Payload, WampError> {
        let kwargs: Dict = [("type", Value::from(kind))].into();
        Ok(Payload::from_parts(vec![], kwargs))
    }

    #[register("any.", match = "prefix")]
    async fn any(&self) {}

    #[subscribe("ticks")]
    async fn ticks(&self, _n: u64) {}
}

async fn use_it(session: Session) {
    let shop = ShopClient::new(session).with_options(Default::default());
    let _: Result<String, CallError> = shop.echo("hi".into(), Opts { shout: true }).await;
    let _: Result<i64, TypedCallError<WampError>> = shop.sum(1, vec![2, 3]).await;
    let _: Result<Payload, TypedCallError<WampError>> = shop.raw("fruit".into()).await;
    let _: &Session = shop.caller();
    let _ = Value::Null;
}

fn main() {
    let _ = use_it;
}
